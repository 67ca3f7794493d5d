package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium returns the path of Debian's Chromium; CI installs it (.ci/run).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" || os.Getenv("DATAPORT_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found; install the chromium package")
	}
	t.Skip("no Chromium found; install the chromium package to run browser tests")
	return ""
}

func newChrome(t *testing.T) context.Context {
	t.Helper()
	return newChromeWithin(t, 90*time.Second)
}

// newChromeWithin is newChrome whose context ends after d (a sweep of every
// page takes longer than one journey).
func newChromeWithin(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(390, 844), // a phone's width
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, d)
	t.Cleanup(cancel)
	return ctx
}

// TestBrowserLanguageSwitchAndKeyboardSignIn drives the real binary in
// Chromium at a phone's width: the portal opens in Chinese, switches to
// English and remembers it, and an editor signs in using only the keyboard.
func TestBrowserLanguageSwitchAndKeyboardSignIn(t *testing.T) {
	ctx := newChrome(t)
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)

	if err := chromedp.Do(ctx, navigate(s.url+"/")); err != nil {
		t.Fatal(err)
	}
	if lang := run(t, ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang")).Value; lang != "zh-CN" {
		t.Fatalf("home page lang = %q, want zh-CN by default", lang)
	}

	do(t, ctx, chromedp.Click(chromedp.CSS("a.site-header__lang")), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"]`)),
		navigate(s.url+"/catalog"))
	lang := run(t, ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang")).Value
	heading := run(t, ctx, chromedp.Text(chromedp.CSS("h1")))
	if lang != "en" || heading == "" || strings.ContainsAny(heading, "目录数据") {
		t.Fatalf("after switching: lang %q, catalog heading %q; want English remembered across pages", lang, heading)
	}

	name, password := accountWithSuffix(t, accounts, ".editor")
	do(t, ctx, navigate(s.url+"/login"), chromedp.Focus(chromedp.CSS("#field-username")),
		chromedp.KeyEvent(name),
		chromedp.KeyEvent(kb.Tab), // the password field follows the username in tab order
		chromedp.KeyEvent(password),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitNotPresent(chromedp.CSS("#field-password")))
	path := run(t, ctx, chromedp.Evaluate[string](`location.pathname`))
	body := run(t, ctx, chromedp.Text(chromedp.CSS("body")))
	if path != "/my" || !strings.Contains(body, "Sign out") {
		t.Fatalf("after keyboard sign-in as %s: at %s, want /my with a sign-out button:\n%s", name, path, body)
	}
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// navigate is chromedp.Navigate that tries again when Chromium reports the
// navigation aborted: on a loaded machine the page a submitted form led to
// can still be committing when the next navigation starts, and Chromium
// aborts the newer one (net::ERR_ABORTED). Any other failure is returned as
// it is, and a third abort too.
func navigate(url string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		var err error
		for range 3 {
			if _, err = chromedp.Navigate(url)(ctx, target); err == nil || !strings.Contains(err.Error(), "ERR_ABORTED") {
				return err
			}
			time.Sleep(300 * time.Millisecond)
		}
		return err
	})
}
