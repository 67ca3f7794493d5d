package asset

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// ValuationKind names valuations in events: "asset_valuation.filed".
const ValuationKind = "asset_valuation"

// maxReport is the largest supporting file a valuation carries.
const maxReport = 3 << 20

// ReportFile is a valuation's supporting file: the report as the assessor
// signed it. Events and the ledger carry its SHA-256.
type ReportFile struct {
	Name    string `json:"name" maxLength:"200"`
	Content []byte `json:"content,omitempty" doc:"The file, base64-encoded (at most 3 MiB); never returned"`
	SHA256  string `json:"sha256,omitempty" readOnly:"true"`
	Size    int64  `json:"size,omitempty" readOnly:"true"`
}

// ValuationInput is what an assessor files.
type ValuationInput struct {
	ProductID string `json:"product_id"`
	// AssessorOrgID is the assessor participant's organization the caller
	// files for ("" for the first of theirs that is one).
	AssessorOrgID string        `json:"assessor_org_id,omitempty"`
	Method        Method        `json:"method" enum:"cost,income,market"`
	BaseDate      string        `json:"base_date" doc:"评估基准日, YYYY-MM-DD"`
	Purpose       string        `json:"purpose" maxLength:"500" doc:"评估目的"`
	Cost          *CostInputs   `json:"cost,omitempty" doc:"The cost method's inputs"`
	Income        *IncomeInputs `json:"income,omitempty" doc:"The income method's inputs"`
	Market        *MarketInputs `json:"market,omitempty" doc:"The market method's inputs"`
	Assumptions   []string      `json:"assumptions" maxItems:"50" doc:"The assumptions the value rests on, at least one"`
	Report        ReportFile    `json:"report"`
}

// Valuation is a valuation report filed by an assessor.
type Valuation struct {
	ID             string            `json:"id"`
	ProductID      string            `json:"product_id"`
	RegistrationID string            `json:"registration_id,omitempty" doc:"The product's registration in effect when it was filed"`
	HolderID       string            `json:"holder_id"`
	HolderOrgID    string            `json:"holder_org_id"`
	AssessorID     string            `json:"assessor_id"`
	AssessorOrgID  string            `json:"assessor_org_id"`
	Method         Method            `json:"method"`
	BaseDate       string            `json:"base_date"`
	Purpose        string            `json:"purpose"`
	Cost           *CostInputs       `json:"cost,omitempty"`
	Income         *IncomeInputs     `json:"income,omitempty"`
	Market         *MarketInputs     `json:"market,omitempty"`
	Assumptions    []string          `json:"assumptions"`
	ValueFen       int64             `json:"value_fen"`
	Computation    []ComputationStep `json:"computation"`
	Report         ReportFile        `json:"report"`
	Hash           string            `json:"hash" doc:"SHA-256 of the canonical valuation (every field above but the id's own hash)"`
	CreatedAt      time.Time         `json:"created_at"`
}

func (in *ValuationInput) normalize() {
	for _, f := range []*string{&in.ProductID, &in.AssessorOrgID, &in.BaseDate, &in.Purpose, &in.Report.Name} {
		*f = strings.TrimSpace(*f)
	}
	var kept []string
	for _, a := range in.Assumptions {
		if a = strings.TrimSpace(a); a != "" {
			kept = append(kept, a)
		}
	}
	in.Assumptions = kept
	// The checks fill in defaults: on copies, never in the caller's inputs.
	if in.Cost != nil {
		c := *in.Cost
		in.Cost = &c
	}
	if in.Income != nil {
		c := *in.Income
		in.Income = &c
	}
	if in.Market != nil {
		in.Market = &MarketInputs{Comparables: slices.Clone(in.Market.Comparables)}
	}
}

