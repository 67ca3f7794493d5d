package ui

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/exchange"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// Orders and contracts: "my contracts and deliveries" lists the orders the
// viewer's organizations placed, the provider's queue and the contracts;
// a negotiation's page shows its state and the next step for each side
// (the buyer verifies an agreement or accepts a counter-offer, the
// provider agrees, counter-offers or terminates).

// negotiationRow is a negotiation as the lists show it.
type negotiationRow struct {
	trade.Negotiation
	Product         string
	Buyer, Provider string
}

// Tag is its state tag's CSS modifier.
func (n negotiationRow) Tag() string { return stateTag(string(n.State)) }

// contractRow is a contract as the lists show it.
type contractRow struct {
	trade.Contract
	Product         string
	Buyer, Provider string
	Amount          string
}

// Tag is its status tag's CSS modifier.
func (c contractRow) Tag() string { return stateTag(c.Status) }

// contractsData is "my contracts and deliveries".
type contractsData struct {
	Nav       tradeNav
	Orders    []negotiationRow // placed by the viewer's organizations
	Queue     []negotiationRow // waiting for the viewer's organizations as providers
	Contracts []contractRow
	Staff     bool // every negotiation and contract is listed
}

// contractsPage lists the viewer's orders, provider queue and contracts.
func (s *server) contractsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	ctx, lang, tr := r.Context(), langOf(r), s.acc.Trade
	d := contractsData{Nav: s.tradeNavFor(r, "contracts"), Staff: exchange.CanStaff(p)}
	n := newNames(s, ctx, p)
	side := "buyer"
	if d.Staff {
		side = ""
	}
	orders, err := tr.Negotiations(ctx, p, trade.NegotiationFilter{Side: side, Limit: 100})
	if err != nil {
		return err
	}
	queue, err := tr.Negotiations(ctx, p, trade.NegotiationFilter{Side: "queue", Limit: 100})
	if err != nil {
		return err
	}
	contracts, err := tr.Contracts(ctx, p, trade.ContractFilter{Limit: 100})
	if err != nil {
		return err
	}
	for _, x := range orders {
		d.Orders = append(d.Orders, negotiationRowOf(n, x))
	}
	for _, x := range queue {
		d.Queue = append(d.Queue, negotiationRowOf(n, x))
	}
	for _, c := range contracts {
		d.Contracts = append(d.Contracts, contractRowOf(n, lang, c))
	}
	return s.render(w, r, http.StatusOK, "trade_contracts", d)
}

func negotiationRowOf(n *names, x trade.Negotiation) negotiationRow {
	return negotiationRow{Negotiation: x, Product: n.productTitle(x.ProductID), Buyer: n.org(x.BuyerOrgID).NameZh,
		Provider: n.org(x.ProviderOrgID).NameZh}
}

func contractRowOf(n *names, lang string, c trade.Contract) contractRow {
	return contractRow{Contract: c, Product: n.productTitle(c.ProductID), Buyer: orgLabel(lang, n.org(c.BuyerOrgID)),
		Provider: orgLabel(lang, n.org(c.ProviderOrgID)), Amount: yuan(c.AmountFen)}
}

// negotiationData is a negotiation's page.
type negotiationData struct {
	Nav      tradeNav
	N        negotiationRow
	Terms    []string // the terms on the table, in plain words
	Steps    []progressStep
	Buyer    bool // the viewer acts for the buyer (editor or admin)
	Provider bool // the viewer acts for the provider
	Waiting  bool // an automatic agreement is on its way: the page reloads
	Offer    counterForm
	Reason   string
	Errors   formErrors
}

// progressStep is one state of a process's progress list.
type progressStep struct {
	State   string
	Done    bool // passed
	Current bool
}

// Final says whether the negotiation has ended.
func (d negotiationData) Final() bool {
	return d.N.State == trade.Finalized || d.N.State == trade.Terminated
}

// counterForm is the provider's counter-offer form.
type counterForm struct {
	Fields     string // one data item a line
	MaxCalls   string
	MaxRows    string
	PeriodDays string
}

// negotiationPage shows a negotiation to its parties and the exchange's
// staff; to anyone else it does not exist.
func (s *server) negotiationPage(w http.ResponseWriter, r *http.Request) error {
	return s.showNegotiation(w, r, http.StatusOK, negotiationData{})
}

func (s *server) showNegotiation(w http.ResponseWriter, r *http.Request, status int, d negotiationData) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	ctx, lang := r.Context(), langOf(r)
	x, err := s.acc.Trade.Negotiation(ctx, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	n := newNames(s, ctx, p)
	d.Nav, d.N = s.tradeNavFor(r, "contracts"), negotiationRowOf(n, x)
	d.Terms = policyWords(lang, x.Policy, x.PeriodDays)
	d.Steps = progress(string(x.State), negotiationSteps(x.State))
	d.Buyer, d.Provider = p.AtLeast(x.BuyerOrgID, identity.RoleEditor), p.AtLeast(x.ProviderOrgID, identity.RoleEditor)
	if d.Offer == (counterForm{}) {
		d.Offer = counterForm{Fields: strings.Join(x.Policy.Fields, "\n"), MaxCalls: count(x.Policy.MaxCalls), MaxRows: count(x.Policy.MaxRows),
			PeriodDays: count(int64(x.PeriodDays))}
	}
	if x.State == trade.Requested {
		d.Waiting = s.agreesAutomatically(ctx, p, x)
	}
	if d.Waiting {
		w.Header().Set("Refresh", "3")
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "trade_negotiation", d)
}

