package datastore

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	rq "github.com/rqlite/sql"
)

// SQLPolicy says what a statement checked by CheckSQL may name: the tables
// it may read and the functions it may call. The datastore's policy names
// resources by id; the public-data-zones sandbox brings its own.
type SQLPolicy struct {
	// IsTable reports whether name, as written in a FROM clause (without
	// its quotes; unquoted names lower-cased), names a table the caller
	// can resolve. Names it refuses, other than the statement's own WITH
	// names, make the statement refused. It MUST accept only names that
	// cannot be confused with anything in the database: the rendered
	// statement names the resolved table instead.
	IsTable func(name string) bool
	// TableNoun and TableForm name the tables in refusals: "may only read
	// <noun>s (<form>), not users".
	TableNoun, TableForm string
	// Functions are the functions a statement may call, in lower case
	// (letters, digits and underscores only).
	Functions []string
}

// Limits of a checked statement, well inside SQLite's own (which the
// runner also lowers on its connection).
const (
	// MaxSQLLength is the longest statement accepted, in characters.
	MaxSQLLength = 20000
	maxSQLDepth  = 100 // nesting of expressions and subqueries
	maxSQLTables = 16  // table references in all FROM clauses together
	maxCompound  = 8   // SELECTs joined by UNION, INTERSECT or EXCEPT
)

// CheckedSQL is one SELECT statement that parsed (SQLite's grammar, with
// github.com/rqlite/sql) and passed an SQLPolicy: every table it reads, in
// FROM clauses, joins, parentheses, subqueries anywhere and WITH clauses, is
// either one of its own WITH names or a name the policy accepts; every
// function it calls is allowed by its resolved name; and it uses only the
// part of the language that Render prints for both SQLite and PostgreSQL.
// A CheckedSQL is immutable and safe for concurrent use.
type CheckedSQL struct {
	text      string
	stmt      *rq.SelectStatement
	policy    SQLPolicy
	tables    []string
	functions []string
	normal    string
}

// SQLRefusal is why a statement was refused, and where.
type SQLRefusal struct {
	Line, Column int    // 1-based position in the statement; 0 when not known
	Fragment     string // the refused part, at most 80 characters
	Reason       string
}

func (e *SQLRefusal) Error() string {
	if e.Line == 0 {
		return e.Reason
	}
	return fmt.Sprintf("%s (line %d, column %d)", e.Reason, e.Line, e.Column)
}

// CheckSQL parses text as one SELECT statement and checks it against the
// policy. A refusal is an *SQLRefusal naming the position and reason.
func CheckSQL(text string, policy SQLPolicy) (*CheckedSQL, error) {
	stmt, err := parseSelect(text)
	if err != nil {
		return nil, err
	}
	c := &CheckedSQL{text: text, stmt: stmt, policy: policy}
	p := c.printer(nil)
	p.statement(stmt)
	if p.err != nil {
		return nil, p.err
	}
	c.tables, c.functions, c.normal = p.tables, p.functions, p.b.String()
	return c, nil
}

// Tables are the policy's table names the statement reads, each once, in
// the order they first appear.
func (c *CheckedSQL) Tables() []string { return slices.Clone(c.tables) }

// Functions are the resolved names of the functions the statement calls,
// each once.
func (c *CheckedSQL) Functions() []string { return slices.Clone(c.functions) }

// Text is the statement as given.
func (c *CheckedSQL) Text() string { return c.text }

// String is the statement as Render prints it, with the policy's table
// names left as written.
func (c *CheckedSQL) String() string { return c.normal }

// Render prints the statement with every table the policy
// named replaced by tables[name] (each reference keeps its name as its
// alias, so qualified column names still resolve). Identifiers are always
// quoted (unquoted ones lower-cased, as PostgreSQL folds them), every
// operation is parenthesised, and only syntax both SQLite and PostgreSQL
// read the same way is printed. It fails if a table has no replacement.
func (c *CheckedSQL) Render(tables map[string]string) (string, error) {
	for _, name := range c.tables {
		if _, ok := tables[name]; !ok {
			return "", fmt.Errorf("datastore: no table given for %q", name)
		}
	}
	p := c.printer(tables)
	p.statement(c.stmt)
	if p.err != nil {
		return "", p.err
	}
	return p.b.String(), nil
}

func (c *CheckedSQL) printer(tables map[string]string) *sqlPrinter {
	return &sqlPrinter{policy: c.policy, replace: tables}
}

// parseSelect parses exactly one statement and requires it to be a SELECT.
func parseSelect(text string) (*rq.SelectStatement, error) {
	switch {
	case strings.TrimSpace(text) == "":
		return nil, &SQLRefusal{Reason: "is required"}
	case utf8.RuneCountInString(text) > MaxSQLLength:
		return nil, &SQLRefusal{Reason: fmt.Sprintf("is longer than %d characters", MaxSQLLength)}
	case !utf8.ValidString(text):
		return nil, &SQLRefusal{Reason: "is not valid UTF-8"}
	case strings.ContainsRune(text, 0):
		return nil, &SQLRefusal{Reason: "contains a NUL character"}
	}
	parser := rq.NewParser(strings.NewReader(distinctFromAsIs(text)))
	stmt, err := parser.ParseStatement()
	if err != nil {
		return nil, parseRefusal(text, err)
	}
	sel, ok := stmt.(*rq.SelectStatement)
	if !ok {
		return nil, &SQLRefusal{Reason: "must be one SELECT statement", Fragment: statementKind(stmt)}
	}
	if _, err := parser.ParseStatement(); !errors.Is(err, io.EOF) {
		return nil, &SQLRefusal{Reason: "must be a single statement"}
	}
	return sel, nil
}

