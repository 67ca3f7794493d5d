package ui

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"

	"dataport/internal/access"
	"dataport/internal/datastore"
	"dataport/internal/exchange"
	"dataport/internal/exchange/trade"
	"dataport/internal/web/ui/i18n"
)

// The trade pages of the exchange: the trading hall, orders and contracts
// with their delivery, settlement and rating, the risk desk and disputes
// (the participants', products', review and registry pages are the
// exchange pages'). They share a local navigation that reaches both, and
// put prices, offers and states into plain words.

// TradeSection reports whether the page is one of the trade pages (the
// navigation's "data exchange"): the hall, orders and contracts, disputes
// and the risk desk.
func (v view) TradeSection() bool {
	here, _, _ := strings.Cut(v.Path, "?")
	if here == "/exchange" {
		return true
	}
	for _, section := range []string{"hall", "contracts", "negotiations", "disputes", "risk"} {
		if v.Current("/exchange/" + section) {
			return true
		}
	}
	return false
}

// tradeNav is the exchange's local navigation as the trade pages show it:
// their own sections and those of the exchange's other pages.
type tradeNav struct {
	exchangeNav
	Section  string // hall, contracts, disputes, risk
	Risk     bool   // the risk desk is served and the viewer is the exchange's staff
	Disputes bool   // disputes are served
}

// tradeNavFor builds the navigation of section for r's viewer.
func (s *server) tradeNavFor(r *http.Request, section string) tradeNav {
	return tradeNav{exchangeNav: s.exchangeNavFor(r, ""), Section: section,
		Risk: s.acc.Risk != nil && exchange.CanStaff(principal(r)), Disputes: s.acc.Disputes != nil}
}

// priceWords says a price as a person reads it: "¥1,000.00 / 30 天".
func priceWords(lang string, p exchange.Price) string {
	amount := yuan(p.AmountFen)
	switch p.Model {
	case exchange.PriceSubscription:
		return i18n.T(lang, "trade.price.subscription", amount, p.PeriodDays)
	case exchange.PricePerCall, exchange.PricePerRow, exchange.PriceOneOff:
		return i18n.T(lang, "trade.price."+string(p.Model), amount)
	}
	return amount
}

// policyWords puts a usage policy and its contract period into plain
// sentences, one per constraint, in the order a buyer asks about them.
func policyWords(lang string, pol access.Policy, periodDays int) []string {
	var out []string
	add := func(key string, args ...any) { out = append(out, i18n.T(lang, key, args...)) }
	if len(pol.Purposes) > 0 {
		add("trade.policy.purposes", strings.Join(pol.Purposes, listSep(lang)))
	}
	if len(pol.Fields) > 0 {
		add("trade.policy.fields", strings.Join(pol.Fields, listSep(lang)))
	} else {
		add("trade.policy.all_fields")
	}
	if len(pol.Actions) > 0 {
		var acts []string
		for _, a := range pol.Actions {
			acts = append(acts, codeLabel(lang, "action", string(a)))
		}
		add("trade.policy.actions", strings.Join(acts, listSep(lang)))
	}
	if pol.MaxCalls > 0 {
		add("trade.policy.max_calls", pol.MaxCalls)
	}
	if pol.MaxRows > 0 {
		add("trade.policy.max_rows", pol.MaxRows)
	}
	if pol.RowsPerRequest > 0 {
		add("trade.policy.rows_per_request", pol.RowsPerRequest)
	}
	if pol.RatePerMinute > 0 {
		add("trade.policy.rate", pol.RatePerMinute)
	}
	if pol.RowFilter != "" {
		add("trade.policy.row_filter", pol.RowFilter)
	}
	if pol.DeidProfile != "" {
		add("trade.policy.deid")
	}
	if periodDays > 0 {
		add("trade.policy.period", periodDays)
	}
	return out
}

// onwardWords says whether the buyer may pass the data on.
func onwardWords(lang string, onward bool) string {
	if onward {
		return i18n.T(lang, "trade.policy.onward_allowed")
	}
	return i18n.T(lang, "trade.policy.onward_forbidden")
}

// listSep separates the entries of a list written inline.
func listSep(lang string) string {
	if lang == langEn {
		return ", "
	}
	return "、"
}

// negotiationSteps are the states a negotiation passes on its way to a
// contract, as the page's progress list shows them: the counter-offer's
// two only while one is on the table (a negotiation keeps no history of
// them once agreed).
func negotiationSteps(now trade.State) []trade.State {
	if now == trade.Offered || now == trade.Accepted {
		return []trade.State{trade.Requested, trade.Offered, trade.Accepted, trade.Agreed, trade.Verified, trade.Finalized}
	}
	return []trade.State{trade.Requested, trade.Agreed, trade.Verified, trade.Finalized}
}

// stateTag is the CSS modifier of a negotiation's, transfer's, contract's,
// dispute's or alert's status tag, in the catalog's colours.
func stateTag(state string) string {
	switch strings.ToLower(state) {
	case "finalized", "active", "started", "completed", "settled", "decided", "closed":
		return "published"
	case "terminated", "suspended", "withdrawn":
		return "returned"
	case "requested", "offered", "accepted", "agreed", "verified", "open", "mediation", "arbitration", "acknowledged":
		return "submitted"
	}
	return "draft"
}

// shortID is the tail of a long identifier, enough to tell records apart
// in a list ("urn:uuid:…4f2a9c1e").
func shortID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return "…" + id[len(id)-8:]
}

// rowTable is rows read through the access point as a table shows them:
// the fields' labels and each value as text (no value as a dash), without
// the store's row id.
type rowTable struct {
	Header []string
	Rows   [][]string
}

func newRowTable(lang string, fields []datastore.RowField, rows [][]any) rowTable {
	var t rowTable
	var keep []int
	for i, f := range fields {
		if f.ID == "_id" {
			continue
		}
		keep = append(keep, i)
		t.Header = append(t.Header, cmp.Or(f.Label, f.ID))
	}
	for _, row := range rows {
		cells := make([]string, 0, len(keep))
		for _, i := range keep {
			if i >= len(row) || row[i] == nil {
				cells = append(cells, i18n.T(lang, "none"))
			} else {
				cells = append(cells, datastore.CellText(row[i]))
			}
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

// tradeHelpers gives the trade pages' data what their templates need to
// show amounts, states and identifiers inside nested records.
type tradeHelpers struct{}

// Yuan shows an amount in fen as yuan.
func (tradeHelpers) Yuan(fen int64) string { return yuan(fen) }

// TagOf is the CSS modifier of a state's tag.
func (tradeHelpers) TagOf(state any) string { return stateTag(fmt.Sprint(state)) }

// Short is the tail of a long identifier.
func (tradeHelpers) Short(id string) string { return shortID(id) }

// StarChoices are the ratings a buyer may give.
func (tradeHelpers) StarChoices() []string { return []string{"5", "4", "3", "2", "1"} }
