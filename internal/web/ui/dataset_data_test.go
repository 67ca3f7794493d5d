package ui

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"

	"github.com/google/go-cmp/cmp"
	"github.com/twpayne/go-geom"
)

var districtItem = catalog.Item{Name: "district", LabelZh: "所在区", Type: catalog.TypeCode,
	CodeList: []catalog.Code{{Code: "110105", Label: "朝阳区"}, {Code: "110101", Label: "东城区"}}}

// TestCellOf: codes show their labels (the code kept for the title),
// booleans 是/否 (Yes/No in English), times without the T, no value as —,
// numbers as numbers.
func TestCellOf(t *testing.T) {
	tests := []struct {
		name string
		lang string
		it   catalog.Item
		v    any
		want previewCell
	}{
		{"code", langZh, districtItem, "110105", previewCell{Text: "朝阳区", Code: "110105"}},
		{"unknown code", langZh, districtItem, "999999", previewCell{Text: "999999"}},
		{"true", langZh, catalog.Item{Type: catalog.TypeBoolean}, true, previewCell{Text: "是"}},
		{"false", langZh, catalog.Item{Type: catalog.TypeBoolean}, false, previewCell{Text: "否"}},
		{"false in English", langEn, catalog.Item{Type: catalog.TypeBoolean}, false, previewCell{Text: "No"}},
		{"null", langZh, districtItem, nil, previewCell{Text: "—"}},
		{"datetime", langZh, catalog.Item{Type: catalog.TypeDatetime}, "2024-01-01T08:40:00", previewCell{Text: "2024-01-01 08:40:00"}},
		{"decimal", langZh, catalog.Item{Type: catalog.TypeDecimal}, 1.5, previewCell{Text: "1.5", Numeric: true}},
		{"integer", langZh, catalog.Item{Type: catalog.TypeInteger}, int64(120), previewCell{Text: "120", Numeric: true}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := cellOf(test.lang, test.it, test.v); got != test.want {
				t.Errorf("cellOf(%v) = %+v, want %+v", test.v, got, test.want)
			}
		})
	}
}

// TestPreviewQuery: the filter takes a code's label, 是/否 or yes/no, and
// matches text by containing; paging and sort become offset and sort keys;
// links keep the query.
func TestPreviewQuery(t *testing.T) {
	items := []catalog.Item{districtItem, {Name: "name", Type: catalog.TypeText}, {Name: "open", Type: catalog.TypeBoolean}}
	tests := []struct {
		name string
		q    previewQuery
		want datastore.Query
	}{
		{"label", previewQuery{Page: 3, Sort: "name", Desc: true, Item: "district", Value: "朝阳区"},
			datastore.Query{Limit: 20, Offset: 40, Total: true, Sort: []datastore.SortKey{{Item: "name", Desc: true}},
				Filters: []datastore.Filter{{Item: "district", Op: datastore.OpEq, Values: []string{"110105"}}}}},
		{"code", previewQuery{Page: 1, Item: "district", Value: "110101"},
			datastore.Query{Limit: 20, Total: true, Filters: []datastore.Filter{{Item: "district", Op: datastore.OpEq, Values: []string{"110101"}}}}},
		{"text", previewQuery{Page: 1, Item: "name", Value: "门", Q: "东"},
			datastore.Query{Limit: 20, Total: true, Q: "东", Filters: []datastore.Filter{{Item: "name", Op: datastore.OpContains, Values: []string{"门"}}}}},
		{"yes", previewQuery{Page: 1, Item: "open", Value: "Yes"},
			datastore.Query{Limit: 20, Total: true, Filters: []datastore.Filter{{Item: "open", Op: datastore.OpEq, Values: []string{"true"}}}}},
		{"no value, no filter", previewQuery{Page: 1, Item: "open"}, datastore.Query{Limit: 20, Total: true}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if diff := cmp.Diff(test.want, datastoreQuery(test.q, items)); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
		})
	}
	q := previewQuery{Page: 2, Sort: "name", Item: "district", Value: "朝阳区"}
	if got, want := q.url("/dataset/x"), "/dataset/x?item=district&page=2&sort=name&value=%E6%9C%9D%E9%98%B3%E5%8C%BA#preview"; got != want {
		t.Errorf("url = %s, want %s", got, want)
	}
}

