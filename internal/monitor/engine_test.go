package monitor

import (
	"context"
	"strings"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// ruleEngine is an engine (without a store) running the default rule code,
// its body changed by the replacements in edits.
func ruleEngine(t *testing.T, code string, edits ...string) *engine {
	t.Helper()
	s := New(nil, Config{QueueSize: 1})
	for _, body := range DefaultRules {
		if !strings.HasPrefix(body, "code: "+code+"\n") {
			continue
		}
		for i := 0; i < len(edits); i += 2 {
			body = strings.Replace(body, edits[i], edits[i+1], 1)
		}
		c, err := compile(body)
		if err != nil {
			t.Fatal(err)
		}
		c.ID = code
		s.rules.Store(&[]*compiled{c})
		return s.engine
	}
	t.Fatalf("no default rule %s", code)
	return nil
}

// fired evaluates obs and returns the hits, clearing them.
func (e *engine) fired(obs ...Observation) []hit {
	for i := range obs {
		e.handle(&obs[i])
	}
	out := e.pending
	e.pending = nil
	return out
}

var t0 = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC) // 10:00 in Beijing

func rowsRead(user string, at time.Time, rows int64) Observation {
	return Observation{Source: SourceDecision, At: at, Subject: "user:" + user, UserID: user, DecisionID: "d" + at.Format("150405.000"),
		Allow: true, RowsReported: true, Rows: rows}
}

func TestBaselineRule(t *testing.T) {
	e := ruleEngine(t, RuleBulkDownload)
	// 40 rows every 10-minute window for an hour: the subject's baseline.
	for i := range 6 {
		if h := e.fired(rowsRead("u1", t0.Add(time.Duration(i)*10*time.Minute), 40)); len(h) != 0 {
			t.Fatalf("window %d fired: %+v", i, h[0].figures)
		}
	}
	// 900 rows: more than 10× the baseline but under the floor of 1,000.
	if h := e.fired(rowsRead("u1", t0.Add(61*time.Minute), 900)); len(h) != 0 {
		t.Fatalf("900 rows fired: %+v", h[0].figures)
	}
	// Another subject's first window is no history: 5,000 rows do not fire.
	if h := e.fired(rowsRead("u2", t0.Add(62*time.Minute), 5000)); len(h) != 0 {
		t.Fatalf("a subject without history fired: %+v", h[0].figures)
	}
	// The next window: the baseline moved to 0.2×900 + 0.8×40 = 212, so
	// 2,000 rows (under 10× 212) do not fire, 2,700 do.
	if h := e.fired(rowsRead("u1", t0.Add(71*time.Minute), 200), rowsRead("u1", t0.Add(72*time.Minute), 1800)); len(h) != 0 {
		t.Fatalf("2,000 rows fired: %+v", h[0].figures)
	}
	h := e.fired(rowsRead("u1", t0.Add(73*time.Minute), 700))
	if len(h) != 1 || h[0].subject != "user:u1" || h[0].figures["window_sum"] != float64(2700) || len(h[0].evidence) != 3 {
		t.Fatalf("2,700 rows in the window: %+v", h)
	}
	if b := h[0].figures["baseline"].(float64); b < 211.9 || b > 212.1 || h[0].evidence[0].At != t0.Add(71*time.Minute) {
		t.Errorf("baseline %v, evidence %+v: want 212 and the window's three reads", b, h[0].evidence)
	}
	// Once per window: more rows in the same window add nothing.
	if h := e.fired(rowsRead("u1", t0.Add(74*time.Minute), 5000)); len(h) != 0 {
		t.Errorf("fired twice in a window")
	}
}

func TestHoursRule(t *testing.T) {
	e := ruleEngine(t, RuleOffHours)
	use := func(at time.Time) Observation {
		return Observation{Source: SourceDecision, At: at, Subject: "user:u", GrantID: "g1", Allow: true, DecisionID: "d"}
	}
	for d := range 20 { // 20 mornings, 10:00 and 11:00 in Beijing
		if h := e.fired(use(t0.AddDate(0, 0, -d).Add(time.Duration(d%2) * time.Hour))); len(h) != 0 {
			t.Fatalf("history fired: %+v", h[0].figures)
		}
	}
	if h := e.fired(use(t0.Add(time.Hour + 30*time.Minute))); len(h) != 0 {
		t.Fatalf("a usual hour fired: %+v", h[0].figures)
	}
	night := time.Date(2026, 12, 7, 19, 20, 0, 0, time.UTC) // 03:20 in Beijing
	h := e.fired(use(night))
	if len(h) != 1 || h[0].subject != "grant:g1" || h[0].figures["hour"] != 3 {
		t.Fatalf("the night use: %+v", h)
	}
	if usual := h[0].figures["usual_hours"].([]int); len(usual) != 2 || usual[0] != 10 || usual[1] != 11 {
		t.Errorf("usual hours %v", usual)
	}
}