// distinctFromAsIs rewrites PostgreSQL's x IS [NOT] DISTINCT FROM y, which
// SQLite's grammar lacks, as SQLite's x IS [NOT] y, meaning the same, so
// that statements written for PostgreSQL (and this package's own printed
// ones) are read. Words are replaced by spaces, so every other token keeps
// its line and column for refusals; strings, quoted names and comments are
// untouched, as the scanner skips them whole.
func distinctFromAsIs(text string) string {
	if !strings.Contains(strings.ToUpper(text), "DISTINCT") {
		return text
	}
	runes := []rune(text)
	type token struct {
		offset int
		tok    rq.Token
		lit    string
	}
	var tokens []token
	s := rq.NewScanner(strings.NewReader(text))
	for range len(runes) + 1 {
		pos, tok, lit := s.Scan()
		if tok == rq.EOF {
			break
		}
		if tok != rq.COMMENT {
			tokens = append(tokens, token{pos.Offset, tok, lit})
		}
	}
	blank := func(t token, with string) {
		n := utf8.RuneCountInString(t.lit)
		if t.offset < 0 || t.offset+n > len(runes) {
			return
		}
		copy(runes[t.offset:t.offset+n], []rune(with+strings.Repeat(" ", n-len(with))))
	}
	for i := 0; i+2 < len(tokens); i++ {
		if tokens[i].tok != rq.IS {
			continue
		}
		switch {
		case tokens[i+1].tok == rq.DISTINCT && tokens[i+2].tok == rq.FROM:
			blank(tokens[i+1], "NOT")
			blank(tokens[i+2], "")
		case i+3 < len(tokens) && tokens[i+1].tok == rq.NOT && tokens[i+2].tok == rq.DISTINCT && tokens[i+3].tok == rq.FROM:
			blank(tokens[i+1], "")
			blank(tokens[i+2], "")
			blank(tokens[i+3], "")
		}
	}
	return string(runes)
}

func parseRefusal(text string, err error) error {
	var perr *rq.Error
	if !errors.As(err, &perr) {
		return &SQLRefusal{Reason: "is not SQL this service reads: " + err.Error()}
	}
	r := &SQLRefusal{Line: perr.Pos.Line, Column: perr.Pos.Column,
		Reason: "is not SQL this service reads (" + perr.Msg + "): only one SELECT in SQLite's grammar is read"}
	if want, found, ok := strings.Cut(strings.TrimPrefix(perr.Msg, "expected "), ", found "); ok {
		found = strings.Trim(found, "'")
		if found == "ILLEGAL" {
			found = runeAt(text, perr.Pos.Line, perr.Pos.Column)
			r.Fragment = found
			r.Reason = fmt.Sprintf("has a character SQL does not allow here: %q (%U)", found, []rune(found + " ")[0])
			return r
		}
		r.Fragment = found
		r.Reason = fmt.Sprintf("may not use %s here (expected %s): only one SELECT in SQLite's grammar is read", found, want)
	}
	return r
}

// runeAt is the character at a 1-based line and column (in characters).
func runeAt(text string, line, column int) string {
	for i, l := range strings.Split(text, "\n") {
		if i+1 == line {
			if r := []rune(l); column >= 1 && column <= len(r) {
				return string(r[column-1])
			}
		}
	}
	return ""
}

func statementKind(stmt rq.Statement) string {
	name := fmt.Sprintf("%T", stmt)
	return strings.TrimSuffix(strings.TrimPrefix(name, "*sql."), "Statement")
}

// sqlPrinter checks and prints a statement in one walk, so what is checked
// is exactly what is printed: a node it does not know is refused, never
// copied through.
type sqlPrinter struct {
	policy  SQLPolicy
	replace map[string]string // policy table name → table printed; nil prints the name

	b         strings.Builder
	err       error
	depth     int
	sources   int
	subquery  int
	tables    []string
	functions []string
	regrouped map[rq.Expr]bool // operations regroup built, printed as they are
}

// cteScope is the WITH names visible where a FROM clause is read.
type cteScope struct {
	names  []string // lower-cased
	parent *cteScope
}

func (s *cteScope) has(name string) bool {
	for ; s != nil; s = s.parent {
		if slices.Contains(s.names, name) {
			return true
		}
	}
	return false
}

func (p *sqlPrinter) fail(pos rq.Pos, fragment, format string, args ...any) {
	if p.err != nil {
		return
	}
	if r := []rune(fragment); len(r) > 80 {
		fragment = string(r[:80])
	}
	p.err = &SQLRefusal{Line: pos.Line, Column: pos.Column, Fragment: fragment, Reason: fmt.Sprintf(format, args...)}
}

