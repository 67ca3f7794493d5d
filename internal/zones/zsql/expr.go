package zsql

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/datastore"

	rq "github.com/rqlite/sql"
)

// typ is the type of an expression as both databases compute it.
type typ uint8

const (
	tNull typ = iota // NULL only
	tInt
	tDec
	tText
	tString // a string literal: text, or a date or datetime written as text
	tBool
	tDate
	tDatetime
)

var typNames = [...]string{"null", "integer", "decimal", "text", "text", "boolean", "date", "datetime"}

func (t typ) String() string { return typNames[t] }

func (t typ) numeric() bool { return t == tInt || t == tDec || t == tNull }

func (t typ) itemType() catalog.ItemType {
	switch t {
	case tInt:
		return catalog.TypeInteger
	case tDec:
		return catalog.TypeDecimal
	case tText, tString:
		return catalog.TypeText
	case tBool:
		return catalog.TypeBoolean
	case tDate:
		return catalog.TypeDate
	case tDatetime:
		return catalog.TypeDatetime
	}
	return ""
}

func itemTyp(t catalog.ItemType) typ {
	switch t {
	case catalog.TypeInteger:
		return tInt
	case catalog.TypeDecimal:
		return tDec
	case catalog.TypeBoolean:
		return tBool
	case catalog.TypeDate:
		return tDate
	case catalog.TypeDatetime:
		return tDatetime
	}
	return tText
}

// where is the part of a statement an expression is in.
type where uint8

const (
	inWhere where = iota
	inGroup
	inSelect
	inAggregate
)

// value is a checked expression: its canonical tree (columns qualified by
// canonical aliases, operations that are operands in parentheses), its
// type, and the column when it is one.
type value struct {
	e   rq.Expr
	t   typ
	col column
}

// condition checks a WHERE condition and renders it.
func (c *checker) condition(e rq.Expr, at where, clause string) (string, error) {
	e, err := datastore.Regroup(e)
	if err != nil {
		return "", err
	}
	if a := findAggregate(e); a != nil {
		return "", refusal(a.Name.NamePos, c.frag(a), "may not use an aggregate in %s", clause)
	}
	v, err := c.scalar(e, at)
	if err != nil {
		return "", err
	}
	if v.t != tBool {
		return "", refusal(startPos(e), c.frag(e), "must give %s a condition (true or false), not a %s value", clause, v.t)
	}
	return c.render(v.e)
}

// scalar checks an expression of attributes and literals.
func (c *checker) scalar(e rq.Expr, at where) (value, error) {
	switch x := e.(type) {
	case *rq.ParenExpr:
		return c.scalar(x.X, at)
	case *rq.Ident:
		if !x.Quoted {
			switch strings.ToUpper(x.Name) {
			case "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP":
				return value{}, refusal(x.NamePos, x.Name, "may not use %s: a statement's result may not depend on when it runs", strings.ToUpper(x.Name))
			}
		}
		return c.item(x, at)
	case *rq.QualifiedRef:
		if x.Star.IsValid() {
			return value{}, refusal(x.Table.NamePos, c.frag(x), "may not select every item of a table (%s)", c.frag(x))
		}
		return c.item(x, at)
	case *rq.StringLit:
		return value{e: x, t: tString}, nil
	case *rq.NumberLit:
		if f, err := strconv.ParseFloat(x.Value, 64); err != nil || f > maxLiteral {
			return value{}, refusal(x.ValuePos, x.Value, "may only write numbers up to 1e15")
		}
		if strings.ContainsAny(x.Value, ".eE") {
			return value{e: x, t: tDec}, nil
		}
		return value{e: x, t: tInt}, nil
	case *rq.NullLit:
		return value{e: x, t: tNull}, nil
	case *rq.BoolLit:
		return value{e: x, t: tBool}, nil
	case *rq.UnaryExpr:
		return c.unary(x, at)
	case *rq.BinaryExpr:
		return c.binary(x, at)
	case *rq.Null:
		v, err := c.scalar(x.X, at)
		if err != nil {
			return value{}, err
		}
		return value{e: &rq.Null{X: operand(v.e), Op: x.Op, OpPos: x.OpPos}, t: tBool}, nil
	case *rq.Call:
		return c.call(x, at)
	case *rq.CaseExpr:
		return c.caseExpr(x, at)
	case *rq.CastExpr:
		return value{}, refusal(x.Cast, "CAST", "may not use CAST")
	case *rq.Exists:
		return value{}, refusal(startPos(x), "EXISTS", "may not use subqueries (EXISTS)")
	case rq.SelectExpr:
		return value{}, refusal(x.Select, "SELECT", "may not use subqueries")
	case *rq.ExprList:
		return value{}, refusal(x.Lparen, c.frag(x), "may not write a list of values here")
	}
	return value{}, refusal(startPos(e), c.frag(e), "may not use %s here", c.frag(e))
}