// check records what is wrong with in on its own — above all the method's
// required inputs, each named by its field — and fills in the defaults.
func (in *ValuationInput) check() error {
	var errs validate.Errors
	errs.Required("product_id", in.ProductID)
	validate.OneOf(&errs, "method", in.Method, Methods...)
	if _, err := time.Parse(time.DateOnly, in.BaseDate); err != nil {
		errs.Add("base_date", in.BaseDate, validate.CodeDate, "must be a date written YYYY-MM-DD")
	}
	errs.Required("purpose", in.Purpose)
	errs.MaxLen("purpose", in.Purpose, 500)
	switch {
	case len(in.Assumptions) == 0:
		errs.Add("assumptions", nil, validate.CodeRequired, "is required: state at least one assumption")
	case len(in.Assumptions) > 50:
		errs.Add("assumptions", len(in.Assumptions), validate.CodeTooMany, "may list at most %d", 50)
	}
	for i, a := range in.Assumptions {
		errs.MaxLen(fmt.Sprintf("assumptions[%d]", i), a, 500)
	}
	errs.Required("report.name", in.Report.Name)
	errs.MaxLen("report.name", in.Report.Name, 200)
	switch n := len(in.Report.Content); {
	case n == 0:
		errs.Add("report.content", nil, validate.CodeRequired, "is required: the report's file")
	case n > maxReport:
		errs.Add("report.content", n, "too_large", "must be at most %d bytes (got %d)", maxReport, n)
	}
	in.checkMethod(&errs)
	return errs.Err()
}

// checkMethod records a missing or wrong input of the method chosen, and
// inputs given for another method.
func (in *ValuationInput) checkMethod(errs *validate.Errors) {
	given := map[Method]bool{MethodCost: in.Cost != nil, MethodIncome: in.Income != nil, MethodMarket: in.Market != nil}
	for _, m := range Methods {
		if given[m] && m != in.Method {
			errs.Add(string(m), nil, "other_method", "gives inputs of the %s method, not of the %s method chosen", m, in.Method)
		}
	}
	if !slices.Contains(Methods, in.Method) {
		return
	}
	if !given[in.Method] {
		errs.Add(string(in.Method), nil, validate.CodeRequired, "is required: the %s method's inputs", in.Method)
		return
	}
	switch in.Method {
	case MethodCost:
		in.Cost.check(errs)
	case MethodIncome:
		in.Income.check(errs)
	case MethodMarket:
		in.Market.check(errs)
	}
}

// compute is in's computation and value, in checked.
func (in ValuationInput) compute() ([]ComputationStep, int64, error) {
	var steps []ComputationStep
	var value *big.Rat
	switch in.Method {
	case MethodCost:
		steps, value = in.Cost.compute()
	case MethodIncome:
		steps, value = in.Income.compute()
	case MethodMarket:
		steps, value = in.Market.compute()
	default:
		return nil, 0, fmt.Errorf("asset: method %q", in.Method)
	}
	v, ok := round(value)
	if !ok {
		return nil, 0, validate.Errors{{Field: string(in.Method), Message: "gives a value too large to record", Code: "value_too_large"}}
	}
	return append(steps, ComputationStep{"value", "rounded half away from zero to the fen", fmt.Sprint(v)}), v, nil
}

// Compute returns the computation and the value in fen that in's inputs
// give, or what is wrong with in: the same, always, for the same inputs.
func Compute(in ValuationInput) ([]ComputationStep, int64, error) {
	in.normalize()
	if err := in.check(); err != nil {
		return nil, 0, err
	}
	return in.compute()
}

