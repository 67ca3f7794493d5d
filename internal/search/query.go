package search

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"dataport/internal/catalog"
	"dataport/internal/identity"

	"github.com/RoaringBitmap/roaring/v2"
	index "github.com/blevesearch/bleve_index_api"
)

// MaxSize is the most hits one search returns (CKAN's rows limit).
const MaxSize = 1000

// ErrBadQuery means a search request cannot be run as given: an unknown
// field, a malformed range or cursor. Its message says which.
var ErrBadQuery = errors.New("bad search query")

// Clause is one condition on a keyword field: the field holds one of Values,
// or lies in [From, To] (either bound "" for open) when Values is empty. Not
// negates it. A clause with Any holds when one of Any holds (Field unused).
type Clause struct {
	Field    string
	Values   []string
	From, To string
	Not      bool
	Any      []Clause
}

// SortKey orders hits by one field ("_score", "_id" or a sortable field).
type SortKey struct {
	Field string
	Desc  bool
}

// Common orders.
var (
	SortRelevance = []SortKey{{"_score", true}, {FieldModified, true}}
	SortNewest    = []SortKey{{FieldModified, true}}
	SortName      = []SortKey{{FieldTitleSort, false}}
)

// sortable lists the fields a search may sort by.
var sortable = map[string]bool{"_score": true, "_id": true, FieldModified: true, FieldCreated: true,
	FieldPublished: true, FieldTitleSort: true, FieldName: true, FieldCode: true}

// Request is one search: words, conditions, whose view, order and page.
type Request struct {
	Text     string             // words to find; "" matches everything
	Clauses  []Clause           // all must hold
	Statuses []catalog.Status   // statuses to include; empty means published only
	Viewer   identity.Principal // only resources CanView allows are found
	// WithNotOpen keeps resources that are not opened (不予开放) in the
	// result. Without it they are left out, unless a clause names the
	// open type (choosing 不予开放 in its facet brings them back); a
	// FieldOpenType facet counts them either way.
	WithNotOpen bool
	Sort        []SortKey // empty: relevance when Text is set, else newest
	Size        int       // hits per page: 0 means 10, at most MaxSize
	From        int       // hits to skip (offset paging)
	After       string    // cursor of a previous Result (keyset paging); From must be 0
	Facets      []string  // fields to count values of
	// FacetSize caps the values returned per facet (0: 50); FacetMin drops
	// values with fewer hits.
	FacetSize, FacetMin int
	// Encoder, when set, turns each hit into what the caller serves (a
	// CKAN package as JSON): hits then carry Encoded, and their Resource
	// and Org are left zero. The index keeps the bytes by the stored
	// document's hash and Encoder.Key, so a document is read, decoded and
	// encoded again only after it changes.
	Encoder Encoder
}

// Encoder encodes a found resource for a caller. Encode must depend on
// nothing but the hit's Resource and Org and what Key names (Score is not
// set), and must not keep or change the bytes it returns.
type Encoder interface {
	Key() string
	Encode(Hit) ([]byte, error)
}

// Hit is one resource found, as stored in the index.
type Hit struct {
	Resource catalog.Resource
	Org      Org
	Score    float64
	Encoded  []byte // Request.Encoder's bytes for the hit, when it was set (shared: do not modify)
}

// FacetValue is one value of a facet and how many hits have it.
type FacetValue struct {
	Value string
	Count int
}

// Result is one page of a search.
type Result struct {
	Total  int
	Hits   []Hit
	Facets map[string][]FacetValue
	Next   string // cursor for the page after this one ("" on the last page)
}

// Search runs r. Every hit is a resource r.Viewer may see, read from the
// index's stored documents (no database query). Results may be shared with
// other callers (a cache serves repeated searches): do not modify them.
func (ix *Index) Search(r Request) (Result, error) {
	return ix.SearchContext(context.Background(), r)
}

