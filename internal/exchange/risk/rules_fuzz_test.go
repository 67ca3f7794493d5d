package risk

import (
	"context"
	"errors"
	"slices"
	"testing"

	"dataport/internal/fuzztest"
	"dataport/internal/validate"
)

// FuzzRuleInput feeds rule expressions, as exchange staff write them, to
// the rules' compiler: it returns within three seconds; a refusal is a
// list of field errors on the expressions only, each with a code; an
// accepted rule evaluates on any facts within its cost limit to a bool
// (or a runtime error, which the engine logs), and its dedupe key to a
// string.
func FuzzRuleInput(f *testing.F) {
	for _, r := range DefaultRules {
		f.Add(r.Expr, r.Dedupe)
	}
	for _, s := range [][2]string{
		{"trade.related", ""}, {"trade.relatd", ""}, {"trade.unit_fen * 2", ""}, {"true", "trade.unit_fen"}, {"1 / 0 == 1", ""},
		{`cycle.participant_ids.exists(p, p == trade.buyer_id)`, `cycle.key + ":" + trade.product_id`}, {"", ""}, {"(((", ")"},
		{`[1,2,3].map(x, [x, x]).map(y, [y, y]).size() > 0`, ""}, {`"a".matches("(")`, ""}, {`price.ratio > 3.0 || price.ratio < 1.0 / 3.0`, ""},
	} {
		f.Add(s[0], s[1])
	}
	facts := []Facts{{}, {Kind: KindTrade, Trade: TradeFacts{ContractID: "c", ProductID: "p", ProviderID: "a", BuyerID: "b", UnitFen: 1},
		Price: PriceFacts{History: 5, MedianFen: 1, Ratio: 1}, Cycle: CycleFacts{Found: true, Length: 2, ParticipantIDs: []string{"a", "b"},
			ContractIDs: []string{"c", "d"}, Key: "p|a,b"}}}
	f.Fuzz(func(t *testing.T, expr, dedupe string) {
		in := AlertRuleInput{Name: "fuzzed_rule", Title: "fuzz", On: KindTrade, Expr: expr, Dedupe: dedupe, Severity: SeverityLow, Queue: "fuzz"}
		in.normalize()
		var c compiledRule
		var err error
		fuzztest.Within(t, "compiling a rule", func() { c, err = in.compile() })
		if err != nil {
			var fe validate.Errors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("refusal %v is not field errors", err)
			}
			for _, e := range fe {
				if !slices.Contains([]string{"expr", "dedupe"}, e.Field) || e.Code == "" {
					t.Fatalf("refusal at %q (%q): %s", e.Field, e.Code, e.Message)
				}
			}
			return
		}
		for _, fs := range facts {
			act := fs.activation()
			fuzztest.Within(t, "evaluating a rule", func() {
				if v, _, err := c.cond.ContextEval(context.Background(), act); err == nil {
					if _, ok := v.Value().(bool); !ok {
						t.Fatalf("%q yielded %v, not a bool", expr, v)
					}
				}
				if _, err := c.dedupeKey(context.Background(), act, &fs); err != nil && c.key == nil {
					t.Fatalf("the default key failed: %v", err)
				}
			})
		}
	})
}
