package ckan

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"dataport/internal/catalog"
	"dataport/internal/catalog/ckanpkg"
	"dataport/internal/search"
)

// The Solr syntax CKAN clients send in q and fq, as far as clients use it:
// words; field:value and field:"quoted value" (space after the colon is
// allowed, as in Solr); field:(a OR "b c"); ranges
// field:[2024-01-01T00:00:00Z TO *] (a brace excludes its bound); a leading
// - negates a field term; OR joins the terms beside it; AND and + are the
// default. Anything else is refused with ErrBadQuery and the character
// position (1-based, in characters) where reading stopped.

// maxTerms caps the terms of one q or fq, and the values of one
// field:(...), as Solr's maxBooleanClauses does: each costs index work.
const maxTerms = 1024

// term is one lexical piece of a query.
type term struct {
	field, value string
	quoted, isOr bool
	not          bool
	from, to     string
	isRange      bool
	exclFrom     bool
	exclTo       bool
	alternatives []string // field:(a OR b)
}

// scanner reads a query rune by rune. Each reading method either consumes
// at least one rune or returns an error, so every loop over a scanner
// advances; tokenize checks that too.
type scanner struct {
	rs []rune
	i  int
}

func (sc *scanner) done() bool { return sc.i >= len(sc.rs) }

// peek is the next rune, or 0 at the end.
func (sc *scanner) peek() rune {
	if sc.done() {
		return 0
	}
	return sc.rs[sc.i]
}

func (sc *scanner) skipSpace() {
	for !sc.done() && unicode.IsSpace(sc.rs[sc.i]) {
		sc.i++
	}
}

// errorf is a bad-query error at rune position at (0-based).
func (sc *scanner) errorf(at int, format string, args ...any) error {
	return fmt.Errorf("%w: at character %d: %s", search.ErrBadQuery, at+1, fmt.Sprintf(format, args...))
}

// tokenize splits a Solr query into terms.
func tokenize(s string) ([]term, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: the query is not valid UTF-8", search.ErrBadQuery)
	}
	sc := &scanner{rs: []rune(s)}
	var out []term
	for sc.skipSpace(); !sc.done(); sc.skipSpace() {
		at := sc.i
		t, err := sc.term()
		if err != nil {
			return nil, err
		}
		if sc.i <= at { // term consumes a rune or fails; never spin on a bug
			return nil, sc.errorf(at, "cannot read %q", sc.rs[at])
		}
		if t.field == "" && !t.quoted {
			switch t.value {
			case "OR", "||":
				if len(out) > 0 {
					out[len(out)-1].isOr = true
				}
				continue
			case "AND", "&&", "":
				continue
			}
		}
		if len(out) == maxTerms {
			return nil, sc.errorf(at, "a query has at most %d terms", maxTerms)
		}
		out = append(out, t)
	}
	return out, nil
}

// term reads one term at a non-space rune.
func (sc *scanner) term() (term, error) {
	var t term
	switch sc.peek() {
	case '-':
		t.not = true
		sc.i++
	case '+':
		sc.i++
	}
	start := sc.i
	for !sc.done() && !unicode.IsSpace(sc.rs[sc.i]) && sc.rs[sc.i] != ':' && sc.rs[sc.i] != '"' {
		sc.i++
	}
	word := string(sc.rs[start:sc.i])
	switch sc.peek() {
	case ':':
		if word == "" {
			return t, sc.errorf(sc.i, `":" has no field name before it`)
		}
		t.field = word
		sc.i++
		return t, sc.value(&t)
	case '"':
		phrase, err := sc.quoted()
		t.value, t.quoted = word+phrase, true
		return t, err
	}
	t.value = word
	return t, nil
}

// quoted reads a phrase in double quotes, at its opening quote.
func (sc *scanner) quoted() (string, error) {
	open := sc.i
	for sc.i = open + 1; !sc.done(); sc.i++ {
		if sc.rs[sc.i] == '"' {
			sc.i++
			return string(sc.rs[open+1 : sc.i-1]), nil
		}
	}
	return "", sc.errorf(open, "the quote is not closed")
}

// value reads what follows "field:".
func (sc *scanner) value(t *term) error {
	sc.skipSpace()
	if sc.done() {
		return sc.errorf(sc.i, "%s: has no value", t.field)
	}
	switch sc.peek() {
	case '"':
		var err error
		t.value, err = sc.quoted()
		t.quoted = true
		return err
	case '[', '{':
		return sc.rangeValue(t)
	case '(':
		return sc.alternatives(t)
	}
	start := sc.i
	for !sc.done() && !unicode.IsSpace(sc.rs[sc.i]) {
		sc.i++
	}
	t.value = string(sc.rs[start:sc.i])
	return nil
}

