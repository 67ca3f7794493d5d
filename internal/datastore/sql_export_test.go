package datastore

import "context"

// RunRawSQL runs query on the database layer of datastore_search_sql
// alone, with no syntax check: tables and functions are what the database
// may let it read and call.
func (s *Service) RunRawSQL(ctx context.Context, query string, tables, functions []string) ([]map[string]any, error) {
	records, _, _, err := s.runReadOnly(ctx, sqlRun{query: query, tables: tables, functions: functions, maxRows: 100})
	return records, err
}

// VersionTable is the table of a resource's current version.
func (s *Service) VersionTable(ctx context.Context, resourceID string) (string, error) {
	v, err := s.current(ctx, resourceID)
	return v.table, err
}

// DistinctFromAsIs is the rewrite CheckSQL applies before SQLite's grammar
// reads a statement.
var DistinctFromAsIs = distinctFromAsIs