// operand parenthesises an operation that is an operand of another.
func operand(e rq.Expr) rq.Expr {
	switch x := e.(type) {
	case *rq.BinaryExpr, *rq.Null:
		return &rq.ParenExpr{X: e}
	case *rq.UnaryExpr:
		if x.Op == rq.NOT {
			return &rq.ParenExpr{X: e}
		}
	}
	return e
}

// item resolves a column reference and checks what its role permits here.
func (c *checker) item(e rq.Expr, at where) (value, error) {
	col, err := c.resolveIn(e, c.refs, false)
	if err != nil {
		return value{}, err
	}
	it, pos := col.item, startPos(e)
	switch it.Role {
	case RoleKey:
		if at == inGroup {
			return value{}, refusal(pos, c.frag(e), "may not group by the key item %q of resource %s: key items identify persons and may only join resources (JOIN ... ON)", it.Name, col.ref.table.ID)
		}
		return value{}, refusal(pos, c.frag(e), "may not use the key item %q of resource %s: key items identify persons and may only join resources (JOIN ... ON)", it.Name, col.ref.table.ID)
	case RoleText:
		return value{}, refusal(pos, c.frag(e), "may not use the free-text item %q of resource %s: free text may identify persons", it.Name, col.ref.table.ID)
	case RoleAttribute:
	default:
		return value{}, refusal(pos, c.frag(e), "may not use the item %q of resource %s: the zone gives it no role", it.Name, col.ref.table.ID)
	}
	return value{e: col.expr(), t: itemTyp(it.Type), col: col}, nil
}

// resolveIn finds the item a column reference names among refs. It
// returns a zero column for an expression that is no reference; keys
// requires a key item.
func (c *checker) resolveIn(e rq.Expr, refs []*tableRef, keys bool) (column, error) {
	var (
		qual *rq.Ident
		name *rq.Ident
	)
	switch x := e.(type) {
	case *rq.Ident:
		name = x
	case *rq.QualifiedRef:
		qual, name = x.Table, x.Column
	default:
		return column{}, nil
	}
	var found []column
	var searched []string
	for _, r := range refs {
		if qual != nil && !nameMatches(qual, r.qualifier) {
			continue
		}
		searched = append(searched, r.table.ID)
		for i := range r.table.Items {
			if nameMatches(name, r.table.Items[i].Name) {
				found = append(found, column{ref: r, item: &r.table.Items[i]})
			}
		}
	}
	pos := startPos(e)
	switch {
	case qual != nil && len(searched) == 0:
		return column{}, refusal(qual.NamePos, c.frag(e), "names no table %q here: qualify items with a table's alias, or its id when it has none", qual.Name)
	case len(found) == 0:
		what := "resource " + strings.Join(searched, ", ")
		if len(searched) > 1 {
			what = "resources " + strings.Join(searched, ", ")
		}
		return column{}, refusal(pos, c.frag(e), "names no item %q of %s", name.Name, what)
	case len(found) > 1:
		return column{}, refusal(pos, c.frag(e), "names the item %q, which resources %s and %s both have: qualify it with a table's alias", name.Name, found[0].ref.table.ID, found[1].ref.table.ID)
	case keys && found[0].item.Role != RoleKey:
		return column{}, refusal(pos, c.frag(e), "may only join ON key items: %q of resource %s is not one", found[0].item.Name, found[0].ref.table.ID)
	}
	return found[0], nil
}

