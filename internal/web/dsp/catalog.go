package dsp

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"dataport/internal/exchange"
	"dataport/internal/exchange/trade"
)

// iri names a record by an IRI: an id that is one already (a urn: or an
// http(s) URL) as it is, a bare UUID as urn:uuid:….
func iri(id string) string {
	if strings.HasPrefix(id, "urn:") || strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "http://") {
		return id
	}
	return "urn:uuid:" + id
}

// localID is the record id an IRI made by iri names.
func localID(s string) string { return strings.TrimPrefix(s, "urn:uuid:") }

// serviceID is the @id of the provider's one data service.
func (h *Handler) serviceID() string { return h.cfg.PublicURL + Prefix }

func (h *Handler) dataService() DataService {
	return DataService{ID: h.serviceID(), Type: "DataService", EndpointURL: h.cfg.PublicURL + Prefix}
}

// deliverable says whether a product can be delivered over the protocol:
// listed, with rows to pull (API or file delivery of catalog resources).
func deliverable(p exchange.Product) bool {
	return p.Status == exchange.ProductListed && len(p.ResourceIDs) > 0 &&
		(slices.Contains(p.Delivery, exchange.DeliveryAPI) || slices.Contains(p.Delivery, exchange.DeliveryFile))
}

// offerTerms are the terms of a product's offer.
func offerTerms(p exchange.Product) Terms {
	return Terms{Policy: p.Offer.Policy, PeriodDays: p.Offer.PeriodDays, OnwardTransfer: p.Offer.OnwardTransfer}
}

// offerID is the @id of a product's offer.
func offerID(p exchange.Product) string {
	if p.Offer.ID == "" {
		return iri(p.ID) + ":offer"
	}
	return iri(p.Offer.ID)
}

// dataset is a product as a dcat:Dataset: its offer as an odrl:Offer and
// one HttpData-PULL distribution through the provider's data service.
func (h *Handler) dataset(p exchange.Product) Dataset {
	perm, prohib := offerTerms(p).Rules()
	return Dataset{ID: iri(p.ID), Type: "Dataset", Title: p.Title, Description: p.Description, Publisher: iri(p.ProviderID),
		HasPolicy:    []Policy{{ID: offerID(p), Type: "Offer", Permission: perm, Prohibition: prohib}},
		Distribution: []Distribution{{Type: "Distribution", Format: trade.FormatHTTPPull, AccessService: h.serviceID()}}}
}

// pageSize is how many datasets one catalog answer lists.
const pageSize = 100

// catalogRequest answers a CatalogRequestMessage with the catalog of
// listed products, a page at a time (a Link rel="next" names the next).
func (h *Handler) catalogRequest(w http.ResponseWriter, r *http.Request) {
	c, r, err := h.authenticate(r)
	if err != nil {
		h.fail(w, r, areaCatalog, pids{}, false, err)
		return
	}
	var m CatalogRequestMessage
	if err := decode(r, SchemaCatalogRequest, &m); err != nil {
		h.fail(w, r, areaCatalog, pids{}, false, err)
		return
	}
	if len(m.Filter) > 0 {
		h.fail(w, r, areaCatalog, pids{}, false, badRequest("filter", "catalog filters are not supported: send none"))
		return
	}
	products, next, err := h.listed(r, c, r.URL.Query().Get("continuationToken"))
	if err != nil {
		h.fail(w, r, areaCatalog, pids{}, false, err)
		return
	}
	cat := Catalog{Context: ldContext(), ID: h.cfg.PublicURL + Prefix + "/catalog", Type: "Catalog", ParticipantID: h.cfg.ParticipantID,
		Service: []DataService{h.dataService()}}
	for _, p := range products {
		if deliverable(p) {
			cat.Dataset = append(cat.Dataset, h.dataset(p))
		}
	}
	if next != "" {
		link := h.cfg.PublicURL + Prefix + "/catalog/request?continuationToken=" + url.QueryEscape(next)
		w.Header().Set("Link", "<"+link+`>; rel="next"`)
	}
	h.reply(w, r, http.StatusOK, SchemaCatalog, cat)
}

// listed is one page of listed products from cursor, and the cursor of
// the next page ("" on the last).
func (h *Handler) listed(r *http.Request, c caller, cursor string) ([]exchange.Product, string, error) {
	ps, err := h.ex.Products(r.Context(), c.p, exchange.ProductFilter{Status: exchange.ProductListed, Cursor: cursor, Limit: pageSize + 1})
	if err != nil {
		return nil, "", err
	}
	if len(ps) <= pageSize {
		return ps, "", nil
	}
	return ps[:pageSize], ps[pageSize-1].ID, nil
}

// dataset answers GET /catalog/datasets/{id} with a listed product.
func (h *Handler) datasetByID(w http.ResponseWriter, r *http.Request) {
	c, r, err := h.authenticate(r)
	if err != nil {
		h.fail(w, r, areaCatalog, pids{}, false, err)
		return
	}
	p, err := h.ex.Product(r.Context(), c.p, localID(r.PathValue("id")))
	if err != nil || !deliverable(p) {
		if err == nil || isNotFound(err) {
			err = &requestError{status: http.StatusNotFound, code: "not_found", reason: "no such dataset"}
		}
		h.fail(w, r, areaCatalog, pids{}, false, err)
		return
	}
	d := h.dataset(p)
	d.Context = ldContext()
	h.reply(w, r, http.StatusOK, SchemaDataset, d)
}
