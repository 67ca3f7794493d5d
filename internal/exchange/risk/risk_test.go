package risk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/exchange"
	"dataport/internal/exchange/risk"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

// world is an exchange with the risk engine wired as the application
// wires it, on the access test city.
type world struct {
	*accesstest.World
	acc *access.Service
	ex  *exchange.Service
	rk  *risk.Engine
	n   int // contracts agreed so far
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	w := &world{World: accesstest.New(t, db)}
	w.acc = access.New(db, w.Cat, access.Config{})
	t.Cleanup(w.acc.Close)
	w.ex = exchange.New(db, w.IDs, w.Cat, w.acc, exchange.Config{DataDir: t.TempDir()})
	w.rk = risk.New(db, w.ex, risk.Config{})
	w.ex.OnSourceChange(w.rk.OnSourceChange)
	w.ex.OnReviewFailed(w.rk.OnReviewFailed)
	w.ex.OnRelationChange(w.rk.RelationsChanged)
	w.acc.OnDenied(w.rk.OnAccessDenied)
	if err := w.rk.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

// participant admits a participant of org (applied for by admin) with the
// provider and buyer roles.
func (w *world) participant(t *testing.T, org identity.Organization, admin identity.Principal) exchange.Participant {
	t.Helper()
	ctx := context.Background()
	app, err := w.ex.Apply(ctx, admin, exchange.ParticipantInput{OrgID: org.ID, USCC: org.USCC, LegalRep: "法定代表人" + org.Code,
		ContactName: "联系人", ContactPhone: "13800000000", Roles: []exchange.Role{exchange.RoleProvider, exchange.RoleBuyer}})
	if err != nil {
		t.Fatalf("apply %s: %v", org.Code, err)
	}
	if _, err := w.ex.ApplicationReviews().Decide(ctx, w.Operator, app.ID, review.Approve, ""); err != nil {
		t.Fatalf("admit %s: %v", org.Code, err)
	}
	p, err := w.ex.ParticipantByID(ctx, w.DB, app.ParticipantID)
	if err != nil || p.Status != exchange.ParticipantAdmitted {
		t.Fatalf("participant %s: %+v %v", org.Code, p, err)
	}
	return p
}

// company registers another enterprise and its admin, and admits it.
func (w *world) company(t *testing.T, code string) exchange.Participant {
	t.Helper()
	ctx := context.Background()
	first17 := fmt.Sprintf("91110000MA%07d", 1000000+len(code)*7919+int(code[0])*31)
	check, err := identity.USCCCheckChar(first17)
	if err != nil {
		t.Fatal(err)
	}
	org, err := w.IDs.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindEnterprise, NameZh: code + "数据科技有限公司",
		Code: code, USCC: first17 + string(check)})
	if err != nil {
		t.Fatalf("organization %s: %v", code, err)
	}
	u, err := w.IDs.CreateUser(ctx, identity.System, identity.UserInput{Username: code + ".admin", DisplayName: code, Password: accesstest.Password,
		Memberships: []identity.Membership{{OrganizationID: org.ID, Role: identity.RoleAdmin}}})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := w.IDs.Principal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return w.participant(t, org, admin)
}

// three admits the access city's provider, requester and company.
func (w *world) three(t *testing.T) (x, y, z exchange.Participant) {
	return w.participant(t, w.Provider, w.ProviderAdmin), w.participant(t, w.Requester, w.RequesterAdmin),
		w.participant(t, w.Company, w.CompanyAdmin)
}

func (w *world) relate(t *testing.T, a, b exchange.Participant) {
	t.Helper()
	if _, err := w.ex.DeclareRelation(context.Background(), w.Operator, a.ID, exchange.RelationInput{OtherID: b.ID,
		Kind: exchange.RelationController}); err != nil {
		t.Fatal(err)
	}
}