// isItem reports whether an unqualified name names an item of the statement's tables.
func (c *checker) isItem(id *rq.Ident) bool {
	for _, r := range c.refs {
		for _, it := range r.table.Items {
			if nameMatches(id, it.Name) {
				return true
			}
		}
	}
	return false
}

// nameMatches compares a name as written with a name: quoted names
// exactly, unquoted ones ignoring ASCII case (as both databases do with
// the quoted, lower-cased name the datastore prints for the item's own).
func nameMatches(id *rq.Ident, name string) bool {
	if id.Quoted {
		return id.Name == name
	}
	return asciiLower(id.Name) == asciiLower(name)
}

func (c *checker) unary(x *rq.UnaryExpr, at where) (value, error) {
	v, err := c.scalar(x.X, at)
	if err != nil {
		return value{}, err
	}
	out := &rq.UnaryExpr{OpPos: x.OpPos, Op: x.Op, X: operand(v.e)}
	switch x.Op {
	case rq.NOT:
		if v.t != tBool && v.t != tNull {
			return value{}, refusal(x.OpPos, c.frag(x), "may only negate a condition with NOT, not a %s value", v.t)
		}
		return value{e: out, t: tBool}, nil
	case rq.MINUS, rq.PLUS:
		if !v.t.numeric() {
			return value{}, refusal(x.OpPos, c.frag(x), "may only give a sign to a number, not a %s value", v.t)
		}
		return value{e: out, t: v.t}, nil
	}
	return value{}, refusal(x.OpPos, x.Op.String(), "may not use the operator %s", x.Op)
}

var comparisons = []rq.Token{rq.EQ, rq.NE, rq.LT, rq.LE, rq.GT, rq.GE}

func (c *checker) binary(x *rq.BinaryExpr, at where) (value, error) {
	switch x.Op {
	case rq.IN, rq.NOTIN:
		return c.in(x, at)
	case rq.BETWEEN, rq.NOTBETWEEN:
		return c.between(x, at)
	case rq.LIKE, rq.NOTLIKE:
		return c.like(x, at)
	case rq.CONCAT, rq.BITAND, rq.BITOR, rq.LSHIFT, rq.RSHIFT, rq.GLOB, rq.NOTGLOB, rq.MATCH, rq.NOTMATCH,
		rq.REGEXP, rq.NOTREGEXP, rq.JSON_EXTRACT_JSON, rq.JSON_EXTRACT_SQL, rq.ESCAPE:
		return value{}, refusal(x.OpPos, x.Op.String(), "may not use the operator %s", x.Op)
	}
	l, err := c.scalar(x.X, at)
	if err != nil {
		return value{}, err
	}
	r, err := c.scalar(x.Y, at)
	if err != nil {
		return value{}, err
	}
	out := value{e: &rq.BinaryExpr{X: operand(l.e), OpPos: x.OpPos, Op: x.Op, Y: operand(r.e)}}
	switch {
	case x.Op == rq.AND || x.Op == rq.OR:
		if !(l.t == tBool || l.t == tNull) || !(r.t == tBool || r.t == tNull) {
			return value{}, refusal(x.OpPos, c.frag(x), "may only combine conditions with %s, not %s and %s values", x.Op, l.t, r.t)
		}
		out.t = tBool
	case slices.Contains(comparisons, x.Op):
		if err := c.compatible(x.OpPos, x, l, r); err != nil {
			return value{}, err
		}
		out.t = tBool
	case x.Op == rq.IS || x.Op == rq.ISNOT:
		switch y := r.e.(type) {
		case *rq.NullLit:
		case *rq.BoolLit:
			if l.t != tBool && l.t != tNull {
				return value{}, refusal(x.OpPos, c.frag(x), "may only ask whether a condition IS %v", strings.ToUpper(c.frag(y)))
			}
		default:
			return value{}, refusal(x.OpPos, c.frag(x), "may only write IS NULL, IS TRUE or IS FALSE (with NOT): compare values with = or <>")
		}
		out.t = tBool
	case x.Op == rq.PLUS || x.Op == rq.MINUS || x.Op == rq.STAR || x.Op == rq.SLASH || x.Op == rq.REM:
		if !l.t.numeric() || !r.t.numeric() {
			return value{}, refusal(x.OpPos, c.frag(x), "may only compute %s with numbers, not %s and %s values", x.Op, l.t, r.t)
		}
		out.t = tInt
		if l.t == tDec || r.t == tDec {
			if x.Op == rq.REM {
				return value{}, refusal(x.OpPos, c.frag(x), "may only take the remainder (%%) of whole numbers")
			}
			out.t = tDec
		}
		// A statement must not fail on some rows only: which rows made it
		// fail would tell what no released cell may. Division by zero (an
		// error on PostgreSQL) is ruled out by dividing by numbers only,
		// and integer overflow (an error on PostgreSQL, a double on SQLite)
		// by multiplying in double precision, a few times at most.
		switch x.Op {
		case rq.SLASH, rq.REM:
			if f, ok := numberLiteral(x.Y); !ok || f == 0 {
				return value{}, refusal(x.OpPos, c.frag(x), "may only divide by a number written in the statement, other than 0")
			}
		case rq.STAR:
			if c.products++; c.products > maxProducts {
				return value{}, refusal(x.OpPos, c.frag(x), "may not multiply more than %d times", maxProducts)
			}
			out.e.(*rq.BinaryExpr).X, out.t = cast(l.e, "float"), tDec
		}
	default:
		return value{}, refusal(x.OpPos, x.Op.String(), "may not use the operator %s", x.Op)
	}
	return out, nil
}

