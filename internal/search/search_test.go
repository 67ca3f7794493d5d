package search_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// city is a store with two institutions, resources in every status, and an
// indexer keeping an index current.
type city struct {
	t        *testing.T
	db       *store.DB
	ids      *identity.Service
	cat      *catalog.Service
	ix       *search.Index
	indexer  *search.Indexer
	transit  identity.Organization
	health   identity.Organization
	byTitle  map[string]catalog.Resource
	everyone []catalog.Resource
}

func newCity(t *testing.T, db *store.DB) *city {
	t.Helper()
	c := &city{t: t, db: db, ids: identity.NewService(db), cat: catalog.NewService(db), byTitle: map[string]catalog.Resource{}}
	c.transit = c.org("12110000000000001", "JTW", "市交通委员会", "Municipal Transport Commission")
	c.health = c.org("12110000000000002", "WJW", "市卫生健康委员会", "Municipal Health Commission")
	c.add(c.transit, "公交站点实时到站信息", "Real-time bus arrivals at stops", catalog.StatusPublished, func(in *catalog.Input) {
		in.Keywords = []string{"公交", "实时到站"}
		in.UpdateFrequency = catalog.FreqRealtime
		in.Formats = []string{"JSON", "API"}
	})
	c.add(c.transit, "公交线路基本信息", "Bus routes", catalog.StatusPublished, func(in *catalog.Input) { in.Keywords = []string{"公交"} })
	c.add(c.transit, "地铁客流统计", "Metro ridership", catalog.StatusPublished, func(in *catalog.Input) {
		in.OpenType, in.OpenBasis = catalog.OpenConditional, "需申请"
	})
	c.add(c.transit, "出租车运营草稿", "Taxi draft", catalog.StatusDraft, nil)
	c.add(c.transit, "共享单车待审", "Bike share pending", catalog.StatusSubmitted, nil)
	c.add(c.transit, "道路运输核心数据", "Core road data", catalog.StatusPublished, func(in *catalog.Input) {
		in.Classification, in.Level, in.OpenType, in.OpenBasis = catalog.ClassCore, 4, catalog.OpenNone, "核心数据不予开放"
		in.ShareType, in.ShareBasis = catalog.ShareNone, "核心数据不予共享"
	})
	c.add(c.health, "医疗机构名录", "Medical institutions", catalog.StatusPublished, func(in *catalog.Input) {
		in.Subject, in.Keywords = "05", []string{"医院", "诊所"}
	})
	c.add(c.health, "已撤销的疫苗接种点", "Retired vaccination sites", catalog.StatusRetired, func(in *catalog.Input) { in.Subject = "05" })
	ix, err := search.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	c.ix = ix
	c.indexer = search.NewIndexer(ix, db, c.cat, c.ids, nil)
	if err := c.indexer.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *city) org(first17, code, zh, en string) identity.Organization {
	c.t.Helper()
	check, err := identity.USCCCheckChar(first17)
	if err != nil {
		c.t.Fatal(err)
	}
	o, err := c.ids.CreateOrganization(context.Background(), identity.System, identity.OrgInput{
		Kind: identity.KindInstitution, NameZh: zh, NameEn: en, USCC: first17 + string(check), Code: code})
	if err != nil {
		c.t.Fatal(err)
	}
	return o
}

func input(titleZh, titleEn string) catalog.Input {
	return catalog.Input{TitleZh: titleZh, TitleEn: titleEn, DescriptionZh: titleZh + "的说明", DescriptionEn: "About " + titleEn,
		Subject: "04", UpdateFrequency: catalog.FreqDaily, ShareType: catalog.ShareUnconditional,
		OpenType: catalog.OpenUnconditional, Classification: catalog.ClassGeneral, Level: 1, Formats: []string{"CSV"},
		Items: []catalog.Item{{Name: "stop_id", LabelZh: "站点编号", Type: catalog.TypeText, Required: true, Key: true}}}
}

// add creates a resource and moves it to status.
func (c *city) add(org identity.Organization, zh, en string, status catalog.Status, edit func(*catalog.Input)) catalog.Resource {
	c.t.Helper()
	ctx := context.Background()
	in := input(zh, en)
	if edit != nil {
		edit(&in)
	}
	r, err := c.cat.Create(ctx, identity.System, org.ID, in)
	if err != nil {
		c.t.Fatal(err)
	}
	if status != catalog.StatusDraft {
		must(c.cat.Submit(ctx, identity.System, r.ID))
	}
	if status == catalog.StatusPublished || status == catalog.StatusRetired {
		r = must(c.cat.Review(ctx, identity.System, r.ID, catalog.Approve, ""))
	}
	if status == catalog.StatusRetired {
		r = must(c.cat.Retire(ctx, identity.System, r.ID, "replaced"))
	}
	r = must(c.cat.Get(ctx, identity.System, r.ID))
	c.byTitle[zh] = r
	c.everyone = append(c.everyone, r)
	return r
}

