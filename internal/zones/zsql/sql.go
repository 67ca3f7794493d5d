package zsql

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"dataport/internal/catalog"
)

// CellsSQL is the statement that computes the plan's cells, one row per
// cell: the group values (len(Groups) columns), then "n" (the persons in
// the cell), then for each aggregate i: its value, and for SUM and AVG
// also the largest absolute single contribution, the sum of absolute
// contributions (what the dominance rule needs) and, for AVG, the sum: see
// Layout. Values come as the datastore's sandbox reads them: COUNT and
// the SUM, MIN and MAX of integers (clamped to integral bounds) are
// integers, everything else computed from numbers is a double (AVG is
// CAST(SUM(x) AS float) / COUNT(*), identical on both databases).
func (p *Plan) CellsSQL() string {
	cols := make([]string, 0, p.Layout().TotalWidth)
	for i, g := range p.Groups {
		cols = append(cols, g.Expr+` AS "g`+strconv.Itoa(i+1)+`"`)
	}
	cols = append(cols, `count(*) AS "n"`)
	for i, a := range p.Aggregates {
		v := `"v` + strconv.Itoa(i+1)
		switch a.Func {
		case Count:
			if a.Arg == "" {
				cols = append(cols, `count(*) AS `+v+`"`)
			} else {
				cols = append(cols, `count(`+a.Arg+`) AS `+v+`"`)
			}
		case Sum, Avg:
			if a.Func == Sum {
				cols = append(cols, `sum(`+a.Arg+`) AS `+v+`"`)
			} else {
				cols = append(cols, `(CAST(sum(`+a.Arg+`) AS float) / count(*)) AS `+v+`"`)
			}
			if a.nonNegative() {
				// Contributions of at least 0: the largest is the clamped
				// maximum, their absolute sum is their sum.
				cols = append(cols, a.CellMax+` AS `+v+`_top"`)
			} else {
				cols = append(cols, `max(abs(`+a.Arg+`)) AS `+v+`_top"`, `sum(abs(`+a.Arg+`)) AS `+v+`_abs"`)
			}
			if a.Func == Avg {
				cols = append(cols, `sum(`+a.Arg+`) AS `+v+`_sum"`)
			}
		case Min:
			cols = append(cols, cmp.Or(a.CellMin, `min(`+a.Arg+`)`)+` AS `+v+`"`)
		case Max:
			cols = append(cols, cmp.Or(a.CellMax, `max(`+a.Arg+`)`)+` AS `+v+`"`)
		}
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + p.From + p.whereClause() + p.groupClause(len(p.Groups))
}

func (p *Plan) whereClause(more ...string) string {
	conds := more
	if p.Where != "" {
		conds = append([]string{p.Where}, more...)
	}
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// groupClause groups by the first n output columns, by position (both
// databases read GROUP BY 1 as the first output column).
func (p *Plan) groupClause(n int) string {
	if n == 0 {
		return ""
	}
	pos := make([]string, n)
	for i := range pos {
		pos[i] = strconv.Itoa(i + 1)
	}
	return " GROUP BY " + strings.Join(pos, ", ")
}

// CellColumns describes CellsSQL's columns after the group values and n:
// for aggregate i, Value[i] is its value's column index, Top[i] and Abs[i]
// the indexes of the largest absolute contribution and the sum of
// absolute contributions, and Sum[i] the index of the sum of the
// contributions (Value[i] for SUM; -1 when the aggregate has none).
type CellColumns struct {
	N          int
	Value      []int
	Top, Abs   []int
	Sum        []int
	TotalWidth int
}

// Layout returns the column layout of CellsSQL.
func (p *Plan) Layout() CellColumns {
	l := CellColumns{N: len(p.Groups)}
	at := l.N + 1
	for _, a := range p.Aggregates {
		l.Value = append(l.Value, at)
		at++
		top, abs, sum := -1, -1, -1
		switch a.Func {
		case Sum:
			top, abs, sum = at, at+1, at-1
			at += 2
			if a.nonNegative() {
				abs = sum
				at--
			}
		case Avg:
			top, abs, sum = at, at+1, at+2
			at += 3
			if a.nonNegative() {
				sum = at - 2
				abs = sum
				at--
			}
		}
		l.Top, l.Abs, l.Sum = append(l.Top, top), append(l.Abs, abs), append(l.Sum, sum)
	}
	l.TotalWidth = at
	return l
}

// TopSQL is the statement that returns the n largest absolute
// contributions to aggregate agg (a SUM or AVG) in the cell whose group
// values are key (as CellsSQL read them; one value per row, largest
// first).
func (p *Plan) TopSQL(agg int, key []any, n int) (string, error) {
	if agg < 0 || agg >= len(p.Aggregates) {
		return "", fmt.Errorf("zsql: no aggregate %d", agg)
	}
	a := p.Aggregates[agg]
	if a.Func != Sum && a.Func != Avg {
		return "", fmt.Errorf("zsql: aggregate %d is %s, which has no contributions to rank", agg, a.Func)
	}
	if len(key) != len(p.Groups) {
		return "", fmt.Errorf("zsql: %d group values for %d groups", len(key), len(p.Groups))
	}
	if n < 1 {
		return "", fmt.Errorf("zsql: %d contributions asked", n)
	}
	conds := make([]string, len(key))
	for i, v := range key {
		g := p.Groups[i]
		if v == nil {
			conds[i] = "(" + g.Expr + " IS NULL)"
			continue
		}
		lit, err := literal(g.Type, v)
		if err != nil {
			return "", fmt.Errorf("zsql: group %d: %w", i+1, err)
		}
		conds[i] = "(" + g.Expr + " = " + lit + ")"
	}
	return `SELECT abs(` + a.Arg + `) AS "v" FROM ` + p.From + p.whereClause(conds...) + " ORDER BY 1 DESC LIMIT " + strconv.Itoa(n), nil
}

// literal writes a group value as an SQL literal of the group's type.
func literal(t catalog.ItemType, v any) (string, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return "TRUE", nil
		}
		return "FALSE", nil
	case int64:
		if t == catalog.TypeBoolean {
			return literal(t, x != 0)
		}
		return numberSQL(float64(x), true, x), nil
	case int:
		return literal(t, int64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("%v is not a number SQL can write", x)
		}
		return numberSQL(x, false, 0), nil
	case string:
		return quoteString(x), nil
	case time.Time:
		if t == catalog.TypeDate {
			return quoteString(x.Format("2006-01-02")), nil
		}
		return quoteString(x.Format("2006-01-02 15:04:05.999999")), nil
	}
	return "", fmt.Errorf("cannot write a %T as SQL", v)
}

