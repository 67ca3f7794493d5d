package ui

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"dataport/internal/exchange"
	registry "dataport/internal/exchange/asset"
	"dataport/internal/identity"
	"dataport/internal/validate"
	"dataport/internal/web/ui/i18n"
)

// The valuation reports' pages: the reports the viewer may read, the form
// an assessor files one with (the chosen method's inputs typed in yuan,
// percent and factors, the report's file), and one report with its
// computation.

// maxReportBytes bounds a valuation report's file, as the registry does.
const maxReportBytes = 3 << 20

// comparableRows is how many comparable transactions the form offers.
const comparableRows = 5

// valuationRow is a valuation in a list.
type valuationRow struct {
	registry.Valuation
	Product, Assessor string
}

// Value is the value as a person reads it.
func (v valuationRow) Value() string { return yuan(v.ValueFen) }

// valuationsData is the list page.
type valuationsData struct {
	Nav      exchangeNav
	Rows     []valuationRow
	Assessor bool // the viewer files for an assessor
}

// valuationsPage lists the valuations the viewer may read (?product= narrows).
func (s *server) valuationsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	list, err := s.acc.Assets.Valuations(r.Context(), p, r.URL.Query().Get("product"))
	if err != nil {
		return err
	}
	d := valuationsData{Nav: s.exchangeNavFor(r, "valuations"), Assessor: len(s.assessorsOf(r, p)) > 0}
	n := newNames(s, r.Context(), p)
	for _, v := range list {
		d.Rows = append(d.Rows, valuationRow{v, n.productTitle(v.ProductID), n.participantName(v.AssessorID)})
	}
	return s.render(w, r, http.StatusOK, "exchange_valuations", d)
}

// assessorsOf are the admitted assessor participants p files for.
func (s *server) assessorsOf(r *http.Request, p identity.Principal) []participantRow {
	var out []participantRow
	n := newNames(s, r.Context(), p)
	for _, pt := range s.participantsOf(r.Context(), p) {
		if pt.Trading() && pt.Has(exchange.RoleAssessor) && p.AtLeast(pt.OrgID, identity.RoleEditor) {
			out = append(out, participantRow{pt, n.org(pt.OrgID)})
		}
	}
	return out
}

// valuationForm is the filing form, as typed.
type valuationForm struct {
	Nav         exchangeNav
	Assessors   []participantRow
	Products    []exchange.Product
	V           map[string]string // every input but the lists, by name
	Assumptions string
	CashFlows   string
	Comparables []map[string]string
	Errors      formErrors
}

// Methods are the form's choices.
func (valuationForm) Methods() []registry.Method { return registry.Methods }

// Get returns the typed value of input name.
func (f valuationForm) Get(name string) string { return f.V[name] }

// newValuationForm shows the form to the editors of an assessor participant
// (?product= picks the product).
func (s *server) newValuationForm(w http.ResponseWriter, r *http.Request) error {
	f := valuationForm{V: map[string]string{"product_id": r.URL.Query().Get("product"), "method": string(registry.MethodCost)}}
	return s.showValuationForm(w, r, http.StatusOK, f)
}

func (s *server) showValuationForm(w http.ResponseWriter, r *http.Request, status int, f valuationForm) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f.Nav, f.Assessors = s.exchangeNavFor(r, "valuations"), s.assessorsOf(r, p)
	if len(f.Assessors) > 0 {
		if f.Products, err = s.acc.Exchange.Products(r.Context(), p, exchange.ProductFilter{Status: exchange.ProductListed, Limit: 500}); err != nil {
			return err
		}
	}
	for len(f.Comparables) < comparableRows {
		f.Comparables = append(f.Comparables, map[string]string{})
	}
	return s.render(w, r, status, "exchange_valuation_form", f)
}

// valuationInputs are the single inputs of the form.
var valuationInputs = []string{"product_id", "assessor_org_id", "method", "base_date", "valuation_purpose", "cost_collection",
	"cost_processing", "cost_storage", "cost_other", "cost_profit_rate", "cost_depreciation", "income_period_years",
	"income_discount_rate", "income_share_rate"}

// comparableInputs are the inputs of one comparable transaction.
var comparableInputs = []string{"reference", "price", "quality", "supply_demand", "timing", "volume", "other"}

