// Package stats computes the platform's statistics (art. 7): indicators
// from its own records, daily snapshots per institution and city-wide,
// and the published composite index of the digital economy.
//
// CONTRACT STUB (session 24): the types and signatures below are what the
// other parts build against; the stats part replaces the bodies.
package stats

import (
	"context"
	"errors"

	"dataport/internal/store"
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
}

// Value is one indicator's value for one unit in one period.
type Value struct {
	OrgID     string  `json:"org_id"` // CityWide for the city
	Indicator string  `json:"indicator"`
	Value     float64 `json:"value"`
}

// Table is the indicator values of a period: per institution and city-wide.
type Table struct {
	Period     string      `json:"period"` // "2026", "2026-11", "2026-11-30"
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
type Service struct{ db *store.DB }

// New returns the service on db.
func New(db *store.DB) *Service { return &Service{db: db} }

// Indicators returns the indicator values of period ("YYYY", "YYYY-MM" or
// "YYYY-MM-DD") from the daily snapshots: a stock indicator's value on the
// period's last snapshot day, a flow indicator's sum over its days.
func (s *Service) Indicators(ctx context.Context, period string) (Table, error) {
	return Table{}, errors.New("stats: not built yet")
}
