package ui

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/exchange"
	"dataport/internal/exchange/dispute"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// A contract's page: its terms and hash with the downloads that prove
// them, the delivery (the grant and its use against the contract's limits,
// the data address of an API delivery, the file through the grant, the
// rows read here), settlement with its invoices, the buyer's rating and
// the disputes on it.

// grantView is a contract's delivery grant as its page shows it.
type grantView struct {
	access.Grant
	State               access.GrantStatus
	CallsLeft, RowsLeft int64
}

// contractData is a contract's page.
type contractData struct {
	tradeHelpers
	Nav            tradeNav
	C              contractRow
	Terms          []string
	Price          string
	ReceiptEventID string
	Resources      []catalog.Resource
	Grant          *grantView // nil before delivery, or when the viewer may not see it
	Transfers      []trade.Transfer
	Address        *trade.DataAddress // issued just now: shown once
	Settlement     *trade.Settlement
	Rating         *trade.Rating
	Disputes       []dispute.Dispute
	Buyer          bool // the viewer acts for the buyer (editor or admin)
	Provider       bool // the viewer acts for the provider
	Staff          bool
	Stars          string
	Comment        string
	Errors         formErrors
}

// Delivers says whether the contract delivers in mode m.
func (d contractData) Delivers(m string) bool {
	return slices.Contains(d.C.Delivery, exchange.DeliveryMode(m))
}

// Delivered says whether the contract is active or past it, with a grant.
func (d contractData) Delivered() bool {
	return d.C.GrantID != "" && d.C.Status != trade.ContractTerminated
}

// CanSettle says whether the viewer may settle the contract now.
func (d contractData) CanSettle() bool {
	return (d.Provider || d.Staff) && d.C.Status == trade.ContractActive
}

// CanRate says whether the viewer may rate the contract now.
func (d contractData) CanRate() bool {
	settled := d.C.Status == trade.ContractSettled || d.C.Status == trade.ContractCompleted
	for _, t := range d.Transfers {
		settled = settled || t.State == trade.Completed
	}
	return d.Buyer && d.Rating == nil && settled
}

// CanDispute says whether the viewer may open a dispute on the contract.
func (d contractData) CanDispute() bool { return d.Nav.Disputes && (d.Buyer || d.Provider) }

// contractPage shows a contract to its parties and the exchange's staff;
// to anyone else it does not exist.
func (s *server) contractPage(w http.ResponseWriter, r *http.Request) error {
	return s.showContract(w, r, http.StatusOK, contractData{})
}