// compatible checks that two values compare alike on both databases.
func (c *checker) compatible(pos rq.Pos, whole rq.Expr, l, r value) error {
	a, b := l.t, r.t
	if a == tString {
		a, b, l, r = b, a, r, l
	}
	ok := a == b || a == tNull || b == tNull || (a.numeric() && b.numeric())
	if b == tString {
		switch a {
		case tText, tString:
			ok = true
		case tDate, tDatetime:
			lit := r.e.(*rq.StringLit)
			form, re := "YYYY-MM-DD", dateLiteral
			if a == tDatetime {
				form, re = "YYYY-MM-DD hh:mm:ss", datetimeLiteral
			}
			if !re.MatchString(lit.Value) {
				return refusal(startPos(lit), c.frag(lit), "must write a %s as '%s', not %s", a, form, c.frag(lit))
			}
			ok = true
		}
	}
	if !ok {
		return refusal(pos, c.frag(whole), "compares a %s value with a %s value", l.t, r.t)
	}
	return nil
}

var (
	dateLiteral     = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
	datetimeLiteral = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?$`)
)

// literal checks a literal of an IN list or a LIKE pattern.
func isLiteral(e rq.Expr) bool {
	switch x := unparen(e).(type) {
	case *rq.StringLit, *rq.NumberLit, *rq.NullLit, *rq.BoolLit:
		return true
	case *rq.UnaryExpr:
		_, ok := unparen(x.X).(*rq.NumberLit)
		return ok && (x.Op == rq.MINUS || x.Op == rq.PLUS)
	}
	return false
}

func (c *checker) in(x *rq.BinaryExpr, at where) (value, error) {
	l, err := c.scalar(x.X, at)
	if err != nil {
		return value{}, err
	}
	list, ok := x.Y.(*rq.ExprList)
	if !ok || len(list.Exprs) == 0 {
		return value{}, refusal(x.OpPos, c.frag(x), "must give IN a list of values")
	}
	out := &rq.ExprList{Exprs: make([]rq.Expr, len(list.Exprs))}
	for i, item := range list.Exprs {
		if _, ok := item.(rq.SelectExpr); ok {
			return value{}, refusal(startPos(item), "SELECT", "may not use subqueries (IN (SELECT ...))")
		}
		if !isLiteral(item) {
			return value{}, refusal(startPos(item), c.frag(item), "may only list literal values in IN (...)")
		}
		v, err := c.scalar(item, at)
		if err != nil {
			return value{}, err
		}
		if err := c.compatible(x.OpPos, x, l, v); err != nil {
			return value{}, err
		}
		out.Exprs[i] = v.e
	}
	return value{e: &rq.BinaryExpr{X: operand(l.e), OpPos: x.OpPos, Op: x.Op, Y: out}, t: tBool}, nil
}

func (c *checker) between(x *rq.BinaryExpr, at where) (value, error) {
	r, ok := x.Y.(*rq.Range)
	if !ok {
		return value{}, refusal(x.OpPos, c.frag(x), "has a BETWEEN without AND")
	}
	var vs [3]value
	for i, e := range []rq.Expr{x.X, r.X, r.Y} {
		v, err := c.scalar(e, at)
		if err != nil {
			return value{}, err
		}
		vs[i] = v
	}
	for _, bound := range vs[1:] {
		if err := c.compatible(x.OpPos, x, vs[0], bound); err != nil {
			return value{}, err
		}
	}
	return value{e: &rq.BinaryExpr{X: operand(vs[0].e), OpPos: x.OpPos, Op: x.Op,
		Y: &rq.Range{X: operand(vs[1].e), Y: operand(vs[2].e)}}, t: tBool}, nil
}

// like checks LIKE: a text value, a literal pattern and an optional
// one-character ESCAPE. It is printed as lower(x) LIKE lower(pattern),
// so that it ignores case on PostgreSQL as on SQLite.
func (c *checker) like(x *rq.BinaryExpr, at where) (value, error) {
	l, err := c.scalar(x.X, at)
	if err != nil {
		return value{}, err
	}
	if l.t != tText && l.t != tString && l.t != tNull {
		return value{}, refusal(x.OpPos, c.frag(x), "may only match text with LIKE, not a %s value", l.t)
	}
	pattern, escape := x.Y, rq.Expr(nil)
	if b, ok := x.Y.(*rq.BinaryExpr); ok && b.Op == rq.ESCAPE {
		pattern, escape = b.X, b.Y
	}
	lit, ok := unparen(pattern).(*rq.StringLit)
	if !ok {
		return value{}, refusal(startPos(pattern), c.frag(pattern), "must give LIKE a pattern written as text ('...')")
	}
	if len([]rune(lit.Value)) > maxPattern {
		return value{}, refusal(lit.ValuePos, c.frag(lit), "may only give LIKE a pattern of up to %d characters", maxPattern)
	}
	lower := func(e rq.Expr) rq.Expr {
		return &rq.Call{Name: &rq.Ident{Name: "lower"}, Args: []rq.Expr{e}}
	}
	var y rq.Expr = lower(lit)
	if escape != nil {
		esc, ok := unparen(escape).(*rq.StringLit)
		if !ok || len([]rune(esc.Value)) != 1 {
			return value{}, refusal(startPos(escape), c.frag(escape), "must give ESCAPE one character written as text")
		}
		// PostgreSQL fails on a pattern ending in its escape character.
		for p := []rune(lit.Value); len(p) > 0; p = p[1:] {
			if string(p[0]) == esc.Value && len(p) == 1 {
				return value{}, refusal(lit.ValuePos, c.frag(lit), "may not end a LIKE pattern with its ESCAPE character")
			} else if string(p[0]) == esc.Value {
				p = p[1:]
			}
		}
		y = &rq.BinaryExpr{X: y, Op: rq.ESCAPE, Y: esc}
	} else if strings.Contains(lit.Value, `\`) {
		return value{}, refusal(lit.ValuePos, c.frag(lit), `may only use a backslash in a LIKE pattern with ESCAPE '\' (the databases read it differently otherwise)`)
	}
	return value{e: &rq.BinaryExpr{X: lower(l.e), OpPos: x.OpPos, Op: x.Op, Y: y}, t: tBool}, nil
}

