package ui

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/validate"
)

// The exchange's pages for participants, products, the compliance review,
// asset registration and valuation (the trading hall, contracts, risk and
// disputes are the trade pages'). They share a local navigation, the
// parsing of money and rates typed in yuan and percent, and the mapping of
// the domain's field paths to the inputs of their forms.

// exchangeNav is the local navigation of the exchange's pages: which
// section is shown and what the viewer may reach.
type exchangeNav struct {
	Current  string // participants, products, review, registrations, certificates, valuations
	SignedIn bool
	Staff    bool // the exchange's staff (or platform staff): the review desk
	LawFirm  bool // a member of an admitted law firm: the review desk
	Assets   bool // the registry is served
}

// ExchangeServices reports whether the page is one of the exchange's
// participant, product, review, registration or valuation pages (the
// navigation's "exchange services").
func (v view) ExchangeServices() bool {
	for _, section := range []string{"participants", "products", "review", "listings", "applications", "registrations", "certificates", "valuations"} {
		if v.Current("/exchange/" + section) {
			return true
		}
	}
	return false
}

// exchangeNavFor builds the navigation of section for r's viewer.
func (s *server) exchangeNavFor(r *http.Request, section string) exchangeNav {
	p := principal(r)
	n := exchangeNav{Current: section, SignedIn: !p.IsAnonymous(), Staff: exchange.CanStaff(p) || p.IsPlatformStaff(),
		Assets: s.acc.Assets != nil}
	for _, pt := range s.participantsOf(r.Context(), p) {
		if pt.Trading() && pt.Has(exchange.RoleLawFirm) {
			n.LawFirm = true
		}
	}
	return n
}

// participantsOf returns the participants of p's organizations (those
// that ever applied), found through the applications they filed, newest
// application first.
func (s *server) participantsOf(ctx context.Context, p identity.Principal) []exchange.Participant {
	if p.IsAnonymous() || len(p.OrgIDs()) == 0 {
		return nil
	}
	apps, err := s.acc.Exchange.ApplicationReviews().List(ctx, p, review.Filter{Side: "sent", Limit: 500})
	if err != nil {
		s.log.WarnContext(ctx, "ui: the viewer's exchange applications", "err", err)
		return nil
	}
	var out []exchange.Participant
	seen := map[string]bool{}
	for _, a := range apps {
		if seen[a.ParticipantID] {
			continue
		}
		seen[a.ParticipantID] = true
		if pt, err := s.acc.Exchange.Participant(ctx, p, a.ParticipantID); err == nil {
			out = append(out, pt)
		}
	}
	return out
}

// exchangeFields maps the domain's field paths to the keys of the exchange
// forms' inputs ("offer.policy.max_calls" → "offer_max_calls"), so that each
// problem is shown beside its input.
var exchangeFields = []struct {
	from *regexp.Regexp
	to   string
}{
	{regexp.MustCompile(`^offer\.policy\.(fields|purposes|max_calls|max_rows|rows_per_request|row_filter)\b`), "offer_$1"},
	{regexp.MustCompile(`^offer\.policy\.actions\b`), "delivery"},
	{regexp.MustCompile(`^offer\.policy\.rate_per_minute\b`), "offer_max_calls"},
	{regexp.MustCompile(`^offer\.period_days\b`), "offer_period_days"},
	{regexp.MustCompile(`^price\.model\b`), "price_model"},
	{regexp.MustCompile(`^price\.amount_fen\b`), "price_yuan"},
	{regexp.MustCompile(`^price\.period_days\b`), "price_period_days"},
	{regexp.MustCompile(`^(?:checklist|items)\.([a-z_]+)$`), "check_$1"},
	{regexp.MustCompile(`^legal_representative\b`), "legal_rep"},
	{regexp.MustCompile(`^other_participant_id\b`), "relation_other"},
	{regexp.MustCompile(`^cost\.(collection|processing|storage|other)_fen\b`), "cost_$1"},
	{regexp.MustCompile(`^cost\.profit_rate_bp\b`), "cost_profit_rate"},
	{regexp.MustCompile(`^cost\.depreciation_rate_bp\b`), "cost_depreciation"},
	{regexp.MustCompile(`^cost$`), "cost_collection"},
	{regexp.MustCompile(`^income\.cash_flows_fen\b`), "income_cash_flows"},
	{regexp.MustCompile(`^income\.period_years\b`), "income_period_years"},
	{regexp.MustCompile(`^income\.discount_rate_bp\b`), "income_discount_rate"},
	{regexp.MustCompile(`^income\.share_rate_bp\b`), "income_share_rate"},
	{regexp.MustCompile(`^income$`), "income_cash_flows"},
	{regexp.MustCompile(`^market\b`), "market_comparables"},
	{regexp.MustCompile(`^report\..*$`), "report_file"},
}

