package ui

import (
	"context"
	"io"
	"net/http"
	"slices"

	"dataport/internal/catalog"
	"dataport/internal/exchange"
	registry "dataport/internal/exchange/asset"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// The products' pages: the list of a provider's products (every product
// for the exchange's staff) and a product's page with its source evidence,
// its submission for listing and the staff's listing actions.

// productRow is a product with its provider, for lists.
type productRow struct {
	exchange.Product
	Provider identity.Organization
}

// Tag is the status tag's CSS modifier.
func (p productRow) Tag() string { return participantTag(string(p.Status)) }

// Price is the product's price as a person reads it.
func (p productRow) PriceText() string { return yuan(p.Product.Price.AmountFen) }

// productsData is the list page.
type productsData struct {
	Nav        exchangeNav
	Rows       []productRow
	Status     string
	Staff      bool
	CanCreate  bool
	Statuses   []string
	Applicable bool // the viewer administers an organization that may apply
}

var productStatuses = []exchange.ProductStatus{exchange.ProductDraft, exchange.ProductInReview, exchange.ProductListed,
	exchange.ProductSuspended, exchange.ProductRejected, exchange.ProductDelisted}

// productsPage lists the products of the viewer's providers, or every
// product for the exchange's staff; ?status= narrows.
func (s *server) productsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	d := productsData{Nav: s.exchangeNavFor(r, "products"), Status: r.URL.Query().Get("status"), Staff: exchange.CanStaff(p) || p.IsPlatformStaff(),
		Statuses: stringsOf(productStatuses)}
	f := exchange.ProductFilter{Status: exchange.ProductStatus(d.Status), Limit: 200}
	var list []exchange.Product
	if d.Staff {
		if list, err = s.acc.Exchange.Products(r.Context(), p, f); err != nil {
			return err
		}
	}
	for _, pt := range s.participantsOf(r.Context(), p) {
		d.CanCreate = d.CanCreate || exchange.CanProvide(p, pt)
		if d.Staff || !pt.Has(exchange.RoleProvider) {
			continue
		}
		f.ProviderID = pt.ID
		mine, err := s.acc.Exchange.Products(r.Context(), p, f)
		if err != nil {
			return err
		}
		list = append(list, mine...)
	}
	n := newNames(s, r.Context(), p)
	for _, pr := range list {
		d.Rows = append(d.Rows, productRow{pr, n.org(pr.ProviderOrgID)})
	}
	orgs, err := s.applyingOrgs(r, p)
	if err != nil {
		return err
	}
	d.Applicable = len(orgs) > 0
	return s.render(w, r, http.StatusOK, "exchange_products", d)
}

// productData is a product's page.
type productData struct {
	Nav          exchangeNav
	P            exchange.Product
	Provider     identity.Organization
	Resources    []catalog.Resource
	Editor       bool // one of its provider's editors
	Staff        bool
	LawFirms     []participantRow
	LawFirmID    string
	DocKind      string
	Reason       string
	Certificates []registry.Certificate
	Registrable  bool // the viewer may apply to register its rights
	Valuable     bool // the viewer files valuations for an assessor
	Errors       formErrors
}

// Tag is the status tag's CSS modifier.
func (d productData) Tag() string { return participantTag(string(d.P.Status)) }

// Price is the product's price as a person reads it.
func (d productData) PriceText() string { return yuan(d.P.Price.AmountFen) }

// DocumentKinds lists the kinds of a product's evidence files.
func (productData) DocumentKinds() []string { return exchange.ProductDocumentKinds }

// Editable says whether the product may be edited (its source declaration
// only, once listed).
func (d productData) Editable() bool { return d.Editor && d.P.Status != exchange.ProductInReview }

// Submittable says whether the viewer may submit it for listing.
func (d productData) Submittable() bool {
	return d.Editor && slices.Contains([]exchange.ProductStatus{exchange.ProductDraft, exchange.ProductRejected, exchange.ProductDelisted}, d.P.Status)
}

// Delistable says whether the viewer may take it off the exchange.
func (d productData) Delistable() bool {
	return (d.Editor || d.Staff) && (d.P.Status == exchange.ProductListed || d.P.Status == exchange.ProductSuspended)
}

// productPage shows product id to whoever may see it.
func (s *server) productPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadProduct(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "exchange_product", d)
}

func (s *server) loadProduct(r *http.Request) (productData, error) {
	p := principal(r)
	pr, err := s.acc.Exchange.Product(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return productData{}, err
	}
	n := newNames(s, r.Context(), p)
	d := productData{Nav: s.exchangeNavFor(r, "products"), P: pr, Provider: n.org(pr.ProviderOrgID),
		Editor: p.AtLeast(pr.ProviderOrgID, identity.RoleEditor), Staff: exchange.CanStaff(p), DocKind: exchange.ProductDocumentKinds[0]}
	for _, id := range pr.ResourceIDs {
		d.Resources = append(d.Resources, n.resource(id))
	}
	if d.Submittable() {
		if d.LawFirms, err = s.lawFirms(r.Context(), p, pr.ProviderID); err != nil {
			return d, err
		}
	}
	if s.acc.Assets != nil {
		if d.Certificates, _, err = s.acc.Assets.Certificates(r.Context(), registry.CertificateFilter{ProductID: pr.ID, Limit: 20}); err != nil {
			return d, err
		}
		d.Registrable = registry.CanApply(p, pr.ProviderOrgID) && (pr.Status == exchange.ProductListed || pr.Status == exchange.ProductInReview)
		for _, pt := range s.participantsOf(r.Context(), p) {
			d.Valuable = d.Valuable || (pt.Trading() && pt.Has(exchange.RoleAssessor) && pt.ID != pr.ProviderID)
		}
	}
	return d, nil
}