// Value turns a group value as the sandbox reads it (booleans as 0 or 1,
// since SQLite stores them so) into the value released.
func (g Group) Value(v any) any {
	if n, ok := v.(int64); ok && g.Type == catalog.TypeBoolean {
		return n != 0
	}
	return v
}

// ErrFromDiffers means two plans read different rows, so their cells
// cannot be compared by OverlapSQL (CrossOverlapSQL compares them when
// they share a resource).
var ErrFromDiffers = errors.New("zsql: the plans read different tables or joins")

// ErrNoSharedTable means two plans read no resource in common: no
// statement can tell which of their persons are the same.
var ErrNoSharedTable = errors.New("zsql: the plans read no resource in common")

// ErrPlanChanged means a plan's statement no longer checks to the same
// plan against the schema given (the zone's items, roles or the
// operator's grants changed since it was planned).
var ErrPlanChanged = errors.New("zsql: the statement no longer plans as it did")

// OverlapSQL is the statement that counts, for every pair of a cell of now
// and a cell of earlier (plans over the same From), the persons in both:
// its rows are now's group values, earlier's group values, then in_now
// (1 when the row is in now's cells), in_earlier, and n. A plan's group
// values are NULL where the row is not in its cells. From its rows the
// size of every cell, every intersection and both totals follow.
func OverlapSQL(now, earlier *Plan) (string, error) {
	if now.From != earlier.From {
		return "", ErrFromDiffers
	}
	return overlapStatement(now.From, now.Groups, earlier.Groups, now.Where, earlier.Where), nil
}

// CrossOverlapSQL is the statement OverlapSQL writes, with the same
// columns, for two plans whose From differ but read at least one resource
// in common (for equal From it is OverlapSQL's). A person is a row of the
// shared resource X (the first shared one by resource id): a row of either
// From is one row of X, joined to it on key items. The statement reads X
// under now's alias, LEFT JOINs now's other tables on now's key
// equalities, then earlier's other tables on earlier's — aliased u<i> by
// their position i in earlier's resource-id order, X keeping now's alias,
// so that X's persons are matched by row and not by key values (a NULL
// key would match nothing). A row is in a plan's cells when each of its
// other tables matched (their key items are not NULL), the key equalities
// among X's own items hold, and its Where holds: exactly the rows its
// inner join and Where read. Both plans are checked again from their
// statements against schema (which must hold the resources of both), so
// that earlier's expressions are written with the new aliases from its
// syntax tree; a plan that does not check to what it was is
// ErrPlanChanged, and plans without a common resource ErrNoSharedTable.
func CrossOverlapSQL(now, earlier *Plan, schema Schema) (string, error) {
	if now.From == earlier.From {
		return OverlapSQL(now, earlier)
	}
	shared := ""
	for _, id := range now.Tables {
		if slices.Contains(earlier.Tables, id) {
			shared = id
			break
		}
	}
	if shared == "" {
		return "", ErrNoSharedTable
	}
	nc, err := replan(now, schema, canonicalAlias)
	if err != nil {
		return "", err
	}
	if _, err := replan(earlier, schema, canonicalAlias); err != nil {
		return "", err
	}
	nx := nc.ordered(shared)
	ec, err := checkAs(earlier.SQL, schema, SDC, func(i int, id string) string {
		if id == shared {
			return nx.alias
		}
		return "u" + strconv.Itoa(i+1)
	})
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrPlanChanged, err)
	}
	nowJoins, inNow, err := nc.leftJoins(nx)
	if err != nil {
		return "", err
	}
	earlierJoins, inEarlier, err := ec.leftJoins(ec.ordered(shared))
	if err != nil {
		return "", err
	}
	from := quoteIdent(shared) + " AS " + quoteIdent(nx.alias) + nowJoins + earlierJoins
	return overlapStatement(from, nc.p.Groups, ec.p.Groups, inNow, inEarlier), nil
}