// SearchContext is Search that gives up once ctx is done (a request whose
// client has gone, or past its deadline), returning ctx's error: it checks
// between clauses and words, and while a word's prefixes are looked up.
func (ix *Index) SearchContext(ctx context.Context, r Request) (Result, error) {
	r.Size = min(max(r.Size, 0), MaxSize)
	if r.Size == 0 {
		r.Size = 10
	}
	if err := r.check(); err != nil {
		return Result{}, err
	}
	cacheKey := ix.resultKey(r)
	if res, ok := ix.results.get(cacheKey); ok {
		return res, nil
	}
	keys := r.order()
	var after []string
	var err error
	pageKey := ""
	if r.After != "" {
		if after, err = decodeCursor(r.After, len(keys)); err != nil {
			return Result{}, err
		}
	} else {
		pageKey = ix.pageKey(r, keys)
		if cached, ok := ix.pages.get(pageKey, r.From); ok && r.From > 0 {
			after = cached
		}
	}
	from := r.From
	if after != nil {
		from = 0
	}
	page, out, err := ix.evaluate(ctx, r, keys, after, from)
	if err != nil {
		return Result{}, err
	}
	more := len(page) > r.Size // evaluate returns one hit more than the page
	if more {
		page = page[:r.Size]
	}
	for _, p := range page {
		if r.Encoder != nil {
			b, ok, err := ix.encodedHit(r, p)
			if err != nil {
				return Result{}, err
			}
			if !ok {
				out.Total--
				continue
			}
			out.Hits = append(out.Hits, Hit{Score: p.score, Encoded: b})
			continue
		}
		s, err := ix.storedDoc(p.id, p.hash)
		if err != nil {
			return Result{}, err
		}
		if !catalog.CanView(r.Viewer, s.Resource) { // the query filters; this is a second lock
			out.Total--
			continue
		}
		out.Hits = append(out.Hits, Hit{Resource: s.Resource, Org: s.Org, Score: p.score})
	}
	if n := len(page); n > 0 {
		last := page[n-1].values
		if pageKey != "" {
			ix.pages.put(pageKey, r.From+n, last)
		}
		if more {
			out.Next = encodeCursor(last)
		}
	}
	ix.results.put(cacheKey, out)
	return out, nil
}

// check refuses what a search cannot run: unknown fields, a negative
// offset, an offset and a cursor together.
func (r Request) check() error {
	if r.From < 0 {
		return fmt.Errorf("%w: start must not be negative", ErrBadQuery)
	}
	if r.From > 0 && r.After != "" {
		return fmt.Errorf("%w: use either start or a cursor, not both", ErrBadQuery)
	}
	for _, c := range r.Clauses {
		if err := c.check(); err != nil {
			return err
		}
	}
	for _, f := range r.Facets {
		if !isFacetField(f) {
			return fmt.Errorf("%w: cannot facet on field %q", ErrBadQuery, f)
		}
	}
	for _, k := range r.Sort {
		if !sortable[k.Field] && k.Field != FieldID {
			return fmt.Errorf("%w: cannot sort by %q", ErrBadQuery, k.Field)
		}
	}
	return nil
}

func (c Clause) check() error {
	for _, sub := range c.Any {
		if err := sub.check(); err != nil {
			return err
		}
	}
	switch {
	case len(c.Any) > 0:
	case len(c.Values) > 0 && !isKeywordField(c.Field):
		return fmt.Errorf("%w: cannot filter on field %q", ErrBadQuery, c.Field)
	case len(c.Values) == 0 && c.Field != FieldModified && c.Field != FieldCreated && c.Field != FieldPublished:
		return fmt.Errorf("%w: field %q has no range", ErrBadQuery, c.Field)
	}
	return nil
}

// showsNotOpen reports whether r keeps resources not opened: asked for,
// or a clause (at any depth) names the open type.
func (r Request) showsNotOpen() bool {
	return r.WithNotOpen || slices.ContainsFunc(r.Clauses, Clause.namesOpenType)
}

func (c Clause) namesOpenType() bool {
	return c.Field == FieldOpenType || slices.ContainsFunc(c.Any, Clause.namesOpenType)
}

// order is r's sort keys, ending with the id so that every order is total
// and a cursor names one place exactly.
func (r Request) order() []SortKey {
	keys := r.Sort
	if len(keys) == 0 {
		keys = SortNewest
		if len(words(r.Text)) > 0 {
			keys = SortRelevance
		}
	}
	for _, k := range keys {
		if k.Field == "_id" || k.Field == FieldID {
			return keys
		}
	}
	return append(slices.Clone(keys), SortKey{Field: "_id"})
}

// words splits the text searched for.
func words(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == '，' || r == '、' }) {
		if w != "*" && w != "*:*" {
			out = append(out, w)
		}
	}
	return out
}

