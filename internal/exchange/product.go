package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Sources, delivery modes and price models in display order.
var (
	Sources       = []SourceKind{SourceSelfCollected, SourceAuthorised, SourcePurchased, SourceConsent}
	DeliveryModes = []DeliveryMode{DeliveryFile, DeliveryAPI, DeliveryZone}
	PriceModels   = []PriceModel{PriceOneOff, PriceSubscription, PricePerCall, PricePerRow}
)

// ProductInput is what a provider writes of a product. Drafts may be
// incomplete; Submit checks what a listing needs (a use scenario, source
// evidence, something to deliver).
type ProductInput struct {
	ProviderID        string         `json:"provider_id" doc:"The providing participant (admitted, with the provider role); you must be an editor of its organization"`
	Title             string         `json:"title" maxLength:"200"`
	Description       string         `json:"description" maxLength:"5000"`
	UseScenarios      []string       `json:"use_scenarios" required:"false" doc:"At least one before submission: no listing without a use scenario"`
	Source            SourceKind     `json:"source" enum:"self_collected,authorised,purchased,consent"`
	SourceNote        string         `json:"source_note" required:"false" maxLength:"2000"`
	LegalBasis        string         `json:"legal_basis" required:"false" maxLength:"2000"`
	ResourceIDs       []string       `json:"resource_ids" required:"false" doc:"Published catalog resources of the provider's own organization"`
	ZoneOutputIDs     []string       `json:"zone_output_ids,omitempty" required:"false"`
	SampleDeidProfile string         `json:"sample_deid_profile,omitempty" required:"false" doc:"De-identification profile of the first resource the sample is served through"`
	Delivery          []DeliveryMode `json:"delivery" required:"false"`
	Price             Price          `json:"price"`
	Offer             Offer          `json:"offer" doc:"The offer's id is assigned by the exchange; a changed offer gets a new one"`
	DerivedFrom       []string       `json:"derived_from,omitempty" required:"false"`
}

