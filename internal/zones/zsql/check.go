package zsql

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/datastore"

	rq "github.com/rqlite/sql"
)

// Limits of an accepted statement.
const (
	MaxGroups   = 8       // GROUP BY expressions
	MaxLimit    = 100000  // LIMIT n
	maxBound    = 1e9     // |clamping bound|: no sum of clamped integers overflows
	maxLiteral  = 1e15    // a number written in a statement
	maxProducts = 8       // multiplications in a statement
	maxPattern  = 200     // characters of a LIKE pattern
	maxRound    = 15      // round(x, n): n digits at most
	clampName   = "clamp" // clamp(item, lower, upper)
)

// aggregateFunctions and scalarFunctions are what a statement may call;
// clamp() is rewritten and never reaches the database.
var (
	aggregateFunctions = []string{"count", "sum", "avg", "min", "max"}
	scalarFunctions    = []string{"abs", "round", "lower", "upper", "substr", "length", "coalesce", "nullif"}
	runFunctions       = append(slices.Clone(aggregateFunctions), scalarFunctions...)
	checkFunctions     = append(slices.Clone(runFunctions), clampName)
)

// Policy is the datastore policy of the statements a zone runs: tables are
// the schema's resource ids, functions are those the guard accepts and the
// rewrites use (clamp() is rewritten as CASE, so it is not among them).
func Policy(schema Schema) datastore.SQLPolicy {
	return policy(schema, runFunctions)
}

func policy(schema Schema, functions []string) datastore.SQLPolicy {
	ids := make(map[string]bool, len(schema.Tables))
	for _, t := range schema.Tables {
		ids[t.ID] = true
	}
	return datastore.SQLPolicy{
		IsTable:   func(name string) bool { return ids[name] },
		TableNoun: "zone resource",
		TableForm: `named by id in double quotes: FROM "<resource id>"`,
		Functions: functions,
	}
}

// Check parses and checks an operator's statement against the schema and
// the mechanism. A refusal is a *datastore.SQLRefusal with the position,
// fragment and reason.
func Check(sql string, schema Schema, mech Mechanism) (*Plan, error) {
	c, err := checkAs(sql, schema, mech, canonicalAlias)
	if err != nil {
		return nil, err
	}
	return c.p, nil
}

// canonicalAlias is the alias of the i-th table (0-based) in resource-id
// order: t1, t2, ….
func canonicalAlias(i int, _ string) string { return "t" + strconv.Itoa(i+1) }

// checkAs checks a statement as Check does, naming the i-th table (in
// resource-id order) of resource id alias(i, id) instead of t<i+1>: the
// plan's expressions, Where and join conditions are built with those
// aliases. It returns the checker, which keeps the tables in order and
// the key equalities of the join.
func checkAs(sql string, schema Schema, mech Mechanism, alias func(i int, id string) string) (*checker, error) {
	if mech != SDC && mech != DP {
		return nil, fmt.Errorf("zsql: unknown mechanism %q", mech)
	}
	checked, err := datastore.CheckSQL(sql, policy(schema, checkFunctions))
	if err != nil {
		return nil, err
	}
	c := &checker{schema: schema, mech: mech, run: Policy(schema), src: []rune(sql), alias: alias}
	p, err := c.plan(checked.Statement())
	if err != nil {
		return nil, err
	}
	p.SQL = sql
	c.p = p
	return c, nil
}

// refusal is a located refusal of part of a statement.
func refusal(pos rq.Pos, fragment, format string, args ...any) error {
	if r := []rune(fragment); len(r) > 80 {
		fragment = string(r[:80])
	}
	return &datastore.SQLRefusal{Line: pos.Line, Column: pos.Column, Fragment: fragment, Reason: fmt.Sprintf(format, args...)}
}

// checker checks one statement and builds its plan.
type checker struct {
	src    []rune // the statement, for fragments
	schema Schema
	mech   Mechanism
	run    datastore.SQLPolicy
	refs   []*tableRef
	// products counts the statement's multiplications.
	products int
	// alias names the i-th table in resource-id order.
	alias func(i int, id string) string
	// order is the tables in resource-id order and eqs the key
	// equalities of the canonical join (none for one table), once from
	// has run; p is the plan, once checked.
	order []*tableRef
	eqs   []keyEq
	p     *Plan
}

