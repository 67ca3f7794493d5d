package ui_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// TestDatasetPageData: an anonymous visitor's dataset page shows the
// served version's rows with codes by their labels, booleans as 是/否 and
// no row number, with charts; a later version held by the legality check
// (personal information found) shows nowhere on it, neither its rows nor
// its number; data open on application says so in the page's language.
func TestDatasetPageData(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	p := &portal{t: t, db: db, identity: identity.NewService(db), catalog: catalog.NewService(db)}
	p.org = p.createInstitution("12110000000000001", "市交通委员会", "Municipal Transport Commission")
	acc := access.New(db, p.catalog, access.Config{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(acc.Close)
	ds := datastore.New(datastore.Config{DB: db, Catalog: p.catalog, Access: acc, Log: slog.New(slog.DiscardHandler)})
	h, err := ui.New(ui.Config{Services: services.Services{Identity: p.identity, Catalog: p.catalog, Access: acc, Datastore: ds,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p.url = srv.URL

	in := sampleInput("公交站点", "Bus stops")
	in.Items = []catalog.Item{
		{Name: "stop_id", LabelZh: "站点编号", Type: catalog.TypeText, Required: true, Key: true},
		{Name: "district", LabelZh: "所在区", Type: catalog.TypeCode, CodeList: []catalog.Code{{Code: "110105", Label: "朝阳区"}, {Code: "110101", Label: "东城区"}}},
		{Name: "shelter", LabelZh: "有候车亭", Type: catalog.TypeBoolean},
		{Name: "contact", LabelZh: "联系电话", Type: catalog.TypeText},
	}
	r := p.publish(in)
	load := func(csv string) datastore.DataVersion {
		t.Helper()
		v, err := ds.Load(ctx, identity.System, r.ID, datastore.LoadInput{File: strings.NewReader(csv), Name: "stops.csv", Size: int64(len(csv))})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	load("站点编号,所在区,有候车亭,联系电话\nS0001,110105,是,\nS0002,110101,否,\n")
	if v := load("站点编号,所在区,有候车亭,联系电话\nS0009,110105,是,13812345678\nS0010,110101,否,13912345678\n"); v.Status != datastore.StatusHeld {
		t.Fatalf("version 2 is %s, want held", v.Status)
	}

	visitor := p.browser()
	pg := visitor.get("/resources/" + r.ID)
	for _, want := range []string{"当前为第 1 版", `title="110105">朝阳区</td>`, ">是</td>", ">否</td>", `class="chart__bar"`, `/export?format=csv`} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("dataset page lacks %s", want)
		}
	}
	for _, leak := range []string{"S0009", "13812345678", "第 2 版", ">_id<", "<td>110105</td>"} {
		if strings.Contains(pg.body, leak) {
			t.Errorf("dataset page shows %s", leak)
		}
	}
	if pg := visitor.get("/resources/" + r.ID + "?item=district&value=东城区"); !strings.Contains(pg.body, "S0002") || strings.Contains(pg.body, "S0001") {
		t.Errorf("filtered by a district's name: %d\n%s", pg.status, excerptOf(pg.body, "preview__count"))
	}

	in.OpenType, in.OpenBasis, in.TitleZh = catalog.OpenConditional, "涉及运营单位信息", "公交站点（有条件）"
	cond := p.publish(in)
	if _, err := ds.Load(ctx, identity.System, cond.ID, datastore.LoadInput{File: strings.NewReader("站点编号\nS1\n"), Name: "s.csv", Size: 9}); err != nil {
		t.Fatal(err)
	}
	if pg := visitor.get("/resources/" + cond.ID); !strings.Contains(pg.body, "此数据有条件开放：请先申请") || strings.Contains(pg.body, "S1</td>") {
		t.Errorf("conditional data's page: %s", excerptOf(pg.body, "downloads-title"))
	}
}

// excerptOf is the text of body around the first mention of mark.
func excerptOf(body, mark string) string {
	i := max(strings.Index(body, mark), 0)
	return body[i:min(len(body), i+600)]
}
