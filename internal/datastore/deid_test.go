package datastore_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
)

// deidDecider is the real decision point, with a de-identification
// profile added to every decision it allows (as an open path's profile is).
type deidDecider struct{ access.Decider }

func (d deidDecider) Decide(ctx context.Context, req access.Request) (access.Decision, error) {
	dec, err := d.Decider.Decide(ctx, req)
	if err == nil && dec.Allow {
		dec.Constraints.DeidProfile = "test-profile"
	}
	return dec, err
}

// pseudonyms serves station names as pseudonyms and drops the district:
// a profile that rewrites name and district and keeps every other item.
type pseudonyms struct{}

func (pseudonyms) Transformer(_ context.Context, profile string, _ catalog.Resource, items []catalog.Item) (datastore.Deidentification, error) {
	idx := map[string]int{}
	for i, it := range items {
		idx[it.Name] = i
	}
	return datastore.Deidentification{Rewritten: []string{"name", "district"}, Row: func(row []any) error {
		if s, ok := row[idx["name"]].(string); ok {
			row[idx["name"]] = "P-" + base64.RawURLEncoding.EncodeToString([]byte(s))[:4]
		}
		row[idx["district"]] = nil
		return nil
	}}, nil
}

// rawNames are the stored station names (stationsCSV) a reader under the
// profile must never see or be able to probe for.
var rawNames = []string{"朝阳门", "西单", "东四", "灵境胡同"}

// TestDeidentifiedItemsCannotBeProbed: under a de-identification profile,
// q, filters and sort never run on the stored values of rewritten items
// (which would let a reader recover them by probing), on the row API,
// CKAN datastore_search, datastore_search_sql and exports; kept items
// still filter, sort, search and page.
func TestDeidentifiedItemsCannotBeProbed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		if _, err := f.load(t, r, "stations.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		ds := datastore.New(datastore.Config{DB: db, Catalog: f.cat, Access: deidDecider{access.NewService(db, f.cat)},
			Deid: pseudonyms{}, SQL: datastore.SQLConfig{Enabled: true}})

		// The rows are served with pseudonyms.
		res, err := ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{Fields: []string{"station_id", "name"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range res.Rows {
			if s, _ := row[2].(string); !strings.HasPrefix(s, "P-") {
				t.Errorf("name served as %v, want a pseudonym", row[2])
			}
		}

		// The leak: q matched the stored names of rows served as pseudonyms.
		res, err = ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{Q: "胡同", Total: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != 0 || res.Total != 0 {
			t.Errorf("q on a pseudonymised name matched %d rows (total %d): %v", len(res.Rows), res.Total, res.Rows)
		}
		// q still searches the kept text items.
		res, err = ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{Q: "S004", Fields: []string{"station_id", "name"}})
		if err != nil || len(res.Rows) != 1 || res.Rows[0][1] != "S004" || res.Rows[0][2] == "灵境胡同" {
			t.Errorf("q on a kept item: %v %v", res.Rows, err)
		}

		// Filters and sort on rewritten items are refused, naming the field.
		for _, c := range []struct {
			q     datastore.Query
			field string
		}{
			{datastore.Query{Filters: []datastore.Filter{{Item: "name", Op: "eq", Values: []string{"灵境胡同"}}}}, "filters[0].item"},
			{datastore.Query{Filters: []datastore.Filter{{Item: "lines", Op: "gt", Values: []string{"0"}}, {Item: "name", Op: "gte", Values: []string{"东"}}}}, "filters[1].item"},
			{datastore.Query{Filters: []datastore.Filter{{Item: "district", Op: "null"}}}, "filters[0].item"},
			{datastore.Query{Sort: []datastore.SortKey{{Item: "name"}}}, "sort[0]"},
			{datastore.Query{Sort: []datastore.SortKey{{Item: "lines"}, {Item: "district", Desc: true}}}, "sort[1]"},
		} {
			_, err := ds.Search(ctx, f.outsider, r.ID, "test", c.q)
			if !isFieldError(err, c.field) {
				t.Errorf("%+v: %v, want a refusal of %s", c.q, err, c.field)
			}
			_, err = ds.PrepareExport(ctx, f.outsider, r.ID, "", c.q)
			if !isFieldError(err, c.field) {
				t.Errorf("export %+v: %v, want a refusal of %s", c.q, err, c.field)
			}
		}

		// Filters, sort and keyset paging on kept items still work, and
		// cursors carry no stored value of a rewritten item.
		res, err = ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{Fields: []string{"station_id"},
			Filters: []datastore.Filter{{Item: "lines", Op: "in", Values: []string{"3", "5"}}}, Total: true})
		if diff := cmp.Diff([][]any{{int64(2), "S001"}, {int64(5), "S004"}}, res.Rows); err != nil || diff != "" || res.Total != 2 {
			t.Errorf("filter on a kept item (-want +got):\n%s %v", diff, err)
		}
		q := datastore.Query{Fields: []string{"station_id"}, Sort: []datastore.SortKey{{Item: "lines", Desc: true}}, Limit: 2}
		var ids []any
		for page := 0; page < 3; page++ {
			res, err = ds.Search(ctx, f.outsider, r.ID, "test", q)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range res.Rows {
				ids = append(ids, row[1])
			}
			if res.NextCursor == "" {
				break
			}
			b, _ := base64.RawURLEncoding.DecodeString(res.NextCursor)
			for _, n := range rawNames {
				if strings.Contains(string(b), n) {
					t.Errorf("cursor %s carries stored name %s", b, n)
				}
			}
			q.Cursor = res.NextCursor
		}
		if diff := cmp.Diff([]any{"S002", "S001", "S004", "S003"}, ids); diff != "" {
			t.Errorf("keyset pages on a kept item (-want +got):\n%s", diff)
		}

		// CKAN datastore_search's queries (its channel):
		// filters, q (text and per item, OpContains) and sort.
		const ckanPath = access.ChannelCKANDatastore
		for _, c := range []struct {
			q     datastore.Query
			field string
		}{
			{datastore.Query{Filters: []datastore.Filter{{Item: "name", Op: datastore.OpEq, Values: []string{"灵境胡同"}}}}, "filters[0].item"},
			{datastore.Query{Filters: []datastore.Filter{{Item: "district", Op: datastore.OpIn, Values: []string{"110102"}}}}, "filters[0].item"},
			{datastore.Query{Filters: []datastore.Filter{{Item: "name", Op: datastore.OpContains, Values: []string{"胡同"}}}}, "filters[0].item"},
			{datastore.Query{Sort: []datastore.SortKey{{Item: "name", Desc: true}}}, "sort[0]"},
		} {
			if _, err := ds.Search(ctx, f.outsider, r.ID, ckanPath, c.q); !isFieldError(err, c.field) {
				t.Errorf("datastore_search %+v: %v, want a refusal of %s", c.q, err, c.field)
			}
		}
		page, err := ds.Search(ctx, f.outsider, r.ID, ckanPath, datastore.Query{Q: "胡同", Total: true})
		if err != nil || page.Total != 0 {
			t.Errorf("datastore_search q on a pseudonymised name: total %v, %v", page.Total, err)
		}
		page, err = ds.Search(ctx, f.outsider, r.ID, ckanPath, datastore.Query{Total: true,
			Filters: []datastore.Filter{{Item: "station_id", Op: datastore.OpEq, Values: []string{"S004"}}}, Sort: []datastore.SortKey{{Item: "lines", Desc: true}}})
		if err != nil || page.Total != 1 {
			t.Errorf("datastore_search on kept items: total %v, %v", page.Total, err)
		}

		// datastore_search_sql and diffs are refused outright.
		var denied *access.DeniedError
		_, err = ds.SearchSQL(ctx, f.outsider, `SELECT station_id FROM "`+r.ID+`" WHERE name LIKE '%胡同%'`)
		if !errors.As(err, &denied) {
			t.Errorf("datastore_search_sql under a profile: %v, want a denial", err)
		}
		if _, err := ds.Diff(ctx, f.outsider, r.ID, 1, 1); !errors.As(err, &denied) {
			t.Errorf("diff under a profile: %v, want a denial", err)
		}

		// Exports with q and filters on kept items serve pseudonyms only.
		exp, err := ds.PrepareExport(ctx, f.outsider, r.ID, "", datastore.Query{Q: "胡同"})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := exp.WriteTo(ctx, &b, "csv", false); err != nil {
			t.Fatal(err)
		}
		if lines := strings.Count(b.String(), "\n"); lines != 1 {
			t.Errorf("export with q on a pseudonymised name: %q", b.String())
		}
		exp, err = ds.PrepareExport(ctx, f.outsider, r.ID, "", datastore.Query{Filters: []datastore.Filter{{Item: "station_id", Op: "eq", Values: []string{"S004"}}}})
		if err != nil {
			t.Fatal(err)
		}
		b.Reset()
		if err := exp.WriteTo(ctx, &b, "csv", false); err != nil {
			t.Fatal(err)
		}
		if s := b.String(); strings.Count(s, "\n") != 2 || !strings.Contains(s, "S004,P-") || strings.Contains(s, "灵境胡同") {
			t.Errorf("export filtered on a kept item: %q", s)
		}

		// Without the profile (the provider's own read through the plain
		// decision point), the same filter is answered.
		res, err = f.ds.Search(ctx, f.editor, r.ID, "test", datastore.Query{Filters: []datastore.Filter{{Item: "name", Op: "eq", Values: []string{"灵境胡同"}}}})
		if err != nil || len(res.Rows) != 1 {
			t.Errorf("filter without a profile: %v %v", res.Rows, err)
		}
	})
}

