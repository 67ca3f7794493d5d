package dsp

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/exchange/trade"
	"dataport/internal/store"
)

// versions answers /.well-known/dspace-version: the one version and
// binding served, unauthenticated as the protocol asks.
func (h *Handler) versions(w http.ResponseWriter, r *http.Request) {
	h.reply(w, r, http.StatusOK, SchemaVersion, VersionResponse{ProtocolVersions: []ProtocolVersion{
		{Version: Version, Path: Prefix, Binding: "HTTPS", ServiceID: h.serviceID()}}})
}

// checkCallback refuses a callbackAddress the provider will not call: not
// an absolute https:// URL (http:// too with InsecureCallbacks), with
// credentials, a query or a fragment, or (without InsecureCallbacks) a
// literal address on a loopback or private network.
func (h *Handler) checkCallback(raw string) error {
	u, err := url.Parse(raw)
	bad := err != nil || len(raw) > 2048 || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		!(u.Scheme == "https" || (h.cfg.InsecureCallbacks && u.Scheme == "http"))
	if !bad && !h.cfg.InsecureCallbacks {
		if ip, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !publicAddr(ip) {
			bad = true
		}
	}
	if bad {
		return badRequest("callback_address", "callbackAddress %q is not understood: send an absolute https:// URL on a public network, without credentials, query or fragment", raw)
	}
	return nil
}

// callbackURL is the consumer's endpoint for a message: the path under its
// callbackAddress, with or without a trailing slash.
func callbackURL(base, kind, consumerPID, tail string) string {
	return strings.TrimRight(base, "/") + "/" + kind + "/" + url.PathEscape(consumerPID) + tail
}

// consumerStep marks a context whose change the consumer itself asked for
// (a termination, completion or suspension it sent): the provider does not
// echo it back.
type consumerStep struct {
	pid string
	to  trade.State
}

type consumerStepKey struct{}

func byConsumer(ctx context.Context, pid string, to trade.State) context.Context {
	return context.WithValue(ctx, consumerStepKey{}, consumerStep{pid: pid, to: to})
}

func causedByConsumer(ctx context.Context, pid string, to trade.State) bool {
	s, ok := ctx.Value(consumerStepKey{}).(consumerStep)
	return ok && s.pid == pid && s.to == to
}

// queueCallbacks is the hook on every trade change: a change of a
// protocol negotiation or transfer (one with a callbackAddress) that the
// consumer must hear of is queued as its message, in the change's
// transaction. A message that breaks its schema undoes the change.
func (h *Handler) queueCallbacks(ctx context.Context, tx *store.Tx, c trade.Change) error {
	switch {
	case c.Negotiation != nil && c.Negotiation.CallbackAddress != "":
		if causedByConsumer(ctx, c.Negotiation.ID, c.To) {
			return nil
		}
		return h.negotiationCallback(ctx, tx, *c.Negotiation, c)
	case c.Transfer != nil && c.Transfer.CallbackAddress != "":
		if causedByConsumer(ctx, c.Transfer.ID, c.To) {
			return nil
		}
		return h.transferCallback(ctx, tx, *c.Transfer, c.To)
	}
	return nil
}

// withPurpose is a policy whose purposes include the declared purpose.
func withPurpose(p access.Policy, purpose string) access.Policy {
	if len(p.Purposes) == 0 && purpose != "" {
		p.Purposes = []string{purpose}
	}
	return p
}

// negotiationCallback queues the provider's message of a negotiation step:
// its offer, its agreement, the FINALIZED event or its termination.
// The consumer's own steps (ACCEPTED, VERIFIED) need none.
func (h *Handler) negotiationCallback(ctx context.Context, tx *store.Tx, n trade.Negotiation, c trade.Change) error {
	ids := pids{ProviderPID: n.ID, ConsumerPID: n.ConsumerPID}
	m := outMessage{kind: "negotiation", processID: n.ID}
	switch c.To {
	case trade.Offered:
		p, err := h.ex.ProductByID(ctx, tx, n.ProductID)
		if err != nil {
			return err
		}
		perm, prohib := Terms{Policy: withPurpose(n.Policy, n.Purpose), PeriodDays: n.PeriodDays, OnwardTransfer: p.Offer.OnwardTransfer}.Rules()
		m.schema, m.url = SchemaContractOffer, callbackURL(n.CallbackAddress, "negotiations", n.ConsumerPID, "/offers")
		m.body = ContractOfferMessage{head: newHead("ContractOfferMessage"), pids: ids,
			Offer: Policy{ID: iri(n.OfferID), Type: "Offer", Target: iri(n.ProductID), Permission: perm, Prohibition: prohib}}
	case trade.Agreed:
		if c.Contract == nil {
			return nil
		}
		m.schema, m.url = SchemaContractAgreement, callbackURL(n.CallbackAddress, "negotiations", n.ConsumerPID, "/agreement")
		m.body = ContractAgreementMessage{head: newHead("ContractAgreementMessage"), pids: ids, Agreement: agreement(*c.Contract)}
	case trade.Finalized:
		m.schema, m.url = SchemaNegotiationEvent, callbackURL(n.CallbackAddress, "negotiations", n.ConsumerPID, "/events")
		m.body = ContractNegotiationEventMessage{head: newHead("ContractNegotiationEventMessage"), pids: ids, EventType: EventFinalized}
	case trade.Terminated:
		m.schema, m.url = SchemaNegotiationTerminate, callbackURL(n.CallbackAddress, "negotiations", n.ConsumerPID, "/termination")
		m.body = ContractNegotiationTerminationMessage{head: newHead("ContractNegotiationTerminationMessage"), pids: ids,
			Code: n.Code, Reason: reasons(n.Reason)}
	default:
		return nil
	}
	return h.queue(ctx, tx, m)
}

