package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/exchange"
	registry "dataport/internal/exchange/asset"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// The trading hall: listed products found by their words (title,
// description, use scenarios), delivery mode, price model and provider;
// a product's page for buyers with its offer in plain words, the sample,
// the registration certificates and the ratings, and the order form.

// hallPageSize is how many product cards a page of the hall shows.
const hallPageSize = 24

// hallScan is how many listed products, newest first, the hall's filters
// look through.
const hallScan = 500

// hallFilter is what the hall's search form asks for.
type hallFilter struct {
	Q, Delivery, Price, Provider string
	Page                         int
}

// readHallFilter reads the hall's query string: the page is 1 up to the
// last the scan can fill.
func readHallFilter(q url.Values) hallFilter {
	f := hallFilter{Q: strings.TrimSpace(q.Get("q")), Delivery: q.Get("delivery"), Price: q.Get("price"), Provider: q.Get("provider")}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	f.Page = max(1, min(f.Page, hallScan/hallPageSize+1))
	return f
}

// query is the filter as a query string, with page p.
func (f hallFilter) query(p int) string {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Q, "delivery": f.Delivery, "price": f.Price, "provider": f.Provider} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if len(v) == 0 {
		return "/exchange"
	}
	return "/exchange?" + v.Encode()
}

// matches reports whether product p answers the filter's words, delivery
// mode and price model (the provider is selected by the store).
func (f hallFilter) matches(p exchange.Product) bool {
	if f.Delivery != "" && !slices.Contains(p.Delivery, exchange.DeliveryMode(f.Delivery)) {
		return false
	}
	if f.Price != "" && string(p.Price.Model) != f.Price {
		return false
	}
	text := strings.ToLower(p.Title + "\n" + p.Description + "\n" + strings.Join(p.UseScenarios, "\n"))
	for _, w := range strings.Fields(strings.ToLower(f.Q)) {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

// ratingView is a product's ratings as the hall shows them.
type ratingView struct {
	Count   int
	Average string // "4.5"
}

func newRatingView(r trade.RatingSummary) ratingView {
	t := r.AverageTenths()
	return ratingView{Count: r.Count, Average: fmt.Sprintf("%d.%d", t/10, t%10)}
}

// hallCard is one product in the hall.
type hallCard struct {
	P        exchange.Product
	Provider string
	Price    string
	Rating   ratingView
}

// providerOption is a provider the hall's form offers.
type providerOption struct{ ID, Name string }

// hallData is the hall's page.
type hallData struct {
	Nav       tradeNav
	Filter    hallFilter
	Cards     []hallCard
	Total     int
	Providers []providerOption
	Pager     pager
}

// DeliveryModes and PriceModels are the form's choices.
func (hallData) DeliveryModes() []exchange.DeliveryMode { return exchange.DeliveryModes }
func (hallData) PriceModels() []exchange.PriceModel     { return exchange.PriceModels }

// hallPage searches the listed products.
func (s *server) hallPage(w http.ResponseWriter, r *http.Request) error {
	ctx, p, lang := r.Context(), principal(r), langOf(r)
	f := readHallFilter(r.URL.Query())
	list, err := s.acc.Exchange.Products(ctx, p, exchange.ProductFilter{Status: exchange.ProductListed, ProviderID: f.Provider, Limit: hallScan})
	if err != nil {
		return err
	}
	d := hallData{Nav: s.tradeNavFor(r, "hall"), Filter: f}
	var found []exchange.Product
	for _, pr := range list {
		if f.matches(pr) {
			found = append(found, pr)
		}
	}
	d.Total = len(found)
	from := min((f.Page-1)*hallPageSize, len(found))
	shown := found[from:min(from+hallPageSize, len(found))]
	if d.Cards, err = s.hallCards(ctx, p, lang, shown); err != nil {
		return err
	}
	if from+hallPageSize < len(found) {
		d.Pager.Next = f.query(f.Page + 1)
	}
	if f.Page > 1 {
		d.Pager.First = f.query(1)
	}
	if d.Providers, err = s.hallProviders(ctx, p); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "trade_hall", d)
}

// hallCards makes the cards of products, with their providers' names and
// ratings.
func (s *server) hallCards(ctx context.Context, p identity.Principal, lang string, list []exchange.Product) ([]hallCard, error) {
	ids := make([]string, len(list))
	for i, pr := range list {
		ids[i] = pr.ID
	}
	ratings, err := s.acc.Trade.RatingSummaries(ctx, ids)
	if err != nil {
		return nil, err
	}
	n := newNames(s, ctx, p)
	cards := make([]hallCard, len(list))
	for i, pr := range list {
		cards[i] = hallCard{P: pr, Provider: orgLabel(lang, n.org(pr.ProviderOrgID)), Price: priceWords(lang, pr.Price),
			Rating: newRatingView(ratings[pr.ID])}
	}
	return cards, nil
}

// orgLabel is an organization's name in lang.
func orgLabel(lang string, o identity.Organization) string { return pick(lang, o.NameZh, o.NameEn) }

// hallProviders are the admitted providers, for the hall's form.
func (s *server) hallProviders(ctx context.Context, p identity.Principal) ([]providerOption, error) {
	list, err := s.acc.Exchange.Participants(ctx, p, exchange.ParticipantFilter{Status: exchange.ParticipantAdmitted, Role: exchange.RoleProvider,
		Limit: 500})
	if err != nil {
		return nil, err
	}
	out := make([]providerOption, len(list))
	for i, pt := range list {
		out[i] = providerOption{ID: pt.ID, Name: pt.Name}
	}
	return out, nil
}

// orderForm is what the order form holds.
type orderForm struct {
	BuyerOrgID string
	Purpose    string
	Fields     []string // the data items asked for (the offer's, unless narrowed)
	MaxCalls   string
	MaxRows    string
	PeriodDays string
}

// hallProductData is a product's page in the hall.
type hallProductData struct {
	Nav          tradeNav
	P            exchange.Product
	Provider     identity.Organization
	Price        string
	Offer        []string // the offer's policy in plain words
	Resources    []catalog.Resource
	Certificates []registry.Certificate
	Rating       ratingView
	Ratings      []trade.Rating
	Mine         bool                    // the viewer is a member of the provider
	Buyers       []identity.Organization // organizations the viewer may order for
	Order        orderForm
	Errors       formErrors
}

// Listed says whether the product may be ordered now.
func (d hallProductData) Listed() bool { return d.P.Status == exchange.ProductListed }

// Purposes are the purposes the offer allows ("" none: any, typed in).
func (d hallProductData) Purposes() []string { return d.P.Offer.Policy.Purposes }

// hallProductPage shows a product to buyers.
func (s *server) hallProductPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadHallProduct(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "trade_product", d)
}