func cleanList(list []string) []string {
	out := []string{}
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (in *ProductInput) normalize() {
	for _, f := range []*string{&in.ProviderID, &in.Title, &in.Description, &in.SourceNote, &in.LegalBasis, &in.SampleDeidProfile} {
		*f = strings.TrimSpace(*f)
	}
	in.UseScenarios, in.ResourceIDs, in.ZoneOutputIDs, in.DerivedFrom = cleanList(in.UseScenarios), cleanList(in.ResourceIDs),
		cleanList(in.ZoneOutputIDs), cleanList(in.DerivedFrom)
	if in.Delivery == nil {
		in.Delivery = []DeliveryMode{}
	}
	in.Offer.Policy.Purposes, in.Offer.Policy.Fields = cleanList(in.Offer.Policy.Purposes), cleanList(in.Offer.Policy.Fields)
	in.Offer.Policy.RowFilter = strings.TrimSpace(in.Offer.Policy.RowFilter)
}

// checkShape adds the problems of in's fields taken one by one.
func (in ProductInput) checkShape(errs *validate.Errors) {
	errs.Required("title", in.Title)
	errs.MaxLen("title", in.Title, 200)
	errs.Required("description", in.Description)
	errs.MaxLen("description", in.Description, 5000)
	listOf(errs, "use_scenarios", in.UseScenarios, 20, 500)
	validate.OneOf(errs, "source", in.Source, Sources...)
	errs.MaxLen("source_note", in.SourceNote, 2000)
	errs.MaxLen("legal_basis", in.LegalBasis, 2000)
	listOf(errs, "resource_ids", in.ResourceIDs, 20, 100)
	listOf(errs, "zone_output_ids", in.ZoneOutputIDs, 20, 100)
	listOf(errs, "derived_from", in.DerivedFrom, 20, 100)
	for i, d := range in.Delivery {
		validate.OneOf(errs, fmt.Sprintf("delivery[%d]", i), d, DeliveryModes...)
	}
	duplicates(errs, "delivery", in.Delivery)
	checkPrice(errs, in.Price)
	checkOfferShape(errs, in.Offer, in.Delivery)
}

// listOf checks a list of at most n entries of at most max characters, without duplicates.
func listOf(errs *validate.Errors, field string, list []string, n, max int) {
	if len(list) > n {
		errs.Add(field, nil, validate.CodeTooMany, "at most %d entries", n)
	}
	for i, s := range list {
		errs.MaxLen(fmt.Sprintf("%s[%d]", field, i), s, max)
	}
	duplicates(errs, field, list)
}

func duplicates[T comparable](errs *validate.Errors, field string, list []T) {
	for i, v := range list {
		if slices.Index(list, v) < i {
			errs.Add(fmt.Sprintf("%s[%d]", field, i), v, validate.CodeDuplicate, "is listed twice")
		}
	}
}

func checkPrice(errs *validate.Errors, p Price) {
	validate.OneOf(errs, "price.model", p.Model, PriceModels...)
	if p.AmountFen < 0 {
		errs.Add("price.amount_fen", p.AmountFen, "not_negative", "cannot be negative")
	}
	switch {
	case p.Model == PriceSubscription && (p.PeriodDays <= 0 || p.PeriodDays > 3650):
		errs.Add("price.period_days", p.PeriodDays, validate.CodeRange, "must be from %d to %d days for a subscription", 1, 3650)
	case p.Model != PriceSubscription && p.PeriodDays != 0:
		errs.Add("price.period_days", p.PeriodDays, "subscription_only", "is for subscriptions only")
	}
}

// actionDelivery is the delivery mode an offered action needs.
var actionDelivery = map[access.Action]DeliveryMode{access.ActionRead: DeliveryAPI, access.ActionQuery: DeliveryAPI,
	access.ActionDownload: DeliveryFile, access.ActionCompute: DeliveryZone}

// checkOfferShape checks what of the offer does not depend on the linked
// resources: the period, the counts, and that each action is delivered.
func checkOfferShape(errs *validate.Errors, o Offer, delivery []DeliveryMode) {
	if o.PeriodDays <= 0 || o.PeriodDays > 3650 {
		errs.Add("offer.period_days", o.PeriodDays, validate.CodeRange, "must be from %d to %d days", 1, 3650)
	}
	p := o.Policy
	for i, a := range p.Actions {
		field := fmt.Sprintf("offer.policy.actions[%d]", i)
		validate.OneOf(errs, field, a, access.Actions...)
		if mode, ok := actionDelivery[a]; ok && !slices.Contains(delivery, mode) {
			errs.Add(field, a, "not_delivered", "needs the delivery mode %s", mode)
		}
	}
	duplicates(errs, "offer.policy.actions", p.Actions)
	listOf(errs, "offer.policy.purposes", p.Purposes, 20, 200)
	listOf(errs, "offer.policy.fields", p.Fields, 500, 63)
	errs.MaxLen("offer.policy.row_filter", p.RowFilter, 2000)
	for _, n := range []struct {
		field string
		v     int64
	}{{"offer.policy.max_calls", p.MaxCalls}, {"offer.policy.max_rows", p.MaxRows}, {"offer.policy.rows_per_request", p.RowsPerRequest},
		{"offer.policy.rate_per_minute", int64(p.RatePerMinute)}} {
		if n.v < 0 {
			errs.Add(n.field, n.v, "not_negative", "cannot be negative")
		}
	}
}

// checkOfferItems checks that the offer's fields and row filter name items
// of every linked resource (one grant delivers them all).
func checkOfferItems(errs *validate.Errors, p access.Policy, resources []catalog.Resource) {
	for _, r := range resources {
		for i, f := range p.Fields {
			if !slices.ContainsFunc(r.Items, func(it catalog.Item) bool { return it.Name == f }) {
				errs.Add(fmt.Sprintf("offer.policy.fields[%d]", i), f, "not_item", "is not a data item of resource %s", r.Code)
			}
		}
		if p.RowFilter != "" {
			if _, err := access.CompileRowFilter(p.RowFilter, r.Items); err != nil {
				errs.Add("offer.policy.row_filter", p.RowFilter, "row_filter", "%v", err)
			}
		}
	}
}

// resources reads the linked resources, adding a field error for each
// that is not a published resource of organization orgID.
func (s *Service) resources(ctx context.Context, errs *validate.Errors, orgID string, ids []string) []catalog.Resource {
	var out []catalog.Resource
	for i, id := range ids {
		r, err := s.cat.Get(ctx, identity.System, id)
		switch {
		case err != nil:
			errs.Add(fmt.Sprintf("resource_ids[%d]", i), id, validate.CodeUnknown, "no such resource")
		case r.OrganizationID != orgID:
			errs.Add(fmt.Sprintf("resource_ids[%d]", i), id, "other_provider", "is not a resource of the provider's own organization")
		case r.Status != catalog.StatusPublished:
			errs.Add(fmt.Sprintf("resource_ids[%d]", i), id, "not_published", "is not a published resource")
		default:
			out = append(out, r)
		}
	}
	return out
}

// checkLinks checks what in names outside itself: the linked resources,
// the offer's items, the sample's profile, the products it derives from.
func (s *Service) checkLinks(ctx context.Context, errs *validate.Errors, provider Participant, self string, in ProductInput) {
	res := s.resources(ctx, errs, provider.OrgID, in.ResourceIDs)
	if len(res) == len(in.ResourceIDs) {
		checkOfferItems(errs, in.Offer.Policy, res)
	}
	if in.SampleDeidProfile != "" {
		s.checkSampleProfile(ctx, errs, in)
	}
	s.checkZoneOutputs(ctx, errs, provider.OrgID, in.ZoneOutputIDs)
	for i, id := range in.DerivedFrom {
		if _, err := s.ProductByID(ctx, s.db, id); err != nil || id == self {
			errs.Add(fmt.Sprintf("derived_from[%d]", i), id, validate.CodeUnknown, "is not another product")
		}
	}
}

// ZoneOutputs tells who kept a public data zone's output (zones.Service).
type ZoneOutputs interface {
	// OutputOwner returns the organization whose released query the output
	// keeps; an unknown output wraps store.ErrNotFound.
	OutputOwner(ctx context.Context, id string) (string, error)
}

// checkZoneOutputs adds a field error for each zone output that is not
// one the provider's own organization kept from its released queries: a
// product lists only its provider's outputs, whose page shows where each
// came from (zone, query, the result's hash).
func (s *Service) checkZoneOutputs(ctx context.Context, errs *validate.Errors, orgID string, ids []string) {
	if s.cfg.ZoneOutputs == nil {
		return
	}
	for i, id := range ids {
		owner, err := s.cfg.ZoneOutputs.OutputOwner(ctx, id)
		field := fmt.Sprintf("zone_output_ids[%d]", i)
		switch {
		case errors.Is(err, store.ErrNotFound):
			errs.Add(field, id, validate.CodeUnknown, "is not an output kept in a public data zone")
		case err != nil:
			errs.Add(field, id, validate.CodeUnknown, "could not be checked: %v", err)
		case owner != orgID:
			errs.Add(field, id, "other_provider", "was kept by another organization: a product lists its provider's own zone outputs")
		}
	}
}

// CanProvide: editors of an admitted provider's organization write its products.
func CanProvide(actor identity.Principal, provider Participant) bool {
	return actor.AtLeast(provider.OrgID, identity.RoleEditor) && provider.Trading() && provider.Has(RoleProvider)
}

// provider reads in.ProviderID for actor, as a field error when actor may
// not write its products.
func (s *Service) provider(ctx context.Context, actor identity.Principal, id string) (Participant, error) {
	p, err := s.ParticipantByID(ctx, s.db, id)
	if err != nil || !CanProvide(actor, p) {
		return Participant{}, validate.Errors{{Field: "provider_id", Value: id,
			Message: "is not an admitted provider whose products you may write", Code: "not_provider"}}
	}
	return p, nil
}

// CreateProduct writes a draft product of in.ProviderID.
func (s *Service) CreateProduct(ctx context.Context, actor identity.Principal, in ProductInput) (Product, error) {
	if actor.IsAnonymous() {
		return Product{}, identity.ErrUnauthenticated
	}
	in.normalize()
	var errs validate.Errors
	in.checkShape(&errs)
	provider, err := s.provider(ctx, actor, in.ProviderID)
	if err != nil {
		return Product{}, err
	}
	s.checkLinks(ctx, &errs, provider, "", in)
	if err := errs.Err(); err != nil {
		return Product{}, err
	}
	p := Product{ID: store.NewID(), ProviderID: provider.ID, ProviderOrgID: provider.OrgID, Status: ProductDraft}
	p.apply(in)
	p.Offer.ID = store.NewID()
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		p.CreatedAt, p.UpdatedAt = tx.Now(), tx.Now()
		p.Hash = p.CanonicalHash()
		if err := insertProduct(ctx, tx, p, actor.UserID); err != nil {
			return err
		}
		return s.emitProduct(ctx, tx, actor, p, "created", nil)
	})
	if err != nil {
		return Product{}, err
	}
	return s.ProductByID(ctx, s.db, p.ID)
}