// FileValuation files a valuation report as actor for an assessor
// participant (its editors and admins) that is admitted, is not the
// product's holder and is not a related party of it. The value is
// computed from the inputs here, never taken from the filer; the report's
// file is kept by its SHA-256, which the event "asset_valuation.filed"
// carries with the valuation's own hash.
func (s *Service) FileValuation(ctx context.Context, actor identity.Principal, in ValuationInput) (Valuation, error) {
	if actor.IsAnonymous() {
		return Valuation{}, identity.ErrUnauthenticated
	}
	in.normalize()
	if err := in.check(); err != nil {
		return Valuation{}, err
	}
	steps, value, err := in.compute()
	if err != nil {
		return Valuation{}, err
	}
	v := Valuation{ID: store.NewID(), ProductID: in.ProductID, Method: in.Method, BaseDate: in.BaseDate, Purpose: in.Purpose, Cost: in.Cost,
		Income: in.Income, Market: in.Market, Assumptions: in.Assumptions, ValueFen: value, Computation: steps,
		Report: ReportFile{Name: in.Report.Name, SHA256: store.SHA256Hex(string(in.Report.Content)), Size: int64(len(in.Report.Content))}}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := s.parties(ctx, tx, actor, in.AssessorOrgID, &v); err != nil {
			return err
		}
		if err := s.keepReport(v.Report.SHA256, in.Report.Content); err != nil {
			return err
		}
		v.CreatedAt = tx.Now()
		v.Hash = store.SHA256Hex(string(v.Canonical()))
		if err := insertValuation(ctx, tx, v, actor.UserID); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: ValuationKind + ".filed", ActorUserID: actor.UserID, ActorOrgID: v.AssessorOrgID,
			SubjectKind: ValuationKind, SubjectID: v.ID}, map[string]any{"product_id": v.ProductID, "registration_id": v.RegistrationID,
			"holder_id": v.HolderID, "assessor_id": v.AssessorID, "method": v.Method, "report_sha256": v.Report.SHA256, "valuation_sha256": v.Hash})
	})
	if err != nil {
		return Valuation{}, err
	}
	return v, nil
}

// parties fills in v's holder (of the registration in effect, else the
// product's provider) and assessor, for which actor files: refused unless
// the assessor is admitted with the role and independent of the holder.
func (s *Service) parties(ctx context.Context, tx *store.Tx, actor identity.Principal, orgID string, v *Valuation) error {
	product, err := s.ex.ProductByID(ctx, tx, v.ProductID)
	if err != nil {
		return validate.Errors{{Field: "product_id", Value: v.ProductID, Message: "is not a product of the exchange", Code: validate.CodeUnknown}}
	}
	v.HolderID, v.HolderOrgID = product.ProviderID, product.ProviderOrgID
	if live, err := s.liveRegistration(ctx, tx, product.ID); err != nil {
		return err
	} else if live != "" {
		if r, err := s.Registrations.Record(ctx, tx, live); err == nil && r.Stage == StageEffective {
			v.RegistrationID, v.HolderID, v.HolderOrgID = r.ID, r.HolderID, r.HolderOrgID
		}
	}
	assessor, err := s.assessor(ctx, tx, actor, orgID)
	if err != nil {
		return err
	}
	v.AssessorID, v.AssessorOrgID = assessor.ID, assessor.OrgID
	return s.independent(ctx, tx, assessor, v.HolderID)
}

// assessor returns the assessor participant actor files for: orgID's, or
// the first of actor's organizations that is one.
func (s *Service) assessor(ctx context.Context, q store.Querier, actor identity.Principal, orgID string) (exchange.Participant, error) {
	field := func(code, msg string, args ...any) error {
		return validate.Errors{{Field: "assessor_org_id", Value: orgID, Code: code, Message: fmt.Sprintf(msg, args...), Args: args}}
	}
	orgs := actor.OrgIDs()
	if orgID != "" {
		orgs = []string{orgID}
	}
	for _, org := range orgs {
		p, err := s.ex.ParticipantOfOrg(ctx, q, org)
		if err != nil || !p.Has(exchange.RoleAssessor) {
			continue
		}
		switch {
		case !actor.AtLeast(org, identity.RoleEditor):
			return p, field("not_member", "is not an organization you file for (an editor or admin of it)")
		case !p.Trading():
			return p, field("not_trading", "is %s, not admitted", string(p.Status))
		}
		return p, nil
	}
	return exchange.Participant{}, field("not_assessor", "is not a participant with the assessor role")
}

