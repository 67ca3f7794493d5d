// Package exchangetest builds a small data exchange for tests on top of
// accesstest's city: the exchange's organization and staff, an
// independent law firm admitted as a participant, and helpers to admit
// participants and to list products after double vetting — all written
// through the real identity, review, access and exchange services.
package exchangetest

import (
	"context"
	"fmt"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
)

// World is the test city with an exchange.
type World struct {
	*accesstest.World
	Access   *access.Service
	Exchange *exchange.Service
	Profiles *deid.Service

	ExchangeOrg identity.Organization
	Staff       identity.Principal // a member of the exchange's organization
	LawFirm     exchange.Participant
	LawAdmin    identity.Principal // the law firm's admin, its vetting reviewer
}

// New builds the world in db, keeping the exchange's files in dataDir.
// The access service is closed when the test ends.
func New(t testing.TB, db *store.DB, dataDir string) *World {
	t.Helper()
	w := &World{World: accesstest.New(t, db)}
	w.Access = access.New(db, w.Cat, access.Config{Rules: accesstest.Rules{}})
	t.Cleanup(w.Access.Close)
	w.Profiles = deid.NewService(db, w.Cat)
	w.Exchange = exchange.New(db, w.IDs, w.Cat, w.Access, exchange.Config{Review: review.NewService(db, review.Config{}), DataDir: dataDir,
		Profiles: w.Profiles})
	w.ExchangeOrg = w.Org(t, identity.KindExchange, "京华数据交易所", "SJJYS")
	law := w.Org(t, identity.KindEnterprise, "京华明理律师事务所", "MLLS")
	w.Staff = w.User(t, "ex.staff", identity.Membership{OrganizationID: w.ExchangeOrg.ID, Role: identity.RoleMember})
	w.LawAdmin = w.User(t, "law.admin", identity.Membership{OrganizationID: law.ID, Role: identity.RoleAdmin})
	w.LawFirm = w.Admit(t, w.LawAdmin, law, exchange.RoleLawFirm)
	return w
}

// USCC returns a valid unified social credit code made from a short code
// (the same code gives the same USCC).
func USCC(code string) string {
	n := uint32(2166136261)
	for i := range len(code) {
		n = (n ^ uint32(code[i])) * 16777619
	}
	first17 := fmt.Sprintf("91110000%09d", n%1_000_000_000)
	c, err := identity.USCCCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

// Org creates an organization of kind (with a USCC when the kind needs one).
func (w *World) Org(t testing.TB, kind identity.OrgKind, name, code string) identity.Organization {
	t.Helper()
	in := identity.OrgInput{Kind: kind, NameZh: name, Code: code}
	if kind.NeedsUSCC() {
		in.USCC = USCC(code)
	}
	o, err := w.IDs.CreateOrganization(context.Background(), identity.System, in)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// User creates a user with the memberships and returns their principal.
func (w *World) User(t testing.TB, name string, ms ...identity.Membership) identity.Principal {
	t.Helper()
	ctx := context.Background()
	u, err := w.IDs.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name, Password: accesstest.Password,
		Memberships: ms})
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.IDs.Principal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Admit has org's admin apply with role (a legal representative of its
// own, so no two participants are related parties) and the staff admit it.
func (w *World) Admit(t testing.TB, admin identity.Principal, org identity.Organization, role exchange.Role) exchange.Participant {
	t.Helper()
	ctx := context.Background()
	code := org.USCC
	if code == "" {
		code = USCC(org.Code)
	}
	a, err := w.Exchange.Apply(ctx, admin, exchange.ParticipantInput{OrgID: org.ID, USCC: code, LegalRep: "法定代表人" + org.Code,
		ContactName: "联系人", ContactPhone: "010-12345678", ContactEmail: "contact@example.cn", Roles: []exchange.Role{role}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, err := w.Exchange.ApplicationReviews().Decide(ctx, w.Staff, a.ID, review.Approve, "材料齐全"); err != nil {
		t.Fatalf("admit: %v", err)
	}
	p, err := w.Exchange.ParticipantByID(ctx, w.DB, a.ParticipantID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// SampleProfile creates a de-identification profile on a resource of the
// provider's (masking its district), for a product's sample.
func (w *World) SampleProfile(t testing.TB, resourceID string) string {
	t.Helper()
	sp, err := w.Profiles.Create(context.Background(), w.ProviderAdmin, resourceID, deid.ProfileInput{Name: "样例",
		Profile: deid.Profile{Columns: map[string]deid.ColumnOp{"district": {Op: deid.OpMask, KeepFirst: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	return sp.ID
}

// List creates the product as editor, submits it to the world's law firm
// and has the staff and the law firm tick every checklist point and
// approve: it returns the product listed.
func (w *World) List(t testing.TB, editor identity.Principal, in exchange.ProductInput) exchange.Product {
	t.Helper()
	ctx := context.Background()
	p, err := w.Exchange.CreateProduct(ctx, editor, in)
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	l, err := w.Exchange.Submit(ctx, editor, p.ID, exchange.SubmitInput{LawFirmID: w.LawFirm.ID})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	items := map[string]bool{}
	for _, it := range exchange.CheckItems {
		items[it.Key] = true
	}
	for _, reviewer := range []identity.Principal{w.Staff, w.LawAdmin} {
		if _, err := w.Exchange.SubmitChecklist(ctx, reviewer, l.ID, exchange.ChecklistInput{Items: items}); err != nil {
			t.Fatalf("checklist: %v", err)
		}
		if _, err := w.Exchange.ListingReviews().Decide(ctx, reviewer, l.ID, review.Approve, "符合挂牌条件"); err != nil {
			t.Fatalf("vet: %v", err)
		}
	}
	if p, err = w.Exchange.ProductByID(ctx, w.DB, p.ID); err != nil || p.Status != exchange.ProductListed {
		t.Fatalf("product after double vetting: %+v %v", p, err)
	}
	return p
}
