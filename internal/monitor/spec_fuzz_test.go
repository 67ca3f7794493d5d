package monitor

import (
	"errors"
	"strings"
	"testing"
	"time"

	"dataport/internal/fuzztest"
	"dataport/internal/validate"
)

// FuzzRuleBody feeds rule bodies, as the security officer writes them, to
// the rules' parser and compiler: it returns within three seconds; a
// refusal is a list of field errors on body, each with a code and the line
// it names (0: the whole body, else a line of the body); an accepted rule
// runs on observations of every source — its where condition yields a
// bool or a runtime error, and its correlation neither panics nor grows
// without end.
func FuzzRuleBody(f *testing.F) {
	for _, body := range DefaultRules {
		f.Add(body)
	}
	for _, s := range []string{
		"", "code: x", "- a\n- b", "code: abc\n  bad: [", "code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: decision\nwhere: allow &&\n",
		"code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: signin\ncorrelate:\n  type: distinct\n  group_by: [address_hash]\n  field: username_hash\n  window: 1s\n  threshold: 2\n",
		"code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: event\nwhere: event_type.startsWith('sharing.')\ncorrelate:\n  type: hours\n  group_by: [actor_user_id]\n  min_history: 1\n  timezone: Etc/GMT+4\n",
		"code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: decision\nsuppress: 7d\ncorrelate:\n  type: baseline\n  group_by: [subject, resource_id]\n  value: rows\n  window: 1s\n  factor: 2\n  min_history: 1\n",
		"code: abc\nname_zh: 甲\nname_en: A\nseverity: low\nsource: decision\nwhere: '[1,2,3].map(x, [x, x]).map(y, [y, y]).size() > 0'\n",
		"code: &a abc\nname_zh: *a\n", "code: !!binary aGVsbG8=\n",
	} {
		f.Add(s)
	}
	at := time.Date(2026, 12, 7, 3, 20, 0, 0, time.UTC)
	observations := []Observation{
		{Source: SourceDecision, At: at, Subject: "user:u", DecisionID: "d", UserID: "u", ResourceID: "r", Allow: true, Rows: 7, RowsReported: true,
			ProfileID: "p", FilterFields: []string{"district"}, QuasiIdentifiers: []string{"district"}, K: 5, GrantID: "g"},
		{Source: SourceDecision, At: at.Add(time.Hour), Subject: "anonymous", Reason: "no_grant"},
		{Source: SourceSignIn, At: at, Subject: "address:a", AddressHash: "a", UsernameHash: "b", Reason: "bad_credentials"},
		{Source: SourceEvent, At: at, Subject: "user:u", EventType: "sharing.request.approved", SubjectKind: "share_request", SubjectID: "s", ActorUserID: "u"},
	}
	f.Fuzz(func(t *testing.T, body string) {
		var c *compiled
		var err error
		fuzztest.Within(t, "compiling a rule", func() { c, err = compile(body) })
		if err != nil {
			var fe validate.Errors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("refusal %v is not field errors", err)
			}
			lines := strings.Count(lineBreaks(body), "\n") + 1 // "\r\n" and a lone "\r" end a line too
			for _, e := range fe {
				if e.Field != "body" || e.Code == "" {
					t.Fatalf("refusal at %q (%q): %s", e.Field, e.Code, e.Message)
				}
				if len(e.Args) > 0 {
					if line, ok := e.Args[0].(int); !ok || line < 0 || line > lines {
						t.Fatalf("refusal %q names line %v of %d", e.Message, e.Args[0], lines)
					}
				}
			}
			return
		}
		if strings.Contains(c.Body, "\r") {
			t.Fatalf("the rule keeps a body with a \\r: %q", c.Body)
		}
		c.ID = "r1"
		s := New(nil, Config{QueueSize: 1})
		s.rules.Store(&[]*compiled{c})
		e := s.engine
		fuzztest.Within(t, "evaluating a rule", func() {
			for range 3 {
				for i := range observations {
					o := observations[i]
					e.handle(&o)
				}
			}
		})
		if len(e.pending) > 3*len(observations) {
			t.Fatalf("%d hits from %d observations", len(e.pending), 3*len(observations))
		}
		for _, st := range e.states {
			for _, g := range st.groups {
				if n := len(g.evidence.list()); n > evidenceKept {
					t.Fatalf("a group keeps %d evidence", n)
				}
				if g.values != nil && len(g.values) > 3*len(observations) {
					t.Fatalf("a group keeps %d distinct values", len(g.values))
				}
			}
		}
	})
}
