// Package stats computes the platform's statistics (art. 7): the indicators
// of indicators.go from its own records, daily snapshots per institution and
// city-wide (snapshot.go), the values of a year, month or day (Indicators),
// and their CSV and JSON exports. The composite index (index*.go,
// composite/) builds on Indicators.
package stats

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"dataport/internal/store"
	"dataport/internal/validate"
)

// CityWide is the unit of the whole city's figures.
const CityWide = ""

// Indicator describes one indicator of the system.
type Indicator struct {
	Code      string `json:"code"` // e.g. "catalog_completeness"
	NameZh    string `json:"name_zh"`
	NameEn    string `json:"name_en"`
	Unit      string `json:"unit"`      // "%", "count", "hours", …
	Direction int    `json:"direction"` // +1 more is better, -1 less is better
	Kind      string `json:"kind"`      // "stock" (value at the period's end) or "flow" (summed over the period)
	CityOnly  bool   `json:"city_only,omitempty"`
	HowZh     string `json:"how_zh"` // how it is computed, in Chinese
	How       string `json:"how"`    // and in English
}

// mean reports whether a flow's period value is a mean per event
// (sum of num / sum of den) rather than a sum.
func (in Indicator) mean() bool { return in.Kind == Flow && in.Unit == UnitHours }

// Value is one indicator's value for one unit in one period.
type Value struct {
	OrgID     string  `json:"org_id"` // CityWide for the city
	Indicator string  `json:"indicator"`
	Value     float64 `json:"value"`
}

// Table is the indicator values of a period: per institution and city-wide.
type Table struct {
	Period     string      `json:"period"` // "2026", "2026-11", "2026-11-30"
	From       string      `json:"from"`   // the first and last snapshot days it covers ("" when none)
	To         string      `json:"to"`
	Days       int         `json:"days"` // snapshot days in the period
	Indicators []Indicator `json:"indicators"`
	Orgs       []Org       `json:"orgs"`
	Values     []Value     `json:"values"`
}

// Org is an institution in a table.
type Org struct {
	ID     string `json:"id"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
}

// Service computes and keeps the statistics.
type Service struct {
	db     *store.DB
	now    func() time.Time
	served served // rows served counted, not yet flushed (served.go)
}

// New returns the service on db.
func New(db *store.DB) *Service { return &Service{db: db, now: time.Now} }

// Beijing is the statistics' calendar: a day is a day in Beijing (UTC+8,
// no daylight saving time).
var Beijing = time.FixedZone("CST", 8*3600)

// Period is a parsed period: a year, a month or a day, as the first and
// last days it spans ("YYYY-MM-DD").
type Period struct {
	Name     string
	From, To string
}

// ParsePeriod parses "YYYY", "YYYY-MM" or "YYYY-MM-DD"; anything else is a
// field error on field.
func ParsePeriod(field, s string) (Period, error) {
	layouts := map[int]struct {
		layout string
		next   func(time.Time) time.Time
	}{
		4:  {"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		7:  {"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		10: {"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	}
	l, ok := layouts[len(s)]
	var t time.Time
	var err error
	if ok {
		t, err = time.Parse(l.layout, s)
	}
	if !ok || err != nil || t.Year() < 2000 || t.Year() > 2999 {
		var errs validate.Errors
		errs.Add(field, s, validate.CodeFormat, "a period is a year (2026), a month (2026-11) or a day (2026-11-30)")
		return Period{}, errs.Err()
	}
	return Period{Name: s, From: t.Format(time.DateOnly), To: l.next(t).AddDate(0, 0, -1).Format(time.DateOnly)}, nil
}

// Indicators returns the indicator values of period ("YYYY", "YYYY-MM" or
// "YYYY-MM-DD") from the daily snapshots: a stock indicator's value on the
// period's last snapshot day, a flow indicator's sum over its days (a mean
// in hours re-weighted by its events). A period without snapshots gives a
// table without values.
func (s *Service) Indicators(ctx context.Context, period string) (Table, error) {
	p, err := ParsePeriod("period", period)
	if err != nil {
		return Table{}, err
	}
	t := Table{Period: p.Name, Indicators: System(), Orgs: []Org{}, Values: []Value{}}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(day), ''), COALESCE(MAX(day), '') FROM stats_snapshots
		WHERE day >= $1 AND day <= $2`, p.From, p.To).Scan(&t.Days, &t.From, &t.To)
	if err != nil || t.Days == 0 {
		return t, err
	}
	if t.Values, err = s.periodValues(ctx, t.From, t.To); err != nil {
		return Table{}, err
	}
	t.Orgs, err = s.orgsOf(ctx, t.Values)
	return t, err
}

