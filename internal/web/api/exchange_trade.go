package api

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

// tagTrade groups the exchange's trading operations.
const tagTrade = "Exchange trading"

func init() {
	tags = append(tags, &huma.Tag{Name: tagTrade, Description: "Trading on the data exchange (article 22): a buyer's order is a contract " +
		"negotiation in the states of the Dataspace Protocol 2025-1 (REQUESTED → OFFERED → ACCEPTED → AGREED → VERIFIED → FINALIZED, or " +
		"TERMINATED), the same state machine the protocol binding under /dsp drives. A request that asks no more than an automatically " +
		"agreeing product's offer is agreed at once; others wait in the provider's queue. The contract written at AGREED is sealed in the " +
		"ledger by the SHA-256 of its canonical JSON; delivery at FINALIZED is a grant of the access decision point, so every read is " +
		"decided, counted and revocable. Transfers (HttpData-PULL) hand out short-lived per-grant keys; settlements record amounts, fees " +
		"and invoices (no payment); buyers rate what they bought."})
}

type negotiationOut struct{ Body trade.Negotiation }

// negotiationRequest is an order as the API names it (sharing has a
// RequestInput of its own).
type negotiationRequest trade.RequestInput

type requestNegotiationIn struct{ Body negotiationRequest }

type listNegotiationsIn struct {
	Side      string `query:"side" enum:"buyer,provider,queue" doc:"buyer: your orders; provider: orders for your products; queue: those waiting for you as provider (REQUESTED or ACCEPTED); none: both sides"`
	State     string `query:"state" enum:"REQUESTED,OFFERED,ACCEPTED,AGREED,VERIFIED,FINALIZED,TERMINATED"`
	ProductID string `query:"product_id"`
	Cursor    string `query:"cursor" doc:"next_cursor of the previous page"`
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type tradeIDIn struct {
	ID string `path:"id"`
}

type offerNegotiationIn struct {
	ID   string `path:"id"`
	Body struct {
		Policy     access.Policy `json:"policy" doc:"The usage offered"`
		PeriodDays int           `json:"period_days,omitempty" doc:"The contract period offered, days (0: unchanged)"`
	}
}

type terminateIn struct {
	ID   string `path:"id"`
	Body struct {
		Code   string `json:"code,omitempty" maxLength:"100"`
		Reason string `json:"reason,omitempty" maxLength:"1000"`
	}
}

// contractBody is a contract with the address of its ledger receipt.
type contractBody struct {
	trade.Contract
	ReceiptEventID string `json:"receipt_event_id" doc:"The event that sealed the contract's hash (exchange.contract.agreed)"`
	ReceiptURL     string `json:"receipt_url" doc:"GET it for the receipt (409 until the ledger has sealed the event)"`
}

type contractOut struct{ Body contractBody }

type listContractsIn struct {
	Side      string `query:"side" enum:"buyer,provider"`
	Status    string `query:"status" enum:"agreed,active,settled,completed,terminated"`
	ProductID string `query:"product_id"`
	Cursor    string `query:"cursor"`
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type transferOut struct{ Body trade.Transfer }

type requestTransferIn struct {
	ID   string `path:"id" doc:"The contract's id"`
	Body struct {
		ConsumerPID     string `json:"consumer_pid,omitempty"`
		Format          string `json:"format,omitempty" enum:"HttpData-PULL"`
		CallbackAddress string `json:"callback_address,omitempty"`
	}
}

type addressOut struct{ Body trade.DataAddress }

type settlementOut struct{ Body trade.Settlement }

type rateContractIn struct {
	ID   string `path:"id"`
	Body struct {
		Stars   int    `json:"stars" minimum:"1" maximum:"5"`
		Comment string `json:"comment,omitempty" maxLength:"2000"`
	}
}

// contractRating is a buyer's rating of a contract as the API names it
// (a dataset's rating is engage's Rating).
type contractRating trade.Rating

type contractRatingOut struct{ Body contractRating }

func (h *handlers) tradeRoutes(api huma.API) {
	op := func(id, method, path string, status int, summary, desc string) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{tagTrade}, Summary: summary, Description: desc,
			DefaultStatus: status, Security: bearer}
	}
	h.negotiationRoutes(api, op)
	h.contractRoutes(api, op)
	h.transferRoutes(api, op)
}

