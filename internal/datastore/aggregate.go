package datastore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// GroupQuery counts the matching rows of a resource's current version by
// the values of one item, for charts: per category (a code, boolean or
// text item) or per day (a date or datetime item), optionally summing a
// numeric item in each group.
type GroupQuery struct {
	By      string // the item whose values form the groups
	Sum     string // a numeric item summed per group; "" counts only
	Filters []Filter
	Q       string
}

// Group is one value of GroupQuery.By with its rows. Key is the value as
// served (nil for no value); a date or datetime item's key is its day,
// "2006-01-02".
type Group struct {
	Key  any     `json:"key"`
	Rows int64   `json:"rows"`
	Sum  float64 `json:"sum"`
}

// Groups are the groups of one version, in the order of their keys
// (no value first).
type Groups struct {
	Version int     `json:"version"`
	Groups  []Group `json:"groups"`
	// Truncated is true when the item had more than MaxGroups values and
	// only the MaxGroups largest groups are kept.
	Truncated bool `json:"truncated"`
}

// MaxGroups is how many groups Aggregate returns at most.
const MaxGroups = 1000

// Aggregate counts rows by groups. It asks the access decision point
// (action read, through channel) like Search, checks the items and filters
// against what the decision lets the caller read, and serves no rows: no
// row is counted against a quota. Under a row filter or a
// de-identification profile the groups are made from the rows as they
// would be served; otherwise the database groups them.
func (s *Service) Aggregate(ctx context.Context, actor identity.Principal, resourceID string, channel access.Channel, q GroupQuery) (Groups, error) {
	fields := []string{q.By}
	if q.Sum != "" && q.Sum != q.By {
		fields = append(fields, q.Sum)
	}
	p, err := s.newPlan(ctx, actor, resourceID, access.ActionRead, channel, Query{Fields: fields, Filters: q.Filters, Q: q.Q},
		func(DataVersion) int64 { return 0 })
	if err != nil {
		return Groups{}, err
	}
	defer s.recordRows(ctx, p.decision, 0)
	by, _ := p.item(q.By, nil)
	sum := -1
	if q.Sum != "" {
		sum, _ = p.item(q.Sum, nil)
		if t := p.items[sum].Type; t != catalog.TypeInteger && t != catalog.TypeDecimal {
			return Groups{}, validate.Errors{{Field: "sum", Value: q.Sum, Code: "not_numeric", Message: "is not a number item"}}
		}
	}
	var groups []Group
	if p.rowFilter || p.deid != nil {
		groups, err = s.groupServed(ctx, p, by, sum)
	} else {
		groups, err = s.groupSQL(ctx, p, by, sum)
	}
	if err != nil {
		return Groups{}, err
	}
	out := Groups{Version: p.v.Version, Groups: groups}
	if len(groups) > MaxGroups {
		slices.SortStableFunc(groups, func(a, b Group) int { return int(b.Rows - a.Rows) })
		out.Groups, out.Truncated = groups[:MaxGroups], true
	}
	slices.SortFunc(out.Groups, func(a, b Group) int { return compareKeys(a.Key, b.Key) })
	return out, nil
}

// dayItem reports whether an item's groups are days.
func dayItem(it catalog.Item) bool {
	return it.Type == catalog.TypeDate || it.Type == catalog.TypeDatetime
}

// groupSQL groups in the database: dates and times by their first ten
// characters as text (the day, on both dialects).
func (s *Service) groupSQL(ctx context.Context, p *plan, by, sum int) ([]Group, error) {
	key := ident(p.items[by].Name)
	if dayItem(p.items[by]) {
		key = "SUBSTR(CAST(" + key + " AS TEXT), 1, 10)"
	}
	total := "0"
	if sum >= 0 {
		total = "COALESCE(SUM(" + ident(p.items[sum].Name) + "), 0)"
	}
	q := "SELECT " + key + ", COUNT(*), " + total + " FROM " + ident(p.v.table)
	if len(p.where) > 0 {
		q += " WHERE " + strings.Join(p.where, " AND ")
	}
	q += fmt.Sprintf(" GROUP BY 1 ORDER BY 2 DESC LIMIT %d", MaxGroups+1)
	rows, err := s.db.QueryContext(ctx, q, p.args...)
	if err != nil {
		return nil, fmt.Errorf("datastore: group: %w", err)
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var g Group
		var k any
		var total float64
		if err := rows.Scan(&k, &g.Rows, &total); err != nil {
			return nil, err
		}
		g.Sum = total
		if dayItem(p.items[by]) {
			g.Key = outValue(catalog.TypeText, k)
		} else {
			g.Key = outValue(p.items[by].Type, k)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// groupServed groups the rows as served to the caller (after the
// decision's row filter and de-identification).
func (s *Service) groupServed(ctx context.Context, p *plan, by, sum int) ([]Group, error) {
	index := map[any]int{}
	var out []Group
	err := s.each(ctx, p, nil, 0, 0, func(_ int64, vals []any) error {
		k := vals[by]
		if t, ok := k.(string); ok && dayItem(p.items[by]) && len(t) > 10 {
			k = t[:10]
		}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Group{Key: k})
		}
		out[i].Rows++
		if sum >= 0 {
			v, _ := number(vals[sum])
			out[i].Sum += v
		}
		return nil
	})
	return out, err
}

// compareKeys orders group keys: no value first, then numbers, then text
// and other values as text.
func compareKeys(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	x, xok := number(a)
	y, yok := number(b)
	switch {
	case xok && yok:
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	case xok:
		return -1
	case yok:
		return 1
	}
	return strings.Compare(CellText(a), CellText(b))
}
