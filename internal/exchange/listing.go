package exchange

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// ListingKind names listing reviews (double vetting) as review cases.
const ListingKind = "exchange_listing"

// ComplianceReview is the step at which the exchange's staff and the law
// firm both vet a product (all of them must approve).
const ComplianceReview = "compliance_review"

// PartyLawFirm names, in a listing case's parties, the law firm vetting it.
const PartyLawFirm = "law_firm"

// The reviewers of a listing.
const (
	ReviewerExchange = "exchange"
	ReviewerLawFirm  = "law_firm"
)

// Listing is a product's listing review: the exchange's staff and an
// independent law firm each fill in the checklist and approve (double
// vetting), or one of them rejects or asks for more material. Its id is
// its review case's.
type Listing struct {
	ID          string      `json:"id"`
	ProductID   string      `json:"product_id"`
	ProviderID  string      `json:"provider_id"`
	ProductHash string      `json:"product_sha256" doc:"The product as submitted (or as it was when the provider last answered)"`
	LawFirmID   string      `json:"law_firm_id" doc:"The law-firm participant vetting it; empty until named"`
	Checklists  []Checklist `json:"checklists"`
	review.State
}

func (s *Service) registerListings() {
	w := s.reviews.Register(review.Kind{Name: ListingKind, Title: "listing review", Noun: "listing review", Article: "a",
		Link: "/exchange/listings/", FilerOrgRole: identity.RoleEditor, AnswerDays: s.cfg.AnswerDays, Approved: "listed",
		Steps: []review.Step{{Name: ComplianceReview, Need: review.AllOf, Days: 15, RemindDays: 2, Reviewers: []review.Reviewer{
			{Name: ReviewerExchange, May: staffReviewer.May},
			{Name: ReviewerLawFirm, Party: PartyLawFirm}}}},
		Notices: map[string]string{ComplianceReview: "exchange.listing_submitted", "listed": "exchange.listed",
			string(review.StatusRejected): "exchange.listing_rejected", string(review.StatusMoreInfo): "exchange.listing_returned",
			"answered": "exchange.listing_answered", "party_set": "exchange.listing_submitted"},
		Payload: s.listingPayload, Decided: s.listingDecided})
	s.lists = review.Records[Listing]{Workflow: w,
		Select: `SELECT id, product_id, provider_id, product_hash, law_firm_id FROM exchange_listings`, Scan: scanListing}
}

func scanListing(row review.Row) (string, Listing, error) {
	var l Listing
	err := row.Scan(&l.ID, &l.ProductID, &l.ProviderID, &l.ProductHash, &l.LawFirmID)
	return l.ID, l, err
}

func (s *Service) listingPayload(ctx context.Context, q store.Querier, c review.Case) (map[string]any, error) {
	l, err := s.lists.Record(ctx, q, c.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"product_id": l.ProductID, "provider_id": l.ProviderID, "product_sha256": l.ProductHash, "law_firm_id": l.LawFirmID,
		"status": c.Status}, nil
}

// SubmitInput is what a provider submits a product for listing with.
type SubmitInput struct {
	LawFirmID string `json:"law_firm_id,omitempty" required:"false" doc:"The law-firm participant to vet it (admitted, role law_firm, not a related party); empty: the exchange's staff choose one"`
}

// checkComplete adds what a product lacks to be listed.
func (s *Service) checkComplete(ctx context.Context, errs *validate.Errors, p Product) {
	if len(p.UseScenarios) == 0 {
		errs.Add("use_scenarios", nil, "use_scenario_required", "at least one use scenario is required: no listing without one")
	}
	if p.Source != SourceSelfCollected && len(p.SourceEvidence) == 0 {
		errs.Add("source_evidence", nil, "evidence_required", "a %s source needs at least one evidence file", p.Source)
	}
	if strings.TrimSpace(p.LegalBasis) == "" {
		errs.Add("legal_basis", nil, validate.CodeRequired, "is required")
	}
	if len(p.ResourceIDs) == 0 && len(p.ZoneOutputIDs) == 0 {
		errs.Add("resource_ids", nil, "at_least_one", "a product delivers at least one resource or zone output")
	}
	if len(p.Delivery) == 0 {
		errs.Add("delivery", nil, "at_least_one", "at least one delivery mode is required")
	}
	if len(p.ResourceIDs) > 0 && p.SampleDeidProfile == "" {
		errs.Add("sample_deid_profile", nil, validate.CodeRequired, "is required: the sample is served de-identified")
	}
	if slices.ContainsFunc(p.Delivery, func(d DeliveryMode) bool { return d != DeliveryZone }) && len(p.ResourceIDs) == 0 {
		errs.Add("delivery", nil, "needs_resource", "file and API delivery need a linked resource")
	}
	in := productInput(p)
	provider, err := s.ParticipantByID(ctx, s.db, p.ProviderID)
	if err == nil {
		s.checkLinks(ctx, errs, provider, p.ID, in) // a resource may have been retired since
	}
}

