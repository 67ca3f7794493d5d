package datastore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Query selects rows of a resource's current version.
type Query struct {
	Fields  []string // items to return; empty: every item the caller may read
	Filters []Filter
	Q       string // words that must each appear in some text item
	Sort    []SortKey
	Limit   int    // 1–MaxLimit; 0 means 100
	Offset  int    // rows to skip (CKAN paging)
	Cursor  string // keyset paging: NextCursor of the previous page
	Total   bool   // count the matching rows
	// FieldsOnly serves no rows, only the fields and, with Total, the
	// count (CKAN's limit 0); no row is reserved or counted against a quota.
	FieldsOnly bool
}

// Filter operators.
const (
	OpEq, OpNe, OpLt, OpLte, OpGt, OpGte, OpIn, OpNull, OpNotNull = "eq", "ne", "lt", "lte", "gt", "gte", "in", "null", "notnull"
)

// OpContains matches rows whose item, read as text, contains Values[0]
// (case-insensitively on PostgreSQL): CKAN's per-item q. It is not among
// Ops, the operators the native API offers.
const OpContains = "contains"

// Ops lists the filter operators.
var Ops = []string{OpEq, OpNe, OpLt, OpLte, OpGt, OpGte, OpIn, OpNull, OpNotNull}

// Filter compares one item with values (one value, several for "in", none
// for "null" and "notnull").
type Filter struct {
	Item   string
	Op     string
	Values []string
}

// filterFields are the items q's filters name, each once.
func (q Query) filterFields() []string {
	var out []string
	for _, f := range q.Filters {
		if !slices.Contains(out, f.Item) {
			out = append(out, f.Item)
		}
	}
	return out
}

// SortKey orders by one item.
type SortKey struct {
	Item string
	Desc bool
}

// RowField describes a returned column as CKAN does.
type RowField struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Label string `json:"label,omitempty"`
}

// RowsPage is a page of rows.
type RowsPage struct {
	ResourceID     string     `json:"resource_id"`
	Version        int        `json:"version"`
	Fields         []RowField `json:"fields"`
	Rows           [][]any    `json:"rows"`
	Total          int64      `json:"total"` // -1 when not counted
	TotalEstimated bool       `json:"total_was_estimated"`
	NextCursor     string     `json:"next_cursor"`
	Limit          int        `json:"limit"`
	Offset         int        `json:"offset"`
	QuotaTruncated bool       `json:"quota_truncated" doc:"True when your grant's rows per request or what is left of its total row quota cut this page short of the limit asked while more rows matched; limit is then the rows you were allowed. Once the total quota is used up, reads are refused with reason over_quota."`
}

// ExactCountLimit is how many matching rows are counted exactly; beyond it
// the total is estimated from a sample of the table.
const ExactCountLimit = 10000

// estimateWindow is how many rows (by row number) the estimate samples.
const estimateWindow = 100000

// ckanTypes are CKAN's names for the item types.
var ckanTypes = map[catalog.ItemType]string{catalog.TypeInteger: "int", catalog.TypeDecimal: "numeric", catalog.TypeText: "text",
	catalog.TypeDate: "date", catalog.TypeDatetime: "timestamp", catalog.TypeBoolean: "bool", catalog.TypeCode: "text"}

// plan is a decided, checked query over one version's table.
type plan struct {
	res       catalog.Resource
	v         DataVersion
	items     []catalog.Item // every item of the version, in table order
	out       []int          // indexes of the returned items
	where     []string
	args      []any
	order     []SortKey
	rowFilter bool // the decision filters rows (Decision.Permits)
	deid      func([]any) error
	rewritten []string // items the decision's de-identification profile serves rewritten
	decision  access.Decision
	dialect   store.Dialect
}

// decide asks the decision point for a path, reading through channel, that
// serves no rows counted against quotas, and turns a denial into an error.
func (s *Service) decide(ctx context.Context, actor identity.Principal, resourceID string, action access.Action, channel access.Channel) (access.Decision, error) {
	return s.decideRows(ctx, actor, resourceID, action, channel, 0)
}