// apply copies in's fields into p; a changed offer gets a new id.
func (p *Product) apply(in ProductInput) {
	offerID := p.Offer.ID
	changed := jsonOf(offerTerms(p.Offer)) != jsonOf(offerTerms(in.Offer))
	p.Title, p.Description, p.UseScenarios, p.Source, p.SourceNote, p.LegalBasis = in.Title, in.Description, in.UseScenarios, in.Source,
		in.SourceNote, in.LegalBasis
	p.ResourceIDs, p.ZoneOutputIDs, p.SampleDeidProfile, p.Delivery, p.Price, p.Offer, p.DerivedFrom = in.ResourceIDs, in.ZoneOutputIDs,
		in.SampleDeidProfile, in.Delivery, in.Price, in.Offer, in.DerivedFrom
	p.Offer.ID = offerID
	if changed || offerID == "" {
		p.Offer.ID = store.NewID()
	}
}

// offerTerms is an offer without its id.
func offerTerms(o Offer) Offer { o.ID = ""; return o }

// editable are the statuses in which a product changes freely.
var editable = []ProductStatus{ProductDraft, ProductRejected, ProductDelisted}

// UpdateProduct rewrites product id (its provider's editors). A draft, a
// rejected or a delisted product changes freely; a listed or suspended one
// only its source declaration — which fires the OnSourceChange hooks —
// and under review nothing.
func (s *Service) UpdateProduct(ctx context.Context, actor identity.Principal, id string, in ProductInput) (Product, error) {
	in.normalize()
	before, err := s.Product(ctx, actor, id)
	if err != nil {
		return Product{}, err
	}
	in.ProviderID = before.ProviderID
	var errs validate.Errors
	in.checkShape(&errs)
	provider, err := s.provider(ctx, actor, in.ProviderID)
	if err != nil {
		return Product{}, identity.ErrForbidden
	}
	s.checkLinks(ctx, &errs, provider, id, in)
	if err := errs.Err(); err != nil {
		return Product{}, err
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		p, err := s.lockProduct(ctx, tx, id)
		if err != nil {
			return err
		}
		after := p
		after.apply(in)
		return s.change(ctx, tx, actor, p, after)
	})
	if err != nil {
		return Product{}, err
	}
	return s.ProductByID(ctx, s.db, id)
}

