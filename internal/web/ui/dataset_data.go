package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/web/ui/i18n"
)

// The dataset page's data: a download area per distribution, a preview of
// the current rows with paging, sorting and filtering by query parameters
// (no JavaScript), values shown with their code labels, and charts and a
// map drawn server-side (dataset_charts.go). Every read goes through the
// datastore, which asks the access decision point.

// previewPageSize is how many rows the preview shows a page.
const previewPageSize = 20

// datasetSection is the data part of a resource's page; nil when the
// platform has no datastore.
type datasetSection struct {
	Version   *datastore.DataVersion // the current version; nil without data
	Downloads []download
	Preview   *preview
	Charts    []datasetChart
	Denied    string // why the viewer may not read the rows
}

// download is one distribution: an export format of the current rows.
type download struct {
	Format, Label, URL, Media string
	Size                      int64 // bytes; 0 when not known before it is made
}

// preview is one page of rows as shown, with the query that chose it.
type preview struct {
	Columns   []previewColumn
	Rows      [][]previewCell
	Total     int64
	Estimated bool
	From, To  int64 // 1-based rows shown
	Page      int
	Pages     int64
	Query     previewQuery
	PrevURL   string
	NextURL   string
	ClearURL  string
	Problems  []string // the filter's problems, translated
}

// previewColumn is a column's header with its sort link.
type previewColumn struct {
	Name, Label string
	Numeric     bool
	Sort        string // "ascending", "descending" or "" (aria-sort)
	SortURL     string
}

// previewCell is a value as shown: its label, and the stored code when
// the label differs.
type previewCell struct {
	Text, Code string
	Numeric    bool
}

// previewQuery is the preview's state in the page's query parameters:
// page, sort (an item), desc, item and value (a filter), q (words).
type previewQuery struct {
	Page        int
	Sort        string
	Desc        bool
	Item, Value string
	Q           string
}

// maxPreviewPage caps the page a visitor may ask for, so that the offset
// stays an offset (a page of 20 rows past a billion rows shows nothing).
const maxPreviewPage = 50_000_000

func readPreviewQuery(r *http.Request) previewQuery {
	v := r.URL.Query()
	page, _ := strconv.Atoi(v.Get("page"))
	return previewQuery{Page: min(max(page, 1), maxPreviewPage), Sort: v.Get("sort"), Desc: v.Get("desc") == "1",
		Item: v.Get("item"), Value: strings.TrimSpace(v.Get("value")), Q: strings.TrimSpace(v.Get("q"))}
}

// url is the page's address with q's parameters, at the preview.
func (q previewQuery) url(path string) string {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	set("sort", q.Sort)
	if q.Desc && q.Sort != "" {
		v.Set("desc", "1")
	}
	if q.Value != "" {
		set("item", q.Item)
		set("value", q.Value)
	}
	set("q", q.Q)
	if len(v) == 0 {
		return path + "#preview"
	}
	return path + "?" + v.Encode() + "#preview"
}

// withDataset adds the data section to a resource's page.
func (s *server) withDataset(r *http.Request, page *resourcePage) error {
	if s.datastore == nil {
		return nil
	}
	sec, err := s.datasetSection(r, page.Resource)
	if err != nil {
		return err
	}
	page.Dataset = sec
	return nil
}

// datasetSection reads the current version, a page of rows and the charts
// for the viewer.
func (s *server) datasetSection(r *http.Request, res catalog.Resource) (*datasetSection, error) {
	ctx, p, lang := r.Context(), principal(r), langOf(r)
	v, err := s.datastore.Current(ctx, p, res.ID)
	if errors.Is(err, datastore.ErrNoData) {
		return &datasetSection{}, nil
	} else if err != nil {
		return nil, err
	}
	sec := &datasetSection{Version: &v}
	q := readPreviewQuery(r)
	dq := datastoreQuery(q, v.Items)
	rows, err := s.datastore.Search(ctx, p, res.ID, access.ChannelUIPreview, dq)
	var problems []string
	if errs := fieldErrors(err); errs != nil {
		// A filter or sort that does not fit its item: the page shows the
		// problem beside the form, with the rows unfiltered.
		problems = summarize(lang, errs)
		dq = datastoreQuery(previewQuery{Page: 1}, v.Items)
		rows, err = s.datastore.Search(ctx, p, res.ID, access.ChannelUIPreview, dq)
	}
	var denied *access.DeniedError
	if errors.As(err, &denied) {
		sec.Denied = deniedText(lang, denied.Decision)
		return sec, nil
	} else if err != nil {
		return nil, err
	}
	shown := q
	if problems != nil {
		shown = previewQuery{Page: 1}
	}
	sec.Preview = newPreview(lang, r.URL.Path, shown, v.Items, rows)
	sec.Preview.Query, sec.Preview.Problems = q, problems
	sec.Downloads = downloads(res, v)
	sec.Charts = s.datasetCharts(r, res, v, dq.Filters, dq.Q)
	return sec, nil
}

// deniedText says in lang why the viewer may not read the rows: by the
// decision's reason where the page has words for it, else its message.
func deniedText(lang string, d access.Decision) string {
	if key := "dataset.denied." + d.Reason; i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return d.Message
}