func (h *handlers) negotiationRoutes(api huma.API, op operation) {
	tr := h.acc.Trade
	huma.Register(api, op("request-exchange-negotiation", http.MethodPost, "/exchange/negotiations", http.StatusCreated,
		"Order a listed product: request a contract on its offer (an admitted buyer's editors and admins)",
		"Files a contract request for the buyer organization (buyer_org_id; the caller's only one by default) with a purpose, and the usage "+
			"(policy) and period asked for (the offer's by default). When the product agrees automatically and the request asks no more than "+
			"its offer — fields among the offer's, counts and rows no higher, purpose and actions among the offer's, period no longer — it is "+
			"agreed at once and the answer is AGREED with its contract; otherwise it waits in the provider's queue (REQUESTED). Not for your "+
			"own product; a product not listed, a buyer not admitted as a buyer or a provider that cannot trade is a 422 naming the field."),
		func(ctx context.Context, in *requestNegotiationIn) (*negotiationOut, error) {
			actor := identity.FromContext(ctx)
			n, err := tr.Request(ctx, actor, trade.RequestInput(in.Body))
			if err == nil {
				n, err = tr.Negotiation(ctx, actor, n.ID) // as it stands after an automatic agreement
			}
			return h.negotiation(ctx)(n, err)
		})
	huma.Register(api, op("list-exchange-negotiations", http.MethodGet, "/exchange/negotiations", 0,
		"Negotiations of your organizations, newest first",
		"Orders the caller's organizations placed (side=buyer), orders for their products (side=provider), those waiting for their decision "+
			"as provider (side=queue: REQUESTED or ACCEPTED), or both sides. The exchange's staff see every negotiation."),
		func(ctx context.Context, in *listNegotiationsIn) (*List[trade.Negotiation], error) {
			list, err := tr.Negotiations(ctx, identity.FromContext(ctx), trade.NegotiationFilter{Side: in.Side, State: trade.State(in.State),
				ProductID: in.ProductID, Cursor: in.Cursor, Limit: in.Limit + 1})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[trade.Negotiation]{}
			out.Body.Items, out.Body.NextCursor = page(list, in.Limit, func(n trade.Negotiation) string { return n.ID })
			return out, nil
		})
	huma.Register(api, op("get-exchange-negotiation", http.MethodGet, "/exchange/negotiations/{id}", 0, "One negotiation",
		"Its buyer's and provider's members and the exchange's staff see it; to others it does not exist (404)."),
		func(ctx context.Context, in *tradeIDIn) (*negotiationOut, error) {
			return h.negotiation(ctx)(tr.Negotiation(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, op("offer-exchange-negotiation", http.MethodPost, "/exchange/negotiations/{id}/offer", 0,
		"Counter-offer (the provider's editors and admins): REQUESTED → OFFERED",
		"The usage and period offered become the terms on the table; the buyer accepts them (or terminates). Another state answers 409."),
		func(ctx context.Context, in *offerNegotiationIn) (*negotiationOut, error) {
			return h.negotiation(ctx)(tr.Offer(ctx, identity.FromContext(ctx), in.ID, exchange.Offer{Policy: in.Body.Policy,
				PeriodDays: in.Body.PeriodDays}))
		})
	huma.Register(api, op("agree-exchange-negotiation", http.MethodPost, "/exchange/negotiations/{id}/agree", 0,
		"Agree (the provider's editors and admins): REQUESTED or ACCEPTED → AGREED, the contract written and sealed",
		"Writes the contract on the terms on the table, the product's price and delivery modes, for the period from now; its canonical "+
			"JSON's SHA-256 goes to the ledger. The product must still be listed. Another state answers 409."),
		func(ctx context.Context, in *tradeIDIn) (*negotiationOut, error) {
			return h.negotiation(ctx)(tr.Agree(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, op("accept-exchange-negotiation", http.MethodPost, "/exchange/negotiations/{id}/accept", 0,
		"Accept the provider's offer (the buyer's editors and admins): OFFERED → ACCEPTED", "Another state answers 409."),
		func(ctx context.Context, in *tradeIDIn) (*negotiationOut, error) {
			return h.negotiation(ctx)(tr.Accept(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, op("verify-exchange-negotiation", http.MethodPost, "/exchange/negotiations/{id}/verify", 0,
		"Verify the agreement (the buyer's editors and admins): AGREED → VERIFIED → FINALIZED, the data delivered",
		"The provider finalizes at once: the contract becomes active and its delivery grant is created (file and API delivery; a zone "+
			"delivery is recorded), so the buyer's reads go through the access decision point within the contract's fields, counts and "+
			"period. Another state answers 409."),
		func(ctx context.Context, in *tradeIDIn) (*negotiationOut, error) {
			return h.negotiation(ctx)(tr.Verify(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, op("terminate-exchange-negotiation", http.MethodPost, "/exchange/negotiations/{id}/terminate", 0,
		"Terminate a negotiation that is not final (either party's editors and admins)",
		"With a code and a reason, both optional. A contract agreed but not yet delivered is terminated with it. FINALIZED or TERMINATED "+
			"answers 409."),
		func(ctx context.Context, in *terminateIn) (*negotiationOut, error) {
			return h.negotiation(ctx)(tr.Terminate(ctx, identity.FromContext(ctx), in.ID, in.Body.Code, in.Body.Reason))
		})
}

func (h *handlers) contractRoutes(api huma.API, op operation) {
	tr := h.acc.Trade
	huma.Register(api, op("list-exchange-contracts", http.MethodGet, "/exchange/contracts", 0, "Contracts of your organizations, newest first",
		"As buyer (side=buyer), as provider (side=provider) or both. The exchange's staff see every contract."),
		func(ctx context.Context, in *listContractsIn) (*List[trade.Contract], error) {
			list, err := tr.Contracts(ctx, identity.FromContext(ctx), trade.ContractFilter{Side: in.Side, Status: in.Status,
				ProductID: in.ProductID, Cursor: in.Cursor, Limit: in.Limit + 1})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[trade.Contract]{}
			out.Body.Items, out.Body.NextCursor = page(list, in.Limit, func(c trade.Contract) string { return c.ID })
			return out, nil
		})
	huma.Register(api, op("get-exchange-contract", http.MethodGet, "/exchange/contracts/{id}", 0,
		"One contract, with the address of its ledger receipt",
		"Its parties' members and the exchange's staff see it; to others it does not exist (404)."),
		func(ctx context.Context, in *tradeIDIn) (*contractOut, error) {
			c, err := tr.Contract(ctx, identity.FromContext(ctx), in.ID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &contractOut{Body: contractBody{Contract: c}}
			if out.Body.ReceiptEventID, err = tr.AgreedEventID(ctx, c.ID); err != nil {
				return nil, h.fail(ctx, err)
			}
			out.Body.ReceiptURL = Prefix + "/ledger/receipts/" + out.Body.ReceiptEventID
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "get-exchange-contract-document", Method: http.MethodGet,
		Path: "/exchange/contracts/{id}/document", Tags: []string{tagTrade}, Security: bearer,
		Summary: "Download the contract's canonical JSON, exactly as hashed and sealed",
		Description: "Keys sorted, no insignificant space (RFC 8785 for this document): its SHA-256 is the contract's hash, sent in " +
			"Repr-Digest too, and the one in the receipt of its exchange.contract.agreed event. Its parties and the exchange's staff only.",
		Responses: fileResponses("The contract document", map[string]*huma.Schema{"application/json": {Type: huma.TypeObject}})},
		func(ctx context.Context, in *tradeIDIn) (*huma.StreamResponse, error) {
			doc, c, err := tr.ContractDocument(ctx, identity.FromContext(ctx), in.ID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			sum, _ := hex.DecodeString(c.Hash)
			return &huma.StreamResponse{Body: func(hctx huma.Context) {
				hctx.SetHeader("Content-Type", "application/json")
				hctx.SetHeader("Content-Disposition", `attachment; filename="contract.json"`)
				hctx.SetHeader("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
				hctx.BodyWriter().Write(doc)
			}}, nil
		})
	huma.Register(api, op("settle-exchange-contract", http.MethodPost, "/exchange/contracts/{id}/settlement", http.StatusCreated,
		"Settle an active contract (the provider's editors and admins, or the exchange's staff)",
		"Records the amount (per-call and per-row prices on the use counted so far), the exchange's fees on each side by the configured rates "+
			"and the invoices, as records: no money moves. Settled once; another status answers 409."),
		func(ctx context.Context, in *tradeIDIn) (*settlementOut, error) {
			return h.settlement(ctx)(tr.Settle(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, op("get-exchange-settlement", http.MethodGet, "/exchange/contracts/{id}/settlement", 0,
		"A contract's settlement with its invoices", "404 until it is settled."),
		func(ctx context.Context, in *tradeIDIn) (*settlementOut, error) {
			return h.settlement(ctx)(tr.Settlement(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, op("rate-exchange-contract", http.MethodPost, "/exchange/contracts/{id}/rating", http.StatusCreated,
		"Rate what you bought: 1–5 stars and a comment (the buyer's editors and admins)",
		"Once the contract is settled or a transfer under it completed; one rating per contract (a second answers 409)."),
		func(ctx context.Context, in *rateContractIn) (*contractRatingOut, error) {
			return h.rating(ctx)(tr.Rate(ctx, identity.FromContext(ctx), in.ID, in.Body.Stars, in.Body.Comment))
		})
	huma.Register(api, op("get-exchange-rating", http.MethodGet, "/exchange/contracts/{id}/rating", 0, "A contract's rating",
		"404 until the buyer rates it."),
		func(ctx context.Context, in *tradeIDIn) (*contractRatingOut, error) {
			return h.rating(ctx)(tr.Rating(ctx, identity.FromContext(ctx), in.ID))
		})
}

func (h *handlers) transferRoutes(api huma.API, op operation) {
	tr := h.acc.Trade
	huma.Register(api, op("request-exchange-transfer", http.MethodPost, "/exchange/contracts/{id}/transfers", http.StatusCreated,
		"Start a transfer under an active contract (the buyer's editors and admins)",
		"HttpData-PULL: the transfer starts at once (STARTED); POST its data-address for where and how to read. A contract not active, "+
			"delivered in a zone only, or ended answers 409."),
		func(ctx context.Context, in *requestTransferIn) (*transferOut, error) {
			actor := identity.FromContext(ctx)
			t, err := tr.RequestTransfer(ctx, actor, trade.TransferInput{ContractID: in.ID, ConsumerPID: in.Body.ConsumerPID,
				Format: in.Body.Format, CallbackAddress: in.Body.CallbackAddress})
			if err == nil {
				t, err = tr.Transfer(ctx, actor, t.ID) // as it stands once started
			}
			return h.transfer(ctx)(t, err)
		})
	huma.Register(api, op("list-exchange-transfers", http.MethodGet, "/exchange/contracts/{id}/transfers", 0,
		"Transfers under a contract, newest first", ""),
		func(ctx context.Context, in *tradeIDIn) (*List[trade.Transfer], error) {
			list, err := tr.Transfers(ctx, identity.FromContext(ctx), in.ID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[trade.Transfer]{}
			out.Body.Items = list
			return out, nil
		})
	huma.Register(api, op("get-exchange-transfer", http.MethodGet, "/exchange/transfers/{id}", 0, "One transfer",
		"Its parties' members and the exchange's staff see it; to others it does not exist (404)."),
		func(ctx context.Context, in *tradeIDIn) (*transferOut, error) {
			return h.transfer(ctx)(tr.Transfer(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, op("issue-exchange-data-address", http.MethodPost, "/exchange/transfers/{id}/data-address", 0,
		"Where and how to read a started transfer: the rows API URL and a fresh key (the buyer's editors and admins)",
		"A per-grant API key, shown once, that works for minutes (never past the contract's end); send it in X-Dataport-Key to the rows "+
			"API. The transfer's earlier key stops working. Suspending, completing or terminating the transfer revokes it; a transfer not "+
			"STARTED answers 409."),
		func(ctx context.Context, in *tradeIDIn) (*addressOut, error) {
			a, err := tr.AddressFor(ctx, identity.FromContext(ctx), in.ID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &addressOut{Body: a}, nil
		})
	steps := []struct {
		id, path, summary string
		do                func(ctx context.Context, actor identity.Principal, in *terminateIn) (trade.Transfer, error)
	}{
		{"suspend-exchange-transfer", "suspend", "Suspend a started transfer (either party): its key stops working",
			func(ctx context.Context, a identity.Principal, in *terminateIn) (trade.Transfer, error) {
				return tr.SuspendTransfer(ctx, a, in.ID, in.Body.Code, in.Body.Reason)
			}},
		{"resume-exchange-transfer", "resume", "Resume a suspended transfer (either party): a new data address is needed",
			func(ctx context.Context, a identity.Principal, in *terminateIn) (trade.Transfer, error) {
				return tr.ResumeTransfer(ctx, a, in.ID)
			}},
		{"complete-exchange-transfer", "complete", "Complete a started transfer (either party): its key stops working",
			func(ctx context.Context, a identity.Principal, in *terminateIn) (trade.Transfer, error) {
				return tr.CompleteTransfer(ctx, a, in.ID)
			}},
		{"terminate-exchange-transfer", "terminate", "Terminate a transfer that is not final (either party): its key stops working",
			func(ctx context.Context, a identity.Principal, in *terminateIn) (trade.Transfer, error) {
				return tr.TerminateTransfer(ctx, a, in.ID, in.Body.Code, in.Body.Reason)
			}},
	}
	for _, st := range steps {
		huma.Register(api, op(st.id, http.MethodPost, "/exchange/transfers/{id}/"+st.path, 0, st.summary,
			"Code and reason (optional) are kept for suspension and termination. A step the transfer's state does not allow answers 409."),
			func(ctx context.Context, in *terminateIn) (*transferOut, error) {
				return h.transfer(ctx)(st.do(ctx, identity.FromContext(ctx), in))
			})
	}
}

// page cuts list (asked with limit+1) to limit, returning the next cursor
// when there was more.
func page[T any](list []T, limit int, id func(T) string) ([]T, string) {
	if len(list) > limit {
		list = list[:limit]
		return list, id(list[limit-1])
	}
	return list, ""
}

func (h *handlers) negotiation(ctx context.Context) func(trade.Negotiation, error) (*negotiationOut, error) {
	return func(n trade.Negotiation, err error) (*negotiationOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &negotiationOut{Body: n}, nil
	}
}

func (h *handlers) transfer(ctx context.Context) func(trade.Transfer, error) (*transferOut, error) {
	return func(t trade.Transfer, err error) (*transferOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &transferOut{Body: t}, nil
	}
}

func (h *handlers) settlement(ctx context.Context) func(trade.Settlement, error) (*settlementOut, error) {
	return func(s trade.Settlement, err error) (*settlementOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &settlementOut{Body: s}, nil
	}
}

func (h *handlers) rating(ctx context.Context) func(trade.Rating, error) (*contractRatingOut, error) {
	return func(r trade.Rating, err error) (*contractRatingOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &contractRatingOut{Body: contractRating(r)}, nil
	}
}
