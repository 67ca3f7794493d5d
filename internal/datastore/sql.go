package datastore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"dataport/internal/access"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// DatastoreSearchSQL answers CKAN's datastore_search_sql: one read-only
// SELECT whose tables are resources named by id in double quotes
// (SELECT name FROM "<resource id>" WHERE ...). It is off unless enabled;
// every referenced resource is decided (action query, path
// "ckan.datastore_search_sql") and must be readable without field, row or
// de-identification constraints; only allow-listed functions may be
// called; the statement runs read-only with a timeout and returns at most
// the configured number of rows, or fewer under a grant's row quota
// (records_truncated says when cut); the rows returned count against the
// quota of every resource's grant.
func (s *Service) DatastoreSearchSQL(ctx context.Context, actor identity.Principal, params map[string]any) (map[string]any, error) {
	if !s.sql.Enabled {
		return nil, ErrSQLDisabled
	}
	stmt, err := parseSQL(text(params["sql"]))
	if err != nil {
		return nil, err
	}
	tables := map[string]string{}
	quota := s.newStatementQuota(s.sql.MaxRows) // rows reserved under each decision, capped to the least
	defer quota.settle(ctx)                     // counts quota.served, releases the rest
	for _, rid := range stmt.resources {
		d, err := quota.decide(ctx, actor, rid, access.ActionQuery, "ckan.datastore_search_sql")
		if err != nil {
			return nil, err
		}
		if c := d.Constraints; c.Fields != nil || c.RowFilter != "" || c.DeidProfile != "" {
			return nil, &access.DeniedError{Decision: access.Decision{Reason: "constrained",
				Message: "SQL is not available on resource " + rid + ": your access to it is limited to some fields, rows or de-identified values; use datastore_search"}}
		}
		v, err := s.current(ctx, rid)
		if err != nil {
			return nil, err
		}
		tables[rid] = v.table
	}
	query := stmt.rewrite(tables)
	records, fields, truncated, err := s.runReadOnly(ctx, query, quota.rowLimit())
	if err != nil {
		return nil, err
	}
	quota.served = int64(len(records))
	return map[string]any{"sql": stmt.text, "records": records, "fields": fields, "records_truncated": truncated}, nil
}

// ErrBadSQL wraps every refusal of a statement (a 422 with field "sql").
func badSQL(format string, args ...any) error {
	return validate.Errors{{Field: "sql", Message: fmt.Sprintf(format, args...)}}
}

// sqlFunctions may be called in datastore_search_sql.
var sqlFunctions = []string{"count", "sum", "avg", "min", "max", "total", "abs", "round", "floor", "ceil", "ceiling",
	"lower", "upper", "length", "char_length", "substr", "substring", "trim", "ltrim", "rtrim", "replace", "coalesce",
	"nullif", "ifnull", "instr", "strftime", "date", "date_trunc", "extract", "to_char", "concat", "left", "right", "cast"}

// sqlForbidden words refuse a statement wherever they appear unquoted.
var sqlForbidden = []string{"insert", "update", "delete", "drop", "create", "alter", "attach", "detach", "pragma", "vacuum",
	"reindex", "analyze", "grant", "revoke", "copy", "into", "truncate", "merge", "call", "do", "lock", "set", "reset",
	"load", "explain", "with", "recursive", "returning", "listen", "notify", "execute", "prepare", "declare", "begin",
	"commit", "rollback", "savepoint", "release", "for", "window", "values", "table", "lateral"}

// sqlParenWords may be followed by a parenthesis without being a call.
var sqlParenWords = []string{"in", "exists", "from", "join", "as", "and", "or", "not", "on", "using", "over", "filter",
	"select", "where", "when", "then", "else", "any", "all", "some", "union", "intersect", "except", "by", "having", "is", "distinct", "like", "ilike", "between"}

type token struct {
	kind byte // 'w' word, 'q' quoted identifier, 's' string, 'n' number, 'p' punctuation
	text string
}

var numeric = regexp.MustCompile(`^-?\d+(\.\d+)?$`)

var resourceRef = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

type sqlStatement struct {
	text      string
	tokens    []token
	resources []string
}

