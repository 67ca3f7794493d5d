package ui

import (
	"strings"
	"testing"

	"dataport/internal/exchange"
	registry "dataport/internal/exchange/asset"
	"dataport/internal/validate"
	"dataport/internal/web/ui/i18n"
)

// TestExchangeCodeListsAreTranslated checks every code the exchange's
// pages translate, in both languages, from the domain's own lists.
func TestExchangeCodeListsAreTranslated(t *testing.T) {
	lists := map[string][]string{
		"exchange.role":           stringsOf(exchange.Roles),
		"exchange.role_hint":      stringsOf(exchange.Roles),
		"exchange.pstatus":        {"applied", "admitted", "rejected", "suspended"},
		"exchange.tier":           exchange.Tiers,
		"exchange.relation":       stringsOf(exchange.RelationKinds),
		"exchange.relation_of":    stringsOf(exchange.RelationKinds),
		"exchange.doc":            append(append([]string{}, exchange.ParticipantDocumentKinds...), exchange.ProductDocumentKinds...),
		"exchange.product_status": stringsOf(productStatuses),
		"exchange.source":         stringsOf(exchange.Sources),
		"exchange.delivery":       stringsOf(exchange.DeliveryModes),
		"exchange.price":          stringsOf(exchange.PriceModels),
		"exchange.dimension":      stringsOf(listingData{}.Dimensions()),
		"exchange.tick":           {"yes", "no", "none"},
		"exchange.vote":           {"none", "draft", "approve", "reject"},
		"exchange.reviewer":       {exchange.ReviewerExchange, exchange.ReviewerLawFirm, "takeover", "counterparty"},
		"exchange.regtype":        append(stringsOf(registry.Types), string(registry.TypeObjection)),
		"exchange.regtype_hint":   stringsOf(registry.Types),
		"exchange.right":          stringsOf(registry.Rights),
		"exchange.stage":          stringsOf(registry.Stages),
		"exchange.method":         stringsOf(registry.Methods),
		"request":                 {exchange.StaffReview, "admitted", exchange.ComplianceReview, "listed", string(registry.StatusConsent), string(registry.StatusReview), string(registry.StatusApproved), "more_info", "rejected", "withdrawn", "expired"},
		"step":                    {"submitted", "admitted", "listed", "approved", "rejected", "more_info", "answered", "party_set", "withdrawn", "expired"},
		"casekind":                {exchange.ApplicationKind, exchange.ListingKind, registry.Kind},
	}
	for list, codes := range lists {
		for _, code := range codes {
			checkMessage(t, list, list+"."+code)
		}
	}
	var dims int
	for _, it := range exchange.CheckItems {
		checkMessage(t, "checklist", "exchange.check."+it.Key)
		checkMessage(t, "checklist", "field.check_"+it.Key)
		dims += len(listingData{}.Items(it.Dimension))
	}
	if dims == 0 {
		t.Error("no checklist point has a dimension the desk shows")
	}
}

// TestExchangeTableIsServed checks that every string of the exchange's
// table is the one the catalog serves: a key another table defines
// differently would be shown in its words on these pages.
func TestExchangeTableIsServed(t *testing.T) {
	for _, key := range i18n.Keys("exchange.") {
		checkMessage(t, "exchange table", "exchange."+key)
	}
	for _, code := range []string{"decimal", "use_scenario_required", "checklist_required", "not_ticked", "conflict_of_interest",
		"exchange_other_provider", "report_too_large", "already_registered", "one_per_year", "related_party"} {
		for _, lang := range []string{langZh, langEn} {
			if text, ok := i18n.Problem(lang, code, []any{2, 3}); !ok || text == "" {
				t.Errorf("problem %s has no %s text", code, lang)
			}
		}
	}
}