func (c *checker) call(x *rq.Call, at where) (value, error) {
	name := asciiLower(x.Name.Name)
	switch {
	case slices.Contains(aggregateFunctions, name):
		if at == inAggregate {
			return value{}, refusal(x.Name.NamePos, c.frag(x), "may not nest aggregates")
		}
		return value{}, refusal(x.Name.NamePos, c.frag(x), "may only use %s() as a result column of its own", strings.ToUpper(name))
	case name == clampName:
		return value{}, refusal(x.Name.NamePos, c.frag(x), "may only use clamp() as the argument of SUM, AVG, MIN or MAX")
	case x.Over != nil:
		return value{}, refusal(x.Over.Over, "OVER", "may not use window functions (OVER)")
	case x.Filter != nil:
		return value{}, refusal(x.Filter.Filter, "FILTER", "may not use FILTER")
	case x.Star.IsValid() || x.Distinct.IsValid():
		return value{}, refusal(x.Name.NamePos, c.frag(x), "may not write %s() with * or DISTINCT", name)
	}
	args := make([]value, len(x.Args))
	for i, a := range x.Args {
		v, err := c.scalar(a, at)
		if err != nil {
			return value{}, err
		}
		args[i] = v
	}
	arity := map[string][2]int{"abs": {1, 1}, "round": {1, 2}, "lower": {1, 1}, "upper": {1, 1}, "substr": {2, 3},
		"length": {1, 1}, "coalesce": {2, 32}, "nullif": {2, 2}}[name]
	if len(args) < arity[0] || len(args) > arity[1] {
		return value{}, refusal(x.Name.NamePos, c.frag(x), "gives %s() %d arguments: it takes %d to %d", name, len(args), arity[0], arity[1])
	}
	bad := func(i int, want string) error {
		return refusal(startPos(x.Args[i]), c.frag(x), "must give %s() %s, not a %s value", name, want, args[i].t)
	}
	exprs := make([]rq.Expr, len(args))
	for i, a := range args {
		exprs[i] = a.e
	}
	out := value{e: &rq.Call{Name: &rq.Ident{Name: name}, Args: exprs}}
	switch name {
	case "abs":
		if !args[0].t.numeric() {
			return value{}, bad(0, "a number")
		}
		out.t = args[0].t
	case "round":
		// round(x, n) is printed as CAST(round(CAST(x AS numeric), n) AS
		// float): PostgreSQL rounds only numeric to digits, and the result
		// is a double on both databases.
		if !args[0].t.numeric() {
			return value{}, bad(0, "a number")
		}
		digits := rq.Expr(&rq.NumberLit{Value: "0"})
		if len(args) == 2 {
			n, ok := unparen(x.Args[1]).(*rq.NumberLit)
			d, err := strconv.Atoi(litValue(n, ok))
			if !ok || err != nil || d < 0 || d > maxRound {
				return value{}, refusal(startPos(x.Args[1]), c.frag(x), "must give round() its digits as a whole number from 0 to %d", maxRound)
			}
			digits = n
		}
		inner := &rq.Call{Name: &rq.Ident{Name: "round"}, Args: []rq.Expr{cast(args[0].e, "numeric"), digits}}
		out = value{e: cast(inner, "float"), t: tDec}
	case "lower", "upper":
		if args[0].t != tText && args[0].t != tString && args[0].t != tNull {
			return value{}, bad(0, "text")
		}
		out.t = tText
	case "length":
		if args[0].t != tText && args[0].t != tString && args[0].t != tNull {
			return value{}, bad(0, "text")
		}
		out.t = tInt
	case "substr":
		if args[0].t != tText && args[0].t != tString && args[0].t != tNull {
			return value{}, bad(0, "text")
		}
		for i := range args[1:] {
			// The databases disagree on positions below 1 and negative lengths.
			n, ok := unparen(x.Args[i+1]).(*rq.NumberLit)
			v, err := strconv.Atoi(litValue(n, ok))
			if !ok || err != nil || v < 1-i {
				return value{}, refusal(startPos(x.Args[i+1]), c.frag(x), "must give substr() a start from 1 and a length from 0, as whole numbers")
			}
		}
		out.t = tText
	case "coalesce", "nullif":
		out.t = tNull
		for i, a := range args {
			if err := c.compatible(startPos(x.Args[i]), x, args[0], a); err != nil {
				return value{}, err
			}
			if out.t == tNull || out.t == tString {
				out.t = a.t
			}
		}
		if out.t == tString {
			out.t = tText
		}
	}
	return out, nil
}