// tableRef is a table as the statement reads it.
type tableRef struct {
	table     *Table
	qualifier string // what qualifies its columns: its alias, or its id
	pos       rq.Pos
	alias     string // canonical: t1, t2, … by resource id (or as checkAs names them)
	index     int    // canonical position, 0-based
}

// column is a resolved item reference.
type column struct {
	ref  *tableRef
	item *Item
}

func (col column) expr() rq.Expr {
	return &rq.QualifiedRef{Table: &rq.Ident{Name: col.ref.alias, Quoted: true}, Column: &rq.Ident{Name: col.item.Name, Quoted: true}}
}

// selected is one result column as checked.
type selected struct {
	name  string
	pos   rq.Pos
	text  string
	agg   *Aggregate // nil for a grouped expression
	item  string     // the aggregated item, qualified ("" for COUNT(*))
	expr  string     // rendered grouped expression
	typ   typ
	group int // index into plan.Groups, -1 for aggregates
}

func (c *checker) plan(s *rq.SelectStatement) (*Plan, error) {
	switch {
	case s.WithClause != nil:
		return nil, refusal(s.WithClause.With, "WITH", "may not use WITH: write one SELECT over the zone's resources")
	case s.Compound != nil:
		op, pos := "UNION", s.Union
		switch {
		case s.Intersect.IsValid():
			op, pos = "INTERSECT", s.Intersect
		case s.Except.IsValid():
			op, pos = "EXCEPT", s.Except
		}
		return nil, refusal(pos, op, "may not combine SELECTs with %s: each result is computed and protected on its own", op)
	case s.Distinct.IsValid():
		return nil, refusal(s.Distinct, "DISTINCT", "may not use DISTINCT: a zone returns aggregates only")
	case s.HavingExpr != nil:
		return nil, refusal(s.Having, "HAVING", "may not use HAVING: cells are filtered by disclosure control, not by the statement")
	case s.Source == nil:
		return nil, refusal(s.Select, "SELECT", `must read a zone resource: FROM "<resource id>"`)
	case s.OffsetExpr != nil:
		pos := s.Offset
		if s.OffsetComma.IsValid() {
			pos = s.OffsetComma
		}
		return nil, refusal(pos, "OFFSET", "may not use OFFSET")
	}
	from, err := c.from(s.Source)
	if err != nil {
		return nil, err
	}
	p := &Plan{From: from}
	for _, r := range c.refs {
		p.Tables = append(p.Tables, r.table.ID)
	}
	sort.Strings(p.Tables)

	var sel []*selected
	for _, col := range s.Columns {
		x, err := c.resultColumn(col)
		if err != nil {
			return nil, err
		}
		sel = append(sel, x)
	}
	var where []string
	if s.WhereExpr != nil {
		w, err := c.condition(s.WhereExpr, inWhere, "WHERE")
		if err != nil {
			return nil, err
		}
		where = append(where, w)
	}
	if !slices.ContainsFunc(sel, func(x *selected) bool { return x.agg != nil }) {
		return nil, refusal(s.Select, "SELECT", "must compute an aggregate (COUNT, SUM, AVG, MIN or MAX): a zone never returns rows")
	}
	if err := c.groupBy(s, sel, p); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	complete := map[string]bool{}
	for _, x := range sel {
		if names[x.name] {
			return nil, refusal(x.pos, x.text, "has two output columns named %q: give one another name with AS", x.name)
		}
		names[x.name] = true
		p.Columns = append(p.Columns, x.name)
		if x.agg == nil {
			p.Select = append(p.Select, x.group)
			continue
		}
		p.Select = append(p.Select, -1-len(p.Aggregates)) // fixed below, once the groups are counted
		p.Aggregates = append(p.Aggregates, *x.agg)
		if x.item != "" {
			complete[x.item] = true
		}
	}
	for i, v := range p.Select {
		if v < 0 {
			p.Select[i] = -1 - v + len(p.Groups)
		}
	}
	for _, e := range slices.Sorted(maps.Keys(complete)) {
		where = append(where, "("+e+" IS NOT NULL)")
	}
	if len(where) == 1 {
		p.Where = where[0]
	} else if len(where) > 1 {
		p.Where = "(" + strings.Join(where, " AND ") + ")"
	}
	if err := c.orderBy(s, p); err != nil {
		return nil, err
	}
	if s.LimitExpr != nil {
		n, ok := s.LimitExpr.(*rq.NumberLit)
		v, err := strconv.Atoi(strings.TrimSpace(litValue(n, ok)))
		if !ok || err != nil || v < 1 || v > MaxLimit {
			return nil, refusal(s.Limit, "LIMIT "+c.frag(s.LimitExpr), "may only give LIMIT a whole number from 1 to %d", MaxLimit)
		}
		p.Limit = v
	}
	return p, nil
}

