package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserEngageJourney drives the dataset page's feedback in Chromium
// against the real binary: a citizen (demo account) rates a dataset and
// reports an error in it; the providing institution's editor is told,
// opens the report from the notice and answers it; the citizen is told of
// the answer and reads it on the dataset page. Every page fits a 390 px
// phone without sideways scrolling, at desktop width too, and the console
// stays free of errors.
func TestBrowserEngageJourney(t *testing.T) {
	ctx := newChrome(t)
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	console := collectConsole(t, ctx)
	desktop := chromedp.EmulateViewport(1366, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)
	fits := func(where string) {
		t.Helper()
		for _, vp := range []struct {
			name string
			set  chromedp.Action[chromedp.Void]
		}{{"desktop", desktop}, {"390 px", phone}} {
			do(t, ctx, vp.set, chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("body")))
			mine := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#engage, #engage *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map(e => e.tagName + '.' + e.className)`))
			if len(mine) > 0 {
				t.Errorf("%s at %s width: the feedback section is too wide: %v", where, vp.name, mine)
			}
			wide := run(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`))
			if wide {
				over := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id)`))
				t.Errorf("%s scrolls sideways at %s width; too wide: %v", where, vp.name, over)
			}
		}
	}
	signOut := func() {
		t.Helper()
		do(t, ctx, navigate(s.url+"/"), chromedp.WaitReady(chromedp.CSS("body")))
		if run(t, ctx, chromedp.Evaluate[bool](`document.querySelector('form[action="/logout"] button') !== null`)) {
			do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitNotPresent(chromedp.CSS(`form[action="/logout"]`)))
		}
	}
	signIn := func(user string) {
		t.Helper()
		signOut()
		do(t, ctx, navigate(s.url+"/login"),
			chromedp.SendKeys(chromedp.CSS("#field-username"), user), chromedp.SendKeys(chromedp.CSS("#field-password"), accounts[user]),
			chromedp.Submit(chromedp.CSS("#field-password")), chromedp.WaitNotPresent(chromedp.CSS("#field-password")))
	}

	// The citizen finds a transport dataset and rates it.
	signIn("citizen")
	do(t, ctx, desktop, navigate(s.url+"/catalog?q=%E5%85%AC%E4%BA%A4"), chromedp.Click(chromedp.CSS(".result__title a")),
		chromedp.WaitVisible(chromedp.CSS("#engage")))
	dataset := run(t, ctx, chromedp.Evaluate[string](`location.pathname`))
	if !strings.HasPrefix(dataset, "/dataset/jtw-") {
		t.Fatalf("opened %s, want a dataset of the transport commission (jtw)", dataset)
	}
	title := strings.TrimSpace(run(t, ctx, chromedp.Evaluate[string](`document.querySelector('h1').firstChild.textContent`)))
	do(t, ctx, chromedp.Click(chromedp.CSS(`.engage__rate input[name="stars"][value="4"]`)),
		chromedp.Click(chromedp.CSS(".engage__rate button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	stats := run(t, ctx, chromedp.Text(chromedp.CSS(".engage__stats")))
	if !strings.Contains(stats, "评分 4.0（1 人评价）") || !strings.Contains(stats, "浏览") {
		t.Errorf("after rating 4 stars the figures read %q", stats)
	}

	// A download of the dataset's file counts, and the page says so.
	href := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('a.download__link').getAttribute('href')`))
	resp, err := http.Get(s.url + href)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("downloading %s: %s", href, resp.Status)
	}
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#engage")))
	if stats := run(t, ctx, chromedp.Text(chromedp.CSS(".engage__stats"))); !strings.Contains(stats, "下载 1 次") {
		t.Errorf("after one download the figures read %q", stats)
	}

	// … and reports an error: an item, a row, the value and what is wrong.
	const problem = "该站点的线路数应为 3 条，此处多计了一条已停运线路。"
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#field-report_row"), "第 2 行"),
		chromedp.SendKeys(chromedp.CSS("#field-report_value"), "4"),
		chromedp.Click(chromedp.CSS(`#error-reports form.engage__form button`)), chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	summary := run(t, ctx, chromedp.Text(chromedp.CSS(".error-summary")))
	if !strings.Contains(summary, "问题说明") {
		t.Errorf("a report without its problem: summary %q, want the problem field named", summary)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#field-report_problem"), problem),
		chromedp.Click(chromedp.CSS(`#error-reports form.engage__form button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	reports := run(t, ctx, chromedp.Text(chromedp.CSS("#error-reports")))
	if !strings.Contains(reports, problem) || !strings.Contains(reports, "待答复") || !strings.Contains(reports, "我提交的") {
		t.Fatalf("after reporting, the reports read:\n%s", reports)
	}
	fits("the dataset page of a signed-in citizen")

	// The transport commission's editor is told, opens the notice and answers.
	signIn("jtw.editor")
	do(t, ctx, desktop, navigate(s.url+"/notifications"))
	notices := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(notices, "有用户报告了数据集的错误") || !strings.Contains(notices, title) {
		t.Fatalf("the editor's notices, which should name %s:\n%s", title, notices)
	}
	const reply = "已核实，线路数已更正为 3，将在下一版本发布。"
	do(t, ctx, chromedp.Click(chromedp.CSS(`a[href*="#error-reports"]`)), chromedp.WaitVisible(chromedp.CSS(`textarea[name="report_reply"]`)))
	editorView := run(t, ctx, chromedp.Text(chromedp.CSS("#error-reports")))
	if strings.Contains(editorView, "林若溪") || strings.Contains(editorView, "citizen") {
		t.Errorf("the report names its reporter to the editor:\n%s", editorView)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(`textarea[name="report_reply"]`), reply),
		chromedp.Click(chromedp.CSS(`#error-reports details form button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := run(t, ctx, chromedp.Text(chromedp.CSS("#error-reports"))); !strings.Contains(got, reply) || !strings.Contains(got, "已答复") {
		t.Fatalf("after answering, the reports read:\n%s", got)
	}

	// The citizen is told of the answer and reads it.
	signIn("citizen")
	do(t, ctx, navigate(s.url+"/notifications"))
	notices = run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(notices, "您报告的数据错误已有答复") || !strings.Contains(notices, title) {
		t.Fatalf("the citizen's notices, which should name %s:\n%s", title, notices)
	}
	fits("the notifications page")
	do(t, ctx, desktop, chromedp.Click(chromedp.CSS(`a[href*="#error-reports"]`)), chromedp.WaitVisible(chromedp.CSS("#error-reports")))
	if got := run(t, ctx, chromedp.Text(chromedp.CSS("#error-reports"))); !strings.Contains(got, reply) {
		t.Errorf("the citizen does not see the answer:\n%s", got)
	}
	fits("the dataset page with the answer")

	// Anonymous visitors see the report and the answer, not who reported it.
	signOut()
	do(t, ctx, navigate(s.url+dataset), chromedp.WaitVisible(chromedp.CSS("#error-reports")))
	public := run(t, ctx, chromedp.Text(chromedp.CSS("#engage")))
	if !strings.Contains(public, reply) || strings.Contains(public, "我提交的") || strings.Contains(public, "林若溪") {
		t.Errorf("anonymous visitors see:\n%s", public)
	}
	for _, m := range console.take() {
		if strings.Contains(m.String(), "status of 422") {
			continue // the report sent without its problem, on purpose: the page's answer, not a script's error
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			t.Errorf("console %s", m)
		}
	}
}