func (s *server) showContract(w http.ResponseWriter, r *http.Request, status int, d contractData) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	ctx, lang, tr := r.Context(), langOf(r), s.acc.Trade
	c, err := tr.Contract(ctx, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	n := newNames(s, ctx, p)
	d.Nav, d.C, d.Price = s.tradeNavFor(r, "contracts"), contractRowOf(n, lang, c), priceWords(lang, c.Price)
	d.Terms = append(policyWords(lang, c.Policy, c.PeriodDays), onwardWords(lang, c.OnwardTransfer))
	d.Buyer, d.Provider, d.Staff = p.AtLeast(c.BuyerOrgID, identity.RoleEditor), p.AtLeast(c.ProviderOrgID, identity.RoleEditor), exchange.CanStaff(p)
	for _, id := range c.ResourceIDs {
		d.Resources = append(d.Resources, n.resource(id))
	}
	if d.ReceiptEventID, err = tr.AgreedEventID(ctx, c.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if c.GrantID != "" {
		if g, err := s.acc.Access.Grant(ctx, p, c.GrantID); err == nil {
			d.Grant = newGrantView(g)
		}
	}
	if d.Transfers, err = tr.Transfers(ctx, p, c.ID); err != nil {
		return err
	}
	if st, err := tr.Settlement(ctx, p, c.ID); err == nil {
		d.Settlement = &st
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if rt, err := tr.Rating(ctx, p, c.ID); err == nil {
		d.Rating = &rt
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if s.acc.Disputes != nil {
		if d.Disputes, err = s.acc.Disputes.Disputes(ctx, p, dispute.Filter{ContractID: c.ID, Limit: 20}); err != nil {
			return err
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "trade_contract", d)
}

func newGrantView(g access.Grant) *grantView {
	v := &grantView{Grant: g, State: g.StatusAt(time.Now())}
	if g.Policy.MaxCalls > 0 {
		v.CallsLeft = max(g.Policy.MaxCalls-g.Usage.Calls, 0)
	}
	if g.Policy.MaxRows > 0 {
		v.RowsLeft = max(g.Policy.MaxRows-g.Usage.Rows, 0)
	}
	return v
}

// contractDocument downloads the contract's canonical JSON, exactly as it
// was hashed and sealed.
func (s *server) contractDocument(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	doc, c, err := s.acc.Trade.ContractDocument(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return sendFile(w, "application/json", "contract-"+fileSafe(c.ID)+".json", doc)
}

// contractEvidence downloads the contract's evidence package: the
// contract, its events and their receipts, checked offline with
// `dataport ledger verify --bundle FILE`.
func (s *server) contractEvidence(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.acc.Disputes.ContractEvidence(r.Context(), p, r.PathValue("id"), &buf); err != nil {
		return bundleError(err)
	}
	return sendFile(w, "application/zip", "contract-"+fileSafe(r.PathValue("id"))+"-evidence.zip", buf.Bytes())
}

// bundleError turns a bundle whose events wait for the ledger into a
// "try again shortly" page.
func bundleError(err error) error {
	if errors.Is(err, ledger.ErrNotSealed) {
		return &uiError{http.StatusConflict, "trade.not_sealed"}
	}
	return err
}

// sendFile answers body as an attachment named name.
func sendFile(w http.ResponseWriter, contentType, name string, body []byte) error {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	_, err := w.Write(body)
	return err
}

// fileSafe makes an identifier fit a file name ("urn:uuid:x" → "urn-uuid-x").
func fileSafe(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '-'
	}, id)
}

// contractResource returns the contract id of the request and the
// resource of ?resource= among its resources (the first by default).
func (s *server) contractResource(r *http.Request, p identity.Principal) (trade.Contract, string, error) {
	c, err := s.acc.Trade.Contract(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return c, "", err
	}
	res := r.URL.Query().Get("resource")
	if res == "" && len(c.ResourceIDs) > 0 {
		res = c.ResourceIDs[0]
	}
	if !slices.Contains(c.ResourceIDs, res) {
		return c, "", fmt.Errorf("ui: resource %q is not the contract's: %w", res, store.ErrNotFound)
	}
	return c, res, nil
}

// rowsPageSize is how many rows the contract's rows page reads at once.
const rowsPageSize = 20

// contractRowsData is the page of rows read under a contract.
type contractRowsData struct {
	Nav      tradeNav
	C        contractRow
	Resource catalog.Resource
	Table    rowTable
	Next     string
	Denied   string
}

// contractRowsPage reads a page of the contract's resource as the viewer,
// through the access decision point: the delivery grant decides, counts
// the read against the contract's limits and serves only its fields.
func (s *server) contractRowsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if s.datastore == nil {
		return s.notFound(w, r)
	}
	c, res, err := s.contractResource(r, p)
	if err != nil {
		return err
	}
	n := newNames(s, r.Context(), p)
	d := contractRowsData{Nav: s.tradeNavFor(r, "contracts"), C: contractRowOf(n, langOf(r), c), Resource: n.resource(res)}
	rows, err := s.datastore.Search(r.Context(), p, res, access.ChannelUIPreview,
		datastore.Query{Limit: rowsPageSize, Cursor: r.URL.Query().Get("cursor")})
	if decision, ok := deniedOf(err); ok {
		d.Denied = deniedText(langOf(r), decision) // shown as the page's message, like the dataset page's preview
	} else if errors.Is(err, datastore.ErrNoData) {
		d.Denied = refusalText(langOf(r), err)
	} else if fieldErrors(err) != nil {
		return fmt.Errorf("ui: cursor: %w", store.ErrNotFound) // a cursor that is not one of ours
	} else if err != nil {
		return err
	}
	d.Table = newRowTable(langOf(r), rows.Fields, rows.Rows)
	if rows.NextCursor != "" {
		d.Next = "/exchange/contracts/" + url.PathEscape(c.ID) + "/rows?" + url.Values{"resource": {res}, "cursor": {rows.NextCursor}}.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "trade_rows", d)
}

// contractFile downloads the contract's resource as CSV through the
// delivery grant (file delivery): every row and field the grant allows,
// decided and counted like any other download.
func (s *server) contractFile(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if s.datastore == nil {
		return s.notFound(w, r)
	}
	_, res, err := s.contractResource(r, p)
	if err != nil {
		return err
	}
	exp, err := s.datastore.PrepareExport(r.Context(), p, res, access.ChannelAPIExport, datastore.Query{})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := exp.WriteTo(r.Context(), &buf, "csv", true); err != nil {
		return err
	}
	return sendFile(w, "text/csv; charset=utf-8", fileSafe(exp.Code)+".csv", buf.Bytes())
}

// dataAddress hands the buyer where and how to read the contract's data by
// API: the started transfer's (one is started when none is), with a fresh
// short-lived key shown once. Form fields: csrf_token.
func (s *server) dataAddress(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	ctx, tr, id := r.Context(), s.acc.Trade, r.PathValue("id")
	transfers, err := tr.Transfers(ctx, p, id)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(transfers, func(t trade.Transfer) bool { return t.State == trade.Started })
	var t trade.Transfer
	if i >= 0 {
		t = transfers[i]
	} else if t, err = tr.RequestTransfer(ctx, p, trade.TransferInput{ContractID: id, Format: trade.FormatHTTPPull}); err != nil {
		return err
	}
	addr, err := tr.AddressFor(ctx, p, t.ID)
	if err != nil {
		return err
	}
	return s.showContract(w, r, http.StatusOK, contractData{Address: &addr})
}

// completeTransfer marks a started transfer completed (either party).
// Form fields: csrf_token.
func (s *server) completeTransfer(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	t, err := s.acc.Trade.Transfer(r.Context(), p, r.PathValue("transfer"))
	if err != nil {
		return err
	}
	if t.ContractID != r.PathValue("id") {
		return fmt.Errorf("ui: transfer %s is not the contract's: %w", t.ID, store.ErrNotFound)
	}
	if _, err := s.acc.Trade.CompleteTransfer(r.Context(), p, t.ID); err != nil {
		return err
	}
	return seeOther(w, r, "/exchange/contracts/"+url.PathEscape(t.ContractID), "trade_transfer_completed")
}

// settle records the contract's settlement (the provider's editors or the
// exchange's staff). Form fields: csrf_token.
func (s *server) settle(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if _, err := s.acc.Trade.Settle(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, "/exchange/contracts/"+url.PathEscape(r.PathValue("id")), "trade_settled")
}

// rate records the buyer's rating. Form fields: csrf_token, rating_stars
// (1–5), rating_comment.
func (s *server) rate(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	stars, comment := r.PostForm.Get("rating_stars"), r.PostForm.Get("rating_comment")
	n, convErr := strconv.Atoi(strings.TrimSpace(stars))
	if convErr != nil {
		err = validate.Errors{{Field: "stars", Value: stars, Code: validate.CodeRange, Args: []any{1, 5}, Message: "must be between 1 and 5"}}
	} else {
		_, err = s.acc.Trade.Rate(r.Context(), p, r.PathValue("id"), n, comment)
	}
	if errs := fieldErrors(err); errs != nil {
		return s.showContract(w, r, http.StatusUnprocessableEntity, contractData{Stars: stars, Comment: comment,
			Errors: newFormErrors(langOf(r), renameTradeFields(errs, map[string]string{"stars": "rating_stars", "comment": "rating_comment"}))})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/exchange/contracts/"+url.PathEscape(r.PathValue("id")), "trade_rated")
}
