package ingest

import (
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/classify"
)

// TestResidentIDIsClassifys: the quality rule gb11643() and the personal
// information check answer as classify.ValidResidentID does for every
// value, including those on which ingest's own copy of the check used to
// differ (an unknown region, the legacy 15-digit form, a lower-case x).
func TestResidentIDIsClassifys(t *testing.T) {
	withCheck := func(first17 string) string {
		c, _ := classify.ResidentIDCheckChar(first17)
		return first17 + string(c)
	}
	values := []string{
		"11010519491231002X",
		"11010519491231002x",
		withCheck("99010519491231002"), // right check character, no such region
		"110105491231002",              // legacy 15 digits
		withCheck("11010520240230002"), // 30 February
		"110105194912310021",           // wrong check character
	}
	items := []catalog.Item{{Name: "idno", LabelZh: "证件号", Type: catalog.TypeText}}
	rules, err := CompileRules(items, []QualityRule{{Item: "idno", Expr: "gb11643(value)"}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := NewMapping([]string{"证件号"}, items, FileInfo{})
	vals := make([]any, 1)
	agreed := 0
	for i, v := range values {
		want := classify.ValidResidentID(v)
		row := int64(i + 2)
		errs := rules.Check(row, m, vals, m.Convert(row, []string{v}, vals, nil))
		if got := len(errs) == 0; got != want {
			t.Errorf("gb11643(%q) = %v, classify says %v", v, got, want)
		}
		findings := DefaultPersonalInfoCheck{}.CheckColumn(items[0], []string{v})
		if got := len(findings) > 0; got != want {
			t.Errorf("personal information check of %q = %v, classify says %v", v, got, want)
		}
		if want {
			agreed++
		}
	}
	if agreed == 0 || agreed == len(values) {
		t.Errorf("%d of %d values valid: the table should hold both kinds", agreed, len(values))
	}
}
