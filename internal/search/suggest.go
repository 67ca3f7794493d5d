package search

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"dataport/internal/catalog"
	"dataport/internal/identity"

	"github.com/RoaringBitmap/roaring/v2"
)

// Suggestion is a search to offer instead of one that found nothing, with
// how many resources it finds.
type Suggestion struct {
	Text  string
	Count int
}

// Suggestions are what a search that found nothing offers: one corrected
// query ("did you mean"), and related searches that find something.
type Suggestions struct {
	DidYouMean *Suggestion
	Related    []Suggestion
}

// maxRelated is how many related searches Suggest offers.
const maxRelated = 5

// Suggest offers searches close to r's words that find what r.Viewer may
// see under r's conditions: each word that finds nothing replaced by the
// nearest known word (keywords, subject and industry labels, synonyms) by
// edit distance; then known words that share characters with r's words,
// and r's words less one. It reads the known words only: no index term is
// enumerated, so it costs about what a search costs.
func (ix *Index) Suggest(ctx context.Context, r Request) (Suggestions, error) {
	e := ix.engine
	e.mu.RLock()
	defer e.mu.RUnlock()
	base, _, err := e.base(ctx, r, false)
	if err != nil {
		return Suggestions{}, err
	}
	ws := words(r.Text)
	if len(ws) == 0 {
		return Suggestions{}, nil
	}
	count := func(query []string) (int, error) {
		b := base.Clone()
		for _, w := range query {
			m, err := e.word(ctx, w)
			if err != nil {
				return 0, err
			}
			b.And(m.all)
		}
		return int(b.GetCardinality()), nil
	}
	vocab := e.vocabulary()
	var out Suggestions
	corrected, changed := slices.Clone(ws), false
	for i, w := range ws {
		if n, err := count([]string{w}); err != nil || n > 0 {
			if err != nil {
				return out, err
			}
			continue
		}
		if best := e.nearest(ctx, w, vocab, base); best != "" {
			corrected[i], changed = best, true
		}
	}
	seen := map[string]bool{strings.Join(ws, " "): true}
	if changed {
		text := strings.Join(corrected, " ")
		n, err := count(corrected)
		if err != nil {
			return out, err
		}
		if n > 0 {
			out.DidYouMean = &Suggestion{Text: text, Count: n}
			seen[text] = true
		}
	}
	add := func(query []string) error {
		text := strings.Join(query, " ")
		if seen[text] || len(out.Related) >= maxRelated {
			return nil
		}
		seen[text] = true
		n, err := count(query)
		if err == nil && n > 0 {
			out.Related = append(out.Related, Suggestion{Text: text, Count: n})
		}
		return err
	}
	for i := range ws { // fewer words
		if len(ws) > 1 {
			if err := add(slices.Delete(slices.Clone(ws), i, i+1)); err != nil {
				return out, err
			}
		}
	}
	for _, v := range e.overlapping(ws, vocab) {
		if err := add([]string{v}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// base is what r may find before its words: its statuses, the viewer's
// visibility, its clauses, and the open types it shows (lock held). With
// keepOpenTypes, and when resources not opened are left out, it returns
// the set before they were too, for counting the open type facet.
func (e *engine) base(ctx context.Context, r Request, keepOpenTypes bool) (b, openTypes *roaring.Bitmap, err error) {
	statuses := stringsOf(r.Statuses)
	if len(statuses) == 0 {
		statuses = []string{string(catalog.StatusPublished)}
	}
	b = e.terms(FieldStatus, statuses)
	if v := e.visible(r.Viewer.IsPlatformStaff(), r.Viewer.Has(identity.PlatformSysadmin), r.Viewer.OrgIDs()); v != nil {
		b.And(v)
	}
	for _, c := range r.Clauses {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		b.And(e.clause(c))
	}
	if !r.showsNotOpen() {
		if keepOpenTypes {
			openTypes = b.Clone()
		}
		b.AndNot(e.posting(kwKey(FieldOpenType, string(catalog.OpenNone))))
	}
	return b, openTypes, nil
}

// vocabulary is the words a suggestion may offer: keyword values, subject
// and industry labels, and the synonyms (lock held).
func (e *engine) vocabulary() []string {
	var out []string
	out = append(out, e.facetNames[fiKeywords]...)
	for _, l := range catalog.Subjects {
		out = append(out, l.Zh)
	}
	for _, l := range catalog.Industries {
		out = append(out, l.Zh)
	}
	out = append(out, e.synonymKeys...)
	slices.Sort(out)
	return slices.Compact(out)
}

var fiKeywords = slices.Index(FacetFields, FieldKeywords)

// nearest is the known word closest to w by edit distance (one edit for
// words of up to four characters, two for longer) that finds something in
// base; "" when none is that close. Ties go to the word that finds more.
func (e *engine) nearest(ctx context.Context, w string, vocab []string, base *roaring.Bitmap) string {
	lw := []rune(strings.ToLower(w))
	limit := 1
	if len(lw) > 4 {
		limit = 2
	}
	type cand struct {
		word string
		d    int
	}
	var cands []cand
	for _, v := range vocab {
		if n := utf8.RuneCountInString(v); n < len(lw)-limit || n > len(lw)+limit {
			continue
		}
		if d := editDistance(lw, []rune(strings.ToLower(v)), limit); d > 0 && d <= limit && d < len(lw) {
			cands = append(cands, cand{v, d})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return a.d - b.d })
	best, bestN, bestD := "", 0, 0
	for i, c := range cands {
		if i >= 20 || best != "" && c.d > bestD {
			break
		}
		m, err := e.word(ctx, c.word)
		if err != nil {
			return ""
		}
		if n := int(roaring.And(base, m.all).GetCardinality()); n > bestN {
			best, bestN, bestD = c.word, n, c.d
		}
	}
	return best
}

// overlapping are known words that share a two-character piece (or, for
// words of one or two characters, a character) with one of ws, most
// shared first.
func (e *engine) overlapping(ws []string, vocab []string) []string {
	type cand struct {
		word   string
		shared int
	}
	var cands []cand
	for _, v := range vocab {
		shared := 0
		for _, w := range ws {
			shared = max(shared, overlap([]rune(strings.ToLower(w)), []rune(strings.ToLower(v))))
		}
		if shared > 0 && !slices.Contains(ws, v) {
			cands = append(cands, cand{v, shared})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return b.shared - a.shared })
	out := make([]string, 0, min(len(cands), 20))
	for _, c := range cands[:min(len(cands), 20)] {
		out = append(out, c.word)
	}
	return out
}

// overlap counts the two-character pieces of a found in b, or for a short
// a the characters of it found in b (Han characters only: a shared Latin
// letter says nothing).
func overlap(a, b []rune) int {
	if len(a) <= 2 {
		n := 0
		for _, r := range a {
			if r >= 0x3400 && slices.Contains(b, r) {
				n++
			}
		}
		return n
	}
	n := 0
	for i := 0; i+1 < len(a); i++ {
		for j := 0; j+1 < len(b); j++ {
			if a[i] == b[j] && a[i+1] == b[j+1] {
				n++
				break
			}
		}
	}
	return n
}

// editDistance is the Levenshtein distance of a and b, or limit+1 once it
// must exceed limit.
func editDistance(a, b []rune, limit int) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		lowest := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			lowest = min(lowest, cur[j])
		}
		if lowest > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
