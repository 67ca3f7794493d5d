package deid

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataport/internal/validate"
)

func TestSM3Vectors(t *testing.T) {
	for _, test := range []struct{ in, want string }{ // GB/T 32905-2016 appendix A
		{"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{strings.Repeat("abcd", 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
	} {
		h := NewSM3()
		h.Write([]byte(test.in))
		if got := hex.EncodeToString(h.Sum(nil)); got != test.want {
			t.Errorf("SM3(%q) = %s, want %s", test.in, got, test.want)
		}
	}
}

func TestColumnOperators(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	tab := Table{Header: []string{"id", "name", "phone", "visit", "age", "note"}, Rows: [][]string{
		{"110105194912310021", "张三", "13800138000", "2024-03-01", "95", "x"},
		{"110105194912310021", "张三", "13800138000", "2024-03-09", "40", "y"},
		{"220102198001010011", "李四", "13900139000", "2024/05/06", "12", "z"},
	}}
	top, bottom := 90.0, 18.0
	p := Profile{Columns: map[string]ColumnOp{
		"id":    {Op: OpPseudonymize},
		"name":  {Op: OpPseudonymize, Algorithm: "hmac-sm3", Length: 32},
		"phone": {Op: OpMask, KeepFirst: 3, KeepLast: 4},
		"visit": {Op: OpDateShift, By: "id", MaxDays: 10},
		"age":   {Op: OpTopBottom, Top: &top, Bottom: &bottom},
		"note":  {Op: OpDrop},
	}}
	out, rep, err := Anonymize(tab, p, Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Header) != 5 || rep.Operators["note"] != OpDrop {
		t.Fatalf("header %v, operators %v", out.Header, rep.Operators)
	}
	r0, r1, r2 := out.Rows[0], out.Rows[1], out.Rows[2]
	if r0[0] != r1[0] || r0[0] == r2[0] || len(r0[0]) != 16 || r0[0] != Pseudonym("hmac-sha256", key, tab.Rows[0][0], 16) {
		t.Errorf("pseudonyms %q %q %q: the same value must give the same pseudonym", r0[0], r1[0], r2[0])
	}
	if len(r0[1]) != 32 || r0[1] == Pseudonym("hmac-sha256", key, "张三", 32) {
		t.Errorf("SM3 pseudonym %q", r0[1])
	}
	if r0[2] != "138****8000" {
		t.Errorf("mask = %q", r0[2])
	}
	// Both visits of one person move by the same number of days: the 8-day interval survives.
	if d0, d1 := r0[3], r1[3]; d0 == "2024-03-01" || daysBetween(t, d0, d1) != 8 {
		t.Errorf("date shift %s, %s", d0, d1)
	}
	if r0[4] != "90" || r1[4] != "40" || r2[4] != "18" {
		t.Errorf("top/bottom coding: %s %s %s", r0[4], r1[4], r2[4])
	}
	if _, _, err := Anonymize(tab, p, Options{}); err == nil {
		t.Error("pseudonyms without a key must be refused")
	}
}

func daysBetween(t *testing.T, a, b string) int {
	t.Helper()
	var ya, ma, da, yb, mb, db int
	if _, err := fmtSscanf(a, &ya, &ma, &da); err != nil {
		t.Fatal(err)
	}
	if _, err := fmtSscanf(b, &yb, &mb, &db); err != nil {
		t.Fatal(err)
	}
	return int(dateOf(yb, mb, db).Sub(dateOf(ya, ma, da)).Hours() / 24)
}

func TestProfileValidation(t *testing.T) {
	_, err := ParseProfile([]byte(`{"quasi_identifiers":["age","age"],"sensitive":["age"],"k":-1,"l":2,"max_suppression":2,
		"columns":{"age":{"op":"mask"},"x":{"op":"explode"}},"hierarchies":{"age":{"type":"spiral"}}}`))
	var verrs validate.Errors
	if !errors.As(err, &verrs) {
		t.Fatalf("err = %v", err)
	}
	for _, f := range []string{"quasi_identifiers[1]", "sensitive[0]", "k", "max_suppression", "columns.age.op", "columns.x.op", "hierarchies.age.type"} {
		if !verrs.Has(f) {
			t.Errorf("no error for %s in %v", f, verrs)
		}
	}
	if _, err := ParseProfile([]byte(`{"k":5,"quasi_identifiers":["a"],"hierarchies":{"a":"a.csv"},"bogus":1}`)); err == nil {
		t.Error("unknown fields must be refused")
	}
	p, err := ParseProfile([]byte(`{"k":5,"quasi_identifiers":["a"],"max_suppression":0.05,"hierarchies":{"a":"a.csv"}}`))
	if err != nil || p.Hierarchies["a"].File != "a.csv" {
		t.Errorf("file hierarchy: %+v %v", p, err)
	}
}

func TestARXHierarchy(t *testing.T) {
	h, err := ReadARX(strings.NewReader("男;*\n女;*\n"))
	if err != nil || h.Height() != 2 {
		t.Fatalf("%v %v", h, err)
	}
	if _, err := ReadARX(strings.NewReader("a;x;*\nb;x;*\nc;y;*\nd;y;z\n")); err == nil {
		t.Error("a hierarchy that is not a tree must be refused")
	}
	if _, err := ReadARX(strings.NewReader("a;x;*\nb;*\n")); err == nil {
		t.Error("lines of different lengths must be refused")
	}
	tab := Table{Header: []string{"sex"}, Rows: [][]string{{"男"}, {"女"}, {"未知"}}}
	_, _, err = Anonymize(tab, Profile{QuasiIdentifiers: []string{"sex"}, K: 1, Hierarchies: map[string]HierarchySpec{"sex": {CSV: "男;*\n女;*"}}}, Options{})
	var verrs validate.Errors
	if !errors.As(err, &verrs) || !verrs.Has("hierarchies.sex") || !strings.Contains(err.Error(), "未知") {
		t.Errorf("a value missing from the hierarchy must be named: %v", err)
	}
}

func TestRiskModels(t *testing.T) {
	r := AssessRisk([]int{1, 2, 2, 5}, 0.5, 0.2)
	if r.Prosecutor.Highest != 1 || r.Uniques != 1 || r.Classes != 4 {
		t.Errorf("%+v", r)
	}
	// Prosecutor average: classes / records = 4/10.
	if r.Prosecutor.Average != 0.4 {
		t.Errorf("prosecutor average %v", r.Prosecutor.Average)
	}
	// Records above 0.2: the unique and the two pairs (risk 1 and 0.5): 5 of 10.
	if r.Prosecutor.AtRisk != 0.5 {
		t.Errorf("at risk %v", r.Prosecutor.AtRisk)
	}
	// With half the population sampled, population classes are twice as big.
	if r.Journalist.Highest != 0.5 || r.Marketer >= r.Prosecutor.Average {
		t.Errorf("journalist %+v marketer %v", r.Journalist, r.Marketer)
	}
}

func fmtSscanf(s string, y, m, d *int) (int, error) { return fmt.Sscanf(s, "%d-%d-%d", y, m, d) }

func dateOf(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
