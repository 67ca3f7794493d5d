package trade

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// RequestInput is a buyer's order: a contract request for a listed
// product's offer.
type RequestInput struct {
	ProductID string `json:"product_id"`
	// OfferID names the offer answered ("": the product's offer).
	OfferID string `json:"offer_id,omitempty"`
	// BuyerOrgID is the buying organization ("": the caller's only one).
	BuyerOrgID string `json:"buyer_org_id,omitempty"`
	// ConsumerPID is the consumer's process id ("": one is made up).
	ConsumerPID string `json:"consumer_pid,omitempty"`
	// CallbackAddress is where protocol messages to the consumer go.
	CallbackAddress string `json:"callback_address,omitempty"`
	Purpose         string `json:"purpose"`
	// Policy is the usage asked for (nil: the offer's).
	Policy *access.Policy `json:"policy,omitempty"`
	// PeriodDays is the contract period asked for (0: the offer's).
	PeriodDays int `json:"period_days,omitempty"`
}

// party is whom a step is taken for.
type party int

const (
	forBuyer party = iota
	forProvider
	forEither
	forSystem // the exchange itself (automatic agreement, finalization)
)

// Request files a buyer's order as actor (an editor or admin of an
// admitted buyer participant; not for its own product). The negotiation
// is returned in REQUESTED. When the product agrees automatically and the
// request asks no more than its offer (see Matches), a following
// transaction agrees it before Request returns (AGREED, contract written);
// otherwise it waits in the provider's queue.
func (s *Service) Request(ctx context.Context, actor identity.Principal, in RequestInput) (Negotiation, error) {
	if actor.IsAnonymous() {
		return Negotiation{}, identity.ErrForbidden
	}
	var n Negotiation
	var auto bool
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		p, buyerID, err := s.checkRequest(ctx, tx, actor, &in)
		if err != nil {
			return err
		}
		now := tx.Now()
		n = Negotiation{ID: newPID(), ConsumerPID: in.ConsumerPID, ProductID: p.ID, OfferID: in.OfferID, ProviderID: p.ProviderID,
			ProviderOrgID: p.ProviderOrgID, BuyerID: buyerID, BuyerOrgID: in.BuyerOrgID, State: Requested, CallbackAddress: in.CallbackAddress,
			Purpose: in.Purpose, Policy: *in.Policy, PeriodDays: in.PeriodDays, CreatedAt: now, UpdatedAt: now}
		if n.ConsumerPID == "" {
			n.ConsumerPID = newPID()
		}
		auto = p.Offer.AutoAgree && Matches(p.Offer, n.Purpose, n.Policy, n.PeriodDays)
		if err := s.insertNegotiation(ctx, tx, n, actor.UserID); err != nil {
			return err
		}
		return s.stepped(ctx, tx, actor, &n, "", nil)
	})
	if err != nil {
		return Negotiation{}, err
	}
	if auto {
		if _, err := s.step(ctx, identity.System, n.ID, forSystem, Agreed, nil); err != nil {
			s.cfg.Logger.WarnContext(ctx, "trade: automatic agreement failed; the request waits in the provider's queue",
				"negotiation", n.ID, "err", err)
		}
	}
	return n, nil
}