// must returns v, or fails the test (by panicking: it is called with a
// function's two results, which Go cannot pass beside a *testing.T).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func titles(res search.Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Resource.TitleZh)
	}
	slices.Sort(out)
	return out
}

func TestChineseAndEnglishWords(t *testing.T) {
	c := newCity(t, storetest.Open(t, store.SQLite))
	for _, test := range []struct {
		name, q string
		want    []string
	}{
		{"a two-character word finds longer titles", "公交", []string{"公交站点实时到站信息", "公交线路基本信息"}},
		{"a longer word", "实时到站", []string{"公交站点实时到站信息"}},
		{"one character", "医", []string{"医疗机构名录"}},
		{"English, stemmed", "arrival", []string{"公交站点实时到站信息"}},
		{"English, any case", "METRO", []string{"地铁客流统计"}},
		{"every word must match", "公交 线路", []string{"公交线路基本信息"}},
		{"the institution's name", "卫生健康", []string{"医疗机构名录"}},
		{"a catalog code", c.byTitle["地铁客流统计"].Code, []string{"地铁客流统计"}},
		{"no match", "飞机", nil},
	} {
		t.Run(test.name, func(t *testing.T) {
			res := must(c.ix.Search(search.Request{Text: test.q}))
			if got := titles(res); !slices.Equal(got, test.want) {
				t.Errorf("search %q = %v, want %v", test.q, got, test.want)
			}
			if res.Total != len(test.want) {
				t.Errorf("total = %d, want %d", res.Total, len(test.want))
			}
		})
	}
}

func TestFacetsAndFilters(t *testing.T) {
	c := newCity(t, storetest.Open(t, store.SQLite))
	res := must(c.ix.Search(search.Request{Facets: []string{search.FieldOrganization, search.FieldOpenType, search.FieldKeywords}}))
	if res.Total != 4 {
		t.Fatalf("public published total = %d, want 4 (drafts, pending, retired and core data hidden)", res.Total)
	}
	wantOrgs := []search.FacetValue{{c.transit.ID, 3}, {c.health.ID, 1}}
	if got := res.Facets[search.FieldOrganization]; !slices.Equal(got, wantOrgs) {
		t.Errorf("organization facet = %v, want %v", got, wantOrgs)
	}
	if got := res.Facets[search.FieldKeywords]; len(got) == 0 || got[0] != (search.FacetValue{"公交", 2}) {
		t.Errorf("keywords facet = %v, want 公交 first with 2", got)
	}
	filtered := must(c.ix.Search(search.Request{Text: "公交", Clauses: []search.Clause{{Field: search.FieldFrequency, Values: []string{"realtime"}}}}))
	if got := titles(filtered); !slices.Equal(got, []string{"公交站点实时到站信息"}) {
		t.Errorf("公交 + realtime = %v", got)
	}
	negated := must(c.ix.Search(search.Request{Clauses: []search.Clause{{Field: search.FieldOrganization, Values: []string{c.transit.ID}, Not: true}}}))
	if got := titles(negated); !slices.Equal(got, []string{"医疗机构名录"}) {
		t.Errorf("not transit = %v", got)
	}
	if _, err := c.ix.Search(search.Request{Clauses: []search.Clause{{Field: "title_zh", Values: []string{"x"}}}}); err == nil {
		t.Error("filtering on a text field was accepted")
	}
	since := c.byTitle["医疗机构名录"].UpdatedAt.UTC().Format(search.TimeFormat)
	recent := must(c.ix.Search(search.Request{Clauses: []search.Clause{{Field: search.FieldModified, From: since}}}))
	if got := titles(recent); !slices.Equal(got, []string{"医疗机构名录"}) {
		t.Errorf("modified since %s = %v", since, got)
	}
}

