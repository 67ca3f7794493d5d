package main

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestJourneyDatasetPage: an anonymous visitor opens a demo dataset page in
// Chromium against the real binary, at desktop width and at 390 px: pages
// the preview, sorts it by a number column both ways, filters it by a code
// item's label, sees the charts (SVG with data marks, a map of the
// stations) and downloads the CSV, which has the preview's columns. Codes
// show as their labels and no row number is shown; the page never scrolls
// sideways and writes no console error.
func TestJourneyDatasetPage(t *testing.T) {
	ctx := newChrome(t)
	s := start(t, "demo", "--data", t.TempDir())
	console := collectConsole(t, ctx)
	page := s.url + "/dataset/" + demoDatasetName(t, s.url, "空气质量小时监测数据")

	for _, width := range []int64{1366, 390} {
		t.Run(strconv.FormatInt(width, 10), func(t *testing.T) {
			view := chromedp.EmulateViewport(width, 900)
			if width < 500 {
				view = chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)
			}
			do(t, ctx, view, navigate(page), chromedp.WaitVisible(chromedp.CSS("table.preview")))
			datasetJourney(t, ctx, s.url)
		})
	}
	for _, m := range console.take() {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			t.Errorf("console %s", m)
		}
	}
}

func datasetJourney(t *testing.T, ctx context.Context, base string) {
	noSideways(t, ctx, "the dataset page")
	columns := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#preview-item option')].map(o => o.value).filter(v => v)`))
	headers := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('table.preview thead th')].map(th => th.textContent.trim())`))
	if len(headers) != len(columns) || slices.ContainsFunc(headers, func(h string) bool { return strings.Contains(h, "_id") }) {
		t.Fatalf("preview headers %q for items %q: want one column an item and no row number", headers, columns)
	}
	total := shownTotal(t, ctx)
	if rows := previewRows(t, ctx); len(rows) != 20 || total <= 20 {
		t.Fatalf("first page: %d rows of %d", len(rows), total)
	}
	// Codes are shown by their labels, the code kept in the title.
	labelled := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('table.preview td[title]')].slice(0, 1).flatMap(td => [td.title, td.textContent.trim()])`))
	if len(labelled) != 2 || labelled[0] == labelled[1] || !regexp.MustCompile(`^\d+$`).MatchString(labelled[0]) {
		t.Errorf("code cell %q: want a label shown for a numeric code", labelled)
	}

	// Paging.
	do(t, ctx, chromedp.Click(chromedp.CSS(`.pager a[rel="next"]`)))
	waitJS(t, ctx, `location.search.includes('page=2') && document.querySelector('.preview__count').textContent.includes('21')`)
	if rows := previewRows(t, ctx); len(rows) != 20 {
		t.Errorf("second page: %d rows", len(rows))
	}

	// Sorting by the first number column, up then down.
	col := run(t, ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('table.preview thead th')].findIndex(th => th.classList.contains('num'))`))
	if col < 0 {
		t.Fatal("no number column to sort by")
	}
	for _, dir := range []string{"ascending", "descending"} {
		do(t, ctx, chromedp.Click(chromedp.CSS(`table.preview thead th:nth-child(`+strconv.Itoa(col+1)+`) a`)))
		waitJS(t, ctx, `document.querySelector('table.preview thead th:nth-child(`+strconv.Itoa(col+1)+`)')?.getAttribute('aria-sort') === '`+dir+`'`)
		values := numbers(previewRows(t, ctx), col)
		sorted := slices.IsSorted(values)
		if dir == "descending" {
			slices.Reverse(values)
			sorted = slices.IsSorted(values)
		}
		if len(values) < 2 || !sorted {
			t.Errorf("sorted %s: %v", dir, values)
		}
	}

	// Filtering by a code item's label.
	codeCol := run(t, ctx, chromedp.Evaluate[int](`[...document.querySelector('table.preview tbody tr').cells].findIndex(td => td.title)`))
	label := previewRows(t, ctx)[0][codeCol]
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#preview-item"), columns[codeCol]), chromedp.SetValue(chromedp.CSS("#preview-value"), label),
		chromedp.Click(chromedp.CSS(`.preview-filter button[type="submit"]`)))
	waitJS(t, ctx, `location.search.includes('value=')`)
	filtered := shownTotal(t, ctx)
	rows := previewRows(t, ctx)
	if filtered == 0 || filtered >= total || slices.ContainsFunc(rows, func(r []string) bool { return r[codeCol] != label }) {
		t.Errorf("filtered by %s = %s: %d of %d rows, first page %q", columns[codeCol], label, filtered, total, rows)
	}
	noSideways(t, ctx, "the filtered page")

	// Charts: SVG figures with data marks, a title and a text alternative.
	marks := run(t, ctx, chromedp.Evaluate[map[string]int](`Object.fromEntries([...document.querySelectorAll('figure.chart')].map(f =>
		[f.className.split('--')[1], f.querySelectorAll('svg[role="img"] :is(rect.chart__bar, circle.chart__dot, path)').length]))`))
	if marks["bar"] == 0 || marks["map"] == 0 {
		t.Errorf("chart marks %v: want bars and a map", marks)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('figure.chart details table tbody tr').length`)); n == 0 {
		t.Error("the charts have no table of their figures")
	}

	// The CSV download holds the preview's columns.
	href := run(t, ctx, chromedp.Evaluate[string](`document.querySelector('a[data-format="csv"]').getAttribute('href')`))
	header := downloadCSVHeader(t, base+href)
	if !slices.Equal(header, columns) {
		t.Errorf("CSV columns %q, preview's %q", header, columns)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`.preview-filter a`)))
	waitJS(t, ctx, `!location.search.includes('value=')`)
}

