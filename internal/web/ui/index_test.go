package ui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/access/accesstest"
	"dataport/internal/stats"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// TestIndexPages publishes the composite index of last year over the last
// three days of snapshots of a small city (the provider and the requester
// institution each with published resources, the provider's read) and
// serves its pages to anyone: the list of years, and the year's page with
// the ranking, the rank ranges as SVG with a hidden table, the weights
// and the method, in Chinese and English; no publish form for the
// anonymous; an unpublished year is 404.
func TestIndexPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		year := time.Now().In(stats.Beijing).Year() - 1
		last := time.Date(year, 12, 31, 12, 0, 0, 0, stats.Beijing)
		back := last.AddDate(0, 0, -3)
		for _, q := range []string{`UPDATE organizations SET created_at = $1`, `UPDATE resources SET published_at = $1 WHERE published_at IS NOT NULL`} {
			if _, err := db.ExecContext(ctx, q, store.TS(back)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.ExecContext(ctx, `UPDATE resources SET organization_id = $1 WHERE id IN ($2, $3)`, w.Requester.ID,
			w.Closed.ID, w.Unshared.ID); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if _, err := db.ExecContext(ctx, `INSERT INTO access_decisions (id, batch_id, at, resource_id, action, allow, reason, record_hash)
				VALUES ($1, 'b', $2, $3, 'read', $4, 'open', 'h')`, store.NewID(), store.TS(last), w.Open.ID, true); err != nil {
				t.Fatal(err)
			}
		}
		st := stats.New(db)
		if _, err := st.Backfill(ctx, stats.Today(back.AddDate(0, 0, 1)), stats.Today(last)); err != nil {
			t.Fatal(err)
		}
		period := strconv.Itoa(year)
		rel, err := st.PublishIndex(ctx, w.Operator, stats.PublishInput{Period: period})
		if err != nil {
			t.Fatal(err)
		}
		if len(rel.Result.Scores) < 2 {
			t.Fatalf("the index ranks %d institutions, want the provider and the requester", len(rel.Result.Scores))
		}
		h, err := ui.New(ui.Config{Services: services.Services{Identity: w.IDs, Catalog: w.Cat, Stats: st,
			Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		get := func(path, lang string) (int, string) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			if lang != "" {
				req.AddCookie(&http.Cookie{Name: "lang", Value: lang})
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}

		first := rel.Entries()[0]
		for lang, wants := range map[string][]string{
			"": {period + " 年数字经济综合评价指数", "排名", `<svg class="chart__svg"`, `<circle class="index-chart__dot"`,
				"<caption>敏感性分析下的名次区间（左为第 1 名）</caption>", "已发布数据资源", "最小—最大值标准化", "dataport-dei-2026.1",
				rel.InputsSHA256, `href="/organizations/` + first.OrgID + `"`, "1000 组随机权重"},
			"en": {"Digital economy composite index " + period, "Rank range", "Published resources", "Min-max", "more is better",
				"1000 random weight sets"},
		} {
			code, page := get("/stats/index/"+period, lang)
			if code != http.StatusOK {
				t.Fatalf("GET /stats/index/%s (%s): %d\n%s", period, lang, code, page)
			}
			for _, want := range wants {
				if !strings.Contains(page, want) {
					t.Errorf("/stats/index/%s (%q) lacks %q", period, lang, want)
				}
			}
			if strings.Contains(page, "<script") || strings.Contains(page, "style=") {
				t.Errorf("/stats/index/%s has a script or a style attribute", period)
			}
		}
		code, page := get("/stats/index", "")
		if code != http.StatusOK || !strings.Contains(page, `href="/stats/index/`+period+`"`) || strings.Contains(page, `action="/stats/index"`) {
			t.Errorf("GET /stats/index (anonymous): %d, want the year listed and no publish form\n%s", code, page)
		}
		if code, _ := get("/stats/index/1999", ""); code != http.StatusNotFound {
			t.Errorf("an unpublished year: %d", code)
		}
	})
}
