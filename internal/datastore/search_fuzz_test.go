package datastore_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

// FuzzDatastoreSearch sends datastore_search the parameters a CKAN client
// controls, as a GET sends them (all text): filters, sort, q and fields,
// against a real SQLite store holding four bus stations. Each call returns
// within five seconds; a refusal is validate.Errors naming a parameter; an
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
	db := storetest.Open(f, store.SQLite)
	fx := newFixture(f, db)
	r := fx.resource(f, stationItems(), true)
	if _, err := fx.load(f, r, "s.csv", stationsCSV); err != nil {
		f.Fatal(err)
	}
	// The fixture's service with the decision point's rate limits lifted:
	// the target sends thousands of calls a second as one user.
	acc := access.New(db, fx.cat, access.Config{UserRate: 1 << 30})
	f.Cleanup(acc.Close)
	ds := datastore.New(datastore.Config{DB: db, Catalog: fx.cat, Access: acc})
	items := []string{"_id"}
	for _, it := range stationItems() {
		items = append(items, it.Name)
	}
	f.Fuzz(func(t *testing.T, filters, sort, q, fields string) {
		params := map[string]any{"resource_id": r.ID, "filters": filters, "sort": sort, "q": q, "fields": fields}
		for k, v := range params {
			if v == "" {
				delete(params, k)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var out map[string]any
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			out, err = ds.DatastoreSearch(ctx, fx.outsider, params)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("datastore_search %v has not returned after 5 s", params)
		}
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
	db := storetest.Open(t, store.SQLite)
	fx := newFixture(t, db)
	r := fx.resource(t, stationItems(), true)
	if _, err := fx.load(t, r, "s.csv", stationsCSV); err != nil {
		t.Fatal(err)
	}
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
			test.params["resource_id"] = r.ID
			done := make(chan error, 1)
			go func() {
				_, err := fx.ds.DatastoreSearch(context.Background(), fx.outsider, test.params)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(2 * time.Second):
				t.Fatal("no answer after 2 s")
			}
			var verrs validate.Errors
			if !errors.As(err, &verrs) || !slices.ContainsFunc(verrs, func(fe validate.FieldError) bool { return fe.Field == test.field && fe.Value == test.value }) {
				t.Errorf("err = %v; want an error at %s with value %v", err, test.field, test.value)
			}
		})
	}
}