func (s *server) loadHallProduct(r *http.Request) (hallProductData, error) {
	ctx, p, lang := r.Context(), principal(r), langOf(r)
	pr, err := s.acc.Exchange.Product(ctx, p, r.PathValue("id"))
	if err != nil {
		return hallProductData{}, err
	}
	n := newNames(s, ctx, p)
	d := hallProductData{Nav: s.tradeNavFor(r, "hall"), P: pr, Provider: n.org(pr.ProviderOrgID), Price: priceWords(lang, pr.Price),
		Offer: append(policyWords(lang, pr.Offer.Policy, pr.Offer.PeriodDays), onwardWords(lang, pr.Offer.OnwardTransfer)), Mine: p.RoleIn(pr.ProviderOrgID) != "",
		Order: orderForm{Fields: pr.Offer.Policy.Fields, PeriodDays: strconv.Itoa(pr.Offer.PeriodDays)}}
	if len(pr.Offer.Policy.Purposes) > 0 {
		d.Order.Purpose = pr.Offer.Policy.Purposes[0]
	}
	for _, id := range pr.ResourceIDs {
		d.Resources = append(d.Resources, n.resource(id))
	}
	if s.acc.Assets != nil {
		if d.Certificates, _, err = s.acc.Assets.Certificates(ctx, registry.CertificateFilter{ProductID: pr.ID, Limit: 20}); err != nil {
			return d, err
		}
	}
	sums, err := s.acc.Trade.RatingSummaries(ctx, []string{pr.ID})
	if err != nil {
		return d, err
	}
	d.Rating = newRatingView(sums[pr.ID])
	if d.Ratings, err = s.acc.Trade.ProductRatings(ctx, pr.ID, 10); err != nil {
		return d, err
	}
	if d.Buyers, err = s.buyerOrgs(ctx, p, pr); err != nil {
		return d, err
	}
	if len(d.Buyers) == 1 {
		d.Order.BuyerOrgID = d.Buyers[0].ID
	}
	return d, nil
}

// buyerOrgs are the organizations p may order product pr for: those
// where p is an editor or admin, admitted as buyers (and trading now),
// other than the provider.
func (s *server) buyerOrgs(ctx context.Context, p identity.Principal, pr exchange.Product) ([]identity.Organization, error) {
	if p.IsAnonymous() {
		return nil, nil
	}
	buyers, err := s.acc.Exchange.Participants(ctx, p, exchange.ParticipantFilter{Status: exchange.ParticipantAdmitted, Role: exchange.RoleBuyer,
		Limit: 500})
	if err != nil {
		return nil, err
	}
	n := newNames(s, ctx, p)
	var out []identity.Organization
	for _, pt := range buyers {
		if pt.OrgID != pr.ProviderOrgID && pt.Trading() && p.AtLeast(pt.OrgID, identity.RoleEditor) {
			out = append(out, n.org(pt.OrgID))
		}
	}
	return out, nil
}

