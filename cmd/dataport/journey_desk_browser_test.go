package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"dataport/internal/ingest/ingesttest"
	"github.com/chromedp/chromedp"
)

// stationWorkbook writes an institution's XLSX as people make them: a
// title merged across the table and a unit line above the header, and a
// phone column.
func stationWorkbook(t *testing.T) string {
	t.Helper()
	book := ingesttest.Sheet(t, [][]any{
		{"京华市公共自行车服务网点一览表（2026年11月）"},
		{nil, nil, nil, "单位：个"},
		{"网点名称", "所在街道", "联系电话", "车桩数"},
		{"东直门站", "东直门街道", "13912345678", 30},
		{"鼓楼站", "鼓楼街道", "13811112222", 24},
		{"安定门站", "安定门街道", "13700001111", 18},
	}, [2]string{"A1", "D1"})
	path := filepath.Join(t.TempDir(), "公共自行车网点.xlsx")
	if err := os.WriteFile(path, book, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var resourcePath = regexp.MustCompile(`^/resources/([0-9a-f-]+)$`)

// TestBrowserEditorDeskJourney: an institution editor starts a new
// resource, uploads an XLSX whose header sits under a merged title and a
// unit line, gets the header row found (and can pick another), gets the
// data items inferred with the phone column flagged as personal
// information, saves and submits the resource; the operator returns it;
// the editor's workspace then lists it with the reason in the to-do list,
// the navigation counts the unread notice, and the notice names the
// dataset. At a desktop's width and at a phone's 390 px, without sideways
// scrolling or console errors.
func TestBrowserEditorDeskJourney(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	ctx := newChrome(t) // its 90 s start once the demo is up
	accounts := s.accounts(t)
	console := collectConsole(t, ctx)
	book := stationWorkbook(t)
	noSideways := func(where string) { t.Helper(); fitsWidth(t, ctx, "desk", where) }
	value := func(sel string) string { t.Helper(); return run(t, ctx, chromedp.Value(chromedp.CSS(sel))) }
	text := func(sel string) string { t.Helper(); return run(t, ctx, chromedp.Text(chromedp.CSS(sel))) }
	// inferAgain presses the infer button and waits for the page it brings:
	// the old page's status line is removed first, so the wait is for the new one.
	inferAgain := func() chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.Evaluate[chromedp.Void](`document.querySelector('.desk-sample__done').remove()`),
			chromedp.Click(chromedp.CSS(`button[value="infer"]`)), chromedp.WaitVisible(chromedp.CSS(".desk-sample__done")))
	}
	unread := func() int {
		t.Helper()
		return run(t, ctx, chromedp.Evaluate[int](`parseInt((document.querySelector('#nav-unread') || {textContent: '0'}).textContent, 10)`))
	}
	const editor = "jtw.editor"
	do(t, ctx, navigate(s.url+"/login"), chromedp.SendKeys(chromedp.CSS("#field-username"), editor),
		chromedp.SendKeys(chromedp.CSS("#field-password"), accounts[editor]), chromedp.Submit(chromedp.CSS("#field-password")),
		chromedp.WaitVisible(chromedp.CSS("#todo")))
	before := unread() // the demo's own publications were announced already

	widths := []struct {
		name     string
		viewport chromedp.Action[chromedp.Void]
	}{
		{"desktop", chromedp.EmulateViewport(1366, 900)},
		{"phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)},
	}
	var created []string
	for _, w := range widths {
		title := "公共自行车服务网点（" + w.name + "）"
		do(t, ctx, w.viewport, navigate(s.url+"/my/resources/new"), chromedp.WaitVisible(chromedp.CSS("#field-sample_file-input")))
		noSideways(w.name + " new resource")
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#field-title_zh"), title),
			chromedp.SendKeys(chromedp.CSS("#field-description_zh"), "全市公共自行车服务网点的名称、所在街道、联系电话和车桩数。"),
			chromedp.SetUploadFiles(chromedp.CSS("#field-sample_file-input"), []string{book}),
			chromedp.Click(chromedp.CSS(`button[value="infer"]`)), chromedp.WaitVisible(chromedp.CSS(".desk-sample__done")))
		if v := value("#field-title_zh"); v != title {
			t.Fatalf("%s: the title typed became %q after inferring", w.name, v)
		}
		if !run(t, ctx, chromedp.Evaluate[bool](`document.querySelector('#header-row-3').checked`)) {
			t.Errorf("%s: row 3 is not offered as the header found", w.name)
		}
		if got := value("#field-items-0-label_zh") + "," + value("#field-items-2-label_zh"); got != "网点名称,联系电话" {
			t.Errorf("%s: items inferred as %q, want the header under the title and unit lines", w.name, got)
		}
		if legend := text("#field-items fieldset.item-row:nth-of-type(3) legend"); !strings.Contains(legend, "手机号码") {
			t.Errorf("%s: the phone column is not flagged: %q", w.name, legend)
		}
		noSideways(w.name + " inferred")

		// Another header row, then back: no second upload needed.
		do(t, ctx, chromedp.Click(chromedp.CSS(`label[for="header-row-4"]`)), inferAgain())
		if got := value("#field-items-0-label_zh"); got != "东直门站" {
			t.Errorf("%s: with row 4 as header the first item is %q", w.name, got)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`label[for="header-row-3"]`)), inferAgain())
		if got := value("#field-items-0-label_zh"); got != "网点名称" {
			t.Errorf("%s: back to row 3 as header the first item is %q", w.name, got)
		}

		// The rest of the form, then save and submit.
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
			const pick = (sel, i) => { const s = document.querySelector(sel); s.selectedIndex = i; };
			pick('#field-subject', 1); pick('#field-update_frequency', 1); pick('#field-level', 1);
			for (const [n, v] of [['share_type', 'unconditional'], ['open_type', 'none'], ['classification', 'general']]) {
				document.querySelector('input[name="' + n + '"][value="' + v + '"]').checked = true;
			}
		})()`), chromedp.SendKeys(chromedp.CSS("#field-open_basis"), "含联系人电话，不予开放"),
			chromedp.Click(chromedp.CSS(`button[value="save"]`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/submit"]`)))
		path := run(t, ctx, chromedp.Evaluate[string](`location.pathname`))
		m := resourcePath.FindStringSubmatch(path)
		if m == nil {
			t.Fatalf("%s: after saving at %s:\n%s", w.name, path, text("main"))
		}
		created = append(created, m[1])
		noSideways(w.name + " created")
		do(t, ctx, chromedp.Click(chromedp.CSS(`form[action$="/submit"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	}

	// The operator returns both with a reason.
	op := newBrowser(t, s.url)
	op.login("operator", accounts["operator"])
	for _, id := range created {
		status, _, _ := op.post("/resources/"+id+"/review", url.Values{"csrf_token": {op.csrf("/resources/" + id)},
			"decision": {"return"}, "comment": {"请补充车桩数的统计口径"}})
		if status != http.StatusSeeOther {
			t.Fatalf("returning %s: status %d", id, status)
		}
	}

	for _, w := range widths {
		do(t, ctx, w.viewport, navigate(s.url+"/my"), chromedp.WaitVisible(chromedp.CSS("#todo")))
		todo := text("#todo")
		if !strings.Contains(todo, "公共自行车服务网点（"+w.name+"）") || !strings.Contains(todo, "请补充车桩数的统计口径") {
			t.Errorf("%s: the to-do list lacks the returned resource with its reason:\n%s", w.name, todo)
		}
		if n := unread(); n != before+len(created) {
			t.Errorf("%s: unread count %d, want %d (%d before, one for each return)", w.name, n, before+len(created), before)
		}
		noSideways(w.name + " to-do")
		do(t, ctx, chromedp.Click(chromedp.CSS(`a[href="/notifications"]`)), chromedp.WaitVisible(chromedp.CSS(".notice-subject")))
		if subj := text(".notice-subject"); !strings.Contains(subj, "公共自行车服务网点") {
			t.Errorf("%s: the notice names %q, not the dataset", w.name, subj)
		}
		noSideways(w.name + " notifications")
	}
	for _, m := range console.take() {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			t.Errorf("console %s", m)
		}
	}
}
