package search

import (
	"slices"
	"testing"
)

// FuzzSynonyms feeds the synonym list form (an operator's text) and a
// visitor's query through the parser, the checks and the query-time
// expansion: nothing panics, a list the checks accept survives writing and
// reading back unchanged, and every expansion starts with the word itself.
func FuzzSynonyms(f *testing.F) {
	f.Add("出租车, 出租汽车\n公交，公共汽车、巴士\n", "朝阳区出租车 公交站")
	f.Add("a;b\n\n c ; d ;\r\n", "A b C")
	f.Add("地铁,轨道交通,地铁\n地铁,城铁", "地铁")
	f.Add(",,,\n，\n", "")
	ix, err := OpenMemory()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ix.Close() })
	f.Fuzz(func(t *testing.T, list, query string) {
		groups, err := cleanSynonyms(ParseSynonyms(list))
		if err != nil {
			return // refused with field errors: nothing to set
		}
		again, err := cleanSynonyms(ParseSynonyms(FormatSynonyms(groups)))
		if err != nil || !slices.EqualFunc(groups, again, func(a, b SynonymGroup) bool { return slices.Equal(a.Words, b.Words) }) {
			t.Fatalf("accepted list %q does not read back: %v → %v (%v)", list, groups, again, err)
		}
		ix.SetSynonyms(groups)
		for _, w := range words(query) {
			if alts := ix.engine.expand(w); len(alts) == 0 || alts[0] != w || len(alts) > maxAlternatives+1 {
				t.Fatalf("expand(%q) = %q", w, alts)
			}
		}
		ix.AlsoSearched(query)
	})
}