// change stores after in place of before, by the rules of before's
// status, with the event "exchange.product.updated" when anything changed.
func (s *Service) change(ctx context.Context, tx *store.Tx, actor identity.Principal, before, after Product) error {
	after.Hash = after.CanonicalHash()
	if after.Hash == before.Hash {
		return nil
	}
	sourceChanged := sourceHash(after) != sourceHash(before)
	switch {
	case slices.Contains(editable, before.Status):
	case before.Status == ProductListed || before.Status == ProductSuspended:
		if !sameBesidesSource(before, after) {
			return validate.Refuse(ErrState, "listed_product", "a listed product changes only its source declaration: delist it to change the rest")
		}
		after.SourceChangedAtListed = true
	default:
		return validate.Refuse(ErrState, "product_status", "a product under review cannot change: withdraw it first")
	}
	after.UpdatedAt = tx.Now()
	if err := saveProduct(ctx, tx, after); err != nil {
		return err
	}
	if sourceChanged && after.SourceChangedAtListed && before.Status != ProductDraft {
		if err := s.sourceChanged(ctx, tx, before, after); err != nil {
			return err
		}
	}
	return s.emitProduct(ctx, tx, actor, after, "updated", map[string]any{"previous_sha256": before.Hash,
		"source_changed": sourceChanged, "source_sha256": sourceHash(after)})
}

