package ui

import (
	"bytes"
	"net/http"
	"net/url"

	"dataport/internal/exchange"
	"dataport/internal/exchange/dispute"
	"dataport/internal/identity"
)

// Disputes (article 50): a party opens a case on a contract with a claim,
// the contract's evidence bundle attached and sealed; the exchange's staff
// mediate, arbitrate when mediation fails and decide with reasons; the
// claimant may withdraw. Both sides download the evidence and the record.

// disputeRow is a dispute as the lists show it.
type disputeRow struct {
	dispute.Dispute
	Product              string
	Claimant, Respondent string
}

// Tag is its status tag's CSS modifier.
func (d disputeRow) Tag() string { return stateTag(string(d.Status)) }

func (s *server) disputeRowOf(n *names, lang string, d dispute.Dispute) disputeRow {
	row := disputeRow{Dispute: d, Claimant: orgLabel(lang, n.org(d.ClaimantOrgID)), Respondent: orgLabel(lang, n.org(d.RespondentOrgID))}
	if c, err := s.acc.Trade.Contract(n.ctx, n.p, d.ContractID); err == nil {
		row.Product = n.productTitle(c.ProductID)
	}
	return row
}

// disputeStatuses are the statuses the list's filter offers.
var disputeStatuses = []dispute.Status{dispute.StatusOpen, dispute.StatusMediation, dispute.StatusArbitration, dispute.StatusSettled,
	dispute.StatusDecided, dispute.StatusWithdrawn}

// disputesData is the list of disputes.
type disputesData struct {
	Nav      tradeNav
	Rows     []disputeRow
	Status   string
	Statuses []dispute.Status
	Staff    bool
}

// disputesPage lists the disputes of the viewer's organizations (every
// dispute for the exchange's staff); ?status= narrows.
func (s *server) disputesPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	d := disputesData{Nav: s.tradeNavFor(r, "disputes"), Status: r.URL.Query().Get("status"), Statuses: disputeStatuses,
		Staff: exchange.CanStaff(p)}
	list, err := s.acc.Disputes.Disputes(r.Context(), p, dispute.Filter{Status: dispute.Status(d.Status), Limit: 200})
	if err != nil {
		return err
	}
	n := newNames(s, r.Context(), p)
	for _, x := range list {
		d.Rows = append(d.Rows, s.disputeRowOf(n, langOf(r), x))
	}
	return s.render(w, r, http.StatusOK, "trade_disputes", d)
}

// newDisputeData is the form opening a dispute on a contract.
type newDisputeData struct {
	Nav    tradeNav
	C      contractRow
	Both   bool // the viewer acts for both sides: the side is asked
	Claim  string
	Side   string
	Errors formErrors
}

// newDisputeForm is the claim form of a contract's party.
func (s *server) newDisputeForm(w http.ResponseWriter, r *http.Request) error {
	return s.showNewDispute(w, r, http.StatusOK, newDisputeData{})
}

func (s *server) showNewDispute(w http.ResponseWriter, r *http.Request, status int, d newDisputeData) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	c, err := s.acc.Trade.Contract(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	buyer, provider := p.AtLeast(c.BuyerOrgID, identity.RoleEditor), p.AtLeast(c.ProviderOrgID, identity.RoleEditor)
	if !buyer && !provider {
		return identity.ErrForbidden
	}
	d.Nav, d.C, d.Both = s.tradeNavFor(r, "disputes"), contractRowOf(newNames(s, r.Context(), p), langOf(r), c), buyer && provider
	return s.render(w, r, status, "trade_dispute_new", d)
}

// openDispute files the claim. Form fields: csrf_token, claim,
// claim_side (buyer or provider, asked only of someone acting for both).
func (s *server) openDispute(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	claim, side := r.PostForm.Get("claim"), r.PostForm.Get("claim_side")
	x, err := s.acc.Disputes.Open(r.Context(), p, dispute.OpenInput{ContractID: r.PathValue("id"), Claim: claim, Side: side})
	if errs := fieldErrors(err); errs != nil {
		return s.showNewDispute(w, r, http.StatusUnprocessableEntity, newDisputeData{Claim: claim, Side: side,
			Errors: newFormErrors(langOf(r), renameTradeFields(errs, map[string]string{"side": "claim_side"}))})
	} else if err != nil {
		return bundleError(err)
	}
	return seeOther(w, r, "/exchange/disputes/"+url.PathEscape(x.ID), "dispute_opened")
}

// disputeData is a dispute's page.
type disputeData struct {
	Nav       tradeNav
	D         disputeRow
	Steps     []disputeStepRow
	Claimant  bool // the viewer acts for the claimant
	Officiate bool // the viewer is the exchange's staff, of neither party
	Officer   bool // the viewer mediates or arbitrates the case now
	Form      disputeForm
	Errors    formErrors
}

// disputeStepRow is a recorded step with the name of who took it.
type disputeStepRow struct {
	dispute.Step
	Actor string
}

