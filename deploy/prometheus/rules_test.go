package prometheus

import (
	"strings"
	"testing"
)

// TestShippedRulesParse: the shipped file reads strictly, every expression
// parses with Prometheus's PromQL parser, and every alert carries a
// severity and its summary and description.
func TestShippedRulesParse(t *testing.T) {
	f, err := Parse(Rules)
	if err != nil {
		t.Fatal(err)
	}
	var alerts []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
		}
	}
	// What the platform must alert on (issue 17): ledger lag, job failures,
	// HTTP errors, the decision log's backlog and failures, monitor drops.
	for _, want := range []string{"DataportLedgerSequencingLag", "DataportJobFailed", "DataportPeriodicWorkFailed", "DataportHTTPErrors",
		"DataportDecisionLogBacklog", "DataportDecisionLogWriteFailing", "DataportDecisionLogLostDecisions",
		"DataportMonitorDroppingObservations"} {
		if !strings.Contains(" "+strings.Join(alerts, " ")+" ", " "+want+" ") {
			t.Errorf("no alert %s among %v", want, alerts)
		}
	}
	sels, err := f.Selectors()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sels {
		if s.Metric != "up" && !strings.HasPrefix(s.Metric, "dataport_") {
			t.Errorf("%s selects %q, not one of dataport's metrics", s.Rule, s.Metric)
		}
	}
}

// TestParseRefusesBrokenRules: each kind of mistake in a rules file is
// refused, naming the alert and what is wrong.
func TestParseRefusesBrokenRules(t *testing.T) {
	const good = `groups:
  - name: g
    rules:
      - alert: DataportX
        expr: dataport_ledger_lag_seconds > 60
        for: 5m
        labels: {severity: warning}
        annotations: {summary: s, description: d}
`
	if _, err := Parse([]byte(good)); err != nil {
		t.Fatalf("the good file: %v", err)
	}
	for _, test := range []struct{ name, from, to, want string }{
		{"a PromQL syntax error", "dataport_ledger_lag_seconds > 60", "rate(dataport_ledger_lag_seconds[5m] > 60", `"DataportX": expr`},
		{"an unknown function", "dataport_ledger_lag_seconds > 60", "rates(dataport_ledger_lag_seconds[5m]) > 60", `unknown function`},
		{"a range vector compared", "dataport_ledger_lag_seconds > 60", "dataport_ledger_lag_seconds[5m] > 60", `expr`},
		{"a bad duration", "for: 5m", "for: five minutes", `for: "five minutes"`},
		{"no severity", "severity: warning", "team: ops", "labels.severity"},
		{"an unknown severity", "severity: warning", "severity: page", `labels.severity "page"`},
		{"no description", "description: d", "runbook: r", "annotations.description"},
		{"an unknown field", "for: 5m", "for: 5m\n        keep_firing: 5m", `unknown field "keep_firing"`},
		{"a misnamed alert", "alert: DataportX", "alert: ledger_lag", `"ledger_lag"`},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := Parse([]byte(strings.Replace(good, test.from, test.to, 1)))
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Errorf("error %v, want one containing %q", err, test.want)
			}
		})
	}
}
