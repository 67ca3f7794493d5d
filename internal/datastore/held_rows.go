package datastore

import (
	"context"
	"fmt"
	"strings"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// HeldRows reads the first rows (at most limit, 1–10000) of the newest
// version of a resource that the legality check holds, as text, for the
// de-identification preview: what a profile would serve once the version
// is released. Only the resource's editors and admins and platform staff
// whose reads are not narrowed may read them, and the read is a decision
// of the access point (ChannelDeidPreview) like every other. A resource
// without a held version is ErrNoData.
func (s *Service) HeldRows(ctx context.Context, actor identity.Principal, resourceID string, limit int) (version int, header []string, rows [][]string, err error) {
	r, err := s.cat.Get(ctx, actor, resourceID)
	if err != nil {
		return 0, nil, nil, err
	}
	d, err := s.decide(ctx, actor, resourceID, access.ActionRead, access.ChannelDeidPreview)
	if err != nil {
		return 0, nil, nil, err
	}
	if !insider(actor, r) {
		return 0, nil, nil, fmt.Errorf("resource %q: no held version: %w", resourceID, store.ErrNotFound)
	}
	if c := d.Constraints; c.DeidProfile != "" || len(c.Fields) > 0 || c.RowFilter != "" {
		return 0, nil, nil, access.Decision{Reason: "constrained", Message: "held rows hold raw values of every item; your access is narrowed, so they cannot be read"}.Err()
	}
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	v, err := s.newestHeld(ctx, resourceID)
	if err != nil {
		return 0, nil, nil, err
	}
	header, rows, err = s.readTable(ctx, v.table, v.Items, limit)
	return v.Version, header, rows, err
}

// newestHeld is the resource's newest held version.
func (s *Service) newestHeld(ctx context.Context, resourceID string) (DataVersion, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT version FROM datastore_versions WHERE resource_id = $1 AND status = $2
		ORDER BY version DESC LIMIT 1`, resourceID, StatusHeld).Scan(&n)
	if isNoRows(err) {
		return DataVersion{}, fmt.Errorf("resource %q has no held version: %w", resourceID, ErrNoData)
	} else if err != nil {
		return DataVersion{}, err
	}
	return s.version(ctx, s.db, resourceID, n)
}

// readTable reads the items of a version's table, first rows first, as text.
func (s *Service) readTable(ctx context.Context, table string, items []catalog.Item, limit int) ([]string, [][]string, error) {
	header := make([]string, len(items))
	cols := make([]string, len(items))
	for i, it := range items {
		header[i], cols[i] = it.Name, ident(it.Name)
	}
	q, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM %s ORDER BY %s LIMIT %d`,
		strings.Join(cols, ", "), ident(table), ident(rowColumn), limit))
	if err != nil {
		return nil, nil, fmt.Errorf("datastore: held rows: %w", err)
	}
	defer q.Close()
	var rows [][]string
	vals := make([]any, len(items))
	ptrs := make([]any, len(items))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for q.Next() {
		if err := q.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		row := make([]string, len(items))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
			case []byte:
				row[i] = string(v)
			default:
				row[i] = fmt.Sprint(v)
			}
		}
		rows = append(rows, row)
	}
	return header, rows, q.Err()
}
