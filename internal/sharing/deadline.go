package sharing

import "time"

// beijing is the time zone deadlines are counted in.
var beijing = time.FixedZone("CST", 8*60*60)

// AddWorkingDays returns the end of the n-th working day (Monday to Friday,
// Beijing time) after t: a request made on Friday with 5 working days is
// due at the end of the next Friday. Public holidays are not known here;
// the operator can extend a deadline by escalation.
func AddWorkingDays(t time.Time, n int) time.Time {
	d := t.In(beijing)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	end := time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, beijing)
	return end.UTC()
}
