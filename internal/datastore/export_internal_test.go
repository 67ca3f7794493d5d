package datastore

import "testing"

// TestCSVCell: text that a spreadsheet would run as a formula — first
// character other than white space one of = + - @, or a leading tab or
// carriage return — gets a single quote; everything else, numbers above
// all, is written as it is.
func TestCSVCell(t *testing.T) {
	for _, test := range []struct {
		in   any
		want string
	}{
		{"=1+2", "'=1+2"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"  =1", "'  =1"},
		{"\n=1", "'\n=1"},
		{"\u3000=1", "'\u3000=1"}, // an ideographic space, as Chinese text has
		{" \t", "' \t"},
		{"a=1", "a=1"},
		{"", ""},
		{"   ", "   "},
		{"'=1", "'=1"},
		{-3.5, "-3.5"},
		{int64(-7), "-7"},
		{float64(-1e21), "-1000000000000000000000"},
		{true, "true"},
		{nil, ""},
	} {
		if got := csvCell(test.in); got != test.want {
			t.Errorf("csvCell(%#v) = %q, want %q", test.in, got, test.want)
		}
	}
}
