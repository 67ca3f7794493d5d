package workday

import (
	"testing"
	"time"
)

// TestWorkingDaysBetween counts waiting time as a reviewer feels it: the
// weekend and the National Day week do not count, a worked Saturday does.
func TestWorkingDaysBetween(t *testing.T) {
	at := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02 15:04", s, Beijing)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	c := China()
	for _, test := range []struct {
		from, to string
		want     int
	}{
		{"2026-03-06 09:00", "2026-03-06 18:00", 0}, // same day
		{"2026-03-06 09:00", "2026-03-09 08:00", 1}, // Friday to Monday
		{"2026-03-09 09:00", "2026-03-06 09:00", 0}, // backwards
		{"2026-09-30 10:00", "2026-10-09 10:00", 2}, // 10-01..07 off (10-03, 10-04 the weekend); 10-08, 10-09 worked
		{"2026-10-09 10:00", "2026-10-12 10:00", 2}, // Saturday 10-10 is worked (调休)
		{"2026-03-06 23:30", "2026-03-07 00:30", 0}, // Beijing days, not UTC's
	} {
		if got := c.WorkingDaysBetween(at(test.from), at(test.to)); got != test.want {
			t.Errorf("%s → %s: %d working days, want %d", test.from, test.to, got, test.want)
		}
	}
}
