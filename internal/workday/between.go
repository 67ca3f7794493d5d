package workday

import "time"

// WorkingDaysBetween counts the working days after from's day up to and
// including to's day, in Beijing time: a case filed on a Friday and looked
// at on the next Monday has waited 1 working day; the same day, 0. It is 0
// when to is not after from.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	d, end := dateOf(from), dateOf(to)
	day := time.Date(d.y, d.m, d.d, 12, 0, 0, 0, Beijing)
	last := time.Date(end.y, end.m, end.d, 12, 0, 0, 0, Beijing)
	n := 0
	for day = day.AddDate(0, 0, 1); !day.After(last); day = day.AddDate(0, 0, 1) {
		if c.IsWorkday(day) {
			n++
		}
	}
	return n
}