func litValue(n *rq.NumberLit, ok bool) string {
	if !ok {
		return ""
	}
	return n.Value
}

// resultColumn checks one result column: an aggregate or a grouped expression.
func (c *checker) resultColumn(col *rq.ResultColumn) (*selected, error) {
	if col.Star.IsValid() {
		return nil, refusal(col.Star, "*", "may not select every item (SELECT *): select aggregates and the attributes they are grouped by")
	}
	if q, ok := col.Expr.(*rq.QualifiedRef); ok && q.Star.IsValid() {
		return nil, refusal(q.Table.NamePos, c.frag(q), "may not select every item of a table (%s): select aggregates and the attributes they are grouped by", c.frag(q))
	}
	e, err := datastore.Regroup(col.Expr)
	if err != nil {
		return nil, err
	}
	x := &selected{pos: startPos(e), text: c.frag(e), group: -1}
	if col.Alias != nil {
		x.name = identName(col.Alias)
	}
	if call, ok := unparen(e).(*rq.Call); ok && slices.Contains(aggregateFunctions, asciiLower(call.Name.Name)) {
		agg, item, err := c.aggregate(call)
		if err != nil {
			return nil, err
		}
		x.item = item
		if x.name == "" {
			x.name = agg.Name
		}
		agg.Name = x.name
		x.agg = agg
		return x, nil
	}
	if a := findAggregate(e); a != nil {
		return nil, c.aroundAggregate(e, a)
	}
	v, err := c.scalar(e, inSelect)
	if err != nil {
		return nil, err
	}
	if x.expr, err = c.render(v.e); err != nil {
		return nil, err
	}
	x.typ = v.t
	if x.name == "" {
		if col, ok := v.e.(*rq.QualifiedRef); ok {
			x.name = col.Column.Name
		} else {
			x.name = c.frag(e)
		}
	}
	return x, nil
}

// aroundAggregate refuses an expression computed with an aggregate.
func (c *checker) aroundAggregate(e rq.Expr, agg *rq.Call) error {
	pos := startPos(e)
	if b, ok := unparen(e).(*rq.BinaryExpr); ok {
		pos = b.OpPos
	}
	return refusal(pos, c.frag(e), "may not compute with an aggregate (%s): select each aggregate as a column of its own, as COUNT(*), SUM(item), AVG(item), MIN(clamp(item, lower, upper)) or MAX(...)", c.frag(agg))
}

// findAggregate returns an aggregate call anywhere in e, or nil.
func findAggregate(e rq.Expr) *rq.Call {
	switch x := e.(type) {
	case *rq.Call:
		if slices.Contains(aggregateFunctions, asciiLower(x.Name.Name)) {
			return x
		}
		return findAggregate(&rq.ExprList{Exprs: x.Args})
	case *rq.ParenExpr:
		return findAggregate(x.X)
	case *rq.UnaryExpr:
		return findAggregate(x.X)
	case *rq.BinaryExpr:
		if a := findAggregate(x.X); a != nil {
			return a
		}
		return findAggregate(x.Y)
	case *rq.Range:
		if a := findAggregate(x.X); a != nil {
			return a
		}
		return findAggregate(x.Y)
	case *rq.Null:
		return findAggregate(x.X)
	case *rq.CastExpr:
		return findAggregate(x.X)
	case *rq.ExprList:
		for _, a := range x.Exprs {
			if found := findAggregate(a); found != nil {
				return found
			}
		}
	case *rq.CaseExpr:
		list := []rq.Expr{x.Operand, x.ElseExpr}
		for _, b := range x.Blocks {
			list = append(list, b.Condition, b.Body)
		}
		return findAggregate(&rq.ExprList{Exprs: list})
	}
	return nil
}