// ranked is a matching document with what ordering it needs.
type ranked struct {
	n      uint32
	id     string
	hash   uint64
	score  float64
	values []string // its sort values, as a cursor holds them
	times  []int64  // a cursor's time values, parsed
	// view is what catalog.CanView reads of the resource (organization,
	// status, classification), from the mirror's columns.
	view catalog.Resource
}

// evaluate finds the matching documents, counts facets, orders them and
// returns the page (one more than Size) from offset from, after the cursor
// values when given.
func (ix *Index) evaluate(ctx context.Context, r Request, keys []SortKey, after []string, from int) ([]ranked, Result, error) {
	e := ix.engine
	e.mu.RLock()
	defer e.mu.RUnlock()
	matches, openTypes, err := e.base(ctx, r, slices.Contains(r.Facets, FieldOpenType))
	if err != nil {
		return nil, Result{}, err
	}
	var found []wordMatch
	for _, w := range words(r.Text) {
		if err := ctx.Err(); err != nil {
			return nil, Result{}, err
		}
		m, err := e.word(ctx, w)
		if err != nil {
			return nil, Result{}, err
		}
		matches.And(m.all)
		if openTypes != nil {
			openTypes.And(m.all)
		}
		found = append(found, m)
	}
	out := Result{Total: int(matches.GetCardinality()), Facets: e.facets(matches, r.Facets, r)}
	if openTypes != nil {
		out.Facets[FieldOpenType] = e.facets(openTypes, []string{FieldOpenType}, r)[FieldOpenType]
	}
	var scores []float64
	if slices.ContainsFunc(keys, func(k SortKey) bool { return k.Field == "_score" }) && len(found) > 0 {
		scores = e.scores(found, matches)
		defer releaseScores(scores, matches)
	}
	var cursor *ranked
	if after != nil {
		c, err := cursorRanked(keys, after)
		if err != nil {
			return nil, out, err
		}
		cursor = &c
	}
	less := func(a, b cand) int { return e.compare(keys, a, b, cursor) }
	want := from + r.Size + 1
	top := make([]cand, 0, min(want, int(matches.GetCardinality()))+1)
	it := matches.Iterator()
	for it.HasNext() {
		c := cand{n: it.Next()}
		if scores != nil {
			c.score = scores[c.n]
		}
		if cursor != nil && less(c, cursorCand) <= 0 {
			continue
		}
		top = insertTop(top, c, want, less)
	}
	if from >= len(top) {
		return nil, out, nil
	}
	page := make([]ranked, 0, len(top)-from)
	for _, c := range top[from:] {
		p := ranked{n: c.n, id: e.ids[c.n], hash: e.rows[c.n].hash, score: c.score}
		p.values = e.rows[c.n].values0(keys, p.id, p.score)
		if r.Encoder != nil {
			p.view.ID, p.view.OrganizationID = p.id, e.singleValue(fiOrganization, c.n)
			p.view.Status = catalog.Status(e.singleValue(fiStatus, c.n))
			p.view.Classification = catalog.Classification(e.singleValue(fiClassification, c.n))
		}
		page = append(page, p)
	}
	return page, out, nil
}

// cand is a candidate while the page is chosen; cursorCand stands for the
// cursor in comparisons.
type cand struct {
	n     uint32
	score float64
}

var cursorCand = cand{n: math.MaxUint32}

// values0 is a document's sort values for keys.
func (r row) values0(keys []SortKey, id string, score float64) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		if k.Field == "_score" {
			out[i] = strconv.FormatFloat(score, 'g', -1, 64)
		} else {
			out[i] = r.sortValue(k.Field, id)
		}
	}
	return out
}

// insertTop keeps the want best candidates in order (a sorted slice: pages
// are small, so inserting is cheaper than a heap).
func insertTop(top []cand, c cand, want int, less func(a, b cand) int) []cand {
	if len(top) == want && less(c, top[len(top)-1]) >= 0 {
		return top
	}
	i, _ := slices.BinarySearchFunc(top, c, less)
	if len(top) < want {
		top = append(top, cand{})
	}
	copy(top[i+1:], top[i:len(top)-1])
	top[i] = c
	return top
}

