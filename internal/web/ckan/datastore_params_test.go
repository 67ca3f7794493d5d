package ckan

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/datastore/datastoretest"
	"dataport/internal/fuzztest"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

// stations is a store holding the four bus stations of datastoretest in a
// published, unconditionally open resource, the datastore over it on the
// real decision point (rate limits lifted: the fuzz target sends thousands
// of calls a second as one user), and a reader from another institution.
type stations struct {
	w      *accesstest.World
	ds     *datastore.Service
	res    catalog.Resource
	reader identity.Principal
}

func newStations(t testing.TB, db *store.DB) *stations {
	t.Helper()
	ctx := context.Background()
	w := accesstest.New(t, db)
	in := catalog.Input{TitleZh: "公交站点", DescriptionZh: "公交站点基础信息", Subject: "04", Items: datastoretest.StationItems(),
		UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
		Classification: catalog.ClassGeneral, Level: 1, Formats: []string{"CSV", "JSON", "API"}}
	r := publish(t, w, in)
	acc := access.New(db, w.Cat, access.Config{UserRate: 1 << 30})
	t.Cleanup(acc.Close)
	ds := datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: acc, SQL: datastore.SQLConfig{Enabled: true}})
	csv := datastoretest.StationsCSV
	if _, err := ds.Load(ctx, w.ProviderEditor, r.ID, datastore.LoadInput{File: strings.NewReader(csv), Name: "s.csv", Size: int64(len(csv))}); err != nil {
		t.Fatal(err)
	}
	return &stations{w: w, ds: ds, res: r, reader: w.RequesterAdmin}
}

// publish creates a resource of the provider and publishes it.
func publish(t testing.TB, w *accesstest.World, in catalog.Input) catalog.Resource {
	t.Helper()
	ctx := context.Background()
	r, err := w.Cat.Create(ctx, w.ProviderEditor, w.Provider.ID, in)
	if err == nil {
		if _, err = w.Cat.Submit(ctx, w.ProviderEditor, r.ID); err == nil {
			r, err = w.Cat.Review(ctx, w.Operator, r.ID, catalog.Approve, "")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDatastoreSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newStations(t, db)
		ctx := context.Background()
		// As a CKAN client sends a GET: every value is text, filters are JSON.
		out, err := datastoreSearch(ctx, s.ds, s.reader, map[string]any{"resource_id": s.res.Code, "filters": `{"district": "110101"}`,
			"fields": "station_id,lines", "sort": "lines desc", "limit": "1"})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(out["records"])
		if string(got) != `[{"_id":2,"lines":5,"station_id":"S001"}]` || out["total"] != int64(2) || out["total_was_estimated"] != false {
			t.Errorf("records %s total %v", got, out["total"])
		}
		links := out["_links"].(map[string]string)
		if !strings.Contains(links["next"], "offset=1") {
			t.Errorf("links = %v", links)
		}
		out, err = datastoreSearch(ctx, s.ds, s.reader, map[string]any{"resource_id": s.res.ID, "q": map[string]any{"name": "胡同"},
			"records_format": "csv", "fields": []any{"station_id", "accessible"}, "include_total": false})
		if err != nil {
			t.Fatal(err)
		}
		if out["records"] != "5,S004,false\n" {
			t.Errorf("csv records = %q", out["records"])
		}
		if _, ok := out["total"]; ok {
			t.Error("total given though include_total is false")
		}
		// limit 0: the fields and the total, no records.
		out, err = datastoreSearch(ctx, s.ds, s.reader, map[string]any{"resource_id": s.res.ID, "limit": "0"})
		if err != nil || out["total"] != int64(4) || len(out["records"].([]map[string]any)) != 0 || len(out["fields"].([]map[string]any)) != 7 {
			t.Errorf("limit 0: %v %v", out, err)
		}
		_, err = datastoreSearch(ctx, s.ds, s.reader, map[string]any{"resource_id": s.res.ID, "limit": 32001, "records_format": "xml"})
		var verrs validate.Errors
		if !errors.As(err, &verrs) || !verrs.Has("limit") || !verrs.Has("records_format") {
			t.Errorf("bad parameters: %v", err)
		}
		_, err = datastoreSearch(ctx, s.ds, s.reader, map[string]any{"resource_id": s.res.ID, "fields": "nope", "sort": "secret"})
		if !errors.As(err, &verrs) || !verrs.Has("fields[0]") || !verrs.Has("sort[0]") {
			t.Errorf("unknown fields: %v", err)
		}
	})
}

