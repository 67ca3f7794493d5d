package ui

import (
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/ingest"
)

// TestRuleTemplatesCompile: every template writes a rule that compiles for
// an item of the type it is meant for, and the range rule refuses what is
// out of range.
func TestRuleTemplatesCompile(t *testing.T) {
	items := []catalog.Item{{Name: "age", Type: catalog.TypeInteger}, {Name: "code", Type: catalog.TypeText}}
	for _, tmpl := range ruleTemplates {
		item := "code"
		if tmpl == "range" || tmpl == "not_negative" {
			item = "age"
		}
		rule, errs := ruleFromTemplate(item, tmpl, "0", "150", "18")
		if len(errs) > 0 {
			t.Fatalf("%s: %v", tmpl, errs)
		}
		if _, err := ingest.CompileRules(items, []ingest.QualityRule{rule}); err != nil {
			t.Errorf("%s: %q does not compile: %v", tmpl, rule.Expr, err)
		}
	}
	if _, errs := ruleFromTemplate("age", "range", "零", "150", ""); !errs.Has("rule_min") {
		t.Errorf("a minimum that is no number: %v", errs)
	}
	if _, errs := ruleFromTemplate("age", "all_good", "", "", ""); !errs.Has("rule_template") {
		t.Errorf("an unknown template: %v", errs)
	}
}