// groupBy checks GROUP BY and ties every grouped result column to its group.
func (c *checker) groupBy(s *rq.SelectStatement, sel []*selected, p *Plan) error {
	for i, g := range s.GroupByExprs {
		if i == MaxGroups {
			return refusal(startPos(g), c.frag(g), "may not group by more than %d expressions", MaxGroups)
		}
		e, err := datastore.Regroup(g)
		if err != nil {
			return err
		}
		group, err := c.groupExpr(e, sel)
		if err != nil {
			return err
		}
		for _, prev := range p.Groups {
			if prev.Expr == group.Expr {
				return refusal(startPos(e), c.frag(e), "groups by %s twice", c.frag(e))
			}
		}
		p.Groups = append(p.Groups, group)
	}
	for _, x := range sel {
		if x.agg != nil {
			continue
		}
		x.group = slices.IndexFunc(p.Groups, func(g Group) bool { return g.Expr == x.expr })
		if x.group < 0 {
			return refusal(x.pos, x.text, "selects %s, which is neither an aggregate nor grouped: add it to GROUP BY", x.text)
		}
		if p.Groups[x.group].Name == "" {
			p.Groups[x.group].Name = x.name
		}
	}
	for i, g := range p.Groups {
		if g.Name == "" {
			e := s.GroupByExprs[i]
			return refusal(startPos(e), c.frag(e), "groups by %s without selecting it: select every GROUP BY expression, so that each cell is labelled", c.frag(e))
		}
	}
	return nil
}

// groupExpr checks one GROUP BY expression: an attribute expression, an
// output column's position or an output column's name.
func (c *checker) groupExpr(e rq.Expr, sel []*selected) (Group, error) {
	if n, ok := e.(*rq.NumberLit); ok {
		i, err := strconv.Atoi(n.Value)
		if err != nil || i < 1 || i > len(sel) {
			return Group{}, refusal(n.ValuePos, n.Value, "groups by column %s, which the statement does not select (it selects %d)", n.Value, len(sel))
		}
		if sel[i-1].agg != nil {
			return Group{}, refusal(n.ValuePos, n.Value, "may not group by an aggregate (column %d)", i)
		}
		return Group{Expr: sel[i-1].expr, Type: sel[i-1].typ.itemType()}, nil
	}
	if id, ok := e.(*rq.Ident); ok && !c.isItem(id) {
		name := identName(id)
		for _, x := range sel {
			if x.name == name || (!id.Quoted && asciiLower(x.name) == name) {
				if x.agg != nil {
					return Group{}, refusal(id.NamePos, id.Name, "may not group by an aggregate (%s)", id.Name)
				}
				return Group{Expr: x.expr, Type: x.typ.itemType()}, nil
			}
		}
	}
	if a := findAggregate(e); a != nil {
		return Group{}, refusal(a.Name.NamePos, c.frag(a), "may not use an aggregate in GROUP BY")
	}
	v, err := c.scalar(e, inGroup)
	if err != nil {
		return Group{}, err
	}
	rendered, err := c.render(v.e)
	if err != nil {
		return Group{}, err
	}
	return Group{Expr: rendered, Type: v.t.itemType()}, nil
}

// orderBy checks ORDER BY: output columns by name or position.
func (c *checker) orderBy(s *rq.SelectStatement, p *Plan) error {
	for _, t := range s.OrderingTerms {
		switch {
		case t.Collation != nil:
			return refusal(t.Collation.Collate, "COLLATE", "may not use COLLATE")
		case t.Nulls.IsValid():
			return refusal(t.Nulls, "NULLS", "may not use NULLS FIRST or NULLS LAST")
		}
		col := -1
		switch x := unparen(t.X).(type) {
		case *rq.NumberLit:
			if i, err := strconv.Atoi(x.Value); err == nil && i >= 1 && i <= len(p.Columns) {
				col = i - 1
			}
		case *rq.Ident:
			name := identName(x)
			col = slices.Index(p.Columns, name)
			if col < 0 && !x.Quoted {
				col = slices.IndexFunc(p.Columns, func(n string) bool { return asciiLower(n) == name })
			}
		}
		if col < 0 {
			return refusal(startPos(t.X), c.frag(t.X), "may only order by an output column, by its name or position (1 to %d)", len(p.Columns))
		}
		p.Order = append(p.Order, OrderTerm{Column: col, Desc: t.Desc.IsValid()})
	}
	return nil
}

