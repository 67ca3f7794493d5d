package datastore

import (
	rq "github.com/rqlite/sql"
)

// rqlite's parser groups some operations wrongly: a leading NOT binds
// only its first operand ("NOT a = b" parses as (NOT a) = b), and IS NOT,
// NOT LIKE and the other two-word operators take everything after them,
// AND and OR included ("a IS NOT NULL AND b" parses as a IS NOT (NULL AND
// b)). It keeps the order of operands and operators, so regroup takes a
// tree of operations apart in that order and groups it again by SQLite's
// precedence (OR, AND, NOT, = IS IN LIKE BETWEEN, < <= > >=, ESCAPE,
// & | << >>, + -, * / %, ||). Parenthesised expressions, subqueries,
// calls and the like are operands: their insides are regrouped when they
// are printed.

// sqlPrecedence is SQLite's binding strength of each operator; prefix NOT
// is 3.
var sqlPrecedence = map[rq.Token]int{
	rq.OR: 1, rq.AND: 2, rq.NOT: 3,
	rq.EQ: 4, rq.NE: 4, rq.IS: 4, rq.ISNOT: 4, rq.IN: 4, rq.NOTIN: 4, rq.LIKE: 4, rq.NOTLIKE: 4, rq.GLOB: 4, rq.NOTGLOB: 4,
	rq.MATCH: 4, rq.NOTMATCH: 4, rq.REGEXP: 4, rq.NOTREGEXP: 4, rq.BETWEEN: 4, rq.NOTBETWEEN: 4, rq.ISNULL: 4, rq.NOTNULL: 4,
	rq.LT: 5, rq.LE: 5, rq.GT: 5, rq.GE: 5,
	rq.ESCAPE: 6,
	rq.BITAND: 7, rq.BITOR: 7, rq.LSHIFT: 7, rq.RSHIFT: 7,
	rq.PLUS: 8, rq.MINUS: 8,
	rq.STAR: 9, rq.SLASH: 9, rq.REM: 9,
	rq.CONCAT: 10, rq.JSON_EXTRACT_JSON: 10, rq.JSON_EXTRACT_SQL: 10,
}

// isOperation reports whether e is an operation regroup takes apart.
func isOperation(e rq.Expr) bool {
	switch x := e.(type) {
	case *rq.BinaryExpr, *rq.Null:
		return true
	case *rq.UnaryExpr:
		return x.Op == rq.NOT
	}
	return false
}

// opItem is an operand (op 0) or an operator, in the order written.
type opItem struct {
	op   rq.Token
	pos  rq.Pos
	expr rq.Expr
}

func flattenOps(e rq.Expr, out []opItem) []opItem {
	switch x := e.(type) {
	case *rq.BinaryExpr:
		out = flattenOps(x.X, out)
		out = append(out, opItem{op: x.Op, pos: x.OpPos})
		if r, ok := x.Y.(*rq.Range); ok && (x.Op == rq.BETWEEN || x.Op == rq.NOTBETWEEN) {
			out = flattenOps(r.X, out)
			out = append(out, opItem{op: rq.AND, pos: r.And})
			return flattenOps(r.Y, out)
		}
		if x.Op == rq.IN || x.Op == rq.NOTIN {
			return append(out, opItem{expr: x.Y})
		}
		return flattenOps(x.Y, out)
	case *rq.UnaryExpr:
		if x.Op == rq.NOT {
			return flattenOps(x.X, append(out, opItem{op: rq.NOT, pos: x.OpPos}))
		}
	case *rq.Null:
		return append(flattenOps(x.X, out), opItem{op: x.Op, pos: x.OpPos})
	}
	return append(out, opItem{expr: e})
}

// regroup returns e grouped by SQLite's precedence, or nil after a refusal.
func (p *sqlPrinter) regroup(e rq.Expr) rq.Expr {
	if p.regrouped == nil {
		p.regrouped = map[rq.Expr]bool{}
	}
	g := &opGrouper{items: flattenOps(e, nil), built: p.regrouped}
	out := g.expr(1)
	if g.bad == nil && g.i < len(g.items) {
		g.bad = &g.items[g.i]
	}
	if g.bad != nil {
		p.fail(g.bad.pos, g.bad.op.String(), "has an operator this service cannot group here (%s): add parentheses", g.bad.op)
		return nil
	}
	return out
}

type opGrouper struct {
	items []opItem
	i     int
	bad   *opItem // where grouping failed
	built map[rq.Expr]bool
}

func (g *opGrouper) next() (opItem, bool) {
	if g.bad != nil || g.i >= len(g.items) {
		if g.bad == nil {
			g.bad = &opItem{}
		}
		return opItem{}, false
	}
	g.i++
	return g.items[g.i-1], true
}

// expr groups operations binding at least as strongly as min, by
// precedence climbing.
func (g *opGrouper) expr(min int) rq.Expr {
	first, ok := g.next()
	if !ok {
		return nil
	}
	var left rq.Expr
	switch first.op {
	case 0:
		left = first.expr
	case rq.NOT:
		left = g.build(&rq.UnaryExpr{OpPos: first.pos, Op: rq.NOT, X: g.expr(sqlPrecedence[rq.NOT] + 1)})
	default:
		g.bad = &g.items[g.i-1]
		return nil
	}
	for g.bad == nil && g.i < len(g.items) {
		it := g.items[g.i]
		prec, known := sqlPrecedence[it.op]
		if it.op == 0 || !known || it.op == rq.NOT {
			g.bad = &g.items[g.i]
			return nil
		}
		if prec < min {
			break
		}
		g.i++
		switch it.op {
		case rq.ISNULL, rq.NOTNULL:
			left = g.build(&rq.Null{X: left, Op: it.op, OpPos: it.pos})
		case rq.BETWEEN, rq.NOTBETWEEN:
			low := g.expr(prec + 1)
			and, ok := g.next()
			if ok && and.op != rq.AND {
				g.bad = &g.items[g.i-1]
			}
			high := g.expr(prec + 1)
			left = g.build(&rq.BinaryExpr{X: left, OpPos: it.pos, Op: it.op, Y: &rq.Range{X: low, And: and.pos, Y: high}})
		case rq.IN, rq.NOTIN:
			list, _ := g.next()
			left = g.build(&rq.BinaryExpr{X: left, OpPos: it.pos, Op: it.op, Y: list.expr})
		default:
			left = g.build(&rq.BinaryExpr{X: left, OpPos: it.pos, Op: it.op, Y: g.expr(prec + 1)})
		}
	}
	return left
}

func (g *opGrouper) build(e rq.Expr) rq.Expr {
	g.built[e] = true
	return e
}
