package stats

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/stats/composite"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
)

var (
	operator = identity.Principal{UserID: "op", PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}}
	editor   = identity.Principal{UserID: "ed", Memberships: []identity.Membership{{OrganizationID: "o1", Role: identity.RoleAdmin}}}
)

// indexTable is a year's table as Indicators returns it: three
// institutions with every default indicator, one with few (not ranked),
// and the city's figures (never ranked).
func indexTable() Table {
	t := Table{Period: "2025", Orgs: []Org{{ID: "o1", NameZh: "甲局", NameEn: "A"}, {ID: "o2", NameZh: "乙局", NameEn: "B"},
		{ID: "o3", NameZh: "丙局", NameEn: "C"}, {ID: "o4", NameZh: "丁局", NameEn: "D"}}}
	for k, w := range DefaultMethod().Indicators {
		t.Indicators = append(t.Indicators, Indicator{Code: w.Code, NameZh: w.Code, NameEn: w.Code, Direction: w.Direction})
		for j, org := range []string{"o1", "o2", "o3", CityWide} {
			t.Values = append(t.Values, Value{OrgID: org, Indicator: w.Code, Value: float64((k*7+j*13)%10) + 0.5*float64(j)})
		}
	}
	t.Values = append(t.Values, Value{OrgID: "o4", Indicator: "catalog_completeness", Value: 80})
	return t
}

func TestPublishIndex(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db)
		table := indexTable()
		rel, err := s.publishTable(ctx, operator, table, PublishInput{Period: "2025"})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := composite.Compute(DefaultMethod(), IndexInput(DefaultMethod(), table))
		if diff := cmp.Diff(want, rel.Result); diff != "" {
			t.Errorf("published result differs from Compute (-want +got):\n%s", diff)
		}
		if len(rel.Result.Scores) != 3 || len(rel.Result.Unranked) != 1 || rel.Result.Unranked[0].Unit != "o4" {
			t.Errorf("scores %d, unranked %+v: want o1–o3 ranked and o4 (one indicator) not", len(rel.Result.Scores), rel.Result.Unranked)
		}
		got, err := s.Index(ctx, "2025")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rel, got); diff != "" {
			t.Errorf("read back (-published +read):\n%s", diff)
		}
		evs, err := db.Events(ctx, store.EventFilter{Type: EventIndexPublished})
		if err != nil || len(evs) != 1 || evs[0].SubjectID != rel.ID {
			t.Fatalf("events %+v, %v", evs, err)
		}
		var payload map[string]any
		json.Unmarshal(evs[0].Payload, &payload)
		for key, want := range map[string]any{"period": "2025", "method_sha256": rel.MethodSHA256, "inputs_sha256": rel.InputsSHA256,
			"result_sha256": rel.ResultSHA256, "ranked": 3.0, "runs": 1003.0} {
			if payload[key] != want {
				t.Errorf("event %s = %v, want %v", key, payload[key], want)
			}
		}
		if rel.InputsSHA256 != store.SHA256Hex(rel.Inputs) || len(rel.MethodSHA256) != 64 || len(rel.ResultSHA256) != 64 {
			t.Errorf("hashes %s %s %s", rel.InputsSHA256, rel.MethodSHA256, rel.ResultSHA256)
		}
		share := 0.0
		for _, w := range rel.Weights() {
			share += w.Share
		}
		if entries := rel.Entries(); math.Abs(share-1) > 1e-9 || entries[0].NameZh == "" || entries[0].Rank != 1 ||
			rel.Unranked()[0].NameEn != "D" {
			t.Errorf("named views: shares sum to %v, entries %+v, unranked %+v", share, entries, rel.Unranked())
		}
		list, err := s.Indexes(ctx)
		if err != nil || len(list) != 1 || list[0].Period != "2025" || list[0].Ranked != 3 {
			t.Errorf("indexes %+v, %v", list, err)
		}
	})
}

func TestPublishIndexRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := New(db)
		s.now = func() time.Time { return time.Date(2026, 12, 31, 15, 59, 0, 0, time.UTC) } // 23:59 in Beijing
		if _, err := s.publishTable(ctx, operator, indexTable(), PublishInput{Period: "2025"}); err != nil {
			t.Fatal(err)
		}
		before := storetest.CountRows(t, db, "stats_index_releases", "events")
		bad := DefaultMethod()
		bad.Indicators[0].Weight = -1
		bad.Indicators[1].Code = "gdp"
		bad.Sensitivity.Jitter = 2
		tests := []struct {
			name   string
			actor  identity.Principal
			in     PublishInput
			is     error
			fields []string
		}{
			{"an institution's admin", editor, PublishInput{Period: "2024"}, identity.ErrForbidden, nil},
			{"anonymous", identity.Principal{}, PublishInput{Period: "2024"}, identity.ErrForbidden, nil},
			{"a year published", operator, PublishInput{Period: "2025"}, store.ErrConflict, nil},
			{"not a year", operator, PublishInput{Period: "2025-01"}, nil, []string{"period"}},
			{"a year not ended", operator, PublishInput{Period: "2026"}, nil, []string{"period"}},
			{"a bad method", operator, PublishInput{Period: "2024", Method: &bad}, nil,
				[]string{"method.indicators[0].weight", "method.sensitivity.jitter", "method.indicators[1].code"}},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				table := indexTable()
				table.Period = test.in.Period
				_, err := s.publishTable(ctx, test.actor, table, test.in)
				if test.is != nil && !errors.Is(err, test.is) {
					t.Errorf("error %v, want %v", err, test.is)
				}
				fields, _ := validate.Fields(err)
				if diff := cmp.Diff(test.fields, fields); diff != "" {
					t.Errorf("fields (-want +got):\n%s (%v)", diff, err)
				}
			})
		}
		storetest.AssertUnchanged(t, db, before)
		if _, err := db.ExecContext(ctx, `UPDATE stats_index_releases SET result = '{}'`); err == nil {
			t.Error("a published index was changed")
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM stats_index_releases`); err == nil {
			t.Error("a published index was deleted")
		}
		if _, err := s.Index(ctx, "2024"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an unpublished year: %v", err)
		}
	})
}

func TestPublishIndexNoData(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		table := indexTable()
		table.Values = nil
		_, err := New(db).publishTable(context.Background(), operator, table, PublishInput{Period: "2025"})
		if fields, _ := validate.Fields(err); !cmp.Equal(fields, []string{"period"}) {
			t.Errorf("a year without values: %v", err)
		}
	})
}

func TestIndexInputs(t *testing.T) {
	in := composite.Input{"o2": {"b": 0.1, "a": 3}, "o1": {"z": 1e21, "a": -2.5e-7}, "o3": {}}
	want := "o1\ta\t-2.4999999999999999e-07\no1\tz\t1e+21\no2\ta\t3\no2\tb\t0.10000000000000001\n"
	if got := IndexInputs(in); got != want {
		t.Errorf("canonical inputs:\n%q\nwant\n%q", got, want)
	}
}