func (p *sqlPrinter) w(parts ...string) {
	for _, s := range parts {
		p.b.WriteString(s)
	}
}

// enter counts one level of nesting; the caller defers p.leave().
func (p *sqlPrinter) enter(pos rq.Pos) bool {
	p.depth++
	if p.depth > maxSQLDepth {
		p.fail(pos, "", "nests expressions or subqueries more than %d deep", maxSQLDepth)
	}
	return p.err == nil
}

func (p *sqlPrinter) leave() { p.depth-- }

func (p *sqlPrinter) statement(s *rq.SelectStatement) {
	p.selectStatement(s, nil)
	if p.err == nil && len(p.tables) == 0 {
		p.err = &SQLRefusal{Reason: fmt.Sprintf("must read at least one %s: %s", p.policy.TableNoun, p.policy.TableForm)}
	}
}

// selectStatement prints s, its compounded SELECTs, ORDER BY and LIMIT.
func (p *sqlPrinter) selectStatement(s *rq.SelectStatement, outer *cteScope) {
	if !p.enter(s.Select) {
		return
	}
	defer p.leave()
	scope := outer
	if s.WithClause != nil {
		scope = p.with(s.WithClause, outer)
	}
	members := 0
	for core := s; core != nil; core = core.Compound {
		if members++; members > maxCompound {
			p.fail(core.Select, "", "joins more than %d SELECTs with UNION, INTERSECT or EXCEPT", maxCompound)
			return
		}
		if core != s && (core.WithClause != nil || len(core.OrderingTerms) > 0 || core.LimitExpr != nil) {
			p.fail(core.Select, "", "may only give WITH, ORDER BY and LIMIT once for all SELECTs of a UNION, INTERSECT or EXCEPT")
			return
		}
		p.selectCore(core, scope)
		if core.Compound != nil {
			p.w(" ", compoundOperator(core), " ")
		}
	}
	if len(s.OrderingTerms) > 0 {
		p.w(" ORDER BY ")
		p.orderingTerms(s.OrderingTerms, scope)
	}
	p.limit(s, scope)
}

// compoundOperator is the operator joining s to s.Compound.
func compoundOperator(s *rq.SelectStatement) string {
	switch {
	case s.UnionAll.IsValid():
		return "UNION ALL"
	case s.Union.IsValid():
		return "UNION"
	case s.Intersect.IsValid():
		return "INTERSECT"
	}
	return "EXCEPT"
}

// with prints a WITH clause and returns the scope its names are visible in.
// A name is visible in the WITH tables after it and in the statement, as
// PostgreSQL reads a WITH without RECURSIVE; a name the policy would take
// for a table is refused, so no reference can mean one thing here and
// another in the database.
func (p *sqlPrinter) with(w *rq.WithClause, outer *cteScope) *cteScope {
	if w.Recursive.IsValid() {
		p.fail(w.Recursive, "RECURSIVE", "may not use WITH RECURSIVE")
		return outer
	}
	scope := &cteScope{parent: outer}
	p.w("WITH ")
	for i, cte := range w.CTEs {
		name := asciiLower(cte.TableName.Name)
		switch {
		case p.policy.IsTable(cte.TableName.Name) || p.policy.IsTable(name):
			p.fail(cte.TableName.NamePos, cte.TableName.Name, "may not name a WITH table %q like a table it reads", cte.TableName.Name)
		case slices.Contains(scope.names, name):
			p.fail(cte.TableName.NamePos, cte.TableName.Name, "names the WITH table %q twice", cte.TableName.Name)
		case name == "":
			p.fail(cte.TableName.NamePos, "", "may not use an empty name")
		}
		if i > 0 {
			p.w(", ")
		}
		p.w(quoteIdent(name))
		if len(cte.Columns) > 0 {
			p.w(" (")
			p.identList(cte.Columns)
			p.w(")")
		}
		p.w(" AS (")
		p.selectStatement(cte.Select, scope)
		p.w(")")
		scope.names = append(scope.names, name)
	}
	p.w(" ")
	return scope
}

// selectCore prints one SELECT of a compound, without ORDER BY or LIMIT.
func (p *sqlPrinter) selectCore(s *rq.SelectStatement, scope *cteScope) {
	switch {
	case s.Values.IsValid():
		p.fail(s.Values, "VALUES", "may not use VALUES")
		return
	case len(s.Windows) > 0:
		p.fail(s.Window, "WINDOW", "may not use WINDOW clauses: write OVER (PARTITION BY ... ORDER BY ...) instead")
		return
	}
	p.w("SELECT ")
	if s.Distinct.IsValid() {
		p.w("DISTINCT ")
	}
	for i, col := range s.Columns {
		if i > 0 {
			p.w(", ")
		}
		p.resultColumn(col, scope)
	}
	if s.Source != nil {
		p.w(" FROM ")
		p.source(s.Source, scope)
	}
	if s.WhereExpr != nil {
		p.w(" WHERE ")
		p.expr(s.WhereExpr, scope)
	}
	if len(s.GroupByExprs) > 0 {
		p.w(" GROUP BY ")
		p.exprList(s.GroupByExprs, scope)
	}
	if s.HavingExpr != nil {
		p.w(" HAVING ")
		p.expr(s.HavingExpr, scope)
	}
}