// TestVisibilityMatchesCanView holds the index's visibility filter to the
// catalog's rule: every viewer finds exactly what catalog.CanView allows.
func TestVisibilityMatchesCanView(t *testing.T) {
	c := newCity(t, storetest.Open(t, store.SQLite))
	all := []catalog.Status{catalog.StatusDraft, catalog.StatusSubmitted, catalog.StatusPublished, catalog.StatusReturned, catalog.StatusRetired}
	viewers := map[string]identity.Principal{
		"anonymous":      identity.Anonymous,
		"transit editor": {UserID: "u1", Memberships: []identity.Membership{{OrganizationID: c.transit.ID, Role: identity.RoleEditor}}},
		"health member":  {UserID: "u2", Memberships: []identity.Membership{{OrganizationID: c.health.ID, Role: identity.RoleMember}}},
		"operator":       {UserID: "u3", PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}},
		"auditor":        {UserID: "u4", PlatformRoles: []identity.PlatformRole{identity.PlatformAuditor}},
		"sysadmin":       identity.System,
	}
	for name, p := range viewers {
		t.Run(name, func(t *testing.T) {
			res := must(c.ix.Search(search.Request{Viewer: p, Statuses: all, Size: 100, WithNotOpen: true}))
			var want []string
			for _, r := range c.everyone {
				if catalog.CanView(p, r) {
					want = append(want, r.TitleZh)
				}
			}
			slices.Sort(want)
			if got := titles(res); !slices.Equal(got, want) {
				t.Errorf("found %v\nwant %v", got, want)
			}
		})
	}
}

func TestPaging(t *testing.T) {
	c := newCity(t, storetest.Open(t, store.SQLite))
	for i := range 25 {
		c.add(c.health, fmt.Sprintf("卫生统计%02d", i), fmt.Sprintf("Health statistics %02d", i), catalog.StatusPublished, func(in *catalog.Input) { in.Subject = "05" })
	}
	if err := c.indexer.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	all := must(c.ix.Search(search.Request{Size: 100, Sort: []search.SortKey{{Field: "_id"}}}))
	if all.Total != 29 || len(all.Hits) != 29 || all.Next != "" {
		t.Fatalf("all: total %d, %d hits, next %q", all.Total, len(all.Hits), all.Next)
	}
	var byOffset, byCursor []string
	cursor := ""
	for start := 0; start < 40; start += 7 {
		page := must(c.ix.Search(search.Request{Size: 7, From: start, Sort: []search.SortKey{{Field: "_id"}}}))
		if page.Total != 29 {
			t.Errorf("start %d: total %d", start, page.Total)
		}
		for _, h := range page.Hits {
			byOffset = append(byOffset, h.Resource.ID)
		}
	}
	for pages := 0; pages == 0 || cursor != ""; pages++ {
		next := must(c.ix.Search(search.Request{Size: 7, After: cursor, Sort: []search.SortKey{{Field: "_id"}}}))
		for _, h := range next.Hits {
			byCursor = append(byCursor, h.Resource.ID)
		}
		cursor = next.Next
		if pages > 10 {
			t.Fatal("cursor paging does not end")
		}
	}
	var want []string
	for _, h := range all.Hits {
		want = append(want, h.Resource.ID)
	}
	if !slices.Equal(byOffset, want) {
		t.Errorf("offset pages:\n%v\nwant\n%v", byOffset, want)
	}
	if !slices.Equal(byCursor, want) {
		t.Errorf("cursor pages:\n%v\nwant\n%v", byCursor, want)
	}
	// Relevance order pages by cursor too (the score is part of the cursor).
	first := must(c.ix.Search(search.Request{Text: "卫生", Size: 10}))
	second := must(c.ix.Search(search.Request{Text: "卫生", Size: 10, After: first.Next}))
	if first.Next == "" || len(second.Hits) != 10 || second.Hits[0].Resource.ID == first.Hits[0].Resource.ID {
		t.Errorf("relevance cursor paging: first next %q, second %d hits", first.Next, len(second.Hits))
	}
	if _, err := c.ix.Search(search.Request{After: "garbage"}); err == nil {
		t.Error("a garbage cursor was accepted")
	}
}

