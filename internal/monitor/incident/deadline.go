package incident

import (
	"time"
)

// Config sets the deadlines, in hours from the discovery, per level.
//
// The defaults (DefaultConfig) follow China's rules as the platform reads
// them, and every figure can be changed by the operator:
//
//   - Report to the authority. The CAC's Measures for Reporting National
//     Cybersecurity Incidents (国家网络安全事件报告管理办法, 2025-09-11, in
//     force 2025-11-01) art. 4 ask a network operator to report an
//     incident of level 较大 or above to the provincial CAC within 4
//     hours at the latest (critical information infrastructure: 1 hour to
//     its protection department; central state organs: 2 hours). A city's
//     units report to the city, so major, serious and critical default to
//     4 hours. The Measures set no time for a 一般 (general) incident;
//     the Data Security Law art. 29 asks for a report "按照规定" without
//     hours, so the platform's default is 72 hours — our choice, for the
//     record the competent department keeps.
//   - Notify the affected persons. PIPL art. 57 asks for the persons to be
//     notified at once (立即) with the categories of data, the cause, the
//     harm, the measures, what they can do and how to reach the unit; no
//     law sets hours, so the defaults are ours: 24 hours for serious and
//     critical incidents, 48 for major, 72 for general (the GDPR's 72 hours
//     as the outer bound). No notice is due when no person is affected.
//
// RemindBefore is how long before a deadline the reminder that it nears
// is sent (one more is sent once it has passed unmet).
type Config struct {
	NotifyHours  map[Level]float64
	ReportHours  map[Level]float64
	RemindBefore time.Duration
	// Authority is whom the report is addressed to (default 有关主管部门).
	Authority string
}

// DefaultConfig returns the default deadlines (see Config).
func DefaultConfig() Config {
	return Config{
		NotifyHours:  map[Level]float64{LevelGeneral: 72, LevelMajor: 48, LevelSerious: 24, LevelCritical: 24},
		ReportHours:  map[Level]float64{LevelGeneral: 72, LevelMajor: 4, LevelSerious: 4, LevelCritical: 4},
		RemindBefore: time.Hour,
		Authority:    "有关主管部门",
	}
}

// withDefaults fills every level, and the reminder lead, that cfg leaves
// unset (zero or negative) with the default.
func (cfg Config) withDefaults() Config {
	def := DefaultConfig()
	out := Config{NotifyHours: map[Level]float64{}, ReportHours: map[Level]float64{}, RemindBefore: cfg.RemindBefore, Authority: cfg.Authority}
	for _, l := range Levels {
		out.NotifyHours[l], out.ReportHours[l] = def.NotifyHours[l], def.ReportHours[l]
		if h := cfg.NotifyHours[l]; h > 0 {
			out.NotifyHours[l] = h
		}
		if h := cfg.ReportHours[l]; h > 0 {
			out.ReportHours[l] = h
		}
	}
	if out.RemindBefore <= 0 {
		out.RemindBefore = def.RemindBefore
	}
	if out.Authority == "" {
		out.Authority = def.Authority
	}
	return out
}

// Due computes the deadlines of an incident of level discovered at
// discovered: to notify the persons (nil when none is affected) and to
// report to the authority.
func (cfg Config) Due(level Level, discovered time.Time, persons int64) (notify *time.Time, report time.Time) {
	cfg = cfg.withDefaults()
	report = discovered.Add(hours(cfg.ReportHours[level]))
	if persons > 0 {
		n := discovered.Add(hours(cfg.NotifyHours[level]))
		notify = &n
	}
	return notify, report
}

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)).Round(time.Second) }

// The deadlines' names.
const (
	DeadlineNotify = "notify" // notify the affected persons
	DeadlineReport = "report" // report to the authority
)

// Deadline is one of an incident's deadlines and whether it was met.
type Deadline struct {
	Name  string     `json:"name" enum:"notify,report"`
	Due   time.Time  `json:"due"`
	MetAt *time.Time `json:"met_at"`
}

// DeadlineStatus is where a deadline stands at a moment.
type DeadlineStatus string

// The statuses of a deadline.
const (
	Pending DeadlineStatus = "pending"  // not met, not near
	DueSoon DeadlineStatus = "due_soon" // not met, due within the reminder lead
	Overdue DeadlineStatus = "overdue"  // not met, passed
	Met     DeadlineStatus = "met"      // met in time
	MetLate DeadlineStatus = "met_late" // met after it had passed
)

// Status says where d stands at now, with soon the reminder lead.
func (d Deadline) Status(now time.Time, soon time.Duration) DeadlineStatus {
	switch {
	case d.MetAt != nil && d.MetAt.After(d.Due):
		return MetLate
	case d.MetAt != nil:
		return Met
	case !now.Before(d.Due):
		return Overdue
	case !now.Before(d.Due.Add(-soon)):
		return DueSoon
	}
	return Pending
}

// Left is how long remains until d is due at now (negative once passed).
func (d Deadline) Left(now time.Time) time.Duration { return d.Due.Sub(now) }
