package main

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Pages that are not pages a person reads, or that need a secret the crawl
// cannot have; each is covered where it is reached (the journeys).
var sweepSkips = map[string]string{
	"GET /lang":                           "switches the language and redirects back",
	"GET /login/sso":                      "redirects to the identity provider",
	"GET /login/sso/callback":             "needs the identity provider's code (journey_account_browser_test.go)",
	"GET /register/confirm":               "needs the token from the confirmation e-mail (journey_account_browser_test.go)",
	"GET /audit/events/{id}/receipt.json": "a JSON download, not a page",
	"GET /loads/{id}":                     "reached after an upload (journey_desk_browser_test.go, internal/web/ui/upload_test.go)",
	"GET /admin/harvest/{id}":             "the demo has no harvest source (internal/web/ui/harvest_admin_test.go)",
	"GET /admin/verifications/{id}":       "the demo has no company waiting for verification (internal/web/ui/register_test.go)",
	// The exchange's trades: downloads, and the pages only a contract's parties are led to (no sweep role is one).
	"GET /exchange/contracts/{id}/rows":          "only the buyer's members are led to it (journey_exchange_buyer_browser_test.go)",
	"GET /exchange/contracts/{id}/dispute":       "only the contract's parties are led to it (journey_exchange_buyer_browser_test.go)",
	"GET /exchange/contracts/{id}/contract.json": "a JSON download, not a page",
	"GET /exchange/contracts/{id}/file":          "a CSV download through the delivery grant, not a page (internal/web/ui/exchange_trade_test.go)",
	"GET /exchange/contracts/{id}/evidence.zip":  "a zip download, not a page",
	"GET /exchange/disputes/{id}/evidence.zip":   "a zip download, not a page",
	"GET /exchange/disputes/{id}/record.zip":     "a zip download, not a page",
	// The exchange's participant, product, review and registry pages the
	// demo's exchange does not lead the sweep's roles to.
	"GET /exchange/products/{id}/edit":           "only a provider's editors open it, and the sweep's editor is none (internal/web/ui/exchange_test.go)",
	"GET /exchange/certificates/{number}/qr.png": "an image, not a page (journey_exchange_provider_browser_test.go)",
	"GET /exchange/documents/{id}":               "a download, not a page (internal/web/ui/exchange_test.go)",
	// The public data zones.
	"GET /zones/{code}/queries/{id}/result.csv": "a CSV download, not a page (internal/web/ui/zones_test.go)",
	"GET /zones/{code}/outputs/{id}":            "the demo keeps no output of a query (internal/web/ui/zones_test.go)",
	"GET /zones/{kind}/{id}":                    "redirects a review case's link to its page under the zone (internal/web/ui/zones_test.go)",
	// Data security incidents.
	"GET /security/incidents/{id}/documents/{doc}": "an issued notice or report served byte for byte as sealed, with its own print stylesheet (cmd/dataport TestIncidentsEndToEnd)",
}

// uiGetRoutes reads the GET patterns of the browser UI's route tables.
func uiGetRoutes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../internal/web/ui/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no ui sources: %v", err)
	}
	pattern := regexp.MustCompile(`\{"(GET /[^"]*)"`)
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pattern.FindAllStringSubmatch(string(src), -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	if len(out) < 40 {
		t.Fatalf("found only %d GET routes in the ui's route tables", len(out))
	}
	slices.Sort(out)
	return out
}

// routeMatcher tells which GET pattern a path is served by, as the UI's mux would.
func routeMatcher(patterns []string) func(path string) string {
	mux := http.NewServeMux()
	for _, p := range patterns {
		mux.Handle(p, http.NotFoundHandler())
	}
	return func(path string) string {
		_, p := mux.Handler(httptest.NewRequest(http.MethodGet, path, nil))
		return p
	}
}

var hrefAttr = regexp.MustCompile(`href="(/[^"#]*)"`)

