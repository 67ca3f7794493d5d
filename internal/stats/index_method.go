package stats

import "dataport/internal/stats/composite"

// DefaultMethodVersion names the method DefaultMethod returns.
const DefaultMethodVersion = "dataport-dei-2026.1"

// DefaultMethod is the method the platform ships for the composite index
// of the digital economy (数字经济综合评价指数): six dimensions — data
// supply, openness, quality, use, market and security — over the
// indicators of the statistics, min-max normalised (counts through log1p,
// so that one large institution does not flatten the rest), aggregated
// arithmetically, weights summing to 1. An institution needs values for
// 60 % of the weight to be ranked. The ranks are tested under 1,000 weight
// sets, each weight times U(0.5, 1.5), and under z-scores and geometric
// aggregation (floor 0.1). docs/stats-index.md explains each choice.
func DefaultMethod() composite.Method {
	w := func(code string, weight float64, direction int, transform string) composite.Weighted {
		return composite.Weighted{Code: code, Weight: weight, Direction: direction, Transform: transform}
	}
	const log = composite.Log1p
	return composite.Method{
		Version:       DefaultMethodVersion,
		Normalisation: composite.MinMax,
		Aggregation:   composite.Arithmetic,
		Floor:         0.1,
		MinCoverage:   0.6,
		Indicators: []composite.Weighted{
			// Data supply (数据供给), 0.28.
			w("resources_published", 0.10, 1, log),
			w("catalog_completeness", 0.10, 1, ""),
			w("data_coverage", 0.08, 1, ""),
			// Openness (开放), 0.16.
			w("open_resources", 0.08, 1, log),
			w("open_list_fulfilment", 0.08, 1, ""),
			// Quality (质量), 0.18.
			w("freshness_rate", 0.08, 1, ""),
			w("quality_score", 0.10, 1, ""),
			// Use (利用), 0.30.
			w("api_calls", 0.08, 1, log),
			w("rows_served", 0.04, 1, log),
			w("share_requests_granted", 0.06, 1, log),
			w("share_decision_hours", 0.05, -1, ""),
			w("open_applications_granted", 0.04, 1, log),
			w("zone_queries", 0.03, 1, log),
			// Market (市场), 0.04.
			w("exchange_volume", 0.04, 1, log),
			// Security (安全), 0.04.
			w("incidents", 0.02, -1, ""),
			w("assessments_current", 0.02, 1, log),
		},
		Sensitivity: composite.Sensitivity{Runs: 1000, Jitter: 0.5, Seed: 20260701, Alternatives: true},
	}
}
