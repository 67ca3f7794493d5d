package zones

import "testing"

// A result's text that a spreadsheet would run as a formula is written
// quoted; numbers stay numbers and null is empty.
func TestCSVValue(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{nil, ""}, {int64(-12), "-12"}, {-3.5, "-3.5"}, {1e21, "1000000000000000000000"}, {"东城区", "东城区"},
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"}, {" +1", "' +1"}, {"-x", "'-x"}, {"@sum", "'@sum"}, {"\tx", "'\tx"}, {"a=b", "a=b"},
	} {
		if got := csvValue(c.in); got != c.want {
			t.Errorf("csvValue(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
}