func TestIndexFollowsChanges(t *testing.T) {
	c := newCity(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	r := c.add(c.transit, "停车场泊位实时信息", "Parking spaces", catalog.StatusDraft, nil)
	if err := c.indexer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if res := must(c.ix.Search(search.Request{Text: "停车场"})); res.Total != 0 {
		t.Fatalf("a draft is publicly searchable")
	}
	must(c.cat.Submit(ctx, identity.System, r.ID))
	must(c.cat.Review(ctx, identity.System, r.ID, catalog.Approve, ""))
	if err := c.indexer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if res := must(c.ix.Search(search.Request{Text: "停车场"})); res.Total != 1 {
		t.Fatalf("the published resource is not found")
	}
	must(c.cat.Retire(ctx, identity.System, r.ID, "obsolete"))
	c.indexer.Sync(ctx)
	if res := must(c.ix.Search(search.Request{Text: "停车场"})); res.Total != 0 {
		t.Fatalf("a retired resource is still found by default")
	}
	_, err := c.ids.UpdateOrganization(ctx, identity.System, c.health.ID, identity.OrgInput{Kind: identity.KindInstitution,
		NameZh: "市卫生委", NameEn: "Health Board", USCC: c.health.USCC, Code: c.health.Code})
	if err != nil {
		t.Fatal(err)
	}
	c.indexer.Sync(ctx)
	res := must(c.ix.Search(search.Request{Text: "卫生委"}))
	if res.Total != 1 || res.Hits[0].Org.NameZh != "市卫生委" {
		t.Fatalf("after renaming the institution: %d hits %+v", res.Total, res.Hits)
	}
}

func TestRebuildOnDiskIndex(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	c := newCity(t, db)
	dir := t.TempDir()
	ix := must(search.Open(dir))
	if !ix.NeedsRebuild() {
		t.Fatal("a new index does not ask to be built")
	}
	x := search.NewIndexer(ix, db, c.cat, c.ids, nil)
	if err := x.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	seq := ix.Seq()
	ix.Close()
	c.add(c.health, "离线期间发布的资源", "Published while stopped", catalog.StatusPublished, nil)
	ix = must(search.Open(dir))
	defer ix.Close()
	if ix.NeedsRebuild() || ix.Seq() != seq {
		t.Fatalf("reopened: needs rebuild %v, seq %d want %d", ix.NeedsRebuild(), ix.Seq(), seq)
	}
	x = search.NewIndexer(ix, db, c.cat, c.ids, nil)
	if err := x.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	if res := must(ix.Search(search.Request{Text: "离线期间"})); res.Total != 1 {
		t.Errorf("the change made while the index was closed is not applied")
	}
}

func TestHighlight(t *testing.T) {
	var b strings.Builder
	for _, s := range search.Highlight("公交站点实时到站信息", "公交 到站", 0) {
		if s.Mark {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	if got := b.String(); got != "[公交]站点实时[到站]信息" {
		t.Errorf("highlight = %s", got)
	}
	segs := search.Highlight("Real-time BUS arrivals", "bus", 0)
	if len(segs) != 3 || !segs[1].Mark || segs[1].Text != "BUS" {
		t.Errorf("highlight English = %+v", segs)
	}
}

// titleEncoder encodes a hit as its title, counting the calls.
type titleEncoder struct{ calls *int }

func (e titleEncoder) Key() string { return "titles" }

func (e titleEncoder) Encode(h search.Hit) ([]byte, error) {
	*e.calls++
	return []byte(h.Resource.TitleZh + "|" + h.Org.NameZh), nil
}

func TestEncoderHits(t *testing.T) {
	c := newCity(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	all := []catalog.Status{catalog.StatusDraft, catalog.StatusSubmitted, catalog.StatusPublished, catalog.StatusReturned, catalog.StatusRetired}
	calls := 0
	enc := titleEncoder{&calls}
	encodedTitles := func(res search.Result) []string {
		var out []string
		for _, h := range res.Hits {
			if h.Resource.ID != "" {
				t.Errorf("an encoded hit carries its resource")
			}
			out = append(out, strings.Split(string(h.Encoded), "|")[0])
		}
		slices.Sort(out)
		return out
	}
	for _, p := range []identity.Principal{identity.Anonymous, {UserID: "u3", PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}},
		{UserID: "u1", Memberships: []identity.Membership{{OrganizationID: c.transit.ID, Role: identity.RoleEditor}}}, identity.System} {
		plain := must(c.ix.Search(search.Request{Viewer: p, Statuses: all, Size: 100}))
		encoded := must(c.ix.Search(search.Request{Viewer: p, Statuses: all, Size: 100, Encoder: enc}))
		if got, want := encodedTitles(encoded), titles(plain); !slices.Equal(got, want) || encoded.Total != plain.Total {
			t.Errorf("%v: encoded %v (%d), want %v (%d)", p.UserID, got, encoded.Total, want, plain.Total)
		}
	}
	before := calls
	must(c.ix.Search(search.Request{Text: "公交", Encoder: enc, Size: 1}))
	if calls != before {
		t.Errorf("unchanged documents were encoded again")
	}
	_, err := c.ids.UpdateOrganization(ctx, identity.System, c.health.ID, identity.OrgInput{Kind: identity.KindInstitution,
		NameZh: "市卫生委", NameEn: "Health Board", USCC: c.health.USCC, Code: c.health.Code})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.indexer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	res := must(c.ix.Search(search.Request{Text: "医疗机构", Encoder: enc}))
	if res.Total != 1 || string(res.Hits[0].Encoded) != "医疗机构名录|市卫生委" {
		t.Fatalf("after renaming the institution: %d hits %+v", res.Total, res.Hits)
	}
}