// product writes a draft product of provider (its organization's admin
// writes it), derived from the products named.
func (w *world) product(t *testing.T, provider exchange.Participant, derivedFrom ...string) exchange.Product {
	t.Helper()
	ctx := context.Background()
	var author identity.Principal
	for _, p := range []identity.Principal{w.ProviderAdmin, w.RequesterAdmin, w.CompanyAdmin} {
		if p.AtLeast(provider.OrgID, identity.RoleEditor) {
			author = p
		}
	}
	if author.IsAnonymous() {
		author = w.admin(t, provider.OrgID)
	}
	p, err := w.ex.CreateProduct(ctx, author, exchange.ProductInput{ProviderID: provider.ID, Title: "产品" + store.NewID()[:8],
		Description: "测试产品", UseScenarios: []string{"交通规划"}, Source: exchange.SourceSelfCollected,
		Price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: 10000}, Offer: exchange.Offer{PeriodDays: 365}, DerivedFrom: derivedFrom})
	if err != nil {
		t.Fatalf("product: %v", err)
	}
	return p
}

// admin is the admin of orgID (a company made by company()).
func (w *world) admin(t *testing.T, orgID string) identity.Principal {
	t.Helper()
	members, err := w.IDs.Members(context.Background(), orgID)
	if err != nil || len(members) == 0 {
		t.Fatalf("members of %s: %v", orgID, err)
	}
	p, err := w.IDs.Principal(context.Background(), members[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// agree has the trade service's hook see a contract for product agreed
// between seller and buyer at unitFen, as trading calls it, and returns
// the alerts of the rules it raised.
func (w *world) agree(t *testing.T, product exchange.Product, seller, buyer exchange.Participant, unitFen int64) (string, []risk.Alert) {
	t.Helper()
	ctx := context.Background()
	w.n++
	c := trade.Contract{ID: fmt.Sprintf("urn:uuid:%s", store.NewID()), NegotiationID: store.NewID(), ProductID: product.ID, ProviderID: seller.ID,
		BuyerID: buyer.ID, ProviderOrgID: seller.OrgID, BuyerOrgID: buyer.OrgID, Price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: unitFen},
		AmountFen: unitFen, Status: "agreed", CreatedAt: time.Now().UTC()}
	n := trade.Negotiation{ID: c.NegotiationID, ProductID: product.ID, ProviderID: seller.ID, BuyerID: buyer.ID, State: trade.Agreed, ContractID: c.ID}
	start := time.Now().UTC().Truncate(time.Microsecond)
	err := w.DB.Transact(ctx, func(tx *store.Tx) error {
		return w.rk.OnTradeChange(ctx, tx, trade.Change{Negotiation: &n, Contract: &c, From: trade.Requested, To: trade.Agreed})
	})
	if err != nil {
		t.Fatalf("agree: %v", err)
	}
	var raised []risk.Alert
	for _, a := range alerts(t, w, risk.AlertFilter{}) {
		if !a.LastSeenAt.Before(start) {
			raised = append(raised, a)
		}
	}
	return c.ID, raised
}

func alerts(t *testing.T, w *world, f risk.AlertFilter) []risk.Alert {
	t.Helper()
	f.Limit = 100
	page, err := w.rk.Alerts(context.Background(), w.Operator, f)
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func rules(list []risk.Alert) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Rule)
	}
	return out
}