// productInput is p as input.
func productInput(p Product) ProductInput {
	return ProductInput{ProviderID: p.ProviderID, Title: p.Title, Description: p.Description, UseScenarios: p.UseScenarios, Source: p.Source,
		SourceNote: p.SourceNote, LegalBasis: p.LegalBasis, ResourceIDs: p.ResourceIDs, ZoneOutputIDs: p.ZoneOutputIDs,
		SampleDeidProfile: p.SampleDeidProfile, Delivery: p.Delivery, Price: p.Price, Offer: p.Offer, DerivedFrom: p.DerivedFrom}
}

// lawFirm reads the law firm a listing of provider's product may name, or
// says at field why it may not: it must be an admitted participant with
// the law_firm role, not the provider, and not one of its related parties.
func (s *Service) lawFirm(ctx context.Context, q store.Querier, field, id string, provider Participant) (Participant, error) {
	firm, err := s.ParticipantByID(ctx, q, id)
	refuse := func(code, msg string) (Participant, error) {
		return Participant{}, validate.Errors{{Field: field, Value: id, Message: msg, Code: code}}
	}
	switch {
	case isNotFound(err):
		return refuse(validate.CodeUnknown, "no such participant")
	case err != nil:
		return Participant{}, err
	case !firm.Trading() || !firm.Has(RoleLawFirm):
		return refuse("not_law_firm", "is not an admitted law firm")
	case firm.ID == provider.ID || firm.OrgID == provider.OrgID:
		return refuse("conflict_of_interest", "is the provider itself: the law firm must be independent")
	}
	if rel, err := related(ctx, q, firm.ID, provider.ID); err != nil {
		return Participant{}, err
	} else if rel {
		return refuse("conflict_of_interest", "is a related party of the provider: the law firm must be independent")
	}
	return firm, nil
}