// TestExchangeErrorsReachTheirInputs maps the domain's field paths to the
// exchange forms' inputs, each with a label in both languages.
func TestExchangeErrorsReachTheirInputs(t *testing.T) {
	for field, key := range map[string]string{
		"offer.policy.fields[1]":        "offer_fields",
		"offer.policy.max_rows":         "offer_max_rows",
		"offer.policy.actions[0]":       "delivery",
		"offer.period_days":             "offer_period_days",
		"price.amount_fen":              "price_yuan",
		"price.period_days":             "price_period_days",
		"checklist.source_lawful":       "check_source_lawful",
		"items.no_core_data":            "check_no_core_data",
		"legal_representative":          "legal_rep",
		"cost.collection_fen":           "cost_collection",
		"cost.profit_rate_bp":           "cost_profit_rate",
		"income.cash_flows_fen[2]":      "income_cash_flows",
		"market.comparables[0].price":   "market_comparables",
		"report.content":                "report_file",
		"title":                         "product_title",
		"use_scenarios[3]":              "use_scenarios",
		"resource_ids[0]":               "resource_ids",
		"other_participant_id":          "relation_other",
		"income.discount_rate_bp":       "income_discount_rate",
		"assumptions[4]":                "assumptions",
		"cost":                          "cost_collection",
		"offer.policy.rate_per_minute":  "offer_max_calls",
		"offer.policy.row_filter":       "offer_row_filter",
		"sample_deid_profile":           "sample_deid_profile",
		"market.comparables[2].quality": "market_comparables",
	} {
		fe := exchangeErrors(langZh, validate.Errors{{Field: field, Code: validate.CodeRequired, Message: "is required"}}, productRenames)
		if got := fe.For(key); len(got) != 1 {
			t.Errorf("%s: problems at %s = %v (summary %v)", field, key, got, fe.Summary())
			continue
		}
		checkMessage(t, field, "field."+key)
	}
	fe := exchangeErrors(langEn, validate.Errors{{Field: "resource_ids[0]", Code: "other_provider", Message: "x"}}, nil)
	if got := fe.For("resource_ids"); len(got) != 1 || !strings.Contains(got[0], "provider's own organisation") {
		t.Errorf("a resource of another provider: %v", got)
	}
}

func TestScaled(t *testing.T) {
	for _, test := range []struct {
		in       string
		decimals int
		want     int64
		ok       bool
	}{
		{"12.5", 2, 1250, true},
		{"1,200", 2, 120000, true},
		{"¥0.05", 2, 5, true},
		{"-3.1", 2, -310, true},
		{".5", 2, 50, true},
		{"8.25%", 2, 825, true},
		{"1.05", 4, 10500, true},
		{"12.345", 2, 0, false},
		{"1.", 2, 0, false},
		{"", 2, 0, false},
		{"-", 2, 0, false},
		{"1e3", 2, 0, false},
		{"１２", 2, 0, false},
		{"99999999999999999999", 2, 0, false},
		{"92233720368547758", 2, 0, false},
	} {
		got, ok := scaled(test.in, test.decimals)
		if got != test.want || ok != test.ok {
			t.Errorf("scaled(%q, %d) = %d, %v; want %d, %v", test.in, test.decimals, got, ok, test.want, test.ok)
		}
	}
	for fen, want := range map[int64]string{0: "¥0.00", 5: "¥0.05", 500050: "¥5,000.50", -123456789: "-¥1,234,567.89"} {
		if got := yuan(fen); got != want {
			t.Errorf("yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

// FuzzScaled feeds anything a person may type in a money, rate or factor
// input: what is read as a number writes back to a decimal that reads as
// the same number, and nothing panics.
func FuzzScaled(f *testing.F) {
	for _, s := range []string{"12.5", "1,200", "-0.01", "1.0500", "9223372036854775807", "¥", ".", "-.5", "0.123"} {
		f.Add(s, 2)
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, s string, decimals int) {
		if decimals < 0 || decimals > 6 {
			return
		}
		v, ok := scaled(s, decimals)
		if !ok {
			return
		}
		back, ok := scaled(unscaled(v, decimals), decimals)
		if !ok || back != v {
			t.Errorf("scaled(%q, %d) = %d, which writes as %q and reads back as %d, %v", s, decimals, v, unscaled(v, decimals), back, ok)
		}
	})
}