func (p *sqlPrinter) resultColumn(col *rq.ResultColumn, scope *cteScope) {
	if col.Star.IsValid() {
		p.w("*")
		return
	}
	p.expr(col.Expr, scope)
	if col.Alias != nil {
		p.w(" AS ", p.ident(col.Alias))
	}
}

func (p *sqlPrinter) orderingTerms(terms []*rq.OrderingTerm, scope *cteScope) {
	for i, t := range terms {
		if i > 0 {
			p.w(", ")
		}
		if t.Collation != nil {
			p.fail(t.Collation.Collate, "COLLATE", "may not use COLLATE")
			return
		}
		p.expr(t.X, scope)
		if t.Desc.IsValid() {
			p.w(" DESC")
		} else if t.Asc.IsValid() {
			p.w(" ASC")
		}
		if t.NullsFirst.IsValid() {
			p.w(" NULLS FIRST")
		} else if t.NullsLast.IsValid() {
			p.w(" NULLS LAST")
		}
	}
}

// limit prints LIMIT and OFFSET; SQLite's "LIMIT offset, count" is printed
// as LIMIT count OFFSET offset, which PostgreSQL reads too.
func (p *sqlPrinter) limit(s *rq.SelectStatement, scope *cteScope) {
	if s.LimitExpr == nil {
		return
	}
	count, offset := s.LimitExpr, s.OffsetExpr
	if s.OffsetComma.IsValid() {
		count, offset = offset, count
	}
	p.w(" LIMIT ")
	p.expr(count, scope)
	if offset != nil {
		p.w(" OFFSET ")
		p.expr(offset, scope)
	}
}

// source prints a FROM clause's sources.
func (p *sqlPrinter) source(src rq.Source, scope *cteScope) {
	if p.err != nil {
		return
	}
	switch x := src.(type) {
	case *rq.QualifiedTableName:
		p.table(x, nil, scope)
	case *rq.ParenSource:
		p.parenSource(x, scope)
	case *rq.JoinClause:
		p.join(x, scope)
	case *rq.QualifiedTableFunctionName:
		p.fail(x.Name.NamePos, x.Name.Name, "may not read the table-valued function %s()", asciiLower(x.Name.Name))
	default:
		p.fail(rq.Pos{}, "", "may not read %s in FROM", nodeName(src))
	}
}

// table prints one table reference: a WITH name of the scope, or a table
// the policy accepts, printed as its replacement under its own name.
func (p *sqlPrinter) table(t *rq.QualifiedTableName, alias *rq.Ident, scope *cteScope) {
	if p.sources++; p.sources > maxSQLTables {
		p.fail(t.Name.NamePos, t.Name.Name, "reads more than %d tables", maxSQLTables)
		return
	}
	switch {
	case t.Schema != nil:
		p.fail(t.Schema.NamePos, t.Schema.Name+"."+t.Name.Name, "may not name a schema (%s.)", t.Schema.Name)
		return
	case t.Index != nil || t.NotIndexed.IsValid():
		p.fail(t.Indexed, "INDEXED", "may not use INDEXED BY or NOT INDEXED")
		return
	case alias != nil && t.Alias != nil:
		p.fail(alias.NamePos, alias.Name, "gives a table two aliases")
		return
	}
	if alias == nil {
		alias = t.Alias
	}
	name := t.Name.Name
	if !t.Name.Quoted {
		name = asciiLower(name)
	}
	if cte := asciiLower(name); scope.has(cte) {
		p.w(quoteIdent(cte))
		if alias != nil {
			p.w(" AS ", p.ident(alias))
		}
		return
	}
	if !p.policy.IsTable(name) {
		p.fail(t.Name.NamePos, name, "may only read %ss (%s), not %s", p.policy.TableNoun, p.policy.TableForm, name)
		return
	}
	if !slices.Contains(p.tables, name) {
		p.tables = append(p.tables, name)
	}
	printed := name
	if p.replace != nil {
		printed = p.replace[name]
	}
	as := quoteIdent(name)
	if alias != nil {
		as = p.ident(alias)
	}
	p.w(quoteIdent(printed), " AS ", as)
}

// parenSource prints a parenthesised source: a subquery (given an alias
// when it has none, as PostgreSQL 15 requires), a join, or a table whose
// parentheses are dropped (PostgreSQL reads no parentheses around a table).
func (p *sqlPrinter) parenSource(x *rq.ParenSource, scope *cteScope) {
	inner, alias := rq.Source(x), (*rq.Ident)(nil)
	for {
		ps, ok := inner.(*rq.ParenSource)
		if !ok {
			break
		}
		if ps.Alias != nil {
			if alias != nil {
				p.fail(ps.Alias.NamePos, ps.Alias.Name, "gives a source two aliases")
				return
			}
			alias = ps.Alias
		}
		inner = ps.X
	}
	switch in := inner.(type) {
	case *rq.SelectStatement:
		p.w("(")
		p.selectStatement(in, scope)
		p.w(") AS ")
		if alias != nil {
			p.w(p.ident(alias))
		} else {
			p.subquery++
			p.w(quoteIdent(fmt.Sprintf("dataport_subquery_%d", p.subquery)))
		}
	case *rq.QualifiedTableName:
		p.table(in, alias, scope)
	case *rq.JoinClause:
		if alias != nil {
			p.fail(alias.NamePos, alias.Name, "may not alias a parenthesised join")
			return
		}
		p.w("(")
		p.join(in, scope)
		p.w(")")
	default:
		p.source(in, scope)
	}
}

