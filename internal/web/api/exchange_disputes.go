package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"

	"dataport/internal/exchange/dispute"
	"dataport/internal/identity"
	"dataport/internal/ledger"

	"github.com/danielgtaylor/huma/v2"
)

// tagDisputes groups the exchange's dispute operations.
const tagDisputes = "Exchange disputes"

func init() {
	tags = append(tags, &huma.Tag{Name: tagDisputes, Description: "Disputes over exchange contracts, resolved online (article 50). A party " +
		"of a contract opens a case with a claim; the contract's evidence bundle is attached at once and its SHA-256 sealed. The exchange's " +
		"staff mediate (open → mediation → settled) or, when mediation fails, arbitrate (→ arbitration → decided: upheld, partly upheld " +
		"or dismissed); the claimant may withdraw until the case closes. Every step is recorded with its reasons and sealed in the ledger " +
		"(events carry the hashes of the texts). Evidence bundles are zip archives that `dataport ledger verify --bundle FILE` checks " +
		"offline: every file against the manifest, every event against its receipt and the log's key, every document against the " +
		"hash a sealed event names for it."})
}

type disputeOut struct{ Body dispute.Dispute }

type disputeIDIn struct {
	ID string `path:"id"`
}

type contractEvidenceIn struct {
	ID string `path:"id" doc:"The contract's id"`
}

type openDisputeIn struct {
	ID   string `path:"id" doc:"The contract's id"`
	Body dispute.OpenInput
}

type listDisputesIn struct {
	Status     string `query:"status" enum:"open,mediation,arbitration,settled,decided,withdrawn"`
	ContractID string `query:"contract_id"`
	Cursor     string `query:"cursor" doc:"next_cursor of the previous page"`
	Limit      int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type mediateIn struct {
	ID   string `path:"id"`
	Body struct {
		Note string `json:"note,omitempty" maxLength:"8000" doc:"What the mediator notes on taking the case"`
	}
}

type escalateIn struct {
	ID   string `path:"id"`
	Body struct {
		Reasons string `json:"reasons" maxLength:"8000" doc:"Why mediation failed"`
	}
}

type decideIn struct {
	ID   string `path:"id"`
	Body struct {
		Outcome string `json:"outcome" enum:"settled,upheld,partly_upheld,dismissed" doc:"settled in mediation; upheld, partly_upheld or dismissed in arbitration"`
		Reasons string `json:"reasons" maxLength:"8000" doc:"The settlement's terms, or the award's reasons"`
	}
}

type withdrawIn struct {
	ID   string `path:"id"`
	Body struct {
		Reason string `json:"reason,omitempty" maxLength:"8000"`
	}
}

// zipResponses documents an operation that answers a zip archive.
func zipResponses(desc string) map[string]*huma.Response {
	return fileResponses(desc, map[string]*huma.Schema{"application/zip": {Type: huma.TypeString, ContentEncoding: "binary"}})
}

func (h *handlers) disputeRoutes(api huma.API) {
	op := func(id, method, path string, status int, summary, desc string) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{tagDisputes}, Summary: summary, Description: desc,
			DefaultStatus: status, Security: bearer}
	}
	h.evidenceRoutes(api, op)
	h.disputeCaseRoutes(api, op)
	h.disputeStepRoutes(api, op)
}

