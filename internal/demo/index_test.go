package demo

import (
	"context"
	"testing"
	"time"

	"dataport/internal/stats"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestSeedIndex seeds the demo city and its statistics as `dataport demo`
// does, then its composite index: IndexYear is published by the platform
// operator with the shipped method, ranks most institutions from the
// backdated records (scores differ, not everyone tied first), each rank
// within its range, and seeding again writes nothing. SQLite only: the
// publication itself is tested on both stores in internal/stats, and the
// demo through the binary in cmd/dataport (TestStatsIndexRecomputedIndependently).
func TestSeedIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city and a year and more of snapshots")
	}
	ctx := context.Background()
	a := seededApp(t, store.SQLite)
	if err := SeedRows(ctx, a.Catalog, a.Datastore()); err != nil {
		t.Fatal(err)
	}
	if err := SeedStats(ctx, StatsServices{DB: a.DB, Stats: a.Stats}); err != nil {
		t.Fatal(err)
	}
	s := IndexServices{Identity: a.Identity, Stats: a.Stats}
	if err := SeedIndex(ctx, s); err != nil {
		t.Fatal(err)
	}
	rel, err := a.Stats.Index(ctx, IndexYear(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	op, err := a.Identity.UserByName(ctx, operatorName)
	if err != nil || rel.PublishedBy != op.ID || rel.Method.Version != stats.DefaultMethodVersion {
		t.Errorf("published by %s with %s, want the operator (%v) and the shipped method", rel.PublishedBy, rel.Method.Version, err)
	}
	scores := rel.Result.Scores
	if len(scores) < 8 || scores[0].Score == scores[len(scores)-1].Score {
		t.Errorf("%d institutions ranked, scores %v to %v: want most of the city's, told apart", len(scores), scores[0].Score,
			scores[len(scores)-1].Score)
	}
	for _, sc := range scores {
		if sc.RankMin > sc.Rank || sc.Rank > sc.RankMax {
			t.Errorf("%s: rank %d outside [%d, %d]", sc.Unit, sc.Rank, sc.RankMin, sc.RankMax)
		}
	}
	before := storetest.CountRows(t, a.DB, "events", "stats_index_releases")
	if err := SeedIndex(ctx, s); err != nil {
		t.Fatal(err)
	}
	storetest.AssertUnchanged(t, a.DB, before)
}
