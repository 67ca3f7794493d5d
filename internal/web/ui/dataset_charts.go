package ui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/web/ui/i18n"

	"github.com/twpayne/go-geom"
)

// The dataset page's charts: a bar chart of a numeric item summed (or of
// the rows counted) per category, a line of rows per month or day of a
// date item, and a map of the rows' places. Each is inline SVG drawn here
// (the pages' CSP allows no script), with a title, a description and a
// table of the same figures as its text alternative. They follow the
// preview's filter and go through the datastore's access path.

// datasetChart is one chart as the page shows it.
type datasetChart struct {
	ID      string // the figure's HTML id
	Kind    string // "bar", "line" or "map"
	Title   string
	Summary string
	SVG     template.HTML
	Head    [2]string   // the table's column headers
	Rows    [][2]string // the table's rows
	More    int         // rows left out of the table
}

// chartDatum is one mark: a label and its value.
type chartDatum struct {
	Label string
	Value float64
}

// maxBars is how many categories a bar chart shows; maxMapPlaces how many
// rows a map places; maxTableRows how many places its table lists.
const (
	maxBars      = 12
	maxMapPlaces = 2000
	maxTableRows = 10
)

// chartItems are the items a resource's charts are drawn from.
type chartItems struct {
	Category, Measure, Time *catalog.Item
	Place                   datastore.Spatial
}

// pickChartItems chooses a category (a code item with a code list, else a
// boolean item), a measure (a number item that is no key and no
// coordinate), a date or datetime item, and the items of a place.
func pickChartItems(items []catalog.Item) chartItems {
	c := chartItems{Place: datastore.SpatialItems(items)}
	for i := range items {
		it := &items[i]
		switch {
		case it.Type == catalog.TypeCode && len(it.CodeList) > 0 && !it.Key && (c.Category == nil || c.Category.Type != catalog.TypeCode):
			c.Category = it
		case it.Type == catalog.TypeBoolean && c.Category == nil:
			c.Category = it
		case numericItem(*it) && !it.Key && c.Measure == nil && it.Name != c.Place.Lon && it.Name != c.Place.Lat:
			c.Measure = it
		case (it.Type == catalog.TypeDate || it.Type == catalog.TypeDatetime) && c.Time == nil:
			c.Time = it
		}
	}
	return c
}

// datasetCharts draws the charts of the current version v for the viewer,
// over the rows filters and q match. A chart the viewer may not read, or
// whose items the decision withholds, is left out.
func (s *server) datasetCharts(r *http.Request, res catalog.Resource, v datastore.DataVersion, filters []datastore.Filter, q string) []datasetChart {
	ctx, p, lang := r.Context(), principal(r), langOf(r)
	ci := pickChartItems(v.Items)
	var out []datasetChart
	add := func(c *datasetChart, err error) {
		if err != nil {
			s.chartFailed(ctx, res, err)
		} else if c != nil {
			c.ID = fmt.Sprintf("chart-%d", len(out)+1)
			out = append(out, *c)
		}
	}
	if ci.Category != nil {
		add(s.barChart(ctx, p, lang, res.ID, *ci.Category, ci.Measure, filters, q))
	}
	if ci.Time != nil {
		add(s.timeChart(ctx, p, lang, res.ID, *ci.Time, filters, q))
	}
	if ci.Place.HasPlace() {
		add(s.mapChart(ctx, p, lang, res.ID, v.Items, ci.Place, filters, q))
	}
	return out
}

// chartFailed logs a chart that could not be drawn, unless the viewer was
// refused or asked for something that does not fit (the page says why).
func (s *server) chartFailed(ctx context.Context, res catalog.Resource, err error) {
	var denied *access.DeniedError
	if errors.As(err, &denied) || fieldErrors(err) != nil {
		return
	}
	s.log.ErrorContext(ctx, "ui: dataset chart", "resource", res.ID, "err", err)
}

// averageWords mark a measure whose values do not add up (an index, a
// concentration, a rate, a price): it is averaged per category, not summed.
var averageWords = []string{"指数", "浓度", "率", "平均", "均值", "价格", "单价", "温度", "湿度", "比例", "占比", "噪声", "声级",
	"分贝", "评分", "年龄", "μg", "mg/", "%", "％"}

