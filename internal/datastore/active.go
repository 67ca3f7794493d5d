package datastore

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// HasCurrent reports which of the resources have a current data version
// (what CKAN calls datastore_active), in one query per 500 ids. It reads no
// rows and asks no one: callers pass only resources their caller may see.
func (s *Service) HasCurrent(ctx context.Context, resourceIDs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(resourceIDs))
	for chunk := range slices.Chunk(resourceIDs, 500) {
		marks, args := make([]string, len(chunk)), make([]any, len(chunk))
		for i, id := range chunk {
			marks[i], args[i] = "$"+strconv.Itoa(i+1), id
		}
		rows, err := s.db.QueryContext(ctx, `SELECT resource_id FROM datastore_current WHERE resource_id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
