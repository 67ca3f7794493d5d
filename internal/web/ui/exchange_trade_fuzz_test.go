package ui

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"dataport/internal/access"
	"dataport/internal/exchange"
)

// FuzzHallQuery feeds a visitor's query string to the trading hall: the
// filter's page stays between 1 and the last page the scan fills, and the
// hall's own links read back to the same filter.
func FuzzHallQuery(f *testing.F) {
	f.Add("q=%E9%80%9A%E5%8B%A4+%E5%AE%A2%E6%B5%81&delivery=api&price=per_row&provider=p1&page=2")
	f.Add("page=99999999999999999999")
	f.Add("page=-1&q=%20%20&delivery=zone")
	f.Add("q=a%26b%3Dc&provider=%23x")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		hf := readHallFilter(q)
		if hf.Page < 1 || hf.Page > hallScan/hallPageSize+1 {
			t.Fatalf("%q: page %d", raw, hf.Page)
		}
		for _, page := range []int{1, hf.Page, hf.Page + 1} {
			link, err := url.Parse(hf.query(page))
			if err != nil || link.Path != "/exchange" {
				t.Fatalf("%q: link %q: %v", raw, hf.query(page), err)
			}
			back := readHallFilter(link.Query())
			want := hf
			want.Page = min(max(1, page), hallScan/hallPageSize+1)
			if back != want && utf8.ValidString(raw) {
				t.Fatalf("%q: the link of page %d reads back as %+v, want %+v", raw, page, back, want)
			}
		}
	})
}

// FuzzOrderForm feeds the order form's values to the order it makes: a
// problem names one of the form's number inputs or its data items, and an
// order asks only for data items the offer names, with the counts and
// period typed (or the offer's when left empty).
func FuzzOrderForm(f *testing.F) {
	f.Add("order_purpose=%E5%95%86%E5%9C%88&order_fields=station&order_fields=phone&order_max_calls=2&order_period_days=30")
	f.Add("order_max_calls=abc&order_max_rows=-5&order_period_days=99999999999999999999")
	f.Add("order_fields=&order_max_rows=+7")
	pr := exchange.Product{ID: "p", Offer: exchange.Offer{ID: "o", PeriodDays: 90,
		Policy: access.Policy{Purposes: []string{"商圈"}, Fields: []string{"station", "riders"}, MaxCalls: 3, MaxRows: 100}}}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		form := orderForm{BuyerOrgID: v.Get("buyer_org_id"), Purpose: v.Get("order_purpose"), Fields: v["order_fields"],
			MaxCalls: v.Get("order_max_calls"), MaxRows: v.Get("order_max_rows"), PeriodDays: v.Get("order_period_days")}
		in, errs := orderInput(pr, form)
		for _, e := range errs {
			if !slices.Contains([]string{"order_fields", "order_max_calls", "order_max_rows", "order_period_days"}, e.Field) {
				t.Fatalf("%q: a problem at %q", raw, e.Field)
			}
		}
		if errs != nil {
			return
		}
		if in.ProductID != pr.ID || in.OfferID != pr.Offer.ID || in.Purpose != strings.TrimSpace(form.Purpose) {
			t.Fatalf("%q: request %+v", raw, in)
		}
		for _, fd := range in.Policy.Fields {
			if !slices.Contains(pr.Offer.Policy.Fields, fd) {
				t.Fatalf("%q: asks for %q, not in the offer", raw, fd)
			}
		}
		for _, c := range []struct {
			typed   string
			got     int64
			offered int64
		}{{form.MaxCalls, in.Policy.MaxCalls, pr.Offer.Policy.MaxCalls}, {form.MaxRows, in.Policy.MaxRows, pr.Offer.Policy.MaxRows},
			{form.PeriodDays, int64(in.PeriodDays), 0}} {
			n, err := strconv.ParseInt(strings.TrimSpace(c.typed), 10, 64)
			switch {
			case strings.TrimSpace(c.typed) == "" && c.got != c.offered:
				t.Fatalf("%q: an empty count became %d, not the offer's %d", raw, c.got, c.offered)
			case err == nil && n != 0 && c.got != n && c.got != int64(int(n)):
				t.Fatalf("%q: %q became %d", raw, c.typed, c.got)
			}
		}
	})
}