// sameBesidesSource reports whether a and b differ at most in their source
// declaration (kind, note, evidence).
func sameBesidesSource(a, b Product) bool {
	b.Source, b.SourceNote, b.SourceEvidence = a.Source, a.SourceNote, a.SourceEvidence
	return a.CanonicalHash() == b.CanonicalHash()
}

// emitProduct writes the event "exchange.product.<what>" of p: its ids,
// status and hash.
func (s *Service) emitProduct(ctx context.Context, tx *store.Tx, actor identity.Principal, p Product, what string, extra map[string]any) error {
	payload := map[string]any{"provider_id": p.ProviderID, "provider_org_id": p.ProviderOrgID, "status": p.Status, "product_sha256": p.Hash,
		"offer_id": p.Offer.ID, "resource_ids": p.ResourceIDs}
	for k, v := range extra {
		payload[k] = v
	}
	return tx.Emit(ctx, store.Event{Type: "exchange.product." + what, ActorUserID: actor.UserID, ActorOrgID: actingOrg(actor, p.ProviderOrgID),
		SubjectKind: "exchange_product", SubjectID: p.ID}, payload)
}

// canonicalProduct is what a product's hash covers: its description as
// offered, not its status or times. Keys are in sorted order.
type canonicalProduct struct {
	DeliveryModes  []DeliveryMode `json:"delivery"`
	DerivedFrom    []string       `json:"derived_from"`
	Description    string         `json:"description"`
	ID             string         `json:"id"`
	LegalBasis     string         `json:"legal_basis"`
	Offer          Offer          `json:"offer"`
	Price          Price          `json:"price"`
	ProviderID     string         `json:"provider_id"`
	ResourceIDs    []string       `json:"resource_ids"`
	SampleProfile  string         `json:"sample_deid_profile"`
	Source         SourceKind     `json:"source"`
	SourceEvidence []string       `json:"source_evidence_sha256"`
	SourceNote     string         `json:"source_note"`
	Title          string         `json:"title"`
	UseScenarios   []string       `json:"use_scenarios"`
	ZoneOutputIDs  []string       `json:"zone_output_ids"`
}

// CanonicalHash is the SHA-256 of p's canonical JSON: the fields a buyer
// relies on (title, description, scenarios, source declaration with its
// evidence's hashes, legal basis, resources, sample profile, delivery,
// price, offer), in a fixed order, without HTML escaping.
func (p Product) CanonicalHash() string {
	c := canonicalProduct{DeliveryModes: orEmpty(p.Delivery), DerivedFrom: orEmpty(p.DerivedFrom), Description: p.Description, ID: p.ID,
		LegalBasis: p.LegalBasis, Offer: p.Offer, Price: p.Price, ProviderID: p.ProviderID, ResourceIDs: orEmpty(p.ResourceIDs),
		SampleProfile: p.SampleDeidProfile, Source: p.Source, SourceEvidence: evidenceHashes(p), SourceNote: p.SourceNote, Title: p.Title,
		UseScenarios: orEmpty(p.UseScenarios), ZoneOutputIDs: orEmpty(p.ZoneOutputIDs)}
	return store.SHA256Hex(canonicalJSON(c))
}

