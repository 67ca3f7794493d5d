package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"dataport/internal/stats"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestSeedStats seeds the demo city with its open lists and data, then its
// statistics as `dataport demo` does, and checks that every day from
// StatsFrom to yesterday has a snapshot whose hash is the SHA-256 of its
// values; that the figures come from the backdated records (the city's
// published resources grow to all of them, reads grow over the period);
// that backdating turned no fresh resource stale; and that seeding again
// changes nothing.
func TestSeedStats(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city and a year and more of snapshots")
	}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			a := seededApp(t, d)
			if err := SeedAccess(ctx, AccessServices{Identity: a.Identity, Catalog: a.Catalog, Sharing: a.Sharing, Opening: a.Opening}); err != nil {
				t.Fatal(err)
			}
			if err := SeedRows(ctx, a.Catalog, a.Datastore()); err != nil {
				t.Fatal(err)
			}
			staleBefore, err := a.Datastore().CheckTimeliness(ctx, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			s := StatsServices{DB: a.DB, Stats: a.Stats}
			if err := SeedStats(ctx, s); err != nil {
				t.Fatal(err)
			}
			t.Logf("SeedStats took %v", time.Since(start))

			from, yesterday := StatsFrom(time.Now()).Format(time.DateOnly), stats.Today(time.Now().AddDate(0, 0, -1))
			snaps, err := a.Stats.Snapshots(ctx, "", "", 1000)
			if err != nil {
				t.Fatal(err)
			}
			days := int(time.Now().Sub(StatsFrom(time.Now())).Hours() / 24)
			if len(snaps) != days || snaps[0].Day != yesterday || snaps[len(snaps)-1].Day != from {
				t.Fatalf("%d snapshots %s..%s, want %d from %s to %s", len(snaps), snaps[len(snaps)-1].Day, snaps[0].Day, days, from, yesterday)
			}
			for _, day := range []string{from, snaps[len(snaps)/2].Day, yesterday} {
				detail, err := a.Stats.Day(ctx, day)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := json.Marshal(detail.Values)
				if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != detail.Hash {
					t.Errorf("%s: the values do not hash to the snapshot's hash", day)
				}
			}

			var published float64
			if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM resources WHERE published_at IS NOT NULL AND status <> 'retired'`).
				Scan(&published); err != nil {
				t.Fatal(err)
			}
			first, last := cityValue(t, a.Stats, from, stats.ResourcesPublished), cityValue(t, a.Stats, yesterday, stats.ResourcesPublished)
			if last != published || first >= last || first == 0 {
				t.Errorf("published resources %v on %s and %v on %s, want fewer growing to all %v", first, from, last, yesterday, published)
			}
			early, late := cityValue(t, a.Stats, from[:7], stats.APICalls), cityValue(t, a.Stats, yesterday[:7], stats.APICalls)
			if early == 0 || late <= early {
				t.Errorf("reads in %s: %v, in %s: %v; want reads growing", from[:7], early, yesterday[:7], late)
			}
			if staleAfter, err := a.Datastore().CheckTimeliness(ctx, time.Now()); err != nil || staleAfter != staleBefore {
				t.Errorf("stale resources %d before backdating, %d after (%v)", staleBefore, staleAfter, err)
			}

			events := storetest.CountRows(t, a.DB, "events", "stats_values", "access_decisions")
			if err := SeedStats(ctx, s); err != nil {
				t.Fatal(err)
			}
			storetest.AssertUnchanged(t, a.DB, events)
		})
	}
}

// cityValue is an indicator's city-wide value of period.
func cityValue(t *testing.T, s *stats.Service, period, code string) float64 {
	t.Helper()
	tab, err := s.Indicators(context.Background(), period)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range tab.Values {
		if v.OrgID == stats.CityWide && v.Indicator == code {
			return v.Value
		}
	}
	return 0
}