func cast(e rq.Expr, to string) rq.Expr {
	return &rq.CastExpr{X: e, Type: &rq.Type{Name: &rq.Ident{Name: to}}}
}

func (c *checker) caseExpr(x *rq.CaseExpr, at where) (value, error) {
	out := &rq.CaseExpr{}
	var subject value
	if x.Operand != nil {
		v, err := c.scalar(x.Operand, at)
		if err != nil {
			return value{}, err
		}
		subject, out.Operand = v, v.e
	}
	result := value{t: tNull}
	add := func(e rq.Expr) (rq.Expr, error) {
		v, err := c.scalar(e, at)
		if err != nil {
			return nil, err
		}
		if result.t == tNull || result.t == tString {
			if result.e == nil || v.t != tNull {
				result = v
			}
		}
		if err := c.compatible(startPos(e), x, result, v); err != nil {
			return nil, err
		}
		return v.e, nil
	}
	for _, b := range x.Blocks {
		cond, err := c.scalar(b.Condition, at)
		if err != nil {
			return value{}, err
		}
		if x.Operand != nil {
			if err := c.compatible(startPos(b.Condition), x, subject, cond); err != nil {
				return value{}, err
			}
		} else if cond.t != tBool && cond.t != tNull {
			return value{}, refusal(startPos(b.Condition), c.frag(b.Condition), "must give WHEN a condition, not a %s value", cond.t)
		}
		body, err := add(b.Body)
		if err != nil {
			return value{}, err
		}
		out.Blocks = append(out.Blocks, &rq.CaseBlock{Condition: cond.e, Body: body})
	}
	if x.ElseExpr != nil {
		e, err := add(x.ElseExpr)
		if err != nil {
			return value{}, err
		}
		out.ElseExpr = e
	}
	t := result.t
	if t == tString {
		t = tText
	}
	return value{e: out, t: t}, nil
}

