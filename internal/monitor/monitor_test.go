package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/monitor"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

// world is the access test city with the monitor wired as the application
// wires it: on the decision log's committed batches and on sign-ins.
type world struct {
	*accesstest.World
	acc      *access.Service
	mon      *monitor.Service
	security identity.Principal
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	w := &world{World: accesstest.New(t, db)}
	w.security = w.NewUser(t, "security", identity.PlatformSecurity)
	w.acc = access.New(db, w.Cat, access.Config{Rules: accesstest.Rules{}})
	w.mon = monitor.New(db, monitor.Config{})
	ctx := context.Background()
	if err := w.mon.Load(ctx); err != nil {
		t.Fatal(err)
	}
	w.acc.OnLogged(w.mon.OnLogged)
	w.IDs.OnSignIn(w.mon.OnSignIn)
	if err := w.mon.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.acc.Close(); w.mon.Stop() })
	return w
}

// settle waits until every decision so far is logged and evaluated.
func (w *world) settle(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := w.acc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.mon.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func (w *world) alerts(t *testing.T, rule string) []monitor.Alert {
	t.Helper()
	items, _, err := w.mon.Alerts(context.Background(), w.security, monitor.AlertFilter{Rule: rule})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func (w *world) read(t *testing.T, p identity.Principal, r catalog.Resource) access.Decision {
	t.Helper()
	d, err := w.acc.Decide(context.Background(), access.Request{Subject: p, ResourceID: r.ID, Action: access.ActionRead})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRepeatedDenials(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for range 9 {
			w.read(t, w.Unaffiliated, w.Unshared)
		}
		w.settle(t)
		if got := w.alerts(t, monitor.RuleRepeatedDenials); len(got) != 0 {
			t.Fatalf("9 denials raised %d alerts, want none below the threshold of 10", len(got))
		}
		d := w.read(t, w.Unaffiliated, w.Unshared)
		w.settle(t)
		got := w.alerts(t, monitor.RuleRepeatedDenials)
		if len(got) != 1 {
			t.Fatalf("10 denials raised %d alerts, want 1", len(got))
		}
		a := got[0]
		if a.Subject != "user:"+w.Unaffiliated.UserID || a.Severity != monitor.SeverityMedium || a.State != monitor.StateNew {
			t.Errorf("alert = %+v", a)
		}
		if len(a.Evidence) != 10 || a.Evidence[9].ID != d.ID || a.Evidence[9].Kind != "decision" || a.Evidence[9].EventID == "" {
			t.Fatalf("evidence = %+v, want the 10 decisions, the last %s, with their batch events", a.Evidence, d.ID)
		}
		ev, err := db.Events(context.Background(), store.EventFilter{SubjectKind: "decision_batch", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(ev, func(e store.Event) bool { return e.ID == a.Evidence[9].EventID }) {
			t.Errorf("evidence event %s is not an access.decisions event", a.Evidence[9].EventID)
		}
		raised, err := db.Events(context.Background(), store.EventFilter{SubjectKind: "monitor_alert", SubjectID: a.ID})
		if err != nil || len(raised) != 1 || raised[0].Type != "monitor.alert.raised" {
			t.Fatalf("events of the alert = %+v, %v", raised, err)
		}
		// The other readers' clean reads raise nothing.
		for range 20 {
			w.read(t, w.Citizen, w.Open)
		}
		w.settle(t)
		all, _, err := w.mon.Alerts(context.Background(), w.security, monitor.AlertFilter{})
		if err != nil || len(all) != 1 {
			t.Fatalf("alerts = %d, %v; want only the repeated denials", len(all), err)
		}
	})
}

func TestCredentialStuffing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		for i := range 10 {
			if _, err := w.IDs.Authenticate(ctx, fmt.Sprintf("victim%02d", i), "wrong-password", "203.0.113.7"); !errors.Is(err, identity.ErrBadCredentials) {
				t.Fatalf("sign-in %d: %v", i, err)
			}
			if i == 8 {
				w.settle(t)
				if got := w.alerts(t, monitor.RuleCredentialStuffing); len(got) != 0 {
					t.Fatalf("9 accounts raised %d alerts", len(got))
				}
			}
		}
		// Other addresses' failures do not count towards this one.
		w.IDs.Authenticate(ctx, "someone", "wrong", "198.51.100.1")
		w.settle(t)
		got := w.alerts(t, monitor.RuleCredentialStuffing)
		if len(got) != 1 || !strings.HasPrefix(got[0].Subject, "address:") || len(got[0].Evidence) != 10 {
			t.Fatalf("alerts = %+v, want one about the address with 10 failed sign-ins", got)
		}
		if strings.Contains(got[0].Subject, "203.0.113.7") {
			t.Error("the subject names the raw address")
		}
		for _, e := range got[0].Evidence {
			if e.Kind != "signin" || e.EventID == "" {
				t.Errorf("evidence %+v is not a sealed failed sign-in", e)
			}
		}
		failed, err := db.Events(ctx, store.EventFilter{Type: "identity.signin.failed", Limit: 100})
		if err != nil || len(failed) != 11 {
			t.Fatalf("identity.signin.failed events = %d, %v; want 11", len(failed), err)
		}
		if strings.Contains(string(failed[0].Payload), "someone") || strings.Contains(string(failed[0].Payload), "198.51") {
			t.Errorf("a failed sign-in's event carries the username or address: %s", failed[0].Payload)
		}
	})
}

