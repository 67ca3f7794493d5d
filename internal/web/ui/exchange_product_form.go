package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// The product editor with its policy builder: what the product is, where
// its data comes from, what it delivers and how, its price, and the offer
// a buyer agrees to — purposes, the data items (ticked from the linked
// resources' items), counts, rows, period, the ban on onward transfer and
// automatic agreement. Without scripts, "Update the choices" shows the form
// again with the items and profiles of the resources ticked, saving nothing.

// productForm is the editor's data: the product as typed, and the choices.
type productForm struct {
	Nav       exchangeNav
	ID        string // "" for a new product
	Status    exchange.ProductStatus
	Providers []participantRow
	Resources []catalog.Resource // the provider's published resources
	Items     []itemChoice       // the data items every ticked resource has
	Profiles  []deid.StoredProfile
	LawFirms  []participantRow

	ProviderID        string
	Title             string
	Description       string
	Scenarios         []string
	Source            string
	SourceNote        string
	LegalBasis        string
	ResourceIDs       []string
	Profile           string
	Delivery          []string
	PriceModel        string
	PriceYuan         string
	PricePeriod       string
	Purposes          []string
	Fields            []string
	MaxCalls          string
	MaxRows           string
	RowsPerRequest    string
	PeriodDays        string
	TransferForbidden bool
	AutoAgree         bool

	Errors formErrors
}

// itemChoice is a data item the offer may name.
type itemChoice struct {
	Name, Label string
}

// Action is where the form posts.
func (f productForm) Action() string {
	if f.ID == "" {
		return "/exchange/products"
	}
	return "/exchange/products/" + f.ID + "/edit"
}

// Listed says that only the source declaration may change.
func (f productForm) Listed() bool {
	return f.Status == exchange.ProductListed || f.Status == exchange.ProductSuspended
}

// Sources, DeliveryModes and PriceModels are the form's choices.
func (productForm) Sources() []exchange.SourceKind         { return exchange.Sources }
func (productForm) DeliveryModes() []exchange.DeliveryMode { return exchange.DeliveryModes }
func (productForm) PriceModels() []exchange.PriceModel     { return exchange.PriceModels }

// Ticked, Delivers and Offers say whether a resource, a delivery mode or a
// data item is chosen.
func (f productForm) Ticked(id string) bool   { return slices.Contains(f.ResourceIDs, id) }
func (f productForm) Delivers(m string) bool  { return slices.Contains(f.Delivery, m) }
func (f productForm) Offers(item string) bool { return slices.Contains(f.Fields, item) }

// ScenarioRows and PurposeRows are the inputs shown: those typed and room
// for more.
func (f productForm) ScenarioRows() []string { return orEmptyRows(f.Scenarios, 3) }
func (f productForm) PurposeRows() []string  { return orEmptyRows(f.Purposes, 2) }

// newProductForm is a blank product of the viewer's first provider
// (?provider= picks another), with the defaults most offers take.
func (s *server) newProductForm(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := productForm{Source: string(exchange.SourceSelfCollected), PriceModel: string(exchange.PriceOneOff), PeriodDays: "365",
		TransferForbidden: true, Delivery: []string{string(exchange.DeliveryAPI)}, ProviderID: r.URL.Query().Get("provider")}
	return s.showProductForm(w, r, p, http.StatusOK, f)
}

// showProductForm fills in f's choices and renders it with status.
func (s *server) showProductForm(w http.ResponseWriter, r *http.Request, p identity.Principal, status int, f productForm) error {
	f.Nav = s.exchangeNavFor(r, "products")
	n := newNames(s, r.Context(), p)
	for _, pt := range s.participantsOf(r.Context(), p) {
		if exchange.CanProvide(p, pt) {
			f.Providers = append(f.Providers, participantRow{pt, n.org(pt.OrgID)})
		}
	}
	if f.ID != "" {
		pt, err := s.acc.Exchange.Participant(r.Context(), p, f.ProviderID)
		if err == nil && !slices.ContainsFunc(f.Providers, func(row participantRow) bool { return row.ID == pt.ID }) {
			f.Providers = append(f.Providers, participantRow{pt, n.org(pt.OrgID)})
		}
	}
	if len(f.Providers) == 0 {
		return s.render(w, r, status, "exchange_product_form", f)
	}
	provider := f.Providers[0]
	for _, row := range f.Providers {
		if row.ID == f.ProviderID {
			provider = row
		}
	}
	f.ProviderID = provider.ID
	page, err := s.catalog.List(r.Context(), p, catalog.Filter{OrganizationID: provider.OrgID, Status: catalog.StatusPublished, Limit: 200})
	if err != nil {
		return err
	}
	f.Resources = page.Items
	s.fillItems(r, p, &f)
	return s.render(w, r, status, "exchange_product_form", f)
}