// join prints a chain of joins in the order written. rqlite nests a chain
// a OP1 b OP2 c ... as {X: a, OP1, Y: (b OP2 c ...), constraint of OP1},
// with Y nested to the left; anything else is refused rather than guessed.
func (p *sqlPrinter) join(j *rq.JoinClause, scope *cteScope) {
	if _, ok := j.X.(*rq.JoinClause); ok {
		p.fail(rq.Pos{}, "", "has a join this service cannot print")
		return
	}
	p.source(j.X, scope)
	p.joinOperator(j.Operator, j.Constraint)
	if y, ok := j.Y.(*rq.JoinClause); ok {
		p.leftDeepJoin(y, j.Constraint, scope)
		return
	}
	p.source(j.Y, scope)
	p.joinConstraint(j.Constraint, scope)
}

func (p *sqlPrinter) leftDeepJoin(j *rq.JoinClause, first rq.JoinConstraint, scope *cteScope) {
	if p.err != nil {
		return
	}
	if x, ok := j.X.(*rq.JoinClause); ok {
		p.leftDeepJoin(x, first, scope)
	} else {
		p.source(j.X, scope)
		p.joinConstraint(first, scope)
	}
	if _, ok := j.Y.(*rq.JoinClause); ok {
		p.fail(rq.Pos{}, "", "has a join this service cannot print")
		return
	}
	p.joinOperator(j.Operator, j.Constraint)
	p.source(j.Y, scope)
	p.joinConstraint(j.Constraint, scope)
}

func (p *sqlPrinter) joinOperator(op *rq.JoinOperator, cons rq.JoinConstraint) {
	if op.Comma.IsValid() {
		if cons != nil {
			p.fail(op.Comma, ",", "may not put ON or USING after a comma: write JOIN")
		}
		p.w(", ")
		return
	}
	p.w(" ")
	if op.Natural.IsValid() {
		p.w("NATURAL ")
	}
	switch {
	case op.Left.IsValid():
		p.w("LEFT ")
	case op.Inner.IsValid():
		p.w("INNER ")
	case op.Cross.IsValid():
		p.w("CROSS ")
	}
	p.w("JOIN ")
}

func (p *sqlPrinter) joinConstraint(c rq.JoinConstraint, scope *cteScope) {
	switch x := c.(type) {
	case nil:
	case *rq.OnConstraint:
		p.w(" ON ")
		p.expr(x.X, scope)
	case *rq.UsingConstraint:
		p.w(" USING (")
		p.identList(x.Columns)
		p.w(")")
	default:
		p.fail(rq.Pos{}, "", "may not use %s", nodeName(c))
	}
}

func (p *sqlPrinter) identList(ids []*rq.Ident) {
	for i, id := range ids {
		if i > 0 {
			p.w(", ")
		}
		p.w(p.ident(id))
	}
}

func (p *sqlPrinter) exprList(list []rq.Expr, scope *cteScope) {
	for i, e := range list {
		if i > 0 {
			p.w(", ")
		}
		p.expr(e, scope)
	}
}

// expr prints an expression, every operation in parentheses.
func (p *sqlPrinter) expr(e rq.Expr, scope *cteScope) {
	if p.err != nil {
		return
	}
	if e == nil {
		p.fail(rq.Pos{}, "", "is missing an expression")
		return
	}
	if !p.enter(rq.Pos{}) {
		return
	}
	defer p.leave()
	if isOperation(e) && !p.regrouped[e] {
		if e = p.regroup(e); e == nil {
			return
		}
	}
	switch x := e.(type) {
	case *rq.UnaryExpr:
		p.unary(x, scope)
	case *rq.BinaryExpr:
		p.binary(x, scope)
	case *rq.Null:
		p.w("(")
		p.expr(x.X, scope)
		p.w(map[bool]string{true: " IS NULL)", false: " IS NOT NULL)"}[x.Op == rq.ISNULL])
	case *rq.ParenExpr:
		// What prints its own parentheses is printed without another pair,
		// so that printing what was printed changes nothing.
		switch x.X.(type) {
		case rq.SelectExpr, *rq.BinaryExpr, *rq.UnaryExpr, *rq.Null, *rq.ExprList, *rq.ParenExpr, *rq.Exists:
			p.expr(x.X, scope)
			return
		}
		p.w("(")
		p.expr(x.X, scope)
		p.w(")")
	case rq.SelectExpr:
		p.w("(")
		p.selectStatement(x.SelectStatement, scope)
		p.w(")")
	case *rq.ExprList:
		if len(x.Exprs) == 0 {
			p.fail(x.Lparen, "()", "may not write an empty list")
		}
		p.w("(")
		p.exprList(x.Exprs, scope)
		p.w(")")
	case *rq.Exists:
		p.w(map[bool]string{true: "(NOT EXISTS (", false: "(EXISTS ("}[x.Not.IsValid()])
		p.selectStatement(x.Select, scope)
		p.w("))")
	case *rq.CaseExpr:
		p.caseExpr(x, scope)
	case *rq.CastExpr:
		p.cast(x, scope)
	case *rq.Call:
		p.call(x, scope)
	default:
		p.operand(e)
	}
}

