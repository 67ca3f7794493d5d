package datastore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// GroupQuery counts the matching rows of a resource's current version by
// the values of one item, for charts: per category (a code, boolean or
// text item) or per day or hour (a date or datetime item), optionally
// summing a numeric item in each group.
type GroupQuery struct {
	By      string // the item whose values form the groups
	Sum     string // a numeric item summed per group; "" counts only
	Hourly  bool   // group a datetime item by hour ("2006-01-02 15") instead of day
	Filters []Filter
	Q       string
}

// Group is one value of GroupQuery.By with its rows. Key is the value as
// served (nil for no value); a date or datetime item's key is its day,
// "2006-01-02", or its hour, "2006-01-02 15".
type Group struct {
	Key    any     `json:"key"`
	Rows   int64   `json:"rows"`
	Values int64   `json:"values"` // rows with a value of the summed item
	Sum    float64 `json:"sum"`
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
	width := 0 // characters of a time's text that make its group
	if dayItem(p.items[by]) {
		width = 10
		if q.Hourly && p.items[by].Type == catalog.TypeDatetime {
			width = 13
		}
	}
	if p.rowFilter || p.deid != nil {
		groups, err := s.groupServed(ctx, p, by, sum, width)
		if err != nil {
			return Groups{}, err
		}
		return newGroups(p.v.Version, groups), nil
	}
	// A version's table never changes: its groups are kept, by the
	// query, for whoever the decision point lets read them.
	key := fmt.Sprintf("%s|%d|%d|%d|%s|%v", p.v.table, by, sum, width, strings.Join(p.where, " AND "), p.args)
	if g, ok := s.groups.get(key); ok {
		return g, nil
	}
	groups, err := s.groupSQL(ctx, p, by, sum, width)
	if err != nil {
		return Groups{}, err
	}
	out := newGroups(p.v.Version, groups)
	s.groups.put(key, out)
	return out, nil
}

// newGroups orders groups by key, keeping the MaxGroups largest.
func newGroups(version int, groups []Group) Groups {
	out := Groups{Version: version, Groups: groups}
	if len(groups) > MaxGroups {
		slices.SortStableFunc(groups, func(a, b Group) int { return int(b.Rows - a.Rows) })
		out.Groups, out.Truncated = groups[:MaxGroups], true
	}
	slices.SortFunc(out.Groups, func(a, b Group) int { return compareKeys(a.Key, b.Key) })
	return out
}

// groupCache keeps Aggregate's answers computed in the database, keyed by
// version table and query; at maxCachedGroups answers it starts afresh.
// The zero value is ready to use.
type groupCache struct {
	mu sync.Mutex
	m  map[string]Groups
}

const maxCachedGroups = 512

func (c *groupCache) get(key string) (Groups, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.m[key]
	g.Groups = slices.Clone(g.Groups) // the caller's to change
	return g, ok
}

func (c *groupCache) put(key string, g Groups) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedGroups {
		c.m = map[string]Groups{}
	}
	c.m[key] = g
}

// dayItem reports whether an item's groups are days.
func dayItem(it catalog.Item) bool {
	return it.Type == catalog.TypeDate || it.Type == catalog.TypeDatetime
}

// groupSQL groups in the database: dates and times by the first width
// characters of their text (the day or hour, on both dialects).
func (s *Service) groupSQL(ctx context.Context, p *plan, by, sum, width int) ([]Group, error) {
	key := ident(p.items[by].Name)
	if width > 0 {
		key = fmt.Sprintf("SUBSTR(CAST(%s AS TEXT), 1, %d)", key, width)
	}
	total := "0, 0"
	if sum >= 0 {
		col := ident(p.items[sum].Name)
		total = "COUNT(" + col + "), COALESCE(SUM(" + col + "), 0)"
	}
	q := "SELECT " + key + ", COUNT(*), " + total + " FROM " + ident(p.v.table)
	if len(p.where) > 0 {
		q += " WHERE " + strings.Join(p.where, " AND ")
	}
	q += fmt.Sprintf(" GROUP BY 1 ORDER BY 2 DESC LIMIT %d", MaxGroups+1)
	rows, err := s.queryRows(ctx, p.v, q, p.args...)
	if err != nil {
		return nil, fmt.Errorf("datastore: group: %w", err)
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var g Group
		var k any
		var total float64
		if err := rows.Scan(&k, &g.Rows, &g.Values, &total); err != nil {
			return nil, err
		}
		g.Sum = total
		if width > 0 {
			g.Key = timeKey(outValue(catalog.TypeText, k), width)
		} else {
			g.Key = outValue(p.items[by].Type, k)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// groupServed groups the rows as served to the caller (after the
// decision's row filter and de-identification).
func (s *Service) groupServed(ctx context.Context, p *plan, by, sum, width int) ([]Group, error) {
	index := map[any]int{}
	var out []Group
	err := s.each(ctx, p, nil, 0, 0, func(_ int64, vals []any) error {
		k := vals[by]
		if width > 0 {
			k = timeKey(k, width)
		}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Group{Key: k})
		}
		out[i].Rows++
		if v, ok := number(at(vals, sum)); ok {
			out[i].Values++
			out[i].Sum += v
		}
		return nil
	})
	return out, err
}

// at is vals[i], or nil when i is -1.
func at(vals []any, i int) any {
	if i < 0 {
		return nil
	}
	return vals[i]
}

// timeKey is the group of a date or time's text: its first width
// characters, with a space between day and hour.
func timeKey(v any, width int) any {
	t, ok := v.(string)
	if !ok {
		return v
	}
	if len(t) > width {
		t = t[:width]
	}
	return strings.Replace(t, "T", " ", 1)
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
		return cmp.Compare(x, y)
	case xok:
		return -1
	case yok:
		return 1
	}
	return strings.Compare(CellText(a), CellText(b))
}