// TestDatastoreSearchSQLResult: the statement's answer is CKAN's result
// object, and a statement is read from the sql parameter.
func TestDatastoreSearchSQLResult(t *testing.T) {
	s := newStations(t, storetest.Open(t, store.SQLite))
	q := `SELECT district, COUNT(*) AS n FROM "` + s.res.ID + `" GROUP BY district ORDER BY district`
	out, err := datastoreSearchSQL(context.Background(), s.ds, s.reader, map[string]any{"sql": q})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(map[string]any{"sql": out["sql"], "records": out["records"], "records_truncated": out["records_truncated"]})
	want := `{"records":[{"district":"110101","n":2},{"district":"110102","n":2}],"records_truncated":false,"sql":` + string(must(json.Marshal(q))) + `}`
	if string(got) != want {
		t.Errorf("result:\n got %s\nwant %s", got, want)
	}
	if fields, _ := out["fields"].([]datastore.RowField); len(fields) != 2 || fields[0].ID != "district" || fields[1].ID != "n" {
		t.Errorf("fields = %v", out["fields"])
	}
	if _, err := datastoreSearchSQL(context.Background(), s.ds, s.reader, map[string]any{}); !isFieldError(err, "sql") {
		t.Errorf("no sql: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSearchResultSaysWhenTheQuotaCut: a page a grant's row quota cut
// says records_truncated; another says nothing about it.
func TestSearchResultSaysWhenTheQuotaCut(t *testing.T) {
	for _, cut := range []bool{false, true} {
		out, err := searchResult("r", datastore.Query{}, 10, "objects", datastore.RowsPage{QuotaTruncated: cut}, map[string]any{"resource_id": "r"})
		if v, ok := out["records_truncated"]; err != nil || ok != cut || (ok && v != true) {
			t.Errorf("quota cut %v: records_truncated %v (%v), %v", cut, v, ok, err)
		}
	}
}

// FuzzDatastoreSearch sends datastore_search the parameters a CKAN client
// controls, as a GET sends them (all text): filters, sort, q and fields,
// against a real SQLite store holding four bus stations. Each call returns
// within fuzztest.Hang; a refusal is validate.Errors naming a parameter; an
// answer holds at most the four rows, only fields that exist, each row
// matching an "eq" filter on a text item when one was given.
func FuzzDatastoreSearch(f *testing.F) {
	for _, s := range [][4]string{
		{`{"district": "110101"}`, "lines desc", "", "station_id,lines"},
		{`{"district": ["110101", "110102"], "accessible": true}`, "opened asc, name", "胡同", ""},
		{`{"lines": null}`, `"name" desc`, `{"name": "胡同"}`, `["station_id", "accessible"]`},
		{`{"opened": "2020-01-02"}`, "station_id", "朝阳 门", "name"},
		{`{"lines": 5}`, "lines desc junk", "%_\\", "nope"},
		{`{"nope": 1}`, "secret", `{"nope": "x"}`, ","},
		{`[1, 2]`, "lines sideways", "{", "station_id,station_id"},
		{`{"lines": "five"}`, ",,,", "\x00", ""},
		{`{"opened": "2020-13-45"}`, "", "", ""},
		{`{"name": "S001' OR '1'='1"}`, `name"; DROP TABLE x; --`, "' OR 1=1 --", `name"`},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	s := newStations(f, storetest.Open(f, store.SQLite))
	items := []string{"_id"}
	for _, it := range datastoretest.StationItems() {
		items = append(items, it.Name)
	}
	f.Fuzz(func(t *testing.T, filters, sort, q, fields string) {
		params := map[string]any{"resource_id": s.res.ID, "filters": filters, "sort": sort, "q": q, "fields": fields}
		for k, v := range params {
			if v == "" {
				delete(params, k)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), fuzztest.Hang)
		defer cancel()
		var out map[string]any
		var err error
		fuzztest.Within(t, "datastore_search", func() { out, err = datastoreSearch(ctx, s.ds, s.reader, params) })
		if err != nil {
			checkParamErrors(t, params, err)
			return
		}
		records, _ := json.Marshal(out["records"])
		var rows []map[string]any
		if err := json.Unmarshal(records, &rows); err != nil || len(rows) > 4 {
			t.Fatalf("records %s: %v", records, err)
		}
		for _, row := range rows {
			for k := range row {
				if !slices.Contains(items, k) {
					t.Fatalf("record field %q is no item", k)
				}
			}
			checkEqFilters(t, filters, row)
		}
	})
}

// checkParamErrors checks that err is validate.Errors, each error naming a
// parameter the call gave.
func checkParamErrors(t *testing.T, params map[string]any, err error) {
	t.Helper()
	var verrs validate.Errors
	if !errors.As(err, &verrs) || len(verrs) == 0 {
		t.Fatalf("datastore_search %v: %v (%T) is not validate.Errors", params, err, err)
	}
	for _, fe := range verrs {
		name, _, _ := strings.Cut(fe.Field, "[")
		name, _, _ = strings.Cut(name, ".")
		if _, ok := params[name]; !ok || fe.Message == "" {
			t.Fatalf("datastore_search %v: error %+v names no parameter given", params, fe)
		}
	}
}

// checkEqFilters checks a record against the filters on text items that
// select one value, where the record returns the item.
func checkEqFilters(t *testing.T, filters string, row map[string]any) {
	t.Helper()
	var m map[string]any
	if json.Unmarshal([]byte(filters), &m) != nil {
		return
	}
	for _, item := range []string{"station_id", "name"} {
		want, ok := m[item].(string)
		got, returned := row[item]
		if ok && returned && got != want {
			t.Fatalf("filter %s = %q returned %q", item, want, got)
		}
	}
}

// TestDatastoreSearchBoundsFiltersAndSort: filters and sort are refused,
// at once and located, when they would cost the database seconds to
// prepare (an IN list of 4,000 values took 2.9 s) or say more than an item
// and a direction; filter errors name the same filter every time.
func TestDatastoreSearchBoundsFiltersAndSort(t *testing.T) {
	s := newStations(t, storetest.Open(t, store.SQLite))
	many, _ := json.Marshal(map[string]any{"name": slices.Repeat([]any{"朝阳门"}, 4000)})
	for _, test := range []struct {
		name   string
		params map[string]any
		field  string
		value  any
	}{
		{"4,000 filter values", map[string]any{"filters": string(many)}, "filters", nil},
		{"a word after the direction", map[string]any{"sort": "lines, name desc junk"}, "sort[1]", "name desc junk"},
		{"a bad direction", map[string]any{"sort": "name sideways"}, "sort[0]", "name sideways"},
		{"33 sort keys", map[string]any{"sort": strings.Repeat("name,", 33)}, "sort", nil},
		{"unknown items in name order", map[string]any{"filters": `{"zz": 1, "aa": 2, "mm": 3}`}, "filters[0].item", "aa"},
		{"a field named twice", map[string]any{"fields": "name,lines,name"}, "fields[2]", "name"},
		{"1,000 search words (an expression tree SQLite refused with a 500)", map[string]any{"q": strings.Repeat("朝阳 ", 1000)}, "q", strings.Repeat("朝阳 ", 1000)},
	} {
		t.Run(test.name, func(t *testing.T) {
			test.params["resource_id"] = s.res.ID
			var err error
			fuzztest.Within(t, "datastore_search", func() { _, err = datastoreSearch(context.Background(), s.ds, s.reader, test.params) })
			var verrs validate.Errors
			if !errors.As(err, &verrs) || !slices.ContainsFunc(verrs, func(fe validate.FieldError) bool { return fe.Field == test.field && fe.Value == test.value }) {
				t.Errorf("err = %v; want an error at %s with value %v", err, test.field, test.value)
			}
		})
	}
}

// isFieldError reports whether err is validate.Errors naming field.
func isFieldError(err error, field string) bool {
	var verrs validate.Errors
	return errors.As(err, &verrs) && verrs.Has(field)
}