// aggregate checks one aggregate call.
func (c *checker) aggregate(call *rq.Call) (*Aggregate, string, error) {
	fn := AggFunc(asciiLower(call.Name.Name))
	upper := strings.ToUpper(string(fn))
	switch {
	case call.Over != nil:
		return nil, "", refusal(call.Over.Over, "OVER", "may not use window functions (OVER): a zone returns one row per cell")
	case call.Filter != nil:
		return nil, "", refusal(call.Filter.Filter, "FILTER", "may not use FILTER: write the condition in WHERE")
	case call.Distinct.IsValid():
		return nil, "", refusal(call.Distinct, "DISTINCT", "may not use DISTINCT in %s(): persons are counted once each already", upper)
	}
	agg := &Aggregate{Func: fn}
	if call.Star.IsValid() {
		if fn != Count {
			return nil, "", refusal(call.Star, "*", "may only write %s(*) as COUNT(*)", upper)
		}
		agg.Name = "count"
		return agg, "", nil
	}
	if len(call.Args) != 1 {
		return nil, "", refusal(call.Name.NamePos, c.frag(call), "gives %s() %d arguments: it takes one item", upper, len(call.Args))
	}
	arg := unparen(call.Args[0])
	var (
		col    column
		clamp  *rq.Call
		bounds [2]float64
	)
	switch x := arg.(type) {
	case *rq.Ident, *rq.QualifiedRef:
		v, err := c.scalar(x, inAggregate)
		if err != nil {
			return nil, "", err
		}
		col = v.col
	case *rq.Call:
		if asciiLower(x.Name.Name) != clampName || fn == Count {
			return nil, "", c.badAggregateArg(fn, arg)
		}
		clamp = x
		var err error
		if col, bounds, err = c.clamp(x); err != nil {
			return nil, "", err
		}
	default:
		return nil, "", c.badAggregateArg(fn, arg)
	}
	it := col.item
	agg.Item, agg.Table = it.Name, col.ref.table.ID
	agg.Name = string(fn) + "_" + it.Name
	item, err := c.render(col.expr())
	if err != nil {
		return nil, "", err
	}
	if fn == Count {
		agg.Arg = item
		return agg, item, nil
	}
	if !it.numeric() {
		return nil, "", refusal(startPos(arg), c.frag(arg), "may not compute %s of %q (%s): only numeric items (integer, decimal) are summed, averaged or bounded", upper, it.Name, it.Type)
	}
	switch {
	case clamp != nil:
		agg.Bounded, agg.Lower, agg.Upper = true, bounds[0], bounds[1]
	case it.Lower != nil && it.Upper != nil:
		agg.Bounded, agg.Lower, agg.Upper = true, *it.Lower, *it.Upper
	case fn == Min || fn == Max:
		return nil, "", refusal(call.Name.NamePos, c.frag(call), "may not compute %s of %q without clamping, which would give a person's value: write %s(clamp(%s, lower, upper))", upper, it.Name, upper, it.Name)
	case c.mech == DP:
		return nil, "", refusal(call.Name.NamePos, c.frag(call), "may not compute %s of %q without clamping under differential privacy: write %s(clamp(%s, lower, upper)), so that each person's contribution is bounded", upper, it.Name, upper, it.Name)
	}
	agg.Arg = item
	if agg.Bounded {
		agg.Arg = clampSQL(item, it.Type, agg.Lower, agg.Upper)
		agg.CellMax = clampSQL("max("+item+")", it.Type, agg.Lower, agg.Upper)
		agg.CellMin = clampSQL("min("+item+")", it.Type, agg.Lower, agg.Upper)
	}
	return agg, item, nil
}

func (c *checker) badAggregateArg(fn AggFunc, arg rq.Expr) error {
	if call, ok := arg.(*rq.Call); ok && slices.Contains(aggregateFunctions, asciiLower(call.Name.Name)) {
		return refusal(call.Name.NamePos, c.frag(call), "may not nest aggregates")
	}
	form := "an item"
	if fn != Count {
		form = "an item or clamp(item, lower, upper)"
	}
	return refusal(startPos(arg), c.frag(arg), "may only compute %s() of %s, not of an expression: a person's contribution must be one value of one item", strings.ToUpper(string(fn)), form)
}

