package stats

import (
	"context"
	"errors"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

// valueOf finds one value of a day's snapshot.
func valueOf(vals []SnapshotValue, org, code string) (SnapshotValue, bool) {
	for _, v := range vals {
		if v.OrgID == org && v.Indicator == code {
			return v, true
		}
	}
	return SnapshotValue{}, false
}

func tableValue(t Table, org, code string) (float64, bool) {
	for _, v := range t.Values {
		if v.OrgID == org && v.Indicator == code {
			return v.Value, true
		}
	}
	return 0, false
}

// decide records n access decisions on resourceID at at, as the decision
// log writes them.
func decide(t *testing.T, db *store.DB, resourceID string, at time.Time, n int) {
	t.Helper()
	for range n {
		_, err := db.ExecContext(context.Background(), `INSERT INTO access_decisions (id, batch_id, at, resource_id, action, allow, reason, record_hash)
			VALUES ($1, 'b', $2, $3, 'read', $4, 'open', 'h')`, store.NewID(), store.TS(at), resourceID, true)
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestSnapshotFromRecords(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		now := time.Now()
		today := Today(now)
		yesterday := Today(now.AddDate(0, 0, -1))
		s := New(db)
		s.now = func() time.Time { return now.AddDate(0, 0, 2) }

		decide(t, db, w.Open.ID, now, 3)
		decide(t, db, w.Closed.ID, now.AddDate(0, 0, -1), 2) // the day before: no resource was published then

		snap, taken, err := s.TakeSnapshot(ctx, today)
		if err != nil || !taken {
			t.Fatalf("take %s: %v %v", today, taken, err)
		}
		vals, err := s.SnapshotValues(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		if got := hashValues(vals); got != snap.Hash {
			t.Errorf("stored values hash to %s, snapshot says %s", got, snap.Hash)
		}
		want := []struct {
			org, code string
			value     float64
		}{
			{CityWide, ResourcesPublished, 6}, // draft and retired not counted
			{w.Provider.ID, ResourcesPublished, 6},
			{w.Requester.ID, ResourcesPublished, 0},
			{w.Provider.ID, OpenResources, 4},
			{w.Provider.ID, DataCoverage, 0},
			{CityWide, APICalls, 3},
			{w.Provider.ID, APICalls, 3},
			{w.Requester.ID, APICalls, 0},
		}
		for _, c := range want {
			v, ok := valueOf(vals, c.org, c.code)
			if !ok || v.Value != c.value {
				t.Errorf("%s of %q = %v (present %v), want %v", c.code, c.org, v.Value, ok, c.value)
			}
		}
		if _, ok := valueOf(vals, w.Company.ID, ResourcesPublished); ok {
			t.Error("a company has values: only institutions and the operator are units")
		}
		if _, ok := valueOf(vals, w.Provider.ID, FreshnessRate); ok {
			t.Error("freshness of an institution without data has a value; want none (no denominator)")
		}

		// Idempotent: the same day again takes nothing and emits nothing.
		again, taken, err := s.TakeSnapshot(ctx, today)
		if err != nil || taken || again.Hash != snap.Hash {
			t.Fatalf("again: taken %v hash %s err %v, want the first (%s)", taken, again.Hash, err, snap.Hash)
		}
		evs, err := db.Events(ctx, store.EventFilter{Type: "stats.snapshot.taken"})
		if err != nil || len(evs) != 1 || evs[0].SubjectID != today {
			t.Fatalf("events %v %v, want one for %s", evs, err, today)
		}

		// The day before, as the records stood then: no institution yet.
		prev, _, err := s.TakeSnapshot(ctx, yesterday)
		if err != nil {
			t.Fatal(err)
		}
		if prev.Orgs != 0 {
			t.Errorf("institutions the day before = %d, want 0 (all created today)", prev.Orgs)
		}
		pv, _ := s.SnapshotValues(ctx, yesterday)
		if v, _ := valueOf(pv, CityWide, APICalls); v.Value != 2 {
			t.Errorf("calls the day before = %v, want 2", v.Value)
		}

		// A month: flows summed over its days, stocks from its last day.
		for _, period := range []string{today[:7], today[:4]} {
			tab, err := s.Indicators(ctx, period)
			if err != nil {
				t.Fatal(err)
			}
			if today[:7] != yesterday[:7] && period == today[:7] {
				continue // the two days fall in two months
			}
			if v, _ := tableValue(tab, CityWide, APICalls); v != 5 {
				t.Errorf("%s calls = %v, want 5 (3 + 2)", period, v)
			}
			if v, _ := tableValue(tab, w.Provider.ID, ResourcesPublished); v != 6 {
				t.Errorf("%s published = %v, want 6 (the last day's)", period, v)
			}
			if tab.To != today || len(tab.Orgs) == 0 {
				t.Errorf("%s: to %s orgs %d", period, tab.To, len(tab.Orgs))
			}
		}

		// A day not over yet is refused; a malformed day is a field error.
		s.now = time.Now
		if _, _, err := s.TakeSnapshot(ctx, Today(time.Now().AddDate(0, 0, 1))); err == nil {
			t.Error("today's snapshot taken before the day ended")
		}
		var fe validate.Errors
		if _, _, err := s.TakeSnapshot(ctx, "2026-13-01"); !errors.As(err, &fe) || fe[0].Field != "day" {
			t.Errorf("bad day: %v", err)
		}
		if _, err := s.Indicators(ctx, "26-11"); !errors.As(err, &fe) || fe[0].Field != "period" {
			t.Errorf("bad period: %v", err)
		}
	})
}

func TestParsePeriod(t *testing.T) {
	for _, test := range []struct{ in, from, to string }{
		{"2026", "2026-01-01", "2026-12-31"},
		{"2024-02", "2024-02-01", "2024-02-29"},
		{"2026-11-30", "2026-11-30", "2026-11-30"},
		{"2026-1", "", ""},
		{"2026-02-30", "", ""},
		{"abcd", "", ""},
		{"", "", ""},
	} {
		t.Run(test.in, func(t *testing.T) {
			p, err := ParsePeriod("period", test.in)
			if (err != nil) != (test.from == "") || p.From != test.from || p.To != test.to {
				t.Errorf("ParsePeriod(%q) = %+v, %v; want %s..%s", test.in, p, err, test.from, test.to)
			}
		})
	}
}

// TestRowsServed counts the rows served that the access service reports:
// two reads of an open resource through the real decision point, 40 and 2
// rows, are 42 rows served for the provider on the day's snapshot once
// flushed, sealed by a stats.rows_served.counted event; a flush with
// nothing counted writes nothing.
func TestRowsServed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		acc := access.New(db, w.Cat, access.Config{Rules: accesstest.Rules{}})
		t.Cleanup(acc.Close)
		s := New(db)
		s.now = func() time.Time { return time.Now().AddDate(0, 0, 2) }
		acc.OnLogged(s.OnLogged)
		for _, n := range []int64{40, 2} {
			d, err := acc.Decide(ctx, access.Request{Subject: w.Citizen, ResourceID: w.Open.ID, Action: access.ActionRead,
				Channel: access.ChannelAPIRows})
			if err != nil || !d.Allow {
				t.Fatalf("decide: %+v %v", d, err)
			}
			if err := acc.RecordRows(ctx, d, n); err != nil {
				t.Fatal(err)
			}
		}
		if err := acc.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.FlushServed(ctx); err != nil {
			t.Fatal(err)
		}
		evs, _ := db.Events(ctx, store.EventFilter{Type: "stats.rows_served.counted"})
		if err := s.FlushServed(ctx); err != nil {
			t.Fatal(err)
		}
		again, _ := db.Events(ctx, store.EventFilter{Type: "stats.rows_served.counted"})
		if len(evs) != 1 || len(again) != 1 {
			t.Errorf("%d events after the flush, %d after an empty one; want 1 and 1", len(evs), len(again))
		}
		today := Today(time.Now())
		if _, _, err := s.TakeSnapshot(ctx, today); err != nil {
			t.Fatal(err)
		}
		vals, _ := s.SnapshotValues(ctx, today)
		for _, org := range []string{w.Provider.ID, CityWide} {
			if v, _ := valueOf(vals, org, RowsServed); v.Value != 42 {
				t.Errorf("rows served of %q = %v, want 42", org, v.Value)
			}
			if v, _ := valueOf(vals, org, APICalls); v.Value != 2 {
				t.Errorf("calls of %q = %v, want 2", org, v.Value)
			}
		}
	})
}