// TestCircularTradeAmongRelatedParties: three related participants pass
// one product round a ring; the trade that closes it raises the
// circular-trade alert with the ring as evidence, in the market queue, and
// the event of it. Unrelated participants trading in a line raise nothing,
// and the ring closing again counts on the same alert.
func TestCircularTradeAmongRelatedParties(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		x, y, z := w.three(t)
		w.relate(t, x, y)
		w.relate(t, y, z)
		a, b, c, d := w.company(t, "AAA"), w.company(t, "BBBB"), w.company(t, "CCCCC"), w.company(t, "DDDDDD")
		if err := w.rk.Load(context.Background()); err != nil { // the relations, now
			t.Fatal(err)
		}
		p := w.product(t, x)
		q := w.product(t, a)
		for _, step := range [][2]exchange.Participant{{a, b}, {b, c}, {c, d}} {
			if _, raised := w.agree(t, q, step[0], step[1], 10000); len(raised) != 0 {
				t.Fatalf("linear trade %s → %s raised %v", step[0].ID, step[1].ID, rules(raised))
			}
		}
		c1, raised := w.agree(t, p, x, y, 10000)
		c2, raised2 := w.agree(t, p, y, z, 10000)
		if len(raised)+len(raised2) != 0 {
			t.Fatalf("the ring's first trades raised %v %v", rules(raised), rules(raised2))
		}
		c3, raised := w.agree(t, p, z, x, 10000)
		if len(raised) != 1 || raised[0].Rule != "circular_trade" {
			t.Fatalf("closing the ring raised %v, want circular_trade", rules(raised))
		}
		al := raised[0]
		if al.Severity != risk.SeverityHigh || al.Queue != "market" || al.Status != risk.AlertOpen || al.Kind != risk.KindTrade {
			t.Errorf("alert %+v", al)
		}
		var ev struct{ Cycle risk.CycleFacts }
		if err := json.Unmarshal(al.Evidence, &ev); err != nil {
			t.Fatal(err)
		}
		if !ev.Cycle.Found || ev.Cycle.Length != 3 || !sameSet(ev.Cycle.ContractIDs, []string{c1, c2, c3}) ||
			!sameSet(ev.Cycle.ParticipantIDs, []string{x.ID, y.ID, z.ID}) || ev.Cycle.ContractIDs[0] != c3 {
			t.Errorf("evidence %s", al.Evidence)
		}
		if !sameSet(al.Subjects.ParticipantIDs, []string{x.ID, y.ID, z.ID}) || !sameSet(al.Subjects.ProductIDs, []string{p.ID}) {
			t.Errorf("subjects %+v", al.Subjects)
		}
		evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: "risk_alert", SubjectID: al.ID})
		if err != nil || len(evs) != 1 || evs[0].Type != "exchange.alert.raised" {
			t.Fatalf("events %+v %v", evs, err)
		}
		if _, raised = w.agree(t, p, z, x, 10000); len(raised) != 1 || raised[0].ID != al.ID || raised[0].Occurrences != 2 {
			t.Errorf("the ring closing again: %+v, want the same alert twice", raised)
		}
	})
}

// TestRelationDeclaredJustBeforeTheRing: related parties declared after
// the engine has read them count for the very next trade (the exchange
// tells the engine after each change), not only at its next periodic read
// half a minute later. X sells to Y, then X declares Z its related party,
// then Y sells to Z: the product has come back to X's group.
func TestRelationDeclaredJustBeforeTheRing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		x, y, z := w.three(t)
		p := w.product(t, x)
		if _, raised := w.agree(t, p, x, y, 10000); len(raised) != 0 { // the engine has read the relations: none yet
			t.Fatalf("the first trade raised %v", rules(raised))
		}
		w.relate(t, x, z)
		if _, raised := w.agree(t, p, y, z, 10000); len(raised) != 1 || raised[0].Rule != "circular_trade" {
			t.Fatalf("the product reaching X's related party right after the relation was declared raised %v, want circular_trade", rules(raised))
		}
	})
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestDerivativeClosesTheCycle: a product goes from A to B, B sells a
// product derived from it to C, and C one derived from that to A: the
// products are one family, so the last trade closes a circular trade
// although no product went round alone.
func TestDerivativeClosesTheCycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b, c := w.three(t)
		p := w.product(t, a)
		d1 := w.product(t, b, p.ID)
		d2 := w.product(t, c, d1.ID)
		other := w.product(t, c)
		w.agree(t, p, a, b, 10000)
		w.agree(t, d1, b, c, 10000)
		if _, raised := w.agree(t, other, c, a, 10000); len(raised) != 0 {
			t.Fatalf("an unrelated product closed a cycle: %v", rules(raised))
		}
		_, raised := w.agree(t, d2, c, a, 10000)
		if len(raised) != 1 || raised[0].Rule != "circular_trade" {
			t.Fatalf("the derivative closing the cycle raised %v", rules(raised))
		}
		if !sameSet(raised[0].Subjects.ProductIDs, []string{p.ID, d1.ID, d2.ID}) {
			t.Errorf("products %v", raised[0].Subjects.ProductIDs)
		}
	})
}