// independent refuses an assessor that is the holder or a related party
// of it (a shared legal representative, a shareholding, a controller).
func (s *Service) independent(ctx context.Context, q store.Querier, assessor exchange.Participant, holderID string) error {
	if assessor.ID == holderID {
		return validate.Errors{{Field: "assessor_org_id", Value: assessor.OrgID, Code: "self", Message: "is the holder itself: a valuation is filed by an independent assessor"}}
	}
	rels, err := s.ex.Relations(ctx, q)
	if err != nil {
		return err
	}
	for _, r := range rels {
		if (r.ParticipantID == assessor.ID && r.OtherID == holderID) || (r.ParticipantID == holderID && r.OtherID == assessor.ID) {
			return validate.Errors{{Field: "assessor_org_id", Value: assessor.OrgID, Code: "related_party", Args: []any{string(r.Kind)},
				Message: fmt.Sprintf("is a related party of the holder (%s): a valuation is filed by an independent assessor", r.Kind)}}
		}
	}
	return nil
}

// keepReport writes a report's file to the blob store beside the
// exchange's documents, named by its SHA-256 (once, whoever files it again).
func (s *Service) keepReport(sum string, content []byte) error {
	if s.cfg.DataDir == "" {
		return nil
	}
	dst := filepath.Join(s.cfg.DataDir, "blobs", "exchange", sum[:2], sum)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return fmt.Errorf("asset: report: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "report-*")
	if err != nil {
		return fmt.Errorf("asset: report: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(content)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return fmt.Errorf("asset: report: %w", err)
	}
	return nil
}

// Canonical is the valuation as its hash covers it: JSON of every field
// but the hash, in a fixed order.
func (v Valuation) Canonical() []byte {
	v.Hash = ""
	b, _ := json.Marshal(v)
	return b
}

// CanViewValuation says whether p may read v: the holder's and the
// assessor's members, the exchange's staff and platform staff.
func CanViewValuation(p identity.Principal, v Valuation) bool {
	return exchange.CanStaff(p) || p.IsPlatformStaff() || p.RoleIn(v.HolderOrgID) != "" || p.RoleIn(v.AssessorOrgID) != ""
}

// Valuation returns valuation id, if p may read it (anonymous callers are
// asked to sign in).
func (s *Service) Valuation(ctx context.Context, p identity.Principal, id string) (Valuation, error) {
	if p.IsAnonymous() {
		return Valuation{}, identity.ErrUnauthenticated
	}
	list, err := queryValuations(ctx, s.db, ` WHERE id = $1`, id)
	if err != nil {
		return Valuation{}, err
	}
	if len(list) == 0 || !CanViewValuation(p, list[0]) {
		return Valuation{}, fmt.Errorf("valuation %q: %w", id, store.ErrNotFound)
	}
	return list[0], nil
}

// Valuations lists the valuations p may read, of product productID ("" any),
// newest first, at most 100.
func (s *Service) Valuations(ctx context.Context, p identity.Principal, productID string) ([]Valuation, error) {
	if p.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	clause, args := ` WHERE ($1 = '' OR product_id = $1)`, []any{productID}
	if !exchange.CanStaff(p) && !p.IsPlatformStaff() {
		orgs := []string{""} // no organization: nothing
		for _, org := range p.OrgIDs() {
			orgs = append(orgs, org)
		}
		ph := make([]string, len(orgs))
		for i, org := range orgs {
			ph[i], args = fmt.Sprintf("$%d", len(args)+1), append(args, org)
		}
		in := strings.Join(ph, ", ")
		clause += ` AND (holder_org_id IN (` + in + `) OR assessor_org_id IN (` + in + `))`
	}
	return queryValuations(ctx, s.db, clause+` ORDER BY id DESC LIMIT 100`, args...)
}
