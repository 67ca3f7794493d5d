package asset

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"dataport/internal/validate"
)

// Method is how a valuation is computed.
type Method string

// The valuation methods (数据资产评估指导意见).
const (
	MethodCost   Method = "cost"   // 成本法: what it would cost to build again, with profit, less depreciation
	MethodIncome Method = "income" // 收益法: the discounted cash flows due to the data
	MethodMarket Method = "market" // 市场法: comparable transactions, adjusted
)

// Methods lists every method.
var Methods = []Method{MethodCost, MethodIncome, MethodMarket}

// Amounts are in fen and rates and factors in basis points (10000 = 100%
// or ×1): integers, so that the computation is exact and the same
// everywhere.
const (
	maxFen     = 1_000_000_000_000_000 // 10 trillion yuan
	maxPeriods = 50
	maxFactor  = 100_000 // ×10
	bp         = 10_000
)

// CostInputs are the cost method's inputs: the costs of building the data
// again, a reasonable profit on them and the depreciation since.
type CostInputs struct {
	CollectionFen  *int64 `json:"collection_fen,omitempty" doc:"数据采集成本 (required)"`
	ProcessingFen  *int64 `json:"processing_fen,omitempty" doc:"数据加工成本 (required)"`
	StorageFen     *int64 `json:"storage_fen,omitempty" doc:"数据存储成本 (required)"`
	OtherFen       *int64 `json:"other_fen,omitempty" doc:"Other direct and indirect costs (default 0)"`
	ProfitRateBP   *int64 `json:"profit_rate_bp,omitempty" doc:"合理利润率 in basis points, 0–10000 (default 0)"`
	DepreciationBP *int64 `json:"depreciation_rate_bp,omitempty" doc:"贬值率 in basis points, 0–10000 (default 0)"`
}

// IncomeInputs are the income method's inputs: the net cash flows
// projected for each year of the income period, the share of them due to
// the data, and the discount rate.
type IncomeInputs struct {
	CashFlowsFen   []int64 `json:"cash_flows_fen,omitempty" doc:"Projected net cash flows, one per year of the period, year 1 first (required)"`
	PeriodYears    *int64  `json:"period_years,omitempty" doc:"收益期限 in years, 1–50 (required): one cash flow each"`
	DiscountRateBP *int64  `json:"discount_rate_bp,omitempty" doc:"折现率 a year in basis points, 1–10000 (required)"`
	ShareRateBP    *int64  `json:"share_rate_bp,omitempty" doc:"收益分成率: the share of the cash flows due to the data, 1–10000 (default 10000)"`
}

// Comparable is a comparable transaction and the factors that adjust its
// price to the data valued.
type Comparable struct {
	Reference      string `json:"reference" doc:"The transaction: a contract number on this exchange or where it is recorded"`
	PriceFen       *int64 `json:"price_fen,omitempty" doc:"Its price (required)"`
	QualityBP      *int64 `json:"quality_bp,omitempty" doc:"质量调整系数 in basis points, 1–100000 (default 10000, ×1)"`
	SupplyDemandBP *int64 `json:"supply_demand_bp,omitempty" doc:"供求调整系数 (default 10000)"`
	TimingBP       *int64 `json:"timing_bp,omitempty" doc:"期日调整系数 (default 10000)"`
	VolumeBP       *int64 `json:"volume_bp,omitempty" doc:"容量调整系数 (default 10000)"`
	OtherBP        *int64 `json:"other_bp,omitempty" doc:"其他调整系数 (default 10000)"`
}

// MarketInputs are the market method's inputs: at least three comparable
// transactions.
type MarketInputs struct {
	Comparables []Comparable `json:"comparables,omitempty" doc:"At least 3, at most 50"`
}

// minComparables is how many comparable transactions the market method needs.
const minComparables = 3

// ComputationStep is one line of a valuation's computation: what it computes, the
// formula with the numbers in it, and the result (fen, exact to four
// decimals until the value, which is rounded half away from zero to the fen).
type ComputationStep struct {
	Name    string `json:"name"`
	Formula string `json:"formula"`
	Result  string `json:"result"`
}

