package datastore_test

import (
	"context"
	"errors"
	"testing"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/google/go-cmp/cmp"
)

// TestAggregate: rows are counted and summed per code, per day and per
// boolean, with filters; under a de-identification profile the groups are
// made from the served values, so a rewritten item's stored values never
// show; an anonymous visitor of unpublished data is refused.
func TestAggregate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		if _, err := f.load(t, r, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		group := func(ds *datastore.Service, q datastore.GroupQuery) []datastore.Group {
			t.Helper()
			g, err := ds.Aggregate(ctx, identity.Anonymous, r.ID, access.ChannelUIPreview, q)
			if err != nil {
				t.Fatal(err)
			}
			if g.Version != 1 || g.Truncated {
				t.Errorf("version %d truncated %v", g.Version, g.Truncated)
			}
			return g.Groups
		}
		tests := []struct {
			name string
			q    datastore.GroupQuery
			want []datastore.Group
		}{
			{"lines by district", datastore.GroupQuery{By: "district", Sum: "lines"},
				[]datastore.Group{{Key: "110101", Rows: 2, Values: 1, Sum: 5}, {Key: "110102", Rows: 2, Values: 2, Sum: 15}}},
			{"by day", datastore.GroupQuery{By: "opened"},
				[]datastore.Group{{Key: nil, Rows: 1}, {Key: "2019-05-01", Rows: 1}, {Key: "2020-01-02", Rows: 1}, {Key: "2021-07-15", Rows: 1}}},
			{"by flag, filtered", datastore.GroupQuery{By: "accessible", Sum: "lines", Filters: []datastore.Filter{{Item: "lines", Op: datastore.OpGt, Values: []string{"4"}}}},
				[]datastore.Group{{Key: false, Rows: 1, Values: 1, Sum: 12}, {Key: true, Rows: 1, Values: 1, Sum: 5}}},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				if diff := cmp.Diff(test.want, group(f.ds, test.q)); diff != "" {
					t.Errorf("groups (-want +got):\n%s", diff)
				}
			})
		}

		deid := datastore.New(datastore.Config{DB: db, Catalog: f.cat, Access: deidDecider{access.NewService(db, f.cat)}, Deid: pseudonyms{}})
		want := []datastore.Group{{Key: nil, Rows: 4, Values: 3, Sum: 20}}
		if diff := cmp.Diff(want, group(deid, datastore.GroupQuery{By: "district", Sum: "lines"})); diff != "" {
			t.Errorf("groups of a dropped item (-want +got):\n%s", diff)
		}
		for _, g := range group(deid, datastore.GroupQuery{By: "name"}) {
			for _, raw := range rawNames {
				if g.Key == raw {
					t.Errorf("a stored name %q shows as a group under a profile that rewrites it", raw)
				}
			}
		}

		// Date-times by hour, in the database and from served rows alike.
		hours := f.resource(t, []catalog.Item{{Name: "id", LabelZh: "编号", Type: catalog.TypeText, Required: true, Key: true},
			{Name: "at", LabelZh: "监测时间", Type: catalog.TypeDatetime}}, true)
		if _, err := f.load(t, hours, "h.csv", "编号,监测时间\nH001,2024-01-01 08:40:00\nH002,2024-01-01T08:05:00\nH003,2024-01-01 09:00:00\nH004,\n"); err != nil {
			t.Fatal(err)
		}
		want = []datastore.Group{{Key: nil, Rows: 1}, {Key: "2024-01-01 08", Rows: 2}, {Key: "2024-01-01 09", Rows: 1}}
		for name, ds := range map[string]*datastore.Service{"database": f.ds, "served": deid} {
			g, err := ds.Aggregate(ctx, identity.Anonymous, hours.ID, access.ChannelUIPreview, datastore.GroupQuery{By: "at", Hourly: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, g.Groups); diff != "" {
				t.Errorf("%s: groups by hour (-want +got):\n%s", name, diff)
			}
		}

		draft := f.resource(t, stationItems(), false)
		if _, err := f.load(t, draft, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		_, err := f.ds.Aggregate(ctx, identity.Anonymous, draft.ID, access.ChannelUIPreview, datastore.GroupQuery{By: "district"})
		var denied *access.DeniedError
		if err == nil || (!errors.As(err, &denied) && !errors.Is(err, store.ErrNotFound)) {
			t.Errorf("anonymous groups of a draft: %v, want a denial", err)
		}

		// Answers are kept per version: a new version is grouped anew.
		if _, err := f.load(t, r, "s2.csv", "站点编号,站点名称,所属区县,线路数,启用日期,无障碍\nS009,新站,110101,7,2024-02-01,是\n"); err != nil {
			t.Fatal(err)
		}
		v2, err := f.ds.Aggregate(ctx, identity.Anonymous, r.ID, access.ChannelUIPreview, datastore.GroupQuery{By: "district", Sum: "lines"})
		if want := []datastore.Group{{Key: "110101", Rows: 1, Values: 1, Sum: 7}}; err != nil || v2.Version != 2 || !cmp.Equal(want, v2.Groups) {
			t.Errorf("groups of version 2: %+v %v, want %v", v2, err, want)
		}
	})
}
