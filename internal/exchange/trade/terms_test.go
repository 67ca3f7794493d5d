package trade

import (
	"slices"
	"testing"

	"dataport/internal/access"
	"dataport/internal/exchange"
)

// TestDeliveryActions: file delivery is a download, API delivery a read,
// within the agreed actions; a zone delivery alone grants nothing here.
func TestDeliveryActions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modes  []exchange.DeliveryMode
		agreed []access.Action
		want   []access.Action
	}{
		{"api and file", []exchange.DeliveryMode{exchange.DeliveryAPI, exchange.DeliveryFile}, nil, []access.Action{access.ActionRead, access.ActionDownload}},
		{"file, agreed read only", []exchange.DeliveryMode{exchange.DeliveryFile}, []access.Action{access.ActionRead}, nil},
		{"api within the agreed", []exchange.DeliveryMode{exchange.DeliveryAPI, exchange.DeliveryFile}, []access.Action{access.ActionRead}, []access.Action{access.ActionRead}},
		{"zone alone", []exchange.DeliveryMode{exchange.DeliveryZone}, nil, nil},
	} {
		if got := deliveryActions(tc.modes, tc.agreed); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestAmountAndFees: what a contract comes to by price model, and the
// fees rounded half up.
func TestAmountAndFees(t *testing.T) {
	pol := access.Policy{MaxCalls: 1000, MaxRows: 50_000}
	for _, tc := range []struct {
		price exchange.Price
		days  int
		want  int64
	}{
		{exchange.Price{Model: exchange.PriceOneOff, AmountFen: 120_000}, 90, 120_000},
		{exchange.Price{Model: exchange.PriceSubscription, AmountFen: 100_000, PeriodDays: 30}, 61, 300_000},
		{exchange.Price{Model: exchange.PriceSubscription, AmountFen: 100_000}, 3, 300_000},
		{exchange.Price{Model: exchange.PricePerCall, AmountFen: 200}, 30, 200_000},
		{exchange.Price{Model: exchange.PricePerRow, AmountFen: 2}, 30, 100_000},
	} {
		if got := amount(tc.price, pol, tc.days); got != tc.want {
			t.Errorf("%+v for %d days: %d, want %d", tc.price, tc.days, got, tc.want)
		}
	}
	if got := amount(exchange.Price{Model: exchange.PricePerCall, AmountFen: 200}, access.Policy{}, 30); got != 0 {
		t.Errorf("per call without a count: %d, want 0 (settled on use)", got)
	}
	for _, tc := range []struct {
		amount int64
		bp     int
		want   int64
	}{{300_000, 30, 900}, {12_345, 50, 62}, {12_345, 0, 0}, {100, -5, 0}, {1, 5000, 1}} {
		if got := fee(tc.amount, tc.bp); got != tc.want {
			t.Errorf("fee(%d, %d) = %d, want %d", tc.amount, tc.bp, got, tc.want)
		}
	}
}