// TestGraphLoadsFromTheStore: a new engine on the same store finds the
// ring whose first trades the earlier one saw.
func TestGraphLoadsFromTheStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b, c := w.three(t)
		p := w.product(t, a)
		w.agree(t, p, a, b, 10000)
		w.agree(t, p, b, c, 10000)
		w.rk = risk.New(db, w.ex, risk.Config{})
		if err := w.rk.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, raised := w.agree(t, p, c, a, 10000); len(raised) != 1 || raised[0].Rule != "circular_trade" {
			t.Fatalf("after a restart the ring raised %v", rules(raised))
		}
	})
}

// TestTradesOfAnotherProcessJoinTheGraph: two servers on one store each
// run an engine; the trades one observed are in the other's graph once it
// reads again, so that a ring closing on the second is found.
func TestTradesOfAnotherProcessJoinTheGraph(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		other := risk.New(db, w.ex, risk.Config{RefreshEvery: time.Millisecond})
		if err := other.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		a, b, c := w.three(t)
		p := w.product(t, a)
		w.agree(t, p, a, b, 10000)
		w.agree(t, p, b, c, 10000)
		time.Sleep(5 * time.Millisecond)
		w.rk = other
		if _, raised := w.agree(t, p, c, a, 10000); len(raised) != 1 || raised[0].Rule != "circular_trade" {
			t.Fatalf("the other server's engine raised %v", rules(raised))
		}
	})
}

// TestPriceFarFromHistory: after five trades near 100 yuan, one at 500
// raises the price alert and one at 110 does not; the alert's evidence
// carries the median and the ratio.
func TestPriceFarFromHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b, c := w.three(t)
		p := w.product(t, a)
		for i, price := range []int64{10000, 9800, 10200, 10000, 9900} {
			buyer := b
			if i%2 == 1 {
				buyer = c
			}
			if _, raised := w.agree(t, p, a, buyer, price); len(raised) != 0 {
				t.Fatalf("trade %d raised %v", i, rules(raised))
			}
		}
		if _, raised := w.agree(t, p, a, b, 11000); len(raised) != 0 {
			t.Fatalf("a price near the history raised %v", rules(raised))
		}
		_, raised := w.agree(t, p, a, c, 50000)
		if len(raised) != 1 || raised[0].Rule != "price_outlier" {
			t.Fatalf("five times the median raised %v", rules(raised))
		}
		var ev struct{ Price risk.PriceFacts }
		if err := json.Unmarshal(raised[0].Evidence, &ev); err != nil || ev.Price.MedianFen != 10000 || ev.Price.History != 6 || ev.Price.Ratio != 5 {
			t.Errorf("evidence %s (%v)", raised[0].Evidence, err)
		}
		if _, raised = w.agree(t, p, a, b, 2000); len(raised) != 1 || raised[0].Occurrences != 2 {
			t.Errorf("a fifth of the median: %+v, want a repeat of the product's price alert", raised)
		}
	})
}