func TestReidRule(t *testing.T) {
	e := ruleEngine(t, RuleReidQI)
	read := func(filter []string, rows int64) Observation {
		return Observation{Source: SourceDecision, At: t0, Subject: "user:r", Allow: true, RowsReported: true, Rows: rows, ProfileID: "p",
			QuasiIdentifiers: []string{"district", "age_band"}, K: 5, FilterFields: filter, DecisionID: "d"}
	}
	for _, o := range []Observation{read(nil, 2), read([]string{"year"}, 1), read([]string{"district"}, 5)} {
		if h := e.fired(o); len(h) != 0 {
			t.Errorf("%v with %d rows fired", o.FilterFields, o.Rows)
		}
	}
	if h := e.fired(read([]string{"year", "age_band"}, 2)); len(h) != 1 || h[0].subject != "user:r" {
		t.Fatalf("2 rows filtered on a quasi-identifier: %+v", h)
	}
}

// TestDecisionEventsOfLateRows: rows reported in a later batch than their
// decision carry the decision's batch event.
func TestDecisionEventsOfLateRows(t *testing.T) {
	e := ruleEngine(t, RuleReidQI)
	d := Observation{Source: SourceDecision, At: t0, Subject: "user:r", Allow: true, DecisionID: "d1", EventID: "batch-1"}
	late := Observation{Source: SourceDecision, At: t0, Subject: "user:r", Allow: true, RowsReported: true, Rows: 1, DecisionID: "d1",
		ProfileID: "p", QuasiIdentifiers: []string{"district"}, K: 5, FilterFields: []string{"district"}}
	h := e.fired(d, late)
	if len(h) != 1 || h[0].evidence[0].EventID != "batch-1" || h[0].evidence[0].ID != "d1" {
		t.Fatalf("hits %+v", h)
	}
}

// TestEventRulesFollowTheEventsTable: a rule on workflow events sees the
// events committed after the monitor started, once each; its cursor is
// kept, so a monitor started again on the store resumes after them.
func TestEventRulesFollowTheEventsTable(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		emit := func(typ string) {
			if err := db.Transact(ctx, func(tx *store.Tx) error {
				return tx.Emit(ctx, store.Event{Type: typ, ActorUserID: "u9", SubjectKind: "share_request", SubjectID: store.NewID()}, nil)
			}); err != nil {
				t.Fatal(err)
			}
		}
		emit("sharing.request.rejected") // before the monitor: not looked at
		body := "code: rejections\nname_zh: 拒绝\nname_en: Rejections\nseverity: low\nsource: event\n" +
			"where: event_type == 'sharing.request.rejected'\ncorrelate:\n  type: count\n  group_by: [actor_user_id]\n  window: 1h\n  threshold: 2\n"
		open := func() *Service {
			s := New(db, Config{EventPoll: 20 * time.Millisecond})
			if err := s.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.Start(ctx); err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := open()
		officer := securityOfficer()
		if _, err := s.CreateRule(ctx, officer, RuleInput{Body: body}); err != nil {
			t.Fatal(err)
		}
		emit("sharing.request.rejected")
		emit("sharing.request.approved")
		time.Sleep(100 * time.Millisecond)
		s.Flush(ctx)
		if a, _, _ := s.Alerts(ctx, officer, AlertFilter{Rule: "rejections"}); len(a) != 0 {
			t.Fatalf("one rejection since the start raised %d alerts", len(a))
		}
		s.Stop()
		emit("sharing.request.rejected") // while stopped: the next monitor resumes here
		s = open()
		defer s.Stop()
		emit("sharing.request.rejected")
		time.Sleep(100 * time.Millisecond)
		s.Flush(ctx)
		a, _, err := s.Alerts(ctx, officer, AlertFilter{Rule: "rejections"})
		if err != nil || len(a) != 1 || a[0].Subject != "actor_user:u9" || len(a[0].Evidence) != 2 || a[0].Evidence[0].Kind != "event" {
			t.Fatalf("alerts %+v, %v; want one about u9 resting on two rejections", a, err)
		}
		// Windows live in memory: the restarted monitor counted the
		// rejection made while it was stopped and the one after, not those
		// the first one had handled.
		ev, err := db.Events(ctx, store.EventFilter{Type: "sharing.request.rejected"})
		if err != nil || len(ev) != 4 {
			t.Fatalf("events %d, %v", len(ev), err)
		}
		if a[0].Evidence[0].EventID != ev[1].ID || a[0].Evidence[1].EventID != ev[0].ID {
			t.Errorf("evidence %+v, want the last two rejections %s, %s", a[0].Evidence, ev[1].ID, ev[0].ID)
		}
	})
}

// TestQueueDropsWhenFull: a full queue drops observations and counts them;
// Observe never blocks.
func TestQueueDropsWhenFull(t *testing.T) {
	s := New(nil, Config{QueueSize: 2})
	done := make(chan struct{})
	go func() {
		for range 5 {
			s.Observe(Observation{Source: SourceDecision})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Observe blocked on a full queue")
	}
	if got := counterValue(s.metrics.dropped); got != 3 {
		t.Errorf("dropped = %v, want 3", got)
	}
}

func securityOfficer() identity.Principal {
	return identity.Principal{UserID: "officer", Username: "officer", PlatformRoles: []identity.PlatformRole{identity.PlatformSecurity}}
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}
