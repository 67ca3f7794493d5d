package workday_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataport/internal/workday"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, workday.Beijing)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAddWorkingDays(t *testing.T) {
	c := workday.China()
	for _, tc := range []struct {
		from string
		n    int
		want string
		why  string
	}{
		{"2026-03-06 10:00", 1, "2026-03-09", "an ordinary Friday: the next Monday"},
		{"2026-03-06 10:00", 5, "2026-03-13", "five working days from a Friday: the next Friday"},
		{"2026-03-06 10:00", 6, "2026-03-16", "six: the Monday after"},
		{"2026-09-29 09:00", 5, "2026-10-12", "国庆节 2026: 1–7 October off, Saturday 10 October worked"},
		{"2026-02-13 17:00", 1, "2026-02-14", "春节 2026: Saturday 14 February is worked"},
		{"2026-02-13 17:00", 2, "2026-02-24", "春节 2026: off from 15 to 23 February"},
		{"2025-09-26 12:00", 1, "2025-09-28", "国庆节 2025: Sunday 28 September is worked"},
		{"2025-09-30 12:00", 1, "2025-10-09", "国庆节 2025: off 1–8 October"},
		{"2026-12-31 12:00", 1, "2027-01-04", "2027 has no schedule here: 1 January is still a holiday"},
		{"2027-04-30 12:00", 1, "2027-05-03", "2027: 1–2 May fall on a weekend"},
		{"2027-09-30 12:00", 1, "2027-10-04", "2027: 1 October (a Friday) is a fixed holiday"},
		{"2026-03-06 23:30", 0, "2026-03-06", "no days: the end of the same day"},
	} {
		got := c.AddWorkingDays(day(tc.from), tc.n)
		if s := got.In(workday.Beijing).Format("2006-01-02 15:04:05"); s != tc.want+" 23:59:59" {
			t.Errorf("%s + %d working days = %s, want the end of %s (%s)", tc.from, tc.n, s, tc.want, tc.why)
		}
	}
	// Days are counted in Beijing: 20:00 UTC on Friday is already Saturday there.
	if got := c.AddWorkingDays(time.Date(2026, 3, 6, 20, 0, 0, 0, time.UTC), 1).In(workday.Beijing).Format("2006-01-02"); got != "2026-03-09" {
		t.Errorf("Friday 20:00 UTC + 1: %s, want 2026-03-09", got)
	}
	if !c.Covers(2025) || !c.Covers(2026) || c.Covers(2027) {
		t.Errorf("covers 2025 %v, 2026 %v, 2027 %v", c.Covers(2025), c.Covers(2026), c.Covers(2027))
	}
}

// TestShippedSchedules counts each shipped year's working days from the
// announced ranges, independently of the file's lists.
func TestShippedSchedules(t *testing.T) {
	c := workday.China()
	announced := map[int]struct {
		off []string // inclusive ranges of days off, as the notices give them
		on  []string
	}{
		2025: {[]string{"2025-01-01", "2025-01-01", "2025-01-28", "2025-02-04", "2025-04-04", "2025-04-06", "2025-05-01", "2025-05-05",
			"2025-05-31", "2025-06-02", "2025-10-01", "2025-10-08"}, []string{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"}},
		2026: {[]string{"2026-01-01", "2026-01-03", "2026-02-15", "2026-02-23", "2026-04-04", "2026-04-06", "2026-05-01", "2026-05-05",
			"2026-06-19", "2026-06-21", "2026-09-25", "2026-09-27", "2026-10-01", "2026-10-07"}, []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}},
	}
	for year, a := range announced {
		off := map[string]bool{}
		for i := 0; i < len(a.off); i += 2 {
			for d := day(a.off[i] + " 12:00"); !d.After(day(a.off[i+1] + " 12:00")); d = d.AddDate(0, 0, 1) {
				off[d.Format("2006-01-02")] = true
			}
		}
		on := map[string]bool{}
		for _, s := range a.on {
			on[s] = true
		}
		for d := day(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02") + " 12:00"); d.Year() == year; d = d.AddDate(0, 0, 1) {
			s := d.Format("2006-01-02")
			want := on[s] || (!off[s] && d.Weekday() != time.Saturday && d.Weekday() != time.Sunday)
			if got := c.IsWorkday(d); got != want {
				t.Errorf("%s (%s): working day %v, want %v", s, d.Weekday(), got, want)
			}
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A later year added; a shipped year replaced.
	c, err := workday.Load(write("ok.yaml", `
"2027":
  holidays: ["2027-01-01", "2027-02-08"]
  workdays: ["2027-02-06"]
"2026":
  holidays: []
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    string
		want bool
	}{
		{"2027-02-08", false}, {"2027-02-06", true}, {"2027-10-01", true}, // 2027 now has a schedule: no fixed-date guess
		{"2026-10-01", true}, {"2026-10-10", false}, // 2026 replaced by an empty schedule
		{"2025-10-08", false}, // 2025 as shipped
	} {
		if got := c.IsWorkday(day(tc.d + " 12:00")); got != tc.want {
			t.Errorf("%s: working day %v, want %v", tc.d, got, tc.want)
		}
	}
	if !c.Covers(2027) {
		t.Error("2027 not covered after loading it")
	}

	for body, want := range map[string]string{
		`{"2027": {"holidays": ["2027-13-01"]}}`: `2027.holidays[0] = "2027-13-01" is not a date (YYYY-MM-DD)`,
		`{"2027": {"holidays": ["2028-01-03"]}}`: `2027.holidays[0] = "2028-01-03" is not in 2027`,
		`{"2027": {"holidays": ["2027-01-02"]}}`: `2027.holidays[0] = "2027-01-02" is a Saturday, not a weekday`,
		`{"2027": {"workdays": ["2027-01-04"]}}`: `2027.workdays[0] = "2027-01-04" is a Monday, not a Saturday or Sunday`,
		`{"next": {"holidays": []}}`:             `"next" is not a year`,
		`{"2027": {"holidays": "2027-01-01"}}`:   `cannot unmarshal`,
	} {
		p := write("bad.json", body)
		_, err := workday.Load(p)
		if err == nil || !contains(err.Error(), want) || !contains(err.Error(), p) {
			t.Errorf("%s: %v, want an error naming the file and %q", body, err, want)
		}
	}
	if _, err := workday.Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("a missing file loaded")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