// parseSQL tokenizes and checks a statement.
func parseSQL(q string) (*sqlStatement, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, badSQL("is required")
	}
	if len(q) > 20000 {
		return nil, badSQL("is longer than 20000 characters")
	}
	toks, err := tokenize(q)
	if err != nil {
		return nil, err
	}
	if n := len(toks); n > 0 && toks[n-1].text == ";" {
		toks = toks[:n-1]
	}
	if len(toks) == 0 || toks[0].kind != 'w' || !strings.EqualFold(toks[0].text, "select") {
		return nil, badSQL("must be one SELECT statement")
	}
	st := &sqlStatement{text: q, tokens: toks}
	if err := st.check(); err != nil {
		return nil, err
	}
	return st, nil
}

func (st *sqlStatement) check() error {
	toks := st.tokens
	for i, t := range toks {
		word := strings.ToLower(t.text)
		switch {
		case t.text == ";":
			return badSQL("must be a single statement")
		case t.kind == 'w' && slices.Contains(sqlForbidden, word):
			return badSQL("may not use %s: only read-only SELECT statements are allowed", strings.ToUpper(word))
		case t.kind == 'w' && i+1 < len(toks) && toks[i+1].text == "(" && !slices.Contains(sqlFunctions, word) && !slices.Contains(sqlParenWords, word):
			return badSQL("may not call %s(): allowed functions are %s", word, strings.Join(sqlFunctions, ", "))
		case t.kind == 'q' && strings.Contains(t.text, "."):
			return badSQL("may not name %q", t.text)
		}
		if t.kind == 'w' && (word == "from" || word == "join") {
			if err := st.tableRef(i + 1); err != nil {
				return err
			}
		}
		if t.text == "," && st.inFromList(i) {
			if err := st.tableRef(i + 1); err != nil {
				return err
			}
		}
	}
	if len(st.resources) == 0 {
		return badSQL(`must read at least one resource: FROM "<resource id>"`)
	}
	return nil
}

// tableRef checks that the token at i is a subquery or a quoted resource id.
func (st *sqlStatement) tableRef(i int) error {
	if i >= len(st.tokens) {
		return badSQL("ends where a table was expected")
	}
	t := st.tokens[i]
	if t.text == "(" {
		return nil
	}
	if t.kind == 'q' && resourceRef.MatchString(t.text) {
		if i+1 < len(st.tokens) && st.tokens[i+1].text == "." {
			return badSQL("may not qualify resource %q", t.text)
		}
		if !slices.Contains(st.resources, t.text) {
			st.resources = append(st.resources, t.text)
		}
		return nil
	}
	return badSQL(`may only read resources, named by id in double quotes (FROM "<resource id>"), not %s`, t.text)
}

// inFromList reports whether the comma at i separates tables of a FROM clause.
func (st *sqlStatement) inFromList(i int) bool {
	depth := 0
	for j := i - 1; j >= 0; j-- {
		t := st.tokens[j]
		switch {
		case t.text == ")":
			depth++
		case t.text == "(":
			if depth == 0 {
				return false
			}
			depth--
		case depth == 0 && t.kind == 'w':
			switch strings.ToLower(t.text) {
			case "from":
				return true
			case "select", "where", "group", "order", "having", "limit", "on", "using", "by":
				return false
			}
		}
	}
	return false
}

// rewrite replaces resource ids with their version tables.
func (st *sqlStatement) rewrite(tables map[string]string) string {
	var b strings.Builder
	for i, t := range st.tokens {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch t.kind {
		case 'q':
			if table, ok := tables[t.text]; ok {
				b.WriteString(ident(table))
			} else {
				b.WriteString(ident(t.text))
			}
		case 's':
			b.WriteString("'" + strings.ReplaceAll(t.text, "'", "''") + "'")
		default:
			b.WriteString(t.text)
		}
	}
	return b.String()
}

