package stats

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"dataport/internal/fuzztest"
	"dataport/internal/validate"
)

// FuzzParsePeriod: a period from a query string is either refused as a
// field error on period, or spans whole days from its first to its last,
// both written YYYY-MM-DD, the first beginning with the period itself.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026", "2026-11", "2026-11-30", "2024-02", "2026-02-30", "26", "2026-1", "２０２６", "2026-11-30T00:00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p Period
		var err error
		fuzztest.Within(t, "ParsePeriod", func() { p, err = ParsePeriod("period", s) })
		if err != nil {
			var fe validate.Errors
			if !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != "period" {
				t.Fatalf("ParsePeriod(%q): %v, want one field error on period", s, err)
			}
			return
		}
		from, err1 := time.Parse(time.DateOnly, p.From)
		to, err2 := time.Parse(time.DateOnly, p.To)
		if err1 != nil || err2 != nil || to.Before(from) || !strings.HasPrefix(p.From, s) || p.Name != s {
			t.Fatalf("ParsePeriod(%q) = %+v", s, p)
		}
		if checkDay("day", p.From) != nil || checkDay("day", p.To) != nil {
			t.Fatalf("ParsePeriod(%q) = %+v: days refused by checkDay", s, p)
		}
	})
}

// FuzzWriteCSV: whatever an institution is named, the export reads back as
// CSV with the header and one record per value, and no name cell begins
// with a character that makes a spreadsheet run it as a formula.
func FuzzWriteCSV(f *testing.F) {
	for _, s := range []string{"京华市交通委员会", "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", " =1", "\t=1", "a,\"b\"\nc", ""} {
		f.Add(s, "Transport")
	}
	f.Fuzz(func(t *testing.T, zh, en string) {
		tab := Table{Period: "2026", Indicators: System(), Orgs: []Org{{ID: "o1", NameZh: zh, NameEn: en}},
			Values: []Value{{OrgID: "o1", Indicator: APICalls, Value: 3}, {OrgID: CityWide, Indicator: APICalls, Value: -1.5}}}
		var buf bytes.Buffer
		fuzztest.Within(t, "WriteCSV", func() {
			if err := WriteCSV(&buf, tab); err != nil {
				t.Fatal(err)
			}
		})
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
		if err != nil || len(recs) != 3 || len(recs[0]) != len(csvHeader) {
			t.Fatalf("read back: %d records, %v", len(recs), err)
		}
		for _, cell := range []string{recs[1][2], recs[1][3]} {
			if c := strings.TrimLeft(cell, " \n\v\f\u0085\u00a0"); c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Fatalf("name cell %q would run as a formula", cell)
			}
		}
		if recs[2][10] != "-1.5" {
			t.Fatalf("the city's value %q, want -1.5 unquoted", recs[2][10])
		}
	})
}
