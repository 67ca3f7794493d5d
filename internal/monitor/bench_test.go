package monitor

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// The monitor's benchmarks (figures in docs/benchmarks.md):
//
//	go test -run '^$' -bench 'Evaluate' -benchtime 200000x ./internal/monitor/
//
// BenchmarkEvaluate is the cost of evaluating the seven default rules on
// one observation, with 10,000 subjects active in their windows and
// baselines: a mix of reads (decisions), rows served, denials and failed
// sign-ins from 10,000 users and 10,000 addresses over 10,000 grants. It
// reports ns/op and the p50 and p99 of single evaluations. Alerts are not
// written (that is the evaluating goroutine's batch write, off the hot path).

// benchEngine is an engine running the default rules, without a store.
func benchEngine(b *testing.B) *engine {
	s := New(nil, Config{QueueSize: 1})
	var rules []*compiled
	for i, body := range DefaultRules {
		c, err := compile(body)
		if err != nil {
			b.Fatal(err)
		}
		c.ID = fmt.Sprintf("rule-%d", i)
		rules = append(rules, c)
	}
	s.rules.Store(&rules)
	return s.engine
}

// benchObservations is a repeating mix over n subjects.
func benchObservations(n int) []Observation {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	out := make([]Observation, 0, 4*n)
	for i := range 4 * n {
		u := (i / 2) % n // a user's read (even i), then the rows it served (odd i)
		at := start.Add(time.Duration(i) * 3 * time.Millisecond)
		o := Observation{Source: SourceDecision, At: at, Subject: fmt.Sprintf("user:%08d", u), UserID: fmt.Sprintf("%08d", u),
			DecisionID: fmt.Sprintf("d%09d", i), EventID: fmt.Sprintf("e%06d", i/1000), ResourceID: fmt.Sprintf("r%03d", u%300),
			Action: "read", Channel: "api_rows", Allow: true, Reason: "grant", GrantID: fmt.Sprintf("g%08d", u)}
		switch i % 20 {
		case 0: // a denial
			o.Allow, o.Reason, o.GrantID = false, "no_grant", ""
		case 1: // a failed sign-in (instead of the rows of a denial)
			o = Observation{Source: SourceSignIn, At: at, Subject: fmt.Sprintf("address:%08d", u), AddressHash: fmt.Sprintf("%08d", u),
				UsernameHash: fmt.Sprintf("%08d", i%7), Reason: "bad_credentials", EventID: fmt.Sprintf("s%09d", i)}
		default:
			if i%2 == 1 { // the rows served under the previous read
				o.RowsReported, o.Rows, o.DecisionID = true, int64(20+i%80), fmt.Sprintf("d%09d", i-1)
			}
			if i%10 == 3 {
				o.ProfileID, o.QuasiIdentifiers, o.K = "p1", []string{"district", "age"}, 5
				o.FilterFields = []string{"year"}
			}
		}
		out = append(out, o)
	}
	return out
}

func BenchmarkEvaluate(b *testing.B) {
	const subjects = 10000
	e := benchEngine(b)
	obs := benchObservations(subjects)
	for i := range obs { // every subject active in every rule's window
		o := obs[i]
		e.handle(&o)
	}
	e.pending = nil
	took := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		o := obs[i%len(obs)]
		o.At = o.At.Add(time.Duration(i/len(obs)+1) * 4 * time.Duration(subjects) * 3 * time.Millisecond)
		t0 := time.Now()
		e.handle(&o)
		took = append(took, time.Since(t0))
		if len(e.pending) > 1000 {
			e.pending = e.pending[:0]
		}
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
	groups := 0
	for _, st := range e.states {
		groups += len(st.groups)
	}
	b.ReportMetric(float64(groups), "groups")
}
