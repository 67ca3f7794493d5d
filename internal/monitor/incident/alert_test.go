package incident_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/identity"
	"dataport/internal/monitor"
	"dataport/internal/monitor/incident"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

// TestOpenFromAlert raises a real alert (ten denied reads of one user,
// the monitor's repeated_denials rule) and turns it into an incident: the
// deadlines count from the alert's creation, the alert is escalated to
// the incident in the same transaction, and a second escalation of the
// same alert writes no second incident.
func TestOpenFromAlert(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := &world{World: accesstest.New(t, db)}
		w.security = w.NewUser(t, "security", identity.PlatformSecurity)
		acc := access.New(db, w.Cat, access.Config{Rules: accesstest.Rules{}})
		mon := monitor.New(db, monitor.Config{})
		if err := mon.Load(ctx); err != nil {
			t.Fatal(err)
		}
		acc.OnLogged(mon.OnLogged)
		if err := mon.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { acc.Close(); mon.Stop() })
		w.svc = incident.New(db, w.IDs, w.Cat, mon, incident.Config{})

		for range 10 {
			if _, err := acc.Decide(ctx, access.Request{Subject: w.Unaffiliated, ResourceID: w.Unshared.ID, Action: access.ActionRead}); err != nil {
				t.Fatal(err)
			}
		}
		if err := acc.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := mon.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		alerts, _, err := mon.Alerts(ctx, w.security, monitor.AlertFilter{Rule: monitor.RuleRepeatedDenials})
		if err != nil || len(alerts) != 1 {
			t.Fatalf("alerts %v %v", alerts, err)
		}
		alert := alerts[0]

		in := incident.Details{OrgID: w.Provider.ID, Title: "重复越权访问执法车辆轨迹", Kind: incident.KindUnauthorized,
			Level: incident.LevelMajor, ResourceIDs: []string{w.Unshared.ID}, PersonsAffected: 0}
		if _, err := w.svc.OpenFromAlert(ctx, w.ProviderAdmin, alert.ID, in); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("the unit's admin turns an alert into an incident: %v", err)
		}
		inc, err := w.svc.OpenFromAlert(ctx, w.security, alert.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if inc.AlertID != alert.ID || !inc.DiscoveredAt.Equal(alert.CreatedAt) || !inc.ReportDue.Equal(alert.CreatedAt.Add(4*time.Hour)) ||
			inc.NotifyDue != nil {
			t.Errorf("incident from alert created %v: %+v", alert.CreatedAt, inc)
		}
		after, err := mon.Alert(ctx, w.security, alert.ID)
		if err != nil || after.State != monitor.StateEscalated || after.IncidentID != inc.ID {
			t.Fatalf("the alert after: %+v %v", after, err)
		}
		types, payloads := events(t, db, inc.ID)
		if !slices.Equal(types, []string{"incident.opened"}) || payloads[0]["alert_id"] != alert.ID ||
			payloads[0]["alert_rule"] != monitor.RuleRepeatedDenials {
			t.Errorf("events %v %v", types, payloads)
		}
		escalated, err := db.Events(ctx, store.EventFilter{SubjectKind: "monitor_alert", SubjectID: alert.ID, Type: "monitor.alert.escalated"})
		if err != nil || len(escalated) != 1 {
			t.Fatalf("escalation events %v %v", escalated, err)
		}

		// The alert is escalated already: refused, and nothing is written.
		var refusal *validate.Refusal
		if _, err := w.svc.OpenFromAlert(ctx, w.security, alert.ID, in); !errors.As(err, &refusal) || refusal.Code != "alert_settled" {
			t.Fatalf("a second incident from the alert: %v", err)
		}
		if n := count(t, db, `SELECT count(*) FROM incidents`); n != 1 {
			t.Errorf("%d incidents after the refused escalation", n)
		}
		if _, err := w.svc.OpenFromAlert(ctx, w.security, "no-such-alert", in); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an alert that does not exist: %v", err)
		}
	})
}