// TestBadRuleRefusedAtTheField: a rule whose expression does not compile,
// or does not yield what it must, is refused naming the field and writes
// nothing; a good rule written by staff runs from the next trade.
func TestBadRuleRefusedAtTheField(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		before, err := w.rk.Rules(ctx, w.Operator)
		if err != nil || len(before) != len(risk.DefaultRules) {
			t.Fatalf("seeded rules %d (%v), want %d", len(before), err, len(risk.DefaultRules))
		}
		good := risk.AlertRuleInput{Name: "related_party_trade", Title: "关联交易", On: risk.KindTrade, Expr: "trade.related",
			Severity: risk.SeverityLow, Queue: "related", Enabled: true}
		for _, test := range []struct {
			name  string
			edit  func(*risk.AlertRuleInput)
			field string
			code  string
		}{
			{"misspelt variable", func(in *risk.AlertRuleInput) { in.Expr = "trade.relatd" }, "expr", "cel_syntax"},
			{"syntax", func(in *risk.AlertRuleInput) { in.Expr = "trade.related &&" }, "expr", "cel_syntax"},
			{"not a bool", func(in *risk.AlertRuleInput) { in.Expr = "trade.unit_fen * 2" }, "expr", "expression_type"},
			{"dedupe not a string", func(in *risk.AlertRuleInput) { in.Dedupe = "trade.unit_fen" }, "dedupe", "expression_type"},
			{"unknown kind", func(in *risk.AlertRuleInput) { in.On = "payment" }, "on", validate.CodeOneOf},
			{"bad queue", func(in *risk.AlertRuleInput) { in.Queue = "Market Desk" }, "queue", validate.CodeFormat},
			{"taken name", func(in *risk.AlertRuleInput) { in.Name = "circular_trade" }, "name", validate.CodeDuplicate},
		} {
			in := good
			test.edit(&in)
			_, err := w.rk.CreateRule(ctx, w.Operator, in)
			var fe validate.Errors
			if !errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != test.field || fe[0].Code != test.code {
				t.Errorf("%s: %v, want %s at %s", test.name, err, test.code, test.field)
			}
		}
		if _, err := w.rk.CreateRule(ctx, w.RequesterAdmin, good); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a participant's admin wrote a rule: %v", err)
		}
		after, _ := w.rk.Rules(ctx, w.Operator)
		evs, _ := db.Events(ctx, store.EventFilter{Type: "exchange.risk_rule.created"})
		if len(after) != len(before) || len(evs) != len(risk.DefaultRules) {
			t.Fatalf("refused rules wrote %d rules, %d events", len(after), len(evs))
		}
		r, err := w.rk.CreateRule(ctx, w.Operator, good)
		if err != nil {
			t.Fatal(err)
		}
		x, y, z := w.three(t)
		w.relate(t, x, y)
		p := w.product(t, x)
		if _, raised := w.agree(t, p, x, z, 10000); len(raised) != 0 {
			t.Fatalf("an unrelated trade raised %v", rules(raised))
		}
		_, raised := w.agree(t, p, x, y, 10000)
		if len(raised) != 1 || raised[0].RuleID != r.ID || raised[0].Queue != "related" {
			t.Fatalf("the new rule raised %+v", raised)
		}
		in := good
		in.Enabled, in.Expr = false, "trade.related && trade.unit_fen > 0"
		if _, err := w.rk.UpdateRule(ctx, w.Operator, r.ID, in); err != nil {
			t.Fatal(err)
		}
		if _, raised := w.agree(t, p, x, y, 10000); len(raised) != 0 {
			t.Errorf("a disabled rule raised %v", rules(raised))
		}
		in.Name = "renamed"
		var fe validate.Errors
		if _, err := w.rk.UpdateRule(ctx, w.Operator, r.ID, in); !errors.As(err, &fe) || fe[0].Field != "name" {
			t.Errorf("renaming a rule: %v", err)
		}
	})
}

