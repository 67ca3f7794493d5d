package ui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
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

// TestStatsPage serves /stats over three days of snapshots of a small
// city whose records are dated three days back (the institutions, the
// resources) and whose data access happened on the last two days: the
// city-wide figures, the trend lines with their titles, descriptions and
// tables, the bars per institution, in Chinese and English, anonymously.
func TestStatsPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		back := time.Now().AddDate(0, 0, -3)
		for _, q := range []string{`UPDATE organizations SET created_at = $1`, `UPDATE resources SET published_at = $1 WHERE published_at IS NOT NULL`} {
			if _, err := db.ExecContext(ctx, q, store.TS(back)); err != nil {
				t.Fatal(err)
			}
		}
		for i, n := range []int{4, 7} { // calls two days back, then yesterday
			for range n {
				_, err := db.ExecContext(ctx, `INSERT INTO access_decisions (id, batch_id, at, resource_id, action, allow, reason, record_hash)
					VALUES ($1, 'b', $2, $3, 'read', $4, 'open', 'h')`, store.NewID(), store.TS(time.Now().AddDate(0, 0, i-2)), w.Open.ID, true)
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		st := stats.New(db)
		from, to := stats.Today(back), stats.Today(time.Now().AddDate(0, 0, -1))
		if n, err := st.Backfill(ctx, from, to); err != nil || n != 3 {
			t.Fatalf("backfill %s..%s: %d %v", from, to, n, err)
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

		period := to[:4]
		code, page := get("/stats", "")
		if code != http.StatusOK {
			t.Fatalf("GET /stats: %d\n%s", code, page)
		}
		for _, want := range []string{
			"统计数据", "全市指标（" + period + "）", "已发布数据资源", "数据访问次数",
			`<svg class="chart__svg"`, "<title>数据访问次数</title>", "<desc>", // a titled, described line
			`href="/api/v1/stats/indicators?format=csv&amp;period=` + period + `"`,
			"京华市交通委员会", // the provider's bar and row in the table of its figures
			`id="how-rows_served"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("/stats lacks %q", want)
			}
		}
		// The city's calls over the year: 4 + 7 (the table's value cell).
		if !regexp.MustCompile(`数据访问次数</a></th><td class="num">11</td>`).MatchString(page) {
			t.Errorf("the city's calls are not 11 on /stats")
		}
		// The trend of calls has a point per day: its table lists the three days.
		for _, day := range []string{from, to} {
			if !strings.Contains(page, "<th scope=\"row\">"+day+"</th>") {
				t.Errorf("the trends' tables lack %s", day)
			}
		}
		if strings.Contains(page, "<script") {
			t.Error("/stats has a script")
		}

		code, page = get("/stats?period="+to[:7]+"&indicator="+stats.ResourcesPublished, "en")
		if code != http.StatusOK || !strings.Contains(page, "City-wide indicators ("+to[:7]+")") {
			t.Errorf("English /stats for %s: %d", to[:7], code)
		}
		for _, want := range []string{"Published resources (" + to[:7] + ", by institution)", "higher is better"} {
			if !strings.Contains(page, want) {
				t.Errorf("English /stats lacks %q", want)
			}
		}
		if code, _ := get("/stats?period=20x6", ""); code != http.StatusUnprocessableEntity && code != http.StatusBadRequest {
			t.Errorf("a malformed period answers %d, want 422 or 400", code)
		}
	})
}
