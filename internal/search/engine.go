package search

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"dataport/internal/catalog"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
)

// engine evaluates searches on an in-memory mirror of the index: a roaring
// bitmap of documents per analysed term and per keyword value, and a row
// of sortable and facet values per document. bleve keeps the index on disk
// (documents, their analysed terms, the stored source, the last event
// applied) and its analyzers split the text here exactly as they do there;
// the mirror exists because bleve reads doc values hit by hit, which made
// a keyword-plus-facets query over 100,000 resources cost tens of
// milliseconds, while bitmap intersections and one pass over the matches
// cost a fraction of one (docs/benchmarks.md, "Open data portal").
type engine struct {
	mu       sync.RWMutex
	ids      []string          // document number → resource id ("" when free)
	nums     map[string]uint32 // resource id → document number
	free     []uint32
	alive    *roaring.Bitmap
	termIDs  map[string]uint32 // posting key → term number
	postings []*roaring.Bitmap // term number → documents
	// Fields unique to one document are maps, not postings.
	byName, byCode map[string]uint32
	rows           []row
	modified       []int64 // rows' modified times again, dense: the default orders compare them
	analyzers      map[string]analysis.Analyzer
	// Facet values are interned per field (by position in FacetFields), so
	// counting them is indexing a slice.
	facetIDs   []map[string]uint32
	facetNames [][]string
	// Facet values by document, one column per field of FacetFields:
	// single-valued fields hold value id + 1 (0: none); multi-valued fields
	// (keywords, formats) a list of ids.
	single [][]uint32
	multi  []*multiCol // nil for single-valued fields
	// words remembers where words matched, until the next change: a
	// portal's searches repeat their words.
	words *lru[string, wordMatch]
	// synonyms maps a word (lower case) to every word of the groups it is
	// in, itself included; a query word is looked for as each of them.
	synonyms    map[string][]string
	synonymKeys []string // synonyms' keys in order
}

// multiValued are the facet fields a document may hold several values of.
var multiValued = map[string]bool{FieldKeywords: true, FieldFormats: true}

// row is what a search reads of one document besides its postings.
type row struct {
	modified, created, published int64 // Unix microseconds; 0 when unset
	titleSort, name, code        string
	hash                         uint64 // of the stored source
}

func newEngine(m mapping.IndexMapping) *engine {
	e := &engine{nums: map[string]uint32{}, alive: roaring.New(), termIDs: map[string]uint32{},
		byName: map[string]uint32{}, byCode: map[string]uint32{}, words: newLRU[string, wordMatch](4096),
		analyzers: map[string]analysis.Analyzer{"cjk": m.AnalyzerNamed(cjk.AnalyzerName), "en": m.AnalyzerNamed(en.AnalyzerName)}}
	e.resetFacets()
	return e
}

func (e *engine) resetFacets() {
	e.facetIDs, e.facetNames = make([]map[string]uint32, len(FacetFields)), make([][]string, len(FacetFields))
	e.single, e.multi = make([][]uint32, len(FacetFields)), make([]*multiCol, len(FacetFields))
	for i, f := range FacetFields {
		e.facetIDs[i] = map[string]uint32{}
		if multiValued[f] {
			e.multi[i] = &multiCol{}
		}
	}
}

// micros reads a fixed-width UTC timestamp (TimeFormat) as Unix microseconds.
func micros(s string) int64 {
	t, err := time.Parse(TimeFormat, s)
	if err != nil {
		return 0
	}
	return t.UnixMicro()
}

// intern returns the id of a value of facet field fi (the lock held).
func (e *engine) intern(fi int, v string) uint32 {
	id, ok := e.facetIDs[fi][v]
	if !ok {
		id = uint32(len(e.facetNames[fi]))
		e.facetIDs[fi][v] = id
		e.facetNames[fi] = append(e.facetNames[fi], v)
	}
	return id
}

func textKey(field, term string) string { return "t\x00" + field + "\x00" + term }
func kwKey(field, value string) string  { return "k\x00" + field + "\x00" + value }

// analyzerOf is the analyzer of a text field (the mapping's).
func (e *engine) analyzerOf(field string) analysis.Analyzer {
	if field == fieldTitleEn || field == fieldDescEn {
		return e.analyzers["en"]
	}
	return e.analyzers["cjk"]
}

func (e *engine) tokens(field, text string) []string {
	var out []string
	for _, t := range e.analyzerOf(field).Analyze([]byte(text)) {
		out = append(out, string(t.Term))
	}
	return out
}