// replan checks a plan's statement again against schema with the aliases
// alias gives, and makes sure it plans as it did (under the canonical
// aliases): the same tables, joins, Where and groups. The mechanism does
// not change a plan, only what is refused, so the lenient one is used.
func replan(p *Plan, schema Schema, alias func(int, string) string) (*checker, error) {
	c, err := checkAs(p.SQL, schema, SDC, alias)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPlanChanged, err)
	}
	q := c.p
	if !slices.Equal(q.Tables, p.Tables) || q.From != p.From || q.Where != p.Where ||
		!slices.EqualFunc(q.Groups, p.Groups, func(a, b Group) bool { return a.Expr == b.Expr && a.Type == b.Type }) {
		return nil, ErrPlanChanged
	}
	return c, nil
}

// ordered is the checked statement's table of resource id.
func (c *checker) ordered(id string) *tableRef {
	for _, r := range c.order {
		if r.table.ID == id {
			return r
		}
	}
	return nil
}

// leftJoins writes the checked statement's tables but x as LEFT JOINs to
// x, in resource-id order, each ON the canonical key equalities between it
// and the tables before it (x included): each of its key items is pinned
// to a column of those, so it matches one row at most. It returns them
// and the condition that a row is in the statement's cells: every table
// matched, the equalities no ON holds (among x's own items) and Where
// ("" when every row is).
func (c *checker) leftJoins(x *tableRef) (string, string, error) {
	present := map[*tableRef]bool{x: true}
	used := make([]bool, len(c.eqs))
	var joins strings.Builder
	var in []string
	for _, r := range c.order {
		if r == x {
			continue
		}
		present[r] = true
		var on []string
		for i, e := range c.eqs {
			if used[i] || !present[e.first.ref] || !present[e.other.ref] || (e.first.ref != r && e.other.ref != r) {
				continue
			}
			cond, err := c.equality(e)
			if err != nil {
				return "", "", err
			}
			used[i], on = true, append(on, cond)
		}
		if len(on) == 0 {
			return "", "", fmt.Errorf("zsql: resource %s is joined on nothing", r.table.ID)
		}
		joins.WriteString(" LEFT JOIN " + quoteIdent(r.table.ID) + " AS " + quoteIdent(r.alias) + " ON " + conjunction(on))
		for _, k := range r.table.keys() {
			key, err := c.render(column{ref: r, item: &k}.expr())
			if err != nil {
				return "", "", err
			}
			in = append(in, "("+key+" IS NOT NULL)")
		}
	}
	for i, e := range c.eqs {
		if !used[i] {
			cond, err := c.equality(e)
			if err != nil {
				return "", "", err
			}
			in = append(in, cond)
		}
	}
	if c.p.Where != "" {
		in = append(in, c.p.Where)
	}
	if len(in) == 0 {
		return joins.String(), "", nil
	}
	return joins.String(), conjunction(in), nil
}

// conjunction ANDs conditions, in parentheses when there are several.
func conjunction(conds []string) string {
	if len(conds) == 1 {
		return conds[0]
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}

// overlapStatement is the overlap statement over from: each plan's groups
// where the row is in its cells (its condition, "" for every row), then
// in_now, in_earlier and n, grouped by all but n, over the rows in either.
func overlapStatement(from string, nowGroups, earlierGroups []Group, nowIn, earlierIn string) string {
	inNow, inEarlier := orTrue(nowIn), orTrue(earlierIn)
	var cols []string
	for i, g := range nowGroups {
		cols = append(cols, "CASE WHEN "+inNow+" THEN "+g.Expr+` END AS "a`+strconv.Itoa(i+1)+`"`)
	}
	for i, g := range earlierGroups {
		cols = append(cols, "CASE WHEN "+inEarlier+" THEN "+g.Expr+` END AS "b`+strconv.Itoa(i+1)+`"`)
	}
	cols = append(cols, "CASE WHEN "+inNow+` THEN 1 ELSE 0 END AS "in_now"`,
		"CASE WHEN "+inEarlier+` THEN 1 ELSE 0 END AS "in_earlier"`, `count(*) AS "n"`)
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + from
	if nowIn != "" && earlierIn != "" {
		q += " WHERE (" + nowIn + " OR " + earlierIn + ")"
	}
	return q + (&Plan{}).groupClause(len(cols)-1)
}

func orTrue(where string) string {
	if where == "" {
		return "TRUE"
	}
	return where
}
