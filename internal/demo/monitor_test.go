package demo

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"dataport/internal/app"
	"dataport/internal/monitor"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestSeedMonitor seeds the demo city's security monitoring through the
// application's own services, as `dataport demo` does, and checks what
// issue 17 asks of it: exactly one alert of each of the seven default
// rules, about the people and grants the activity was made for, each with
// evidence carried by sealed events; and that seeding again changes
// nothing.
func TestSeedMonitor(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city and its monitoring")
	}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			a := seededApp(t, d)
			if err := SeedDeid(ctx, DeidServices{Identity: a.Identity, Catalog: a.Catalog, Grades: a.Grades, Profiles: a.Profiles,
				Datastore: a.Datastore()}); err != nil {
				t.Fatal(err)
			}
			s := MonitorServices{DB: a.DB, Identity: a.Identity, Catalog: a.Catalog, Access: a.Access, Rules: a.Grades, Profiles: a.Profiles,
				Monitor: a.Monitor}
			if err := SeedMonitor(ctx, s); err != nil {
				t.Fatal(err)
			}
			officer, err := principalNamed(ctx, a.Identity, "security")
			if err != nil {
				t.Fatal(err)
			}
			alerts, _, err := a.Monitor.Alerts(ctx, officer, monitor.AlertFilter{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			byRule := map[string][]monitor.Alert{}
			for _, al := range alerts {
				byRule[al.Rule] = append(byRule[al.Rule], al)
			}
			person := func(name string) string {
				p, err := principalNamed(ctx, a.Identity, name)
				if err != nil {
					t.Fatal(err)
				}
				return p.UserID
			}
			want := map[string]string{ // rule → what its subject names
				monitor.RuleBulkDownload:       "user:" + person("wu.haoran"),
				monitor.RuleVolumeSpike:        "user:" + person("wu.haoran"),
				monitor.RuleRepeatedDenials:    "user:" + person("qian.yu"),
				monitor.RuleReidQI:             "user:" + person("feng.zhiyuan"),
				monitor.RuleOffHours:           "",
				monitor.RuleLapsedGrant:        "",
				monitor.RuleCredentialStuffing: "",
			}
			if len(alerts) != len(want) {
				t.Errorf("%d alerts, want one per default rule: %v", len(alerts), byRule)
			}
			for rule, subject := range want {
				got := byRule[rule]
				if len(got) != 1 {
					t.Errorf("%s: %d alerts, want 1", rule, len(got))
					continue
				}
				al := got[0]
				if subject != "" && !strings.Contains(al.Subject, subject) {
					t.Errorf("%s is about %s, want %s", rule, al.Subject, subject)
				}
				if len(al.Evidence) == 0 || len(al.EventIDs()) == 0 {
					t.Errorf("%s: evidence %+v carries no sealed event", rule, al.Evidence)
				}
			}
			if al := byRule[monitor.RuleCredentialStuffing]; len(al) == 1 && !strings.HasPrefix(al[0].Subject, "address:") {
				t.Errorf("credential stuffing is about %s, want an address", al[0].Subject)
			}

			events := storetest.CountRows(t, a.DB, "events")
			if err := SeedMonitor(ctx, s); err != nil {
				t.Fatalf("seeding again: %v", err)
			}
			storetest.AssertUnchanged(t, a.DB, events)
		})
	}
}

// seededApp opens the application on a fresh store of dialect d, as
// `dataport demo` does, and seeds the demo city's institutions, people and
// catalog.
func seededApp(t *testing.T, d store.Dialect) *app.App {
	t.Helper()
	a, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir(), DatabaseURL: storetest.Config(t, d).URL,
		PublicURL: "http://127.0.0.1:8080", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := Seed(context.Background(), a.Identity, a.Catalog); err != nil {
		t.Fatal(err)
	}
	return a
}