// fileValuation files a valuation (multipart: csrf_token, the inputs above,
// assumptions and income_cash_flows one per line, comp_<input>_<row> for
// the comparables, then report_file). Refused inputs show the form again
// and file nothing.
func (s *server) fileValuation(w http.ResponseWriter, r *http.Request) error {
	p, done, err := s.uploader(r)
	if err != nil {
		return err
	}
	defer done()
	r, err = s.multipartForm(w, r, maxReportBytes)
	if err != nil {
		return err
	}
	f := readValuationForm(r)
	var errs validate.Errors
	in := f.input(&errs)
	report, err := readReport(r)
	if err != nil {
		return err
	}
	in.Report = report
	if len(errs) == 0 {
		v, err := s.acc.Assets.FileValuation(r.Context(), p, in)
		if err == nil {
			return seeOther(w, r, "/exchange/valuations/"+v.ID, "exchange_valuation_filed")
		}
		if errs = fieldErrors(err); errs == nil {
			return err
		}
	}
	f.Errors = exchangeErrors(langOf(r), errs, map[string]string{"purpose": "valuation_purpose", "cost": "cost_collection",
		"income": "income_cash_flows"})
	return s.showValuationForm(w, r, http.StatusUnprocessableEntity, f)
}

// readValuationForm reads the posted form.
func readValuationForm(r *http.Request) valuationForm {
	pf := r.PostForm
	f := valuationForm{V: map[string]string{}, Assumptions: pf.Get("assumptions"), CashFlows: pf.Get("income_cash_flows")}
	for _, name := range valuationInputs {
		f.V[name] = pf.Get(name)
	}
	for i := range comparableRows {
		row := map[string]string{}
		for _, name := range comparableInputs {
			row[name] = pf.Get(fmt.Sprintf("comp_%s_%d", name, i))
		}
		f.Comparables = append(f.Comparables, row)
	}
	return f
}

// readReport reads the report's file (at most maxReportBytes; the registry
// names a missing one).
func readReport(r *http.Request) (registry.ReportFile, error) {
	files := r.MultipartForm.File["report_file"]
	if len(files) == 0 || files[0].Filename == "" {
		return registry.ReportFile{}, nil
	}
	fh := files[0]
	file, err := fh.Open()
	if err != nil {
		return registry.ReportFile{}, err
	}
	defer file.Close()
	content, err := io.ReadAll(io.LimitReader(file, maxReportBytes+1))
	return registry.ReportFile{Name: fh.Filename, Content: content}, err
}

// input is the form as the registry's input: only the chosen method's
// inputs; what is not a number goes to errs.
func (f valuationForm) input(errs *validate.Errors) registry.ValuationInput {
	v := f.V
	in := registry.ValuationInput{ProductID: v["product_id"], AssessorOrgID: v["assessor_org_id"], Method: registry.Method(v["method"]),
		BaseDate: v["base_date"], Purpose: v["valuation_purpose"], Assumptions: lines(f.Assumptions)}
	switch in.Method {
	case registry.MethodCost:
		in.Cost = &registry.CostInputs{CollectionFen: scaledField(errs, "cost_collection", v["cost_collection"], 2),
			ProcessingFen: scaledField(errs, "cost_processing", v["cost_processing"], 2), StorageFen: scaledField(errs, "cost_storage", v["cost_storage"], 2),
			OtherFen: scaledField(errs, "cost_other", v["cost_other"], 2), ProfitRateBP: scaledField(errs, "cost_profit_rate", v["cost_profit_rate"], 2),
			DepreciationBP: scaledField(errs, "cost_depreciation", v["cost_depreciation"], 2)}
	case registry.MethodIncome:
		in.Income = &registry.IncomeInputs{DiscountRateBP: scaledField(errs, "income_discount_rate", v["income_discount_rate"], 2),
			ShareRateBP: scaledField(errs, "income_share_rate", v["income_share_rate"], 2)}
		if y := strings.TrimSpace(v["income_period_years"]); y != "" {
			n := numberField(errs, "income_period_years", y)
			in.Income.PeriodYears = &n
		}
		for _, l := range lines(f.CashFlows) {
			if fen := scaledField(errs, "income_cash_flows", l, 2); fen != nil {
				in.Income.CashFlowsFen = append(in.Income.CashFlowsFen, *fen)
			}
		}
	case registry.MethodMarket:
		in.Market = &registry.MarketInputs{}
		for _, row := range f.Comparables {
			if strings.TrimSpace(strings.Join([]string{row["reference"], row["price"], row["quality"], row["supply_demand"], row["timing"],
				row["volume"], row["other"]}, "")) == "" {
				continue
			}
			key := "market_comparables"
			c := registry.Comparable{Reference: row["reference"], PriceFen: scaledField(errs, key, row["price"], 2),
				QualityBP: scaledField(errs, key, row["quality"], 4), SupplyDemandBP: scaledField(errs, key, row["supply_demand"], 4),
				TimingBP: scaledField(errs, key, row["timing"], 4), VolumeBP: scaledField(errs, key, row["volume"], 4),
				OtherBP: scaledField(errs, key, row["other"], 4)}
			in.Market.Comparables = append(in.Market.Comparables, c)
		}
	}
	return in
}