func TestAlertStates(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		raise := func() monitor.Alert {
			for range 10 {
				w.read(t, w.Unaffiliated, w.Unshared)
			}
			w.settle(t)
			got := w.alerts(t, monitor.RuleRepeatedDenials)
			return got[0]
		}
		a := raise()
		if _, err := w.mon.Acknowledge(ctx, w.Auditor, a.ID, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the auditor acknowledged: %v", err)
		}
		if _, err := w.mon.Alert(ctx, w.Auditor, a.ID); err != nil {
			t.Errorf("the auditor cannot see the alert: %v", err)
		}
		if _, err := w.mon.Alert(ctx, w.Citizen, a.ID); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a citizen saw the alert: %v", err)
		}
		a, err := w.mon.Acknowledge(ctx, w.security, a.ID, "looking")
		if err != nil || a.State != monitor.StateAcknowledged || a.OwnerUserID != w.security.UserID {
			t.Fatalf("acknowledge: %+v %v", a, err)
		}
		before := storetest.CountRows(t, db, "monitor_alerts", "events")
		var ve validate.Errors
		if _, err := w.mon.Assign(ctx, w.security, a.ID, w.Citizen.UserID); !errors.As(err, &ve) || ve[0].Field != "owner_user_id" {
			t.Errorf("assigning a citizen: %v", err)
		}
		if _, err := w.mon.Close(ctx, w.security, a.ID, true, " "); !errors.As(err, &ve) || ve[0].Field != "note" {
			t.Errorf("closing without a note: %v", err)
		}
		storetest.AssertUnchanged(t, db, before)
		if a, err = w.mon.Close(ctx, w.security, a.ID, true, "the account was probing; disabled"); err != nil || a.State != monitor.StateTruePositive {
			t.Fatalf("close: %+v %v", a, err)
		}
		if _, err := w.mon.Acknowledge(ctx, w.security, a.ID, ""); !errors.Is(err, catalog.ErrState) {
			t.Errorf("acknowledged a closed alert: %v", err)
		}
		// A further burst after closing raises a new alert, which is escalated.
		b := raise()
		if b.ID == a.ID {
			t.Fatal("a closed alert took the new hit")
		}
		err = db.Transact(ctx, func(tx *store.Tx) error {
			b, err = w.mon.Escalate(ctx, tx, w.security, b.ID, "incident-1")
			return err
		})
		if err != nil || b.State != monitor.StateEscalated || b.IncidentID != "incident-1" {
			t.Fatalf("escalate: %+v %v", b, err)
		}
		escalated, _, _ := w.mon.Alerts(ctx, w.security, monitor.AlertFilter{State: monitor.StateEscalated})
		if len(escalated) != 1 || escalated[0].ID != b.ID {
			t.Errorf("escalated alerts = %+v", escalated)
		}
	})
}

func TestRuleValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		rules, err := w.mon.Rules(ctx, w.Auditor)
		if err != nil || len(rules) != 7 {
			t.Fatalf("rules = %d, %v; want the 7 defaults", len(rules), err)
		}
		before := storetest.CountRows(t, db, "monitor_rules", "events")
		for _, test := range []struct {
			name, body string
			line       int
			code       string
		}{
			{"not yaml", "code: x\n  bad: [", 2, monitor.CodeRuleYAML},
			{"unknown field", "code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: decision\nwhen: allow\n", 6, monitor.CodeRuleYAML},
			{"bad cel", "code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: decision\nwhere: allow &&\n", 6, monitor.CodeRuleCEL},
			{"not a bool", "code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: decision\nwhere: rows\n", 6, monitor.CodeRuleCEL},
			{"unknown variable", "code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: decision\nwhere: row > 1\n", 6, monitor.CodeRuleCEL},
			{"bad threshold", "code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: decision\ncorrelate:\n  type: count\n  group_by: [subject]\n  window: 10m\n  threshold: 0\n", 10, monitor.CodeRuleField},
			{"bad window", "code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: decision\ncorrelate:\n  type: count\n  group_by: [subject]\n  window: soon\n  threshold: 3\n", 9, monitor.CodeRuleYAML},
			{"bad group", "code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: decision\ncorrelate:\n  type: count\n  group_by: [rows]\n  window: 1m\n  threshold: 3\n", 8, monitor.CodeRuleField},
			{"taken code", strings.Replace(monitor.DefaultRules[0], "severity: high", "severity: low", 1), 0, validate.CodeDuplicate},
			// A lone "\r" ends a line, as "\r\n" and "\n" do (found by FuzzRuleBody: "\r0:").
			{"lone carriage returns", "code: abc\rname_zh: 甲\r\nname_en: A\rseverity: low\rsource: decision\rwhen: allow\r", 6, monitor.CodeRuleYAML},
		} {
			t.Run(test.name, func(t *testing.T) {
				_, err := w.mon.CreateRule(ctx, w.security, monitor.RuleInput{Body: test.body})
				var ve validate.Errors
				if !errors.As(err, &ve) || ve[0].Field != "body" || ve[0].Code != test.code {
					t.Fatalf("err = %v, want a %s problem on body", err, test.code)
				}
				if ve[0].Args[0] != test.line {
					t.Errorf("problem %q at line %v, want %d", ve[0].Message, ve[0].Args[0], test.line)
				}
				if test.line > 0 && ve[0].Value != strings.Split(strings.ReplaceAll(strings.ReplaceAll(test.body, "\r\n", "\n"), "\r", "\n"), "\n")[test.line-1] {
					t.Errorf("problem %q quotes %q, not line %d", ve[0].Message, ve[0].Value, test.line)
				}
			})
		}
		storetest.AssertUnchanged(t, db, before)
		if _, err := w.mon.CreateRule(ctx, w.Auditor, monitor.RuleInput{Body: monitor.DefaultRules[0]}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the auditor created a rule: %v", err)
		}
		// Tightening the default: three denials are enough now.
		r, err := w.mon.Rule(ctx, w.security, monitor.RuleRepeatedDenials)
		if err != nil {
			t.Fatal(err)
		}
		body := strings.Replace(r.Body, "threshold: 10", "threshold: 3", 1)
		if _, err := w.mon.UpdateRule(ctx, w.security, r.ID, monitor.RuleInput{Body: strings.Replace(body, "code: repeated_denials", "code: other_code", 1)}); err == nil {
			t.Error("a rule's code changed")
		}
		if r, err = w.mon.UpdateRule(ctx, w.security, r.ID, monitor.RuleInput{Body: body}); err != nil || !strings.Contains(r.Body, "threshold: 3") {
			t.Fatalf("update: %+v %v", r, err)
		}
		for range 3 {
			w.read(t, w.Unaffiliated, w.Unshared)
		}
		w.settle(t)
		if got := w.alerts(t, monitor.RuleRepeatedDenials); len(got) != 1 || len(got[0].Evidence) != 3 {
			t.Fatalf("after tightening, alerts = %+v", got)
		}
		ev, _ := db.Events(ctx, store.EventFilter{Type: "monitor.rule.updated"})
		if len(ev) != 1 {
			t.Errorf("monitor.rule.updated events = %d", len(ev))
		}
	})
}

var _ = time.Second