// clamp checks clamp(item, lower, upper) with numeric literal bounds.
func (c *checker) clamp(x *rq.Call) (column, [2]float64, error) {
	var b [2]float64
	if x.Star.IsValid() || x.Distinct.IsValid() || x.Over != nil || x.Filter != nil || len(x.Args) != 3 {
		return column{}, b, refusal(x.Name.NamePos, c.frag(x), "must write clamp(item, lower, upper) with two numbers lower < upper")
	}
	item := unparen(x.Args[0])
	switch item.(type) {
	case *rq.Ident, *rq.QualifiedRef:
	default:
		return column{}, b, refusal(startPos(item), c.frag(item), "may only clamp an item, not an expression")
	}
	v, err := c.scalar(item, inAggregate)
	if err != nil {
		return column{}, b, err
	}
	for i, a := range x.Args[1:] {
		f, ok := numberLiteral(a)
		if !ok {
			return column{}, b, refusal(startPos(a), c.frag(a), "must give clamp() numbers as bounds, not %s", c.frag(a))
		}
		if f < -maxBound || f > maxBound {
			return column{}, b, refusal(startPos(a), c.frag(a), "may only give clamp() bounds from -1e9 to 1e9")
		}
		b[i] = f
	}
	if b[0] >= b[1] {
		return column{}, b, refusal(startPos(x.Args[1]), c.frag(x), "must give clamp() a lower bound below its upper bound")
	}
	return v.col, b, nil
}

// numberLiteral reads a number literal, with an optional sign.
func numberLiteral(e rq.Expr) (float64, bool) {
	sign := 1.0
	e = unparen(e)
	if u, ok := e.(*rq.UnaryExpr); ok && (u.Op == rq.MINUS || u.Op == rq.PLUS) {
		if u.Op == rq.MINUS {
			sign = -1
		}
		e = unparen(u.X)
	}
	n, ok := e.(*rq.NumberLit)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(n.Value, 64)
	if err != nil {
		return 0, false
	}
	return sign * f, true
}

// from checks the FROM clause and returns its canonical form: tables
// aliased t1, t2, … by resource id, joined on their key items'
// equivalence classes, in a form that depends only on which rows it reads.
func (c *checker) from(src rq.Source) (string, error) {
	var ons []joinStep
	if err := c.sources(src, &ons); err != nil {
		return "", err
	}
	seen := map[string]*tableRef{}
	quals := map[string]bool{}
	for _, r := range c.refs {
		if seen[r.table.ID] != nil {
			return "", refusal(r.pos, r.table.ID, "reads resource %s twice", r.table.ID)
		}
		if quals[r.qualifier] {
			return "", refusal(r.pos, r.qualifier, "names two tables %q", r.qualifier)
		}
		seen[r.table.ID], quals[r.qualifier] = r, true
	}
	order := slices.Clone(c.refs)
	slices.SortFunc(order, func(a, b *tableRef) int { return strings.Compare(a.table.ID, b.table.ID) })
	for i, r := range order {
		r.index, r.alias = i, c.alias(i, r.table.ID)
	}
	c.order = order
	if len(order) == 1 {
		return quoteIdent(order[0].table.ID) + " AS " + quoteIdent(order[0].alias), nil
	}
	classes := newKeyClasses()
	for i, step := range ons {
		if err := c.joinOn(step, c.refs[:i+2], classes); err != nil {
			return "", err
		}
	}
	return c.canonicalJoin(order, classes)
}

// joinStep is the ON condition that joins one table to those before it.
type joinStep struct {
	joined *tableRef
	on     rq.Expr
	op     *rq.JoinOperator
}

// sources collects the tables of a FROM clause, in the order written,
// mirroring how the datastore prints rqlite's join chains.
func (c *checker) sources(src rq.Source, ons *[]joinStep) error {
	switch x := src.(type) {
	case *rq.QualifiedTableName:
		return c.table(x, nil)
	case *rq.ParenSource:
		switch in := x.X.(type) {
		case *rq.QualifiedTableName:
			return c.table(in, x.Alias)
		case *rq.SelectStatement:
			return refusal(x.Lparen, "(SELECT", "may not read a subquery: name zone resources only")
		}
		return refusal(x.Lparen, "(", "may not put joins in parentheses")
	case *rq.JoinClause:
		if err := c.sources(x.X, ons); err != nil {
			return err
		}
		if y, ok := x.Y.(*rq.JoinClause); ok {
			return c.leftDeep(y, x.Operator, x.Constraint, ons)
		}
		return c.joined(x.Operator, x.Y, x.Constraint, ons)
	}
	return refusal(rq.Pos{}, "", "may only read zone resources")
}

