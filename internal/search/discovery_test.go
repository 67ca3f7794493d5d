package search_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

// discoveryCity is the city with resources that only a label, a
// department's name, a synonym or the open type tells apart.
func discoveryCity(t *testing.T, db *store.DB) *city {
	c := newCity(t, db)
	ctx := context.Background()
	police := c.org("12110000000000003", "GAJ", "市公安局交通管理局", "Traffic Management Bureau")
	// Under 交通服务 (04), with no 交通 in its words or its institution's name.
	c.add(c.health, "急救车辆调度记录", "Ambulance dispatch", catalog.StatusPublished, nil)
	// 交通 only in its department's name.
	c.add(police, "机动车驾驶人考试预约", "Driving test booking", catalog.StatusPublished, func(in *catalog.Input) { in.Subject = "21" })
	c.add(c.transit, "出租汽车运营里程统计", "Taxi mileage", catalog.StatusPublished, func(in *catalog.Input) { in.Subject = "21" })
	c.add(c.transit, "网约车平台订单明细", "Ride-hailing orders", catalog.StatusPublished, func(in *catalog.Input) {
		in.Subject, in.OpenType, in.OpenBasis = "21", catalog.OpenNone, "涉及商业秘密"
	})
	c.add(c.health, "养老机构名录", "Care homes", catalog.StatusPublished, func(in *catalog.Input) {
		in.Subject, in.Keywords = "13", []string{"养老机构", "床位"}
	})
	c.add(c.health, "护工派遣机构", "Carer agencies", catalog.StatusPublished, func(in *catalog.Input) {
		in.Subject, in.Industry = "12", "L" // Leasing and business services
	})
	if err := c.indexer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func find(t *testing.T, ix *search.Index, r search.Request) []string {
	t.Helper()
	r.Size = 100
	return titles(must(ix.Search(r)))
}

func TestSubjectAndDepartmentLabelsAreSearched(t *testing.T) {
	c := discoveryCity(t, storetest.Open(t, store.SQLite))
	got := find(t, c.ix, search.Request{Text: "交通"})
	for _, want := range []string{"急救车辆调度记录", "机动车驾驶人考试预约", "公交线路基本信息"} {
		if !slices.Contains(got, want) {
			t.Errorf("交通 found %v, want %s among them", got, want)
		}
	}
	if slices.Contains(got, "养老机构名录") || slices.Contains(got, "医疗机构名录") {
		t.Errorf("交通 found %v: resources neither under 交通服务 nor of a 交通 department", got)
	}
	if got := find(t, c.ix, search.Request{Text: "transport"}); !slices.Contains(got, "急救车辆调度记录") {
		t.Errorf("transport (the subject's English label) found %v", got)
	}
	// English labels match by whole (stemmed) words: bus is not in "business".
	if got := find(t, c.ix, search.Request{Text: "bus"}); slices.Contains(got, "护工派遣机构") {
		t.Errorf("bus found %v: a label's word that merely starts with it", got)
	}
	if got := find(t, c.ix, search.Request{Text: "business"}); !slices.Contains(got, "护工派遣机构") {
		t.Errorf("business (in its industry's English label) found %v", got)
	}
	// The label's match ranks below a title's: 交通 in a title is not needed, but a
	// subject label alone must not outrank a resource named by the word.
	res := must(c.ix.Search(search.Request{Text: "公交", Size: 3}))
	if len(res.Hits) == 0 || res.Hits[0].Resource.TitleZh[:6] != "公交" {
		t.Errorf("公交 ranked %v first", titles(res))
	}
}

func TestSynonymsAndTheirEdits(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	c := discoveryCity(t, db)
	ctx := context.Background()
	operator := identity.Principal{UserID: "op", PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}}

	// Shipped defaults: 出租车 and 出租汽车 are one word, both ways, also inside a longer word.
	for _, q := range []string{"出租车", "出租汽车", "taxi", "出租车运营"} {
		if got := find(t, c.ix, search.Request{Text: q}); !slices.Contains(got, "出租汽车运营里程统计") {
			t.Errorf("%s found %v, want 出租汽车运营里程统计", q, got)
		}
	}
	if got := find(t, c.ix, search.Request{Text: "公共汽车"}); !slices.Contains(got, "公交线路基本信息") {
		t.Errorf("公共汽车 found %v, want the 公交 resources", got)
	}

	// An edit takes effect at once here, and on another replica when its indexer reads the event.
	replica, err := search.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()
	other := search.NewIndexer(replica, db, c.cat, c.ids, nil)
	if err := other.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	groups := must(c.indexer.Synonyms(ctx))
	groups = slices.DeleteFunc(groups, func(g search.SynonymGroup) bool { return slices.Contains(g.Words, "出租车") })
	groups = append(groups, search.SynonymGroup{Words: []string{" 长者 ", "养老", "长者"}})
	groups = slices.DeleteFunc(groups, func(g search.SynonymGroup) bool { return slices.Contains(g.Words, "养老服务") })
	saved, err := c.indexer.SetSynonyms(ctx, operator, groups)
	if err != nil {
		t.Fatal(err)
	}
	if last := saved[len(saved)-1].Words; !slices.Equal(last, []string{"长者", "养老"}) {
		t.Errorf("saved the new group as %q, want it trimmed and without the repeat", last)
	}
	for name, ix := range map[string]*search.Index{"this replica": c.ix, "another replica": replica} {
		if name == "another replica" {
			if err := other.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := find(t, ix, search.Request{Text: "出租车"}); slices.Contains(got, "出租汽车运营里程统计") {
			t.Errorf("%s: 出租车 still finds 出租汽车 after the group was removed: %v", name, got)
		}
		if got := find(t, ix, search.Request{Text: "长者"}); !slices.Contains(got, "养老机构名录") {
			t.Errorf("%s: 长者 found %v after it was added beside 养老", name, got)
		}
	}

	editor := identity.Principal{UserID: "ed", Memberships: []identity.Membership{{OrganizationID: c.transit.ID, Role: identity.RoleAdmin}}}
	if _, err := c.indexer.SetSynonyms(ctx, editor, groups); !errors.Is(err, identity.ErrForbidden) {
		t.Errorf("an institution's admin set the synonyms: %v", err)
	}
	bad := []search.SynonymGroup{{Words: []string{"公交", "巴士"}}, {Words: []string{"单独"}}, {Words: []string{"大巴", "巴士"}}}
	_, err = c.indexer.SetSynonyms(ctx, operator, bad)
	fields, ok := validate.Fields(err)
	if !ok || !slices.Equal(fields, []string{"groups[1].words", "groups[2].words[1]"}) {
		t.Errorf("bad list refused with %v (fields %v), want groups[1].words and groups[2].words[1]", err, fields)
	}
	if now := must(c.indexer.Synonyms(ctx)); len(now) != len(saved) {
		t.Errorf("a refused list changed the stored one: %d groups, want %d", len(now), len(saved))
	}
}

func TestNotOpenedLeftOutUnlessAsked(t *testing.T) {
	c := discoveryCity(t, storetest.Open(t, store.SQLite))
	const closed = "网约车平台订单明细"
	if got := find(t, c.ix, search.Request{}); slices.Contains(got, closed) {
		t.Errorf("the public list holds a resource not opened: %v", got)
	}
	res := must(c.ix.Search(search.Request{Text: "订单", Facets: []string{search.FieldOpenType}}))
	if res.Total != 0 {
		t.Errorf("订单 found %v by default", titles(res))
	}
	if want := []search.FacetValue{{Value: "none", Count: 1}}; !slices.Equal(res.Facets[search.FieldOpenType], want) {
		t.Errorf("open type facet %v, want %v (it counts what was left out, to bring it back)", res.Facets[search.FieldOpenType], want)
	}
	asked := search.Clause{Field: search.FieldOpenType, Values: []string{"none"}}
	if got := find(t, c.ix, search.Request{Text: "订单", Clauses: []search.Clause{asked}}); !slices.Equal(got, []string{closed}) {
		t.Errorf("choosing 不予开放 found %v", got)
	}
	if got := find(t, c.ix, search.Request{WithNotOpen: true}); !slices.Contains(got, closed) {
		t.Errorf("WithNotOpen found %v", got)
	}
}

func TestSuggestionsForAnEmptyResult(t *testing.T) {
	c := discoveryCity(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	tests := []struct {
		name, q    string
		didYouMean string
		related    string // one of the related searches
	}{
		{"a wrong character", "实时到占", "实时到站", ""},
		{"a wrong character in a keyword", "养老几构", "养老机构", ""},
		{"one word of two finds nothing", "医院 飞机场", "", "医院"},
		{"a word sharing characters", "床位数量", "", "床位"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			r := search.Request{Text: test.q}
			if res := must(c.ix.Search(r)); res.Total != 0 {
				t.Fatalf("%s found %v; the case needs an empty result", test.q, titles(res))
			}
			s := must(c.ix.Suggest(ctx, r))
			if test.didYouMean != "" && (s.DidYouMean == nil || s.DidYouMean.Text != test.didYouMean) {
				t.Errorf("did you mean %+v, want %s", s.DidYouMean, test.didYouMean)
			}
			if s.DidYouMean != nil {
				if res := must(c.ix.Search(search.Request{Text: s.DidYouMean.Text})); res.Total != s.DidYouMean.Count || res.Total == 0 {
					t.Errorf("did you mean %+v, but it finds %d", s.DidYouMean, res.Total)
				}
			}
			if test.related != "" && !slices.ContainsFunc(s.Related, func(x search.Suggestion) bool { return x.Text == test.related }) {
				t.Errorf("related %+v, want %s among them", s.Related, test.related)
			}
		})
	}
	// Nothing is suggested that the viewer cannot find: 网约车 is only in a resource not opened.
	s := must(c.ix.Suggest(ctx, search.Request{Text: "网约车平台订单明细x"}))
	if s.DidYouMean != nil {
		t.Errorf("suggested %+v, which finds only what is left out", s.DidYouMean)
	}
}
