package asset

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"dataport/internal/fuzztest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
)

// FuzzCompute feeds valuation inputs, as a client sends them, to the
// checks and the computation: they never panic or hang; an input is either
// refused with field problems that each name a field, or valued with the
// last step showing the value; and the same input always gives the same
// computation.
func FuzzCompute(f *testing.F) {
	for _, m := range Methods {
		raw, _ := json.Marshal(validInput(m))
		f.Add(raw)
	}
	f.Add([]byte(`{"method":"income","base_date":"2026-01-01","purpose":"p","assumptions":["a"],"report":{"name":"r","content":"eA=="},` +
		`"product_id":"p","income":{"cash_flows_fen":[-1000000000000000,1],"period_years":2,"discount_rate_bp":1,"share_rate_bp":1}}`))
	f.Add([]byte(`{"method":"market","market":{"comparables":[{"reference":"x","price_fen":1000000000000000,"quality_bp":100000,` +
		`"supply_demand_bp":100000,"timing_bp":100000,"volume_bp":100000,"other_bp":100000}]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var in ValuationInput
		if json.Unmarshal(raw, &in) != nil {
			return
		}
		var steps, again []ComputationStep
		var value, value2 int64
		var err, err2 error
		fuzztest.Within(t, "Compute", func() {
			steps, value, err = Compute(in)
			again, value2, err2 = Compute(in)
		})
		if fmt.Sprint(err) != fmt.Sprint(err2) || value != value2 || !cmp.Equal(steps, again) {
			t.Fatalf("two computations of one input differ: %v / %v, %d / %d", err, err2, value, value2)
		}
		if err != nil {
			var errs validate.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("refused without field problems: %v", err)
			}
			for _, e := range errs {
				if e.Field == "" || e.Code == "" {
					t.Fatalf("a problem names no field or code: %+v", e)
				}
			}
			return
		}
		if len(steps) < 2 || steps[len(steps)-1].Result != fmt.Sprint(value) {
			t.Fatalf("value %d, computation %+v", value, steps)
		}
	})
}