// put adds or replaces a document (the same map bleve indexes).
func (e *engine) put(id string, doc map[string]any) {
	var keys []string
	for _, f := range textFieldNames {
		text, _ := doc[f].(string)
		for _, t := range e.tokens(f, text) {
			keys = append(keys, textKey(f, t))
		}
	}
	var r row
	values := map[string][]string{}
	for _, f := range keywordFieldNames {
		if uniqueFields[f] {
			continue
		}
		var vals []string
		switch v := doc[f].(type) {
		case string:
			if v != "" {
				vals = []string{v}
			}
		case []string:
			vals = v
		}
		for _, v := range vals {
			keys = append(keys, kwKey(f, v))
		}
		values[f] = vals
	}
	str := func(f string) string { s, _ := doc[f].(string); return s }
	r.modified, r.created, r.published = micros(str(FieldModified)), micros(str(FieldCreated)), micros(str(FieldPublished))
	r.titleSort, r.name, r.code = str(FieldTitleSort), str(FieldName), str(FieldCode)
	r.hash = sourceHash([]byte(str(fieldSource)))
	slices.Sort(keys)
	keys = slices.Compact(keys)

	e.mu.Lock()
	defer e.mu.Unlock()
	terms := make([]uint32, len(keys))
	for i, k := range keys {
		t, ok := e.termIDs[k]
		if !ok {
			t = uint32(len(e.postings))
			e.termIDs[k] = t
			e.postings = append(e.postings, roaring.New())
		}
		terms[i] = t
	}
	e.words.clear()
	n := e.remove(id)
	if n < 0 {
		if len(e.free) > 0 {
			n, e.free = int(e.free[len(e.free)-1]), e.free[:len(e.free)-1]
		} else {
			n = len(e.ids)
			e.ids, e.rows, e.modified = append(e.ids, ""), append(e.rows, row{}), append(e.modified, 0)
			for fi, f := range FacetFields {
				if multiValued[f] {
					e.multi[fi].spans = append(e.multi[fi].spans, span{})
				} else {
					e.single[fi] = append(e.single[fi], 0)
				}
			}
		}
	}
	for fi, f := range FacetFields {
		if multiValued[f] {
			var ids []uint32
			for _, v := range values[f] {
				ids = append(ids, e.intern(fi, v))
			}
			e.multi[fi].set(n, ids)
		} else if len(values[f]) > 0 {
			e.single[fi][n] = e.intern(fi, values[f][0]) + 1
		}
	}
	e.ids[n], e.rows[n], e.modified[n], e.nums[id] = id, r, r.modified, uint32(n)
	e.byName[r.name], e.byCode[r.code] = uint32(n), uint32(n)
	e.alive.Add(uint32(n))
	for _, t := range terms {
		e.postings[t].Add(uint32(n))
	}
}

// remove takes a document out (the lock held) and returns its number for
// reuse, or -1 when it was not there.
func (e *engine) remove(id string) int {
	n, ok := e.nums[id]
	if !ok {
		return -1
	}
	// A document's terms are not kept per document (they would outweigh
	// the postings); an update or removal, which is rare, visits every
	// term instead. An emptied term keeps its number.
	for _, b := range e.postings {
		b.Remove(n)
	}
	e.alive.Remove(n)
	delete(e.nums, id)
	delete(e.byName, e.rows[n].name)
	delete(e.byCode, e.rows[n].code)
	e.ids[n], e.rows[n] = "", row{}
	for fi := range FacetFields {
		if e.multi[fi] != nil {
			e.multi[fi].set(int(n), nil)
		} else {
			e.single[fi][n] = 0
		}
	}
	return int(n)
}

func (e *engine) delete(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.words.clear()
	if n := e.remove(id); n >= 0 {
		e.free = append(e.free, uint32(n))
	}
}

func (e *engine) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ids, e.nums, e.free, e.rows, e.modified = nil, map[string]uint32{}, nil, nil, nil
	e.byName, e.byCode = map[string]uint32{}, map[string]uint32{}
	e.words.clear()
	e.alive, e.termIDs, e.postings = roaring.New(), map[string]uint32{}, nil
	e.resetFacets()
}

// multiCol is a multi-valued facet column laid out for counting: each
// document's value ids lie together in vals, at spans[n], so that counting
// reads one array mostly in order instead of a small slice per document. A
// change appends the new run and leaves the old one unused until there is
// enough unused to compact.
type multiCol struct {
	spans  []span
	vals   []uint32
	unused int
}

type span struct{ off, n uint32 }

// set replaces document n's value ids (the lock held).
func (c *multiCol) set(n int, ids []uint32) {
	c.unused += int(c.spans[n].n)
	c.spans[n] = span{off: uint32(len(c.vals)), n: uint32(len(ids))}
	c.vals = append(c.vals, ids...)
	if c.unused > 4096 && c.unused > len(c.vals)/2 {
		vals := make([]uint32, 0, len(c.vals)-c.unused)
		for i, s := range c.spans {
			c.spans[i].off = uint32(len(vals))
			vals = append(vals, c.vals[s.off:s.off+s.n]...)
		}
		c.vals, c.unused = vals, 0
	}
}

