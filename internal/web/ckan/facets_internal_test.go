package ckan

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"dataport/internal/search"
)

// TestWriteFacetsAsMarshal checks that the hand-written facet JSON is what
// json.Marshal writes for CKAN's facets and search_facets maps.
func TestWriteFacetsAsMarshal(t *testing.T) {
	a := &api{}
	res := search.Result{Total: 3, Facets: map[string][]search.FacetValue{
		search.FieldKeywords: {{Value: "公交", Count: 9}, {Value: "a<b>&c", Count: 4}, {Value: "quote\"back\\slash", Count: 3}, {Value: "ctl\x01\u2028", Count: 2}, {Value: "", Count: 1}},
		search.FieldFormats:  {{Value: "JSON", Count: 5}, {Value: "CSV", Count: 5}},
		search.FieldOpenType: {{Value: "conditional", Count: 4}, {Value: "unconditional", Count: 3}, {Value: "none", Count: 1}},
		search.FieldSubject:  {{Value: "05", Count: 2}, {Value: "01", Count: 2}},
	}}
	for _, names := range [][]string{nil, {"tags"}, {"tags", "res_format", "license_id", "groups", "subject", "tags"}, {"open_type", "level"}} {
		facets, searchFacets := map[string]map[string]int{}, map[string]any{}
		for _, n := range names {
			counts, items := map[string]int{}, []map[string]any{}
			for _, v := range res.Facets[facetAliases[n]] {
				name, display := a.facetLabel(context.Background(), n, v.Value)
				counts[name] += v.Count
				items = append(items, map[string]any{"name": name, "display_name": display, "count": v.Count})
			}
			facets[n] = counts
			searchFacets[n] = map[string]any{"title": n, "items": items}
		}
		want, _ := json.Marshal(map[string]any{"count": res.Total, "sort": "score desc, <x>", "facets": facets, "search_facets": searchFacets})
		var got bytes.Buffer
		got.WriteString(`{"count":3`)
		a.writeFacets(context.Background(), &got, res, names)
		got.WriteString(`,"sort":`)
		writeJSONString(&got, "score desc, <x>")
		got.WriteString("}")
		if got.String() != string(want) {
			t.Errorf("facets %v:\n got %s\nwant %s", names, got.String(), want)
		}
	}
}