// Submit files product id for listing (its provider's editors): the
// product must be complete (a use scenario above all), the law firm, when
// named, independent of the provider. The product waits in review for the
// exchange's staff and the law firm; its sample is served to them.
func (s *Service) Submit(ctx context.Context, actor identity.Principal, id string, in SubmitInput) (Listing, error) {
	in.LawFirmID = strings.TrimSpace(in.LawFirmID)
	p, err := s.Product(ctx, actor, id)
	if err != nil {
		return Listing{}, err
	}
	provider, err := s.ParticipantByID(ctx, s.db, p.ProviderID)
	if err != nil {
		return Listing{}, err
	}
	if !CanProvide(actor, provider) {
		return Listing{}, identity.ErrForbidden
	}
	var caseID string
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if p, err = s.lockProduct(ctx, tx, id); err != nil {
			return err
		}
		if !slices.Contains(editable, p.Status) {
			return validate.Refuse(ErrState, "product_status", "only a draft, rejected or delisted product can be submitted (this one is %s)", p.Status)
		}
		if open, err := s.openListing(ctx, tx, p.ID); err != nil || open != "" {
			if err == nil {
				err = validate.Refuse(ErrState, "listing_open", "listing review %s waits for your answer: answer it instead", open)
			}
			return err
		}
		var errs validate.Errors
		s.checkComplete(ctx, &errs, p)
		if err := errs.Err(); err != nil {
			return err
		}
		l := Listing{ID: store.NewID(), ProductID: p.ID, ProviderID: p.ProviderID, ProductHash: p.Hash}
		f := review.Filing{ID: l.ID, FilerOrgID: p.ProviderOrgID, Subject: review.Subject{Kind: "exchange_product", ID: p.ID, OrgID: p.ProviderOrgID}}
		if in.LawFirmID != "" {
			firm, err := s.lawFirm(ctx, tx, "law_firm_id", in.LawFirmID, provider)
			if err != nil {
				return err
			}
			l.LawFirmID, f.Parties = firm.ID, map[string]string{PartyLawFirm: firm.OrgID}
		}
		caseID = l.ID
		if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_listings (id, product_id, provider_id, product_hash, law_firm_id) VALUES ($1,$2,$3,$4,$5)`,
			l.ID, l.ProductID, l.ProviderID, l.ProductHash, l.LawFirmID); err != nil {
			return err
		}
		if _, err := s.lists.File(ctx, tx, actor, f); err != nil {
			return err
		}
		p.Status, p.StatusReason, p.ReviewID, p.UpdatedAt = ProductInReview, "", l.ID, tx.Now()
		if err := saveProduct(ctx, tx, p); err != nil {
			return err
		}
		if err := s.ensureSampleGrant(ctx, tx, actor, p); err != nil {
			return err
		}
		return s.emitProduct(ctx, tx, actor, p, "submitted", map[string]any{"listing_id": l.ID, "law_firm_id": l.LawFirmID})
	})
	if err != nil {
		return Listing{}, err
	}
	return s.lists.Get(ctx, actor, caseID)
}

// openListing returns the id of product id's listing review still open
// ("" when none).
func (s *Service) openListing(ctx context.Context, q store.Querier, id string) (string, error) {
	ids, err := store.Strings(ctx, q, `SELECT l.id FROM exchange_listings l JOIN review_cases c ON c.id = l.id
		WHERE l.product_id = $1 AND c.step <> '' ORDER BY l.id`, id)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// AssignLawFirm names the law firm vetting listing review id (the
// exchange's staff), while the law firm has not decided: it must be
// independent of the provider, like one the provider names.
func (s *Service) AssignLawFirm(ctx context.Context, actor identity.Principal, id, lawFirmID string) (Listing, error) {
	if !CanStaff(actor) {
		return Listing{}, identity.ErrForbidden
	}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		l, err := s.lists.Record(ctx, tx, id)
		if err != nil {
			return notFound("listing review", id)
		}
		provider, err := s.ParticipantByID(ctx, tx, l.ProviderID)
		if err != nil {
			return err
		}
		firm, err := s.lawFirm(ctx, tx, "law_firm_id", strings.TrimSpace(lawFirmID), provider)
		if err != nil {
			return err
		}
		if _, err := s.lists.SetParty(ctx, tx, actor, id, PartyLawFirm, firm.OrgID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE exchange_listings SET law_firm_id = $1 WHERE id = $2`, firm.ID, id)
		return err
	})
	if err != nil {
		return Listing{}, err
	}
	return s.listing(ctx, actor, id)
}

