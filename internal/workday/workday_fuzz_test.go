package workday

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/fuzztest"

	"sigs.k8s.io/yaml"
)

// FuzzParse feeds holiday schedule files (--holidays) to parse: it returns
// within three seconds; a refusal names the file; an accepted file covers
// each of its years, its holidays are days off, its adjusted days are
// worked, and deadlines counted over it end on a working day.
func FuzzParse(f *testing.F) {
	f.Add(shipped)
	for _, s := range []string{
		"\"2027\":\n  holidays: [\"2027-01-01\", \"2027-02-08\"]\n  workdays: [\"2027-02-06\"]\n\"2026\":\n  holidays: []\n",
		`{"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-02-06"], "source": "国办发明电"}}`,
		`{"2027": {"holidays": ["2027-13-01"]}}`, `{"2027": {"holidays": ["2028-01-03"]}}`, `{"2027": {"holidays": ["2027-01-02"]}}`,
		`{"2027": {"workdays": ["2027-01-04"]}}`, `{"next": {"holidays": []}}`, `{"2027": {"holidays": "2027-01-01"}}`,
		"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "", "null", "[]", `{"1949": {}, "9999": {}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		c, err := parseWithin(t, data, name)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "working-day calendar "+name+": ") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		var years map[string]Year
		if err := yaml.Unmarshal(data, &years); err != nil {
			t.Fatalf("parse accepted what yaml refuses: %v", err)
		}
		for k, y := range years {
			year, _ := strconv.Atoi(k)
			if !c.Covers(year) {
				t.Errorf("year %q is not covered", k)
			}
			for _, s := range y.Holidays {
				if d := mustDay(t, s); c.IsWorkday(d) {
					t.Errorf("holiday %s is a working day", s)
				}
			}
			for _, s := range y.Workdays {
				d := mustDay(t, s)
				if !c.IsWorkday(d) {
					t.Errorf("adjusted working day %s is not a working day", s)
				}
				if end := c.AddWorkingDays(d.AddDate(0, 0, -1), 1); !c.IsWorkday(end) || end.Before(d) {
					t.Errorf("one working day after the day before %s ends %s", s, end)
				}
			}
		}
	})
}

func parseWithin(t *testing.T, data []byte, name string) (c *Calendar, err error) {
	fuzztest.Within(t, "parse", func() { c, err = parse(data, name) })
	return c, err
}

func mustDay(t *testing.T, s string) time.Time {
	d, err := time.ParseInLocation("2006-01-02", s, Beijing)
	if err != nil {
		t.Fatalf("accepted %q, which is not a date: %v", s, err)
	}
	return d.Add(12 * time.Hour)
}