// disputeForm holds what the dispute's forms were sent with.
type disputeForm struct{ Note, Reasons, Outcome, Escalate, Withdraw string }

// Outcomes are the outcomes the viewer may record now.
func (d disputeData) Outcomes() []string {
	if d.D.Status == dispute.StatusArbitration {
		return []string{dispute.OutcomeUpheld, dispute.OutcomePartlyUpheld, dispute.OutcomeDismissed}
	}
	return []string{dispute.OutcomeSettled}
}

// disputePage shows a dispute to its parties and the exchange's staff; to
// anyone else it does not exist.
func (s *server) disputePage(w http.ResponseWriter, r *http.Request) error {
	return s.showDispute(w, r, http.StatusOK, disputeData{})
}

func (s *server) showDispute(w http.ResponseWriter, r *http.Request, status int, d disputeData) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	x, err := s.acc.Disputes.Dispute(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	n := newNames(s, r.Context(), p)
	d.Nav, d.D = s.tradeNavFor(r, "disputes"), s.disputeRowOf(n, langOf(r), x)
	d.Claimant = p.AtLeast(x.ClaimantOrgID, identity.RoleEditor)
	d.Officiate = exchange.CanStaff(p) && p.RoleIn(x.ClaimantOrgID) == "" && p.RoleIn(x.RespondentOrgID) == ""
	d.Officer = d.Officiate && (x.Status == dispute.StatusMediation && x.MediatorID == p.UserID ||
		x.Status == dispute.StatusArbitration && x.ArbitratorID == p.UserID)
	var ids []string
	for _, st := range x.Steps {
		ids = append(ids, st.ActorID)
	}
	names, _ := s.identity.Usernames(r.Context(), ids)
	for _, st := range x.Steps {
		d.Steps = append(d.Steps, disputeStepRow{Step: st, Actor: names[st.ActorID]})
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "trade_dispute", d)
}

// disputeStepKind names a step the dispute's page offers.
type disputeStepKind int

const (
	disputeMediate disputeStepKind = iota
	disputeEscalate
	disputeDecide
	disputeWithdraw
)

// disputeStep takes a step on the dispute. Form fields: csrf_token and
// dispute_note (mediate), escalate_reasons (escalate), dispute_outcome
// and dispute_reasons (decide), withdraw_reason (withdraw). A problem shows the
// page again with it beside its input (422) and changes nothing.
func (s *server) disputeStep(kind disputeStepKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := requireUser(r)
		if err != nil {
			return err
		}
		ctx, id, ds := r.Context(), r.PathValue("id"), s.acc.Disputes
		f := disputeForm{Note: r.PostForm.Get("dispute_note"), Reasons: r.PostForm.Get("dispute_reasons"),
			Outcome: r.PostForm.Get("dispute_outcome"), Escalate: r.PostForm.Get("escalate_reasons"), Withdraw: r.PostForm.Get("withdraw_reason")}
		var done string
		switch kind {
		case disputeMediate:
			_, err = ds.Mediate(ctx, p, id, f.Note)
			done = "dispute_mediation"
		case disputeEscalate:
			_, err = ds.Escalate(ctx, p, id, f.Escalate)
			done = "dispute_arbitration"
		case disputeDecide:
			_, err = ds.Decide(ctx, p, id, f.Outcome, f.Reasons)
			done = "dispute_decided"
		case disputeWithdraw:
			_, err = ds.Withdraw(ctx, p, id, f.Withdraw)
			done = "dispute_withdrawn"
		}
		if errs := fieldErrors(err); errs != nil {
			renames := map[string]string{"note": "dispute_note", "reasons": "dispute_reasons", "outcome": "dispute_outcome", "reason": "withdraw_reason"}
			if kind == disputeEscalate {
				renames["reasons"] = "escalate_reasons"
			}
			return s.showDispute(w, r, http.StatusUnprocessableEntity, disputeData{Form: f, Errors: newFormErrors(langOf(r), renameTradeFields(errs, renames))})
		} else if err != nil {
			return err
		}
		return seeOther(w, r, "/exchange/disputes/"+url.PathEscape(id), done)
	}
}

// disputeEvidence downloads the evidence bundle attached when the case
// opened, byte for byte the one whose hash the ledger seals.
func (s *server) disputeEvidence(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	b, x, err := s.acc.Disputes.Evidence(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return bundleError(err)
	}
	return sendFile(w, "application/zip", "dispute-"+fileSafe(x.ID)+"-evidence.zip", b)
}

// disputeRecord downloads the dispute's record as an evidence bundle: its
// events with receipts, the attached evidence, the claim and every step's
// reasons.
func (s *server) disputeRecord(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.acc.Disputes.Bundle(r.Context(), p, r.PathValue("id"), &buf); err != nil {
		return bundleError(err)
	}
	return sendFile(w, "application/zip", "dispute-"+fileSafe(r.PathValue("id"))+".zip", buf.Bytes())
}