// fillItems offers the data items every ticked resource has and the
// de-identification profiles of the first one.
func (s *server) fillItems(r *http.Request, p identity.Principal, f *productForm) {
	var ticked []catalog.Resource
	for _, id := range f.ResourceIDs {
		if i := slices.IndexFunc(f.Resources, func(res catalog.Resource) bool { return res.ID == id }); i >= 0 {
			ticked = append(ticked, f.Resources[i])
		}
	}
	if len(ticked) == 0 {
		return
	}
	for _, it := range ticked[0].Items {
		everywhere := true
		for _, res := range ticked[1:] {
			everywhere = everywhere && slices.ContainsFunc(res.Items, func(o catalog.Item) bool { return o.Name == it.Name })
		}
		if everywhere {
			f.Items = append(f.Items, itemChoice{Name: it.Name, Label: it.LabelZh})
		}
	}
	if s.profiles != nil {
		if list, err := s.profiles.List(r.Context(), p, ticked[0].ID); err == nil {
			f.Profiles = list
		}
	}
}

// readProductForm reads the posted editor.
func readProductForm(v url.Values) productForm {
	return productForm{ProviderID: v.Get("provider_id"), Title: v.Get("product_title"), Description: v.Get("product_description"),
		Scenarios: v["use_scenarios"], Source: v.Get("source"), SourceNote: v.Get("source_note"), LegalBasis: v.Get("product_legal_basis"),
		ResourceIDs: v["resource_ids"], Profile: v.Get("sample_deid_profile"), Delivery: v["delivery"], PriceModel: v.Get("price_model"),
		PriceYuan: v.Get("price_yuan"), PricePeriod: v.Get("price_period_days"), Purposes: v["offer_purposes"], Fields: v["offer_fields"],
		MaxCalls: v.Get("offer_max_calls"), MaxRows: v.Get("offer_max_rows"), RowsPerRequest: v.Get("offer_rows_per_request"),
		PeriodDays: v.Get("offer_period_days"), TransferForbidden: v.Get("offer_transfer") == "forbidden", AutoAgree: v.Get("offer_auto_agree") == "yes"}
}

// deliveryActions are the actions an offer permits for each delivery mode.
var deliveryActions = map[exchange.DeliveryMode]access.Action{exchange.DeliveryAPI: access.ActionRead,
	exchange.DeliveryFile: access.ActionDownload, exchange.DeliveryZone: access.ActionCompute}

// input writes f over base (the product's fields the editor does not
// show stay as they are); problems with what was typed go to errs.
func (f productForm) input(base exchange.ProductInput, errs *validate.Errors) exchange.ProductInput {
	in := base
	in.ProviderID, in.Title, in.Description, in.UseScenarios = f.ProviderID, f.Title, f.Description, f.Scenarios
	in.Source, in.SourceNote, in.LegalBasis = exchange.SourceKind(f.Source), f.SourceNote, f.LegalBasis
	in.ResourceIDs, in.SampleDeidProfile = f.ResourceIDs, f.Profile
	in.Delivery = nil
	in.Offer.Policy.Actions = nil
	for _, d := range f.Delivery {
		in.Delivery = append(in.Delivery, exchange.DeliveryMode(d))
		if a, ok := deliveryActions[exchange.DeliveryMode(d)]; ok {
			in.Offer.Policy.Actions = append(in.Offer.Policy.Actions, a)
		}
	}
	in.Price = exchange.Price{Model: exchange.PriceModel(f.PriceModel)}
	if v := scaledField(errs, "price_yuan", f.PriceYuan, 2); v != nil {
		in.Price.AmountFen = *v
	} else if f.PriceYuan == "" {
		errs.Add("price_yuan", "", validate.CodeRequired, "is required")
	}
	if in.Price.Model == exchange.PriceSubscription {
		in.Price.PeriodDays = int(numberField(errs, "price_period_days", f.PricePeriod))
	}
	in.Offer.Policy.Purposes, in.Offer.Policy.Fields = f.Purposes, f.Fields
	in.Offer.Policy.MaxCalls = numberField(errs, "offer_max_calls", f.MaxCalls)
	in.Offer.Policy.MaxRows = numberField(errs, "offer_max_rows", f.MaxRows)
	in.Offer.Policy.RowsPerRequest = numberField(errs, "offer_rows_per_request", f.RowsPerRequest)
	in.Offer.PeriodDays = int(numberField(errs, "offer_period_days", f.PeriodDays))
	in.Offer.OnwardTransfer, in.Offer.AutoAgree = !f.TransferForbidden, f.AutoAgree
	return in
}

// productRenames point the domain's product fields at the editor's inputs.
var productRenames = map[string]string{"title": "product_title", "description": "product_description", "legal_basis": "product_legal_basis",
	"zone_output_ids": "resource_ids",
	"derived_from":    "resource_ids", "offer": "offer_period_days", "price": "price_model"}