// decideRows asks the decision point for a path that means to serve up to
// rows rows (access.Request.Rows) and turns a denial into an error. Under a
// grant's row quota the decision reserves them: the path serves at most
// Decision.RowLimit rows and MUST then call recordRows once, also when it
// fails, so that the unused part goes back to the quota. Every path that
// serves rows — Search (rows API, CKAN datastore_search, UI previews),
// exports and datastore_search_sql — goes through this pair.
func (s *Service) decideRows(ctx context.Context, actor identity.Principal, resourceID string, action access.Action, channel access.Channel, rows int64) (access.Decision, error) {
	return s.decideFiltered(ctx, actor, resourceID, action, channel, rows, nil)
}

// decideFiltered is decideRows for a read that filters on the items
// filterFields (access.Request.FilterFields: the monitor sees them).
func (s *Service) decideFiltered(ctx context.Context, actor identity.Principal, resourceID string, action access.Action, channel access.Channel,
	rows int64, filterFields []string) (access.Decision, error) {
	d, err := s.access.Decide(ctx, access.Request{Subject: actor, ResourceID: resourceID, Action: action, Channel: channel, Rows: rows,
		FilterFields: filterFields})
	if err != nil {
		return d, fmt.Errorf("datastore: access decision: %w", err)
	}
	return d, d.Err()
}

// newPlan decides access and checks the query's fields, filters and sort
// against the items the decision lets the caller read. want says how many
// rows the path would serve from version v, for the decision to reserve.
// Once it returns a plan, the caller MUST call recordRows with what it
// served; on an error newPlan has released the reservation itself.
func (s *Service) newPlan(ctx context.Context, actor identity.Principal, resourceID string, action access.Action, channel access.Channel, q Query,
	want func(v DataVersion) int64) (*plan, error) {
	// The version is read before deciding so that no more rows of a quota
	// are reserved than it holds; its error is reported after the decision.
	v, verr := s.current(ctx, resourceID)
	var rows int64
	if verr == nil {
		rows = want(v)
	}
	d, err := s.decideFiltered(ctx, actor, resourceID, action, channel, rows, q.filterFields())
	if err != nil {
		return nil, err
	}
	p, err := s.checkPlan(ctx, d, resourceID, v, verr, q)
	if err != nil {
		s.recordRows(ctx, d, 0)
		return nil, err
	}
	return p, nil
}

