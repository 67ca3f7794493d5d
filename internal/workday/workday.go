// Package workday counts working days in mainland China: Monday to Friday,
// less the public holidays the State Council announces each year, plus the
// weekend days it turns into working days (调休). Deadlines of sharing
// requests and open-data applications are counted in it.
//
// The calendar ships the announced schedules (schedules.json); an operator
// adds later years with a file of the same form. For a year with no
// schedule only the fixed-date statutory holidays are known (元旦 1 January,
// 劳动节 1–2 May, 国庆节 1–3 October, per the 2024 revision of the national
// holiday rules); the lunar holidays and the adjusted days are not, which
// Covers reports so that the server can warn.
package workday

import (
	_ "embed"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"sigs.k8s.io/yaml"
)

// Beijing is the time zone days are counted in.
var Beijing = time.FixedZone("CST", 8*60*60)

// Year is one year's schedule as announced: the days off that would
// otherwise be working days and the weekend days worked instead.
type Year struct {
	Holidays []string `json:"holidays"` // YYYY-MM-DD
	Workdays []string `json:"workdays"` // YYYY-MM-DD, weekend days that are worked
	Source   string   `json:"source,omitempty"`
}

// Calendar knows the holidays and adjusted working days of some years.
type Calendar struct {
	off, on map[date]bool
	years   map[int]bool
}

type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date {
	t = t.In(Beijing)
	return date{t.Year(), t.Month(), t.Day()}
}

//go:embed schedules.json
var shipped []byte

// China returns the calendar with the schedules shipped with dataport.
func China() *Calendar {
	c, err := parse(shipped, "schedules.json")
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return c
}

// Load returns China() with the schedules in the YAML or JSON file at path
// added; a year in the file replaces the shipped one. The file maps years to
// schedules: {"2027": {"holidays": ["2027-01-01", ...], "workdays": [...]}}.
func Load(path string) (*Calendar, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("working-day calendar: %w", err)
	}
	extra, err := parse(b, path)
	if err != nil {
		return nil, err
	}
	c := China()
	for y := range extra.years {
		for d := range c.off {
			if d.y == y {
				delete(c.off, d)
			}
		}
		for d := range c.on {
			if d.y == y {
				delete(c.on, d)
			}
		}
		c.years[y] = true
	}
	for d := range extra.off {
		c.off[d] = true
	}
	for d := range extra.on {
		c.on[d] = true
	}
	return c, nil
}

// parse reads a schedule file, naming the first bad entry.
func parse(b []byte, name string) (*Calendar, error) {
	var years map[string]Year
	if err := yaml.Unmarshal(b, &years); err != nil {
		return nil, fmt.Errorf("working-day calendar %s: %w", name, err)
	}
	c := &Calendar{off: map[date]bool{}, on: map[date]bool{}, years: map[int]bool{}}
	keys := make([]string, 0, len(years))
	for k := range years {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		y, err := strconv.Atoi(k)
		if err != nil || y < 1949 || y > 9999 {
			return nil, fmt.Errorf("working-day calendar %s: %q is not a year", name, k)
		}
		c.years[y] = true
		for _, list := range []struct {
			field string
			days  []string
			into  map[date]bool
			ok    func(time.Weekday) bool
			want  string
		}{
			{"holidays", years[k].Holidays, c.off, func(w time.Weekday) bool { return w != time.Saturday && w != time.Sunday }, "a weekday"},
			{"workdays", years[k].Workdays, c.on, func(w time.Weekday) bool { return w == time.Saturday || w == time.Sunday }, "a Saturday or Sunday"},
		} {
			for i, s := range list.days {
				t, err := time.ParseInLocation("2006-01-02", s, Beijing)
				if err != nil {
					return nil, fmt.Errorf("working-day calendar %s: %s.%s[%d] = %q is not a date (YYYY-MM-DD)", name, k, list.field, i, s)
				}
				if t.Year() != y {
					return nil, fmt.Errorf("working-day calendar %s: %s.%s[%d] = %q is not in %d", name, k, list.field, i, s, y)
				}
				if !list.ok(t.Weekday()) {
					return nil, fmt.Errorf("working-day calendar %s: %s.%s[%d] = %q is a %s, not %s", name, k, list.field, i, s, t.Weekday(), list.want)
				}
				list.into[dateOf(t)] = true
			}
		}
	}
	return c, nil
}

// Covers reports whether the calendar has the announced schedule of year.
func (c *Calendar) Covers(year int) bool { return c.years[year] }

// IsWorkday reports whether the day of t (in Beijing) is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	d := dateOf(t)
	if c.on[d] {
		return true
	}
	if c.off[d] {
		return false
	}
	if !c.years[d.y] && fixedHoliday(d) {
		return false
	}
	w := time.Date(d.y, d.m, d.d, 12, 0, 0, 0, Beijing).Weekday()
	return w != time.Saturday && w != time.Sunday
}

// fixedHoliday: the statutory holidays with fixed dates (a year without a
// schedule only).
func fixedHoliday(d date) bool {
	switch d.m {
	case time.January:
		return d.d == 1
	case time.May:
		return d.d <= 2
	case time.October:
		return d.d <= 3
	}
	return false
}

// AddWorkingDays returns the end (23:59:59 Beijing time) of the n-th working
// day after t: a request made on the Friday before 国庆节 with 5 working
// days is due after the holiday week. n ≤ 0 gives the end of t's own day.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	d := t.In(Beijing)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkday(d) {
			n--
		}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, Beijing).UTC()
}
