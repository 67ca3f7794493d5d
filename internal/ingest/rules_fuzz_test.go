package ingest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/fuzztest"
	"dataport/internal/validate"
)

// FuzzQualityRules compiles one quality rule (an item name and a CEL
// expression, as the load settings and the upload form take them) and
// checks a record with it. Compiling returns within three seconds and
// refuses only with validate.Errors at rules[0].item or rules[0].expr; an
// accepted rule checks a record within three seconds, reporting failures
// on the record's row, in a column of the file, at most one per item, and
// clearing the values it fails.
func FuzzQualityRules(f *testing.F) {
	for _, s := range [][3]string{
		{"age", "value >= 0 && value <= 150", "200,110105194912310021,91110000600037341A,2024-01-02,是"},
		{"idno", "gb11643(value)", "30,11010519491231002X,x,2024-02-30,否"},
		{"uscc", "gb32100(value) && row.age > 0", "30,110105194912310021,91110000600037341A,,"},
		{"day", "value < timestamp('2025-01-01T00:00:00Z')", "1,a,b,2024-12-31,true"},
		{"price", "value * 2.0 > 1.0 && string(value).size() < 10", "1,a,b,2024-01-01,1.5"},
		{"idno", "value.matches('^[0-9]{17}[0-9X]$') || row.exists(k, k == 'nope')", ",,,,"},
		{"nope", "true", ""}, {"age", "value +", ""}, {"age", "'x'", ""}, {"age", "[1,2,3].all(a, [1,2,3].all(b, a + b > 0))", "5"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	items := []catalog.Item{{Name: "age", LabelZh: "年龄", Type: catalog.TypeInteger}, {Name: "idno", LabelZh: "证件号", Type: catalog.TypeText},
		{Name: "uscc", LabelZh: "信用代码", Type: catalog.TypeText}, {Name: "day", LabelZh: "日期", Type: catalog.TypeDate},
		{Name: "price", LabelZh: "价格", Type: catalog.TypeDecimal}}
	header := []string{"年龄", "证件号", "信用代码", "日期", "价格"}
	m, err := NewMapping(header, items, FileInfo{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, item, expr, record string) {
		var rules *Rules
		var err error
		fuzztest.Within(t, "CompileRules", func() { rules, err = CompileRules(items, []QualityRule{{Item: item, Expr: expr}}) })
		if err != nil {
			var verrs validate.Errors
			if !errors.As(err, &verrs) || len(verrs) != 1 || (verrs[0].Field != "rules[0].item" && verrs[0].Field != "rules[0].expr") {
				t.Fatalf("CompileRules: %#v is not one error at rules[0].item or rules[0].expr", err)
			}
			return
		}
		cells := strings.Split(record, ",")
		cells = append(cells, make([]string, max(0, len(header)-len(cells)))...)[:len(header)]
		vals := make([]any, len(items))
		converted := m.Convert(2, cells, vals, nil)
		before := slices.Clone(vals)
		var found []RowError
		fuzztest.Within(t, "Check", func() { found = rules.Check(2, m, vals, nil) })
		if len(found) > 1 {
			t.Fatalf("one rule gave %d errors: %v", len(found), found)
		}
		for _, e := range found {
			i := slices.Index(header, e.Column)
			if e.Row != 2 || i < 0 || items[i].Name != item || vals[i] != nil || before[i] == nil {
				t.Fatalf("error %+v (converted %v, values %v)", e, converted, vals)
			}
		}
		if len(found) == 0 && !slices.EqualFunc(before, vals, func(a, b any) bool { return a == b || (a != nil && b != nil) }) {
			t.Fatalf("values changed without an error: %v → %v", before, vals)
		}
	})
}