// TestNewPreview: the row number the datastore serves first is not shown;
// the sorted column says so and its link reverses the order; the next
// page's link exists only when more rows follow.
func TestNewPreview(t *testing.T) {
	rows := datastore.RowsPage{Fields: []datastore.RowField{{ID: "_id"}, {ID: "district"}, {ID: "n"}},
		Rows: [][]any{{int64(7), "110105", int64(3)}}, Total: 41, Offset: 20, NextCursor: "x"}
	items := []catalog.Item{districtItem, {Name: "n", LabelZh: "数量", Type: catalog.TypeInteger}}
	pv := newPreview(langZh, "/dataset/x", previewQuery{Page: 2, Sort: "n"}, items, rows)
	if diff := cmp.Diff([][]previewCell{{{Text: "朝阳区", Code: "110105"}, {Text: "3", Numeric: true}}}, pv.Rows); diff != "" {
		t.Errorf("cells (-want +got):\n%s", diff)
	}
	if pv.Columns[1].Sort != "ascending" || !strings.Contains(pv.Columns[1].SortURL, "desc=1") || pv.Columns[0].Sort != "" {
		t.Errorf("columns %+v", pv.Columns)
	}
	if pv.From != 21 || pv.To != 21 || pv.Pages != 3 || !strings.Contains(pv.PrevURL, "/dataset/x?sort=n#") || !strings.Contains(pv.NextURL, "page=3") {
		t.Errorf("paging %+v", pv)
	}
}

// TestPeriodCounts: days spanning more than two months become months, the
// months without rows count 0; a short span stays in days.
func TestPeriodCounts(t *testing.T) {
	groups := []datastore.Group{{Key: nil, Rows: 5}, {Key: "2024-01-03", Rows: 2}, {Key: "2024-01-20", Rows: 1}, {Key: "2024-04-02", Rows: 4}}
	got, monthly := periodCounts(groups)
	want := []chartDatum{{"2024-01", 3}, {"2024-02", 0}, {"2024-03", 0}, {"2024-04", 4}}
	if diff := cmp.Diff(want, got); diff != "" || !monthly {
		t.Errorf("monthly %v (-want +got):\n%s", monthly, diff)
	}
	got, monthly = periodCounts(groups[1:3])
	if len(got) != 18 || monthly || got[0] != (chartDatum{"2024-01-03", 2}) || got[17] != (chartDatum{"2024-01-20", 1}) {
		t.Errorf("daily %v: %v", monthly, got)
	}
}

// TestHourCounts: hours without rows count 0; rows without a time are left out.
func TestHourCounts(t *testing.T) {
	got := hourCounts([]datastore.Group{{Key: nil, Rows: 3}, {Key: "2024-01-01 22", Rows: 2}, {Key: "2024-01-02 01", Rows: 5}})
	want := []chartDatum{{"2024-01-01 22:00", 2}, {"2024-01-01 23:00", 0}, {"2024-01-02 00:00", 0}, {"2024-01-02 01:00", 5}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hours (-want +got):\n%s", diff)
	}
}

// TestAveraged: indexes, concentrations and rates are averaged per
// category; counts and amounts are summed.
func TestAveraged(t *testing.T) {
	for label, want := range map[string]bool{"空气质量指数": true, "PM2.5浓度（μg/m³）": true, "床位使用率": true, "在校生数": false, "实有床位数": false, "罚没款金额（元）": false} {
		if got := averaged(catalog.Item{LabelZh: label}); got != want {
			t.Errorf("averaged(%s) = %v, want %v", label, got, want)
		}
	}
}

// svgDoc is the part of an SVG figure the tests read.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	ViewBox string   `xml:"viewBox,attr"`
	Role    string   `xml:"role,attr"`
	Title   string   `xml:"title"`
	Desc    string   `xml:"desc"`
	Rects   []struct {
		Class string  `xml:"class,attr"`
		Width float64 `xml:"width,attr"`
		Title string  `xml:"title"`
	} `xml:"rect"`
	Circles []struct {
		CX    float64 `xml:"cx,attr"`
		CY    float64 `xml:"cy,attr"`
		Title string  `xml:"title"`
	} `xml:"circle"`
	Polyline struct {
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
	Paths []struct {
		Class string `xml:"class,attr"`
		D     string `xml:"d,attr"`
	} `xml:"path"`
	Texts []string `xml:"text"`
}

func parseSVG(t *testing.T, s string) svgDoc {
	t.Helper()
	var d svgDoc
	if err := xml.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("not XML: %v\n%s", err, s)
	}
	if d.Role != "img" || d.Title == "" || d.Desc == "" {
		t.Errorf("svg without role img, title and description: %+v", d)
	}
	return d
}

func (d svgDoc) height(t *testing.T) float64 {
	f := strings.Fields(d.ViewBox)
	h, err := strconv.ParseFloat(f[3], 64)
	if err != nil || f[2] != "400" {
		t.Fatalf("viewBox %q", d.ViewBox)
	}
	return h
}