// averaged reports whether a measure is averaged per category.
func averaged(it catalog.Item) bool {
	for _, w := range averageWords {
		if strings.Contains(it.LabelZh, w) {
			return true
		}
	}
	return false
}

// barChart sums measure (or averages it, see averaged), or counts rows,
// per value of category.
func (s *server) barChart(ctx context.Context, p identity.Principal, lang, id string, category catalog.Item, measure *catalog.Item,
	filters []datastore.Filter, q string) (*datasetChart, error) {
	gq := datastore.GroupQuery{By: category.Name, Filters: filters, Q: q}
	title := i18n.T(lang, "dataset.chart_count", category.LabelZh)
	head := [2]string{category.LabelZh, i18n.T(lang, "dataset.records")}
	mean := measure != nil && averaged(*measure)
	if measure != nil {
		gq.Sum = measure.Name
		title = i18n.T(lang, map[bool]string{false: "dataset.chart_sum", true: "dataset.chart_mean"}[mean], measure.LabelZh, category.LabelZh)
		head[1] = measure.LabelZh
	}
	groups, err := s.datastore.Aggregate(ctx, p, id, access.ChannelUIPreview, gq)
	if err != nil || len(groups.Groups) == 0 {
		return nil, err
	}
	data := make([]chartDatum, len(groups.Groups))
	for i, g := range groups.Groups {
		data[i] = chartDatum{Label: groupLabel(lang, category, g.Key), Value: float64(g.Rows)}
		switch {
		case mean && g.Values > 0:
			data[i].Value = g.Sum / float64(g.Values)
		case mean:
			data[i].Value = 0
		case measure != nil:
			data[i].Value = g.Sum
		}
	}
	slices.SortStableFunc(data, func(a, b chartDatum) int { return cmp.Compare(b.Value, a.Value) })
	c := &datasetChart{Kind: "bar", Title: title, Head: head}
	if len(data) > maxBars {
		c.More = len(data) - maxBars
		data = data[:maxBars]
	}
	c.Summary = i18n.T(lang, "dataset.chart_bar_summary", data[0].Label, formatNumber(data[0].Value))
	c.SVG = barSVG(title, c.Summary, data)
	c.Rows = tableRows(data)
	return c, nil
}

// groupLabel shows a group's key: a code by its label, a boolean as 是/否,
// no value as 未填.
func groupLabel(lang string, it catalog.Item, key any) string {
	if key == nil {
		return i18n.T(lang, "dataset.no_value")
	}
	return cellOf(lang, it, key).Text
}

// timeChart counts rows per month of a date item (per day when the days
// span two months at most, per hour of a datetime item within two days),
// the periods without rows counted as 0.
func (s *server) timeChart(ctx context.Context, p identity.Principal, lang, id string, it catalog.Item,
	filters []datastore.Filter, q string) (*datasetChart, error) {
	gq := datastore.GroupQuery{By: it.Name, Filters: filters, Q: q}
	groups, err := s.datastore.Aggregate(ctx, p, id, access.ChannelUIPreview, gq)
	if err != nil {
		return nil, err
	}
	period := "month"
	data, monthly := periodCounts(groups.Groups)
	switch {
	case len(data) == 0:
		return nil, nil
	case !monthly && len(data) <= 2 && it.Type == catalog.TypeDatetime:
		gq.Hourly, period = true, "hour"
		if groups, err = s.datastore.Aggregate(ctx, p, id, access.ChannelUIPreview, gq); err != nil {
			return nil, err
		}
		data = hourCounts(groups.Groups)
	case !monthly:
		period = "day"
	}
	title := i18n.T(lang, "dataset.chart_"+period, it.LabelZh)
	peak := slices.MaxFunc(data, func(a, b chartDatum) int { return cmp.Compare(a.Value, b.Value) })
	c := &datasetChart{Kind: "line", Title: title, Head: [2]string{it.LabelZh, i18n.T(lang, "dataset.records")},
		Summary: i18n.T(lang, "dataset.chart_line_summary", data[0].Label, data[len(data)-1].Label, peak.Label, formatNumber(peak.Value))}
	c.SVG = lineSVG(title, c.Summary, data)
	c.Rows = tableRows(data)
	return c, nil
}