// checkRequest checks and completes a request inside tx, returning the
// product asked for and the buyer participant's id; every problem with
// the input is a field error.
func (s *Service) checkRequest(ctx context.Context, tx *store.Tx, actor identity.Principal, in *RequestInput) (exchange.Product, string, error) {
	in.Purpose, in.ConsumerPID = strings.TrimSpace(in.Purpose), strings.TrimSpace(in.ConsumerPID)
	var errs validate.Errors
	errs.Required("product_id", in.ProductID)
	errs.Required("purpose", in.Purpose)
	errs.MaxLen("purpose", in.Purpose, 500)
	errs.MaxLen("consumer_pid", in.ConsumerPID, 200)
	checkCallback(&errs, in.CallbackAddress)
	if in.BuyerOrgID == "" && len(actor.Memberships) == 1 {
		in.BuyerOrgID = actor.Memberships[0].OrganizationID
	}
	if in.BuyerOrgID == "" {
		errs.Add("buyer_org_id", nil, validate.CodeRequired, "name the buying organization: you belong to several or none")
	} else if !canAct(actor, in.BuyerOrgID) {
		return exchange.Product{}, "", identity.ErrForbidden
	}
	var p exchange.Product
	var buyerID string
	if in.ProductID != "" {
		var err error
		if p, err = s.listedProduct(ctx, s.sql.in(tx), in.ProductID); err != nil {
			errs.Add("product_id", in.ProductID, "not_listed", "is not a product listed on the exchange")
		} else if buyerID, err = s.checkParties(ctx, s.sql.in(tx), &errs, p, in.BuyerOrgID); err != nil {
			return p, "", err
		}
	}
	if p.ID != "" && in.OfferID == "" {
		in.OfferID = p.Offer.ID
	} else if p.ID != "" && in.OfferID != p.Offer.ID {
		errs.Add("offer_id", in.OfferID, validate.CodeUnknown, "is not the product's offer")
	}
	if in.Policy == nil {
		pol := p.Offer.Policy
		in.Policy = &pol
	}
	checkPolicy(&errs, "policy", *in.Policy)
	if in.PeriodDays == 0 {
		in.PeriodDays = p.Offer.PeriodDays
	}
	checkPeriod(&errs, "period_days", in.PeriodDays)
	return p, buyerID, errs.Err()
}

// listedProduct returns product id if it is listed now.
func (s *Service) listedProduct(ctx context.Context, q store.Querier, id string) (exchange.Product, error) {
	p, err := s.ex.ProductByID(ctx, q, id)
	if err == nil && p.Status != exchange.ProductListed {
		err = notFound("listed product", id)
	}
	return p, err
}

// checkParties adds the field errors of a request by buyerOrgID for p
// and returns the buyer participant's id: the buyer must be an admitted
// buyer participant, not p's provider, and p's provider must be trading.
func (s *Service) checkParties(ctx context.Context, q store.Querier, errs *validate.Errors, p exchange.Product, buyerOrgID string) (string, error) {
	if buyerOrgID == "" {
		return "", nil
	}
	buyer, err := s.ex.ParticipantOfOrg(ctx, q, buyerOrgID)
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", err
	case err != nil || !buyer.Trading() || !buyer.Has(exchange.RoleBuyer):
		errs.Add("buyer_org_id", buyerOrgID, "not_buyer", "is not an admitted buyer participant of the exchange")
	case p.ProviderOrgID == buyerOrgID:
		errs.Add("product_id", p.ID, "own_product", "is the buyer's own product")
	}
	provider, err := s.ex.ParticipantByID(ctx, q, p.ProviderID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if err != nil || !provider.Trading() {
		errs.Add("product_id", p.ID, "provider_not_trading", "its provider cannot trade now")
	}
	return buyer.ID, nil
}

func checkCallback(errs *validate.Errors, addr string) {
	if addr == "" {
		return
	}
	errs.MaxLen("callback_address", addr, 2000)
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs.Add("callback_address", addr, validate.CodeFormat, "must be an absolute http or https URL")
	}
}

// checkPolicy adds the field errors of a usage policy asked for.
func checkPolicy(errs *validate.Errors, field string, p access.Policy) {
	for i, a := range p.Actions {
		validate.OneOf(errs, fmt.Sprintf("%s.actions[%d]", field, i), a, access.Actions...)
	}
	for _, n := range []struct {
		name string
		v    int64
	}{{"max_calls", p.MaxCalls}, {"max_rows", p.MaxRows}, {"rows_per_request", p.RowsPerRequest}, {"rate_per_minute", int64(p.RatePerMinute)}} {
		if n.v < 0 {
			errs.Add(field+"."+n.name, n.v, "not_negative", "cannot be negative")
		}
	}
	if len(p.Fields) > 500 {
		errs.Add(field+".fields", len(p.Fields), validate.CodeTooMany, "at most %d fields", 500)
	}
}

