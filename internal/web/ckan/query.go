package ckan

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"dataport/internal/catalog"
	"dataport/internal/search"
)

// The Solr syntax CKAN clients send in q and fq, as far as clients use it:
// words; field:value and field:"quoted value"; field:(a OR b); ranges
// field:[2024-01-01T00:00:00Z TO *] (braces exclude the bound); a leading
// - negates; OR joins the terms beside it; AND and + are the default.

// term is one lexical piece of a query.
type term struct {
	field, value string
	quoted, isOr bool
	not          bool
	from, to     string
	isRange      bool
	exclFrom     bool
	alternatives []string // field:(a OR b)
}

// tokenize splits a Solr query into terms.
func tokenize(s string) ([]term, error) {
	var out []term
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		var t term
		switch rs[i] {
		case '-':
			t.not = true
			i++
		case '+':
			i++
		}
		start := i
		for i < len(rs) && !unicode.IsSpace(rs[i]) && rs[i] != ':' && rs[i] != '"' {
			i++
		}
		word := string(rs[start:i])
		if i < len(rs) && rs[i] == ':' && word != "" {
			t.field = word
			i++
			var err error
			if i, err = t.readValue(rs, i); err != nil {
				return nil, err
			}
		} else if i < len(rs) && rs[i] == '"' {
			end := indexRune(rs, i+1, '"')
			if end < 0 {
				return nil, fmt.Errorf("%w: unclosed quote", search.ErrBadQuery)
			}
			t.value, t.quoted, i = word+string(rs[i+1:end]), true, end+1
		} else {
			t.value = word
		}
		if t.field == "" && !t.quoted && (t.value == "OR" || t.value == "||") {
			if len(out) > 0 {
				out[len(out)-1].isOr = true
			}
			continue
		}
		if t.field == "" && !t.quoted && (t.value == "AND" || t.value == "&&" || t.value == "") {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

func indexRune(rs []rune, from int, r rune) int {
	for i := from; i < len(rs); i++ {
		if rs[i] == r {
			return i
		}
	}
	return -1
}

// readValue reads what follows "field:".
func (t *term) readValue(rs []rune, i int) (int, error) {
	if i >= len(rs) {
		return i, fmt.Errorf("%w: %s: has no value", search.ErrBadQuery, t.field)
	}
	switch rs[i] {
	case '"':
		end := indexRune(rs, i+1, '"')
		if end < 0 {
			return i, fmt.Errorf("%w: unclosed quote after %s:", search.ErrBadQuery, t.field)
		}
		t.value, t.quoted = string(rs[i+1:end]), true
		return end + 1, nil
	case '[', '{':
		closeAt := -1
		for j := i + 1; j < len(rs); j++ {
			if rs[j] == ']' || rs[j] == '}' {
				closeAt = j
				break
			}
		}
		if closeAt < 0 {
			return i, fmt.Errorf("%w: unclosed range after %s:", search.ErrBadQuery, t.field)
		}
		parts := strings.Fields(string(rs[i+1 : closeAt]))
		if len(parts) != 3 || parts[1] != "TO" {
			return i, fmt.Errorf("%w: %s: a range is [FROM TO UNTIL]", search.ErrBadQuery, t.field)
		}
		t.isRange, t.from, t.to, t.exclFrom = true, parts[0], parts[2], rs[i] == '{'
		return closeAt + 1, nil
	case '(':
		end := indexRune(rs, i+1, ')')
		if end < 0 {
			return i, fmt.Errorf("%w: unclosed parenthesis after %s:", search.ErrBadQuery, t.field)
		}
		for _, v := range strings.Fields(string(rs[i+1 : end])) {
			if v != "OR" {
				t.alternatives = append(t.alternatives, strings.Trim(v, `"`))
			}
		}
		return end + 1, nil
	}
	start := i
	for i < len(rs) && !unicode.IsSpace(rs[i]) {
		i++
	}
	t.value = string(rs[start:i])
	return i, nil
}

// parsed is a CKAN query split into words and conditions.
type parsed struct {
	words   []string
	clauses []search.Clause
}

// parseQuery turns q or fq into words and clauses. A field:value term of
// an unknown field is a Search Query Error, as Solr reports one.
func (a *api) parseQuery(ctx context.Context, s string, now time.Time) (parsed, error) {
	terms, err := tokenize(s)
	if err != nil {
		return parsed{}, err
	}
	var out parsed
	var group []search.Clause // terms joined by OR
	for _, t := range terms {
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
	bound := func(s string, excl bool) (string, error) {
		if s == "*" {
			return "", nil
		}
		tm, err := parseTime(s, now)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %v", search.ErrBadQuery, t.field, err)
		}
		if excl {
			tm = tm.Add(time.Microsecond)
		}
		return tm.Format(search.TimeFormat), nil
	}
	var err error
	if c.From, err = bound(t.from, t.exclFrom); err != nil {
		return nil, err
	}
	if c.To, err = bound(t.to, false); err != nil {
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
		if s, ok := subjectOfGroup(v); ok {
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
		for _, l := range Licenses() {
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
