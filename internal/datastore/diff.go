package datastore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// VersionDiff compares two versions of a resource's rows by its key items (or,
// without keys, by whole rows): added, removed and changed records.
type VersionDiff struct {
	From    int       `json:"from"`
	To      int       `json:"to"`
	Keys    []string  `json:"keys"`
	Added   int64     `json:"added"`
	Removed int64     `json:"removed"`
	Changed int64     `json:"changed"`
	Samples []DiffRow `json:"samples"` // up to diffSamples of each kind
}

// DiffRow is one added, removed or changed record, named by its key.
type DiffRow struct {
	Kind  string   `json:"kind" enum:"added,removed,changed"`
	Key   []any    `json:"key"`
	Items []string `json:"items,omitempty"` // changed items
}

const diffSamples = 20

// Diff compares version from with version to. Comparing reads rows, so the
// access decision point is asked (action read); only items the caller may
// read are compared.
func (s *Service) Diff(ctx context.Context, actor identity.Principal, resourceID string, from, to int) (VersionDiff, error) {
	d, err := s.decide(ctx, actor, resourceID, access.ActionRead, access.ChannelAPIDiff)
	if err != nil {
		return VersionDiff{}, err
	}
	if d.Constraints.RowFilter != "" || d.Constraints.DeidProfile != "" || d.QuotaApplies() || d.Constraints.MaxRows > 0 {
		return VersionDiff{}, &access.DeniedError{Decision: access.Decision{Reason: "constrained", Message: "version diffs are not available under a grant that filters, de-identifies or counts rows"}}
	}
	a, err := s.version(ctx, s.db, resourceID, from)
	if err != nil {
		return VersionDiff{}, err
	}
	b, err := s.version(ctx, s.db, resourceID, to)
	if err != nil {
		return VersionDiff{}, err
	}
	for _, v := range []DataVersion{a, b} {
		if v.Status != StatusReady {
			return VersionDiff{}, fmt.Errorf("%w: version %d is %s", catalog.ErrState, v.Version, v.Status)
		}
	}
	keys, common := diffColumns(a.Items, b.Items, d.Constraints.Fields)
	out := VersionDiff{From: from, To: to, Keys: keys, Samples: []DiffRow{}}
	if len(common) == 0 {
		return out, nil
	}
	if len(keys) == 0 {
		return s.diffRows(ctx, out, a.table, b.table, common)
	}
	return s.diffKeys(ctx, out, a.table, b.table, keys, common)
}

// diffColumns returns the key items and the other items both versions
// share with the same type, among those allowed.
func diffColumns(a, b []catalog.Item, allowed []string) (keys, common []string) {
	for _, x := range a {
		i := slices.IndexFunc(b, func(y catalog.Item) bool { return y.Name == x.Name && y.Type == x.Type })
		if i < 0 || (allowed != nil && !slices.Contains(allowed, x.Name)) {
			continue
		}
		if x.Key && b[i].Key {
			keys = append(keys, x.Name)
		} else {
			common = append(common, x.Name)
		}
	}
	return keys, append(slices.Clone(keys), common...)
}

func (s *Service) diffKeys(ctx context.Context, out VersionDiff, oldT, newT string, keys, cols []string) (VersionDiff, error) {
	var on, same []string
	for _, k := range keys {
		on = append(on, "o."+ident(k)+" = n."+ident(k))
	}
	var changedCols []string
	for _, c := range cols[len(keys):] {
		changedCols = append(changedCols, c)
		if s.db.Dialect == store.Postgres {
			same = append(same, "o."+ident(c)+" IS NOT DISTINCT FROM n."+ident(c))
		} else {
			same = append(same, "o."+ident(c)+" IS n."+ident(c))
		}
	}
	join := " ON " + strings.Join(on, " AND ")
	missing := func(a, b string) string {
		return fmt.Sprintf(" FROM %s n WHERE NOT EXISTS (SELECT 1 FROM %s o WHERE %s)", ident(a), ident(b), strings.Join(on, " AND "))
	}
	keyList := func(alias string) string {
		var parts []string
		for _, k := range keys {
			parts = append(parts, alias+"."+ident(k))
		}
		return strings.Join(parts, ", ")
	}
	changedWhere := "1 = 0"
	if len(same) > 0 {
		changedWhere = "NOT (" + strings.Join(same, " AND ") + ")"
	}
	changedFrom := fmt.Sprintf(" FROM %s n JOIN %s o%s WHERE %s", ident(newT), ident(oldT), join, changedWhere)
	for _, q := range []struct {
		kind string
		from string
		n    *int64
	}{{"added", missing(newT, oldT), &out.Added}, {"removed", missing(oldT, newT), &out.Removed}, {"changed", changedFrom, &out.Changed}} {
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*)"+q.from).Scan(q.n); err != nil {
			return out, fmt.Errorf("datastore: diff: %w", err)
		}
		if err := s.diffSamples(ctx, &out, q.kind, keyList("n"), q.from, len(keys), changedCols); err != nil {
			return out, err
		}
	}
	return out, nil
}

// diffSamples lists a few records of one kind by key; for changed records
// it names the items that differ.
func (s *Service) diffSamples(ctx context.Context, out *VersionDiff, kind, keyCols, from string, nkeys int, cols []string) error {
	sel := keyCols
	if kind == "changed" {
		for _, c := range cols {
			sel += ", n." + ident(c) + ", o." + ident(c)
		}
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT %s%s ORDER BY %s LIMIT %d", sel, from, keyCols, diffSamples))
	if err != nil {
		return fmt.Errorf("datastore: diff samples: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, nkeys+2*len(cols))
		if kind != "changed" {
			vals = vals[:nkeys]
		}
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		sample := DiffRow{Kind: kind, Key: normalize(vals[:nkeys])}
		for i, c := range cols {
			if kind == "changed" && fmt.Sprint(normalize(vals[nkeys+2*i:nkeys+2*i+1])) != fmt.Sprint(normalize(vals[nkeys+2*i+1:nkeys+2*i+2])) {
				sample.Items = append(sample.Items, c)
			}
		}
		out.Samples = append(out.Samples, sample)
	}
	return rows.Err()
}

func normalize(vals []any) []any {
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = string(b)
		}
	}
	return vals
}

// diffRows compares whole rows of tables without key items.
func (s *Service) diffRows(ctx context.Context, out VersionDiff, oldT, newT string, cols []string) (VersionDiff, error) {
	list := make([]string, len(cols))
	for i, c := range cols {
		list[i] = ident(c)
	}
	sel := strings.Join(list, ", ")
	count := func(a, b string, n *int64) error {
		return s.db.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) FROM (SELECT %s FROM %s EXCEPT SELECT %s FROM %s) d",
			sel, ident(a), sel, ident(b))).Scan(n)
	}
	if err := count(newT, oldT, &out.Added); err != nil {
		return out, fmt.Errorf("datastore: diff: %w", err)
	}
	if err := count(oldT, newT, &out.Removed); err != nil {
		return out, fmt.Errorf("datastore: diff: %w", err)
	}
	return out, nil
}