// checkPlan builds the plan of q on version v under allow decision d.
func (s *Service) checkPlan(ctx context.Context, d access.Decision, resourceID string, v DataVersion, verr error, q Query) (*plan, error) {
	res, err := s.cat.Get(ctx, identity.System, resourceID)
	if err != nil {
		return nil, err
	}
	if verr != nil {
		return nil, verr
	}
	p := &plan{res: res, v: v, items: v.Items, decision: d, dialect: s.db.Dialect}
	// The de-identification profile comes first: filters, sort and q must
	// not look at the stored values of the items it rewrites.
	if err := s.constrain(ctx, p, d.Constraints); err != nil {
		return nil, err
	}
	var errs validate.Errors
	p.selectFields(q.Fields, d.Constraints.Fields, &errs)
	for i, f := range q.Filters {
		p.filter(s.db.Dialect, i, f, d.Constraints.Fields, &errs)
	}
	p.search(s.db.Dialect, q.Q, d.Constraints.Fields, &errs)
	for i, k := range q.Sort {
		at := fmt.Sprintf("sort[%d]", i)
		if _, ok := p.item(k.Item, d.Constraints.Fields); !ok {
			errs.Add(at, k.Item, "not_readable", "is not an item you may read")
		} else if p.isRewritten(k.Item) {
			errs.Add(at, k.Item, "deid_sort", "%s is served de-identified to you, so rows cannot be sorted by it", k.Item)
		}
	}
	p.order = q.Sort
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// isRewritten reports whether the decision's de-identification profile
// serves item rewritten (masked, pseudonymised, generalised, dropped...):
// its stored values must not decide which rows match or their order.
func (p *plan) isRewritten(item string) bool { return slices.Contains(p.rewritten, item) }

// item finds a readable item by name.
func (p *plan) item(name string, allowed []string) (int, bool) {
	for i, it := range p.items {
		if it.Name == name && (allowed == nil || slices.Contains(allowed, name)) {
			return i, true
		}
	}
	return -1, false
}

func (p *plan) selectFields(fields, allowed []string, errs *validate.Errors) {
	if len(fields) == 0 {
		for i, it := range p.items {
			if allowed == nil || slices.Contains(allowed, it.Name) {
				p.out = append(p.out, i)
			}
		}
		return
	}
	for k, f := range fields {
		i, ok := p.item(f, allowed)
		switch {
		case !ok:
			errs.Add(fmt.Sprintf("fields[%d]", k), f, "not_readable", "is not an item you may read")
		case slices.Contains(p.out, i):
			errs.Add(fmt.Sprintf("fields[%d]", k), f, validate.CodeDuplicate, "is named twice")
		default:
			p.out = append(p.out, i)
		}
	}
}

// maxSearchWords bounds q: every word is a LIKE over each text item, and
// SQLite refuses an expression tree past 1,000 levels (a 500 before).
const maxSearchWords = 32

func (p *plan) arg(v any) string {
	p.args = append(p.args, v)
	return fmt.Sprintf("$%d", len(p.args))
}

func (p *plan) filter(d store.Dialect, k int, f Filter, allowed []string, errs *validate.Errors) {
	at := fmt.Sprintf("filters[%d]", k)
	i, ok := p.item(f.Item, allowed)
	if !ok {
		errs.Add(at+".item", f.Item, "not_readable", "is not an item you may read")
		return
	}
	if p.isRewritten(f.Item) {
		errs.Add(at+".item", f.Item, "deid_filter", "%s is served de-identified to you, so rows cannot be filtered by it", f.Item)
		return
	}
	col := ident(f.Item)
	ops := map[string]string{OpEq: "=", OpNe: "<>", OpLt: "<", OpLte: "<=", OpGt: ">", OpGte: ">="}
	switch {
	case f.Op == OpNull:
		p.where = append(p.where, col+" IS NULL")
	case f.Op == OpNotNull:
		p.where = append(p.where, col+" IS NOT NULL")
	case f.Op == OpIn || (ops[f.Op] != "" && len(f.Values) == 1):
		var phs []string
		for _, s := range f.Values {
			v, err := argValue(d, p.items[i], s)
			if err != nil {
				errs.Add(at+".value", s, "filter_value", "%s", err.Error())
				return
			}
			phs = append(phs, p.arg(v))
		}
		if f.Op == OpIn {
			if len(phs) == 0 {
				p.where = append(p.where, "1 = 0")
				return
			}
			p.where = append(p.where, col+" IN ("+strings.Join(phs, ", ")+")")
			return
		}
		p.where = append(p.where, col+" "+ops[f.Op]+" "+phs[0])
	case f.Op == OpContains && len(f.Values) == 1:
		like := "LIKE"
		if d == store.Postgres {
			like = "ILIKE"
		}
		ph := p.arg("%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Values[0]) + "%")
		p.where = append(p.where, "CAST("+col+" AS TEXT) "+like+" "+ph+` ESCAPE '\'`)
	case ops[f.Op] != "":
		errs.Add(at+".value", f.Values, "one_value", "operator %s takes exactly one value", f.Op)
	default:
		errs.Add(at+".op", f.Op, validate.CodeOneOf, "must be one of %s", strings.Join(Ops, ", "))
	}
}

// search adds one condition per word of q: some text item contains it.
// Items the decision's de-identification profile rewrites are not searched
// (their stored values would be matched, not the served ones). When no
// item is left to search, q is refused rather than matching nothing.
func (p *plan) search(d store.Dialect, q string, allowed []string, errs *validate.Errors) {
	like := "LIKE"
	if d == store.Postgres {
		like = "ILIKE"
	}
	words := strings.Fields(q)
	if len(words) > maxSearchWords {
		errs.Add("q", q, "too_many_words", "has %d words; at most %d are searched", len(words), maxSearchWords)
		return
	}
	for _, word := range words {
		ph := p.arg("%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(word) + "%")
		var ors []string
		for _, it := range p.items {
			if (it.Type == catalog.TypeText || it.Type == catalog.TypeCode) && (allowed == nil || slices.Contains(allowed, it.Name)) &&
				!p.isRewritten(it.Name) {
				ors = append(ors, ident(it.Name)+" "+like+" "+ph+` ESCAPE '\'`)
			}
		}
		if len(ors) == 0 {
			errs.Add("q", q, "no_text_search", "no item you may read can be searched as text: the text items are served de-identified to you, or there are none")
			return
		}
		p.where = append(p.where, "("+strings.Join(ors, " OR ")+")")
	}
}

// constrain applies the decision's row filter and de-identification.
func (s *Service) constrain(ctx context.Context, p *plan, c access.Constraints) error {
	p.rowFilter = c.RowFilter != ""
	if c.DeidProfile != "" {
		if s.deid == nil {
			return deidDenied("the grant requires de-identification profile " + c.DeidProfile + ", which this platform cannot apply yet")
		}
		dd, err := s.deid.Transformer(ctx, c.DeidProfile, p.res, p.items)
		if err != nil {
			return err
		}
		if dd.Row == nil {
			return deidDenied("de-identification profile " + c.DeidProfile + " cannot be applied to these rows")
		}
		p.deid, p.rewritten = dd.Row, dd.Rewritten
	}
	return nil
}

func (p *plan) allows(vals []any) bool {
	if !p.rowFilter {
		return true
	}
	row := make(map[string]any, len(p.items))
	for i, it := range p.items {
		row[it.Name] = vals[i]
	}
	return p.decision.Permits(row)
}

// fields returns the CKAN field list of the returned items, with _id first.
func (p *plan) fields() []RowField {
	out := []RowField{{ID: "_id", Type: "int"}}
	for _, i := range p.out {
		it := p.items[i]
		out = append(out, RowField{ID: it.Name, Type: ckanTypes[it.Type], Label: it.LabelZh})
	}
	return out
}

// selectSQL is the query for the plan's rows after cursor, in order.
func (p *plan) selectSQL(cur *cursor, limit, offset int) (string, []any) {
	cols := []string{ident(rowColumn)}
	for _, it := range p.items {
		cols = append(cols, ident(it.Name))
	}
	where := slices.Clone(p.where)
	args := slices.Clone(p.args)
	if cur != nil {
		cond, more := p.after(cur, len(args))
		where, args = append(where, cond), append(args, more...)
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + ident(p.v.table)
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + p.orderSQL()
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	if offset > 0 {
		if limit <= 0 {
			q += " LIMIT -1"
		}
		q += fmt.Sprintf(" OFFSET %d", offset)
	}
	return q, args
}

func (p *plan) orderSQL() string {
	var parts []string
	for _, k := range p.order {
		if k.Desc {
			parts = append(parts, ident(k.Item)+" DESC NULLS LAST")
		} else {
			parts = append(parts, ident(k.Item)+" ASC NULLS FIRST")
		}
	}
	return strings.Join(append(parts, ident(rowColumn)), ", ")
}

// each runs the plan and calls fn with every allowed row (row number, then
// values in item order), after de-identification, until fn returns errStop.
func (s *Service) each(ctx context.Context, p *plan, cur *cursor, limit, offset int, fn func(row int64, vals []any) error) error {
	sqlText, args := p.selectSQL(cur, limit, offset)
	if p.rowFilter {
		sqlText, args = p.selectSQL(cur, 0, 0) // the filter runs here, so SQL cannot page
	}
	rows, err := s.queryRows(ctx, p.v, sqlText, args...)
	if err != nil {
		return fmt.Errorf("datastore: query: %w", err)
	}
	defer rows.Close()
	raw := make([]any, 1+len(p.items))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	vals := make([]any, len(p.items))
	skipped, served := 0, 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, it := range p.items {
			vals[i] = outValue(it.Type, raw[1+i])
		}
		if !p.allows(vals) {
			continue
		}
		if p.rowFilter {
			if skipped < offset {
				skipped++
				continue
			}
			if limit > 0 && served >= limit {
				break
			}
		}
		if p.deid != nil {
			if err := p.deid(vals); err != nil {
				return err
			}
		}
		served++
		if err := fn(toInt64(raw[0]), vals); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
	return rows.Err()
}

var errStop = fmt.Errorf("stop")

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}

// Search returns a page of rows. Every call asks the access decision point
// (action read, through the caller's channel, e.g. access.ChannelAPIRows)
// and serves only what it allows.
func (s *Service) Search(ctx context.Context, actor identity.Principal, resourceID string, channel access.Channel, q Query) (RowsPage, error) {
	asked := q.Limit
	if asked <= 0 {
		asked = 100
	}
	asked = min(asked, MaxLimit)
	if q.FieldsOnly {
		asked = 0
	}
	p, err := s.newPlan(ctx, actor, resourceID, access.ActionRead, channel, q, func(v DataVersion) int64 { return min(int64(asked), v.Rows) })
	if err != nil {
		return RowsPage{}, err
	}
	res, err := s.page(ctx, p, q, asked)
	if err != nil {
		s.recordRows(ctx, p.decision, 0)
		return RowsPage{}, err
	}
	s.recordRows(ctx, p.decision, int64(len(res.Rows)))
	if q.Total {
		res.Total, res.TotalEstimated, err = s.count(ctx, p)
	}
	return res, err
}

// page reads the rows of one page of q: asked rows at most, cut to what
// the decision allows.
func (s *Service) page(ctx context.Context, p *plan, q Query, asked int) (RowsPage, error) {
	limit := int(p.decision.RowLimit(int64(asked)))
	var cur *cursor
	if q.Cursor != "" {
		var err error
		if cur, err = decodeCursor(q.Cursor, len(p.order)); err != nil {
			return RowsPage{}, err
		}
	}
	res := RowsPage{ResourceID: p.res.ID, Version: p.v.Version, Fields: p.fields(), Rows: [][]any{}, Total: -1, Limit: limit, Offset: q.Offset}
	if limit == 0 {
		return res, nil // each would read every row
	}
	var last []any
	var lastRow int64
	err := s.each(ctx, p, cur, limit+1, q.Offset, func(row int64, vals []any) error {
		if len(res.Rows) == limit {
			res.NextCursor = p.encodeCursor(last, lastRow)
			return errStop
		}
		out := make([]any, 1+len(p.out))
		out[0] = row
		for k, i := range p.out {
			out[1+k] = vals[i]
		}
		res.Rows = append(res.Rows, out)
		last, lastRow = slices.Clone(vals), row
		return nil
	})
	res.QuotaTruncated = limit < asked && res.NextCursor != ""
	return res, err
}

// recordRows reports n rows served under d (see decideRows). A failure is
// logged, not returned: the rows are already served.
func (s *Service) recordRows(ctx context.Context, d access.Decision, n int64) {
	if err := s.access.RecordRows(ctx, d, n); err != nil {
		s.log.ErrorContext(ctx, "datastore: record rows served", "resource", d.ResourceID, "grant", d.GrantID, "err", err)
	}
}

// count counts matching rows: exactly up to ExactCountLimit, estimated
// beyond from the share of matches among the first estimateWindow rows.
func (s *Service) count(ctx context.Context, p *plan) (int64, bool, error) {
	if len(p.where) == 0 && !p.rowFilter {
		return p.v.Rows, false, nil
	}
	if p.rowFilter {
		var n int64
		err := s.each(ctx, p, nil, 0, 0, func(int64, []any) error { n++; return nil })
		return n, false, err
	}
	from := " FROM " + ident(p.v.table) + " WHERE " + strings.Join(p.where, " AND ")
	var n int64
	err := s.scanRow(ctx, p.v, fmt.Sprintf("SELECT COUNT(*) FROM (SELECT 1%s LIMIT %d) m", from, ExactCountLimit+1), p.args, &n)
	if err != nil || n <= ExactCountLimit {
		return n, false, err
	}
	// Estimate from a window of the first rows by row number: the window's
	// bounds come from the primary key, and the filter's index carries the
	// row number, so the sample costs about a tenth as much as the window.
	var lo, hi int64
	for _, q := range []struct {
		agg string
		dst *int64
	}{{"MIN", &lo}, {"MAX", &hi}} { // one aggregate per query: each is a single primary-key lookup
		if err := s.scanRow(ctx, p.v, fmt.Sprintf(`SELECT %s(%s) FROM %s`, q.agg, ident(rowColumn), ident(p.v.table)), nil, q.dst); err != nil {
			return n, true, err
		}
	}
	if hi <= lo || p.v.Rows == 0 {
		return n, true, nil
	}
	span := hi - lo + 1
	bound := min(lo+max(span*estimateWindow/p.v.Rows, 1), hi+1)
	var sampled int64
	err = s.scanRow(ctx, p.v, fmt.Sprintf("SELECT COUNT(*)%s AND %s < %d", from, ident(rowColumn), bound), p.args, &sampled)
	if err != nil {
		return n, true, err
	}
	est := int64(float64(sampled) * float64(span) / float64(bound-lo))
	return max(est, ExactCountLimit+1), true, nil
}

// cursor is a keyset position: the sort items' values and the row number
// of the last row served.
type cursor struct {
	Values []any `json:"v"`
	Row    int64 `json:"r"`
}

func (p *plan) encodeCursor(vals []any, row int64) string {
	c := cursor{Row: row}
	for _, k := range p.order {
		i, _ := p.item(k.Item, nil)
		c.Values = append(c.Values, vals[i])
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrBadCursor means a cursor was not handed out for this query.
var ErrBadCursor = validate.Errors{{Field: "cursor", Message: "is not a cursor from a previous page of this query", Code: validate.CodeCursor}}

func decodeCursor(s string, sortKeys int) (*cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrBadCursor
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil || len(c.Values) != sortKeys {
		return nil, ErrBadCursor
	}
	return &c, nil
}

// after is the condition "comes after cur" in the plan's order, with NULLs
// first in ascending and last in descending order.
func (p *plan) after(cur *cursor, argc int) (string, []any) {
	var args []any
	ph := func(t catalog.ItemType, v any) string {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				v = i
			} else if f, err := n.Float64(); err == nil {
				v = f
			}
		}
		if s, ok := v.(string); ok && t == catalog.TypeDatetime && p.dialect == store.SQLite {
			v = strings.Replace(s, "T", " ", 1)
		}
		v = storeValue(p.dialect, t, v)
		args = append(args, v)
		return fmt.Sprintf("$%d", argc+len(args))
	}
	var ors []string
	var eqs []string
	for k, key := range p.order {
		col, v := ident(key.Item), cur.Values[k]
		i, _ := p.item(key.Item, nil)
		t := p.items[i].Type
		var gt, eq string
		switch {
		case v == nil && !key.Desc:
			gt, eq = col+" IS NOT NULL", col+" IS NULL"
		case v == nil:
			gt, eq = "1 = 0", col+" IS NULL"
		case !key.Desc:
			x := ph(t, v)
			gt, eq = col+" > "+x, col+" = "+x
		default:
			x := ph(t, v)
			gt, eq = "("+col+" < "+x+" OR "+col+" IS NULL)", col+" = "+x
		}
		ors = append(ors, "("+strings.Join(append(slices.Clone(eqs), gt), " AND ")+")")
		eqs = append(eqs, eq)
	}
	ors = append(ors, "("+strings.Join(append(eqs, ident(rowColumn)+" > "+ph(catalog.TypeInteger, cur.Row)), " AND ")+")")
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// statementQuota holds the decisions of one statement over several
// resources (datastore_search_sql): the statement serves at most the
// smallest of their row limits, and the rows it serves count under each.
type statementQuota struct {
	s         *Service
	decisions []access.Decision
	limit     int64
	served    int64 // set by the caller once the rows are read
}

func (s *Service) newStatementQuota(maxRows int) *statementQuota {
	return &statementQuota{s: s, limit: int64(maxRows)}
}

// decide asks for resourceID as decideRows does, reserving the statement's
// row limit, and narrows that limit to what the decision allows.
func (q *statementQuota) decide(ctx context.Context, actor identity.Principal, resourceID string, action access.Action, channel access.Channel) (access.Decision, error) {
	d, err := q.s.decideRows(ctx, actor, resourceID, action, channel, q.limit)
	if err != nil {
		return d, err
	}
	q.decisions = append(q.decisions, d)
	q.limit = d.RowLimit(q.limit)
	return d, nil
}

// rowLimit is the most rows the statement may return.
func (q *statementQuota) rowLimit() int { return int(q.limit) }

// settle records q.served rows under every decision (0 when the statement
// failed before serving) and releases the rest of each reservation.
func (q *statementQuota) settle(ctx context.Context) {
	for _, d := range q.decisions {
		q.s.recordRows(ctx, d, q.served)
	}
}