func (h *handlers) evidenceRoutes(api huma.API, op operation) {
	ds := h.acc.Disputes
	evidence := op("get-exchange-contract-evidence", http.MethodGet, "/exchange/contracts/{id}/evidence", 0,
		"The evidence bundle of a contract (zip), verifiable offline",
		"For the contract's parties and the exchange's staff (404 for anyone else): the canonical contract (contract.json, sealed by "+
			"contract_sha256), every event of its negotiation, contract, delivery grant, transfers and the decision batches of its usage, "+
			"each with its receipt against one checkpoint, the log's verifier key, and usage.json (the decisions under the grant). "+
			"Check it with `dataport ledger verify --bundle FILE [--key KEY]`. 409 while recent events wait for the ledger (retry).")
	evidence.Responses = zipResponses("The evidence bundle")
	huma.Register(api, evidence, func(ctx context.Context, in *contractEvidenceIn) (*huma.StreamResponse, error) {
		var buf bytes.Buffer
		if err := ds.ContractEvidence(ctx, identity.FromContext(ctx), in.ID, &buf); err != nil {
			return nil, h.failDispute(ctx, err)
		}
		return zipFile("contract-"+in.ID+"-evidence.zip", buf.Bytes()), nil
	})
	bundle := op("get-exchange-dispute-bundle", http.MethodGet, "/exchange/disputes/{id}/bundle", 0,
		"The record of a dispute as an evidence bundle (zip), verifiable offline",
		"For the dispute's parties and the exchange's staff: every event of the dispute with its receipt, the evidence bundle attached "+
			"when it opened (evidence.zip, sealed by bundle_sha256), the claim (claim.txt) and the reasons of every step "+
			"(steps/NN-status.txt, sealed by reasons_sha256). Check it with `dataport ledger verify --bundle FILE`.")
	bundle.Responses = zipResponses("The dispute's record")
	huma.Register(api, bundle, func(ctx context.Context, in *disputeIDIn) (*huma.StreamResponse, error) {
		var buf bytes.Buffer
		if err := ds.Bundle(ctx, identity.FromContext(ctx), in.ID, &buf); err != nil {
			return nil, h.failDispute(ctx, err)
		}
		return zipFile("dispute-"+in.ID+".zip", buf.Bytes()), nil
	})
	attached := op("get-exchange-dispute-evidence", http.MethodGet, "/exchange/disputes/{id}/evidence", 0,
		"The evidence bundle attached to a dispute when it opened (zip)",
		"Byte for byte the bundle whose SHA-256 (evidence_sha256) the dispute's evidence_attached event seals: the contract's evidence, "+
			"the claim and the opening event. Check it with `dataport ledger verify --bundle FILE`.")
	attached.Responses = zipResponses("The attached evidence bundle")
	huma.Register(api, attached, func(ctx context.Context, in *disputeIDIn) (*huma.StreamResponse, error) {
		b, _, err := ds.Evidence(ctx, identity.FromContext(ctx), in.ID)
		if err != nil {
			return nil, h.failDispute(ctx, err)
		}
		return zipFile("dispute-"+in.ID+"-evidence.zip", b), nil
	})
}

func (h *handlers) disputeCaseRoutes(api huma.API, op operation) {
	ds := h.acc.Disputes
	huma.Register(api, op("open-exchange-dispute", http.MethodPost, "/exchange/contracts/{id}/disputes", http.StatusCreated,
		"Open a dispute on a contract (an editor or admin of its buyer or provider)",
		"Files the claim for the caller's side of the contract and attaches the contract's evidence bundle (waiting up to 10 s for the "+
			"ledger to seal the opening; evidence_sha256 stays empty if it could not, and the bundle is attached when first asked for). "+
			"A contract the caller may not see is a 404; a second unresolved claim of the same party is a 409."),
		func(ctx context.Context, in *openDisputeIn) (*disputeOut, error) {
			in.Body.ContractID = in.ID
			d, err := ds.Open(ctx, identity.FromContext(ctx), in.Body)
			return h.dispute(ctx, d, err)
		})
	huma.Register(api, op("list-exchange-disputes", http.MethodGet, "/exchange/disputes", 0,
		"Disputes, newest first",
		"The disputes of the caller's organizations, as claimant or respondent; the exchange's staff and platform staff see every one. "+
			"Steps are left out of the list (GET one for them)."),
		func(ctx context.Context, in *listDisputesIn) (*List[dispute.Dispute], error) {
			list, err := ds.Disputes(ctx, identity.FromContext(ctx), dispute.Filter{Status: dispute.Status(in.Status),
				ContractID: in.ContractID, Cursor: in.Cursor, Limit: in.Limit + 1})
			if err != nil {
				return nil, h.failDispute(ctx, err)
			}
			out := &List[dispute.Dispute]{}
			if len(list) > in.Limit {
				list = list[:in.Limit]
				out.Body.NextCursor = list[in.Limit-1].ID
			}
			out.Body.Items = list
			return out, nil
		})
	huma.Register(api, op("get-exchange-dispute", http.MethodGet, "/exchange/disputes/{id}", 0,
		"A dispute with every step and its reasons",
		"For its parties, the exchange's staff and platform staff; 404 for anyone else."),
		func(ctx context.Context, in *disputeIDIn) (*disputeOut, error) {
			d, err := ds.Dispute(ctx, identity.FromContext(ctx), in.ID)
			return h.dispute(ctx, d, err)
		})
}