// isFieldError reports whether err is a validation error naming field.
func isFieldError(err error, field string) bool {
	var verrs validate.Errors
	return errors.As(err, &verrs) && verrs.Has(field)
}

// narrowDecider is deidDecider with the grant limited to some items.
type narrowDecider struct {
	deidDecider
	fields []string
}

func (d narrowDecider) Decide(ctx context.Context, req access.Request) (access.Decision, error) {
	dec, err := d.deidDecider.Decide(ctx, req)
	if err == nil && dec.Allow {
		dec.Constraints.Fields = d.fields
	}
	return dec, err
}

// TestQWithNothingToSearch: when every text item the caller may read is
// served de-identified, q is refused with a located error instead of
// silently matching nothing.
func TestQWithNothingToSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		if _, err := f.load(t, r, "stations.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		dec := narrowDecider{deidDecider{access.NewService(db, f.cat)}, []string{"name", "district", "lines"}}
		ds := datastore.New(datastore.Config{DB: db, Catalog: f.cat, Access: dec, Deid: pseudonyms{}})
		_, err := ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{Q: "胡同"})
		var ve validate.Errors
		if !errors.As(err, &ve) || len(ve) != 1 || ve[0].Field != "q" || !strings.Contains(ve[0].Message, "served de-identified") {
			t.Fatalf("q with no searchable item: %v", err)
		}
		// Without q the same reader gets its rows.
		res, err := ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{})
		if err != nil || len(res.Rows) == 0 {
			t.Fatalf("rows without q: %d, %v", len(res.Rows), err)
		}
	})
}