// TestBarSVG: one bar a category, widths in proportion to the values (the
// largest 220 units), each with its label and value, labels escaped.
func TestBarSVG(t *testing.T) {
	d := parseSVG(t, string(barSVG("在校生数合计", "最多的是朝阳区", []chartDatum{{"朝阳区", 400}, {"<东城区>", 100}, {"西城区", 0}})))
	if len(d.Rects) != 3 {
		t.Fatalf("%d bars, want 3", len(d.Rects))
	}
	if d.Rects[0].Width != 200 || d.Rects[1].Width != 50 || d.Rects[2].Width != 1 || d.Rects[0].Class != "chart__bar" {
		t.Errorf("bar widths %+v", d.Rects)
	}
	if d.Rects[1].Title != "<东城区>: 100" || d.Title != "在校生数合计" {
		t.Errorf("bar title %q, figure title %q", d.Rects[1].Title, d.Title)
	}
	if want := []string{"朝阳区", "400", "<东城区>", "100", "西城区", "0"}; !cmp.Equal(want, d.Texts) {
		t.Errorf("texts %v, want %v", d.Texts, want)
	}
}

// TestLineSVG: a dot a period, the highest at the top of the plot and 0 on
// the baseline, the line through all of them.
func TestLineSVG(t *testing.T) {
	d := parseSVG(t, string(lineSVG("按月统计", "自 2024-01 至 2024-03", []chartDatum{{"2024-01", 2}, {"2024-02", 0}, {"2024-03", 4}})))
	if len(d.Circles) != 3 || len(strings.Fields(d.Polyline.Points)) != 3 {
		t.Fatalf("%d dots, line %q", len(d.Circles), d.Polyline.Points)
	}
	if d.Circles[2].CY != 14 || d.Circles[1].CY != 170 || d.Circles[0].CY != 92 || d.Circles[0].CX >= d.Circles[1].CX {
		t.Errorf("dots %+v", d.Circles)
	}
	if d.Circles[2].Title != "2024-03: 4" {
		t.Errorf("dot title %q", d.Circles[2].Title)
	}
}

// TestMapSVG: points fall inside the figure, west left of east and north
// above south; a polygon is a closed path.
func TestMapSVG(t *testing.T) {
	shapes := []geom.T{
		geom.NewPointFlat(geom.XY, []float64{116.30, 39.80}),
		geom.NewPointFlat(geom.XY, []float64{116.50, 40.00}),
		geom.NewPolygonFlat(geom.XY, []float64{116.35, 39.85, 116.40, 39.85, 116.40, 39.90, 116.35, 39.85}, []int{8}),
	}
	m := newMapFigure(shapes)
	d := parseSVG(t, string(m.svg("位置分布", "经度范围")))
	h := d.height(t)
	if len(d.Circles) != 2 {
		t.Fatalf("%d dots, want 2", len(d.Circles))
	}
	for _, c := range d.Circles {
		if c.CX < 0 || c.CX > 400 || c.CY < 0 || c.CY > h {
			t.Errorf("dot %+v outside 400×%v", c, h)
		}
	}
	west, east := d.Circles[0], d.Circles[1]
	if west.CX >= east.CX || west.CY <= east.CY {
		t.Errorf("southwest point at %+v, northeast at %+v", west, east)
	}
	if len(d.Paths) != 1 || d.Paths[0].Class != "chart__area" || !strings.HasPrefix(d.Paths[0].D, "M") || !strings.HasSuffix(d.Paths[0].D, "Z") {
		t.Errorf("polygon paths %+v", d.Paths)
	}
}

// TestPickChartItems: a code item is preferred to a boolean as category;
// keys and coordinates are no measure.
func TestPickChartItems(t *testing.T) {
	items := []catalog.Item{
		{Name: "id", Type: catalog.TypeInteger, Key: true},
		{Name: "open", Type: catalog.TypeBoolean},
		{Name: "longitude", Type: catalog.TypeDecimal}, {Name: "latitude", Type: catalog.TypeDecimal},
		districtItem,
		{Name: "beds", Type: catalog.TypeInteger},
		{Name: "opened", Type: catalog.TypeDate},
	}
	c := pickChartItems(items)
	if c.Category.Name != "district" || c.Measure.Name != "beds" || c.Time.Name != "opened" || !c.Place.HasPlace() {
		t.Errorf("picked %+v %+v %+v %+v", c.Category, c.Measure, c.Time, c.Place)
	}
}