// datastoreQuery is the datastore query of a preview page. A filter on a
// code item takes the code or its label; on a boolean item 是/否 or
// yes/no; on a text item it matches values containing the words.
func datastoreQuery(q previewQuery, items []catalog.Item) datastore.Query {
	dq := datastore.Query{Limit: previewPageSize, Offset: (q.Page - 1) * previewPageSize, Total: true, Q: q.Q}
	if q.Sort != "" {
		dq.Sort = []datastore.SortKey{{Item: q.Sort, Desc: q.Desc}}
	}
	if q.Item == "" || q.Value == "" {
		return dq
	}
	f := datastore.Filter{Item: q.Item, Op: datastore.OpEq, Values: []string{q.Value}}
	for _, it := range items {
		if it.Name != q.Item {
			continue
		}
		switch it.Type {
		case catalog.TypeText:
			f.Op = datastore.OpContains
		case catalog.TypeCode:
			f.Values[0] = codeOfLabel(it, q.Value)
		case catalog.TypeBoolean:
			if b, ok := map[string]string{"yes": "true", "no": "false"}[strings.ToLower(q.Value)]; ok {
				f.Values[0] = b
			}
		}
	}
	dq.Filters = []datastore.Filter{f}
	return dq
}

// codeOfLabel returns the code an item's code list gives label, or label
// itself when it is no label there (it may be the code).
func codeOfLabel(it catalog.Item, label string) string {
	for _, c := range it.CodeList {
		if c.Label == label {
			return c.Code
		}
	}
	return label
}

// newPreview turns a page of rows into the preview's columns and cells,
// without the row number the datastore serves first.
func newPreview(lang, path string, q previewQuery, items []catalog.Item, rows datastore.RowsPage) *preview {
	byName := map[string]catalog.Item{}
	for _, it := range items {
		byName[it.Name] = it
	}
	pv := &preview{Query: q, Total: rows.Total, Estimated: rows.TotalEstimated, Page: q.Page,
		ClearURL: previewQuery{}.url(path)}
	for _, f := range rows.Fields[1:] {
		it := byName[f.ID]
		col := previewColumn{Name: f.ID, Label: it.LabelZh, Numeric: numericItem(it)}
		sortQ := previewQuery{Sort: f.ID, Item: q.Item, Value: q.Value, Q: q.Q}
		if q.Sort == f.ID {
			col.Sort = map[bool]string{false: "ascending", true: "descending"}[q.Desc]
			sortQ.Desc = !q.Desc
		}
		col.SortURL = sortQ.url(path)
		pv.Columns = append(pv.Columns, col)
	}
	for _, row := range rows.Rows {
		cells := make([]previewCell, 0, len(row)-1)
		for i, v := range row[1:] {
			cells = append(cells, cellOf(lang, byName[pv.Columns[i].Name], v))
		}
		pv.Rows = append(pv.Rows, cells)
	}
	pv.paging(path, int64(rows.Offset), rows.NextCursor != "")
	return pv
}

// paging sets the rows shown and the links to the pages around.
func (pv *preview) paging(path string, offset int64, more bool) {
	n := int64(len(pv.Rows))
	if n > 0 {
		pv.From, pv.To = offset+1, offset+n
	}
	if pv.Total >= 0 {
		pv.Pages = max(1, (pv.Total+previewPageSize-1)/previewPageSize)
	}
	if pv.Page > 1 {
		prev := pv.Query
		prev.Page--
		pv.PrevURL = prev.url(path)
	}
	if more {
		next := pv.Query
		next.Page++
		pv.NextURL = next.url(path)
	}
}

func numericItem(it catalog.Item) bool {
	return it.Type == catalog.TypeInteger || it.Type == catalog.TypeDecimal
}

// cellOf shows a served value of it in lang: a code by its label (the code
// kept aside), a boolean as 是/否, a time without the T, no value as —.
func cellOf(lang string, it catalog.Item, v any) previewCell {
	if v == nil {
		return previewCell{Text: i18n.T(lang, "none")}
	}
	switch x := v.(type) {
	case bool:
		return previewCell{Text: i18n.T(lang, map[bool]string{true: "yes", false: "no"}[x])}
	case string:
		if it.Type == catalog.TypeCode {
			if label := codeLabelOf(it, x); label != x {
				return previewCell{Text: label, Code: x}
			}
		}
		if it.Type == catalog.TypeDatetime {
			return previewCell{Text: strings.Replace(x, "T", " ", 1)}
		}
		return previewCell{Text: x}
	}
	return previewCell{Text: datastore.CellText(v), Numeric: numericItem(it)}
}

// codeLabelOf is the label of code in it's code list, or code.
func codeLabelOf(it catalog.Item, code string) string {
	for _, c := range it.CodeList {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// downloads lists the formats the current rows are exported to, with the
// export's address on the native API; GeoJSON only for rows with a place.
// The size is the uploaded file's, for its format.
func downloads(res catalog.Resource, v datastore.DataVersion) []download {
	base := "/api/v1/resources/" + res.ID + "/export?format="
	uploaded := strings.ToLower(strings.TrimPrefix(extOf(v.FileName), "."))
	var out []download
	for _, f := range []struct{ format, label, query string }{
		{"csv", "CSV", "csv&bom=true"}, {"xlsx", "XLSX", "xlsx"}, {"json", "JSON", "json"},
		{"geojson", "GeoJSON", "geojson"}, {"parquet", "Parquet", "parquet"},
	} {
		if f.format == "geojson" && !datastore.SpatialItems(v.Items).HasPlace() {
			continue
		}
		d := download{Format: f.format, Label: f.label, URL: base + f.query, Media: datastore.ExportFormats[f.format]}
		if uploaded == f.format {
			d.Size = v.FileBytes
		}
		out = append(out, d)
	}
	return out
}

// extOf is a file name's extension, with its dot.
func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// SizeText shows the size in the units people read (KB, MB: 1024-based),
// or "" when it is not known.
func (d download) SizeText() string {
	n := d.Size
	switch {
	case n <= 0:
		return ""
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