// createProduct writes a draft from the editor (fields: see
// readProductForm), or with refresh shows it again with the choices of the
// resources ticked. Refused fields show the editor again and write nothing.
func (s *server) createProduct(w http.ResponseWriter, r *http.Request) error {
	return s.saveProduct(w, r, productForm{}, exchange.ProductInput{}, func(p identity.Principal, in exchange.ProductInput) (string, error) {
		pr, err := s.acc.Exchange.CreateProduct(r.Context(), p, in)
		return pr.ID, err
	})
}

// editProductForm shows product id in the editor, to its provider's editors.
func (s *server) editProductForm(w http.ResponseWriter, r *http.Request) error {
	p, pr, err := s.providedProduct(r)
	if err != nil {
		return err
	}
	return s.showProductForm(w, r, p, http.StatusOK, formOf(pr))
}

// updateProduct saves the editor over product id.
func (s *server) updateProduct(w http.ResponseWriter, r *http.Request) error {
	_, pr, err := s.providedProduct(r)
	if err != nil {
		return err
	}
	base := productBase(pr)
	return s.saveProduct(w, r, productForm{ID: pr.ID, Status: pr.Status}, base, func(p identity.Principal, in exchange.ProductInput) (string, error) {
		_, err := s.acc.Exchange.UpdateProduct(r.Context(), p, pr.ID, in)
		return pr.ID, err
	})
}

// providedProduct reads product id for one of its provider's editors:
// unknown or hidden is 404, anyone else 403.
func (s *server) providedProduct(r *http.Request) (identity.Principal, exchange.Product, error) {
	p, err := requireUser(r)
	if err != nil {
		return p, exchange.Product{}, err
	}
	pr, err := s.acc.Exchange.Product(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return p, pr, err
	}
	if !p.AtLeast(pr.ProviderOrgID, identity.RoleEditor) {
		return p, pr, identity.ErrForbidden
	}
	return p, pr, nil
}

// saveProduct reads the editor into into's ID and status and saves it
// through save, which returns the product's id.
func (s *server) saveProduct(w http.ResponseWriter, r *http.Request, into productForm, base exchange.ProductInput,
	save func(identity.Principal, exchange.ProductInput) (string, error)) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := readProductForm(r.PostForm)
	f.ID, f.Status = into.ID, into.Status
	if r.PostForm.Get("refresh") != "" {
		return s.showProductForm(w, r, p, http.StatusOK, f)
	}
	var errs validate.Errors
	in := f.input(base, &errs)
	if len(errs) == 0 {
		id, err := save(p, in)
		if err == nil {
			return seeOther(w, r, "/exchange/products/"+id, "exchange_product_saved")
		}
		if errs = fieldErrors(err); errs == nil {
			return err
		}
	}
	f.Errors = exchangeErrors(langOf(r), errs, productRenames)
	return s.showProductForm(w, r, p, http.StatusUnprocessableEntity, f)
}

// productBase is pr as input, for the fields the editor does not show.
func productBase(pr exchange.Product) exchange.ProductInput {
	return exchange.ProductInput{ProviderID: pr.ProviderID, ZoneOutputIDs: pr.ZoneOutputIDs, DerivedFrom: pr.DerivedFrom, Offer: pr.Offer}
}

// formOf is product pr in the editor.
func formOf(pr exchange.Product) productForm {
	f := productForm{ID: pr.ID, Status: pr.Status, ProviderID: pr.ProviderID, Title: pr.Title, Description: pr.Description,
		Scenarios: pr.UseScenarios, Source: string(pr.Source), SourceNote: pr.SourceNote, LegalBasis: pr.LegalBasis, ResourceIDs: pr.ResourceIDs,
		Profile: pr.SampleDeidProfile, PriceModel: string(pr.Price.Model), PriceYuan: unscaled(pr.Price.AmountFen, 2),
		Purposes: pr.Offer.Policy.Purposes, Fields: pr.Offer.Policy.Fields, TransferForbidden: !pr.Offer.OnwardTransfer, AutoAgree: pr.Offer.AutoAgree}
	for _, d := range pr.Delivery {
		f.Delivery = append(f.Delivery, string(d))
	}
	if pr.Price.PeriodDays > 0 {
		f.PricePeriod = strconv.Itoa(pr.Price.PeriodDays)
	}
	for _, n := range []struct {
		to *string
		v  int64
	}{{&f.MaxCalls, pr.Offer.Policy.MaxCalls}, {&f.MaxRows, pr.Offer.Policy.MaxRows}, {&f.RowsPerRequest, pr.Offer.Policy.RowsPerRequest},
		{&f.PeriodDays, int64(pr.Offer.PeriodDays)}} {
		if n.v != 0 {
			*n.to = strconv.FormatInt(n.v, 10)
		}
	}
	return f
}
