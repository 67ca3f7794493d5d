package ui

import (
	"cmp"
	"slices"
	"strconv"

	"dataport/internal/web/ui/i18n"
)

// barChart is a small horizontal bar chart the template draws as inline SVG
// (no script, no style attribute: the page's CSP allows neither): one row
// per bar, its label above it and its value after it, scaled to the largest.
type barChart struct {
	ID     string // the HTML id of its title
	Title  string
	Width  int // of the SVG's view box
	Height int
	Bars   []chartBar
}

// chartBar is one bar, laid out.
type chartBar struct {
	Label     string
	Value     string
	URL       string // where the bar leads ("" nowhere)
	LabelY    int
	BarY      int
	BarWidth  int
	ValueX    int
	ValueY    int
	BarHeight int
}

// chartWidth is the view box's width; the SVG scales to its box.
const chartWidth = 320

// newBarChart lays out bars of values (at most limit, largest first).
func newBarChart(id, title string, labels []string, values []int64, urls []string, limit int) barChart {
	type entry struct {
		label, url string
		value      int64
	}
	entries := make([]entry, len(labels))
	for i := range labels {
		entries[i] = entry{labels[i], urls[i], values[i]}
	}
	slices.SortStableFunc(entries, func(a, b entry) int { return cmp.Compare(b.value, a.value) })
	entries = entries[:min(len(entries), limit)]
	const row, barH, valueRoom = 34, 12, 56
	c := barChart{ID: id, Title: title, Width: chartWidth, Height: max(len(entries)*row, row)}
	var top int64 = 1
	for _, e := range entries {
		top = max(top, e.value)
	}
	for i, e := range entries {
		y := i * row
		w := int(e.value * int64(chartWidth-valueRoom) / top)
		if e.value > 0 {
			w = max(w, 2)
		}
		c.Bars = append(c.Bars, chartBar{Label: e.label, Value: strconv.FormatInt(e.value, 10), URL: e.url, LabelY: y + 12,
			BarY: y + 17, BarWidth: w, BarHeight: barH, ValueX: w + 6, ValueY: y + 27})
	}
	return c
}

// homeCharts are the front page's charts: resources by topic, and by how
// they are open.
func homeCharts(lang string, page homePage) []barChart {
	var labels, urls []string
	var values []int64
	for _, t := range page.Subjects {
		labels, urls, values = append(labels, t.Label), append(urls, t.URL), append(values, int64(t.Count))
	}
	charts := []barChart{newBarChart("chart-subjects", i18n.T(lang, "home.chart_subjects"), labels, values, urls, 8)}
	charts = append(charts, newBarChart("chart-open", i18n.T(lang, "home.chart_open"),
		[]string{i18n.T(lang, "open.unconditional"), i18n.T(lang, "open.conditional")},
		[]int64{int64(page.Counts.OpenUncond), int64(page.Counts.OpenCond)},
		[]string{"/catalog?open_type=unconditional", "/catalog?open_type=conditional"}, 2))
	return charts
}

// lineFigure is a line chart of data (periods in order) as a figure with
// its title, summary and the table of its figures (the text alternative).
func lineFigure(id, title, summary string, head [2]string, data []chartDatum) datasetChart {
	c := datasetChart{ID: id, Kind: "line", Title: title, Summary: summary, Head: head, Rows: tableRows(data)}
	if len(data) > 0 {
		c.SVG = lineSVG(title, summary, data)
	}
	return c
}

// barFigure is a bar chart of the largest limit of data, largest first, as
// a figure whose table lists every datum.
func barFigure(id, title, summary string, head [2]string, data []chartDatum, limit int) datasetChart {
	data = slices.Clone(data)
	slices.SortStableFunc(data, func(a, b chartDatum) int { return cmp.Compare(b.Value, a.Value) })
	c := datasetChart{ID: id, Kind: "bar", Title: title, Summary: summary, Head: head, Rows: tableRows(data)}
	if len(data) > 0 {
		c.SVG = barSVG(title, summary, data[:min(len(data), limit)])
	}
	return c
}