// compare orders two candidates by keys; cursorCand stands for cursor,
// whose values are read as each key's type.
func (e *engine) compare(keys []SortKey, a, b cand, cursor *ranked) int {
	for i, k := range keys {
		var d int
		switch k.Field {
		case "_score":
			d = cmpFloat(e.scoreOf(a, cursor), e.scoreOf(b, cursor))
		case FieldModified, FieldCreated, FieldPublished:
			d = cmpInt(e.timeKey(a, i, k.Field, cursor), e.timeKey(b, i, k.Field, cursor))
		default:
			d = strings.Compare(e.sortValue(a, i, k.Field, cursor), e.sortValue(b, i, k.Field, cursor))
		}
		if d != 0 {
			if k.Desc {
				return -d
			}
			return d
		}
	}
	return 0
}

func (e *engine) scoreOf(c cand, cursor *ranked) float64 {
	if c.n == cursorCand.n {
		return cursor.score
	}
	return c.score
}

func (e *engine) timeKey(c cand, i int, field string, cursor *ranked) int64 {
	if c.n == cursorCand.n {
		return cursor.times[i]
	}
	if field == FieldModified {
		return e.modified[c.n]
	}
	return e.rows[c.n].timeOf(field)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *engine) sortValue(c cand, i int, field string, cursor *ranked) string {
	if c.n == cursorCand.n {
		return cursor.values[i]
	}
	return e.rows[c.n].sortValue(field, e.ids[c.n])
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cursorRanked is a cursor's place as a candidate to compare with.
func cursorRanked(keys []SortKey, values []string) (ranked, error) {
	c := ranked{values: values, times: make([]int64, len(values))}
	for i, k := range keys {
		if k.Field == "_score" {
			f, err := strconv.ParseFloat(values[i], 64)
			if err != nil {
				return c, fmt.Errorf("%w: the cursor is not one from a previous page of this search", ErrBadQuery)
			}
			c.score = f
		}
		if k.Field == FieldModified || k.Field == FieldCreated || k.Field == FieldPublished {
			c.times[i] = micros(values[i])
		}
	}
	return c, nil
}

// facets counts the values of the requested fields over the matches:
// values by count, then by value, at most FacetSize of them.
func (e *engine) facets(matches *roaring.Bitmap, fields []string, r Request) map[string][]FacetValue {
	out := map[string][]FacetValue{}
	if len(fields) == 0 {
		return out
	}
	sc, _ := facetPool.Get().(*facetScratch)
	if sc == nil {
		sc = &facetScratch{}
	}
	defer facetPool.Put(sc)
	fis := make([]int, len(fields))
	total := 0
	for i, f := range fields {
		fis[i] = slices.Index(FacetFields, f)
		total += len(e.facetNames[fis[i]])
	}
	if cap(sc.counts) < total {
		sc.counts = make([]int, total)
	}
	all := sc.counts[:total]
	clear(all)
	counts := make([][]int, len(fields))
	for i, fi := range fis {
		counts[i], all = all[:len(e.facetNames[fi]):len(e.facetNames[fi])], all[len(e.facetNames[fi]):]
	}
	docs := sc.docs[:0]
	it := matches.ManyIterator()
	for {
		if cap(docs)-len(docs) < 256 {
			docs = slices.Grow(docs, max(cap(docs), 1024))
		}
		n := it.NextMany(docs[len(docs):cap(docs)])
		if n == 0 {
			break
		}
		docs = docs[:len(docs)+n]
	}
	sc.docs = docs
	for i, fi := range fis { // field by field: one column at a time stays in cache
		cnt := counts[i]
		if col := e.single[fi]; col != nil {
			for _, n := range docs {
				if v := col[n]; v > 0 {
					cnt[v-1]++
				}
			}
			continue
		}
		col := e.multi[fi]
		for _, n := range docs {
			s := col.spans[n]
			for _, v := range col.vals[s.off : s.off+s.n] {
				cnt[v]++
			}
		}
	}
	size := r.FacetSize
	if size <= 0 {
		size = 50
	}
	for i, f := range fields {
		var values []FacetValue
		for v, n := range counts[i] {
			if n > 0 && n >= r.FacetMin {
				values = append(values, FacetValue{Value: e.facetNames[fis[i]][v], Count: n})
			}
		}
		slices.SortFunc(values, func(a, b FacetValue) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
		out[f] = append([]FacetValue{}, values[:min(len(values), size)]...)
	}
	return out
}

// Positions in FacetFields of the fields catalog.CanView reads.
var (
	fiOrganization   = slices.Index(FacetFields, FieldOrganization)
	fiStatus         = slices.Index(FacetFields, FieldStatus)
	fiClassification = slices.Index(FacetFields, FieldClassification)
)

// singleValue is document n's value of single-valued facet field fi ("" when none; lock held).
func (e *engine) singleValue(fi int, n uint32) string {
	if v := e.single[fi][n]; v > 0 {
		return e.facetNames[fi][v-1]
	}
	return ""
}

// encodedKey names an encoding of one version of a stored document.
type encodedKey struct {
	id   string
	hash uint64
	enc  string
}

// encodedHit returns the Encoder's bytes for a hit, and false when r's
// viewer may not see it. Whether the viewer may is checked on what the
// mirror holds and, when the document is decoded, on it again (the query
// filters already; these are second locks).
func (ix *Index) encodedHit(r Request, p ranked) ([]byte, bool, error) {
	if !catalog.CanView(r.Viewer, p.view) {
		return nil, false, nil
	}
	key := encodedKey{id: p.id, hash: p.hash, enc: r.Encoder.Key()}
	if b, ok := ix.encoded.get(key); ok {
		return b, true, nil
	}
	s, err := ix.storedDoc(p.id, p.hash)
	if err != nil {
		return nil, false, err
	}
	if !catalog.CanView(r.Viewer, s.Resource) {
		return nil, false, nil
	}
	b, err := r.Encoder.Encode(Hit{Resource: s.Resource, Org: s.Org})
	if err != nil {
		return nil, false, err
	}
	ix.encoded.put(key, b)
	return b, true, nil
}

// facetScratch is what counting facets reuses from one search to the next:
// the matching documents as an array and the per-value counters.
type facetScratch struct {
	docs   []uint32
	counts []int
}

var facetPool sync.Pool

// storedDoc returns a document's stored source, decoded: from the cache
// when the cached copy has the hash the index holds, else from bleve.
func (ix *Index) storedDoc(id string, hash uint64) (stored, error) {
	if d, ok := ix.docs.get(id); ok && d.hash == hash {
		return d.doc, nil
	}
	doc, err := ix.bleve.Document(id)
	if err != nil {
		return stored{}, fmt.Errorf("search: stored document %s: %w", id, err)
	}
	var src []byte
	if doc != nil {
		doc.VisitFields(func(f index.Field) {
			if f.Name() == fieldSource {
				src = f.Value()
			}
		})
	}
	var s stored
	if err := json.Unmarshal(src, &s); err != nil {
		return s, fmt.Errorf("search: stored document %s: %w", id, err)
	}
	ix.docs.put(id, decoded{hash: sourceHash(src), doc: s})
	return s, nil
}

// resultKey identifies r entirely, page included, at the current generation.
func (ix *Index) resultKey(r Request) string {
	enc := ""
	if r.Encoder != nil {
		enc = "encoded:" + r.Encoder.Key()
	}
	k, _ := json.Marshal(struct {
		P      string
		F, S   int
		A      string
		Facets []string
		FS, FM int
		E      string
	}{ix.pageKey(r, r.Sort), r.From, r.Size, r.After, r.Facets, r.FacetSize, r.FacetMin, enc})
	return string(k)
}

// pageKey identifies r's hit sequence (everything but the page) at the
// index's current generation.
func (ix *Index) pageKey(r Request, keys []SortKey) string {
	k, _ := json.Marshal(struct {
		T string
		C []Clause
		S []catalog.Status
		V identity.Principal
		O []SortKey
		N bool
		G int64
	}{r.Text, r.Clauses, r.Statuses, r.Viewer, keys, r.WithNotOpen, ix.generation.Load()})
	return string(k)
}

func isKeywordField(f string) bool {
	return slices.Contains(keywordFieldNames, f)
}

func isFacetField(f string) bool { return slices.Contains(FacetFields, f) }

func encodeCursor(values []string) string {
	b, _ := json.Marshal(values)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string, n int) ([]string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	var values []string
	if err == nil {
		err = json.Unmarshal(raw, &values)
	}
	if err != nil || len(values) != n {
		return nil, fmt.Errorf("%w: the cursor is not one from a previous page of this search", ErrBadQuery)
	}
	return values, nil
}

func stringsOf[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}
