package asset

import (
	"encoding/json"
	"math/big"
	"slices"
	"testing"

	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
)

func i64(v int64) *int64 { return &v }

// validInput is a complete valuation of method m.
func validInput(m Method) ValuationInput {
	in := ValuationInput{ProductID: "p1", Method: m, BaseDate: "2026-06-30", Purpose: "数据资产入表",
		Assumptions: []string{"持续经营", "数据来源合法且持续可得"}, Report: ReportFile{Name: "评估报告.pdf", Content: []byte("%PDF-1.7 report")}}
	switch m {
	case MethodCost:
		in.Cost = &CostInputs{CollectionFen: i64(100_000), ProcessingFen: i64(50_000), StorageFen: i64(25_000), ProfitRateBP: i64(1_000),
			DepreciationBP: i64(2_000)}
	case MethodIncome:
		in.Income = &IncomeInputs{CashFlowsFen: []int64{100_000, 100_000, 100_000}, PeriodYears: i64(3), DiscountRateBP: i64(1_000)}
	case MethodMarket:
		in.Market = &MarketInputs{Comparables: []Comparable{
			{Reference: "JH-C-2026-0001", PriceFen: i64(100_000), QualityBP: i64(11_000)},
			{Reference: "JH-C-2026-0002", PriceFen: i64(120_000), TimingBP: i64(9_000)},
			{Reference: "上海数据交易所 2026-031", PriceFen: i64(90_000)},
		}}
	}
	return in
}

// TestComputeByMethod checks each method's value against the figure
// worked out by hand, and that the computation shows its steps.
func TestComputeByMethod(t *testing.T) {
	for _, test := range []struct {
		method Method
		value  int64
		steps  []string
	}{
		// (100000 + 50000 + 25000) × 1.1 × 0.8
		{MethodCost, 154_000, []string{"replacement_cost", "with_profit", "less_depreciation", "value"}},
		// 100000/1.1 + 100000/1.21 + 100000/1.331 = 248685.1991…
		{MethodIncome, 248_685, []string{"present_value_year_1", "present_value_year_2", "present_value_year_3", "sum_of_present_values", "value"}},
		// (110000 + 108000 + 90000) / 3 = 102666.67
		{MethodMarket, 102_667, []string{"adjusted_price_1", "adjusted_price_2", "adjusted_price_3", "mean_adjusted_price", "value"}},
	} {
		t.Run(string(test.method), func(t *testing.T) {
			steps, value, err := Compute(validInput(test.method))
			if err != nil {
				t.Fatal(err)
			}
			if value != test.value {
				t.Errorf("value = %d fen, want %d", value, test.value)
			}
			var names []string
			for _, s := range steps {
				names = append(names, s.Name)
			}
			if diff := cmp.Diff(test.steps, names); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if last := steps[len(steps)-1]; last.Result != big.NewInt(test.value).String() {
				t.Errorf("the last step shows %q, not the value", last.Result)
			}
			again, value2, _ := Compute(validInput(test.method))
			if diff := cmp.Diff(steps, again); diff != "" || value2 != value {
				t.Errorf("a second computation differs:\n%s", diff)
			}
		})
	}
	steps, _, _ := Compute(validInput(MethodIncome))
	if want := "cash_flow × share_rate ÷ (1 + discount_rate)^2 = 100000 × 1.0000 ÷ 1.1000^2"; steps[1].Formula != want || steps[1].Result != "82644.6281" {
		t.Errorf("year 2: %+v, want %q = 82644.6281", steps[1], want)
	}
}