func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

func evidenceHashes(p Product) []string {
	out := []string{}
	for _, d := range p.SourceEvidence {
		out = append(out, d.SHA256)
	}
	sort.Strings(out)
	return out
}

// canonicalJSON encodes v without HTML escaping and without the trailing
// newline. Struct fields keep their declared (sorted) order; maps sort.
func canonicalJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// sourceHash is the SHA-256 of p's source declaration alone.
func sourceHash(p Product) string {
	return store.SHA256Hex(canonicalJSON(struct {
		Evidence []string   `json:"evidence_sha256"`
		Note     string     `json:"note"`
		Source   SourceKind `json:"source"`
	}{evidenceHashes(p), p.SourceNote, p.Source}))
}

// mayViewUnlisted: a product not listed is seen by its provider's members,
// the exchange's staff (and platform staff), and the members of the law
// firm vetting it.
func (s *Service) mayViewUnlisted(ctx context.Context, actor identity.Principal, p Product) bool {
	if actor.IsAnonymous() {
		return false
	}
	if actor.RoleIn(p.ProviderOrgID) != "" || CanStaff(actor) || actor.IsPlatformStaff() {
		return true
	}
	firms, err := store.Strings(ctx, s.db, `SELECT pp.org_id FROM exchange_listings l JOIN exchange_participants pp ON pp.id = l.law_firm_id
		WHERE l.product_id = $1`, p.ID)
	return err == nil && slices.ContainsFunc(firms, func(org string) bool { return actor.RoleIn(org) != "" })
}

// Product returns product id as actor may see it: a listed product to
// anyone, any other to its provider's members, the exchange's staff and the
// law firm vetting it; otherwise store.ErrNotFound.
func (s *Service) Product(ctx context.Context, actor identity.Principal, id string) (Product, error) {
	p, err := s.ProductByID(ctx, s.db, id)
	if err != nil {
		return Product{}, err
	}
	if p.Status != ProductListed && !s.mayViewUnlisted(ctx, actor, p) {
		return Product{}, notFound("product", id)
	}
	return p, nil
}

// ProductFilter selects products for Products.
type ProductFilter struct {
	Status     ProductStatus
	ProviderID string
	Q          string // words that must appear in the title or the description
	Cursor     string // the last id of the previous page
	Limit      int    // 1–500, default 100
}

// Products lists the products actor may see that f selects, newest first:
// listed ones for anyone, the others for their provider's members and the
// exchange's staff.
func (s *Service) Products(ctx context.Context, actor identity.Principal, f ProductFilter) ([]Product, error) {
	var conds []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Status != "" {
		conds = append(conds, "status = "+arg(string(f.Status)))
	}
	if f.ProviderID != "" {
		conds = append(conds, "provider_id = "+arg(f.ProviderID))
	}
	for _, w := range strings.Fields(f.Q) {
		like := arg("%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(w)) + "%")
		conds = append(conds, "(LOWER(title) LIKE "+like+` ESCAPE '\' OR LOWER(description) LIKE `+like+` ESCAPE '\')`)
	}
	if f.Cursor != "" {
		conds = append(conds, "id < "+arg(f.Cursor))
	}
	if !CanStaff(actor) && !actor.IsPlatformStaff() {
		vis := "status = 'listed'"
		if orgs := actor.OrgIDs(); len(orgs) > 0 {
			ph := make([]string, len(orgs))
			for i, o := range orgs {
				ph[i] = arg(o)
			}
			vis = "(" + vis + " OR provider_org_id IN (" + strings.Join(ph, ", ") + "))"
		}
		conds = append(conds, vis)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := `SELECT ` + productColumns + ` FROM exchange_products`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, q+fmt.Sprintf(" ORDER BY id DESC LIMIT %d", limit), args...)
	if err != nil {
		return nil, fmt.Errorf("exchange: products: %w", err)
	}
	defer rows.Close()
	out := []Product{}
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