// textFieldNames and keywordFieldNames are the fields the mirror holds.
var (
	textFieldNames    = []string{fieldTitleZh, fieldTitleEn, fieldDescZh, fieldDescEn, fieldKeywordT, fieldOrgText, fieldItems}
	keywordFieldNames = append([]string{FieldID, FieldName, FieldCode, FieldAudience}, FacetFields...)
	// uniqueFields are keyword fields with one document per value.
	uniqueFields = map[string]bool{FieldID: true, FieldName: true, FieldCode: true}
)

// posting returns the documents of a posting key (never nil).
func (e *engine) posting(key string) *roaring.Bitmap {
	if t, ok := e.termIDs[key]; ok {
		return e.postings[t]
	}
	return roaring.New()
}

func (e *engine) terms(field string, values []string) *roaring.Bitmap {
	out := roaring.New()
	for _, v := range values {
		if uniqueFields[field] {
			if n, ok := e.unique(field, v); ok {
				out.Add(n)
			}
			continue
		}
		out.Or(e.posting(kwKey(field, v)))
	}
	return out
}

// unique finds the document whose id, name or code is v.
func (e *engine) unique(field, v string) (uint32, bool) {
	var n uint32
	var ok bool
	switch field {
	case FieldID:
		n, ok = e.nums[v]
	case FieldName:
		n, ok = e.byName[v]
	case FieldCode:
		n, ok = e.byCode[v]
	}
	return n, ok
}

// wordMatch is where one word of the query matches, field by field.
type wordMatch struct {
	fields []*roaring.Bitmap // parallel to textFields; then the code match, then the label match
	all    *roaring.Bitmap
}

// Boosts of the matches that are not in textFields.
const (
	codeBoost  = 10.0
	labelBoost = 2.0
)

// word finds a word as itself and as each of its synonyms (expand). Each
// is found as match says. The result is shared: callers must not change
// its bitmaps. It is kept for the next search unless ctx ended the lookup
// (then ctx's error).
func (e *engine) word(ctx context.Context, w string) (wordMatch, error) {
	if m, ok := e.words.get(w); ok {
		return m, nil
	}
	var m wordMatch
	for i, alt := range e.expand(w) {
		one, err := e.match(ctx, alt)
		if err != nil {
			return wordMatch{}, err
		}
		if i == 0 {
			m = one
			continue
		}
		for f, b := range one.fields {
			m.fields[f].Or(b)
		}
		m.all.Or(one.all)
	}
	e.words.put(w, m)
	return m, nil
}

// match finds one word: in a field when all its tokens are there (a
// Chinese word by all its two-character pieces); a lone Chinese character
// by the pieces that start with it; a catalog code exactly; a subject or
// industry whose label holds the word (交通 finds the resources under 交通服务).
func (e *engine) match(ctx context.Context, w string) (wordMatch, error) {
	m := wordMatch{all: roaring.New()}
	single := utf8.RuneCountInString(w) == 1 && unicode.Is(unicode.Han, []rune(w)[0])
	for _, f := range textFields {
		var b *roaring.Bitmap
		switch toks := e.tokens(f.name, w); {
		case single && f.cjk:
			var err error
			if b, err = e.prefix(ctx, f.name, strings.ToLower(w)); err != nil {
				return wordMatch{}, err
			}
		case len(toks) == 0:
			b = roaring.New()
		default:
			b = e.posting(textKey(f.name, toks[0])).Clone()
			for _, t := range toks[1:] {
				b.And(e.posting(textKey(f.name, t)))
			}
		}
		m.fields = append(m.fields, b)
		m.all.Or(b)
	}
	code := e.terms(FieldCode, []string{w, strings.ToUpper(w)})
	labels := e.labelled(w)
	m.fields = append(m.fields, code, labels)
	m.all.Or(code)
	m.all.Or(labels)
	return m, nil
}

// labelled is the documents whose subject or industry label holds w.
func (e *engine) labelled(w string) *roaring.Bitmap {
	out := roaring.New()
	lw := strings.ToLower(w)
	var en []string // w's English terms, stemmed as the English label's
	if isASCII(lw) {
		en = e.tokens(fieldTitleEn, lw)
	}
	holds := func(l catalog.Label) bool {
		if utf8.RuneCountInString(lw) >= 2 && strings.Contains(l.Zh, lw) {
			return true
		}
		return len(en) > 0 && containsAll(e.tokens(fieldTitleEn, l.En), en)
	}
	for _, l := range catalog.Subjects {
		if holds(l) {
			out.Or(e.posting(kwKey(FieldSubject, l.Code)))
		}
	}
	for _, l := range catalog.Industries {
		if holds(l) {
			out.Or(e.posting(kwKey(FieldIndustry, l.Code)))
		}
	}
	return out
}

