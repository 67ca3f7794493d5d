package api

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"dataport/internal/exchange/asset"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

// tagAssets groups the data-asset registry's operations.
const tagAssets = "Exchange assets"

func init() {
	tags = append(tags, &huma.Tag{Name: tagAssets, Description: "Data-asset registration (数据资产登记, article 21): initial, change, transfer, " +
		"licence and cancellation registrations of a product's rights (holding, processing and use, operation), reviewed by the exchange's " +
		"staff, published with a number for a public objection period and effective after it; objections; public certificates with a QR " +
		"code and a ledger receipt; valuation reports by independent assessors (cost, income or market method)."})
}

type applyRegistrationIn struct{ Body asset.ApplyInput }

type objectIn struct {
	ID   string `path:"id" doc:"The registration's id or number"`
	Body asset.ObjectionInput
}

type listCertificatesIn struct {
	Stage     string `query:"stage" enum:"publicity,effective,revoked,superseded,cancelled" doc:"publicity: open to objections now"`
	ProductID string `query:"product_id"`
	Cursor    string `query:"cursor"`
	Limit     int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

type certificateIn struct {
	Number string `path:"number" doc:"The registration number, e.g. JH-DR-2026-000123"`
}

// certificateBody is a certificate with the address of its ledger receipt.
type certificateBody struct {
	asset.Certificate
	ReceiptURL string `json:"receipt_url" doc:"GET it for the receipt of receipt_event_id (409 until the ledger has sealed the event)"`
}

type certificateOut struct{ Body certificateBody }

type fileValuationIn struct{ Body asset.ValuationInput }

type valuationOut struct{ Body asset.Valuation }

type listValuationsIn struct {
	ProductID string `query:"product_id"`
}

func (h *handlers) assetRoutes(api huma.API) {
	s := h.acc.Assets
	op := func(id, method, path string, status int, summary, desc string) huma.Operation {
		o := huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{tagAssets}, Summary: summary, Description: desc,
			DefaultStatus: status}
		if isWrite(method) || strings.HasPrefix(path, "/exchange/valuations") {
			o.Security = bearer
		}
		return o
	}
	huma.Register(api, op("apply-asset-registration", http.MethodPost, "/exchange/registrations", http.StatusCreated,
		"Apply to register a product's rights, or to change, transfer, license or cancel a registration (the holder's editors and admins)",
		"Files a registration for the holder: initial (a product listed or in review, with the rights registered), or change, transfer, licence "+
			"or cancellation of a registration in effect (prior_id, its id or number). A transfer's transferee or a licence's licensee "+
			"(counterparty_id) consents first (its admins), then the exchange's staff review it within 10 working days. Approved, it is numbered "+
			"and open to objections for 10 working days, then in effect. A product registered already, or a registration with a change under way, "+
			"answers 409; bad fields 422 naming them."),
		func(ctx context.Context, in *applyRegistrationIn) (*caseOut[asset.Registration], error) {
			return h.registration(ctx)(s.Apply(ctx, identity.FromContext(ctx), in.Body))
		})
	caseRoutes[asset.Registration](h, api, tagAssets, s.Registrations, caseDocs{Path: "/exchange/registrations", Name: "asset-registration",
		List: caseDoc{"Registrations and objections you filed, hold, or must review",
			"Side sent: those the caller's organizations filed; received: those about their products or registrations; queue: those waiting " +
				"for the caller's decision (the exchange's staff; a counterparty's admins). The public register is GET /exchange/certificates."},
		Get: caseDoc{"One registration or objection with its review history",
			"Its filer, holder, counterparty and the exchange's staff see it; others get 404 (a numbered registration's certificate is public)."},
		Review: caseDoc{"Consent to, approve or reject a registration or objection (a counterparty's admins; the exchange's staff)",
			"Decides the case at its step; rejecting needs a comment. Approving a registration numbers it (JH-DR-YYYY-NNNNNN) and opens its " +
				"objection period; approving an objection revokes the registration objected to. Whoever filed it never decides it (403)."},
		Withdraw: caseDoc{"Withdraw a registration or objection under review (the filer's organization)",
			"Ends the case while it is under review, at the filing organization's wish; a decided one answers 409."},
		RequestInfo: caseDoc{"Ask the filer for more material (whoever may decide it now)",
			"The case waits for the filer's answer with its deadline paused, and expires without one within 10 working days."},
		Answer: caseDoc{"Answer a request for more material (the filer's organization)",
			"The case returns to its reviewers with its deadline moved on by the working days it waited; one that does not wait for an answer answers 409."},
	})
	huma.Register(api, op("object-asset-registration", http.MethodPost, "/exchange/registrations/{id}/objections", http.StatusCreated,
		"Object to a registration in its objection period, or apply to revoke one in effect (anyone signed in but the holder)",
		"Files an objection with its grounds, which the exchange's staff review. While it is open the registration does not take effect; "+
			"sustained, it revokes the registration. A registration neither open to objections nor in effect answers 409."),
		func(ctx context.Context, in *objectIn) (*caseOut[asset.Registration], error) {
			return h.registration(ctx)(s.Object(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
	h.certificateRoutes(api, op)
	h.valuationRoutes(api, op)
}

func (h *handlers) certificateRoutes(api huma.API, op operation) {
	s := h.acc.Assets
	huma.Register(api, op("list-asset-certificates", http.MethodGet, "/exchange/certificates", 0,
		"The public register of data assets: certificates, newest first",
		"Every numbered registration's certificate; stage=publicity lists those open to objections now. Public."),
		func(ctx context.Context, in *listCertificatesIn) (*List[certificateBody], error) {
			list, next, err := s.Certificates(ctx, asset.CertificateFilter{Stage: asset.Stage(in.Stage), ProductID: in.ProductID, Cursor: in.Cursor,
				Limit: in.Limit})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[certificateBody]{}
			out.Body.Items, out.Body.NextCursor = make([]certificateBody, len(list)), next
			for i, c := range list {
				out.Body.Items[i] = withReceipt(c)
			}
			return out, nil
		})
	huma.Register(api, op("get-asset-certificate", http.MethodGet, "/exchange/certificates/{number}", 0,
		"A registration certificate: number, holder, rights, the product's hash, dates, status and ledger receipt",
		"Public. registration_hash is the SHA-256 of canonical; the receipt of receipt_event_id (the registration's effect, or its approval "+
			"before it takes effect) proves it offline with `dataport ledger verify --receipt`."),
		func(ctx context.Context, in *certificateIn) (*certificateOut, error) {
			c, err := s.Certificate(ctx, in.Number)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &certificateOut{Body: withReceipt(c)}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "get-asset-certificate-qr", Method: http.MethodGet, Path: "/exchange/certificates/{number}/qr",
		Tags: []string{tagAssets}, Summary: "The certificate's QR code (PNG): it encodes the public certificate page's address",
		Description: "Public.", Responses: fileResponses("A PNG image", map[string]*huma.Schema{
			"image/png": {Type: huma.TypeString, ContentEncoding: "binary"}})},
		func(ctx context.Context, in *certificateIn) (*huma.StreamResponse, error) {
			png, err := s.QR(ctx, in.Number)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			return &huma.StreamResponse{Body: func(hctx huma.Context) {
				hctx.SetHeader("Content-Type", "image/png")
				hctx.SetHeader("Cache-Control", "public, max-age=3600")
				bytes.NewReader(png).WriteTo(hctx.BodyWriter())
			}}, nil
		})
}

// withReceipt adds the address of c's ledger receipt (none before the
// event is written).
func withReceipt(c asset.Certificate) certificateBody {
	out := certificateBody{Certificate: c}
	if c.ReceiptEventID != "" {
		out.ReceiptURL = strings.TrimSuffix(c.URL, asset.CertificatePath(c.Number)) + Prefix + "/ledger/receipts/" + c.ReceiptEventID
	}
	return out
}

func (h *handlers) valuationRoutes(api huma.API, op operation) {
	s := h.acc.Assets
	huma.Register(api, op("file-asset-valuation", http.MethodPost, "/exchange/valuations", http.StatusCreated,
		"File a valuation report (an admitted assessor participant, independent of the holder)",
		"Files a valuation of a product by the cost, income or market method with the method's inputs (a missing one is a 422 naming it), the "+
			"assumptions, the base date and the report's file. The value is computed here, exactly, in fen, and its computation shown step by "+
			"step. The assessor must be admitted with the assessor role, and neither the holder nor a related party of it (422 naming "+
			"assessor_org_id). The event carries the report's SHA-256 and the valuation's own hash."),
		func(ctx context.Context, in *fileValuationIn) (*valuationOut, error) {
			return h.valuation(ctx)(s.FileValuation(ctx, identity.FromContext(ctx), in.Body))
		})
	huma.Register(api, op("list-asset-valuations", http.MethodGet, "/exchange/valuations", 0, "Valuation reports you may read, newest first",
		"The holder's and the assessor's members, the exchange's staff and platform staff read a valuation; at most 100."),
		func(ctx context.Context, in *listValuationsIn) (*List[asset.Valuation], error) {
			list, err := s.Valuations(ctx, identity.FromContext(ctx), in.ProductID)
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[asset.Valuation]{}
			out.Body.Items = list
			return out, nil
		})
	huma.Register(api, op("get-asset-valuation", http.MethodGet, "/exchange/valuations/{id}", 0, "One valuation report with its computation",
		"Its holder's and assessor's members, the exchange's staff and platform staff read it; others get 404."),
		func(ctx context.Context, in *workflowIDIn) (*valuationOut, error) {
			return h.valuation(ctx)(s.Valuation(ctx, identity.FromContext(ctx), in.ID))
		})
}

func (h *handlers) registration(ctx context.Context) func(asset.Registration, error) (*caseOut[asset.Registration], error) {
	return func(r asset.Registration, err error) (*caseOut[asset.Registration], error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &caseOut[asset.Registration]{Body: r}, nil
	}
}

func (h *handlers) valuation(ctx context.Context) func(asset.Valuation, error) (*valuationOut, error) {
	return func(v asset.Valuation, err error) (*valuationOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &valuationOut{Body: v}, nil
	}
}
