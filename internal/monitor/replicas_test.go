package monitor

import (
	"context"
	"os"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestOneReplicaTailsTheEvents: two monitors on one PostgreSQL database, as
// two replicas run them. A workflow event is counted once, by the replica
// holding the tail's lock, so a rule of two rejections fires on the second
// and the alert rests on both, whichever replica each came through; when
// that replica stops, the other takes the tail over from its cursor.
func TestOneReplicaTailsTheEvents(t *testing.T) {
	dsn := os.Getenv(storetest.EnvPostgres)
	if dsn == "" {
		t.Skip("replicas share a PostgreSQL database: set " + storetest.EnvPostgres)
	}
	ctx := context.Background()
	url := storetest.NewSchema(t, dsn)
	db, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db2, err := store.Open(ctx, store.Config{URL: url}) // the second replica's own pool
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	emit := func(db *store.DB, typ string) {
		t.Helper()
		if err := db.Transact(ctx, func(tx *store.Tx) error {
			return tx.Emit(ctx, store.Event{Type: typ, ActorUserID: "u7", SubjectKind: "share_request", SubjectID: store.NewID()}, nil)
		}); err != nil {
			t.Fatal(err)
		}
	}
	open := func(db *store.DB) *Service {
		s := New(db, Config{EventPoll: 20 * time.Millisecond})
		if err := s.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	officer := securityOfficer()
	body := "code: rejections\nname_zh: 拒绝\nname_en: Rejections\nseverity: low\nsource: event\n" +
		"where: event_type == 'sharing.request.rejected'\ncorrelate:\n  type: count\n  group_by: [actor_user_id]\n  window: 1h\n  threshold: 2\n"
	a, b := open(db), open(db2)
	defer a.Stop()
	defer b.Stop()
	if _, err := a.CreateRule(ctx, officer, RuleInput{Body: body}); err != nil {
		t.Fatal(err)
	}
	if err := b.reloadRules(ctx); err != nil {
		t.Fatal(err)
	}
	settle := func() {
		time.Sleep(200 * time.Millisecond)
		a.Flush(ctx)
		b.Flush(ctx)
	}
	settle()
	owners := 0
	for _, s := range []*Service{a, b} {
		if s.engine.tail.owner != nil {
			owners++
		}
	}
	if owners != 1 {
		t.Fatalf("%d replicas tail the events, want 1", owners)
	}
	emit(db, "sharing.request.rejected")
	emit(db2, "sharing.request.rejected")
	settle()
	alerts, _, err := a.Alerts(ctx, officer, AlertFilter{Rule: "rejections"})
	if err != nil || len(alerts) != 1 || len(alerts[0].Evidence) != 2 {
		t.Fatalf("alerts %+v, %v; want one alert resting on the two rejections", alerts, err)
	}
	first := alerts[0].ID

	// The tailing replica stops; the other takes over from its cursor:
	// the two rejections already counted are not counted again.
	owner, rest := a, b
	if b.engine.tail.owner != nil {
		owner, rest = b, a
	}
	owner.Stop()
	emit(db, "sharing.request.approved")
	if !eventuallyTrue(5*time.Second, func() bool { rest.Flush(ctx); return rest.engine.tail.owner != nil }) {
		t.Fatal("the other replica did not take the events tail over")
	}
	settle()
	alerts, _, err = rest.Alerts(ctx, officer, AlertFilter{Rule: "rejections"})
	if err != nil || len(alerts) != 1 || alerts[0].ID != first || len(alerts[0].Evidence) != 2 {
		t.Fatalf("after the takeover: alerts %+v, %v; want the one alert, still on two rejections", alerts, err)
	}
}

func eventuallyTrue(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
