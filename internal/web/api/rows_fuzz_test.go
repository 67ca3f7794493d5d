package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/datastore/datastoretest"
	"dataport/internal/fuzztest"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

// FuzzRowsQuery sends the rows API's query string (filter=ITEM:OP:VALUE,
// sort, q, fields, limit, offset, cursor: outside input) for the four bus
// stations of an open resource: every answer is 200 with at most limit
// rows of the asked width, or a 4xx problem; never a 5xx, never a hang.
func FuzzRowsQuery(f *testing.F) {
	for _, q := range []string{
		"filter=district:eq:110101&sort=lines desc&fields=station_id,lines",
		"filter=lines:gte:3&filter=lines:lt:12&sort=opened,name desc&limit=2",
		"filter=district:in:110101|110102|x&q=胡同&total=true",
		"filter=lines:null&filter=opened:notnull&offset=1",
		"filter=opened:gt:2020-13-45&sort=nope",
		"filter=name:eq:S001' OR '1'='1&sort=name\"; DROP TABLE x; --",
		"filter=lines&filter=::&filter=lines:like:%25&q=%25_\\",
		"cursor=eyJ4IjoxfQ&limit=1", "cursor=!!!&offset=2", "limit=0", "limit=-1&offset=-5", "fields=,,,&sort=,,,",
		"filter=accessible:eq:是&filter=accessible:ne:maybe&filter=lines:eq:99999999999999999999999",
	} {
		f.Add(q)
	}
	db := storetest.Open(f, store.SQLite)
	ctx := context.Background()
	w := accesstest.New(f, db)
	in := catalog.Input{TitleZh: "公交站点", DescriptionZh: "公交站点基础信息", Subject: "04", Items: datastoretest.StationItems(),
		UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
		Classification: catalog.ClassGeneral, Level: 1, Formats: []string{"CSV", "API"}}
	res := must(w.Cat.Create(ctx, w.ProviderEditor, w.Provider.ID, in))
	must(w.Cat.Submit(ctx, w.ProviderEditor, res.ID))
	must(w.Cat.Review(ctx, w.Operator, res.ID, catalog.Approve, ""))
	acc := access.New(db, w.Cat, access.Config{UserRate: 1 << 30}) // thousands of calls a second from one user
	f.Cleanup(acc.Close)
	ds := datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: acc})
	csv := datastoretest.StationsCSV
	must(ds.Load(ctx, w.ProviderEditor, res.ID, datastore.LoadInput{File: strings.NewReader(csv), Name: "s.csv", Size: int64(len(csv))}))
	token, _, err := w.IDs.CreateToken(ctx, identity.System, w.RequesterAdmin.UserID, "fuzz", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	cfg := api.Config{Version: "test", Services: services.Services{Identity: w.IDs, Catalog: w.Cat, Datastore: ds,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	srv := httptest.NewServer(api.New(cfg))
	f.Cleanup(srv.Close)
	rows := srv.URL + api.Prefix + "/resources/" + res.ID + "/rows?"

	f.Fuzz(func(t *testing.T, query string) {
		if strings.ContainsAny(query, "# \x00\r\n") {
			return // not a query string a client can send
		}
		req, err := http.NewRequest(http.MethodGet, rows+query, nil)
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+token)
		var code int
		var body []byte
		fuzztest.Within(t, "GET rows?"+query, func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("GET rows?%s: %v", query, err)
				return
			}
			defer resp.Body.Close()
			code = resp.StatusCode
			body, _ = io.ReadAll(resp.Body)
		})
		switch {
		case code == http.StatusOK:
			var page datastore.RowsPage
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatalf("rows?%s: 200 with %v: %s", query, err, body)
			}
			if len(page.Rows) > 4 {
				t.Fatalf("rows?%s: %d rows of 4", query, len(page.Rows))
			}
			for _, r := range page.Rows {
				if len(r) != len(page.Fields) {
					t.Fatalf("rows?%s: a row of %d values for %d fields", query, len(r), len(page.Fields))
				}
			}
		case code >= 400 && code < 500:
			var problem struct{ Status int }
			if err := json.Unmarshal(body, &problem); err != nil || problem.Status != code {
				t.Fatalf("rows?%s: %d without a problem document: %s", query, code, body)
			}
		case code != 0:
			t.Fatalf("rows?%s: %d %s", query, code, body)
		}
	})
}