func (h *handlers) disputeStepRoutes(api huma.API, op operation) {
	ds := h.acc.Disputes
	huma.Register(api, op("mediate-exchange-dispute", http.MethodPost, "/exchange/disputes/{id}/mediate", 0,
		"Take an open dispute into mediation, as its mediator (exchange staff belonging to neither party)",
		"The caller becomes the case's mediator; the note (optional) is kept and its hash sealed. Only an open case; a party's member is a 403."),
		func(ctx context.Context, in *mediateIn) (*disputeOut, error) {
			d, err := ds.Mediate(ctx, identity.FromContext(ctx), in.ID, in.Body.Note)
			return h.dispute(ctx, d, err)
		})
	huma.Register(api, op("escalate-exchange-dispute", http.MethodPost, "/exchange/disputes/{id}/escalate", 0,
		"Take a dispute whose mediation failed to arbitration, as its arbitrator (exchange staff belonging to neither party)",
		"Reasons (why mediation failed) are required."),
		func(ctx context.Context, in *escalateIn) (*disputeOut, error) {
			d, err := ds.Escalate(ctx, identity.FromContext(ctx), in.ID, in.Body.Reasons)
			return h.dispute(ctx, d, err)
		})
	huma.Register(api, op("decide-exchange-dispute", http.MethodPost, "/exchange/disputes/{id}/decide", 0,
		"Close a dispute: the mediator records a settlement, the arbitrator an award, with reasons",
		"In mediation the outcome is settled (→ settled); in arbitration upheld, partly_upheld or dismissed (→ decided). Only the case's "+
			"mediator or arbitrator decides; the reasons are kept and their hash sealed."),
		func(ctx context.Context, in *decideIn) (*disputeOut, error) {
			d, err := ds.Decide(ctx, identity.FromContext(ctx), in.ID, in.Body.Outcome, in.Body.Reasons)
			return h.dispute(ctx, d, err)
		})
	huma.Register(api, op("withdraw-exchange-dispute", http.MethodPost, "/exchange/disputes/{id}/withdraw", 0,
		"Withdraw an unresolved dispute (the claimant's editors and admins)",
		"An open case, or one in mediation or arbitration, ends as withdrawn; the reason (optional) is kept and its hash sealed. The respondent "+
			"is a 403; a closed case a 409."),
		func(ctx context.Context, in *withdrawIn) (*disputeOut, error) {
			d, err := ds.Withdraw(ctx, identity.FromContext(ctx), in.ID, in.Body.Reason)
			return h.dispute(ctx, d, err)
		})
}

func (h *handlers) dispute(ctx context.Context, d dispute.Dispute, err error) (*disputeOut, error) {
	if err != nil {
		return nil, h.failDispute(ctx, err)
	}
	return &disputeOut{Body: d}, nil
}

// failDispute answers 409 while the ledger has not sealed what a bundle
// holds; the rest goes through fail.
func (h *handlers) failDispute(ctx context.Context, err error) error {
	if errors.Is(err, ledger.ErrNotSealed) {
		return huma.Error409Conflict("the ledger has not sealed every event of the bundle yet; retry in a few seconds")
	}
	return h.fail(ctx, err)
}

// zipFile answers body as a zip attachment named name.
func zipFile(name string, body []byte) *huma.StreamResponse {
	name = strings.NewReplacer(":", "-", `"`, "", "/", "-").Replace(name)
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", "application/zip")
		hctx.SetHeader("Content-Disposition", `attachment; filename="`+name+`"`)
		hctx.SetHeader("Cache-Control", "no-store")
		bytes.NewReader(body).WriteTo(hctx.BodyWriter())
	}}
}