// operand prints a name or a literal.
func (p *sqlPrinter) operand(e rq.Expr) {
	switch x := e.(type) {
	case *rq.Ident:
		p.identExpr(x)
	case *rq.QualifiedRef:
		p.w(p.ident(x.Table), ".")
		if x.Star.IsValid() {
			p.w("*")
		} else {
			p.w(p.ident(x.Column))
		}
	case *rq.StringLit:
		p.w(quoteString(x.Value))
	case *rq.NumberLit:
		if !decimalNumber.MatchString(x.Value) {
			p.fail(x.ValuePos, x.Value, "may only write numbers in decimal, not %s", x.Value)
		}
		p.w(x.Value)
	case *rq.NullLit:
		p.w("NULL")
	case *rq.BoolLit:
		p.w(map[bool]string{true: "TRUE", false: "FALSE"}[x.Value])
	case *rq.BindExpr:
		p.fail(x.NamePos, x.Name, "may not use parameters (%s)", x.Name)
	case *rq.BlobLit:
		p.fail(x.ValuePos, "x'"+x.Value+"'", "may not write blob literals")
	default:
		p.fail(rq.Pos{}, "", "may not use %s", nodeName(e))
	}
}

func (p *sqlPrinter) identExpr(x *rq.Ident) {
	if !x.Quoted {
		switch name := strings.ToUpper(x.Name); name {
		case "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP":
			p.w(name)
			return
		}
	}
	p.w(p.ident(x))
}

func (p *sqlPrinter) unary(x *rq.UnaryExpr, scope *cteScope) {
	op, ok := map[rq.Token]string{rq.PLUS: "+", rq.MINUS: "-", rq.BITNOT: "~", rq.NOT: "NOT "}[x.Op]
	if !ok {
		p.fail(x.OpPos, x.Op.String(), "may not use the operator %s", x.Op)
		return
	}
	p.w("(", op)
	p.expr(x.X, scope)
	p.w(")")
}

// binaryOperators print as themselves on both dialects; IS, IN, BETWEEN
// and LIKE ... ESCAPE are printed by binary itself.
var binaryOperators = map[rq.Token]string{
	rq.PLUS: "+", rq.MINUS: "-", rq.STAR: "*", rq.SLASH: "/", rq.REM: "%", rq.CONCAT: "||",
	rq.BITAND: "&", rq.BITOR: "|", rq.LSHIFT: "<<", rq.RSHIFT: ">>",
	rq.LT: "<", rq.LE: "<=", rq.GT: ">", rq.GE: ">=", rq.EQ: "=", rq.NE: "<>",
	rq.AND: "AND", rq.OR: "OR", rq.LIKE: "LIKE", rq.NOTLIKE: "NOT LIKE",
}

func (p *sqlPrinter) binary(x *rq.BinaryExpr, scope *cteScope) {
	p.w("(")
	p.expr(x.X, scope)
	switch x.Op {
	case rq.IS, rq.ISNOT:
		p.is(x, scope)
	case rq.IN, rq.NOTIN:
		p.in(x, scope)
	case rq.BETWEEN, rq.NOTBETWEEN:
		r, ok := x.Y.(*rq.Range)
		if !ok {
			p.fail(x.OpPos, "BETWEEN", "has a BETWEEN without AND")
			return
		}
		p.w(map[bool]string{true: " BETWEEN ", false: " NOT BETWEEN "}[x.Op == rq.BETWEEN])
		p.expr(r.X, scope)
		p.w(" AND ")
		p.expr(r.Y, scope)
	default:
		op, ok := binaryOperators[x.Op]
		if !ok {
			p.fail(x.OpPos, x.Op.String(), "may not use the operator %s", x.Op)
			return
		}
		p.w(" ", op, " ")
		if esc, ok := x.Y.(*rq.BinaryExpr); ok && esc.Op == rq.ESCAPE && (x.Op == rq.LIKE || x.Op == rq.NOTLIKE) {
			p.expr(esc.X, scope)
			p.w(" ESCAPE ")
			p.expr(esc.Y, scope)
		} else {
			p.expr(x.Y, scope)
		}
	}
	p.w(")")
}

// is prints SQLite's IS as what PostgreSQL also reads: IS NULL, IS TRUE,
// IS FALSE, or IS NOT DISTINCT FROM for any other value.
func (p *sqlPrinter) is(x *rq.BinaryExpr, scope *cteScope) {
	not := x.Op == rq.ISNOT
	switch y := x.Y.(type) {
	case *rq.NullLit:
		p.w(map[bool]string{false: " IS NULL", true: " IS NOT NULL"}[not])
	case *rq.BoolLit:
		p.w(map[bool]string{false: " IS ", true: " IS NOT "}[not], map[bool]string{true: "TRUE", false: "FALSE"}[y.Value])
	default:
		p.w(map[bool]string{false: " IS NOT DISTINCT FROM ", true: " IS DISTINCT FROM "}[not])
		p.expr(x.Y, scope)
	}
}