// lawFirms are the admitted law firms, but the provider.
func (s *server) lawFirms(ctx context.Context, p identity.Principal, providerID string) ([]participantRow, error) {
	list, err := s.acc.Exchange.Participants(ctx, p, exchange.ParticipantFilter{Status: exchange.ParticipantAdmitted, Role: exchange.RoleLawFirm,
		Limit: 200})
	if err != nil {
		return nil, err
	}
	n := newNames(s, ctx, p)
	var out []participantRow
	for _, pt := range list {
		if pt.ID != providerID {
			out = append(out, participantRow{pt, n.org(pt.OrgID)})
		}
	}
	return out, nil
}

// productForm runs a form posted on product id's page: act does it, done
// names the banner; field problems show the page again with them (422).
func (s *server) productAction(w http.ResponseWriter, r *http.Request, act func(p identity.Principal) (string, error), done string,
	keep func(*productData)) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	to, err := act(p)
	if err == nil {
		if to == "" {
			to = "/exchange/products/" + r.PathValue("id")
		}
		return seeOther(w, r, to, done)
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	d, lerr := s.loadProduct(r)
	if lerr != nil {
		return lerr
	}
	if keep != nil {
		keep(&d)
	}
	d.Errors = exchangeErrors(langOf(r), errs, productRenames)
	return s.render(w, r, http.StatusUnprocessableEntity, "exchange_product", d)
}

// submitProduct files the product for listing. Form fields: csrf_token,
// law_firm_id ("" for the exchange's staff to choose). A product not
// complete yet is shown in the editor with what it lacks at each field; a
// law firm that may not vet it, on the product's page.
func (s *server) submitProduct(w http.ResponseWriter, r *http.Request) error {
	firm := r.PostForm.Get("law_firm_id")
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	l, err := s.acc.Exchange.Submit(r.Context(), p, r.PathValue("id"), exchange.SubmitInput{LawFirmID: firm})
	if err == nil {
		return seeOther(w, r, "/exchange/listings/"+l.ID, "exchange_submitted")
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	if slices.ContainsFunc(errs, func(e validate.FieldError) bool { return e.Field != "law_firm_id" }) {
		pr, err := s.acc.Exchange.Product(r.Context(), p, r.PathValue("id"))
		if err != nil {
			return err
		}
		f := formOf(pr)
		f.Errors = exchangeErrors(langOf(r), errs, productRenames)
		return s.showProductForm(w, r, p, http.StatusUnprocessableEntity, f)
	}
	return s.productAction(w, r, func(identity.Principal) (string, error) { return "", errs }, "", func(d *productData) { d.LawFirmID = firm })
}

// productMoves are the listing actions of the product page: each is a
// button of one form sharing its reason.
var productMoves = map[string]struct {
	move func(*exchange.Service, context.Context, identity.Principal, string, string) (exchange.Product, error)
	done string
}{
	"suspend": {(*exchange.Service).SuspendProduct, "exchange_product_suspended"},
	"relist":  {(*exchange.Service).RelistProduct, "exchange_relisted"},
	"delist":  {(*exchange.Service).Delist, "exchange_delisted"},
}

// moveProduct suspends, relists or delists the product, as the button
// pressed says. Form fields: csrf_token, move (suspend|relist|delist),
// reason.
func (s *server) moveProduct(w http.ResponseWriter, r *http.Request) error {
	m, ok := productMoves[r.PostForm.Get("move")]
	if !ok {
		return errBadForm
	}
	reason := r.PostForm.Get("reason")
	return s.productAction(w, r, func(p identity.Principal) (string, error) {
		_, err := m.move(s.acc.Exchange, r.Context(), p, r.PathValue("id"), reason)
		return "", err
	}, m.done, func(d *productData) { d.Reason = reason })
}

// addProductEvidence uploads an evidence file of the source declaration
// (multipart: csrf_token, kind, then file).
func (s *server) addProductEvidence(w http.ResponseWriter, r *http.Request) error {
	return s.documentUpload(w, r, exchange.MaxDocumentSize, func(p identity.Principal, in exchange.DocumentInput, body io.Reader) error {
		_, err := s.acc.Exchange.AddProductEvidence(r.Context(), p, r.PathValue("id"), in, body)
		return err
	}, func(r *http.Request, errs validate.Errors, kind string) error {
		return s.productAction(w, r, func(identity.Principal) (string, error) { return "", errs }, "", func(d *productData) { d.DocKind = kind })
	}, "/exchange/products/"+r.PathValue("id"))
}