// number is a number input while it is checked: its field, the value
// given, whether it is required, its default and its range.
type number struct {
	field    string
	v        **int64
	required bool
	def      int64
	lo, hi   int64
}

// check records a missing or out-of-range value and fills in the default.
func (n number) check(errs *validate.Errors) {
	if *n.v == nil {
		if n.required {
			errs.Add(n.field, nil, validate.CodeRequired, "is required")
			return
		}
		d := n.def
		*n.v = &d
		return
	}
	if v := **n.v; v < n.lo || v > n.hi {
		errs.Add(n.field, v, validate.CodeRange, "must be between %d and %d", n.lo, n.hi)
	}
}

func checkNumbers(errs *validate.Errors, ns ...number) {
	for _, n := range ns {
		n.check(errs)
	}
}

// check records what is missing or wrong in c and fills in its defaults.
func (c *CostInputs) check(errs *validate.Errors) {
	checkNumbers(errs,
		number{"cost.collection_fen", &c.CollectionFen, true, 0, 0, maxFen},
		number{"cost.processing_fen", &c.ProcessingFen, true, 0, 0, maxFen},
		number{"cost.storage_fen", &c.StorageFen, true, 0, 0, maxFen},
		number{"cost.other_fen", &c.OtherFen, false, 0, 0, maxFen},
		number{"cost.profit_rate_bp", &c.ProfitRateBP, false, 0, 0, bp},
		number{"cost.depreciation_rate_bp", &c.DepreciationBP, false, 0, 0, bp})
}

// check records what is missing or wrong in in and fills in its defaults.
func (in *IncomeInputs) check(errs *validate.Errors) {
	checkNumbers(errs,
		number{"income.period_years", &in.PeriodYears, true, 0, 1, maxPeriods},
		number{"income.discount_rate_bp", &in.DiscountRateBP, true, 0, 1, bp},
		number{"income.share_rate_bp", &in.ShareRateBP, false, bp, 1, bp})
	switch {
	case len(in.CashFlowsFen) == 0:
		errs.Add("income.cash_flows_fen", nil, validate.CodeRequired, "is required: one projected cash flow per year of the period")
	case in.PeriodYears != nil && int64(len(in.CashFlowsFen)) != *in.PeriodYears:
		errs.Add("income.cash_flows_fen", len(in.CashFlowsFen), "one_per_year", "must give one cash flow per year of the period: %d, not %d",
			*in.PeriodYears, len(in.CashFlowsFen))
	}
	for i, cf := range in.CashFlowsFen {
		if cf < -maxFen || cf > maxFen {
			errs.Add(fmt.Sprintf("income.cash_flows_fen[%d]", i), cf, validate.CodeRange, "must be between %d and %d", -maxFen, maxFen)
		}
	}
}

// check records what is missing or wrong in m and fills in its defaults.
func (m *MarketInputs) check(errs *validate.Errors) {
	switch n := len(m.Comparables); {
	case n < minComparables:
		errs.Add("market.comparables", n, validate.CodeAtLeast, "needs at least %d comparable transactions", minComparables)
	case n > maxPeriods:
		errs.Add("market.comparables", n, validate.CodeTooMany, "may list at most %d", maxPeriods)
	}
	for i := range m.Comparables {
		c := &m.Comparables[i]
		f := fmt.Sprintf("market.comparables[%d].", i)
		c.Reference = strings.TrimSpace(c.Reference)
		errs.Required(f+"reference", c.Reference)
		errs.MaxLen(f+"reference", c.Reference, 200)
		checkNumbers(errs,
			number{f + "price_fen", &c.PriceFen, true, 0, 1, maxFen},
			number{f + "quality_bp", &c.QualityBP, false, bp, 1, maxFactor},
			number{f + "supply_demand_bp", &c.SupplyDemandBP, false, bp, 1, maxFactor},
			number{f + "timing_bp", &c.TimingBP, false, bp, 1, maxFactor},
			number{f + "volume_bp", &c.VolumeBP, false, bp, 1, maxFactor},
			number{f + "other_bp", &c.OtherBP, false, bp, 1, maxFactor})
	}
}

// rat is n/d exactly.
func rat(n, d int64) *big.Rat { return big.NewRat(n, d) }