// exchangeCodes are problem codes the exchange's forms say otherwise than
// the rest of the UI, by input and code: the same code means something
// else there (a grant's resources of another provider), or carries other
// arguments (a file's limit in bytes).
var exchangeCodes = map[string]string{"resource_ids/other_provider": "exchange_other_provider", "report_file/too_large": "report_too_large"}

// exchangeErrors translates errs for a form of the exchange whose inputs
// rename some domain fields (renames: domain field key → input key, after
// the table above).
func exchangeErrors(lang string, errs validate.Errors, renames map[string]string) formErrors {
	out := make(validate.Errors, len(errs))
	for i, e := range errs {
		for _, m := range exchangeFields {
			if m.from.MatchString(e.Field) {
				e.Field = m.from.ReplaceAllString(e.Field, m.to)
				break
			}
		}
		if to, ok := renames[fieldKey(e.Field)]; ok {
			e.Field = to
		}
		if code, ok := exchangeCodes[fieldKey(e.Field)+"/"+e.Code]; ok {
			e.Code = code
		}
		out[i] = e
	}
	return newFormErrors(lang, out)
}

// scaled reads a decimal number typed with at most decimals places as an
// integer of its smallest unit: "12.5" yuan is 1250 fen (decimals 2), "8.25"
// percent is 825 basis points (decimals 2), a factor "1.05" is 10500 basis
// points (decimals 4). ok is false for anything else.
func scaled(s string, decimals int) (int64, bool) {
	s = strings.TrimSpace(strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", "%", "").Replace(s))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, dotted := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > decimals || dotted && frac == "" {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		if strings.Trim(part, "0123456789") != "" {
			return 0, false
		}
	}
	unit := int64(math.Pow10(decimals))
	w := int64(0)
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w > math.MaxInt64/unit-1 {
			return 0, false
		}
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", decimals-len(frac)), 10, 64)
	}
	v := w*unit + f
	if neg {
		v = -v
	}
	return v, true
}

// unscaled writes v of the smallest unit back as the decimal a person
// types: 1250 fen is "12.50" yuan, 10500 basis points "1.05".
func unscaled(v int64, decimals int) string {
	unit := int64(math.Pow10(decimals))
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	if decimals == 0 {
		return sign + strconv.FormatInt(v, 10)
	}
	frac := fmt.Sprintf("%0*d", decimals, v%unit)
	if decimals > 2 {
		frac = strings.TrimRight(frac, "0")
		if len(frac) < 2 {
			frac += strings.Repeat("0", 2-len(frac))
		}
	}
	return fmt.Sprintf("%s%d.%s", sign, v/unit, frac)
}

// yuan shows an amount in fen as yuan: "¥1,250.00".
func yuan(fen int64) string {
	s := unscaled(fen, 2)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return sign + "¥" + whole + "." + frac
}

// numberField reads the optional whole number typed in field key, adding a
// problem to errs when it is not one ("" is 0).
func numberField(errs *validate.Errors, key, s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		errs.Add(key, s, validate.CodeInteger, "must be a whole number")
	}
	return n
}

// scaledField reads the decimal typed in field key with at most decimals
// places, adding a problem (code "decimal", args: decimals) when it is not
// one; "" is nil.
func scaledField(errs *validate.Errors, key, s string, decimals int) *int64 {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	v, ok := scaled(s, decimals)
	if !ok {
		errs.Add(key, s, "decimal", "must be a number with at most %d decimal places", decimals)
		return nil
	}
	return &v
}

// lines splits a textarea into its non-empty lines, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// orEmptyRows pads list with blank entries to at least n, and one blank
// more, so that a form without scripts offers room for another entry.
func orEmptyRows(list []string, n int) []string {
	out := append([]string{}, list...)
	out = append(out, "")
	for len(out) < n {
		out = append(out, "")
	}
	return out
}

// participantTag is the CSS modifier of a participant's or product's
// status tag, in the catalog's colours.
func participantTag(status string) string {
	switch status {
	case "admitted", "listed", "effective", "publicity", "approved":
		return "published"
	case "rejected", "suspended", "delisted", "revoked", "refused", "sustained", "cancelled", "superseded":
		return "returned"
	case "applied", "in_review", "review", "staff_review", "compliance_review", "exchange_review", "counterparty_consent", "more_info":
		return "submitted"
	}
	return "draft"
}