// agreement is a contract as an odrl:Agreement: its terms, the dataset,
// the provider (assigner) and the buyer (assignee) participants, when it
// was agreed and until when it holds.
func agreement(k trade.Contract) Policy {
	perm, prohib := Terms{Policy: withPurpose(k.Policy, k.Purpose), PeriodDays: k.PeriodDays, OnwardTransfer: k.OnwardTransfer}.Rules()
	if !k.ValidUntil.IsZero() {
		perm[0].Constraint = append(perm[0].Constraint,
			Constraint{LeftOperand: "dateTime", Operator: "lteq", RightOperand: k.ValidUntil.UTC().Format(time.RFC3339)})
	}
	return Policy{ID: iri(k.ID), Type: "Agreement", Target: iri(k.ProductID), Assigner: iri(k.ProviderID), Assignee: iri(k.BuyerID),
		Timestamp: k.CreatedAt.UTC().Format(time.RFC3339), Permission: perm, Prohibition: prohib}
}

// reasons is a reason as the messages carry it: a list, absent when empty.
func reasons(reason string) []any {
	if reason == "" {
		return nil
	}
	return []any{reason}
}

// transferCallback queues the provider's message of a transfer step: a
// start (its data address issued when it is sent), a completion, a
// suspension or a termination.
func (h *Handler) transferCallback(ctx context.Context, tx *store.Tx, t trade.Transfer, to trade.State) error {
	ids := pids{ProviderPID: t.ID, ConsumerPID: t.ConsumerPID}
	m := outMessage{kind: "transfer", processID: t.ID}
	code := func(typ string) TransferCodeMessage {
		return TransferCodeMessage{head: newHead(typ), pids: ids, Code: t.Code, Reason: reasons(t.Reason)}
	}
	switch to {
	case trade.Started:
		m.schema, m.url, m.withAddress = SchemaTransferStart, callbackURL(t.CallbackAddress, "transfers", t.ConsumerPID, "/start"), true
		m.body = TransferStartMessage{head: newHead("TransferStartMessage"), pids: ids}
	case trade.Completed:
		m.schema, m.url = SchemaTransferCompletion, callbackURL(t.CallbackAddress, "transfers", t.ConsumerPID, "/completion")
		m.body = TransferCompletionMessage{head: newHead("TransferCompletionMessage"), pids: ids}
	case trade.Suspended:
		m.schema, m.url = SchemaTransferSuspension, callbackURL(t.CallbackAddress, "transfers", t.ConsumerPID, "/suspension")
		m.body = code("TransferSuspensionMessage")
	case trade.Terminated:
		m.schema, m.url = SchemaTransferTermination, callbackURL(t.CallbackAddress, "transfers", t.ConsumerPID, "/termination")
		m.body = code("TransferTerminationMessage")
	default:
		return nil
	}
	return h.queue(ctx, tx, m)
}

// dataAddress is the data address of a started pull transfer: the rows
// API endpoint, and as endpoint properties the short-lived token
// ("authorization"), the header it goes in ("authKey"), the other
// endpoints of the contract's resources ("endpoint1", …) and when the
// token expires ("expiresAt"). It holds a secret: it is built only while
// the start message is sent, never stored.
func dataAddress(a trade.DataAddress) *DataAddress {
	prop := func(name, value string) EndpointProperty {
		return EndpointProperty{Type: "EndpointProperty", Name: name, Value: value}
	}
	header := a.Header
	if header == "" {
		header = trade.KeyHeader
	}
	props := []EndpointProperty{prop("authorization", a.Token), prop("authKey", header), prop("authType", "key"),
		prop("expiresAt", a.ExpiresAt.UTC().Format(time.RFC3339))}
	for i, e := range a.Endpoints {
		if e != a.Endpoint {
			props = append(props, prop("endpoint"+strconv.Itoa(i), e))
		}
	}
	return &DataAddress{Type: "DataAddress", EndpointType: endpointTypeHTTP, Endpoint: a.Endpoint, EndpointProperties: props}
}

// endpointTypeHTTP is the endpoint type of an HTTP data address.
const endpointTypeHTTP = "https://w3id.org/idsa/v4.1/HTTP"
