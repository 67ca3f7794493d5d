package classify

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/fuzztest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ruleForms are grading rule files as operators write them, and the bad
// ones the tests refuse.
var ruleForms = []string{
	string(defaultRulesFile),
	"version: city-2026\nrules:\n  - id: base\n    scope: dataset\n    when: \"true\"\n    class: general\n    level: 2\n    reason: everything is level 2 here\n" +
		"  - id: transport-plates\n    scope: column\n    when: type == \"CN_LICENSE_PLATE\"\n    class: important\n    level: 4\n    reason: plates\n",
	`{"version":"x","rules":[{"id":"a","scope":"row","when":"true","class":"secret","level":7,"reason":"r"},` +
		`{"id":"a","scope":"dataset","when":"rows >","class":"general","level":1,"reason":""},` +
		`{"id":"c","scope":"column","when":"rows","class":"general","level":1,"reason":"r"}]}`,
	`{"version":"v","rules":[{"id":"m","scope":"column","when":"matches.exists(k, matches[k] > rows / 2) && embedded.all(t, t != 'BANK_CARD')","class":"important","level":4,"reason":"r"}]}`,
	`{"version":"v","rules":[{"id":"n","scope":"dataset","when":"types.all(a, types.all(b, types.all(c, types.all(d, a + b + c + d != ''))))","class":"general","level":2,"reason":"r"}]}`,
	`{"version":"v","rules":[]}`, `{"rules":[{"id":"x"}]}`, "version: [", "a: &a [x, x]\nb: &b [*a, *a]\n",
}

// gradeSamples are scan results a rule set grades in the fuzz target.
func gradeSamples() []Result {
	g := newGen(7)
	rows := func(n int, f func() []string) [][]string {
		out := make([][]string, n)
		for i := range out {
			out[i] = f()
		}
		return out
	}
	return []Result{
		scanOf([]string{"姓名", "身份证号", "手机号码", "诊断结果", "备注"}, rows(40, func() []string {
			return []string{g.name(true), g.residentID(true), g.mobile().value, "高血压", "联系人 " + g.mobile().value}
		})),
		scanOf([]string{"区县", "年份", "人口"}, rows(20, func() []string { return []string{"海淀区", "2024", "1000"} })),
		{},
	}
}

// FuzzParseRules feeds grading rule files (--grading-rules) to ParseRules:
// it returns within three seconds; a refusal is validate.Errors located in
// the file (rules...); an accepted set reads back the same from its JSON
// form, and grades sample scans within three seconds, to a grade no lower
// than any reason it gives and explained by its first reason.
func FuzzParseRules(f *testing.F) {
	for _, s := range ruleForms {
		f.Add([]byte(s))
	}
	samples := gradeSamples()
	f.Fuzz(func(t *testing.T, data []byte) {
		var rs *RuleSet
		var err error
		fuzztest.Within(t, "ParseRules", func() { rs, err = ParseRules(data) })
		if err != nil {
			var verrs validate.Errors
			if !errors.As(err, &verrs) || len(verrs) == 0 {
				t.Fatalf("ParseRules: %v is not validate.Errors", err)
			}
			for _, fe := range verrs {
				if !strings.HasPrefix(fe.Field, "rules") || fe.Message == "" {
					t.Fatalf("ParseRules: error %+v is not located in the file", fe)
				}
			}
			return
		}
		text, _ := json.Marshal(rs)
		again, err := ParseRules(text)
		if err != nil {
			t.Fatalf("the accepted rules, written as JSON, are refused: %v\n%s", err, text)
		}
		if diff := cmp.Diff(rs.Rules, again.Rules, cmpopts.EquateEmpty()); diff != "" || again.Version != rs.Version {
			t.Fatalf("the accepted rules read back differently (-first +second):\n%s", diff)
		}
		for _, res := range samples {
			var g Grading
			fuzztest.Within(t, "Grade", func() { g, err = rs.Grade(res, Facts{Subject: "14"}) })
			if err != nil {
				continue // a rule may fail at run time (as 1/0 does); Grade reports it
			}
			checkGrading(t, rs, g)
		}
	})
}

// checkGrading checks a grade's invariants: a known class and level, the
// first reason the most severe and equal to the grade when it exceeds the
// floor (general, 1), each reason a rule of rs.
func checkGrading(t *testing.T, rs *RuleSet, g Grading) {
	t.Helper()
	if !slices.Contains(catalog.Classifications, g.Class) || g.Level < 1 || g.Level > 4 {
		t.Fatalf("grade %s/%d", g.Class, g.Level)
	}
	floor := severity(Reason{Class: catalog.ClassGeneral, Level: 1})
	top := floor
	for _, r := range g.Reasons {
		top = max(top, severity(r))
		if !slices.ContainsFunc(rs.Rules, func(rule Rule) bool { return rule.ID == r.Rule && rule.Class == r.Class && rule.Level == r.Level }) {
			t.Fatalf("reason %+v is no rule of the set", r)
		}
	}
	if Severity(g.Class, g.Level) != top {
		t.Fatalf("grade %s/%d, but the most severe reason is %d (reasons %+v)", g.Class, g.Level, top, g.Reasons)
	}
	if len(g.Reasons) > 0 && severity(g.Reasons[0]) != top {
		t.Fatalf("the first reason %+v is not the most severe", g.Reasons[0])
	}
}

// TestRuleCostIsBounded: a rule of nested comprehensions (10^8 steps) fails
// at once with an error naming it, instead of grading for minutes.
func TestRuleCostIsBounded(t *testing.T) {
	list := "[" + strings.TrimSuffix(strings.Repeat("1,", 100), ",") + "]"
	when := list + ".all(a, " + list + ".all(b, " + list + ".all(c, " + list + ".all(d, true))))"
	rs, err := ParseRules([]byte(`{"version":"v","rules":[{"id":"slow","scope":"dataset","when":"` + when + `","class":"general","level":2,"reason":"r"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := rs.Grade(Result{}, Facts{})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "rule slow") || !strings.Contains(err.Error(), "cost limit") {
			t.Errorf("Grade: %v; want the cost limit of rule slow", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a rule of 10^8 steps has graded for 2 s")
	}
}