// TestSuspendFromAnAlert: staff suspend a participant the alert is about;
// the exchange suspends it and the alert records the action. A target the
// alert is not about is a field error; a closed alert takes no action.
func TestSuspendFromAnAlert(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		x, y, z := w.three(t)
		outsider := w.company(t, "OUT")
		p := w.product(t, x)
		w.agree(t, p, x, y, 10000)
		w.agree(t, p, y, z, 10000)
		_, raised := w.agree(t, p, z, x, 10000)
		if len(raised) != 1 {
			t.Fatalf("raised %v", rules(raised))
		}
		id := raised[0].ID
		var fe validate.Errors
		_, err := w.rk.SuspendFromAlert(ctx, w.Operator, id, risk.SuspendInput{Target: "participant", TargetID: outsider.ID, Reason: "循环交易"})
		if !errors.As(err, &fe) || fe[0].Field != "target_id" {
			t.Fatalf("suspending a participant the alert is not about: %v", err)
		}
		if _, err := w.rk.SuspendFromAlert(ctx, w.RequesterAdmin, id, risk.SuspendInput{Target: "participant", TargetID: z.ID, Reason: "x"}); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("a participant suspended another: %v", err)
		}
		a, err := w.rk.SuspendFromAlert(ctx, w.Operator, id, risk.SuspendInput{Target: "participant", TargetID: z.ID, Reason: "涉嫌循环交易，暂停交易待核查"})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Actions) != 1 || a.Actions[0].Kind != risk.ActionSuspendParticipant || a.Actions[0].TargetID != z.ID || a.Actions[0].ByUserID != w.Operator.UserID {
			t.Errorf("actions %+v", a.Actions)
		}
		if got, _ := w.ex.ParticipantByID(ctx, db, z.ID); got.Status != exchange.ParticipantSuspended {
			t.Errorf("participant %s after suspension", got.Status)
		}
		if _, err := w.rk.SuspendFromAlert(ctx, w.Operator, id, risk.SuspendInput{Target: "product", TargetID: p.ID, Reason: "x"}); !errors.Is(err, catalog.ErrState) {
			t.Errorf("suspending a draft product: %v, want the exchange's refusal", err)
		}
		if a, _ := w.rk.Alert(ctx, w.Operator, id); len(a.Actions) != 1 {
			t.Errorf("a refused suspension was recorded: %+v", a.Actions)
		}
		if evs, _ := db.Events(ctx, store.EventFilter{Type: "exchange.alert.action", SubjectID: id}); len(evs) != 1 {
			t.Errorf("%d action events", len(evs))
		}
		if _, err := w.rk.AcknowledgeAlert(ctx, w.Operator, id, "核查中"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.rk.CloseAlert(ctx, w.Operator, id, " "); !errors.As(err, &fe) || fe[0].Field != "note" {
			t.Errorf("closing without a note: %v", err)
		}
		closed, err := w.rk.CloseAlert(ctx, w.Operator, id, "已核实为关联方循环交易，已暂停参与方")
		if err != nil || closed.Status != risk.AlertClosed || closed.ClosedAt == nil {
			t.Fatalf("close: %+v %v", closed, err)
		}
		for name, act := range map[string]func() error{
			"acknowledge": func() error { _, err := w.rk.AcknowledgeAlert(ctx, w.Operator, id, ""); return err },
			"close":       func() error { _, err := w.rk.CloseAlert(ctx, w.Operator, id, "again"); return err },
			"suspend": func() error {
				_, err := w.rk.SuspendFromAlert(ctx, w.Operator, id, risk.SuspendInput{Target: "participant", TargetID: y.ID, Reason: "x"})
				return err
			},
		} {
			if err := act(); !errors.Is(err, catalog.ErrState) {
				t.Errorf("%s on a closed alert: %v", name, err)
			}
		}
		if _, raised := w.agree(t, p, z, x, 10000); len(raised) != 1 || raised[0].ID == id {
			t.Errorf("after closing, the ring raised %+v, want a new alert", raised)
		}
	})
}

// TestUsageBeyondTheContract: a buyer reading past its contract's count is
// stopped by the access point, and the denial raises the usage alert about
// the contract, its product and parties, once however often it retries.
func TestUsageBeyondTheContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		provider, buyer, _ := w.three(t)
		p := w.product(t, provider)
		contract, _ := w.agree(t, p, provider, buyer, 10000)
		err := db.Transact(ctx, func(tx *store.Tx) error {
			_, err := w.acc.CreateGrant(ctx, tx, identity.System, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
				ResourceIDs: []string{w.Conditional.ID}, Purpose: "交通规划研究", Policy: access.Policy{MaxCalls: 2},
				OriginKind: access.OriginContract, OriginID: contract})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		req := access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead}
		for i, allow := range []bool{true, true, false, false, false} {
			d, err := w.acc.Decide(ctx, req)
			if err != nil || d.Allow != allow {
				t.Fatalf("read %d: %+v %v, want allow %v", i+1, d, err, allow)
			}
		}
		w.rk.Close() // the denial is looked at in the background
		got := alerts(t, w, risk.AlertFilter{Rule: "usage_exceeded"})
		if len(got) != 1 || got[0].Queue != "usage" || got[0].Occurrences != 1 {
			t.Fatalf("usage alerts %+v", got)
		}
		s := got[0].Subjects
		if !sameSet(s.ContractIDs, []string{contract}) || !sameSet(s.ProductIDs, []string{p.ID}) || !sameSet(s.ParticipantIDs, []string{provider.ID, buyer.ID}) {
			t.Errorf("subjects %+v", s)
		}
		if bySubject := alerts(t, w, risk.AlertFilter{SubjectID: contract, Status: risk.AlertOpen}); len(bySubject) != 1 {
			t.Errorf("alerts about the contract: %d", len(bySubject))
		}
	})
}