func checkPeriod(errs *validate.Errors, field string, days int) {
	if days < 1 || days > 3650 {
		errs.Add(field, days, validate.CodeRange, "must be between %d and %d days", 1, 3650)
	}
}

// Matches reports whether a request for purpose under policy pol for
// period days asks no more than offer o: its fields among the offer's
// (all, when the offer names none), its counts, rows and rates no higher,
// its actions and purposes among the offer's, the purpose among the
// offer's purposes (when it names any), the same row filter and
// de-identification profile (or a row filter where the offer has none),
// and a period no longer.
func Matches(o exchange.Offer, purpose string, pol access.Policy, days int) bool {
	op := o.Policy
	subset := func(got, allowed []string) bool {
		return len(allowed) == 0 || (len(got) > 0 && !slices.ContainsFunc(got, func(v string) bool { return !slices.Contains(allowed, v) }))
	}
	within := func(got, ceiling int64) bool { return ceiling == 0 || (got > 0 && got <= ceiling) }
	actionsOK := !slices.ContainsFunc(pol.Actions, func(a access.Action) bool { return !op.Permits(a) }) &&
		(len(pol.Actions) > 0 || (op.Permits(access.ActionRead) && op.Permits(access.ActionDownload)))
	return subset(pol.Fields, op.Fields) && within(pol.MaxCalls, op.MaxCalls) && within(pol.MaxRows, op.MaxRows) &&
		within(pol.RowsPerRequest, op.RowsPerRequest) && within(int64(pol.RatePerMinute), int64(op.RatePerMinute)) &&
		actionsOK && (len(op.Purposes) == 0 || slices.Contains(op.Purposes, purpose)) && (len(pol.Purposes) == 0 || subset(pol.Purposes, op.Purposes)) &&
		(op.RowFilter == "" || pol.RowFilter == op.RowFilter) && pol.DeidProfile == op.DeidProfile &&
		(o.PeriodDays == 0 || days <= o.PeriodDays)
}

// Offer makes the provider's counter-offer (REQUESTED → OFFERED): its
// policy and period (0: unchanged) become the terms on the table.
func (s *Service) Offer(ctx context.Context, actor identity.Principal, id string, o exchange.Offer) (Negotiation, error) {
	var errs validate.Errors
	checkPolicy(&errs, "policy", o.Policy)
	if o.PeriodDays != 0 {
		checkPeriod(&errs, "period_days", o.PeriodDays)
	}
	errs.MaxLen("id", o.ID, 200)
	if err := errs.Err(); err != nil {
		return Negotiation{}, err
	}
	return s.step(ctx, actor, id, forProvider, Offered, func(_ *store.Tx, n *Negotiation) error {
		n.OfferID, n.Policy = o.ID, o.Policy
		if n.OfferID == "" {
			n.OfferID = newPID()
		}
		if o.PeriodDays != 0 {
			n.PeriodDays = o.PeriodDays
		}
		return nil
	})
}

// Accept is the buyer accepting the provider's offer (OFFERED → ACCEPTED).
func (s *Service) Accept(ctx context.Context, actor identity.Principal, id string) (Negotiation, error) {
	return s.step(ctx, actor, id, forBuyer, Accepted, nil)
}

// Agree is the provider agreeing to the terms on the table (REQUESTED or
// ACCEPTED → AGREED): the contract is written and sealed. The product
// must still be listed.
func (s *Service) Agree(ctx context.Context, actor identity.Principal, id string) (Negotiation, error) {
	return s.step(ctx, actor, id, forProvider, Agreed, nil)
}

// Verify is the buyer verifying the agreement (AGREED → VERIFIED); the
// provider finalizes at once in the same transaction (→ FINALIZED): the
// contract becomes active and its delivery grant is created.
func (s *Service) Verify(ctx context.Context, actor identity.Principal, id string) (Negotiation, error) {
	return s.step(ctx, actor, id, forBuyer, Verified, nil)
}

