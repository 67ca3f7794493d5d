package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDiscoveryJourney walks the front page and the portal's public
// pages on the real demo binary in Chromium, at a desktop's width and at a
// phone's (390 px): a visitor follows a topic tile and finds as many
// datasets as it said; a citizen asks for data that is not open; the
// institution's editor answers in public; the citizen submits an app, the
// operator approves it and it is shown. No page scrolls sideways and the
// console stays clean.
func TestBrowserDiscoveryJourney(t *testing.T) {
	ctx := newChrome(t)
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	console := collectConsole(t, ctx)

	noSideways := func(where string) { t.Helper(); fitsWidth(t, ctx, "discovery", where) }
	text := func(sel string) string { t.Helper(); return run(t, ctx, chromedp.Text(chromedp.CSS(sel))) }
	path := func() string { t.Helper(); return run(t, ctx, chromedp.Evaluate[string](`location.pathname`)) }
	signIn := func(user string) {
		t.Helper()
		do(t, ctx, navigate(s.url+"/login"), chromedp.SendKeys(chromedp.CSS("#field-username"), user),
			chromedp.SendKeys(chromedp.CSS("#field-password"), accounts[user]), chromedp.Submit(chromedp.CSS("#field-password")),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)))
	}
	signOut := func() {
		t.Helper()
		do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login"]`)))
	}
	// choose picks the option of select sel whose text contains label.
	choose := func(sel, label string) {
		t.Helper()
		value := run(t, ctx, chromedp.Evaluate[string](`(Array.from(document.querySelectorAll(`+strconv.Quote(sel+" option")+`)).find(o => o.textContent.includes(`+strconv.Quote(label)+`)) || {value: ""}).value`))
		if value == "" {
			t.Fatalf("%s has no option %q", sel, label)
		}
		do(t, ctx, chromedp.SetValue(chromedp.CSS(sel), value))
	}
	count := regexp.MustCompile(`\d+`)

	for _, w := range widths {
		// A visitor: tiles with counts; the transport tile opens the catalog filtered to as many datasets.
		do(t, ctx, w.viewport, navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS(".tiles")))
		noSideways(w.name + " home")
		if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".tiles .tile__link").length`)); n < 10 {
			t.Errorf("%s: %d tiles on the front page", w.name, n)
		}
		if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".chart svg .chart__bar").length`)); n == 0 {
			t.Errorf("%s: no chart bars on the front page", w.name)
		}
		tile := text(`a.tile__link[href="/catalog?subject=04"] .tile__count`)
		do(t, ctx, chromedp.Click(chromedp.CSS(`a.tile__link[href="/catalog?subject=04"]`)), chromedp.WaitVisible(chromedp.CSS("#results-title")))
		found := text("#results-title")
		if want := count.FindString(tile); want == "" || count.FindString(found) != want {
			t.Errorf("%s: the transport tile says %q, its list says %q", w.name, tile, found)
		}
		noSideways(w.name + " catalog by topic")
		for _, page := range []string{"/data-requests", "/apps", "/news"} {
			do(t, ctx, navigate(s.url+page), chromedp.WaitVisible(chromedp.CSS("h1")))
			noSideways(w.name + " " + page)
		}

		// A citizen asks the transport commission for data that is not open.
		title := "网约车订单起讫点统计（" + w.name + "）"
		signIn("citizen")
		do(t, ctx, navigate(s.url+"/data-requests/new"), chromedp.WaitVisible(chromedp.CSS("#field-title")),
			chromedp.SendKeys(chromedp.CSS("#field-title"), title),
			chromedp.SendKeys(chromedp.CSS("#field-need_description"), "按区和小时汇总的网约车订单起讫点数量"),
			chromedp.SendKeys(chromedp.CSS("#field-purpose"), "研究夜间出行需求"))
		choose("#field-holder_org", "京华市交通委员会")
		noSideways(w.name + " data request form")
		do(t, ctx, chromedp.Submit(chromedp.CSS("#field-title")), chromedp.WaitVisible(chromedp.CSS(".notice")))
		requestPath := path()
		if got := text("h1"); got != title || !strings.HasPrefix(requestPath, "/data-requests/") {
			t.Fatalf("%s: after sending the request at %s: %q", w.name, requestPath, got)
		}
		noSideways(w.name + " data request")
		signOut()

		// The commission's editor answers it; the answer is public.
		signIn("jtw.editor")
		do(t, ctx, navigate(s.url+requestPath), chromedp.WaitVisible(chromedp.CSS("#field-answer_text")),
			chromedp.Click(chromedp.CSS(`#field-answer_outcome`)), // the first outcome: planned
			chromedp.SendKeys(chromedp.CSS("#field-answer_text"), "已列入年度开放清单，预计下季度开放"),
			chromedp.Submit(chromedp.CSS("#field-answer_text")), chromedp.WaitVisible(chromedp.CSS(".notice")))
		if body := text("main"); !strings.Contains(body, "已列入年度开放清单") || !strings.Contains(body, "计划开放") {
			t.Errorf("%s: the answered request shows:\n%s", w.name, body)
		}
		signOut()
		do(t, ctx, navigate(s.url+"/data-requests?status=answered"), chromedp.WaitVisible(chromedp.CSS("h1")))
		if body := text("main"); !strings.Contains(body, title) || !strings.Contains(body, "已列入年度开放清单") {
			t.Errorf("%s: the public list lacks the answered request", w.name)
		}

		// The citizen submits an app built on a dataset; the operator approves it; it is shown.
		app := "夜归人出行助手（" + w.name + "）"
		signIn("citizen")
		do(t, ctx, navigate(s.url+"/apps/new"), chromedp.WaitVisible(chromedp.CSS("#field-app_name")),
			chromedp.SendKeys(chromedp.CSS("#field-app_name"), app),
			chromedp.SendKeys(chromedp.CSS("#field-app_description"), "夜间公交到站提醒"),
			chromedp.SendKeys(chromedp.CSS("#field-app_url"), "https://yeguiren.example.cn"),
			chromedp.SendKeys(chromedp.CSS("#field-app_resources"), appResource(t, s.url)))
		noSideways(w.name + " app form")
		do(t, ctx, chromedp.Submit(chromedp.CSS("#field-app_name")), chromedp.WaitVisible(chromedp.CSS(".notice")))
		appPath := path()
		if !strings.HasPrefix(appPath, "/apps/") || !strings.Contains(text("main"), "待平台审核") {
			t.Fatalf("%s: after submitting the app at %s:\n%s", w.name, appPath, text("main"))
		}
		signOut()
		signIn("operator")
		do(t, ctx, navigate(s.url+"/waiting"), chromedp.WaitVisible(chromedp.CSS("h1")))
		if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('a[href="`+appPath+`"]').length`)); n == 0 {
			t.Errorf("%s: the app is not in the operator's waiting list", w.name)
		}
		do(t, ctx, navigate(s.url+appPath), chromedp.WaitVisible(chromedp.CSS("#field-decision")),
			chromedp.Click(chromedp.CSS("#field-decision")), chromedp.Submit(chromedp.CSS("#field-decision")),
			chromedp.WaitVisible(chromedp.CSS(".notice")))
		noSideways(w.name + " app reviewed")
		signOut()
		do(t, ctx, navigate(s.url+"/apps"), chromedp.WaitVisible(chromedp.CSS("h1")))
		if !strings.Contains(text("main"), app) {
			t.Errorf("%s: the approved app is not shown", w.name)
		}
		do(t, ctx, navigate(s.url+appPath), chromedp.WaitVisible(chromedp.CSS("h1")))
		noSideways(w.name + " app")
	}
	for _, m := range console.take() {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			t.Errorf("console %s", m)
		}
	}
}

// appResource returns the address of a published dataset, as a user copies
// it from the catalog.
func appResource(t *testing.T, base string) string {
	t.Helper()
	var out struct {
		Result struct {
			Results []struct {
				Name string `json:"name"`
			} `json:"results"`
		} `json:"result"`
	}
	getJSON(t, base+"/api/3/action/package_search?q=%E5%85%AC%E4%BA%A4&rows=1", &out)
	if len(out.Result.Results) == 0 {
		t.Fatal("package_search found no bus dataset")
	}
	return base + "/dataset/" + out.Result.Results[0].Name
}