// periodValues aggregates the snapshots from..to (days with snapshots).
func (s *Service) periodValues(ctx context.Context, from, to string) ([]Value, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT org_id, indicator, day, value, num, den FROM stats_values
		WHERE day >= $1 AND day <= $2 ORDER BY org_id, indicator, day`, from, to)
	if err != nil {
		return nil, fmt.Errorf("stats: values: %w", err)
	}
	defer rows.Close()
	type key struct{ org, code string }
	type acc struct {
		last, num, den float64
		onLast         bool
	}
	accs := map[key]*acc{}
	var keys []key
	for rows.Next() {
		var k key
		var day string
		var v, num, den float64
		if err := rows.Scan(&k.org, &k.code, &day, &v, &num, &den); err != nil {
			return nil, err
		}
		a := accs[k]
		if a == nil {
			a = &acc{}
			accs[k] = a
			keys = append(keys, k)
		}
		in, _ := indicator(k.code)
		if in.Kind == Stock && day != to {
			continue // a stock's value is its value on the last day
		}
		a.last, a.num, a.den, a.onLast = v, a.num+num, a.den+den, day == to
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Value{}
	for _, k := range keys {
		a := accs[k]
		in, ok := indicator(k.code)
		switch {
		case !ok:
			continue
		case in.Kind == Stock:
			if !a.onLast {
				continue // no row on the last day: no value then
			}
			out = append(out, Value{OrgID: k.org, Indicator: k.code, Value: a.last})
		case in.mean():
			if a.den > 0 {
				out = append(out, Value{OrgID: k.org, Indicator: k.code, Value: round(a.num / a.den)})
			}
		default:
			out = append(out, Value{OrgID: k.org, Indicator: k.code, Value: round(a.num)})
		}
	}
	sortValues(out)
	return out, nil
}

// orgsOf names the institutions that have values.
func (s *Service) orgsOf(ctx context.Context, vals []Value) ([]Org, error) {
	seen := map[string]bool{}
	for _, v := range vals {
		seen[v.OrgID] = v.OrgID != CityWide
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name_zh, name_en FROM organizations ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Org{}
	for rows.Next() {
		var o Org
		if err := rows.Scan(&o.ID, &o.NameZh, &o.NameEn); err != nil {
			return nil, err
		}
		if seen[o.ID] {
			out = append(out, o)
		}
	}
	return out, rows.Err()
}

// sortValues orders values by unit (the city first) and the system's order.
func sortValues(vals []Value) {
	order := systemOrder()
	sort.SliceStable(vals, func(i, j int) bool {
		if vals[i].OrgID != vals[j].OrgID {
			return vals[i].OrgID < vals[j].OrgID
		}
		return order[vals[i].Indicator] < order[vals[j].Indicator]
	})
}

// Point is one day's value of one indicator for one unit.
type Point struct {
	Day   string  `json:"day"`
	Value float64 `json:"value"`
}

// Series returns the daily values of indicator code for org (CityWide for
// the city) over period, oldest first: the trend behind a period's value.
// Days without a value (a ratio without a denominator) are left out.
func (s *Service) Series(ctx context.Context, period, org, code string) ([]Point, error) {
	p, err := ParsePeriod("period", period)
	if err != nil {
		return nil, err
	}
	q := `SELECT day, value FROM stats_values WHERE org_id = $1 AND indicator = $2 AND day >= $3 AND day <= $4 ORDER BY day`
	if org == CityWide { // the literal lets the planner use the city's partial index
		q = strings.Replace(q, "org_id = $1", "org_id = '' AND $1 = ''", 1)
	}
	rows, err := s.db.QueryContext(ctx, q, org, code, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("stats: series: %w", err)
	}
	defer rows.Close()
	out := []Point{}
	for rows.Next() {
		var pt Point
		if err := rows.Scan(&pt.Day, &pt.Value); err != nil {
			return nil, err
		}
		out = append(out, pt)
	}
	return out, rows.Err()
}

// Latest returns the newest snapshot's day, "" when none was taken.
func (s *Service) Latest(ctx context.Context) (string, error) {
	var day string
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(day), '') FROM stats_snapshots`).Scan(&day)
	return day, err
}