// Terminate ends a negotiation that is not yet final, for either party,
// with a code and a reason (both optional, kept for both parties; events
// carry the reason's hash). A contract agreed but not yet active is
// terminated with it.
func (s *Service) Terminate(ctx context.Context, actor identity.Principal, id, code, reason string) (Negotiation, error) {
	code, reason = strings.TrimSpace(code), strings.TrimSpace(reason)
	var errs validate.Errors
	errs.MaxLen("code", code, 100)
	errs.MaxLen("reason", reason, 1000)
	if err := errs.Err(); err != nil {
		return Negotiation{}, err
	}
	return s.step(ctx, actor, id, forEither, Terminated, func(_ *store.Tx, n *Negotiation) error {
		n.Code, n.Reason = code, reason
		return nil
	})
}

// step moves negotiation id to state to for actor acting as who, with
// edit applied to it first; it runs what the new state brings (the
// contract at AGREED, finalization and delivery after VERIFIED).
func (s *Service) step(ctx context.Context, actor identity.Principal, id string, who party, to State,
	edit func(tx *store.Tx, n *Negotiation) error) (Negotiation, error) {
	var n Negotiation
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if n, err = s.lockable(ctx, tx, actor, id, who); err != nil {
			return err
		}
		if err := refuseStep(negotiationSteps, "negotiation", n.State, to); err != nil {
			return err
		}
		from := n.State
		n.State, n.UpdatedAt = to, tx.Now()
		if edit != nil {
			if err := edit(tx, &n); err != nil {
				return err
			}
		}
		if to == Agreed {
			n.ContractID = newPID()
		}
		written := to
		if to == Verified {
			written = Finalized // the provider finalizes in this transaction (arrive)
		}
		if err := s.moveNegotiation(ctx, tx, n, from, written); err != nil {
			return err
		}
		return s.arrive(ctx, tx, actor, &n, from)
	})
	if err != nil {
		return Negotiation{}, err
	}
	return n, nil
}

// lockable returns negotiation id for actor to act on as who: unknown
// and invisible are the same (not found); visible but not actor's side
// is forbidden.
func (s *Service) lockable(ctx context.Context, tx *store.Tx, actor identity.Principal, id string, who party) (Negotiation, error) {
	n, err := s.getNegotiation(ctx, tx, id)
	if err != nil {
		return n, err
	}
	if who == forSystem {
		return n, nil
	}
	if !canSee(actor, n.ProviderOrgID, n.BuyerOrgID) {
		return n, notFound("negotiation", id)
	}
	buyer, provider := canAct(actor, n.BuyerOrgID), canAct(actor, n.ProviderOrgID)
	if (who == forBuyer && !buyer) || (who == forProvider && !provider) || (who == forEither && !buyer && !provider) {
		return n, identity.ErrForbidden
	}
	return n, nil
}

// arrive does what n's new state brings, in tx: the contract at AGREED,
// delivery and finalization after VERIFIED, the contract's end at
// TERMINATED; then the event and the hooks.
func (s *Service) arrive(ctx context.Context, tx *store.Tx, actor identity.Principal, n *Negotiation, from State) error {
	var c *Contract
	switch {
	case n.State == Agreed:
		p, err := s.listedProduct(ctx, s.sql.in(tx), n.ProductID)
		if err != nil {
			return refuseWith("trade_not_listed", "the product is no longer listed")
		}
		written, err := s.newContract(ctx, tx, actor, n, p)
		if err != nil {
			return err
		}
		c = &written
	case n.ContractID != "":
		got, err := s.getContract(ctx, tx, n.ContractID)
		if err != nil {
			return err
		}
		c = &got
	}
	if n.State == Terminated && c != nil {
		if err := s.endContract(ctx, tx, actor, c); err != nil {
			return err
		}
	}
	if err := s.stepped(ctx, tx, actor, n, from, c); err != nil {
		return err
	}
	if n.State != Verified {
		return nil
	}
	// The provider finalizes at once: the contract is delivered.
	if err := s.deliver(ctx, tx, identity.System, c); err != nil {
		return err
	}
	n.State = Finalized // written so by step
	return s.stepped(ctx, tx, identity.System, n, Verified, c)
}

