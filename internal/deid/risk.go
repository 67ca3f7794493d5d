package deid

import "math"

// Risk is the re-identification risk of a table under El Emam's three
// attacker models (GB/T 37964 asks for it before and after
// de-identification), computed from the sizes of the equivalence classes
// of the quasi-identifiers.
//
//   - prosecutor: the attacker knows their target is in the table; a
//     record's risk is 1 / (size of its class).
//   - journalist: the attacker holds an identification database of the
//     population; a record's risk is 1 / (size of its class in the
//     population), estimated as the sample class size divided by the
//     sampling fraction.
//   - marketer: the attacker re-identifies as many records as possible; the
//     risk is the expected share of records re-identified.
type Risk struct {
	Prosecutor ModelRisk `json:"prosecutor"`
	Journalist ModelRisk `json:"journalist"`
	Marketer   float64   `json:"marketer"`
	// Classes is the number of equivalence classes; Uniques the records alone in theirs.
	Classes int `json:"classes"`
	Uniques int `json:"uniques"`
	// Threshold is the record risk above which a record counts as at risk.
	Threshold float64 `json:"threshold"`
}

// ModelRisk summarises the record risks of one model.
type ModelRisk struct {
	Highest float64 `json:"highest"`
	Average float64 `json:"average"`
	// AtRisk is the share of records whose risk is above the threshold.
	AtRisk float64 `json:"records_at_risk"`
}

// AssessRisk computes the risk of a table whose equivalence classes have
// the given sizes. samplingFraction (0–1, 0 meaning 1) is the share of the
// population the table holds; threshold is the record-risk limit.
func AssessRisk(classSizes []int, samplingFraction, threshold float64) Risk {
	if samplingFraction <= 0 || samplingFraction > 1 {
		samplingFraction = 1
	}
	r := Risk{Classes: len(classSizes), Threshold: threshold}
	n := 0
	for _, f := range classSizes {
		n += f
	}
	if n == 0 {
		return r
	}
	var pAvg, jAvg float64
	var pAt, jAt int
	for _, f := range classSizes {
		if f == 1 {
			r.Uniques++
		}
		pr := 1 / float64(f)
		F := math.Max(float64(f), math.Round(float64(f)/samplingFraction))
		jr := 1 / F
		r.Prosecutor.Highest = math.Max(r.Prosecutor.Highest, pr)
		r.Journalist.Highest = math.Max(r.Journalist.Highest, jr)
		pAvg += float64(f) * pr
		jAvg += float64(f) * jr
		if pr > threshold+1e-12 {
			pAt += f
		}
		if jr > threshold+1e-12 {
			jAt += f
		}
	}
	r.Prosecutor.Average, r.Journalist.Average = round6(pAvg/float64(n)), round6(jAvg/float64(n))
	r.Prosecutor.AtRisk, r.Journalist.AtRisk = round6(float64(pAt)/float64(n)), round6(float64(jAt)/float64(n))
	r.Prosecutor.Highest, r.Journalist.Highest = round6(r.Prosecutor.Highest), round6(r.Journalist.Highest)
	r.Marketer = r.Journalist.Average
	return r
}

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }
