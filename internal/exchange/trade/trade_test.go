package trade_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
)

// TestAutoAgreedTradeFromOrderToRating runs the whole trade: an order
// matching the offer is agreed without staff, the contract is sealed by
// its canonical hash, verification delivers a grant whose reads are
// decided within the contract's fields and count, a transfer hands out
// short-lived keys that stop with it, and the contract is settled and
// rated.
func TestAutoAgreedTradeFromOrderToRating(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newMarket(t, db)
		buyer := m.w.CompanyAdmin
		if d := m.read(t, buyer, "", access.ActionRead); d.Allow {
			t.Fatalf("the buyer reads before buying: %+v", d)
		}
		n := m.order(t, m.auto)
		if n.State != trade.Requested || n.ContractID != "" || n.BuyerOrgID != m.w.Company.ID || n.ProviderOrgID != m.w.Provider.ID {
			t.Fatalf("order = %+v, want REQUESTED", n)
		}
		n, err := m.tr.Negotiation(ctx, buyer, n.ID)
		if err != nil || n.State != trade.Agreed || n.ContractID == "" {
			t.Fatalf("after automatic agreement: %+v %v", n, err)
		}
		c := checkContract(t, m, n)

		n, err = m.tr.Verify(ctx, buyer, n.ID)
		if err != nil || n.State != trade.Finalized {
			t.Fatalf("verify: %+v %v", n, err)
		}
		if diff := cmp.Diff([]string{"negotiation →REQUESTED", "negotiation REQUESTED→AGREED", "negotiation AGREED→VERIFIED",
			"negotiation VERIFIED→FINALIZED"}, m.seen()); diff != "" {
			t.Errorf("changes the hook saw (-want +got):\n%s", diff)
		}
		c, err = m.tr.Contract(ctx, m.w.ProviderAdmin, c.ID)
		if err != nil || c.Status != trade.ContractActive || c.GrantID == "" {
			t.Fatalf("contract after verification: %+v %v", c, err)
		}
		checkGrant(t, m, c)
		checkReads(t, m, c)
		checkTransfer(t, m, c)
		checkSettlement(t, m, c)
		wantEvents := []string{"exchange.negotiation.requested", "exchange.negotiation.agreed", "exchange.negotiation.verified",
			"exchange.negotiation.finalized"}
		if got := eventTypes(t, db, "exchange_negotiation", n.ID); !slices.Equal(got, wantEvents) {
			t.Errorf("negotiation events = %v, want %v", got, wantEvents)
		}
		wantEvents = []string{"exchange.contract.agreed", "exchange.contract.activated", "exchange.contract.settled",
			"exchange.contract.completed", "exchange.contract.rated"}
		if got := eventTypes(t, db, "exchange_contract", c.ID); !slices.Equal(got, wantEvents) {
			t.Errorf("contract events = %v, want %v", got, wantEvents)
		}
	})
}