// containsAll reports whether every one of want is in have.
func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// prefix is the documents with a term of field that starts with p. It
// reads every term, checking ctx every few thousand.
func (e *engine) prefix(ctx context.Context, field, p string) (*roaring.Bitmap, error) {
	out := roaring.New()
	start := textKey(field, p)
	seen := 0
	for k, t := range e.termIDs {
		if seen++; seen%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if strings.HasPrefix(k, start) {
			out.Or(e.postings[t])
		}
	}
	return out, nil
}

// scores adds, for each matching document, the boost of each field a word
// matched in, weighted by how rare the word is there (idf). The slice is
// indexed by document number and comes from a pool: give it back with
// releaseScores.
func (e *engine) scores(words []wordMatch, matches *roaring.Bitmap) []float64 {
	n := float64(max(e.alive.GetCardinality(), 1))
	p, _ := scorePool.Get().(*[]float64)
	if p == nil || len(*p) < len(e.ids) {
		s := make([]float64, len(e.ids)+1024)
		p = &s
	}
	out := *p
	for _, w := range words {
		for i, b := range w.fields {
			var boost float64
			switch {
			case i < len(textFields):
				boost = textFields[i].boost
			case i == len(textFields):
				boost = codeBoost
			default:
				boost = labelBoost
			}
			df := float64(b.GetCardinality())
			if df == 0 {
				continue
			}
			weight := boost * math.Log(1+n/df)
			it := roaring.And(b, matches).Iterator()
			for it.HasNext() {
				out[it.Next()] += weight
			}
		}
	}
	return out
}

var scorePool sync.Pool

// releaseScores zeroes the entries of the matches and pools the slice.
func releaseScores(s []float64, matches *roaring.Bitmap) {
	if s == nil {
		return
	}
	it := matches.Iterator()
	for it.HasNext() {
		s[it.Next()] = 0
	}
	scorePool.Put(&s)
}

// clause evaluates a clause to the documents it holds for (lock held).
func (e *engine) clause(c Clause) *roaring.Bitmap {
	var b *roaring.Bitmap
	switch {
	case len(c.Any) > 0:
		b = roaring.New()
		for _, sub := range c.Any {
			b.Or(e.clause(sub))
		}
	case len(c.Values) > 0:
		b = e.terms(c.Field, c.Values)
	default:
		b = roaring.New()
		from, to := micros(c.From), micros(c.To)
		if c.To == "9999" || c.To == "" {
			to = 0
		}
		it := e.alive.Iterator()
		for it.HasNext() {
			n := it.Next()
			if v := e.rows[n].timeOf(c.Field); v != 0 && (from == 0 || v >= from) && (to == 0 || v <= to) {
				b.Add(n)
			}
		}
	}
	if c.Not {
		return roaring.AndNot(e.alive, b)
	}
	return b
}

func (r row) timeOf(field string) int64 {
	switch field {
	case FieldModified:
		return r.modified
	case FieldCreated:
		return r.created
	case FieldPublished:
		return r.published
	}
	return 0
}

// sortValue is a document's value for a sort key, as text (scores are
// compared as numbers by the caller).
func (r row) sortValue(field, id string) string {
	switch field {
	case "_id", FieldID:
		return id
	case FieldModified, FieldCreated, FieldPublished:
		if t := r.timeOf(field); t != 0 {
			return time.UnixMicro(t).UTC().Format(TimeFormat)
		}
		return ""
	case FieldTitleSort:
		return r.titleSort
	case FieldName:
		return r.name
	case FieldCode:
		return r.code
	}
	return ""
}

// visible is what p may see, as catalog.CanView allows (nil: everything).
func (e *engine) visible(staff, sysadmin bool, orgs []string) *roaring.Bitmap {
	if sysadmin {
		return nil
	}
	var b *roaring.Bitmap
	if staff {
		b = roaring.AndNot(e.alive, e.posting(kwKey(FieldStatus, string(catalog.StatusDraft))))
	} else {
		b = e.posting(kwKey(FieldAudience, "public")).Clone()
	}
	for _, id := range orgs {
		b.Or(e.posting(kwKey(FieldOrganization, id)))
	}
	return b
}

// textFields are the analysed fields a word is looked for in, with the
// weight a match in each carries: titles and keywords most.
var textFields = []struct {
	name  string
	boost float64
	cjk   bool
}{
	{fieldTitleZh, 4, true}, {fieldTitleEn, 3, false}, {fieldKeywordT, 3, true}, {fieldDescZh, 1, true},
	{fieldDescEn, 1, false}, {fieldOrgText, 1.5, true}, {fieldItems, 0.5, true},
}
