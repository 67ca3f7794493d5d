package deid

import (
	"errors"
	"slices"
	"testing"
)

func TestRowTransformerMatchesAnonymizeRowByRow(t *testing.T) {
	top := 100.0
	p := Profile{
		Columns: map[string]ColumnOp{
			"name":   {Op: OpPseudonymize, Length: 12},
			"id":     {Op: OpMask, KeepFirst: 6},
			"phone":  {Op: OpMask, KeepFirst: 3, KeepLast: 4},
			"region": {Op: OpGeneralize, Level: 1},
			"born":   {Op: OpDateShift, By: "id", MaxDays: 10},
			"income": {Op: OpTopBottom, Top: &top},
			"email":  {Op: OpDrop},
			"note":   {Op: OpRedact, With: "-"},
		},
		Hierarchies: map[string]HierarchySpec{"region": {Type: "region"}},
	}
	header := []string{"name", "id", "phone", "region", "born", "income", "email", "note", "kept"}
	rows := [][]string{
		{"张伟", "110101199001011237", "13812345678", "110105", "1990-01-01", "250", "a@b.cn", "x", "k1"},
		{"李娜", "110102198502024321", "13998765432", "310104", "1985-02-02", "50", "c@d.cn", "y", "k2"},
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	want, _, err := Anonymize(Table{Header: header, Rows: slices.Clone(rows)}, p, Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := NewRowTransformer(p, header, key)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		got := slices.Clone(r)
		rt.Transform(got)
		// Anonymize removes the dropped column; the streaming form blanks it.
		if got[6] != "" || rt.Op(6) != OpDrop {
			t.Errorf("row %d: dropped column is %q", i, got[6])
		}
		got = append(got[:6], got[7:]...)
		if !slices.Equal(got, want.Rows[i]) {
			t.Errorf("row %d: streamed %q, whole table %q", i, got, want.Rows[i])
		}
	}
	if rt.Op(8) != "" || slices.Contains(rt.Reads(), 8) {
		t.Errorf("a kept column is read or rewritten")
	}
}

func TestRowTransformerRefusesWholeTableModels(t *testing.T) {
	header := []string{"age", "zip", "disease"}
	for name, p := range map[string]Profile{
		"k-anonymity":       {QuasiIdentifiers: []string{"age", "zip"}, K: 5},
		"l-diversity":       {QuasiIdentifiers: []string{"age"}, Sensitive: []string{"disease"}, L: 2},
		"guessed hierarchy": {Columns: map[string]ColumnOp{"age": {Op: OpGeneralize, Level: 1}}},
		"interval without widths": {Columns: map[string]ColumnOp{"age": {Op: OpGeneralize, Level: 1}},
			Hierarchies: map[string]HierarchySpec{"age": {Type: "interval"}}},
	} {
		if _, err := NewRowTransformer(p, header, nil); !errors.Is(err, ErrNeedsTable) {
			t.Errorf("%s: %v, want ErrNeedsTable", name, err)
		}
	}
	ok := Profile{Columns: map[string]ColumnOp{"age": {Op: OpGeneralize, Level: 1}},
		Hierarchies: map[string]HierarchySpec{"age": {Type: "interval", Widths: []float64{10}}}}
	rt, err := NewRowTransformer(ok, header, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := []string{"37", "100101", "flu"}
	if rt.Transform(row); row[0] != "[30, 40)" {
		t.Errorf("age 37 at interval level 1: %q", row[0])
	}
	if _, err := NewRowTransformer(Profile{Columns: map[string]ColumnOp{"nope": {Op: OpMask}}}, header, nil); err == nil {
		t.Error("a profile naming a column the rows lack was accepted")
	}
}

func TestRowTransformerRewrites(t *testing.T) {
	p := Profile{Columns: map[string]ColumnOp{
		"name":  {Op: OpPseudonymize},
		"born":  {Op: OpDateShift, By: "id", MaxDays: 10},
		"email": {Op: OpDrop},
		"kept":  {Op: OpKeep},
	}}
	header := []string{"name", "id", "born", "email", "kept", "other"}
	rt, err := NewRowTransformer(p, header, []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	// id is read by date_shift but served as stored; kept and other are kept.
	if got, want := rt.Rewrites(), []int{0, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("Rewrites() = %v, want %v", got, want)
	}
}