func (c *checker) leftDeep(j *rq.JoinClause, firstOp *rq.JoinOperator, first rq.JoinConstraint, ons *[]joinStep) error {
	if x, ok := j.X.(*rq.JoinClause); ok {
		if err := c.leftDeep(x, firstOp, first, ons); err != nil {
			return err
		}
	} else if err := c.joined(firstOp, j.X, first, ons); err != nil {
		return err
	}
	return c.joined(j.Operator, j.Y, j.Constraint, ons)
}

// joined checks one join operator and the table it joins.
func (c *checker) joined(op *rq.JoinOperator, src rq.Source, cons rq.JoinConstraint, ons *[]joinStep) error {
	switch {
	case op.Comma.IsValid():
		return refusal(op.Comma, ",", "may not join tables with a comma: write INNER JOIN ... ON with every key item of both resources")
	case op.Natural.IsValid():
		return refusal(op.Natural, "NATURAL", "may not use NATURAL JOIN: write INNER JOIN ... ON with every key item of both resources")
	case op.Left.IsValid() || op.Outer.IsValid():
		pos := op.Left
		if !pos.IsValid() {
			pos = op.Outer
		}
		return refusal(pos, "LEFT", "may not use outer joins: only INNER JOIN ... ON every key item, so that a joined row is one person")
	case op.Cross.IsValid():
		return refusal(op.Cross, "CROSS", "may not use CROSS JOIN: write INNER JOIN ... ON with every key item of both resources")
	}
	if err := c.sources(src, ons); err != nil {
		return err
	}
	on, ok := cons.(*rq.OnConstraint)
	if !ok {
		if u, isUsing := cons.(*rq.UsingConstraint); isUsing {
			return refusal(u.Using, "USING", "may not join with USING: write ON a.key = b.key for every key item")
		}
		return refusal(op.Join, "JOIN", "must join ON every key item of both resources (JOIN ... ON a.key = b.key)")
	}
	*ons = append(*ons, joinStep{joined: c.refs[len(c.refs)-1], on: on.X, op: op})
	return nil
}

func (c *checker) table(t *rq.QualifiedTableName, parenAlias *rq.Ident) error {
	name := t.Name.Name
	var table *Table
	for i := range c.schema.Tables {
		if c.schema.Tables[i].ID == name {
			table = &c.schema.Tables[i]
		}
	}
	if table == nil { // CheckSQL accepted only the schema's ids
		return refusal(t.Name.NamePos, name, "may only read zone resources, not %s", name)
	}
	r := &tableRef{table: table, qualifier: name, pos: t.Name.NamePos}
	alias := t.Alias
	if alias == nil {
		alias = parenAlias
	}
	if alias != nil {
		r.qualifier = identName(alias)
	}
	c.refs = append(c.refs, r)
	return nil
}

// joinOn checks that an ON condition equates every key item of the joined
// table with a key item of one table named before it, and every key item
// of that table with one of the joined table's: the join pairs each
// person's row with at most one row of the other.
func (c *checker) joinOn(step joinStep, visible []*tableRef, classes *keyClasses) error {
	on, err := datastore.Regroup(step.on)
	if err != nil {
		return err
	}
	y := step.joined
	var partner *tableRef
	covered := map[*tableRef]map[string]bool{}
	for _, conj := range conjuncts(on) {
		b, ok := unparen(conj).(*rq.BinaryExpr)
		var sides [2]column
		if ok && b.Op == rq.EQ {
			for i, side := range []rq.Expr{b.X, b.Y} {
				if sides[i], err = c.resolveIn(unparen(side), visible, true); err != nil {
					return err
				}
			}
		}
		if !ok || b.Op != rq.EQ || sides[0].ref == nil || sides[1].ref == nil {
			return refusal(startPos(conj), c.frag(conj), "may only join ON equalities of key items (a.key = b.key AND ...), not %s", c.frag(conj))
		}
		if sides[1].ref == y {
			sides[0], sides[1] = sides[1], sides[0]
		}
		other := sides[1].ref
		switch {
		case sides[0].ref != y || other == y:
			return refusal(startPos(conj), c.frag(conj), "must relate the joined resource's key items to another resource's in ON: %s does not", c.frag(conj))
		case partner != nil && other != partner:
			return refusal(startPos(conj), c.frag(conj), "may join resource %s to one resource before it only, on all key items of both", y.table.ID)
		case itemTyp(sides[0].item.Type) != itemTyp(sides[1].item.Type):
			return refusal(startPos(conj), c.frag(conj), "compares key items of different types (%s and %s)", sides[0].item.Type, sides[1].item.Type)
		}
		partner = other
		for _, s := range sides {
			if covered[s.ref] == nil {
				covered[s.ref] = map[string]bool{}
			}
			covered[s.ref][s.item.Name] = true
		}
		classes.union(sides[0], sides[1])
	}
	var missing []string
	for _, r := range []*tableRef{y, partner} {
		for _, k := range r.table.keys() {
			if !covered[r][k.Name] {
				missing = append(missing, r.qualifier+"."+k.Name)
			}
		}
	}
	if len(missing) > 0 {
		return refusal(startPos(on), c.frag(on), "must join ON every key item of both resources, so that a joined row is one person: %s not equated", strings.Join(missing, ", "))
	}
	return nil
}

