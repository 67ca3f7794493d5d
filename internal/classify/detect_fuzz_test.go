package classify

import (
	"testing"

	"dataport/internal/fuzztest"
)

// FuzzDetect runs the value parsers of a scan (dates, phone numbers with
// country codes, full-width brackets and extensions, cards, names,
// addresses) on arbitrary cell text: none may panic, a parsed date must be
// a calendar date, and a column of the value must count it at most once.
func FuzzDetect(f *testing.F) {
	for _, seed := range []string{"1990年3月7日", "1990-03-07 00:00:00", "0086 138 0013 8000", "86-10-12345678", "（010）1234 5678转801",
		"010-12345678 ext. 12", "6228 4800 1234 5678 901", "欧阳娜娜", "买买提·艾力", "北京市海淀区中关村大街27号", "永辉超市(人民路店)", "2024/2/30", "+86"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		fuzztest.Within(t, "Detect", func() {
			Detect(v, "")
			Detect(v, "phone")
			if y, m, d, ok := ParseDate(v); ok && !validDate(y, m, d) {
				t.Errorf("ParseDate(%q) = %d-%d-%d, not a date", v, y, m, d)
			}
			s := NewScanner([]string{"col_01"})
			s.Add([]string{v})
			for typ, n := range s.Result().Columns[0].Matches {
				if n > 1 && len(v) < 40 {
					t.Errorf("%q counted %d times as %s", v, n, typ)
				}
			}
		})
	})
}