// rangeValue reads [FROM TO UNTIL], at its opening bracket or brace.
func (sc *scanner) rangeValue(t *term) error {
	open := sc.i
	end := open + 1
	for end < len(sc.rs) && sc.rs[end] != ']' && sc.rs[end] != '}' {
		end++
	}
	if end == len(sc.rs) {
		return sc.errorf(open, "%s: the range is not closed", t.field)
	}
	parts := strings.Fields(string(sc.rs[open+1 : end]))
	if len(parts) != 3 || parts[1] != "TO" {
		return sc.errorf(open, "%s: a range is [FROM TO UNTIL]", t.field)
	}
	t.isRange, t.from, t.to = true, parts[0], parts[2]
	t.exclFrom, t.exclTo = sc.rs[open] == '{', sc.rs[end] == '}'
	sc.i = end + 1
	return nil
}

// alternatives reads (a OR "b c"), at its opening parenthesis: values or
// quoted phrases joined by OR (or by spaces).
func (sc *scanner) alternatives(t *term) error {
	open := sc.i
	for sc.i++; ; {
		sc.skipSpace()
		at := sc.i
		switch sc.peek() {
		case 0:
			return sc.errorf(open, "%s: the parenthesis is not closed", t.field)
		case ')':
			sc.i++
			if len(t.alternatives) == 0 {
				return sc.errorf(open, "%s: has no value", t.field)
			}
			return nil
		case '(':
			return sc.errorf(at, "%s: parentheses do not nest", t.field)
		case '"':
			v, err := sc.quoted()
			if err != nil {
				return err
			}
			t.alternatives = append(t.alternatives, v)
		default:
			for !sc.done() && !unicode.IsSpace(sc.rs[sc.i]) && !strings.ContainsRune(`()"`, sc.rs[sc.i]) {
				sc.i++
			}
			switch v := string(sc.rs[at:sc.i]); v {
			case "OR", "||":
			case "AND", "&&":
				return sc.errorf(at, "%s: the values in parentheses are joined by OR", t.field)
			default:
				t.alternatives = append(t.alternatives, v)
			}
		}
		if len(t.alternatives) > maxTerms {
			return sc.errorf(at, "%s: at most %d values", t.field, maxTerms)
		}
	}
}

// parsed is a CKAN query split into words and conditions.
type parsed struct {
	words   []string
	clauses []search.Clause
	terms   int // terms read: q, fq and fq_list together hold at most maxTerms
}

// parseQuery turns q or fq into words and clauses. A field:value term of
// an unknown field is a Search Query Error, as Solr reports one.
func (a *api) parseQuery(ctx context.Context, s string, now time.Time) (parsed, error) {
	terms, err := tokenize(s)
	if err != nil {
		return parsed{}, err
	}
	out := parsed{terms: len(terms)}
	var group []search.Clause // terms joined by OR
	for _, t := range terms {
		if err := ctx.Err(); err != nil {
			return parsed{}, err
		}
		if t.field == "" || t.field == "text" {
			if t.value != "*" && t.value != "*:*" {
				out.words = append(out.words, t.value)
			}
			continue
		}
		c, err := a.clause(ctx, t, now)
		if err != nil {
			return parsed{}, err
		}
		if c == nil { // a condition every dataset meets (dataset_type:dataset)
			continue
		}
		group = append(group, *c)
		if !t.isOr {
			if len(group) == 1 {
				out.clauses = append(out.clauses, group[0])
			} else {
				out.clauses = append(out.clauses, search.Clause{Any: group})
			}
			group = nil
		}
	}
	if len(group) > 0 {
		out.clauses = append(out.clauses, search.Clause{Any: group})
	}
	return out, nil
}

// fieldAliases maps CKAN and Solr field names to index fields.
var fieldAliases = map[string]string{
	"id": search.FieldID, "name": search.FieldName, "organization": search.FieldOrganization,
	"owner_org": search.FieldOrganization, "groups": search.FieldSubject, "tags": search.FieldKeywords,
	"res_format": search.FieldFormats, "license_id": search.FieldOpenType,
	"metadata_modified": search.FieldModified, "metadata_created": search.FieldCreated,
	"state": search.FieldStatus, "capacity": search.FieldStatus,
	"code": search.FieldCode, "subject": search.FieldSubject, "industry": search.FieldIndustry,
	"open_type": search.FieldOpenType, "share_type": search.FieldShareType,
	"classification": search.FieldClassification, "update_frequency": search.FieldFrequency,
	"level": search.FieldLevel, "published_at": search.FieldPublished,
}