func (p *sqlPrinter) in(x *rq.BinaryExpr, scope *cteScope) {
	list, ok := x.Y.(*rq.ExprList)
	if !ok || len(list.Exprs) == 0 {
		p.fail(x.OpPos, "IN", "needs a list or a subquery after IN")
		return
	}
	p.w(map[bool]string{true: " IN (", false: " NOT IN ("}[x.Op == rq.IN])
	if sel, ok := list.Exprs[0].(rq.SelectExpr); ok && len(list.Exprs) == 1 {
		p.selectStatement(sel.SelectStatement, scope)
	} else {
		p.exprList(list.Exprs, scope)
	}
	p.w(")")
}

func (p *sqlPrinter) caseExpr(x *rq.CaseExpr, scope *cteScope) {
	p.w("CASE")
	if x.Operand != nil {
		p.w(" ")
		p.expr(x.Operand, scope)
	}
	for _, b := range x.Blocks {
		p.w(" WHEN ")
		p.expr(b.Condition, scope)
		p.w(" THEN ")
		p.expr(b.Body, scope)
	}
	if x.ElseExpr != nil {
		p.w(" ELSE ")
		p.expr(x.ElseExpr, scope)
	}
	p.w(" END")
}

// castTypes are the types CAST may name; both dialects know them.
var castTypes = []string{"integer", "int", "bigint", "smallint", "real", "double precision", "float", "numeric", "decimal",
	"text", "varchar", "char", "date", "timestamp", "boolean"}

func (p *sqlPrinter) cast(x *rq.CastExpr, scope *cteScope) {
	if x.Type == nil || x.Type.Name == nil {
		p.fail(x.Cast, "CAST", "has a CAST without a type")
		return
	}
	name := asciiLower(x.Type.Name.Name)
	if !slices.Contains(castTypes, name) {
		p.fail(x.Type.Name.NamePos, x.Type.Name.Name, "may not cast to %s: allowed types are %s", x.Type.Name.Name, strings.Join(castTypes, ", "))
		return
	}
	p.w("CAST(")
	p.expr(x.X, scope)
	p.w(" AS ", name)
	if x.Type.Precision != nil {
		p.w("(", p.typeNumber(x.Type.Precision))
		if x.Type.Scale != nil {
			p.w(", ", p.typeNumber(x.Type.Scale))
		}
		p.w(")")
	}
	p.w(")")
}

var typeNumber = regexp.MustCompile(`^[0-9]{1,4}$`)

func (p *sqlPrinter) typeNumber(n *rq.NumberLit) string {
	if !typeNumber.MatchString(n.Value) {
		p.fail(n.ValuePos, n.Value, "may only give a type a size from 0 to 9999, not %s", n.Value)
		return "0"
	}
	return n.Value
}

// functionName is what a function may be named to be printed unquoted.
var functionName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

const maxFunctionArgs = 32

// call prints a call of an allowed function, by its resolved name: quoting
// or capitals make no other function.
func (p *sqlPrinter) call(x *rq.Call, scope *cteScope) {
	name := asciiLower(x.Name.Name)
	if !functionName.MatchString(name) || !slices.Contains(p.policy.Functions, name) {
		p.fail(x.Name.NamePos, x.Name.Name, "may not call %s(): allowed functions are %s", x.Name.Name, strings.Join(p.policy.Functions, ", "))
		return
	}
	if len(x.Args) > maxFunctionArgs {
		p.fail(x.Lparen, name, "may not pass %s() more than %d arguments", name, maxFunctionArgs)
		return
	}
	if !slices.Contains(p.functions, name) {
		p.functions = append(p.functions, name)
	}
	p.w(name, "(")
	if x.Star.IsValid() {
		p.w("*")
	} else {
		if x.Distinct.IsValid() {
			p.w("DISTINCT ")
		}
		p.exprList(x.Args, scope)
	}
	p.w(")")
	if x.Filter != nil {
		p.w(" FILTER (WHERE ")
		p.expr(x.Filter.X, scope)
		p.w(")")
	}
	if x.Over != nil {
		p.over(x.Over, scope)
	}
}

func (p *sqlPrinter) over(o *rq.OverClause, scope *cteScope) {
	d := o.Definition
	switch {
	case o.Name != nil || d == nil || d.Base != nil:
		p.fail(o.Over, "OVER", "may only use OVER (PARTITION BY ... ORDER BY ...), not a named window")
		return
	case d.Frame != nil:
		p.fail(o.Over, "OVER", "may not give a window frame (ROWS, RANGE, GROUPS)")
		return
	}
	p.w(" OVER (")
	if len(d.Partitions) > 0 {
		p.w("PARTITION BY ")
		p.exprList(d.Partitions, scope)
	}
	if len(d.OrderingTerms) > 0 {
		if len(d.Partitions) > 0 {
			p.w(" ")
		}
		p.w("ORDER BY ")
		p.orderingTerms(d.OrderingTerms, scope)
	}
	p.w(")")
}

