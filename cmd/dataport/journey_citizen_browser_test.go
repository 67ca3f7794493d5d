package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserCitizenJourney walks issue 13's citizen from end to end on the
// demo binary as it ships (no --smtp-url: the demo's console mailbox
// carries the confirmation e-mail), at a desktop's width and at 390 px: the
// citizen registers, confirms from the e-mailed link, signs in, searches
// 交通 and finds the resources under the subject 交通服务, opens a bus data
// set (through the subject facet), pages its preview and sees its chart, downloads the CSV, rates the
// data set and reports an error in it. No page scrolls sideways and the
// console stays free of errors but the one refusal the journey provokes.
func TestBrowserCitizenJourney(t *testing.T) {
	ctx := newChrome(t)
	console := collectConsole(t, ctx)
	s := start(t, "demo", "--data", t.TempDir())
	const password = "京华市民的长密码2026"
	emails := map[string]string{"desktop": "ruoxi.desktop@example.cn", "phone": "ruoxi.phone@example.cn"}
	text := func(sel string) string { t.Helper(); return run(t, ctx, chromedp.Text(chromedp.CSS(sel))) }

	// Both register first, so one round of the mail sender carries both letters.
	for _, w := range widths {
		do(t, ctx, w.viewport, navigate(s.url+"/"), chromedp.Click(chromedp.CSS(`a[href^="/login"]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/register"]`)), chromedp.Click(chromedp.CSS(`a[href="/register"]`)),
			chromedp.WaitVisible(chromedp.CSS("#field-email")),
			chromedp.SendKeys(chromedp.CSS("#field-display_name"), "林若溪"), chromedp.SendKeys(chromedp.CSS("#field-email"), emails[w.name]),
			chromedp.SendKeys(chromedp.CSS("#field-password"), password), chromedp.SendKeys(chromedp.CSS("#field-password_confirm"), password))
		fitsWidth(t, ctx, "citizen", w.name+" register")
		do(t, ctx, chromedp.Submit(chromedp.CSS("#field-email")), chromedp.WaitVisible(chromedp.CSS(".notice")))
		if path := run(t, ctx, chromedp.Evaluate[string](`location.pathname`)); path != "/register/sent" {
			t.Fatalf("%s: after registering at %s: %s", w.name, path, text("main"))
		}
	}

	confirmLink := regexp.MustCompile(`http://\S+/register/confirm\?code=[A-Za-z0-9_\-]+`)
	for _, w := range widths {
		var link string
		for deadline := time.Now().Add(90 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			out := s.stdout.String()
			if i := strings.Index(out, "demo mailbox: a letter to "+emails[w.name]); i >= 0 {
				link = confirmLink.FindString(out[i:])
			}
		}
		if link == "" {
			t.Fatalf("%s: no confirmation e-mail printed by the demo within 90 s", w.name)
		}
		do(t, ctx, w.viewport, navigate(link), chromedp.WaitVisible(chromedp.CSS("#confirm-email")))
		fitsWidth(t, ctx, "citizen", w.name+" confirm")
		do(t, ctx, chromedp.Click(chromedp.CSS("#confirm-email")), chromedp.WaitVisible(chromedp.CSS("#field-username")),
			chromedp.SendKeys(chromedp.CSS("#field-username"), emails[w.name]), chromedp.SendKeys(chromedp.CSS("#field-password"), password),
			chromedp.Submit(chromedp.CSS("#field-password")), chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)))

		// Search 交通: the resources under 交通服务 are found by their subject.
		do(t, ctx, navigate(s.url+"/catalog"), chromedp.WaitVisible(chromedp.CSS("#field-q")),
			chromedp.SendKeys(chromedp.CSS("#field-q"), "交通"), chromedp.Submit(chromedp.CSS("#field-q")),
			chromedp.WaitVisible(chromedp.CSS(".result")))
		fitsWidth(t, ctx, "citizen", w.name+" search")
		// The subject facet 交通服务 narrows the results to the transport data.
		facet := run(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('a.facet__link')].find(a => a.querySelector('.facet__label').textContent.trim() === '交通服务')?.getAttribute('href') ?? ''`))
		if facet == "" {
			t.Fatalf("%s: searching 交通 offers no subject facet 交通服务: %s", w.name, text("main"))
		}
		do(t, ctx, navigate(s.url+facet), chromedp.WaitVisible(chromedp.CSS(".result")))
		titles := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.result__title a')].map(a => a.textContent.trim())`))
		if !slices.Contains(titles, "公交线路基本信息") {
			t.Fatalf("%s: 交通 under 交通服务 found %q, want the bus lines", w.name, titles)
		}
		fitsWidth(t, ctx, "citizen", w.name+" search facet")
		href := run(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.result__title a')].find(a => a.textContent.trim() === '公交线路基本信息').getAttribute('href')`))
		do(t, ctx, navigate(s.url+href), chromedp.WaitVisible(chromedp.CSS("table.preview")))
		fitsWidth(t, ctx, "citizen", w.name+" dataset")

		// The preview pages; the page has a chart with data marks.
		total := shownTotal(t, ctx)
		if rows := previewRows(t, ctx); len(rows) != 20 || total <= 20 {
			t.Fatalf("%s: the preview shows %d rows of %d", w.name, len(rows), total)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`.pager a[rel="next"]`)))
		waitJS(t, ctx, `location.search.includes('page=2')`)
		if rows := previewRows(t, ctx); len(rows) != total-20 {
			t.Errorf("%s: the second page shows %d rows, want %d", w.name, len(rows), total-20)
		}
		if marks := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('figure.chart svg[role="img"] :is(rect.chart__bar, circle.chart__dot, path)').length`)); marks == 0 {
			t.Errorf("%s: no chart with data marks on the dataset page", w.name)
		}

		// The CSV download holds the preview's columns.
		columns := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#preview-item option')].map(o => o.value).filter(v => v)`))
		csvHref := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('a[data-format="csv"]').getAttribute('href')`))
		if header := downloadCSVHeader(t, s.url+csvHref); !slices.Equal(header, columns) {
			t.Errorf("%s: the CSV's columns %q, the preview's %q", w.name, header, columns)
		}

		// Rate it four stars.
		do(t, ctx, chromedp.Click(chromedp.CSS(`.engage__rate input[name="stars"][value="4"]`)),
			chromedp.Click(chromedp.CSS(".engage__rate button")), chromedp.WaitVisible(chromedp.CSS(".notice")))
		if stats := text(".engage__stats"); !strings.Contains(stats, "4") {
			t.Errorf("%s: after rating 4 stars the figures read %q", w.name, stats)
		}
		fitsWidth(t, ctx, "citizen", w.name+" rated")

		// Report an error: without saying what is wrong it is refused at the field, then sent.
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#field-report_row"), "第 3 行"), chromedp.SendKeys(chromedp.CSS("#field-report_value"), "22:40"),
			chromedp.Click(chromedp.CSS(`#error-reports form.engage__form button`)), chromedp.WaitVisible(chromedp.CSS(".error-summary")))
		problem := "末班时间与站牌公示不一致，站牌为 22:30（" + w.name + "）"
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#field-report_problem"), problem),
			chromedp.Click(chromedp.CSS(`#error-reports form.engage__form button`)), chromedp.WaitVisible(chromedp.CSS(".notice")))
		if reports := text("#error-reports"); !strings.Contains(reports, problem) {
			t.Errorf("%s: the report is not listed on the dataset page: %q", w.name, reports)
		}
		fitsWidth(t, ctx, "citizen", w.name+" reported")
		do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitNotPresent(chromedp.CSS(`form[action="/logout"]`)))
	}

	for _, m := range console.take() {
		if (m.Type == chromedp.ConsoleError || m.IsException()) && !strings.Contains(m.Text, "422") {
			t.Errorf("console %s", m)
		}
	}
}
