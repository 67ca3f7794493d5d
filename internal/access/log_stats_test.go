package access_test

import (
	"context"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestLogStatsCountRefusedBatches: while the store refuses the decision
// log's inserts, LogStats counts the refused writes and the decisions
// queued behind them; once the store accepts them again every decision is
// written and none counted lost.
func TestLogStatsCountRefusedBatches(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		decide := func() {
			t.Helper()
			if _, err := s.Decide(ctx, access.Request{Subject: w.RequesterAdmin, ResourceID: w.Conditional.ID, Action: access.ActionRead}); err != nil {
				t.Fatal(err)
			}
		}
		if st := s.LogStats(); st.Queued != 0 || st.Capacity <= 0 || st.FailedWrites != 0 || st.LostRecords != 0 {
			t.Fatalf("at start: %+v", st)
		}
		refuse, accept := refuseInserts(db.Dialect)
		exec(t, db, refuse...)
		decide()
		waitFor(t, func() bool { return s.LogStats().FailedWrites > 0 }, "a refused write")
		for range 3 {
			decide()
		}
		if st := s.LogStats(); st.Queued != 3 {
			t.Errorf("queued behind the refused batch: %+v, want 3", st)
		}
		exec(t, db, accept...)
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if st := s.LogStats(); st.Queued != 0 || st.LostRecords != 0 {
			t.Errorf("after the store accepts again: %+v, want nothing queued or lost", st)
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM access_decisions WHERE resource_id = $1", w.Conditional.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 4 {
			t.Errorf("%d decisions written, want 4", n)
		}
	})
}

// refuseInserts returns statements that make the store refuse inserts into
// access_decisions, and those that undo it.
func refuseInserts(d store.Dialect) (refuse, accept []string) {
	if d == store.Postgres {
		return []string{
				`CREATE FUNCTION refuse_decisions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
				`CREATE TRIGGER refuse_decisions BEFORE INSERT ON access_decisions FOR EACH ROW EXECUTE FUNCTION refuse_decisions()`,
			},
			[]string{`DROP TRIGGER refuse_decisions ON access_decisions`, `DROP FUNCTION refuse_decisions()`}
	}
	return []string{`CREATE TRIGGER refuse_decisions BEFORE INSERT ON access_decisions BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`},
		[]string{`DROP TRIGGER refuse_decisions`}
}

func exec(t *testing.T, db *store.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
