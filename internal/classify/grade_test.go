package classify

import (
	"errors"
	"fmt"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/validate"
)

func scanOf(header []string, rows [][]string) Result {
	s := NewScanner(header)
	for _, r := range rows {
		s.Add(r)
	}
	return s.Result()
}

func TestGradeDefaultRules(t *testing.T) {
	g := newGen(5)
	rules := DefaultRules()
	many := func(n int, f func(i int) []string) [][]string {
		out := make([][]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	tests := []struct {
		name      string
		header    []string
		rows      [][]string
		facts     Facts
		class     catalog.Classification
		level     int
		pi, spi   bool
		rule, col string
	}{
		{"statistics", []string{"区县", "年份", "人口"}, many(50, func(i int) []string { return []string{"海淀区", "2024", fmt.Sprint(1000 + i)} }),
			Facts{Subject: "20"}, catalog.ClassGeneral, 1, false, false, "public", ""},
		{"contacts", []string{"姓名", "手机号码"}, many(50, func(int) []string { return []string{g.name(true), g.mobile().value} }),
			Facts{}, catalog.ClassGeneral, 2, true, false, "personal-information", "姓名"},
		{"identity numbers", []string{"姓名", "身份证号"}, many(50, func(int) []string { return []string{g.name(true), g.residentID(true)} }),
			Facts{}, catalog.ClassGeneral, 3, true, true, "identity-document", "身份证号"},
		{"health", []string{"姓名", "诊断结果"}, many(50, func(int) []string { return []string{g.name(true), "高血压"} }),
			Facts{}, catalog.ClassGeneral, 3, true, true, "special-category", "诊断结果"},
		{"health words without people", []string{"病种", "诊断人次"}, many(50, func(i int) []string { return []string{"高血压", fmt.Sprint(i)} }),
			Facts{}, catalog.ClassGeneral, 1, false, false, "public", ""},
		{"children", []string{"姓名", "出生日期"}, many(50, func(int) []string { return []string{g.name(true), "2020-03-01"} }),
			Facts{}, catalog.ClassGeneral, 3, true, true, "minors", "出生日期"},
		{"public safety", []string{"身份证号"}, many(20, func(int) []string { return []string{g.residentID(true)} }),
			Facts{Subject: "14"}, catalog.ClassImportant, 4, true, true, "public-safety-sensitive", ""},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			gr, err := rules.Grade(scanOf(test.header, test.rows), test.facts)
			if err != nil {
				t.Fatal(err)
			}
			if gr.Class != test.class || gr.Level != test.level || gr.PersonalInfo != test.pi || gr.SensitivePersonalInfo != test.spi {
				t.Errorf("graded %s/%d pi=%v spi=%v, want %s/%d pi=%v spi=%v; reasons %+v", gr.Class, gr.Level,
					gr.PersonalInfo, gr.SensitivePersonalInfo, test.class, test.level, test.pi, test.spi, gr.Reasons)
			}
			if len(gr.Reasons) == 0 || gr.Reasons[0].Class != test.class || gr.Reasons[0].Level != test.level {
				t.Fatalf("first reason %+v does not explain the grade", gr.Reasons)
			}
			found := false
			for _, r := range gr.Reasons {
				found = found || (r.Rule == test.rule && r.Column == test.col)
			}
			if !found {
				t.Errorf("no reason %s on column %q in %+v", test.rule, test.col, gr.Reasons)
			}
		})
	}
}

// TestGradeScale checks that the number of people, not of rows, decides
// scale: a million rows about the same ten people is not data of a million.
func TestGradeScale(t *testing.T) {
	id := Type(ResidentID)
	res := Result{Rows: 2_000_000, Columns: []Column{{Name: "sfzh", Detected: &id, Matches: map[Type]int{ResidentID: 2_000_000}, Distinct: 1_500_000, NonEmpty: 2_000_000}}}
	gr, err := DefaultRules().Grade(res, Facts{})
	if err != nil {
		t.Fatal(err)
	}
	if gr.Class != catalog.ClassImportant || gr.Persons != 1_500_000 {
		t.Errorf("1.5 million people's identity numbers graded %s/%d (persons %d)", gr.Class, gr.Level, gr.Persons)
	}
	res.Columns[0].Distinct = 10
	if gr, _ := DefaultRules().Grade(res, Facts{}); gr.Class != catalog.ClassGeneral || gr.Level != 3 {
		t.Errorf("ten people graded %s/%d", gr.Class, gr.Level)
	}
}

func TestParseRulesReportsEveryProblem(t *testing.T) {
	_, err := ParseRules([]byte(`{"version":"x","rules":[
		{"id":"a","scope":"row","when":"true","class":"secret","level":7,"reason":"r"},
		{"id":"a","scope":"dataset","when":"rows >","class":"general","level":1,"reason":""},
		{"id":"c","scope":"column","when":"rows","class":"general","level":1,"reason":"r"}]}`))
	var verrs validate.Errors
	if !errors.As(err, &verrs) {
		t.Fatalf("err = %v", err)
	}
	for _, f := range []string{"rules[0].scope", "rules[0].class", "rules[0].level", "rules[1].id", "rules[1].reason", "rules[1].when", "rules[2].when"} {
		if !verrs.Has(f) {
			t.Errorf("no error for %s in %v", f, verrs)
		}
	}
}

func TestCustomRulesYAML(t *testing.T) {
	rs, err := ParseRules([]byte(`
version: city-2026
rules:
  - id: base
    scope: dataset
    when: "true"
    class: general
    level: 2
    reason: everything is level 2 here
  - id: transport-plates
    scope: column
    when: type == "CN_LICENSE_PLATE"
    class: important
    level: 4
    reason: plates are important in this city
`))
	if err != nil {
		t.Fatal(err)
	}
	g := newGen(1)
	rows := [][]string{}
	for range 30 {
		rows = append(rows, []string{g.plate(true)})
	}
	gr, err := rs.Grade(scanOf([]string{"车牌"}, rows), Facts{})
	if err != nil || gr.Class != catalog.ClassImportant || gr.Rules[:10] != "city-2026@" {
		t.Errorf("graded %+v, %v", gr, err)
	}
}
