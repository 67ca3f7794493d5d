package assess

import (
	"encoding/json"
	"testing"

	"dataport/internal/validate"
)

// FuzzItems feeds the items of a save (the API's JSON body, the pages'
// rows) through trimming and validation: never a panic; items that pass
// have a risk for every vulnerability, each step a grade 1–5 and the
// value 1–25 with the level its band gives; items that fail name fields.
func FuzzItems(f *testing.F) {
	seed, _ := json.Marshal(Items{
		Assets:          []Asset{{Code: "A1", Name: "数据", Kind: "data", Value: 4}},
		Threats:         []Threat{{Code: "T1", Name: "抓取", Source: "external_attack", Likelihood: 3}},
		Vulnerabilities: []Vulnerability{{Code: "V1", Name: "未限频", Asset: "A1", Threat: "T1", Severity: 5}},
		Measures:        []Measure{{Code: "M1", Name: "日志", Kind: "technical", Effective: true, Vulnerabilities: []string{"V1"}}},
		Findings:        []Finding{{Code: "F1", Text: "限频", Risks: []string{"V1"}, Treatment: "reduce"}},
	})
	f.Add(seed)
	f.Add([]byte(`{"assets":[{"code":"A1","value":0}],"vulnerabilities":[{"code":"V1","asset":"A2","threat":""}]}`))
	f.Add([]byte(`{"assets":[{"code":" a-1 ","name":"x","kind":"site","value":5},{"code":"a-1"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var it Items
		if json.Unmarshal(body, &it) != nil {
			return
		}
		it = it.trimmed()
		var errs validate.Errors
		it.validate(&errs)
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Field == "" || e.Message == "" {
					t.Fatalf("a problem without field or message: %+v", e)
				}
			}
			return
		}
		risks := Compute(it)
		if len(risks) != len(it.Vulnerabilities) {
			t.Fatalf("%d risks of %d valid vulnerabilities", len(risks), len(it.Vulnerabilities))
		}
		for _, r := range risks {
			for _, g := range []int{r.Residual, r.EventLikelihood, r.EventLoss, r.Level} {
				if g < 1 || g > 5 {
					t.Fatalf("a grade out of 1–5: %+v", r)
				}
			}
			if r.Value < 1 || r.Value > 25 || Band(r.Value, LevelBands) != r.Level || r.Residual > r.Severity {
				t.Fatalf("risk %+v", r)
			}
		}
	})
}
