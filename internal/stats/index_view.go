package stats

import "dataport/internal/stats/composite"

// IndexWeight is one indicator of a release's method, named, with its
// share of the total weight.
type IndexWeight struct {
	Code      string  `json:"code"`
	NameZh    string  `json:"name_zh"`
	NameEn    string  `json:"name_en"`
	Unit      string  `json:"unit"`
	Weight    float64 `json:"weight"`
	Share     float64 `json:"share" doc:"weight / the sum of the method's weights"`
	Direction int     `json:"direction" doc:"+1 more is better, -1 less is better"`
	Transform string  `json:"transform,omitempty" doc:"log1p: ln(1 + value) before normalising"`
	Excluded  bool    `json:"excluded" doc:"left out of this release: constant across the ranked institutions"`
}

// IndexEntry is one ranked institution of a release.
type IndexEntry struct {
	OrgID      string             `json:"org_id"`
	NameZh     string             `json:"name_zh"`
	NameEn     string             `json:"name_en"`
	Score      float64            `json:"score"`
	Rank       int                `json:"rank"`
	RankMin    int                `json:"rank_min" doc:"best rank over the sensitivity runs (the published rank included)"`
	RankMax    int                `json:"rank_max" doc:"worst rank over the sensitivity runs (the published rank included)"`
	Coverage   float64            `json:"coverage" doc:"share of the weight the institution has values for"`
	Normalised map[string]float64 `json:"normalised" doc:"indicator code → normalised value"`
}

// IndexUnranked is an institution of a release's table that is not ranked.
type IndexUnranked struct {
	OrgID    string  `json:"org_id"`
	NameZh   string  `json:"name_zh"`
	NameEn   string  `json:"name_en"`
	Reason   string  `json:"reason" doc:"coverage: values for too little of the weight; no_varying_indicator: only constant ones"`
	Coverage float64 `json:"coverage"`
}

// Weights are the release's indicators in method order, named.
func (r IndexRelease) Weights() []IndexWeight {
	total := 0.0
	for _, w := range r.Method.Indicators {
		total += w.Weight
	}
	out := make([]IndexWeight, len(r.Method.Indicators))
	for i, w := range r.Method.Indicators {
		out[i] = IndexWeight{Code: w.Code, Weight: w.Weight, Share: w.Weight / total, Direction: w.Direction, Transform: w.Transform}
		for _, ind := range r.Indicators {
			if ind.Code == w.Code {
				out[i].NameZh, out[i].NameEn, out[i].Unit = ind.NameZh, ind.NameEn, ind.Unit
			}
		}
		for _, ex := range r.Result.Excluded {
			out[i].Excluded = out[i].Excluded || ex.Code == w.Code
		}
	}
	return out
}

// Entries are the ranked institutions, best first, named.
func (r IndexRelease) Entries() []IndexEntry {
	names := r.orgNames()
	out := make([]IndexEntry, len(r.Result.Scores))
	for i, s := range r.Result.Scores {
		org := names[s.Unit]
		out[i] = IndexEntry{OrgID: s.Unit, NameZh: org.NameZh, NameEn: org.NameEn, Score: s.Score, Rank: s.Rank, RankMin: s.RankMin,
			RankMax: s.RankMax, Coverage: s.Coverage, Normalised: s.Normalised}
	}
	return out
}

// Unranked are the institutions not ranked, and why, named.
func (r IndexRelease) Unranked() []IndexUnranked {
	names := r.orgNames()
	out := make([]IndexUnranked, len(r.Result.Unranked))
	for i, u := range r.Result.Unranked {
		org := names[u.Unit]
		out[i] = IndexUnranked{OrgID: u.Unit, NameZh: org.NameZh, NameEn: org.NameEn, Reason: u.Reason, Coverage: u.Coverage}
	}
	return out
}

func (r IndexRelease) orgNames() map[string]Org {
	out := make(map[string]Org, len(r.Orgs))
	for _, o := range r.Orgs {
		out[o.ID] = o
	}
	return out
}

// Excluded are the indicators the release left out, and why.
func (r IndexRelease) Excluded() []composite.Excluded { return r.Result.Excluded }
