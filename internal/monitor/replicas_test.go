package monitor

import (
	"context"
	"fmt"
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

// TestReplicasCountSignInsAndDecisionsTogether: sign-ins and decisions
// observed by two replicas count toward one threshold, evaluated where the
// events are tailed. A credential-stuffing run spread over both replicas,
// 5 accounts through each, raises the one alert its 10 accounts call for
// (the default rule's threshold), resting on all 10 attempts; with 4
// through each it stays under (a replica evaluating on its own would have
// stayed under in both cases). Then the evaluating replica stops and the other, now
// evaluating, counts what it observes itself.
func TestReplicasCountSignInsAndDecisionsTogether(t *testing.T) {
	dsn := os.Getenv(storetest.EnvPostgres)
	if dsn == "" {
		t.Skip("replicas share a PostgreSQL database: set " + storetest.EnvPostgres)
	}
	ctx := context.Background()
	url := storetest.NewSchema(t, dsn)
	var dbs [2]*store.DB
	var mons [2]*Service
	for i := range dbs {
		db, err := store.Open(ctx, store.Config{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		s := New(db, Config{EventPoll: 20 * time.Millisecond})
		if err := s.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer s.Stop()
		dbs[i], mons[i] = db, s
	}
	for _, s := range mons { // after a flush, each has settled whether it evaluates
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	evaluating, relaying := mons[0], mons[1]
	if mons[1].engine.tail.owner != nil {
		evaluating, relaying = mons[1], mons[0]
	}
	if relaying.engine.tail.owner != nil || evaluating.engine.tail.owner == nil {
		t.Fatal("want exactly one replica evaluating")
	}
	settle := func() {
		t.Helper()
		for _, s := range []*Service{relaying, evaluating, relaying, evaluating} {
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	signIn := func(s *Service, address, user string) {
		s.Observe(Observation{Source: SourceSignIn, At: time.Now(), EventID: store.NewID(), Reason: "bad_credentials",
			UsernameHash: "u-" + user, AddressHash: address, Subject: "address:" + address})
	}
	officer := securityOfficer()
	alertsOn := func(subject string) []Alert {
		t.Helper()
		all, _, err := evaluating.Alerts(ctx, officer, AlertFilter{Rule: RuleCredentialStuffing})
		if err != nil {
			t.Fatal(err)
		}
		var out []Alert
		for _, a := range all {
			if a.Subject == subject {
				out = append(out, a)
			}
		}
		return out
	}

	for i := range 4 {
		signIn(evaluating, "addr-under", fmt.Sprint("a", i))
		signIn(relaying, "addr-under", fmt.Sprint("b", i))
	}
	for i := range 5 {
		signIn(evaluating, "addr-over", fmt.Sprint("a", i))
		signIn(relaying, "addr-over", fmt.Sprint("b", i))
	}
	settle()
	if got := alertsOn("address:addr-under"); len(got) != 0 {
		t.Errorf("8 accounts over two replicas raised %d alerts, want none", len(got))
	}
	got := alertsOn("address:addr-over")
	if len(got) != 1 || len(got[0].Evidence) != 10 {
		t.Fatalf("10 accounts over two replicas: alerts %+v, want one on all 10 attempts", got)
	}
	var left int
	if err := dbs[0].QueryRowContext(ctx, `SELECT count(*) FROM monitor_inbox`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d relayed observations left in the inbox (%v)", left, err)
	}

	// Anonymous reads match no default rule: not relayed.
	relayed := counterValue(relaying.metrics.relayed)
	for range 50 {
		relaying.Observe(Observation{Source: SourceDecision, At: time.Now(), DecisionID: store.NewID(), EventID: store.NewID(),
			ResourceID: "r1", Action: "read", Channel: "api_rows", Allow: true, Reason: "open", Subject: "anonymous"})
	}
	settle()
	if n := counterValue(relaying.metrics.relayed) - relayed; n != 0 {
		t.Errorf("%v anonymous reads relayed, want none (no rule's condition holds for them)", n)
	}

	// A rule made through the relaying replica runs on the evaluating one
	// (and filters what is relayed) from its next poll on.
	body := "code: anon_reads\nname_zh: 匿名读取\nname_en: Anonymous reads\nseverity: low\nsource: decision\n" +
		"where: subject == 'anonymous' && resource_id == 'r2'\ncorrelate:\n  type: count\n  group_by: [resource_id]\n  window: 1h\n  threshold: 4\n"
	if _, err := relaying.CreateRule(ctx, officer, RuleInput{Body: body}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // a few polls of both (20 ms)
	settle()
	for range 2 {
		for _, s := range []*Service{relaying, evaluating} {
			s.Observe(Observation{Source: SourceDecision, At: time.Now(), DecisionID: store.NewID(), EventID: store.NewID(),
				ResourceID: "r2", Action: "read", Channel: "api_rows", Allow: true, Reason: "open", Subject: "anonymous"})
		}
	}
	settle()
	if all, _, err := evaluating.Alerts(ctx, officer, AlertFilter{Rule: "anon_reads"}); err != nil || len(all) != 1 || len(all[0].Evidence) != 4 {
		t.Fatalf("a rule made on the relaying replica: alerts %+v, %v; want one on 4 reads", all, err)
	}

	// The evaluating replica stops; the other takes the evaluation over and
	// no longer relays what it observes.
	evaluating.Stop()
	if !eventuallyTrue(5*time.Second, func() bool { relaying.Flush(ctx); return relaying.engine.tail.owner != nil }) {
		t.Fatal("the other replica did not take the evaluation over")
	}
	evaluating = relaying
	for i := range 10 {
		signIn(relaying, "addr-later", fmt.Sprint("c", i))
	}
	relaying.Flush(ctx)
	if got := alertsOn("address:addr-later"); len(got) != 1 || len(got[0].Evidence) != 10 {
		t.Fatalf("after the takeover: alerts %+v, want one on 10 attempts", got)
	}
}