// checkContract checks the contract written at AGREED: its terms, its
// canonical document (as stored, as recomputed, and its hash as sealed).
func checkContract(t *testing.T, m *market, n trade.Negotiation) trade.Contract {
	t.Helper()
	ctx := context.Background()
	doc, c, err := m.tr.ContractDocument(ctx, m.w.CompanyAdmin, n.ContractID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != trade.ContractAgreed || c.NegotiationID != n.ID || c.ProductHash != m.auto.Hash || c.AmountFen != 300_000 ||
		c.PeriodDays != 90 || !slices.Equal(c.Policy.Fields, []string{"station", "riders"}) || c.Policy.MaxCalls != 3 ||
		!c.ValidUntil.Equal(c.ValidFrom.AddDate(0, 0, 90)) || !slices.Equal(c.ResourceIDs, []string{m.w.Closed.ID}) {
		t.Errorf("contract = %+v", c)
	}
	sum := sha256.Sum256(doc)
	if c.Hash != hex.EncodeToString(sum[:]) || !bytes.Equal(doc, c.Canonical()) || c.ComputeHash() != c.Hash {
		t.Errorf("hash %s does not match the document %s", c.Hash, doc)
	}
	var generic map[string]any
	if err := json.Unmarshal(doc, &generic); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer // encoding/json sorts map keys: a canonical document encodes to itself
	enc := json.NewEncoder(&again)
	enc.SetEscapeHTML(false)
	enc.Encode(generic)
	if !bytes.Equal(bytes.TrimSpace(again.Bytes()), doc) || generic["version"] != trade.ContractVersion {
		t.Errorf("document is not canonical:\n%s\n%s", doc, again.Bytes())
	}
	evs, err := m.db.Events(ctx, store.EventFilter{SubjectKind: "exchange_contract", SubjectID: c.ID, Type: "exchange.contract.agreed"})
	if err != nil || len(evs) != 1 {
		t.Fatalf("agreement events: %v %v", evs, err)
	}
	var payload map[string]any
	json.Unmarshal(evs[0].Payload, &payload)
	if payload["contract_sha256"] != c.Hash {
		t.Errorf("sealed hash %v, want %s", payload["contract_sha256"], c.Hash)
	}
	if id, err := m.tr.AgreedEventID(ctx, c.ID); err != nil || id != evs[0].ID {
		t.Errorf("AgreedEventID = %q, %v; want %s", id, err, evs[0].ID)
	}
	return c
}

// checkGrant checks the delivery grant made at FINALIZED.
func checkGrant(t *testing.T, m *market, c trade.Contract) {
	t.Helper()
	gs, err := m.acc.GrantsByOrigin(context.Background(), access.OriginContract, c.ID)
	if err != nil || len(gs) != 1 {
		t.Fatalf("grants of the contract: %+v %v", gs, err)
	}
	g := gs[0]
	if g.ID != c.GrantID || g.GranteeKind != access.GranteeOrganization || g.GranteeID != m.w.Company.ID ||
		g.ValidUntil == nil || !g.ValidUntil.Equal(c.ValidUntil) || g.Policy.MaxCalls != 3 ||
		!slices.Equal(g.Policy.Fields, c.Policy.Fields) || !slices.Equal(g.Policy.Purposes, []string{purpose}) ||
		!slices.Equal(g.Policy.Actions, []access.Action{access.ActionRead, access.ActionDownload}) {
		t.Errorf("grant = %+v", g)
	}
}

// checkReads reads under the contract: within its fields, up to its count.
func checkReads(t *testing.T, m *market, c trade.Contract) {
	t.Helper()
	buyer := m.w.CompanyAdmin
	for i, action := range []access.Action{access.ActionRead, access.ActionDownload, access.ActionRead} {
		d := m.read(t, buyer, "", action)
		if !d.Allow || d.GrantID != c.GrantID || !slices.Equal(d.Constraints.Fields, []string{"station", "riders"}) {
			t.Fatalf("read %d (%s): %+v", i+1, action, d)
		}
	}
	if d := m.read(t, buyer, "", access.ActionRead); d.Allow || d.Reason != access.ReasonOverQuota {
		t.Errorf("a fourth read under a contract of three: %+v", d)
	}
	if d := m.read(t, m.rival, "", access.ActionRead); d.Allow {
		t.Errorf("another company reads under the contract: %+v", d)
	}
}

// checkTransfer runs a transfer: started at once, a key per data address,
// earlier keys revoked, none working once suspended or completed. The
// grant's count is spent, so keyed reads are told over_quota: the key
// itself is what the reasons tell apart (bad_key once it is revoked).
func checkTransfer(t *testing.T, m *market, c trade.Contract) {
	t.Helper()
	ctx := context.Background()
	buyer := m.w.CompanyAdmin
	tp, err := m.tr.RequestTransfer(ctx, buyer, trade.TransferInput{ContractID: c.ID, ConsumerPID: "urn:uuid:consumer-1"})
	if err != nil || tp.State != trade.Requested || tp.Format != trade.FormatHTTPPull {
		t.Fatalf("transfer request: %+v %v", tp, err)
	}
	if tp, err = m.tr.Transfer(ctx, m.w.ProviderAdmin, tp.ID); err != nil || tp.State != trade.Started {
		t.Fatalf("transfer after the request: %+v %v", tp, err)
	}
	keyed := func(secret string) string { return m.read(t, identity.Anonymous, secret, access.ActionRead).Reason }
	first, err := m.tr.AddressFor(ctx, buyer, tp.ID)
	if err != nil || first.Endpoint != "https://data.example.gov.cn/api/v1/resources/"+m.w.Closed.ID+"/rows" ||
		first.Header != trade.KeyHeader || first.ExpiresAt.After(time.Now().Add(16*time.Minute)) {
		t.Fatalf("data address: %+v %v", first, err)
	}
	if r := keyed(first.Token); r != access.ReasonOverQuota {
		t.Errorf("read with the first key: %s", r)
	}
	if _, err := m.tr.AddressFor(ctx, m.w.ProviderAdmin, tp.ID); !errors.Is(err, identity.ErrForbidden) {
		t.Errorf("the provider asked for the buyer's data address: %v", err)
	}
	second, err := m.tr.DataAddress(ctx, tp.ID)
	if err != nil || second.Token == first.Token {
		t.Fatalf("second address: %+v %v", second, err)
	}
	if r := keyed(first.Token); r != access.ReasonBadKey {
		t.Errorf("read with the replaced key: %s", r)
	}
	if _, err := m.tr.SuspendTransfer(ctx, m.w.ProviderAdmin, tp.ID, "maintenance", "系统维护"); err != nil {
		t.Fatal(err)
	}
	if r := keyed(second.Token); r != access.ReasonBadKey {
		t.Errorf("read with a suspended transfer's key: %s", r)
	}
	if _, err := m.tr.DataAddress(ctx, tp.ID); !errors.Is(err, trade.ErrState) {
		t.Errorf("address of a suspended transfer: %v", err)
	}
	if _, err := m.tr.ResumeTransfer(ctx, buyer, tp.ID); err != nil {
		t.Fatal(err)
	}
	third, err := m.tr.DataAddress(ctx, tp.ID)
	if err != nil || keyed(third.Token) != access.ReasonOverQuota {
		t.Fatalf("address after resuming: %+v %v", third, err)
	}
	if tp, err = m.tr.CompleteTransfer(ctx, buyer, tp.ID); err != nil || tp.State != trade.Completed {
		t.Fatalf("complete: %+v %v", tp, err)
	}
	if r := keyed(third.Token); r != access.ReasonBadKey {
		t.Errorf("read with a completed transfer's key: %s", r)
	}
	want := []string{"transfer →REQUESTED", "transfer REQUESTED→STARTED", "transfer STARTED→SUSPENDED", "transfer SUSPENDED→STARTED",
		"transfer STARTED→COMPLETED"}
	if diff := cmp.Diff(want, m.seen()); diff != "" {
		t.Errorf("changes the hook saw (-want +got):\n%s", diff)
	}
	list, err := m.tr.Transfers(ctx, m.w.ProviderAdmin, c.ID)
	if err != nil || len(list) != 1 || list[0].ID != tp.ID {
		t.Errorf("transfers = %+v %v", list, err)
	}
}

// checkSettlement settles the contract (completed: its transfer was) and
// rates it once.
func checkSettlement(t *testing.T, m *market, c trade.Contract) {
	t.Helper()
	ctx := context.Background()
	if _, err := m.tr.Settle(ctx, m.w.CompanyAdmin, c.ID); !errors.Is(err, identity.ErrForbidden) {
		t.Errorf("the buyer settled: %v", err)
	}
	st, err := m.tr.Settle(ctx, m.w.ProviderAdmin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// 90 days of a 30-day subscription at 1,000.00: 3 periods, 3,000.00;
	// fees 0.3% (buyer) and 1% (provider).
	if st.Units != 3 || st.AmountFen != 300_000 || st.BuyerFeeFen != 900 || st.ProviderFeeFen != 3000 || st.BuyerPaysFen != 300_900 ||
		st.ProviderNetFen != 297_000 || len(st.Invoices) != 3 {
		t.Errorf("settlement = %+v", st)
	}
	if _, err := m.tr.Settle(ctx, m.staff, c.ID); !errors.Is(err, trade.ErrState) {
		t.Errorf("settled twice: %v", err)
	}
	got, err := m.tr.Settlement(ctx, m.w.CompanyAdmin, c.ID)
	if err != nil || got.ID != st.ID || len(got.Invoices) != 3 || got.Invoices[0].Number == "" {
		t.Errorf("settlement read back = %+v %v", got, err)
	}
	if c, _ = m.tr.Contract(ctx, m.w.CompanyAdmin, c.ID); c.Status != trade.ContractCompleted {
		t.Errorf("contract after settlement of a completed transfer: %s", c.Status)
	}
	var verrs validate.Errors
	if _, err := m.tr.Rate(ctx, m.w.CompanyAdmin, c.ID, 6, ""); !errors.As(err, &verrs) || !verrs.Has("stars") {
		t.Errorf("six stars: %v", err)
	}
	if _, err := m.tr.Rate(ctx, m.w.ProviderAdmin, c.ID, 5, "自评"); !errors.Is(err, identity.ErrForbidden) {
		t.Errorf("the provider rated: %v", err)
	}
	r, err := m.tr.Rate(ctx, m.w.CompanyAdmin, c.ID, 4, "数据及时，字段清楚")
	if err != nil || r.Stars != 4 {
		t.Fatalf("rate: %+v %v", r, err)
	}
	if _, err := m.tr.Rate(ctx, m.w.CompanyAdmin, c.ID, 5, ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("rated twice: %v", err)
	}
}

func eventTypes(t *testing.T, db *store.DB, kind, id string) []string {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: kind, SubjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Type)
	}
	return out
}

// TestRequestOutsideTheOfferWaitsInTheProvidersQueue: a request wider
// than the offer, or for a product that does not agree automatically,
// waits for the provider, who counter-offers, and agrees once the buyer
// accepts.
func TestRequestOutsideTheOfferWaitsInTheProvidersQueue(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newMarket(t, db)
		buyer, provider := m.w.CompanyAdmin, m.w.ProviderEditor
		wide := access.Policy{Purposes: []string{purpose}, Fields: []string{"station", "riders", "district"}, MaxCalls: 3}
		n, err := m.tr.Request(ctx, buyer, trade.RequestInput{ProductID: m.auto.ID, Purpose: purpose, Policy: &wide})
		if err != nil {
			t.Fatal(err)
		}
		held := m.order(t, m.held)
		for _, id := range []string{n.ID, held.ID} {
			if got, _ := m.tr.Negotiation(ctx, buyer, id); got.State != trade.Requested || got.ContractID != "" {
				t.Errorf("negotiation %s = %+v, want it waiting in REQUESTED", id, got)
			}
		}
		queue := func(p identity.Principal) []string {
			t.Helper()
			list, err := m.tr.Negotiations(ctx, p, trade.NegotiationFilter{Side: "queue"})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, n := range list {
				ids = append(ids, n.ID)
			}
			return ids
		}
		if got := queue(provider); !slices.Equal(got, []string{held.ID, n.ID}) {
			t.Errorf("provider's queue = %v, want both requests newest first", got)
		}
		if got := queue(buyer); len(got) != 0 {
			t.Errorf("buyer's queue = %v, want none", got)
		}
		if mine, _ := m.tr.Negotiations(ctx, buyer, trade.NegotiationFilter{Side: "buyer"}); len(mine) != 2 {
			t.Errorf("buyer's orders = %d, want 2", len(mine))
		}
		if _, err := m.tr.Offer(ctx, buyer, n.ID, exchange.Offer{Policy: wide}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the buyer counter-offered: %v", err)
		}
		narrow := access.Policy{Purposes: []string{purpose}, Fields: []string{"station"}, MaxCalls: 2}
		n, err = m.tr.Offer(ctx, provider, n.ID, exchange.Offer{Policy: narrow, PeriodDays: 30})
		if err != nil || n.State != trade.Offered || n.PeriodDays != 30 || n.Policy.MaxCalls != 2 || n.OfferID == m.auto.Offer.ID {
			t.Fatalf("counter-offer: %+v %v", n, err)
		}
		if got := queue(provider); !slices.Equal(got, []string{held.ID}) {
			t.Errorf("provider's queue while the offer is with the buyer = %v", got)
		}
		if n, err = m.tr.Accept(ctx, buyer, n.ID); err != nil || n.State != trade.Accepted {
			t.Fatalf("accept: %+v %v", n, err)
		}
		if n, err = m.tr.Agree(ctx, provider, n.ID); err != nil || n.State != trade.Agreed {
			t.Fatalf("agree: %+v %v", n, err)
		}
		c, err := m.tr.Contract(ctx, buyer, n.ContractID)
		if err != nil || c.PeriodDays != 30 || !slices.Equal(c.Policy.Fields, []string{"station"}) || c.AmountFen != 100_000 {
			t.Errorf("contract on the counter-offer: %+v %v", c, err)
		}
		if held, err = m.tr.Agree(ctx, provider, held.ID); err != nil || held.State != trade.Agreed {
			t.Errorf("agreeing the held product's request as it stands: %+v %v", held, err)
		}
	})
}

// TestInvalidTransitionsAreRefused: every step out of order is ErrState
// and changes nothing.
func TestInvalidTransitionsAreRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newMarket(t, db)
		buyer, provider := m.w.CompanyAdmin, m.w.ProviderAdmin
		waiting := m.order(t, m.held)
		n, _ := m.finalized(t)
		before := storetest.CountRows(t, db, "trade_negotiations", "trade_contracts", "grants", "events")
		for _, step := range []struct {
			name string
			do   func() (trade.Negotiation, error)
		}{
			{"accept without an offer", func() (trade.Negotiation, error) { return m.tr.Accept(ctx, buyer, waiting.ID) }},
			{"verify before agreement", func() (trade.Negotiation, error) { return m.tr.Verify(ctx, buyer, waiting.ID) }},
			{"verify twice", func() (trade.Negotiation, error) { return m.tr.Verify(ctx, buyer, n.ID) }},
			{"agree when final", func() (trade.Negotiation, error) { return m.tr.Agree(ctx, provider, n.ID) }},
			{"offer when final", func() (trade.Negotiation, error) { return m.tr.Offer(ctx, provider, n.ID, m.auto.Offer) }},
			{"terminate when final", func() (trade.Negotiation, error) { return m.tr.Terminate(ctx, buyer, n.ID, "late", "") }},
		} {
			if got, err := step.do(); !errors.Is(err, trade.ErrState) || !errors.Is(err, store.ErrConflict) {
				t.Errorf("%s: %+v, %v; want ErrState", step.name, got, err)
			}
		}
		storetest.AssertUnchanged(t, db, before)

		terminated, err := m.tr.Terminate(ctx, provider, waiting.ID, "out_of_stock", "暂停供应")
		if err != nil || terminated.State != trade.Terminated || terminated.Code != "out_of_stock" {
			t.Fatalf("terminate: %+v %v", terminated, err)
		}
		if _, err := m.tr.Agree(ctx, provider, waiting.ID); !errors.Is(err, trade.ErrState) {
			t.Errorf("agree after termination: %v", err)
		}

		agreed := m.order(t, m.auto)
		agreed, _ = m.tr.Negotiation(ctx, buyer, agreed.ID)
		if agreed, err = m.tr.Terminate(ctx, buyer, agreed.ID, "", "预算取消"); err != nil || agreed.State != trade.Terminated {
			t.Fatalf("terminate an agreed negotiation: %+v %v", agreed, err)
		}
		if c, _ := m.tr.Contract(ctx, buyer, agreed.ContractID); c.Status != trade.ContractTerminated || c.GrantID != "" {
			t.Errorf("contract of a terminated negotiation: %+v", c)
		}
		if _, err := m.tr.RequestTransfer(ctx, buyer, trade.TransferInput{ContractID: agreed.ContractID}); !errors.Is(err, trade.ErrState) {
			t.Errorf("transfer under a terminated contract: %v", err)
		}
	})
}

// TestForeignAndUnknownIDsAreNotFound: another company, or an unknown id,
// learns nothing about a process; a party on the wrong side is forbidden.
func TestForeignAndUnknownIDsAreNotFound(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newMarket(t, db)
		n, c := m.finalized(t)
		tp, err := m.tr.RequestTransfer(ctx, m.w.CompanyAdmin, trade.TransferInput{ContractID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		rival := m.rival
		for name, err := range map[string]error{
			"negotiation":      second(m.tr.Negotiation(ctx, rival, n.ID)),
			"verify":           second(m.tr.Verify(ctx, rival, n.ID)),
			"terminate":        second(m.tr.Terminate(ctx, rival, n.ID, "", "")),
			"contract":         second(m.tr.Contract(ctx, rival, c.ID)),
			"transfer":         second(m.tr.Transfer(ctx, rival, tp.ID)),
			"complete":         second(m.tr.CompleteTransfer(ctx, rival, tp.ID)),
			"data address":     second(m.tr.AddressFor(ctx, rival, tp.ID)),
			"settle":           second(m.tr.Settle(ctx, rival, c.ID)),
			"transfer request": second(m.tr.RequestTransfer(ctx, rival, trade.TransferInput{ContractID: c.ID})),
			"rate":             second(m.tr.Rate(ctx, rival, c.ID, 1, "")),
			"unknown":          second(m.tr.Negotiation(ctx, m.w.CompanyAdmin, "urn:uuid:00000000-0000-7000-8000-000000000000")),
			"unknown transfer": second(m.tr.DataAddress(ctx, "urn:uuid:00000000-0000-7000-8000-000000000000")),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s by another company: %v, want not found", name, err)
			}
		}
		if list, err := m.tr.Negotiations(ctx, rival, trade.NegotiationFilter{}); err != nil || len(list) != 0 {
			t.Errorf("another company lists %d negotiations, %v", len(list), err)
		}
		if list, err := m.tr.Contracts(ctx, rival, trade.ContractFilter{}); err != nil || len(list) != 0 {
			t.Errorf("another company lists %d contracts, %v", len(list), err)
		}
		if list, err := m.tr.Contracts(ctx, m.staff, trade.ContractFilter{}); err != nil || len(list) != 1 {
			t.Errorf("the exchange's staff list %d contracts, %v", len(list), err)
		}
		waiting := m.order(t, m.held)
		if _, err := m.tr.Agree(ctx, m.w.CompanyAdmin, waiting.ID); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the buyer agreed for the provider: %v", err)
		}
		if _, err := m.tr.Agree(ctx, m.staff, waiting.ID); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the exchange's staff agreed for the provider: %v", err)
		}
	})
}

func second[T any](_ T, err error) error { return err }

// TestBadOrdersAreRefusedWithFieldErrors: each problem names its field
// and nothing is written.
func TestBadOrdersAreRefusedWithFieldErrors(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newMarket(t, db)
		before := storetest.CountRows(t, db, "trade_negotiations", "events")
		negative := access.Policy{MaxCalls: -1}
		for _, tc := range []struct {
			name  string
			actor identity.Principal
			in    trade.RequestInput
			field string
		}{
			{"no purpose", m.w.CompanyAdmin, trade.RequestInput{ProductID: m.auto.ID}, "purpose"},
			{"unknown product", m.w.CompanyAdmin, trade.RequestInput{ProductID: "nope", Purpose: purpose}, "product_id"},
			{"other offer", m.w.CompanyAdmin, trade.RequestInput{ProductID: m.auto.ID, OfferID: "urn:uuid:x", Purpose: purpose}, "offer_id"},
			{"own product", m.w.ProviderAdmin, trade.RequestInput{ProductID: m.auto.ID, Purpose: purpose}, "product_id"},
			{"not a buyer", m.w.RequesterAdmin, trade.RequestInput{ProductID: m.auto.ID, Purpose: purpose}, "buyer_org_id"},
			{"negative count", m.w.CompanyAdmin, trade.RequestInput{ProductID: m.auto.ID, Purpose: purpose, Policy: &negative}, "policy.max_calls"},
			{"long period", m.w.CompanyAdmin, trade.RequestInput{ProductID: m.auto.ID, Purpose: purpose, PeriodDays: 5000}, "period_days"},
			{"bad callback", m.w.CompanyAdmin, trade.RequestInput{ProductID: m.auto.ID, Purpose: purpose, CallbackAddress: "ftp://x"}, "callback_address"},
		} {
			var verrs validate.Errors
			if _, err := m.tr.Request(ctx, tc.actor, tc.in); !errors.As(err, &verrs) || !verrs.Has(tc.field) {
				t.Errorf("%s: %v, want a field error on %s", tc.name, err, tc.field)
			}
		}
		if _, err := m.tr.Request(ctx, m.w.Citizen, trade.RequestInput{ProductID: m.auto.ID, Purpose: purpose,
			BuyerOrgID: m.w.Company.ID}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("an outsider ordered for the company: %v", err)
		}
		storetest.AssertUnchanged(t, db, before)
	})
}