// fen4 shows an exact amount of fen to four decimals.
func fen4(r *big.Rat) string { return r.FloatString(4) }

// round rounds r half away from zero to a whole fen; ok is false when it
// does not fit an int64.
func round(r *big.Rat) (int64, bool) {
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() || q.Int64() == math.MinInt64 {
		return 0, false
	}
	return q.Int64(), true
}

// bpString shows basis points as a factor: 10500 → "1.0500".
func bpString(v int64) string { return rat(v, bp).FloatString(4) }

// compute is the cost method's computation; c has its defaults.
func (c CostInputs) compute() ([]ComputationStep, *big.Rat) {
	total := *c.CollectionFen + *c.ProcessingFen + *c.StorageFen + *c.OtherFen
	withProfit := new(big.Rat).Mul(rat(total, 1), rat(bp+*c.ProfitRateBP, bp))
	value := new(big.Rat).Mul(withProfit, rat(bp-*c.DepreciationBP, bp))
	return []ComputationStep{
		{"replacement_cost", fmt.Sprintf("collection + processing + storage + other = %d + %d + %d + %d", *c.CollectionFen, *c.ProcessingFen,
			*c.StorageFen, *c.OtherFen), fen4(rat(total, 1))},
		{"with_profit", fmt.Sprintf("replacement_cost × (1 + profit_rate) = %d × %s", total, bpString(bp+*c.ProfitRateBP)), fen4(withProfit)},
		{"less_depreciation", fmt.Sprintf("with_profit × (1 − depreciation_rate) = %s × %s", fen4(withProfit), bpString(bp-*c.DepreciationBP)), fen4(value)},
	}, value
}

// compute is the income method's computation; in has its defaults.
func (in IncomeInputs) compute() ([]ComputationStep, *big.Rat) {
	var steps []ComputationStep
	sum := new(big.Rat)
	discount := rat(bp+*in.DiscountRateBP, bp)
	factor := rat(1, 1)
	for t, cf := range in.CashFlowsFen {
		factor.Mul(factor, discount)
		pv := new(big.Rat).Mul(rat(cf, 1), rat(*in.ShareRateBP, bp))
		pv.Quo(pv, factor)
		sum.Add(sum, pv)
		steps = append(steps, ComputationStep{fmt.Sprintf("present_value_year_%d", t+1),
			fmt.Sprintf("cash_flow × share_rate ÷ (1 + discount_rate)^%d = %d × %s ÷ %s^%d", t+1, cf, bpString(*in.ShareRateBP), bpString(bp+*in.DiscountRateBP), t+1),
			fen4(pv)})
	}
	return append(steps, ComputationStep{"sum_of_present_values", fmt.Sprintf("Σ present_value_year_1..%d", len(in.CashFlowsFen)), fen4(sum)}), sum
}

// compute is the market method's computation; m has its defaults.
func (m MarketInputs) compute() ([]ComputationStep, *big.Rat) {
	var steps []ComputationStep
	sum := new(big.Rat)
	for i, c := range m.Comparables {
		adj := rat(*c.PriceFen, 1)
		for _, f := range []int64{*c.QualityBP, *c.SupplyDemandBP, *c.TimingBP, *c.VolumeBP, *c.OtherBP} {
			adj.Mul(adj, rat(f, bp))
		}
		sum.Add(sum, adj)
		steps = append(steps, ComputationStep{fmt.Sprintf("adjusted_price_%d", i+1),
			fmt.Sprintf("price × quality × supply_demand × timing × volume × other = %d × %s × %s × %s × %s × %s", *c.PriceFen,
				bpString(*c.QualityBP), bpString(*c.SupplyDemandBP), bpString(*c.TimingBP), bpString(*c.VolumeBP), bpString(*c.OtherBP)), fen4(adj)})
	}
	mean := new(big.Rat).Quo(sum, rat(int64(len(m.Comparables)), 1))
	return append(steps, ComputationStep{"mean_adjusted_price", fmt.Sprintf("Σ adjusted_price ÷ %d = %s ÷ %d", len(m.Comparables), fen4(sum),
		len(m.Comparables)), fen4(mean)}), mean
}
