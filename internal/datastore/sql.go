package datastore

import (
	"context"
	"errors"
	"regexp"

	"dataport/internal/access"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// SQLResult is what a statement of SearchSQL returned.
type SQLResult struct {
	SQL       string           // the statement as run, printed afresh from its syntax tree
	Records   []map[string]any // one object a row, by column name
	Fields    []RowField
	Truncated bool // the row cap or a grant's row quota cut the records
}

// SearchSQL runs sql for CKAN's datastore_search_sql: one read-only
// SELECT whose tables are resources named by id in double quotes
// (SELECT name FROM "<resource id>" WHERE ...). It is off unless enabled.
// The statement is parsed and checked on its syntax tree (CheckSQL with
// the datastore's policy: only resources anywhere a table can be named,
// only allow-listed functions); every resource it reads is decided (action
// query, channel access.ChannelCKANSQL) and must be readable without
// field, row or de-identification constraints; the statement is printed
// afresh with the resources' current version tables and run where the
// database itself permits reads of those tables and calls of those
// functions only (runSQL), with a timeout, returning at most the
// configured number of rows, or fewer under a grant's row quota
// (Truncated says when cut); the rows returned count against the
// quota of every resource's grant.
func (s *Service) SearchSQL(ctx context.Context, actor identity.Principal, sql string) (SQLResult, error) {
	if !s.sql.Enabled {
		return SQLResult{}, ErrSQLDisabled
	}
	stmt, err := CheckSQL(sql, datastoreSQL)
	if err != nil {
		return SQLResult{}, sqlInputError(err)
	}
	tables := map[string]string{}
	quota := s.newStatementQuota(s.sql.MaxRows) // rows reserved under each decision, capped to the least
	defer quota.settle(ctx)                     // counts quota.served, releases the rest
	for _, name := range stmt.Tables() {
		rid := resourceRef.FindStringSubmatch(name)[1] // a CKAN file id names its resource's rows
		d, err := quota.decide(ctx, actor, rid, access.ActionQuery, access.ChannelCKANSQL)
		if err != nil {
			return SQLResult{}, err
		}
		if c := d.Constraints; c.Fields != nil || c.RowFilter != "" || c.DeidProfile != "" {
			return SQLResult{}, &access.DeniedError{Decision: access.Decision{Reason: "constrained",
				Message: "SQL is not available on resource " + rid + ": your access to it is limited to some fields, rows or de-identified values; use datastore_search"}}
		}
		v, err := s.current(ctx, rid)
		if err != nil {
			return SQLResult{}, err
		}
		tables[name] = v.table
	}
	records, fields, truncated, err := s.runSQL(ctx, stmt, tables, quota.rowLimit())
	if err != nil {
		return SQLResult{}, err
	}
	quota.served = int64(len(records))
	return SQLResult{SQL: stmt.Text(), Records: records, Fields: fields, Truncated: truncated}, nil
}

// resourceRef is how a statement names a resource: its id, or the id of
// one of its CKAN resources ("{id}-csv", as package_show and
// datastore_search give it), which names the same rows.
var resourceRef = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(-[a-z0-9]{1,16})?$`)

// sqlFunctions may be called in datastore_search_sql. Some exist on one
// dialect only (strftime, ifnull, total on SQLite; date_trunc, to_char,
// left, right on PostgreSQL): the database refuses those it lacks.
// Nothing here builds a value much longer than its arguments except
// replace, whose results the runner's length limits bound.
var sqlFunctions = []string{"count", "sum", "avg", "min", "max", "total", "abs", "round", "floor", "ceil", "ceiling",
	"lower", "upper", "length", "char_length", "substr", "substring", "trim", "ltrim", "rtrim", "replace", "coalesce",
	"nullif", "ifnull", "instr", "strftime", "date", "date_trunc", "to_char", "concat", "left", "right"}

// datastoreSQL is the policy of datastore_search_sql: tables are resources
// named by id.
var datastoreSQL = SQLPolicy{
	IsTable:   resourceRef.MatchString,
	TableNoun: "resource",
	TableForm: `named by id in double quotes: FROM "<resource id>"`,
	Functions: sqlFunctions,
}

// sqlInputError reports a refused statement as a 422 on the field "sql",
// with the refused fragment as the value.
func sqlInputError(err error) error {
	var r *SQLRefusal
	if !errors.As(err, &r) {
		return err
	}
	fe := validate.FieldError{Field: "sql", Message: r.Error()}
	if r.Fragment != "" {
		fe.Value = r.Fragment
	}
	return validate.Errors{fe}
}

// badSQL refuses a statement the database could not run (a 422 with field "sql").
func badSQL(message string) error {
	return validate.Errors{{Field: "sql", Message: message}}
}