// TestBurstOfOrders: ten orders by one buyer within the burst window raise
// the buyer's burst alert once, at the tenth; the product's burst needs
// thirty.
func TestBurstOfOrders(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		provider, buyer, _ := w.three(t)
		p := w.product(t, provider)
		for i := range 12 {
			n := trade.Negotiation{ID: store.NewID(), ProductID: p.ID, ProviderID: provider.ID, BuyerID: buyer.ID, State: trade.Requested}
			err := db.Transact(ctx, func(tx *store.Tx) error {
				return w.rk.OnTradeChange(ctx, tx, trade.Change{Negotiation: &n, To: trade.Requested})
			})
			if err != nil {
				t.Fatal(err)
			}
			got := alerts(t, w, risk.AlertFilter{Rule: "order_burst_buyer"})
			if want := min(max(i-8, 0), 1); len(got) != want {
				t.Fatalf("after %d orders: %d burst alerts, want %d", i+1, len(got), want)
			}
			if i == 11 && (got[0].Occurrences != 3 || !sameSet(got[0].Subjects.ParticipantIDs, []string{buyer.ID, provider.ID})) {
				t.Errorf("burst alert %+v", got[0])
			}
		}
		if got := alerts(t, w, risk.AlertFilter{Rule: "order_burst_product"}); len(got) != 0 {
			t.Errorf("twelve orders raised the product's burst alert")
		}
	})
}

// TestReviewFailuresAndSourceChanges: a provider whose listings fail the
// compliance review three times, and a listed product whose source
// declaration changes, raise their alerts in the listing queue.
func TestReviewFailuresAndSourceChanges(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		x, _, _ := w.three(t)
		p := w.product(t, x)
		for i := range 3 {
			err := db.Transact(ctx, func(tx *store.Tx) error { return w.rk.OnReviewFailed(ctx, tx, p, "材料不全") })
			if err != nil {
				t.Fatal(err)
			}
			if got := alerts(t, w, risk.AlertFilter{Rule: "repeated_review_failures"}); len(got) != min(i, 2)/2 {
				t.Fatalf("after %d failures: %d alerts", i+1, len(got))
			}
		}
		listed := p
		now := time.Now()
		listed.Status, listed.ListedAt = exchange.ProductListed, &now
		changed := listed
		changed.Source, changed.SourceNote = exchange.SourcePurchased, "从第三方购买"
		for _, c := range [][2]exchange.Product{{p, changed}, {listed, listed}, {listed, changed}} {
			if err := db.Transact(ctx, func(tx *store.Tx) error { return w.rk.OnSourceChange(ctx, tx, c[0], c[1]) }); err != nil {
				t.Fatal(err)
			}
		}
		got := alerts(t, w, risk.AlertFilter{Queue: "listing", Rule: "source_changed_after_listing"})
		if len(got) != 1 {
			t.Fatalf("source alerts %d, want one (the listed product's change)", len(got))
		}
		var ev struct{ Source risk.SourceFacts }
		json.Unmarshal(got[0].Evidence, &ev)
		if !ev.Source.Listed || !ev.Source.KindChanged || ev.Source.Before != "self_collected" || ev.Source.After != "purchased" {
			t.Errorf("evidence %s", got[0].Evidence)
		}
	})
}

// TestAlertsAreStaffOnly: participants and anonymous callers see no alert
// and no rule.
func TestAlertsAreStaffOnly(t *testing.T) {
	w := newWorld(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	if _, err := w.rk.Alerts(ctx, identity.Principal{}, risk.AlertFilter{}); !errors.Is(err, identity.ErrUnauthenticated) {
		t.Errorf("anonymous: %v", err)
	}
	if _, err := w.rk.Rules(ctx, w.CompanyAdmin); !errors.Is(err, identity.ErrForbidden) {
		t.Errorf("a company's admin: %v", err)
	}
	var fe validate.Errors
	if _, err := w.rk.Alerts(ctx, w.Operator, risk.AlertFilter{Cursor: "nonsense"}); !errors.As(err, &fe) || fe[0].Field != "cursor" {
		t.Errorf("bad cursor: %v", err)
	}
}