// clause is one field term as an index clause (nil: always true).
func (a *api) clause(ctx context.Context, t term, now time.Time) (*search.Clause, error) {
	name := strings.TrimPrefix(t.field, "extras_")
	if name == "*" && t.value == "*" { // *:* matches everything
		return nil, nil
	}
	if name == "dataset_type" || name == "type" || name == "site_id" {
		if t.value == "dataset" || name == "site_id" {
			return nil, nil
		}
		return &search.Clause{Field: search.FieldID, Values: []string{"\x00none"}}, nil
	}
	field, ok := fieldAliases[name]
	if !ok {
		return nil, fmt.Errorf("%w: unknown field %q", search.ErrBadQuery, t.field)
	}
	c := search.Clause{Field: field, Not: t.not}
	if t.isRange {
		return a.rangeClause(c, t, now)
	}
	values := t.alternatives
	if len(values) == 0 {
		values = []string{t.value}
	}
	for _, v := range values {
		mapped, err := a.fieldValue(ctx, name, v)
		if err != nil {
			return nil, err
		}
		c.Values = append(c.Values, mapped...)
	}
	if len(c.Values) == 0 { // a value that cannot match (an unknown organization)
		c.Values = []string{"\x00none"}
	}
	return &c, nil
}

func (a *api) rangeClause(c search.Clause, t term, now time.Time) (*search.Clause, error) {
	if c.Field != search.FieldModified && c.Field != search.FieldCreated && c.Field != search.FieldPublished {
		return nil, fmt.Errorf("%w: %s: ranges apply to metadata_modified and metadata_created", search.ErrBadQuery, t.field)
	}
	bound := func(s string, shift time.Duration) (string, error) {
		if s == "*" {
			return "", nil
		}
		tm, err := parseTime(s, now)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %v", search.ErrBadQuery, t.field, err)
		}
		return tm.Add(shift).Format(search.TimeFormat), nil
	}
	var fromShift, toShift time.Duration // a brace excludes its bound
	if t.exclFrom {
		fromShift = time.Microsecond
	}
	if t.exclTo {
		toShift = -time.Microsecond
	}
	var err error
	if c.From, err = bound(t.from, fromShift); err != nil {
		return nil, err
	}
	if c.To, err = bound(t.to, toShift); err != nil {
		return nil, err
	}
	if c.To == "" {
		c.To = "9999"
	}
	return &c, nil
}

// fieldValue maps a CKAN value of a field to the index's values.
func (a *api) fieldValue(ctx context.Context, field, v string) ([]string, error) {
	switch field {
	case "organization":
		if o, ok := a.orgs.byName(ctx, v); ok {
			return []string{o.ID}, nil
		}
		return nil, nil
	case "groups", "subject":
		if s, ok := ckanpkg.SubjectOfGroup(v); ok {
			return []string{s}, nil
		}
		return nil, nil
	case "res_format":
		for _, f := range catalog.Formats {
			if strings.EqualFold(f, v) {
				return []string{f}, nil
			}
		}
		return []string{v}, nil
	case "license_id":
		for _, l := range ckanpkg.Licenses() {
			if l.ID == v {
				return []string{string(l.OpenType)}, nil
			}
		}
		return nil, nil
	case "state":
		switch v {
		case "active":
			return []string{string(catalog.StatusPublished)}, nil
		case "deleted":
			return []string{string(catalog.StatusRetired)}, nil
		case "draft":
			return []string{string(catalog.StatusDraft), string(catalog.StatusSubmitted), string(catalog.StatusReturned)}, nil
		}
		return nil, nil
	case "capacity":
		if v == "public" {
			return []string{string(catalog.StatusPublished), string(catalog.StatusRetired)}, nil
		}
		return []string{string(catalog.StatusDraft), string(catalog.StatusSubmitted), string(catalog.StatusReturned)}, nil
	case "name":
		return []string{strings.ToLower(v)}, nil
	case "code":
		return []string{strings.ToUpper(v)}, nil
	}
	return []string{v}, nil
}

// sortKeys reads CKAN's sort ("score desc, metadata_modified desc").
func sortKeys(s string) ([]search.SortKey, error) {
	var keys []search.SortKey
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		desc := len(f) > 1 && strings.EqualFold(f[1], "desc")
		if len(f) > 2 || len(f) == 2 && !desc && !strings.EqualFold(f[1], "asc") {
			return nil, fmt.Errorf("%w: sort %q: want FIELD asc|desc", search.ErrBadQuery, part)
		}
		switch f[0] {
		case "score", "rank":
			keys = append(keys, search.SortKey{Field: "_score", Desc: desc})
		case "metadata_modified":
			keys = append(keys, search.SortKey{Field: search.FieldModified, Desc: desc})
		case "metadata_created":
			keys = append(keys, search.SortKey{Field: search.FieldCreated, Desc: desc})
		case "name":
			keys = append(keys, search.SortKey{Field: search.FieldName, Desc: desc})
		case "title_string", "title":
			keys = append(keys, search.SortKey{Field: search.FieldTitleSort, Desc: desc})
		case "id", "index_id":
			keys = append(keys, search.SortKey{Field: "_id", Desc: desc})
		case "views_recent", "views_total": // page view tracking is not kept: no effect
		default:
			return nil, fmt.Errorf("%w: cannot sort by %q", search.ErrBadQuery, f[0])
		}
	}
	return keys, nil
}