// unparen strips parentheses.
func unparen(e rq.Expr) rq.Expr {
	for {
		p, ok := e.(*rq.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

// startPos is where an expression begins, as near as the tree knows.
func startPos(e rq.Expr) rq.Pos {
	switch x := e.(type) {
	case *rq.Ident:
		return x.NamePos
	case *rq.QualifiedRef:
		return x.Table.NamePos
	case *rq.StringLit:
		return x.ValuePos
	case *rq.NumberLit:
		return x.ValuePos
	case *rq.BoolLit:
		return x.ValuePos
	case *rq.BlobLit:
		return x.ValuePos
	case *rq.TimestampLit:
		return x.ValuePos
	case *rq.BindExpr:
		return x.NamePos
	case *rq.NullLit:
		return x.Pos
	case *rq.UnaryExpr:
		return x.OpPos
	case *rq.BinaryExpr:
		return startPos(x.X)
	case *rq.Null:
		return startPos(x.X)
	case *rq.ParenExpr:
		if x.Lparen.IsValid() {
			return x.Lparen
		}
		return startPos(x.X)
	case *rq.Call:
		return x.Name.NamePos
	case *rq.CaseExpr:
		return x.Case
	case *rq.CastExpr:
		return x.Cast
	case *rq.Exists:
		if x.Not.IsValid() {
			return x.Not
		}
		return x.Exists
	case rq.SelectExpr:
		return x.Select
	case *rq.ExprList:
		return x.Lparen
	}
	return rq.Pos{}
}

// frag is an expression as the statement writes it (as rqlite prints it
// when its end is not known).
func (c *checker) frag(e rq.Expr) string {
	start, end := startPos(e), c.end(e)
	if start.IsValid() && start.Offset >= 0 && end > start.Offset && end <= len(c.src) {
		return string(c.src[start.Offset:end])
	}
	return e.String()
}

// end is the offset (in characters) just after an expression, or -1.
func (c *checker) end(e rq.Expr) int {
	after := func(p rq.Pos, n int) int {
		if !p.IsValid() {
			return -1
		}
		return p.Offset + n
	}
	switch x := e.(type) {
	case *rq.Ident:
		n := len([]rune(x.Name))
		if x.Quoted {
			n += 2 + strings.Count(x.Name, `"`)
		}
		return after(x.NamePos, n)
	case *rq.QualifiedRef:
		if x.Star.IsValid() {
			return after(x.Star, 1)
		}
		return c.end(x.Column)
	case *rq.StringLit:
		return after(x.ValuePos, len([]rune(x.Value))+2+strings.Count(x.Value, "'"))
	case *rq.NumberLit:
		return after(x.ValuePos, len([]rune(x.Value)))
	case *rq.NullLit:
		return after(x.Pos, 4)
	case *rq.BoolLit:
		return after(x.ValuePos, len(x.String()))
	case *rq.BinaryExpr:
		if r, ok := x.Y.(*rq.Range); ok {
			return c.end(r.Y)
		}
		return c.end(x.Y)
	case *rq.UnaryExpr:
		return c.end(x.X)
	case *rq.Null:
		if !x.OpPos.IsValid() || x.OpPos.Offset > len(c.src) {
			return -1
		}
		if i := strings.Index(strings.ToUpper(string(c.src[x.OpPos.Offset:])), "NULL"); i >= 0 {
			return x.OpPos.Offset + len([]rune(strings.ToUpper(string(c.src[x.OpPos.Offset:]))[:i])) + 4
		}
	case *rq.Call:
		return after(x.Rparen, 1)
	case *rq.CaseExpr:
		return after(x.End, 3)
	case *rq.CastExpr:
		return after(x.Rparen, 1)
	case *rq.ParenExpr:
		if x.Rparen.IsValid() {
			return after(x.Rparen, 1)
		}
		return c.end(x.X)
	case *rq.ExprList:
		return after(x.Rparen, 1)
	case *rq.Exists:
		return after(x.Rparen, 1)
	}
	return -1
}

// identName is a name as the databases read it: quoted as written,
// unquoted lower-cased.
func identName(id *rq.Ident) string {
	if id.Quoted {
		return id.Name
	}
	return asciiLower(id.Name)
}

// asciiLower lower-cases ASCII letters only, as the datastore does (no
// Unicode folding: look-alikes must not become names).
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func quoteString(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// clampSQL is clamp(x, lo, hi) as both databases compute it. An integer
// item clamped to integral bounds stays an integer; otherwise the bounds
// are written as decimals and the item's value is a double, so that the
// value's type does not depend on which rows were clamped.
func clampSQL(x string, t catalog.ItemType, lo, hi float64) string {
	integral := t == catalog.TypeInteger && lo == float64(int64(lo)) && hi == float64(int64(hi))
	l, h, v := numberSQL(lo, integral, int64(lo)), numberSQL(hi, integral, int64(hi)), x
	if !integral && t == catalog.TypeInteger {
		v = "CAST(" + x + " AS float)"
	}
	return "CASE WHEN (" + x + " < " + l + ") THEN " + l + " WHEN (" + x + " > " + h + ") THEN " + h + " ELSE " + v + " END"
}

// numberSQL writes a number as a literal both databases read alike: an
// integer (i, when integer), or a decimal with a point and no exponent;
// negative numbers in parentheses.
func numberSQL(f float64, integer bool, i int64) string {
	var s string
	if integer {
		s = strconv.FormatInt(i, 10)
	} else {
		s = strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
	}
	if strings.HasPrefix(s, "-") {
		return "(" + s + ")"
	}
	return s
}