// crawl follows the links of the pages b reaches from start, and returns
// one URL (the first found) for every GET pattern it reached with status 200.
func crawl(b *browser, match func(string) string, patterns []string) map[string]string {
	found := map[string]string{}
	queue := []string{"/my", "/"} // the workspace first: it links a role's own drafts and cases
	for _, p := range patterns {  // pages without parameters are visited directly
		if !strings.Contains(p, "{") || strings.HasSuffix(p, "{$}") {
			queue = append(queue, strings.TrimSuffix(strings.TrimPrefix(p, "GET "), "{$}"))
		}
	}
	seen := map[string]bool{}
	tried := map[string]int{} // per pattern, so a list of a thousand links costs a few requests
	for len(queue) > 0 && len(seen) < 800 {
		u := queue[0]
		queue = queue[1:]
		p := match(u)
		if seen[u] || p == "" || tried[p] >= 8 || sweepSkips[p] != "" {
			continue
		}
		seen[u] = true
		tried[p]++
		status, body := b.get(u)
		if status != http.StatusOK {
			continue
		}
		if found[p] == "" {
			found[p] = u
		}
		for _, m := range hrefAttr.FindAllStringSubmatch(body, -1) {
			link := html.UnescapeString(m[1])
			if strings.HasPrefix(link, "/static/") || strings.HasPrefix(link, "/api/") || strings.HasPrefix(link, "/dataset/") && strings.Contains(link, ".") {
				continue
			}
			queue = append(queue, link)
		}
	}
	return found
}

// TestBrowserNoSidewaysScrollOnAnyPage visits every page of the UI at a
// phone's width (390 px), anonymously and as a citizen, an institution's
// editor, the platform operator, the sysadmin and the security officer: no page scrolls sideways
// (wide tables scroll in their own box) and none writes an error to the
// console. A GET route that no role reaches fails the test, so a new page is
// swept as soon as it is linked.
func TestBrowserNoSidewaysScrollOnAnyPage(t *testing.T) {
	if testing.Short() {
		t.Skip("visits every page in Chromium")
	}
	patterns := uiGetRoutes(t)
	match := routeMatcher(patterns)
	s := start(t, "demo", "--data", t.TempDir()) // seeded before the browser's clock starts
	ctx := newChromeWithin(t, 5*time.Minute)     // every page, as six roles
	console := collectConsole(t, ctx)
	accounts := s.accounts(t)
	editor, _ := accountWithSuffix(t, accounts, ".editor")

	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	reached := map[string]bool{}
	for _, role := range []string{"", "citizen", editor, "operator", "admin", "security"} {
		b := newBrowser(t, s.url)
		if role != "" {
			b.login(role, accounts[role])
		}
		pages := crawl(b, match, patterns)
		do(t, ctx, navigate(s.url+"/"))
		signOut(t, ctx)
		if role != "" {
			do(t, ctx, navigate(s.url+"/login"), chromedp.Focus(chromedp.CSS("#field-username")),
				chromedp.KeyEvent(role), chromedp.Focus(chromedp.CSS("#field-password")),
				chromedp.KeyEvent(accounts[role]), chromedp.KeyEvent(kb.Enter),
				chromedp.WaitNotPresent(chromedp.CSS("#field-password")))
		}
		var ps []string
		for p := range pages {
			ps = append(ps, p)
		}
		slices.Sort(ps)
		for _, p := range ps {
			u := pages[p]
			reached[p] = true
			before := len(console.take())
			do(t, ctx, navigate(s.url+u))
			widths := run(t, ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
			if widths[0] > widths[1] {
				wide := run(t, ctx, chromedp.Evaluate[string](widestElementJS))
				t.Errorf("%s as %q: the page is %d px wide in a %d px window (widest: %s)", u, roleName(role), widths[0], widths[1], wide)
			}
			time.Sleep(20 * time.Millisecond) // let console events arrive
			for _, m := range console.take()[before:] {
				if m.Type == "error" || m.Type == "assert" {
					t.Errorf("%s as %q: console %s: %s", u, roleName(role), m.Type, m.Text)
				}
			}
		}
	}
	var missing []string
	for _, p := range patterns {
		if !reached[p] && sweepSkips[p] == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		t.Errorf("no role reached these pages by following links (link them, or add them to sweepSkips with a reason):\n%s", strings.Join(missing, "\n"))
	}
	t.Logf("swept %d of %d GET routes at 390 px", len(reached), len(patterns))
}

func roleName(r string) string {
	if r == "" {
		return "anonymous"
	}
	return r
}

// signOut submits the sign-out form if the page shows one.
func signOut(t *testing.T, ctx context.Context) {
	t.Helper()
	n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action="/logout"]').length`))
	if n > 0 {
		do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login"]`)))
	}
}

// widestElementJS names the element that reaches furthest right, to say
// what makes a page scroll sideways.
const widestElementJS = `(() => {
  let best = null, right = 0;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > right && getComputedStyle(el).position !== 'fixed') { right = r.right; best = el; }
  }
  if (!best) return '';
  return best.tagName.toLowerCase() + (best.className ? '.' + String(best.className).split(' ').join('.') : '') + ' right=' + Math.round(right);
})()`