// TestComputeNamesTheMissingInput: every required input of each method,
// left out, is a field error naming it.
func TestComputeNamesTheMissingInput(t *testing.T) {
	for _, test := range []struct {
		name   string
		method Method
		drop   func(*ValuationInput)
		field  string
	}{
		{"cost collection", MethodCost, func(in *ValuationInput) { in.Cost.CollectionFen = nil }, "cost.collection_fen"},
		{"cost processing", MethodCost, func(in *ValuationInput) { in.Cost.ProcessingFen = nil }, "cost.processing_fen"},
		{"cost storage", MethodCost, func(in *ValuationInput) { in.Cost.StorageFen = nil }, "cost.storage_fen"},
		{"income cash flows", MethodIncome, func(in *ValuationInput) { in.Income.CashFlowsFen = nil }, "income.cash_flows_fen"},
		{"income discount rate", MethodIncome, func(in *ValuationInput) { in.Income.DiscountRateBP = nil }, "income.discount_rate_bp"},
		{"income period", MethodIncome, func(in *ValuationInput) { in.Income.PeriodYears = nil }, "income.period_years"},
		{"market price", MethodMarket, func(in *ValuationInput) { in.Market.Comparables[1].PriceFen = nil }, "market.comparables[1].price_fen"},
		{"market reference", MethodMarket, func(in *ValuationInput) { in.Market.Comparables[2].Reference = " " }, "market.comparables[2].reference"},
		{"the method's inputs", MethodCost, func(in *ValuationInput) { in.Cost = nil }, "cost"},
		{"assumptions", MethodCost, func(in *ValuationInput) { in.Assumptions = []string{" "} }, "assumptions"},
		{"report", MethodIncome, func(in *ValuationInput) { in.Report.Content = nil }, "report.content"},
		{"base date", MethodMarket, func(in *ValuationInput) { in.BaseDate = "30/06/2026" }, "base_date"},
	} {
		t.Run(test.name, func(t *testing.T) {
			in := validInput(test.method)
			test.drop(&in)
			_, _, err := Compute(in)
			var errs validate.Errors
			if !asErrors(err, &errs) || len(errs) != 1 || errs[0].Field != test.field {
				t.Fatalf("err = %v, want one problem naming %s", err, test.field)
			}
		})
	}
}

func asErrors(err error, errs *validate.Errors) bool {
	e, ok := err.(validate.Errors)
	*errs = e
	return ok
}

// TestComputeRefusesWrongInputs: out-of-range values, too few
// comparables, a period that does not match the cash flows, inputs of
// another method.
func TestComputeRefusesWrongInputs(t *testing.T) {
	for _, test := range []struct {
		name   string
		method Method
		edit   func(*ValuationInput)
		field  string
		code   string
	}{
		{"negative cost", MethodCost, func(in *ValuationInput) { in.Cost.StorageFen = i64(-1) }, "cost.storage_fen", validate.CodeRange},
		{"depreciation over 100%", MethodCost, func(in *ValuationInput) { in.Cost.DepreciationBP = i64(10_001) }, "cost.depreciation_rate_bp", validate.CodeRange},
		{"period and cash flows", MethodIncome, func(in *ValuationInput) { in.Income.PeriodYears = i64(5) }, "income.cash_flows_fen", "one_per_year"},
		{"zero discount rate", MethodIncome, func(in *ValuationInput) { in.Income.DiscountRateBP = i64(0) }, "income.discount_rate_bp", validate.CodeRange},
		{"two comparables", MethodMarket, func(in *ValuationInput) { in.Market.Comparables = in.Market.Comparables[:2] }, "market.comparables", validate.CodeAtLeast},
		{"zero factor", MethodMarket, func(in *ValuationInput) { in.Market.Comparables[0].VolumeBP = i64(0) }, "market.comparables[0].volume_bp", validate.CodeRange},
		{"another method's inputs", MethodCost, func(in *ValuationInput) { in.Income = validInput(MethodIncome).Income }, "income", "other_method"},
		{"unknown method", "dcf", func(in *ValuationInput) {}, "method", validate.CodeOneOf},
	} {
		t.Run(test.name, func(t *testing.T) {
			in := validInput(test.method)
			if test.method == "dcf" {
				in = validInput(MethodCost)
				in.Method, in.Cost = "dcf", nil
			}
			test.edit(&in)
			_, _, err := Compute(in)
			var errs validate.Errors
			if !asErrors(err, &errs) || !slices.ContainsFunc(errs, func(e validate.FieldError) bool { return e.Field == test.field && e.Code == test.code }) {
				t.Fatalf("err = %v, want %s naming %s", err, test.code, test.field)
			}
		})
	}
}

// TestComputeLeavesTheInputAlone: defaults are filled in on copies, not
// in the caller's inputs.
func TestComputeLeavesTheInputAlone(t *testing.T) {
	in := validInput(MethodMarket)
	before, _ := json.Marshal(in)
	if _, _, err := Compute(in); err != nil {
		t.Fatal(err)
	}
	if after, _ := json.Marshal(in); string(after) != string(before) {
		t.Errorf("Compute changed its input:\n%s\n%s", before, after)
	}
}

func TestRoundHalfAwayFromZero(t *testing.T) {
	for _, test := range []struct {
		n, d int64
		want int64
	}{{5, 2, 3}, {-5, 2, -3}, {7, 3, 2}, {-7, 3, -2}, {249, 100, 2}, {0, 1, 0}} {
		if got, ok := round(big.NewRat(test.n, test.d)); !ok || got != test.want {
			t.Errorf("round(%d/%d) = %d, want %d", test.n, test.d, got, test.want)
		}
	}
	huge := new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), 70))
	if _, ok := round(huge); ok {
		t.Error("2^70 fen fitted an int64")
	}
}
