package ui

import (
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"dataport/internal/catalog"
)

// FuzzPreviewQuery feeds a visitor's query string to the dataset page's
// preview: it becomes a datastore query with a page of 20 rows at a
// non-negative offset, and the preview's own links read back to the same
// datastore query.
func FuzzPreviewQuery(f *testing.F) {
	f.Add("page=2&sort=aqi&desc=1&item=district&value=东湖区&q=PM2.5")
	f.Add("page=99999999999999999999&item=flag&value=YES")
	f.Add("page=922337203685477580") // (page-1)*20 overflows int without the cap
	f.Add("page=-3&sort=&desc=1&value=%20x%20&q=%25")
	f.Add("item=name&value=a%26b%3Dc&q=%23frag")
	items := []catalog.Item{
		{Name: "district", Type: catalog.TypeCode, CodeList: []catalog.Code{{Code: "110105", Label: "东湖区"}}},
		{Name: "flag", Type: catalog.TypeBoolean}, {Name: "name", Type: catalog.TypeText}, {Name: "aqi", Type: catalog.TypeInteger},
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if strings.ContainsAny(raw, " #\x00") || !utf8.ValidString(raw) {
			return
		}
		r := httptest.NewRequest("GET", "/dataset/x", nil)
		r.URL.RawQuery = raw
		q := readPreviewQuery(r)
		dq := datastoreQuery(q, items)
		if dq.Offset < 0 || dq.Limit != previewPageSize || q.Page < 1 {
			t.Fatalf("%q: page %d gives offset %d, limit %d", raw, q.Page, dq.Offset, dq.Limit)
		}
		link, err := url.Parse(q.url("/dataset/x"))
		if err != nil {
			t.Fatalf("%q: the preview's link %q: %v", raw, q.url("/dataset/x"), err)
		}
		back := datastoreQuery(readPreviewQuery(httptest.NewRequest("GET", link.RequestURI(), nil)), items)
		if !reflect.DeepEqual(dq, back) {
			t.Fatalf("%q: the link %s reads back as %+v, want %+v", raw, link, back, dq)
		}
	})
}
