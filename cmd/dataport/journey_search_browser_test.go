package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSearchJourney drives the portal's search in Chromium against
// the real demo binary, as a visitor: 交通 finds the resources under the
// subject 交通服务 and of the transport commission, and says how many not
// opened (不予开放) were left out, with a link that shows them; 出租车 finds
// 出租汽车 through the synonym list and says so; a misspelled word offers a
// "did you mean" link that finds something. Then the platform operator
// edits the synonym list in the browser and the next search uses it.
// Every page is checked at desktop width and at 390 px for sideways
// scrolling, and the console for errors.
func TestBrowserSearchJourney(t *testing.T) {
	ctx := newChrome(t)
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	console := collectConsole(t, ctx)
	desktop := chromedp.EmulateViewport(1366, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)
	fits := func(where string) {
		t.Helper()
		do(t, ctx, phone, chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("body")))
		noSideways(t, ctx, where+" at 390 px")
		do(t, ctx, desktop, chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("body")))
		noSideways(t, ctx, where+" at desktop width")
	}
	// searchFor types words into the search box and submits them, as a
	// visitor does, and returns the results' text once the new page is there.
	searchFor := func(words string) string {
		t.Helper()
		do(t, ctx, desktop, navigate(s.url+"/catalog"), chromedp.SendKeys(chromedp.CSS("#field-q"), words),
			chromedp.Submit(chromedp.CSS("#field-q")))
		waitJS(t, ctx, `new URLSearchParams(location.search).get('q') !== null && document.readyState === 'complete'`)
		do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#results-title")))
		return run(t, ctx, chromedp.Text(chromedp.CSS(".results")))
	}

	// 交通: by the subject's label and the department's name.
	results := searchFor("交通")
	// 机动车驾驶人考场 is the police bureau's, under 交通服务: found by the subject's label.
	for _, want := range []string{"公交线路基本信息", "公交站点实时到站信息", "出租汽车企业名录", "机动车驾驶人考场"} {
		if !strings.Contains(results, want) {
			t.Errorf("交通 did not find %s:\n%s", want, results)
		}
	}
	if strings.Contains(results, "出租汽车驾驶员从业资格信息") {
		t.Errorf("交通 lists a resource not opened by default:\n%s", results)
	}
	fits("the results for 交通")
	note := run(t, ctx, chromedp.Text(chromedp.CSS(".search-note--not-open")))
	if !strings.Contains(note, "不予开放") {
		t.Errorf("no word of the resources not opened left out: %q", note)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(".search-note--not-open a")), chromedp.WaitVisible(chromedp.CSS(".chip")))
	if results := run(t, ctx, chromedp.Text(chromedp.CSS(".result-list"))); !strings.Contains(results, "出租汽车驾驶员从业资格信息") {
		t.Errorf("the link to resources not opened shows:\n%s", results)
	}

	// 出租车 finds 出租汽车 through the synonyms, marked and said.
	results = searchFor("出租车")
	if !strings.Contains(results, "出租汽车企业名录") {
		t.Errorf("出租车 did not find 出租汽车企业名录:\n%s", results)
	}
	if note := run(t, ctx, chromedp.Text(chromedp.CSS(".search-note"))); !strings.Contains(note, "出租汽车") {
		t.Errorf("the synonyms searched too are not said: %q", note)
	}
	if marked := run(t, ctx, chromedp.Text(chromedp.CSS(".result mark"))); marked != "出租汽车" {
		t.Errorf("marked %q in the first result, want the synonym 出租汽车", marked)
	}
	fits("the results for 出租车")

	// A misspelled word: nothing found, a did-you-mean link that finds something.
	searchFor("公交线跑")
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.result').length`)); n != 0 {
		t.Fatalf("公交线跑 found %d results; the case needs none", n)
	}
	suggestion := run(t, ctx, chromedp.Text(chromedp.CSS(".did-you-mean a")))
	if suggestion != "公交线路" {
		t.Errorf("did you mean %q, want 公交线路", suggestion)
	}
	fits("the empty result with suggestions")
	do(t, ctx, chromedp.Click(chromedp.CSS(".did-you-mean a")), chromedp.WaitVisible(chromedp.CSS(".result")))
	if results := run(t, ctx, chromedp.Text(chromedp.CSS(".result-list"))); !strings.Contains(results, "公交线路基本信息") {
		t.Errorf("following the suggestion found:\n%s", results)
	}
	if q := run(t, ctx, chromedp.Value(chromedp.CSS("#field-q"))); q != "公交线路" {
		t.Errorf("after the suggestion the search box holds %q", q)
	}

	// The operator adds a group; the next search uses it, without a restart.
	do(t, ctx, navigate(s.url+"/login"),
		chromedp.SendKeys(chromedp.CSS("#field-username"), "operator"), chromedp.SendKeys(chromedp.CSS("#field-password"), accounts["operator"]),
		chromedp.Submit(chromedp.CSS("#field-password")), chromedp.WaitNotPresent(chromedp.CSS("#field-password")))
	do(t, ctx, navigate(s.url+"/catalog?q="+url.QueryEscape("线路图")), chromedp.WaitVisible(chromedp.CSS("#results-title")))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.result').length`)); n != 0 {
		t.Fatalf("线路图 found %d results before it was a synonym", n)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`a[href="/admin/search/synonyms"]`)), chromedp.WaitVisible(chromedp.CSS("#field-synonyms")))
	fits("the synonym list")
	appendLine := func(line string) {
		t.Helper()
		run(t, ctx, chromedp.Evaluate[bool](`(document.querySelector('#field-synonyms').value += '\n`+line+`', true)`))
	}
	appendLine("线路图，公交线路")
	do(t, ctx, chromedp.Submit(chromedp.CSS("#field-synonyms")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	do(t, ctx, navigate(s.url+"/catalog?q="+url.QueryEscape("线路图")), chromedp.WaitVisible(chromedp.CSS(".result")))
	if results := run(t, ctx, chromedp.Text(chromedp.CSS(".result-list"))); !strings.Contains(results, "公交线路基本信息") {
		t.Errorf("线路图 after it was added beside 公交线路 found:\n%s", results)
	}
	// A refused list names the group and keeps what was typed.
	do(t, ctx, navigate(s.url+"/admin/search/synonyms"), chromedp.WaitVisible(chromedp.CSS("#field-synonyms")))
	appendLine("孤词")
	do(t, ctx, chromedp.Submit(chromedp.CSS("#field-synonyms")), chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	if summary := run(t, ctx, chromedp.Text(chromedp.CSS(".error-summary"))); !strings.Contains(summary, "组") {
		t.Errorf("refused list summary %q does not name the group", summary)
	}
	if typed := run(t, ctx, chromedp.Value(chromedp.CSS("#field-synonyms"))); !strings.Contains(typed, "孤词") {
		t.Errorf("the refused list was not kept as typed")
	}

	for _, m := range console.take() {
		// The refused list is answered 422, which Chromium reports as a failed load.
		if strings.Contains(m.String(), "status of 422") {
			continue
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			t.Errorf("console %s", m)
		}
	}
}