// hallSampleData is a product's sample page.
type hallSampleData struct {
	Nav    tradeNav
	P      exchange.Product
	Table  rowTable
	Denied string // why the sample could not be read
}

// hallSamplePage shows the product's de-identified sample, read through
// the access point on the product's sample channel (signed-in viewers).
func (s *server) hallSamplePage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	pr, err := s.acc.Exchange.Product(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := hallSampleData{Nav: s.tradeNavFor(r, "hall"), P: pr}
	sample, err := s.acc.Exchange.Sample(r.Context(), p, pr.ID)
	if denied, ok := deniedOf(err); ok {
		d.Denied = deniedText(langOf(r), denied)
	} else if err != nil {
		return err
	}
	d.Table = newRowTable(langOf(r), sample.Fields, sample.Rows)
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "trade_sample", d)
}

// order files the viewer's order for the product. Form fields:
// csrf_token, buyer_org_id, order_purpose, order_fields (repeated; the
// offer's by default), order_max_calls, order_max_rows, order_period_days
// (all three optional: the offer's by default). A problem shows the
// product's page again with it beside its input (422) and orders nothing.
func (s *server) order(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	form := orderForm{BuyerOrgID: r.PostForm.Get("buyer_org_id"), Purpose: r.PostForm.Get("order_purpose"), Fields: r.PostForm["order_fields"],
		MaxCalls: r.PostForm.Get("order_max_calls"), MaxRows: r.PostForm.Get("order_max_rows"), PeriodDays: r.PostForm.Get("order_period_days")}
	pr, err := s.acc.Exchange.Product(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	in, errs := orderInput(pr, form)
	var n trade.Negotiation
	if errs == nil {
		n, err = s.acc.Trade.Request(r.Context(), p, in)
		if errs = fieldErrors(err); errs == nil && err != nil {
			return err
		}
	}
	if errs != nil {
		d, lerr := s.loadHallProduct(r)
		if lerr != nil {
			return lerr
		}
		d.Order, d.Errors = form, newFormErrors(langOf(r), renameTradeFields(errs, orderRenames))
		return s.render(w, r, http.StatusUnprocessableEntity, "trade_product", d)
	}
	return seeOther(w, r, "/exchange/negotiations/"+url.PathEscape(n.ID), "trade_ordered")
}

// orderRenames maps the request's fields to the order form's inputs.
var orderRenames = map[string]string{"purpose": "order_purpose", "period_days": "order_period_days", "policy.max_calls": "order_max_calls",
	"policy.max_rows": "order_max_rows", "policy.fields": "order_fields", "product_id": "buyer_org_id", "offer_id": "buyer_org_id"}

// orderInput is the request an order form makes: the offer's policy,
// narrowed to the fields, counts and period asked for. Numbers that are
// not whole numbers are field problems.
func orderInput(pr exchange.Product, f orderForm) (trade.RequestInput, validate.Errors) {
	in := trade.RequestInput{ProductID: pr.ID, OfferID: pr.Offer.ID, BuyerOrgID: f.BuyerOrgID, Purpose: strings.TrimSpace(f.Purpose)}
	var errs validate.Errors
	pol := pr.Offer.Policy
	pol.Fields = slices.Clone(pol.Fields)
	if len(pr.Offer.Policy.Fields) > 0 {
		if len(f.Fields) == 0 {
			errs.Add("order_fields", nil, validate.CodeRequired, "choose at least one data item")
		}
		pol.Fields = slices.DeleteFunc(slices.Clone(f.Fields), func(x string) bool { return !slices.Contains(pr.Offer.Policy.Fields, x) })
	}
	if v := numberField(&errs, "order_max_calls", f.MaxCalls); v != 0 {
		pol.MaxCalls = v
	}
	if v := numberField(&errs, "order_max_rows", f.MaxRows); v != 0 {
		pol.MaxRows = v
	}
	in.PeriodDays = int(numberField(&errs, "order_period_days", f.PeriodDays))
	in.Policy = &pol
	if len(errs) > 0 {
		return in, errs
	}
	return in, nil
}

// deniedOf returns the decision of an access denial inside err.
func deniedOf(err error) (access.Decision, bool) {
	var denied *access.DeniedError
	if errors.As(err, &denied) {
		return denied.Decision, true
	}
	return access.Decision{}, false
}