// ident quotes an identifier; an unquoted one is lower-cased first, as
// PostgreSQL folds it (SQLite ignores case either way).
func (p *sqlPrinter) ident(id *rq.Ident) string {
	name := id.Name
	if !id.Quoted {
		name = asciiLower(name)
	}
	if name == "" {
		p.fail(id.NamePos, `""`, "may not use an empty name")
	}
	return quoteIdent(name)
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func quoteString(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// decimalNumber is a number both dialects read alike (PostgreSQL 15 reads
// 0x10 as 0 AS x10).
var decimalNumber = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// asciiLower lower-cases ASCII letters only: Unicode case folding would
// let look-alikes (the Kelvin sign K) turn into allowed names.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func nodeName(n any) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", n), "*sql.")
}

// Statement is the statement's syntax tree as rqlite parsed it: some
// operations are grouped wrongly there (see sqlgroup.go), which Regroup
// mends. The tree is shared with the CheckedSQL: callers must not modify it.
func (c *CheckedSQL) Statement() *rq.SelectStatement { return c.stmt }

// Regroup returns a copy of e in which every chain of operations, at any
// depth (inside parentheses, calls, CASE and lists too), is grouped by
// SQLite's precedence rather than rqlite's, and every operation that is an
// operand of another is wrapped in a ParenExpr, so that walking the tree
// sees what the database computes and RenderExpr prints it as grouped.
// Subqueries are left as they are. A refusal is an *SQLRefusal.
func Regroup(e rq.Expr) (rq.Expr, error) {
	p := &sqlPrinter{}
	out := p.regroupDeep(e)
	if p.err != nil {
		return nil, p.err
	}
	return out, nil
}

func (p *sqlPrinter) regroupDeep(e rq.Expr) rq.Expr {
	if p.err != nil || e == nil {
		return e
	}
	if !p.enter(rq.Pos{}) {
		return nil
	}
	defer p.leave()
	if isOperation(e) && !p.regrouped[e] { // what regroup built is grouped already
		if e = p.regroup(e); e == nil {
			return nil
		}
	}
	switch x := e.(type) {
	case *rq.BinaryExpr:
		y := *x
		y.X = p.regroupOperand(x.X)
		switch r := x.Y.(type) {
		case *rq.Range:
			y.Y = &rq.Range{X: p.regroupOperand(r.X), And: r.And, Y: p.regroupOperand(r.Y)}
		case *rq.BinaryExpr:
			if r.Op == rq.ESCAPE && (x.Op == rq.LIKE || x.Op == rq.NOTLIKE) {
				esc := *r // printed by binary as LIKE pattern ESCAPE character
				esc.X, esc.Y = p.regroupOperand(r.X), p.regroupOperand(r.Y)
				y.Y = &esc
			} else {
				y.Y = p.regroupOperand(x.Y)
			}
		default:
			y.Y = p.regroupOperand(x.Y)
		}
		return &y
	case *rq.UnaryExpr:
		y := *x
		y.X = p.regroupOperand(x.X)
		return &y
	case *rq.Null:
		y := *x
		y.X = p.regroupOperand(x.X)
		return &y
	case *rq.ParenExpr:
		y := *x
		y.X = p.regroupDeep(x.X)
		return &y
	case *rq.ExprList:
		y := *x
		y.Exprs = make([]rq.Expr, len(x.Exprs))
		for i, a := range x.Exprs {
			y.Exprs[i] = p.regroupDeep(a)
		}
		return &y
	case *rq.Call:
		y := *x
		y.Args = make([]rq.Expr, len(x.Args))
		for i, a := range x.Args {
			y.Args[i] = p.regroupDeep(a)
		}
		if x.Filter != nil {
			f := *x.Filter
			f.X = p.regroupDeep(x.Filter.X)
			y.Filter = &f
		}
		return &y
	case *rq.CaseExpr:
		y := *x
		y.Operand = p.regroupDeep(x.Operand)
		y.Blocks = make([]*rq.CaseBlock, len(x.Blocks))
		for i, b := range x.Blocks {
			nb := *b
			nb.Condition, nb.Body = p.regroupDeep(b.Condition), p.regroupDeep(b.Body)
			y.Blocks[i] = &nb
		}
		y.ElseExpr = p.regroupDeep(x.ElseExpr)
		return &y
	case *rq.CastExpr:
		y := *x
		y.X = p.regroupDeep(x.X)
		return &y
	}
	return e
}

// regroupOperand regroups an operand of an operation, in parentheses when
// it is an operation itself.
func (p *sqlPrinter) regroupOperand(e rq.Expr) rq.Expr {
	out := p.regroupDeep(e)
	if out != nil && isOperation(out) {
		return &rq.ParenExpr{X: out}
	}
	return out
}

// RenderExpr prints one expression as Render prints a statement's
// (identifiers quoted, operations parenthesised, only syntax SQLite and
// PostgreSQL read alike), checking its calls against the policy's
// functions. Give it a tree from Regroup, or one built with every
// operation that is an operand of another in a ParenExpr.
func RenderExpr(e rq.Expr, policy SQLPolicy) (string, error) {
	p := &sqlPrinter{policy: policy}
	p.expr(e, nil)
	if p.err != nil {
		return "", p.err
	}
	return p.b.String(), nil
}