// valuationData is a valuation's page.
type valuationData struct {
	Nav               exchangeNav
	V                 registry.Valuation
	Product, Assessor string
	Holder            string
	Inputs            []valuationInput
	Comparables       [][]string // reference, price and the five factors
	Steps             []computationStep
}

// computationStep is one line of the computation as shown: what it
// computes in the page's language, the formula, the result in fen.
type computationStep struct{ Label, Formula, Result string }

// numbered matches the steps numbered by year or comparable.
var numbered = regexp.MustCompile(`^([a-z_]+)_(\d+)$`)

// computationSteps names v's steps in lang.
func computationSteps(lang string, v registry.Valuation) []computationStep {
	out := make([]computationStep, len(v.Computation))
	for i, st := range v.Computation {
		label := st.Name
		if i18n.Has("exchange.step." + st.Name) {
			label = i18n.T(lang, "exchange.step."+st.Name)
		} else if m := numbered.FindStringSubmatch(st.Name); m != nil && i18n.Has("exchange.step."+m[1]) {
			n, _ := strconv.Atoi(m[2])
			label = i18n.T(lang, "exchange.step."+m[1], n)
		}
		out[i] = computationStep{Label: label, Formula: st.Formula, Result: st.Result}
	}
	return out
}

// valuationInput is one input as shown: its label's message key and value.
type valuationInput struct{ Key, Value string }

// Value is the value as a person reads it.
func (d valuationData) Value() string { return yuan(d.V.ValueFen) }

// valuationPage shows valuation id to whoever may read it.
func (s *server) valuationPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	v, err := s.acc.Assets.Valuation(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	n := newNames(s, r.Context(), p)
	d := valuationData{Nav: s.exchangeNavFor(r, "valuations"), V: v, Product: n.productTitle(v.ProductID), Assessor: n.participantName(v.AssessorID),
		Holder: n.participantName(v.HolderID)}
	d.Inputs, d.Comparables = valuationInputsOf(langOf(r), v)
	d.Steps = computationSteps(langOf(r), v)
	return s.render(w, r, http.StatusOK, "exchange_valuation", d)
}

// valuationInputsOf shows v's method inputs: money in yuan, rates in
// percent, factors as multipliers.
func valuationInputsOf(lang string, v registry.Valuation) ([]valuationInput, [][]string) {
	money := func(p *int64) string {
		if p == nil {
			return "—"
		}
		return yuan(*p)
	}
	rate := func(p *int64) string {
		if p == nil {
			return "—"
		}
		return unscaled(*p, 2) + "%"
	}
	factor := func(p *int64) string {
		if p == nil {
			return "1.00"
		}
		return unscaled(*p, 4)
	}
	var out []valuationInput
	var comps [][]string
	switch {
	case v.Cost != nil:
		c := v.Cost
		out = []valuationInput{{"cost_collection", money(c.CollectionFen)}, {"cost_processing", money(c.ProcessingFen)},
			{"cost_storage", money(c.StorageFen)}, {"cost_other", money(c.OtherFen)}, {"cost_profit_rate", rate(c.ProfitRateBP)},
			{"cost_depreciation", rate(c.DepreciationBP)}}
	case v.Income != nil:
		in := v.Income
		flows := make([]string, len(in.CashFlowsFen))
		for i, cf := range in.CashFlowsFen {
			flows[i] = i18n.T(lang, "exchange.valuation.year", i+1) + " " + yuan(cf)
		}
		years := "—"
		if in.PeriodYears != nil {
			years = strconv.FormatInt(*in.PeriodYears, 10)
		}
		out = []valuationInput{{"income_cash_flows", strings.Join(flows, i18n.T(lang, "exchange.list_sep"))}, {"income_period_years", years},
			{"income_discount_rate", rate(in.DiscountRateBP)}, {"income_share_rate", rate(in.ShareRateBP)}}
	case v.Market != nil:
		for _, c := range v.Market.Comparables {
			comps = append(comps, []string{c.Reference, money(c.PriceFen), factor(c.QualityBP), factor(c.SupplyDemandBP), factor(c.TimingBP),
				factor(c.VolumeBP), factor(c.OtherBP)})
		}
	}
	return out, comps
}
