package main

import (
	"context"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// zoneResourceID reads a resource's id as the workspace's schema panel
// names it: "<id>" in double quotes.
var zoneResourceID = regexp.MustCompile(`"([^"]+)"`)

// TestBrowserZoneOperatorJourney walks an authorised operator's way
// through the health zone in Chromium against the real demo binary, at a
// desktop's width and at 390 px: zone.operator finds the zones from the
// site's navigation, opens the health zone and its workspace (the schema
// panel names the patients' resource and what each item may do), runs
// the aggregate query of newborns seen for perinatal conditions per
// district and waits on the query's page (which refreshes itself) for
// the result, where the districts with fewer than ten such patients are
// withheld and the legend says why; then SELECT * is refused in the
// workspace with the refusal at line 1, column 8, pointing at "*". No
// page scrolls sideways and the console shows nothing but the two
// refusals (422).
func TestBrowserZoneOperatorJourney(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	const operator = "zone.operator"
	if accounts[operator] == "" {
		t.Fatalf("the demo prints no %s account", operator)
	}
	ctx := newChrome(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	console := collectConsole(t, ctx)
	text := func(sel string) string { t.Helper(); return run(t, ctx, chromedp.Text(chromedp.CSS(sel))) }
	path := func() string { t.Helper(); return run(t, ctx, chromedp.Evaluate[string](`location.pathname`)) }
	shows := func(sel, want string) {
		t.Helper()
		if got := text(sel); !strings.Contains(got, want) {
			t.Fatalf("at %s %s says %q, want %q", path(), sel, got, want)
		}
	}
	do(t, ctx, navigate(s.url+"/login"), chromedp.Focus(chromedp.CSS("#field-username")), chromedp.KeyEvent(operator),
		chromedp.Focus(chromedp.CSS("#field-password")), chromedp.KeyEvent(accounts[operator]), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitNotPresent(chromedp.CSS("#field-password")))

	for _, w := range widths {
		noSideways := func(where string) { t.Helper(); fitsWidth(t, ctx, "zones", w.name+" "+where) }
		// The zones from the navigation; the health zone; its workspace.
		do(t, ctx, w.viewport, navigate(s.url+"/"), chromedp.Click(chromedp.CSS(`.site-nav a[href="/zones"]`)),
			chromedp.WaitVisible(chromedp.CSS(".zone-cards")))
		shows(".zone-cards", "医疗健康专区")
		noSideways("zones")
		do(t, ctx, chromedp.Click(chromedp.CSS(`.zone-card a[href="/zones/ZONE-HEALTH"]`)), chromedp.WaitVisible(chromedp.CSS("#zone-workspace")))
		shows("#rules-title + p + ul", "至少包含 10 人")
		noSideways("zone")
		do(t, ctx, chromedp.Click(chromedp.CSS("#zone-workspace")), chromedp.WaitVisible(chromedp.CSS("#field-sql")))
		shows(".zone-items", "patient_key")
		shows(".zone-items", "只能出现在 JOIN")
		noSideways("workspace")
		m := zoneResourceID.FindStringSubmatch(text(".zone-table__meta code"))
		if m == nil {
			t.Fatalf("the schema panel names no resource: %q", text(".zone-table__meta"))
		}
		resource := m[1]

		// An aggregate query: its page refreshes itself until the result is released.
		sql := `SELECT district, COUNT(*) AS patients FROM "` + resource + `" WHERE diagnosis_group = 'P00-P96' GROUP BY district`
		do(t, ctx, chromedp.SetValue(chromedp.CSS("#field-sql"), sql), chromedp.Click(chromedp.CSS("#zone-run")),
			chromedp.WaitVisible(chromedp.CSS("#zone-result")))
		shows("#zone-query-status", "已发布")
		if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#zone-result td.zone-suppressed').length`)); n == 0 {
			t.Errorf("%s: the result withholds no cell:\n%s", w.name, text("#zone-result"))
		}
		shows("#zone-result-legend", "少于 10 人")
		noSideways("result")

		// SELECT * is refused in the workspace, at its place.
		do(t, ctx, navigate(s.url+"/zones/ZONE-HEALTH/workspace"), chromedp.WaitVisible(chromedp.CSS("#field-sql")),
			chromedp.SetValue(chromedp.CSS("#field-sql"), `SELECT * FROM "`+resource+`"`), chromedp.Click(chromedp.CSS("#zone-run")),
			chromedp.WaitVisible(chromedp.CSS("#sql-refusal")))
		shows("#sql-refusal", "第 1 行第 8 列")
		shows(".zone-refusal__fragment code", "*")
		if got := run(t, ctx, chromedp.Value(chromedp.CSS("#field-sql"))); !strings.HasPrefix(got, "SELECT * FROM") {
			t.Errorf("%s: the refused statement is not kept in the form: %q", w.name, got)
		}
		noSideways("refusal")
	}
	if refusals, want := consoleRefusals(t, console), map[string]int{"422": len(widths)}; !maps.Equal(refusals, want) {
		t.Errorf("refusals reported by the browser %v, want %v (SELECT * at each width)", refusals, want)
	}
}