// conjuncts splits a condition at its ANDs.
func conjuncts(e rq.Expr) []rq.Expr {
	if b, ok := unparen(e).(*rq.BinaryExpr); ok && b.Op == rq.AND {
		return append(conjuncts(b.X), conjuncts(b.Y)...)
	}
	return []rq.Expr{e}
}

// keyClasses are the classes of key columns the ON conditions make equal.
type keyClasses struct {
	parent map[column]column
}

func newKeyClasses() *keyClasses { return &keyClasses{parent: map[column]column{}} }

func (k *keyClasses) find(x column) column {
	p, ok := k.parent[x]
	if !ok || p == x {
		k.parent[x] = x
		return x
	}
	root := k.find(p)
	k.parent[x] = root
	return root
}

func (k *keyClasses) union(a, b column) { k.parent[k.find(a)] = k.find(b) }

func columnLess(a, b column) int {
	if a.ref.index != b.ref.index {
		return a.ref.index - b.ref.index
	}
	return strings.Compare(a.item.Name, b.item.Name)
}

// canonicalJoin prints the join of the tables in canonical order: in each
// class of equal key columns, the first column (by table, then item name)
// is equated with every other, in the ON of the later table.
func (c *checker) canonicalJoin(order []*tableRef, classes *keyClasses) (string, error) {
	members := map[column][]column{}
	for x := range classes.parent {
		root := classes.find(x)
		members[root] = append(members[root], x)
	}
	ons := make([][]string, len(order))
	var eqs []keyEq
	for _, m := range members {
		slices.SortFunc(m, columnLess)
		for _, other := range m[1:] {
			eqs = append(eqs, keyEq{m[0], other})
		}
	}
	slices.SortFunc(eqs, func(a, b keyEq) int {
		if d := columnLess(a.other, b.other); d != 0 {
			return d
		}
		return columnLess(a.first, b.first)
	})
	c.eqs = eqs
	for _, e := range eqs {
		at := max(e.other.ref.index, 1)
		cond, err := c.equality(e)
		if err != nil {
			return "", err
		}
		ons[at] = append(ons[at], cond)
	}
	var b strings.Builder
	for i, r := range order {
		if i > 0 {
			if len(ons[i]) == 0 {
				return "", fmt.Errorf("zsql: resource %s is joined on nothing", r.table.ID)
			}
			b.WriteString(" INNER JOIN ")
		}
		b.WriteString(quoteIdent(r.table.ID) + " AS " + quoteIdent(r.alias))
		if i > 0 {
			on := strings.Join(ons[i], " AND ")
			if len(ons[i]) > 1 {
				on = "(" + on + ")"
			}
			b.WriteString(" ON " + on)
		}
	}
	return b.String(), nil
}

// keyEq is one equality of the canonical join: in a class of equal key
// columns, the first (by table, then item name) and another.
type keyEq struct{ first, other column }

// equality prints a key equality as the join's ON writes it.
func (c *checker) equality(e keyEq) (string, error) {
	left, err := c.render(e.first.expr())
	if err != nil {
		return "", err
	}
	right, err := c.render(e.other.expr())
	if err != nil {
		return "", err
	}
	return "(" + left + " = " + right + ")", nil
}

// render prints a canonical expression.
func (c *checker) render(e rq.Expr) (string, error) {
	return datastore.RenderExpr(e, c.run)
}

func (t *Table) keys() []Item {
	var out []Item
	for _, it := range t.Items {
		if it.Role == RoleKey {
			out = append(out, it)
		}
	}
	return out
}

func (it *Item) numeric() bool {
	return it.Type == catalog.TypeInteger || it.Type == catalog.TypeDecimal
}
