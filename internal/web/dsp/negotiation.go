package dsp

import (
	"context"
	"encoding/json"
	"net/http"

	"dataport/internal/exchange"
	"dataport/internal/exchange/trade"
)

// negotiationAck is a negotiation's state, the answer of its endpoints.
func negotiationAck(n trade.Negotiation) ContractNegotiation {
	return ContractNegotiation{head: newHead("ContractNegotiation"), pids: pids{ProviderPID: n.ID, ConsumerPID: n.ConsumerPID}, State: string(n.State)}
}

// requestNegotiation starts a negotiation from a consumer's
// ContractRequestMessage for an offer of the catalog: 201 with the
// negotiation. A product that agrees automatically to a request matching
// its offer is agreed at once, and the agreement is sent to the callback.
func (h *Handler) requestNegotiation(w http.ResponseWriter, r *http.Request) {
	c, r, err := h.authenticate(r)
	if err != nil {
		h.fail(w, r, areaNegotiation, pids{}, false, err)
		return
	}
	var m ContractRequestMessage
	if err := decode(r, SchemaContractRequest, &m); err != nil {
		h.fail(w, r, areaNegotiation, pids{ConsumerPID: m.ConsumerPID}, false, err)
		return
	}
	n, err := h.startNegotiation(r.Context(), c, m)
	if err != nil {
		h.fail(w, r, areaNegotiation, pids{ProviderPID: m.ProviderPID, ConsumerPID: m.ConsumerPID}, false, err)
		return
	}
	h.reply(w, r, http.StatusCreated, SchemaNegotiation, negotiationAck(n))
}

func (h *Handler) startNegotiation(ctx context.Context, c caller, m ContractRequestMessage) (trade.Negotiation, error) {
	if m.ProviderPID != "" {
		return trade.Negotiation{}, badRequest("provider_pid", "a request naming a providerPid goes to /negotiations/{providerPid}/request")
	}
	if err := h.checkCallback(m.CallbackAddress); err != nil {
		return trade.Negotiation{}, err
	}
	p, terms, err := h.requestedOffer(ctx, c, m.Offer)
	if err != nil {
		return trade.Negotiation{}, err
	}
	if len(terms.Policy.Purposes) != 1 {
		return trade.Negotiation{}, badRequest("purpose", "state the purpose of use: a purpose constraint (eq, or isAnyOf with one value) naming one of the offer's purposes")
	}
	in := trade.RequestInput{ProductID: p.ID, OfferID: p.Offer.ID, BuyerOrgID: c.buyerOrg(), ConsumerPID: m.ConsumerPID,
		CallbackAddress: m.CallbackAddress, Purpose: terms.Policy.Purposes[0], PeriodDays: terms.PeriodDays}
	if !samePolicy(terms, offerTerms(p)) {
		in.Policy = &terms.Policy
	}
	return h.tr.Request(ctx, c.p, in)
}

// requestedOffer resolves the offer of a consumer's request: its target
// must be a dataset of the catalog and its @id that dataset's offer; its
// rules are read into terms, whose onward transfer must be the offer's
// (the rest the provider agrees to or not: automatically when the request
// asks no more than the offer, trade.Matches).
func (h *Handler) requestedOffer(ctx context.Context, c caller, o Policy) (exchange.Product, Terms, error) {
	if o.Target == "" {
		return exchange.Product{}, Terms{}, badRequest("target", "offer.target must name the dataset of the catalog the offer is for")
	}
	p, err := h.ex.Product(ctx, c.p, localID(o.Target))
	if isNotFound(err) || (err == nil && !deliverable(p)) {
		return p, Terms{}, badRequest("unknown_dataset", "offer.target %q is not a dataset of the catalog", o.Target)
	} else if err != nil {
		return p, Terms{}, err
	}
	if o.ID != offerID(p) {
		return p, Terms{}, badRequest("unknown_offer", "offer %q is not an offer of dataset %q (its offer is %q)", o.ID, o.Target, offerID(p))
	}
	terms, err := ParseTerms(o)
	if err != nil {
		return p, terms, err
	}
	want := offerTerms(p)
	if terms.OnwardTransfer != want.OnwardTransfer {
		return p, terms, badRequest("terms", "onward transfer (the prohibition to distribute) is the offer's own and cannot be changed")
	}
	return p, terms, nil
}

// samePolicy says whether two terms state the same usage policy.
func samePolicy(a, b Terms) bool {
	ja, _ := json.Marshal(a.Policy)
	jb, _ := json.Marshal(b.Policy)
	return string(ja) == string(jb)
}

// negotiation loads the negotiation of the path's providerPid for the
// caller: one of its buyer participants' negotiations, or errUnknownProcess.
func (h *Handler) negotiation(ctx context.Context, c caller, pid string) (trade.Negotiation, error) {
	n, err := h.tr.Negotiation(ctx, c.p, pid)
	if isNotFound(err) || (err == nil && !c.owns(n.BuyerOrgID)) {
		return n, errUnknownProcess
	}
	return n, err
}

