package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataport/internal/demo"
)

// publishedIndex is the part of GET /api/v1/stats/index the test reads.
type publishedIndex struct {
	Period       string `json:"period"`
	Institutions []struct {
		OrgID   string  `json:"org_id"`
		NameZh  string  `json:"name_zh"`
		Score   float64 `json:"score"`
		Rank    int     `json:"rank"`
		RankMin int     `json:"rank_min"`
		RankMax int     `json:"rank_max"`
	} `json:"institutions"`
	Runs int `json:"runs"`
}

// TestStatsIndexRecomputedIndependently runs the demo city, whose
// composite index of the last ended year is published from a year of
// daily statistics, and recomputes that index with
// testdata/recompute_index.py — Python's standard library, written from
// docs/stats-index.md, no code shared — from the exported indicators
// (GET /api/v1/stats/indicators) and the published method: the inputs'
// hash, every score, rank and rank range, the unranked institutions and
// the indicators left out must equal the published ones, and each
// published rank lie in its range. The control: the same script given
// the index with one score changed by 10⁻⁶ fails, naming the institution.
// Then: the year cannot be published again (409), an institution's admin
// may not publish (403) nor may the anonymous (401); the page shows the
// ranking and the rank ranges' chart in both languages.
func TestStatsIndexRecomputedIndependently(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to recompute the index independently:", err)
	}
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	year := demo.IndexYear(time.Now())

	status, _, body := apiGet(t, s.url+"/api/v1/stats/index?period="+year, "")
	var idx publishedIndex
	if status != http.StatusOK || json.Unmarshal([]byte(body), &idx) != nil {
		t.Fatalf("GET the %s index: %d\n%s", year, status, excerpt(body))
	}
	if len(idx.Institutions) < 5 || idx.Runs != 1003 {
		t.Fatalf("the demo's index ranks %d institutions over %d rank sets; want at least 5 over 1003", len(idx.Institutions), idx.Runs)
	}
	for _, e := range idx.Institutions {
		if e.RankMin > e.Rank || e.Rank > e.RankMax {
			t.Errorf("%s: published rank %d outside its range [%d, %d]", e.OrgID, e.Rank, e.RankMin, e.RankMax)
		}
	}

	script := filepath.Join("testdata", "recompute_index.py")
	out, err := exec.Command(python, script, s.url, year).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok: ") {
		t.Fatalf("the independent recomputation differs from the published index (%v):\n%s", err, out)
	}
	t.Logf("recompute_index.py: %s", strings.TrimSpace(string(out)))

	tampered := strings.Replace(body, `"score":`+jsonNumber(idx.Institutions[0].Score),
		`"score":`+jsonNumber(idx.Institutions[0].Score-1e-6), 1)
	file := filepath.Join(t.TempDir(), "tampered.json")
	if tampered == body || os.WriteFile(file, []byte(tampered), 0o600) != nil {
		t.Fatalf("could not tamper with the first score (%v)", idx.Institutions[0].Score)
	}
	out, err = exec.Command(python, script, s.url, year, file).CombinedOutput()
	if err == nil || !strings.Contains(string(out), idx.Institutions[0].OrgID) {
		t.Fatalf("a tampered score passed the recomputation (%v):\n%s", err, out)
	}

	operator := newBrowser(t, s.url)
	operator.login("operator", accounts["operator"])
	adminName, _ := accountWithSuffix(t, accounts, ".admin")
	admin := newBrowser(t, s.url)
	admin.login(adminName, accounts[adminName])
	for who, want := range map[string]int{operator.apiToken("index"): http.StatusConflict, admin.apiToken("index"): http.StatusForbidden,
		"": http.StatusUnauthorized} {
		if status, body := apiPost(t, s.url+"/api/v1/stats/index", who, map[string]string{"period": year}); status != want {
			t.Errorf("publish %s again: %d, want %d\n%s", year, status, want, excerpt(body))
		}
	}

	for _, lang := range []string{"zh", "en"} {
		b := newBrowser(t, s.url)
		b.get("/lang?to=" + lang)
		status, page := b.get("/stats/index/" + year)
		if status != http.StatusOK || !strings.Contains(page, "<svg") || !strings.Contains(page, idx.Institutions[0].OrgID) {
			t.Errorf("%s page of the %s index: %d\n%s", lang, year, status, excerpt(page))
		}
		if status, list := b.get("/stats/index"); status != http.StatusOK || !strings.Contains(list, "/stats/index/"+year) {
			t.Errorf("%s list of the indexes: %d\n%s", lang, status, excerpt(list))
		}
	}
	if status, page := newBrowser(t, s.url).get("/stats/index/1999"); status != http.StatusNotFound {
		t.Errorf("an unpublished year's page: %d\n%s", status, excerpt(page))
	}
}

// jsonNumber writes f as encoding/json does.
func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}