// listingDecided lists an approved product, or marks a rejected one and
// calls the OnReviewFailed hooks.
func (s *Service) listingDecided(ctx context.Context, tx *store.Tx, actor identity.Principal, c review.Case) error {
	l, err := s.lists.Record(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	p, err := s.lockProduct(ctx, tx, l.ProductID)
	if err != nil {
		return err
	}
	now := tx.Now()
	p.UpdatedAt, p.StatusReason = now, c.Reason
	if c.Status == review.StatusRejected {
		p.Status = ProductRejected
		if err := saveProduct(ctx, tx, p); err != nil {
			return err
		}
		if err := s.reviewFailed(ctx, tx, p, c.Reason); err != nil {
			return err
		}
		s.revokeSampleAfter(ctx, tx, p, "listing rejected")
		return s.emitProduct(ctx, tx, actor, p, "rejected", map[string]any{"listing_id": l.ID, "reason_sha256": hashOrEmpty(c.Reason)})
	}
	if p.Hash != l.ProductHash {
		return validate.Refuse(ErrState, "product_changed", "the product changed since it was submitted: it must be reviewed as it is")
	}
	p.Status, p.ListedAt, p.SourceChangedAtListed = ProductListed, &now, false
	if err := saveProduct(ctx, tx, p); err != nil {
		return err
	}
	return s.emitProduct(ctx, tx, actor, p, "listed", map[string]any{"listing_id": l.ID, "law_firm_id": l.LawFirmID})
}

// Delist takes a listed or suspended product off the exchange (its
// provider's editors, or the exchange's staff), with a reason.
func (s *Service) Delist(ctx context.Context, actor identity.Principal, id, reason string) (Product, error) {
	return s.moveProduct(ctx, actor, id, reason, "delisted", []ProductStatus{ProductListed, ProductSuspended}, ProductDelisted,
		func(p Product) bool { return CanStaff(actor) || actor.AtLeast(p.ProviderOrgID, identity.RoleEditor) })
}

// SuspendProduct stops trading in a listed product (the exchange's staff,
// with a reason, e.g. from a risk alert) until it is relisted.
func (s *Service) SuspendProduct(ctx context.Context, actor identity.Principal, id, reason string) (Product, error) {
	return s.moveProduct(ctx, actor, id, reason, "suspended", []ProductStatus{ProductListed}, ProductSuspended,
		func(Product) bool { return CanStaff(actor) })
}

// RelistProduct lists a suspended product again (the exchange's staff,
// with a reason).
func (s *Service) RelistProduct(ctx context.Context, actor identity.Principal, id, reason string) (Product, error) {
	return s.moveProduct(ctx, actor, id, reason, "listed", []ProductStatus{ProductSuspended}, ProductListed,
		func(Product) bool { return CanStaff(actor) })
}

func (s *Service) moveProduct(ctx context.Context, actor identity.Principal, id, reason, what string, from []ProductStatus, to ProductStatus,
	may func(Product) bool) (Product, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Product{}, err
	}
	if _, err := s.Product(ctx, actor, id); err != nil {
		return Product{}, err
	}
	var p Product
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if p, err = s.lockProduct(ctx, tx, id); err != nil {
			return err
		}
		if !may(p) {
			return identity.ErrForbidden
		}
		if !slices.Contains(from, p.Status) {
			return validate.Refuse(ErrState, "product_status", "the product cannot be %s now (it is %s)", what, p.Status)
		}
		p.Status, p.StatusReason, p.UpdatedAt = to, reason, tx.Now()
		if err := saveProduct(ctx, tx, p); err != nil {
			return err
		}
		if to == ProductDelisted {
			s.revokeSampleAfter(ctx, tx, p, "product delisted")
		}
		event := what
		if what == "listed" {
			event = "relisted"
		}
		return s.emitProduct(ctx, tx, actor, p, event, map[string]any{"reason_sha256": store.SHA256Hex(reason)})
	})
	return p, err
}

// AddProductEvidence uploads an evidence file of product id's source
// declaration (its provider's editors). On a listed or suspended product
// it changes the source declaration, which fires the OnSourceChange hooks;
// under review it is refused.
func (s *Service) AddProductEvidence(ctx context.Context, actor identity.Principal, id string, in DocumentInput, body io.Reader) (Document, error) {
	if err := in.check(ProductDocumentKinds); err != nil {
		return Document{}, err
	}
	p, err := s.Product(ctx, actor, id)
	if err != nil {
		return Document{}, err
	}
	if !actor.AtLeast(p.ProviderOrgID, identity.RoleEditor) {
		return Document{}, identity.ErrForbidden
	}
	sum, size, err := s.blobs.put(body)
	if err != nil {
		return Document{}, err
	}
	var d Document
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		before, err := s.lockProduct(ctx, tx, id)
		if err != nil {
			return err
		}
		if d, err = s.addDocument(ctx, tx, actor, ownerProduct, id, in, sum, size); err != nil {
			return err
		}
		after := before
		after.SourceEvidence = append(slices.Clone(before.SourceEvidence), d)
		return s.change(ctx, tx, actor, before, after)
	})
	return d, err
}

// Listing returns listing review id with its checklists, if actor may see
// its case.
func (s *Service) listing(ctx context.Context, actor identity.Principal, id string) (Listing, error) {
	l, err := s.lists.Get(ctx, actor, id)
	if err != nil {
		return Listing{}, err
	}
	l.Checklists, err = checklists(ctx, s.db, id)
	return l, err
}

// Listing returns listing review id with both reviewers' checklists, if
// actor may see it (the provider, the exchange's staff, the law firm).
func (s *Service) Listing(ctx context.Context, actor identity.Principal, id string) (Listing, error) {
	return s.listing(ctx, actor, id)
}

// errConflict is a law firm's conflict found when it decides.
func errConflict(firm string) error {
	return fmt.Errorf("%w: law firm %s is a related party of the provider and may not vet its products", identity.ErrForbidden, firm)
}