// agreesAutomatically says whether a requested negotiation is about to be
// agreed without the provider: its product agrees automatically and the
// request asks no more than the offer.
func (s *server) agreesAutomatically(ctx context.Context, p identity.Principal, x trade.Negotiation) bool {
	pr, err := s.acc.Exchange.Product(ctx, p, x.ProductID)
	return err == nil && pr.Offer.AutoAgree && pr.Offer.ID == x.OfferID && trade.Matches(pr.Offer, x.Purpose, x.Policy, x.PeriodDays)
}

// progress marks the steps up to state; a state off the path (TERMINATED)
// marks none.
func progress(state string, path []trade.State) []progressStep {
	at := slices.Index(path, trade.State(state))
	out := make([]progressStep, len(path))
	for i, st := range path {
		out[i] = progressStep{State: string(st), Done: at >= 0 && i < at, Current: i == at}
	}
	return out
}

// negotiationStepKind names a step the negotiation's page offers.
type negotiationStepKind int

const (
	stepVerify negotiationStepKind = iota
	stepAccept
	stepAgree
	stepTerminate
)

// negotiationStep runs a step on the negotiation. Form fields: csrf_token,
// and for a termination terminate_reason (optional). A verified
// negotiation leads to its contract; the others back to the negotiation.
func (s *server) negotiationStep(kind negotiationStepKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := requireUser(r)
		if err != nil {
			return err
		}
		ctx, id, tr := r.Context(), r.PathValue("id"), s.acc.Trade
		var x trade.Negotiation
		done := map[negotiationStepKind]string{stepVerify: "trade_verified", stepAccept: "trade_accepted", stepAgree: "trade_agreed",
			stepTerminate: "trade_terminated"}[kind]
		switch kind {
		case stepVerify:
			x, err = tr.Verify(ctx, p, id)
		case stepAccept:
			x, err = tr.Accept(ctx, p, id)
		case stepAgree:
			x, err = tr.Agree(ctx, p, id)
		case stepTerminate:
			reason := r.PostForm.Get("terminate_reason")
			x, err = tr.Terminate(ctx, p, id, "", reason)
			if errs := fieldErrors(err); errs != nil {
				return s.showNegotiation(w, r, http.StatusUnprocessableEntity, negotiationData{Reason: reason,
					Errors: newFormErrors(langOf(r), renameTradeFields(errs, map[string]string{"reason": "terminate_reason", "code": "terminate_reason"}))})
			}
		}
		if err != nil {
			return err
		}
		if x.State == trade.Finalized && x.ContractID != "" {
			return seeOther(w, r, "/exchange/contracts/"+url.PathEscape(x.ContractID), done)
		}
		return seeOther(w, r, "/exchange/negotiations/"+url.PathEscape(x.ID), done)
	}
}

// counterOffer is the provider's counter-offer. Form fields: csrf_token,
// counter_fields (one data item a line; empty: every item),
// counter_max_calls, counter_max_rows, counter_period_days.
func (s *server) counterOffer(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := counterForm{Fields: r.PostForm.Get("counter_fields"), MaxCalls: r.PostForm.Get("counter_max_calls"),
		MaxRows: r.PostForm.Get("counter_max_rows"), PeriodDays: r.PostForm.Get("counter_period_days")}
	x, err := s.acc.Trade.Negotiation(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	var errs validate.Errors
	o := exchange.Offer{Policy: x.Policy}
	o.Policy.Fields = lines(f.Fields)
	o.Policy.MaxCalls = numberField(&errs, "counter_max_calls", f.MaxCalls)
	o.Policy.MaxRows = numberField(&errs, "counter_max_rows", f.MaxRows)
	o.PeriodDays = int(numberField(&errs, "counter_period_days", f.PeriodDays))
	if errs == nil {
		_, err = s.acc.Trade.Offer(r.Context(), p, x.ID, o)
		if errs = fieldErrors(err); errs == nil && err != nil {
			return err
		}
	}
	if errs != nil {
		return s.showNegotiation(w, r, http.StatusUnprocessableEntity, negotiationData{Offer: f,
			Errors: newFormErrors(langOf(r), renameTradeFields(errs, counterRenames))})
	}
	return seeOther(w, r, "/exchange/negotiations/"+url.PathEscape(x.ID), "trade_offered")
}

// counterRenames maps the offer's fields to the counter-offer form's inputs.
var counterRenames = map[string]string{"policy.fields": "counter_fields", "policy.max_calls": "counter_max_calls",
	"policy.max_rows": "counter_max_rows", "period_days": "counter_period_days", "policy": "counter_fields"}

var fieldIndex = regexp.MustCompile(`\[\d+\]`)

// renameTradeFields moves each problem to the input names gives its field:
// by the whole path without indexes ("policy.fields[2]" is
// "policy.fields"), else by its first part.
func renameTradeFields(errs validate.Errors, names map[string]string) validate.Errors {
	out := make(validate.Errors, len(errs))
	for i, e := range errs {
		if to, ok := names[fieldIndex.ReplaceAllString(e.Field, "")]; ok {
			e.Field = to
		} else if to, ok := names[fieldKey(e.Field)]; ok {
			e.Field = to
		}
		out[i] = e
	}
	return out
}

// count is a limit as a form shows it: "" for none.
func count(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
