package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserPortalSearch drives the open data portal in Chromium against
// the real binary: search in Chinese, narrow by a facet, open a dataset,
// switch to English; no console errors on the way. Screenshots of the
// search and dataset pages at desktop and phone widths are saved to
// $DATAPORT_SCREENSHOTS (or the test's temporary directory).
func TestBrowserPortalSearch(t *testing.T) {
	ctx := newChrome(t)
	s := start(t, "demo", "--data", t.TempDir())
	shots := os.Getenv("DATAPORT_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	console := collectConsole(t, ctx)
	desktop := chromedp.EmulateViewport(1366, 900)
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)
	save := func(name string) {
		t.Helper()
		png := run(t, ctx, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	do(t, ctx, desktop, navigate(s.url+"/catalog"), chromedp.Focus(chromedp.CSS("#field-q")),
		chromedp.KeyEvent("公交"), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".result mark")))
	results := run(t, ctx, chromedp.Text(chromedp.CSS(".result-list")))
	count := run(t, ctx, chromedp.Text(chromedp.CSS("#results-title")))
	if !strings.Contains(results, "公交站点实时到站信息") || !strings.Contains(count, "2") {
		t.Fatalf("searching 公交: %q\n%s", count, results)
	}
	marked := run(t, ctx, chromedp.Text(chromedp.CSS(".result mark")))
	if marked != "公交" {
		t.Errorf("highlighted %q, want 公交", marked)
	}
	save("search-desktop")

	// A facet narrows the results and shows as a removable filter.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.facet a[href*="open_type=conditional"]`)), chromedp.WaitVisible(chromedp.CSS(".chip")))
	count = run(t, ctx, chromedp.Text(chromedp.CSS("#results-title")))
	path := run(t, ctx, chromedp.Evaluate[string](`location.search`))
	if !strings.Contains(count, "1") || !strings.Contains(path, "open_type=conditional") || !strings.Contains(path, "q=") {
		t.Fatalf("after the open type facet: %q at %s", count, path)
	}

	// The dataset page: metadata, terms in plain words, examples, links.
	do(t, ctx, chromedp.Click(chromedp.CSS(".result__title a")), chromedp.WaitVisible(chromedp.CSS("#access-title")))
	heading := run(t, ctx, chromedp.Text(chromedp.CSS("h1")))
	access := run(t, ctx, chromedp.Text(chromedp.CSS(".access")))
	location := run(t, ctx, chromedp.Evaluate[string](`location.pathname`))
	if !strings.Contains(heading, "公交站点实时到站信息") || !strings.HasPrefix(location, "/dataset/jtw-") ||
		!strings.Contains(access, "package_show") || !strings.Contains(access, "requests.get") || !strings.Contains(access, "申请") {
		t.Fatalf("dataset page at %s: %q\n%s", location, heading, access)
	}
	save("dataset-desktop")
	do(t, ctx, phone, chromedp.Reload())
	save("dataset-phone")
	do(t, ctx, navigate(s.url+"/catalog?q=%E5%85%AC%E4%BA%A4"), chromedp.WaitVisible(chromedp.CSS(".result")))
	save("search-phone")

	// English: the language switch keeps the page and translates it.
	do(t, ctx, desktop, navigate(s.url+location), chromedp.Click(chromedp.CSS("a.site-header__lang")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"]`)))
	heading = run(t, ctx, chromedp.Text(chromedp.CSS("h1")))
	section := run(t, ctx, chromedp.Text(chromedp.CSS("#access-title")))
	if !strings.Contains(heading, "Real-time bus arrivals") || section != "How to get it" {
		t.Fatalf("in English: %q / %q", heading, section)
	}
	do(t, ctx, navigate(s.url+"/catalog?q=bus"), chromedp.WaitVisible(chromedp.CSS(".result")))
	save("search-desktop-en")

	for _, m := range console.take() {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			t.Errorf("console %s", m)
		}
	}
	t.Logf("screenshots in %s", shots)
}

// consoleLog gathers what pages write to the browser console.
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func collectConsole(t *testing.T, ctx context.Context) *consoleLog {
	t.Helper()
	c := &consoleLog{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *consoleLog) take() []chromedp.ConsoleMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), c.msgs...)
}
