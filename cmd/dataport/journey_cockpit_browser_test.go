package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserCockpitJourney drives the operator's cockpit in Chromium
// against the real binary and the demo city: the platform operator opens
// the dashboard from the navigation, follows the catalog's review queue,
// ticks two entries and approves them in one batch; the sysadmin creates a
// user from the dashboard and disables another. Every page fits a 390 px
// phone and a desktop without sideways scrolling, and the console shows no
// error. Screenshots go to $DATAPORT_SCREENSHOTS (or a temporary directory).
func TestBrowserCockpitJourney(t *testing.T) {
	ctx := newChrome(t)
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	console := collectConsole(t, ctx)
	shots := os.Getenv("DATAPORT_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	desktop := chromedp.EmulateViewport(1366, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)
	// fits checks the page at both widths, saving a screenshot of each, and
	// leaves the browser at desktop width.
	fits := func(name string) {
		t.Helper()
		for _, vp := range []struct {
			name string
			set  chromedp.Action[chromedp.Void]
		}{{"phone", phone}, {"desktop", desktop}} {
			do(t, ctx, vp.set, chromedp.WaitReady(chromedp.CSS("body")))
			if run(t, ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`)) {
				over := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className)`))
				t.Errorf("%s scrolls sideways at %s; too wide: %v", name, vp.name, over)
			}
			png := run(t, ctx, chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(shots, "cockpit-"+name+"-"+vp.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	signIn := func(name string) {
		t.Helper()
		do(t, ctx, desktop, navigate(s.url+"/login"), chromedp.Focus(chromedp.CSS("#field-username")),
			chromedp.KeyEvent(name), chromedp.Focus(chromedp.CSS("#field-password")), chromedp.KeyEvent(accounts[name]),
			chromedp.KeyEvent(kb.Enter), chromedp.WaitNotPresent(chromedp.CSS("#field-password")))
	}
	text := func(sel string) string { t.Helper(); return run(t, ctx, chromedp.Text(chromedp.CSS(sel))) }

	// The operator opens the dashboard from the navigation.
	signIn("operator")
	do(t, ctx, chromedp.Click(chromedp.CSS(`.site-nav a[href="/admin"]`)), chromedp.WaitVisible(chromedp.CSS(".cockpit-queues")))
	queues := text(".cockpit-queues")
	for _, want := range []string{"数据目录审核", "共享申请", "开放申请", "工作日"} {
		if !strings.Contains(queues, want) {
			t.Errorf("the dashboard's queues lack %q:\n%s", want, queues)
		}
	}
	tiles := text(".cockpit-tiles")
	for _, want := range []string{"年度开放清单", "被拦截待放行的数据加载", "发送失败的邮件通知"} {
		if !strings.Contains(tiles, want) {
			t.Errorf("the dashboard's counts lack %q:\n%s", want, tiles)
		}
	}
	waiting := text(`.cockpit-queues a.cockpit-count[href="/review"]`)
	fits("dashboard")

	// It follows the catalog queue: each entry carries its flags.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.cockpit-queues a.cockpit-count[href="/review"]`)), chromedp.WaitVisible(chromedp.CSS(".review-queue")))
	rows := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.review-queue tbody tr').length`))
	if want := strings.TrimSpace(waiting); want != strconv.Itoa(rows) || rows < 2 {
		t.Fatalf("the dashboard counted %q entries, the queue lists %d (need 2 or more)", waiting, rows)
	}
	flags := text(".review-queue tbody tr:first-child .flags")
	for _, kind := range []string{"质量", "个人信息", "完整性"} {
		if !strings.Contains(flags, kind) {
			t.Errorf("the first entry's flags lack %s: %q", kind, flags)
		}
	}
	fits("review")

	// Two entries ticked, approved in one batch.
	titles := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.review-queue tbody tr')].slice(0, 2).map(r => r.querySelector('th a').textContent)`))
	do(t, ctx, chromedp.Click(chromedp.CSS(`.review-queue tbody tr:nth-child(1) input[name="ids"]`)),
		chromedp.Click(chromedp.CSS(`.review-queue tbody tr:nth-child(2) input[name="ids"]`)),
		chromedp.Click(chromedp.CSS(`#field-decision`)),
		chromedp.Click(chromedp.CSS(`.review-batch__controls button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#batch-title")))
	if got := text("#batch-title"); got != "已处理 2 条，共 2 条" {
		t.Errorf("batch result %q", got)
	}
	results := text(".batch-results")
	for _, title := range titles {
		if !strings.Contains(results, title) || !strings.Contains(results, "已发布") {
			t.Errorf("the batch results do not show %s published:\n%s", title, results)
		}
	}
	if left := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.review-queue tbody tr').length`)); left != rows-2 {
		t.Errorf("%d entries left in the queue, want %d", left, rows-2)
	}
	fits("review-batch")

	// The sysadmin creates a user from the dashboard.
	do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login"]`)))
	signIn("admin")
	do(t, ctx, navigate(s.url+"/admin"), chromedp.WaitVisible(chromedp.CSS(".cockpit-tiles")))
	if !strings.Contains(text(".cockpit-tiles"), "后台任务") {
		t.Error("the sysadmin's dashboard does not count background jobs")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`a[href="/admin/users/new"]`)), chromedp.WaitVisible(chromedp.CSS("#field-username")))
	fits("user-new")
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#field-username"), "jtw.analyst"),
		chromedp.SendKeys(chromedp.CSS("#field-display_name"), "王数据"),
		chromedp.SendKeys(chromedp.CSS("#field-password"), "a long enough password"),
		chromedp.SendKeys(chromedp.CSS("#field-password_confirm"), "a long enough password"))
	run(t, ctx, chromedp.Evaluate[bool](`(() => { const s = document.querySelector('#field-organization_id'); s.selectedIndex = 1; return true })()`))
	do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/admin/users"] button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(".notice"); !strings.Contains(got, "用户已创建") {
		t.Fatalf("after creating a user: %q", got)
	}
	if h1 := text("h1"); h1 != "jtw.analyst" {
		t.Errorf("the new user's page is headed %q", h1)
	}
	if orgs := text("#memberships-title + ul"); !strings.Contains(orgs, "成员") {
		t.Errorf("the new user's memberships: %q", orgs)
	}
	fits("user-created")

	// ... and disables another.
	do(t, ctx, navigate(s.url+"/admin/users?q=citizen"), chromedp.Click(chromedp.CSS(`table a[href^="/admin/users/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/disable"]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/disable"] button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(".notice"); !strings.Contains(got, "账户已停用") {
		t.Fatalf("after disabling: %q", got)
	}
	fits("user-disabled")

	time.Sleep(50 * time.Millisecond) // let console events arrive
	for _, m := range console.take() {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			t.Errorf("console %s", m)
		}
	}
	t.Logf("screenshots in %s", shots)
}