func tokenize(q string) ([]token, error) {
	var out []token
	r := []rune(q)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '-' && i+1 < len(r) && r[i+1] == '-':
			for i < len(r) && r[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(r) && r[i+1] == '*':
			end := strings.Index(string(r[i+2:]), "*/")
			if end < 0 {
				return nil, badSQL("has an unclosed comment")
			}
			i += 2 + len([]rune(string(r[i+2:])[:end])) + 2
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(r); j++ {
				if r[j] == c {
					if j+1 < len(r) && r[j+1] == c {
						b.WriteRune(c)
						j++
						continue
					}
					break
				}
				b.WriteRune(r[j])
			}
			if j >= len(r) {
				return nil, badSQL("has an unclosed quote")
			}
			kind := byte('s')
			if c == '"' {
				kind = 'q'
			}
			out = append(out, token{kind, b.String()})
			i = j + 1
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_') {
				j++
			}
			out = append(out, token{'w', string(r[i:j])})
			i = j
		case unicode.IsDigit(c) || (c == '.' && i+1 < len(r) && unicode.IsDigit(r[i+1])):
			j := i
			for j < len(r) && (unicode.IsDigit(r[j]) || r[j] == '.' || r[j] == 'e' || r[j] == 'E') {
				j++
			}
			out = append(out, token{'n', string(r[i:j])})
			i = j
		case strings.ContainsRune("(),.*=<>!+-/%|;:", c):
			j := i + 1
			for j < len(r) && strings.ContainsRune("=<>!|:", r[j]) && strings.ContainsRune("=<>!|:", c) {
				j++
			}
			if string(r[i:j]) == "::" {
				return nil, badSQL("may not use :: casts; use CAST(x AS type)")
			}
			out = append(out, token{'p', string(r[i:j])})
			i = j
		default:
			return nil, badSQL("has a character that is not allowed: %q", c)
		}
	}
	return out, nil
}

// runReadOnly runs query read-only with the statement timeout, reading at
// most maxRows rows.
func (s *Service) runReadOnly(ctx context.Context, query string, maxRows int) ([]map[string]any, []RowField, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.sql.Timeout)
	defer cancel()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	defer conn.Close()
	var rows *sql.Rows
	if s.db.Dialect == store.Postgres {
		tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, nil, false, err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", s.sql.Timeout.Milliseconds())); err != nil {
			return nil, nil, false, err
		}
		rows, err = tx.QueryContext(ctx, query)
		if err != nil {
			return nil, nil, false, sqlFailure(err)
		}
	} else {
		if _, err := conn.ExecContext(ctx, "PRAGMA query_only = 1"); err != nil {
			return nil, nil, false, err
		}
		defer conn.ExecContext(context.Background(), "PRAGMA query_only = 0")
		rows, err = conn.QueryContext(ctx, query)
		if err != nil {
			return nil, nil, false, sqlFailure(err)
		}
	}
	defer rows.Close()
	return s.collect(rows, maxRows)
}

func (s *Service) collect(rows *sql.Rows, maxRows int) ([]map[string]any, []RowField, bool, error) {
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, false, err
	}
	fields := make([]RowField, len(cols))
	for i, c := range cols {
		fields[i] = RowField{ID: c.Name(), Type: strings.ToLower(c.DatabaseTypeName())}
	}
	out := []map[string]any{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if len(out) == maxRows {
			return out, fields, true, nil
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, false, err
		}
		rec := make(map[string]any, len(cols))
		for i, f := range fields {
			switch x := vals[i].(type) {
			case []byte:
				rec[f.ID] = string(x)
			case time.Time:
				rec[f.ID] = x.Format("2006-01-02T15:04:05.999999")
			case string:
				if f.Type == "numeric" && numeric.MatchString(x) {
					rec[f.ID] = json.Number(x)
				} else {
					rec[f.ID] = x
				}
			default:
				rec[f.ID] = x
			}
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, false, sqlFailure(err)
	}
	return out, fields, false, nil
}

// sqlFailure reports the database's complaint about the statement as bad
// input, and a timeout as such.
func sqlFailure(err error) error {
	if strings.Contains(err.Error(), "context deadline exceeded") || strings.Contains(err.Error(), "statement timeout") ||
		strings.Contains(err.Error(), "interrupted") {
		return badSQL("took longer than the statement timeout")
	}
	return badSQL("failed: %v", err)
}