// endContract terminates the contract of a negotiation terminated before
// finalization.
func (s *Service) endContract(ctx context.Context, tx *store.Tx, actor identity.Principal, c *Contract) error {
	if err := s.setContractStatus(ctx, tx, c, ContractTerminated, ContractAgreed); err != nil {
		return err
	}
	return tx.Emit(ctx, store.Event{Type: "exchange.contract.terminated", ActorUserID: actor.UserID, SubjectKind: subjectContract, SubjectID: c.ID},
		map[string]any{"negotiation_id": c.NegotiationID, "contract_sha256": c.Hash})
}

// stepped emits the event of n's arrival in its state and calls the hooks.
func (s *Service) stepped(ctx context.Context, tx *store.Tx, actor identity.Principal, n *Negotiation, from State, c *Contract) error {
	policy, _ := json.Marshal(n.Policy)
	payload := map[string]any{"product_id": n.ProductID, "offer_id": n.OfferID, "provider_id": n.ProviderID, "buyer_id": n.BuyerID,
		"consumer_pid_sha256": store.SHA256Hex(n.ConsumerPID), "from": from, "to": n.State, "policy_sha256": sha256Hex(policy),
		"period_days": n.PeriodDays}
	if c != nil {
		payload["contract_id"], payload["contract_sha256"] = c.ID, c.Hash
	}
	if n.State == Terminated {
		payload["code"], payload["reason_sha256"] = n.Code, store.SHA256Hex(n.Reason)
	}
	ev := store.Event{Type: "exchange.negotiation." + strings.ToLower(string(n.State)), ActorUserID: actor.UserID,
		ActorOrgID: actingOrg(actor, n.BuyerOrgID, n.ProviderOrgID), SubjectKind: subjectNegotiation, SubjectID: n.ID}
	if err := tx.Emit(ctx, ev, payload); err != nil {
		return err
	}
	snapshot := *n
	return s.changed(ctx, tx, Change{Negotiation: &snapshot, Contract: c, From: from, To: n.State})
}

// actingOrg is the party organization actor acts for ("" for the system).
func actingOrg(actor identity.Principal, buyerOrgID, providerOrgID string) string {
	switch {
	case actor.RoleIn(buyerOrgID) != "":
		return buyerOrgID
	case actor.RoleIn(providerOrgID) != "":
		return providerOrgID
	}
	return ""
}

// Negotiation returns a negotiation its parties (and the exchange's
// staff) may see; to anyone else it does not exist.
func (s *Service) Negotiation(ctx context.Context, actor identity.Principal, id string) (Negotiation, error) {
	n, err := s.getNegotiation(ctx, s.db, id)
	if err != nil {
		return Negotiation{}, err
	}
	if !canSee(actor, n.ProviderOrgID, n.BuyerOrgID) {
		return Negotiation{}, notFound("negotiation", id)
	}
	return n, nil
}

// NegotiationFilter selects negotiations; zero fields match every one the
// caller may see.
type NegotiationFilter struct {
	// Side is "buyer" (the caller's orders), "provider" (orders for the
	// caller's products), "queue" (those waiting for the provider:
	// REQUESTED or ACCEPTED) or "" (both sides).
	Side      string
	State     State
	ProductID string
	Cursor    string // the last id of the previous page
	Limit     int    // 1–500, default 50
}

// Negotiations lists the negotiations of the caller's organizations
// (every one for the exchange's staff, on side ""), newest first.
func (s *Service) Negotiations(ctx context.Context, actor identity.Principal, f NegotiationFilter) ([]Negotiation, error) {
	side := f.Side
	if side == "queue" {
		side = "provider"
	}
	w, err := listWhere(actor, "n", side, "state", string(f.State), f.ProductID, f.Cursor)
	if err != nil {
		return nil, err
	}
	if f.Side == "queue" {
		w.conds = append(w.conds, "n.state IN ('REQUESTED', 'ACCEPTED')")
	}
	return queryNegotiations(ctx, s.db, w.sql(), limit(f.Limit), w.args...)
}