// TestConcurrentVerifyCreatesOneGrant: buyers clicking verify at once get
// one finalization and one grant; the others are told the state moved.
func TestConcurrentVerifyCreatesOneGrant(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newMarket(t, db)
		n := m.order(t, m.auto)
		const clicks = 6
		var wg sync.WaitGroup
		errs := make([]error, clicks)
		for i := range clicks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = m.tr.Verify(ctx, m.w.CompanyAdmin, n.ID)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, trade.ErrState):
				t.Errorf("a concurrent verify failed otherwise: %v", err)
			}
		}
		n, _ = m.tr.Negotiation(ctx, m.w.CompanyAdmin, n.ID)
		gs, err := m.acc.GrantsByOrigin(ctx, access.OriginContract, n.ContractID)
		if ok != 1 || err != nil || len(gs) != 1 || n.State != trade.Finalized {
			t.Errorf("%d verifications succeeded, %d grants (%v), state %s; want one of each", ok, len(gs), err, n.State)
		}
	})
}

// TestAHookErrorUndoesTheStep: a hook that refuses a change (as the risk
// rules may) leaves the negotiation, the contract and the grant unwritten.
func TestAHookErrorUndoesTheStep(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newMarket(t, db)
		n := m.order(t, m.auto)
		refused := errors.New("refused by a hook")
		m.tr.OnChange(func(_ context.Context, _ *store.Tx, c trade.Change) error {
			if c.To == trade.Finalized {
				return refused
			}
			return nil
		})
		before := storetest.CountRows(t, db, "grants", "events")
		if _, err := m.tr.Verify(ctx, m.w.CompanyAdmin, n.ID); !errors.Is(err, refused) {
			t.Fatalf("verify with a refusing hook: %v", err)
		}
		storetest.AssertUnchanged(t, db, before)
		if n, _ = m.tr.Negotiation(ctx, m.w.CompanyAdmin, n.ID); n.State != trade.Agreed {
			t.Errorf("state after the refusal: %s", n.State)
		}
	})
}

// TestMatches: what a request may ask of an offer to be agreed without staff.
func TestMatches(t *testing.T) {
	offer := exchange.Offer{PeriodDays: 90, Policy: access.Policy{Purposes: []string{"a", "b"}, Fields: []string{"x", "y"}, MaxCalls: 10,
		Actions: []access.Action{access.ActionRead}}}
	for _, tc := range []struct {
		name    string
		purpose string
		pol     access.Policy
		days    int
		want    bool
	}{
		{"the offer itself", "a", offer.Policy, 90, true},
		{"narrower", "b", access.Policy{Fields: []string{"x"}, MaxCalls: 5, Actions: []access.Action{access.ActionRead}}, 30, true},
		{"another purpose", "c", offer.Policy, 90, false},
		{"a field more", "a", access.Policy{Fields: []string{"x", "z"}, MaxCalls: 5, Actions: []access.Action{access.ActionRead}}, 30, false},
		{"all fields", "a", access.Policy{MaxCalls: 5, Actions: []access.Action{access.ActionRead}}, 30, false},
		{"more calls", "a", access.Policy{Fields: []string{"x"}, MaxCalls: 11, Actions: []access.Action{access.ActionRead}}, 30, false},
		{"no count", "a", access.Policy{Fields: []string{"x"}, Actions: []access.Action{access.ActionRead}}, 30, false},
		{"download too", "a", access.Policy{Fields: []string{"x"}, MaxCalls: 1}, 30, false},
		{"longer", "a", offer.Policy, 91, false},
		{"a row filter of its own", "a", access.Policy{Fields: []string{"x"}, MaxCalls: 1, Actions: []access.Action{access.ActionRead},
			RowFilter: `x == "1"`}, 30, true},
	} {
		if got := trade.Matches(offer, tc.purpose, tc.pol, tc.days); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", tc.name, got, tc.want)
		}
	}
}