// periodCounts turns groups by day into rows per month, or per day when
// the days span 62 days at most, with no gaps; rows without a date are
// left out.
func periodCounts(groups []datastore.Group) ([]chartDatum, bool) {
	counts, first, last := timeGroups(groups, "2006-01-02")
	if first.IsZero() {
		return nil, false
	}
	if last.Sub(first) <= 62*24*time.Hour {
		return series(counts, first, last, "2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }), false
	}
	byMonth := map[time.Time]float64{}
	for day, n := range counts {
		byMonth[time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)] += n
	}
	first = time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
	return series(byMonth, first, last, "2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }), true
}

// hourCounts turns groups by hour ("2006-01-02 15") into rows per hour,
// with no gaps; rows without a time are left out.
func hourCounts(groups []datastore.Group) []chartDatum {
	counts, first, last := timeGroups(groups, "2006-01-02 15")
	if first.IsZero() {
		return nil
	}
	return series(counts, first, last, "2006-01-02 15:00", func(t time.Time) time.Time { return t.Add(time.Hour) })
}

// timeGroups reads the groups' keys as times in layout, with their rows
// and the first and last time; keys that are no time are left out.
func timeGroups(groups []datastore.Group, layout string) (counts map[time.Time]float64, first, last time.Time) {
	counts = map[time.Time]float64{}
	for _, g := range groups {
		s, _ := g.Key.(string)
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		counts[t] += float64(g.Rows)
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	return counts, first, last
}

// series lists the periods from first to last by step (400 at most), each
// labelled in layout with its rows, 0 where it has none.
func series(counts map[time.Time]float64, first, last time.Time, layout string, step func(time.Time) time.Time) []chartDatum {
	var out []chartDatum
	for t := first; !t.After(last) && len(out) < 400; t = step(t) {
		out = append(out, chartDatum{Label: t.Format(layout), Value: counts[t]})
	}
	return out
}

// mapChart places the rows (the first maxMapPlaces that match) by their
// longitude and latitude or their GeoJSON geometry.
func (s *server) mapChart(ctx context.Context, p identity.Principal, lang, id string, items []catalog.Item, sp datastore.Spatial,
	filters []datastore.Filter, q string) (*datasetChart, error) {
	fields := []string{sp.Lon, sp.Lat}
	if sp.Geometry != "" {
		fields = []string{sp.Geometry}
	}
	rows, err := s.datastore.Search(ctx, p, id, access.ChannelUIPreview, datastore.Query{Fields: fields, Filters: filters, Q: q, Limit: maxMapPlaces})
	if err != nil {
		return nil, err
	}
	var placeItems []catalog.Item
	for _, f := range fields {
		placeItems = append(placeItems, catalog.Item{Name: f, Type: itemType(items, f)})
	}
	var shapes []geom.T
	for _, row := range rows.Rows {
		if g := sp.Place(placeItems, row[1:]); g != nil {
			shapes = append(shapes, g)
		}
	}
	if len(shapes) == 0 {
		return nil, nil
	}
	m := newMapFigure(shapes)
	title := i18n.T(lang, "dataset.map", len(shapes))
	c := &datasetChart{Kind: "map", Title: title, Head: [2]string{i18n.T(lang, "dataset.longitude"), i18n.T(lang, "dataset.latitude")},
		Summary: i18n.T(lang, "dataset.map_summary", formatCoord(m.minX), formatCoord(m.maxX), formatCoord(m.minY), formatCoord(m.maxY))}
	c.SVG = m.svg(title, c.Summary)
	for i, g := range shapes {
		if i == maxTableRows {
			c.More = len(shapes) - maxTableRows
			break
		}
		x, y := firstCoord(g)
		c.Rows = append(c.Rows, [2]string{formatCoord(x), formatCoord(y)})
	}
	return c, nil
}

func itemType(items []catalog.Item, name string) catalog.ItemType {
	for _, it := range items {
		if it.Name == name {
			return it.Type
		}
	}
	return catalog.TypeText
}

func tableRows(data []chartDatum) [][2]string {
	out := make([][2]string, len(data))
	for i, d := range data {
		out[i] = [2]string{d.Label, formatNumber(d.Value)}
	}
	return out
}

// formatNumber shows a figure with at most two decimals.
func formatNumber(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

func formatCoord(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// SVG drawing. Every figure is 400 user units wide and scales to its box
// (static/css/20-dataset.css); marks carry classes, not inline styles,
// which the CSP forbids, and a <title> each for a pointer's tooltip.

const chartW = 400

// svgOpen starts an svg with its accessible name and description.
func svgOpen(b *strings.Builder, h float64, title, desc string) {
	fmt.Fprintf(b, `<svg class="chart__svg" viewBox="0 0 %d %s" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, num(h), esc(title))
	fmt.Fprintf(b, `<title>%s</title><desc>%s</desc>`, esc(title), esc(desc))
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// num writes a coordinate with one decimal at most.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// shorten cuts a label to n characters, with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// barSVG draws horizontal bars, largest first, each with its label and value.
func barSVG(title, desc string, data []chartDatum) template.HTML {
	const row, labelW, barMax = 24.0, 118.0, 200.0
	maxV := 0.0
	for _, d := range data {
		maxV = max(maxV, d.Value)
	}
	var b strings.Builder
	svgOpen(&b, float64(len(data))*row+8, title, desc)
	for i, d := range data {
		y := float64(i)*row + 4
		w := 0.0
		if maxV > 0 {
			w = math.Max(d.Value/maxV*barMax, 1)
		}
		fmt.Fprintf(&b, `<text class="chart__label" x="%s" y="%s" text-anchor="end">%s</text>`, num(labelW-6), num(y+15), esc(shorten(d.Label, 8)))
		fmt.Fprintf(&b, `<rect class="chart__bar" x="%s" y="%s" width="%s" height="16"><title>%s: %s</title></rect>`,
			num(labelW), num(y+3), num(w), esc(d.Label), formatNumber(d.Value))
		fmt.Fprintf(&b, `<text class="chart__value" x="%s" y="%s">%s</text>`, num(labelW+w+4), num(y+15), formatNumber(d.Value))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// lineSVG draws a line through the periods' values with a dot each, a
// baseline, the largest value on the axis and the first and last periods.
func lineSVG(title, desc string, data []chartDatum) template.HTML {
	const h, left, right, top, bottom = 200.0, 44.0, 392.0, 14.0, 170.0
	maxV := 0.0
	for _, d := range data {
		maxV = max(maxV, d.Value)
	}
	x := func(i int) float64 {
		if len(data) == 1 {
			return (left + right) / 2
		}
		return left + float64(i)*(right-left)/float64(len(data)-1)
	}
	y := func(v float64) float64 {
		if maxV == 0 {
			return bottom
		}
		return bottom - v/maxV*(bottom-top)
	}
	var b strings.Builder
	svgOpen(&b, h, title, desc)
	fmt.Fprintf(&b, `<line class="chart__axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(left), num(bottom), num(right), num(bottom))
	fmt.Fprintf(&b, `<line class="chart__grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`, num(left), num(top), num(right), num(top))
	fmt.Fprintf(&b, `<text class="chart__label" x="%s" y="%s" text-anchor="end">%s</text>`, num(left-4), num(top+4), formatNumber(maxV))
	fmt.Fprintf(&b, `<text class="chart__label" x="%s" y="%s" text-anchor="end">0</text>`, num(left-4), num(bottom+4))
	points := make([]string, len(data))
	for i, d := range data {
		points[i] = num(x(i)) + "," + num(y(d.Value))
	}
	fmt.Fprintf(&b, `<polyline class="chart__line" points="%s"/>`, strings.Join(points, " "))
	for i, d := range data {
		fmt.Fprintf(&b, `<circle class="chart__dot" cx="%s" cy="%s" r="3"><title>%s: %s</title></circle>`,
			num(x(i)), num(y(d.Value)), esc(d.Label), formatNumber(d.Value))
	}
	fmt.Fprintf(&b, `<text class="chart__label" x="%s" y="%s">%s</text>`, num(left), num(h-8), esc(data[0].Label))
	if len(data) > 1 {
		fmt.Fprintf(&b, `<text class="chart__label" x="%s" y="%s" text-anchor="end">%s</text>`, num(right), num(h-8), esc(data[len(data)-1].Label))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// mapFigure projects places into the figure: longitude and latitude
// scaled equally at the places' middle latitude (equirectangular), the
// extent padded so that no mark touches the frame.
type mapFigure struct {
	shapes                 []geom.T
	minX, maxX, minY, maxY float64
	scale, h               float64
}

func newMapFigure(shapes []geom.T) *mapFigure {
	m := &mapFigure{shapes: shapes, minX: math.Inf(1), maxX: math.Inf(-1), minY: math.Inf(1), maxY: math.Inf(-1)}
	for _, g := range shapes {
		b := g.Bounds()
		m.minX, m.maxX = math.Min(m.minX, b.Min(0)), math.Max(m.maxX, b.Max(0))
		m.minY, m.maxY = math.Min(m.minY, b.Min(1)), math.Max(m.maxY, b.Max(1))
	}
	kx := math.Cos((m.minY + m.maxY) / 2 * math.Pi / 180)
	spanX, spanY := math.Max((m.maxX-m.minX)*kx, 1e-6), math.Max(m.maxY-m.minY, 1e-6)
	m.scale = (chartW - 24) / spanX
	m.h = math.Min(math.Max(spanY*m.scale+24, 160), 420)
	if spanY*m.scale > m.h-24 {
		m.scale = (m.h - 24) / spanY
	}
	return m
}

// at is the figure's point of a longitude and latitude.
func (m *mapFigure) at(x, y float64) (float64, float64) {
	kx := math.Cos((m.minY + m.maxY) / 2 * math.Pi / 180)
	return 12 + (x-m.minX)*kx*m.scale, m.h - 12 - (y-m.minY)*m.scale
}

// svg draws the frame, the extent's corners and every place: points as
// dots, lines and areas as paths.
func (m *mapFigure) svg(title, desc string) template.HTML {
	var b strings.Builder
	svgOpen(&b, m.h, title, desc)
	fmt.Fprintf(&b, `<rect class="chart__frame" x="1" y="1" width="%d" height="%s"/>`, chartW-2, num(m.h-2))
	for _, g := range m.shapes {
		m.draw(&b, g)
	}
	fmt.Fprintf(&b, `<text class="chart__label" x="4" y="%s">%s, %s</text>`, num(m.h-4), formatCoord(m.minX), formatCoord(m.minY))
	fmt.Fprintf(&b, `<text class="chart__label" x="%d" y="12" text-anchor="end">%s, %s</text>`, chartW-4, formatCoord(m.maxX), formatCoord(m.maxY))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (m *mapFigure) draw(b *strings.Builder, g geom.T) {
	if gc, ok := g.(*geom.GeometryCollection); ok {
		for _, part := range gc.Geoms() {
			m.draw(b, part)
		}
		return
	}
	flat, stride := g.FlatCoords(), g.Stride()
	switch g.(type) {
	case *geom.Point, *geom.MultiPoint:
		for i := 0; i+1 < len(flat); i += stride {
			x, y := m.at(flat[i], flat[i+1])
			fmt.Fprintf(b, `<circle class="chart__dot" cx="%s" cy="%s" r="2.5"/>`, num(x), num(y))
		}
	default:
		_, area := g.(interface{ Area() float64 })
		ends := g.Ends()
		if endss := g.Endss(); len(endss) > 0 {
			ends = slices.Concat(endss...)
		}
		if len(ends) == 0 {
			ends = []int{len(flat)}
		}
		var d strings.Builder
		start := 0
		for _, end := range ends {
			for i := start; i+1 < end; i += stride {
				x, y := m.at(flat[i], flat[i+1])
				d.WriteString(map[bool]string{true: "M", false: "L"}[i == start] + num(x) + " " + num(y))
			}
			if area {
				d.WriteString("Z")
			}
			start = end
		}
		class := map[bool]string{true: "chart__area", false: "chart__path"}[area]
		fmt.Fprintf(b, `<path class="%s" d="%s"/>`, class, d.String())
	}
}

func firstCoord(g geom.T) (float64, float64) {
	flat := g.FlatCoords()
	if len(flat) < 2 {
		return 0, 0
	}
	return flat[0], flat[1]
}