// getNegotiation answers GET /negotiations/{providerPid}.
func (h *Handler) getNegotiation(w http.ResponseWriter, r *http.Request) {
	pid := r.PathValue("pid")
	c, r, err := h.authenticate(r)
	if err == nil {
		var n trade.Negotiation
		if n, err = h.negotiation(r.Context(), c, pid); err == nil {
			h.reply(w, r, http.StatusOK, SchemaNegotiation, negotiationAck(n))
			return
		}
	}
	h.fail(w, r, areaNegotiation, pids{ProviderPID: pid}, true, err)
}

// negotiationStep is a consumer's message about an existing negotiation:
// it is authenticated, validated against schema s into msg (whose pids
// must name the path's negotiation), and step moves the negotiation.
func (h *Handler) negotiationStep(w http.ResponseWriter, r *http.Request, s Schema, msg interface{ ids() pids },
	step func(ctx context.Context, c caller, n trade.Negotiation) (trade.Negotiation, error)) {
	pid := r.PathValue("pid")
	ids := pids{ProviderPID: pid}
	c, r, err := h.authenticate(r)
	if err == nil {
		err = decode(r, s, msg)
	}
	var n trade.Negotiation
	if err == nil {
		ids.ConsumerPID = msg.ids().ConsumerPID
		n, err = h.negotiation(r.Context(), c, pid)
	}
	if err == nil {
		err = samePIDs(msg.ids(), n.ID, n.ConsumerPID)
	}
	if err == nil {
		n, err = step(r.Context(), c, n)
	}
	if err != nil {
		h.fail(w, r, areaNegotiation, ids, true, err)
		return
	}
	h.reply(w, r, http.StatusOK, SchemaNegotiation, negotiationAck(n))
}

// samePIDs checks that a message names the process of its path.
func samePIDs(got pids, providerPID, consumerPID string) error {
	if got.ProviderPID != providerPID {
		return badRequest("provider_pid", "providerPid %q is not the process of the path (%q)", got.ProviderPID, providerPID)
	}
	if got.ConsumerPID != consumerPID {
		return badRequest("consumer_pid", "consumerPid %q is not this process's (%q)", got.ConsumerPID, consumerPID)
	}
	return nil
}

func (m *ContractRequestMessage) ids() pids {
	return pids{ProviderPID: m.ProviderPID, ConsumerPID: m.ConsumerPID}
}
func (m *ContractNegotiationEventMessage) ids() pids       { return m.pids }
func (m *ContractAgreementVerificationMessage) ids() pids  { return m.pids }
func (m *ContractNegotiationTerminationMessage) ids() pids { return m.pids }
func (m *TransferCompletionMessage) ids() pids             { return m.pids }
func (m *TransferStartMessage) ids() pids                  { return m.pids }
func (m *TransferCodeMessage) ids() pids                   { return m.pids }

// counterRequest answers a consumer's counter-offer
// (POST /negotiations/{providerPid}/request), which the exchange does not
// take: an offered negotiation is accepted or terminated; in any other
// state the message is an invalid transition.
func (h *Handler) counterRequest(w http.ResponseWriter, r *http.Request) {
	var m ContractRequestMessage
	h.negotiationStep(w, r, SchemaContractRequest, &m, func(ctx context.Context, c caller, n trade.Negotiation) (trade.Negotiation, error) {
		if n.State != trade.Offered {
			return n, badRequest("trade_state", "a negotiation in state %s takes no contract request", n.State)
		}
		return n, badRequest("counter_offer", "the exchange does not take counter-offers: accept the offer (an ACCEPTED event) or terminate the negotiation")
	})
}

// negotiationEvent takes the consumer's ACCEPTED event (OFFERED →
// ACCEPTED); FINALIZED is the provider's to send.
func (h *Handler) negotiationEvent(w http.ResponseWriter, r *http.Request) {
	var m ContractNegotiationEventMessage
	h.negotiationStep(w, r, SchemaNegotiationEvent, &m, func(ctx context.Context, c caller, n trade.Negotiation) (trade.Negotiation, error) {
		if m.EventType != EventAccepted {
			return n, badRequest("event_type", "a consumer sends only ACCEPTED events; FINALIZED is the provider's")
		}
		return h.tr.Accept(ctx, c.p, n.ID)
	})
}

// verifyAgreement takes the consumer's verification of the agreement:
// AGREED → VERIFIED, and the provider finalizes at once (the contract is
// active, the delivery grant made) and sends the FINALIZED event.
func (h *Handler) verifyAgreement(w http.ResponseWriter, r *http.Request) {
	var m ContractAgreementVerificationMessage
	h.negotiationStep(w, r, SchemaAgreementVerify, &m, func(ctx context.Context, c caller, n trade.Negotiation) (trade.Negotiation, error) {
		return h.tr.Verify(ctx, c.p, n.ID)
	})
}

// terminateNegotiation takes the consumer's termination.
func (h *Handler) terminateNegotiation(w http.ResponseWriter, r *http.Request) {
	var m ContractNegotiationTerminationMessage
	h.negotiationStep(w, r, SchemaNegotiationTerminate, &m, func(ctx context.Context, c caller, n trade.Negotiation) (trade.Negotiation, error) {
		return h.tr.Terminate(byConsumer(ctx, n.ID, trade.Terminated), c.p, n.ID, m.Code, reasonText(m.Reason))
	})
}
