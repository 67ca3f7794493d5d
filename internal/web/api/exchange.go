package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"dataport/internal/exchange"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

// tagExchange groups the data exchange's core: participants, products,
// their listing reviews and samples.
const tagExchange = "Exchange"

func init() {
	tags = append(tags, &huma.Tag{Name: tagExchange, Description: "The data exchange (articles 20–22): participants (数商) admitted by the " +
		"exchange's staff, data products with use scenarios, source declarations and offers, their double-vetted listing reviews " +
		"(the exchange's staff and an independent law firm, each with a checklist), and de-identified samples served through the access point."})
}

type participantOut struct{ Body exchange.Participant }

type productOut struct{ Body exchange.Product }

type listingOut struct{ Body exchange.Listing }

type applyIn struct{ Body exchange.ParticipantInput }

type applicationOut struct {
	Body exchange.ParticipantApplication
}

type listParticipantsIn struct {
	Status string `query:"status" enum:"applied,admitted,rejected,suspended"`
	Role   string `query:"role" enum:"provider,buyer,broker,assessor,law_firm,delivery"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

type reasonIn struct {
	ID   string `path:"id"`
	Body struct {
		Reason string `json:"reason" maxLength:"1000" doc:"Why; required"`
	}
}

type tierIn struct {
	ID   string `path:"id"`
	Body struct {
		Tier string `json:"tier" enum:"standard,certified,premier"`
	}
}

type relationIn struct {
	ID   string `path:"id"`
	Body exchange.RelationInput
}

type removeRelationIn struct {
	ID    string `path:"id"`
	Other string `path:"other" doc:"The other participant"`
	Kind  string `path:"kind" enum:"legal_representative,shareholder,controller"`
}

type documentIn struct {
	ID      string `path:"id"`
	Kind    string `query:"kind" required:"true" doc:"What the file is"`
	Name    string `query:"name" required:"true" doc:"The file's name"`
	RawBody []byte `contentType:"application/octet-stream" doc:"The file's bytes, at most 4 MiB"`
}

type documentOut struct{ Body exchange.Document }

type createProductIn struct{ Body exchange.ProductInput }

type updateProductIn struct {
	ID   string `path:"id"`
	Body exchange.ProductInput
}

type listProductsIn struct {
	Status     string `query:"status" enum:"draft,in_review,rejected,listed,suspended,delisted"`
	ProviderID string `query:"provider_id"`
	Q          string `query:"q" doc:"Words that must appear in the title or the description"`
	Cursor     string `query:"cursor"`
	Limit      int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

type submitProductIn struct {
	ID   string `path:"id"`
	Body exchange.SubmitInput
}

type sampleOut struct{ Body exchange.ProductSample }

type checklistIn struct {
	ID   string `path:"id"`
	Body exchange.ChecklistInput
}

type lawFirmIn struct {
	ID   string `path:"id"`
	Body struct {
		LawFirmID string `json:"law_firm_id" doc:"The law-firm participant (admitted, role law_firm, not a related party of the provider)"`
	}
}

type checkItemsOut struct {
	Body struct {
		Items []exchange.CheckItem `json:"items"`
	}
}

type relationsOut struct {
	Body struct {
		Items []exchange.Relation `json:"items"`
	}
}

// exchangeOp is one operation of the exchange's API.
func exchangeOp(id, method, path string, status int, summary, desc string) huma.Operation {
	op := huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{tagExchange}, Summary: summary, Description: desc,
		DefaultStatus: status}
	if isWrite(method) || status == -1 {
		op.Security, op.DefaultStatus = bearer, max(status, 0)
	}
	return op
}

// signedIn marks a read that needs a token.
const signedIn = -1

func (h *handlers) exchangeRoutes(api huma.API) {
	h.participantRoutes(api)
	h.productRoutes(api)
	h.listingRoutes(api)
}

// answer returns v as the body of an O, or the error through the one problem mapper.
func answer[T any, O any](h *handlers, ctx context.Context, wrap func(T) *O) func(T, error) (*O, error) {
	return func(v T, err error) (*O, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return wrap(v), nil
	}
}

func participantBody(p exchange.Participant) *participantOut { return &participantOut{Body: p} }
func productBody(p exchange.Product) *productOut             { return &productOut{Body: p} }
func listingBody(l exchange.Listing) *listingOut             { return &listingOut{Body: l} }

func (h *handlers) participantRoutes(api huma.API) {
	ex := h.acc.Exchange
	huma.Register(api, exchangeOp("apply-exchange-participant", http.MethodPost, "/exchange/applications", http.StatusCreated,
		"Apply to trade on the exchange (an organization's admins)",
		"Files the organization's application: its USCC (checked, GB 32100, and matching the organization's), legal representative, "+
			"contact and roles. The exchange's staff admit it, return it for more material (with a deadline in working days) or reject it "+
			"through the review case endpoints below. A participant declaring the legal representative of another is recorded as its "+
			"related party. Bad fields answer 422 and nothing is written."),
		func(ctx context.Context, in *applyIn) (*applicationOut, error) {
			return answer(h, ctx, func(a exchange.ParticipantApplication) *applicationOut { return &applicationOut{Body: a} })(
				ex.Apply(ctx, identity.FromContext(ctx), in.Body))
		})
	caseRoutes(h, api, tagExchange, ex.ApplicationReviews(), caseDocs{Path: "/exchange/applications", Name: "exchange-application",
		List:        caseDoc{Summary: "Participant applications you may see", Description: "The exchange's staff see every one; an organization its own."},
		Get:         caseDoc{Summary: "One participant application with its history", Description: "Its status, deadline, reason and every step taken; for the applying organization and the exchange's staff."},
		Review:      caseDoc{Summary: "Admit (approve) or reject an application (the exchange's staff)", Description: "A rejection needs a comment saying why."},
		Withdraw:    caseDoc{Summary: "Withdraw an application (the applying organization)", Description: "Only while it is under review; the organization may apply again later."},
		RequestInfo: caseDoc{Summary: "Return an application for more material (the exchange's staff)", Description: "The applicant has a deadline in working days to answer; the clock of the review pauses."},
		Answer:      caseDoc{Summary: "Answer a request for more material (the applying organization)", Description: "Upload the documents first; the answer sends the application back to the exchange's staff, whose deadline moves on by the working days it waited."}})
	huma.Register(api, exchangeOp("list-exchange-participants", http.MethodGet, "/exchange/participants", 0, "Participants",
		"The exchange's staff see every participant in full; anyone else the admitted ones' public face (name, USCC, roles, tier)."),
		func(ctx context.Context, in *listParticipantsIn) (*List[exchange.Participant], error) {
			ps, err := ex.Participants(ctx, identity.FromContext(ctx), exchange.ParticipantFilter{Status: exchange.ParticipantStatus(in.Status),
				Role: exchange.Role(in.Role), Limit: in.Limit})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[exchange.Participant]{}
			out.Body.Items = ps
			return out, nil
		})
	huma.Register(api, exchangeOp("get-exchange-participant", http.MethodGet, "/exchange/participants/{id}", 0, "One participant",
		"In full (contacts, legal representative, documents, related parties) for its members and the exchange's staff; its public face "+
			"for anyone else once admitted; 404 otherwise."),
		func(ctx context.Context, in *workflowIDIn) (*participantOut, error) {
			return answer(h, ctx, participantBody)(ex.Participant(ctx, identity.FromContext(ctx), in.ID))
		})
	h.participantStaffRoutes(api)
	h.documentRoutes(api)
	h.relationRoutes(api)
}

func (h *handlers) participantStaffRoutes(api huma.API) {
	ex := h.acc.Exchange
	huma.Register(api, exchangeOp("suspend-exchange-participant", http.MethodPost, "/exchange/participants/{id}/suspend", 0,
		"Suspend an admitted participant (the exchange's staff)", "It cannot trade until reinstated. A reason is required."),
		func(ctx context.Context, in *reasonIn) (*participantOut, error) {
			return answer(h, ctx, participantBody)(ex.SuspendParticipant(ctx, identity.FromContext(ctx), in.ID, in.Body.Reason))
		})
	huma.Register(api, exchangeOp("reinstate-exchange-participant", http.MethodPost, "/exchange/participants/{id}/reinstate", 0,
		"Reinstate a suspended participant (the exchange's staff)", "A reason is required."),
		func(ctx context.Context, in *reasonIn) (*participantOut, error) {
			return answer(h, ctx, participantBody)(ex.ReinstateParticipant(ctx, identity.FromContext(ctx), in.ID, in.Body.Reason))
		})
	huma.Register(api, exchangeOp("set-exchange-participant-tier", http.MethodPut, "/exchange/participants/{id}/tier", 0,
		"Set an admitted participant's tier (the exchange's staff)", "standard, certified or premier; a participant not admitted answers 409."),
		func(ctx context.Context, in *tierIn) (*participantOut, error) {
			return answer(h, ctx, participantBody)(ex.SetTier(ctx, identity.FromContext(ctx), in.ID, in.Body.Tier))
		})
}

func (h *handlers) relationRoutes(api huma.API) {
	ex := h.acc.Exchange
	huma.Register(api, exchangeOp("declare-exchange-relation", http.MethodPost, "/exchange/participants/{id}/relations", 0,
		"Declare a related party (the participant's admins or the exchange's staff)",
		"Records that the participant is a related party of another: the same legal representative, a shareholding (this participant "+
			"holds shares in the other) or the same controller. The risk rules and the law firm's independence check read them."),
		func(ctx context.Context, in *relationIn) (*participantOut, error) {
			return answer(h, ctx, participantBody)(ex.DeclareRelation(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
	huma.Register(api, exchangeOp("remove-exchange-relation", http.MethodDelete, "/exchange/participants/{id}/relations/{other}/{kind}", 0,
		"Remove a related-party record found wrong (the exchange's staff)", "A record not on file answers 404."),
		func(ctx context.Context, in *removeRelationIn) (*participantOut, error) {
			return answer(h, ctx, participantBody)(ex.RemoveRelation(ctx, identity.FromContext(ctx), in.ID,
				exchange.RelationInput{OtherID: in.Other, Kind: exchange.RelationKind(in.Kind)}))
		})
	huma.Register(api, exchangeOp("list-exchange-relations", http.MethodGet, "/exchange/relations", signedIn,
		"Every related-party pair on record (the exchange's staff and platform staff)",
		"Pairs of participants that share a legal representative (declared, or found when two declare the same one), where one holds shares in the other, or that share a controller."),
		func(ctx context.Context, _ *struct{}) (*relationsOut, error) {
			rels, err := ex.RelatedParties(ctx, identity.FromContext(ctx))
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &relationsOut{}
			out.Body.Items = rels
			return out, nil
		})
}

func (h *handlers) documentRoutes(api huma.API) {
	ex := h.acc.Exchange
	upload := func(id, path, summary, desc string, add func(ctx context.Context, p identity.Principal, id string, in exchange.DocumentInput,
		body io.Reader) (exchange.Document, error)) {
		op := exchangeOp(id, http.MethodPost, path, http.StatusCreated, summary, desc)
		op.MaxBodyBytes = exchange.MaxDocumentSize
		huma.Register(api, op, func(ctx context.Context, in *documentIn) (*documentOut, error) {
			return answer(h, ctx, func(d exchange.Document) *documentOut { return &documentOut{Body: d} })(
				add(ctx, identity.FromContext(ctx), in.ID, exchange.DocumentInput{Kind: in.Kind, Name: in.Name}, bytes.NewReader(in.RawBody)))
		})
	}
	upload("upload-exchange-participant-document", "/exchange/participants/{id}/documents", "Upload a supporting document (the participant's admins)",
		"The raw body is the file (at most 4 MiB); kind is business_licence, authorisation, qualification or other. The file is kept in the "+
			"blob store under its SHA-256, which is all its event carries.", ex.AddParticipantDocument)
	upload("upload-exchange-product-evidence", "/exchange/products/{id}/evidence", "Upload evidence of a product's source declaration (the provider's editors)",
		"The raw body is the file (at most 4 MiB); kind is source_evidence, consent_record, authorisation, purchase_contract or other. On a "+
			"listed product this changes its source declaration, which is recorded and told to the risk rules.",
		ex.AddProductEvidence)
	op := exchangeOp("get-exchange-document", http.MethodGet, "/exchange/documents/{id}", signedIn, "Download a document",
		"For the participant's members, the exchange's staff and, for a product's evidence, the law firm vetting it; 404 for anyone else.")
	op.Responses = fileResponses("The file", map[string]*huma.Schema{"application/octet-stream": {Type: huma.TypeString, ContentEncoding: "binary"}})
	huma.Register(api, op, func(ctx context.Context, in *workflowIDIn) (*huma.StreamResponse, error) {
		d, body, err := ex.DocumentContent(ctx, identity.FromContext(ctx), in.ID)
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			defer body.Close()
			hctx.SetHeader("Content-Type", "application/octet-stream")
			hctx.SetHeader("Content-Disposition", fmt.Sprintf(`attachment; filename*=UTF-8''%s`, url.PathEscape(d.Name)))
			hctx.SetHeader("Digest", "sha-256="+d.SHA256)
			if _, err := io.Copy(hctx.BodyWriter(), body); err != nil {
				h.log.ErrorContext(ctx, "exchange document download failed while streaming", "document", d.ID, "err", err)
			}
		}}, nil
	})
}

func (h *handlers) productRoutes(api huma.API) {
	ex := h.acc.Exchange
	huma.Register(api, exchangeOp("list-exchange-products", http.MethodGet, "/exchange/products", 0, "Products, newest first",
		"Listed products for anyone; a provider's members also see its drafts and reviews, the exchange's staff everything."),
		func(ctx context.Context, in *listProductsIn) (*List[exchange.Product], error) {
			ps, err := ex.Products(ctx, identity.FromContext(ctx), exchange.ProductFilter{Status: exchange.ProductStatus(in.Status),
				ProviderID: in.ProviderID, Q: in.Q, Cursor: in.Cursor, Limit: in.Limit + 1})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[exchange.Product]{}
			if len(ps) > in.Limit {
				ps, out.Body.NextCursor = ps[:in.Limit], ps[in.Limit-1].ID
			}
			out.Body.Items = ps
			return out, nil
		})
	huma.Register(api, exchangeOp("create-exchange-product", http.MethodPost, "/exchange/products", http.StatusCreated,
		"Write a draft product (an admitted provider's editors)",
		"Linked resources must be published resources of the provider's own organization; the offer's fields and row filter must name "+
			"their items; prices are in fen. A draft may lack use scenarios; submission needs one. Answers the product with its canonical hash."),
		func(ctx context.Context, in *createProductIn) (*productOut, error) {
			return answer(h, ctx, productBody)(ex.CreateProduct(ctx, identity.FromContext(ctx), in.Body))
		})
	huma.Register(api, exchangeOp("get-exchange-product", http.MethodGet, "/exchange/products/{id}", 0, "One product",
		"A listed product for anyone; any other for its provider's members, the exchange's staff and the law firm vetting it."),
		func(ctx context.Context, in *workflowIDIn) (*productOut, error) {
			return answer(h, ctx, productBody)(ex.Product(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, exchangeOp("update-exchange-product", http.MethodPut, "/exchange/products/{id}", 0, "Rewrite a product (the provider's editors)",
		"A draft, rejected or delisted product changes freely; a listed or suspended one only its source declaration (recorded, and "+
			"told to the risk rules); one under review not at all (409). The canonical hash is recomputed."),
		func(ctx context.Context, in *updateProductIn) (*productOut, error) {
			return answer(h, ctx, productBody)(ex.UpdateProduct(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
	huma.Register(api, exchangeOp("submit-exchange-product", http.MethodPost, "/exchange/products/{id}/submit", 0,
		"Submit a product for listing (the provider's editors)",
		"Checks the product is complete — a use scenario above all, source evidence, legal basis, a sample profile — and files its listing "+
			"review: the exchange's staff and the law firm (named here, or chosen by the staff; never a related party of the provider) must "+
			"both approve. Answers the listing review."),
		func(ctx context.Context, in *submitProductIn) (*listingOut, error) {
			return answer(h, ctx, listingBody)(ex.Submit(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
	for _, m := range []struct {
		id, path, summary string
		move              func(context.Context, identity.Principal, string, string) (exchange.Product, error)
	}{
		{"delist-exchange-product", "delist", "Delist a product (its provider's editors or the exchange's staff)", ex.Delist},
		{"suspend-exchange-product", "suspend", "Suspend trading in a listed product (the exchange's staff)", ex.SuspendProduct},
		{"relist-exchange-product", "relist", "List a suspended product again (the exchange's staff)", ex.RelistProduct},
	} {
		huma.Register(api, exchangeOp(m.id, http.MethodPost, "/exchange/products/{id}/"+m.path, 0, m.summary, "A reason is required."),
			func(ctx context.Context, in *reasonIn) (*productOut, error) {
				return answer(h, ctx, productBody)(m.move(ctx, identity.FromContext(ctx), in.ID, in.Body.Reason))
			})
	}
	dataRoute(api, h, exchangeOp("get-exchange-product-sample", http.MethodGet, "/exchange/products/{id}/sample", signedIn,
		"A product's de-identified sample",
		"A few rows of the product's first resource, read through the access point on the product's own sample channel: only its "+
			"sample grant decides, with the offer's fields and the sample's de-identification profile. Signed-in callers who may see the product."),
		func(ctx context.Context, in *workflowIDIn) (*sampleOut, error) {
			return answer(h, ctx, func(s exchange.ProductSample) *sampleOut { return &sampleOut{Body: s} })(
				ex.Sample(ctx, identity.FromContext(ctx), in.ID))
		})
}

func (h *handlers) listingRoutes(api huma.API) {
	ex := h.acc.Exchange
	caseRoutes(h, api, tagExchange, ex.ListingReviews(), caseDocs{Path: "/exchange/listings", Name: "exchange-listing",
		List: caseDoc{Summary: "Listing reviews you may see", Description: "Side queue: what waits for your vote (the exchange's staff, or your law firm)."},
		Get: caseDoc{Summary: "One listing review with its history and both reviewers' checklists",
			Description: "For the provider, the exchange's staff and the law firm vetting it: the product's hash as submitted, the law firm, each reviewer's checklist (kept with the vote) and every step taken."},
		Review: caseDoc{Summary: "Vote on a listing (the exchange's staff, the law firm)",
			Description: "Needs your checklist for this step (POST …/checklist); approving needs every point ticked. Both the exchange's " +
				"staff and the law firm must approve; one rejection rejects. A law firm that has become a related party of the provider may not vote."},
		Withdraw: caseDoc{Summary: "Withdraw a listing review (the provider)", Description: "Only while it is under review; the product is a draft again."},
		RequestInfo: caseDoc{Summary: "Return a product for more material (a reviewer)",
			Description: "The product is a draft again until the provider answers, within a deadline in working days."},
		Answer: caseDoc{Summary: "Answer a request for more material (the provider)",
			Description: "The product, complete again, goes back to its reviewers; a product changed after one of them approved it must be withdrawn and submitted anew (409)."}})
	huma.Register(api, exchangeOp("submit-exchange-listing-checklist", http.MethodPost, "/exchange/listings/{id}/checklist", 0,
		"Fill in your checklist for a listing (a reviewer)",
		"Every point of the checklist (GET /exchange/checklist), per dimension — basic information, legality, tradability — ticked or "+
			"not. It may be changed until your vote, which keeps it."),
		func(ctx context.Context, in *checklistIn) (*listingOut, error) {
			return answer(h, ctx, listingBody)(ex.SubmitChecklist(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
	huma.Register(api, exchangeOp("assign-exchange-listing-law-firm", http.MethodPost, "/exchange/listings/{id}/law-firm", 0,
		"Choose the law firm vetting a listing (the exchange's staff)", "Only while the law firm has not voted; never a related party of the provider."),
		func(ctx context.Context, in *lawFirmIn) (*listingOut, error) {
			return answer(h, ctx, listingBody)(ex.AssignLawFirm(ctx, identity.FromContext(ctx), in.ID, in.Body.LawFirmID))
		})
	huma.Register(api, exchangeOp("get-exchange-checklist", http.MethodGet, "/exchange/checklist", 0, "The compliance checklist",
		"The points every reviewer of a listing ticks, by dimension."),
		func(ctx context.Context, _ *struct{}) (*checkItemsOut, error) {
			out := &checkItemsOut{}
			out.Body.Items = exchange.CheckItems
			return out, nil
		})
}