// demoDatasetName finds a demo dataset's name by its title through the CKAN API.
func demoDatasetName(t *testing.T, base, title string) string {
	t.Helper()
	var res struct {
		Result struct {
			Results []struct{ Name, Title string }
		}
	}
	getJSON(t, base+"/api/3/action/package_search?rows=20&q="+url.QueryEscape(title), &res)
	for _, r := range res.Result.Results {
		if r.Title == title {
			return r.Name
		}
	}
	t.Fatalf("no demo dataset titled %s: %+v", title, res.Result.Results)
	return ""
}

// noSideways checks the page does not scroll sideways.
func noSideways(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	fitsWidth(t, ctx, "dataset", what)
}

// waitJS waits until a JavaScript condition holds (a page loaded by a click).
func waitJS(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waited in vain for %s at %s", cond, run(t, ctx, chromedp.Evaluate[string](`location.href`)))
}

func previewRows(t *testing.T, ctx context.Context) [][]string {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll('table.preview tbody tr')].map(tr => [...tr.cells].map(td => td.textContent.trim()))`))
}

// shownTotal reads the matching rows' count from "第 1–20 条，共 200 条".
func shownTotal(t *testing.T, ctx context.Context) int {
	t.Helper()
	text := run(t, ctx, chromedp.Text(chromedp.CSS(".preview__count")))
	m := regexp.MustCompile(`共 (\d+) 条`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("preview count %q", text)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// numbers reads a column's numbers, skipping empty cells.
func numbers(rows [][]string, col int) []float64 {
	var out []float64
	for _, r := range rows {
		if v, err := strconv.ParseFloat(r[col], 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// downloadCSVHeader fetches a download as an anonymous visitor and returns
// its header, checking it is CSV.
func downloadCSVHeader(t *testing.T, u string) []string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(records) < 2 {
		t.Fatalf("download is no CSV with rows: %v (%d records)", err, len(records))
	}
	records[0][0] = strings.TrimPrefix(records[0][0], "\uFEFF")
	return records[0]
}
