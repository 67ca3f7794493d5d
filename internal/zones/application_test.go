package zones_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/zones"
	"dataport/internal/zones/zonestest"
)

// compute asks the access point whether p may compute on a resource in the
// sandbox for purpose.
func compute(t *testing.T, w *zonestest.World, p identity.Principal, resourceID, purpose string) access.Decision {
	t.Helper()
	d, err := w.Access.Decide(context.Background(), access.Request{Subject: p, ResourceID: resourceID, Action: access.ActionCompute,
		Channel: access.ChannelSandbox, Purpose: purpose})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func eventCount(t *testing.T, db *store.DB, typ, subjectID string) int {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{Type: typ, SubjectID: subjectID})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// An application goes to the steward's editors, then to the platform
// operators; approval creates the authorisation with one compute grant per
// providing institution and the budgets, and the access point allows the
// operator's sandbox jobs until the authorisation is revoked.
func TestApplicationToAuthorisation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := zonestest.New(t, db, zonestest.Options{})
		ctx := context.Background()
		stations := w.Resource(t, w.Provider, w.ProviderEditor, "公交刷卡乘客", []catalog.Item{
			{Name: "card", LabelZh: "卡号", Type: catalog.TypeText, Key: true, Required: true},
			{Name: "trips", LabelZh: "乘次", Type: catalog.TypeInteger}})
		if _, err := w.Zones.SetMember(ctx, w.Operator, w.Zone.ID, zones.MemberInput{ResourceID: stations.ID}); err != nil {
			t.Fatal(err)
		}
		in := w.Application()
		in.ResourceIDs, in.EpsilonBudget = []string{w.Visits.ID, stations.ID}, 2
		if d := compute(t, w, w.OperatorUser, w.Visits.ID, in.Scenario); d.Allow {
			t.Fatalf("computing before any authorisation was allowed: %+v", d)
		}
		a, err := w.Zones.Apply(ctx, w.OperatorUser, "ZONE-HEALTH", in)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != zones.StepStewardReview || a.OperatorOrgID != w.OperatorOrg.ID || a.EpsilonBudget != 2 || a.CreatedBy != w.OperatorUser.UserID {
			t.Fatalf("filed application = %+v", a)
		}
		if eventCount(t, db, "zone_application.created", a.ID) != 1 {
			t.Error("no zone_application.created event")
		}
		if _, err := w.Zones.Apply(ctx, w.OperatorUser, w.Zone.ID, in); !errors.Is(err, zones.ErrState) {
			t.Errorf("a second application while one is under review: %v, want ErrState", err)
		}
		// Who may decide the steward's step: its editors and admins, not its
		// plain members, not the platform operator (before an escalation), not the filer.
		for _, p := range []identity.Principal{w.StewardMember, w.Operator, w.OperatorUser, w.CompanyAdmin} {
			if _, err := w.Zones.DecideApplication(ctx, p, a.ID, review.Approve, "同意"); err == nil {
				t.Errorf("%s decided the steward's step", p.Username)
			}
		}
		if a, err = w.Zones.DecideApplication(ctx, w.StewardEditor, a.ID, review.Approve, "场景合理"); err != nil ||
			a.Status != zones.StepOperatorReview || a.AuthorisationID != "" {
			t.Fatalf("after the steward: %+v %v", a, err)
		}
		if _, err := w.Zones.DecideApplication(ctx, w.StewardAdmin, a.ID, review.Approve, "同意"); err == nil {
			t.Error("the steward's admin decided the platform operator's step")
		}
		if a, err = w.Zones.DecideApplication(ctx, w.Operator, a.ID, review.Approve, "同意授权"); err != nil ||
			a.Status != "approved" || a.AuthorisationID == "" || a.DecidedAt == nil {
			t.Fatalf("after the platform operator: %+v %v", a, err)
		}
		auth, err := w.Zones.Authorisation(ctx, w.OperatorUser, a.AuthorisationID)
		if err != nil {
			t.Fatal(err)
		}
		if auth.Status != zones.AuthActive || auth.ApplicationID != a.ID || auth.Scenario != in.Scenario || len(auth.GrantIDs) != 2 ||
			!auth.ValidUntil.Equal(in.ValidUntil.Truncate(time.Microsecond)) {
			t.Errorf("authorisation = %+v", auth)
		}
		wantBudgets := []zones.Budget{{ResourceID: w.Visits.ID, Total: 2, Remaining: 2}, {ResourceID: stations.ID, Total: 2, Remaining: 2}}
		if !slices.Equal(auth.Budgets, wantBudgets) {
			t.Errorf("budgets = %+v, want %+v", auth.Budgets, wantBudgets)
		}
		grants, err := w.Access.GrantsByOrigin(ctx, access.OriginZone, auth.ID)
		if err != nil || len(grants) != 2 {
			t.Fatalf("grants of the authorisation: %+v %v", grants, err)
		}
		providers := []string{}
		for _, g := range grants {
			providers = append(providers, g.ProviderOrgID)
			if g.GranteeKind != access.GranteeOrganization || g.GranteeID != w.OperatorOrg.ID || g.Purpose != in.Scenario ||
				!slices.Equal(g.Policy.Actions, []access.Action{access.ActionCompute}) || g.ValidUntil == nil ||
				!g.ValidUntil.Equal(auth.ValidUntil) || !slices.Contains(auth.GrantIDs, g.ID) || len(g.ResourceIDs) != 1 {
				t.Errorf("grant = %+v", g)
			}
		}
		if slices.Sort(providers); !slices.Equal(providers, slices.Sorted(slices.Values([]string{w.Steward.ID, w.Provider.ID}))) {
			t.Errorf("grants' providers = %v, want the steward and the transport commission", providers)
		}
		if eventCount(t, db, "zone.authorised", auth.ID) != 1 || eventCount(t, db, "zone_application.approved", a.ID) != 1 {
			t.Error("missing zone.authorised or zone_application.approved event")
		}

		// The access point: compute in the sandbox for the scenario, nothing else.
		for _, r := range []string{w.Visits.ID, stations.ID} {
			if d := compute(t, w, w.OperatorUser, r, in.Scenario); !d.Allow || d.Reason != access.ReasonGrant {
				t.Errorf("computing on %s after approval: %+v", r, d)
			}
		}
		if d := compute(t, w, w.OperatorUser, w.Visits.ID, "另一个场景"); d.Allow {
			t.Errorf("computing for another purpose was allowed: %+v", d)
		}
		if d, _ := w.Access.Decide(ctx, access.Request{Subject: w.OperatorUser, ResourceID: w.Visits.ID, Action: access.ActionRead,
			Channel: access.ChannelAPIRows, Purpose: in.Scenario}); d.Allow {
			t.Errorf("reading rows under a zone authorisation was allowed: %+v", d)
		}
		if d := compute(t, w, w.CompanyAdmin, w.Visits.ID, in.Scenario); d.Allow {
			t.Errorf("another company computing was allowed: %+v", d)
		}

		// Revocation: the steward's admin (not its editor) ends it; the next decision denies.
		if _, err := w.Zones.Revoke(ctx, w.StewardEditor, auth.ID, "超范围使用"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the steward's editor revoking: %v, want forbidden", err)
		}
		before := storetest.CountRows(t, db, zoneTables...)
		_, err = w.Zones.Revoke(ctx, w.StewardAdmin, auth.ID, "  ")
		wantFields(t, err, map[string]string{"reason": "required"})
		storetest.AssertUnchanged(t, db, before)
		if auth, err = w.Zones.Revoke(ctx, w.StewardAdmin, auth.ID, "超范围使用"); err != nil || auth.Status != zones.AuthRevoked ||
			auth.RevokedAt == nil || auth.RevokeReason != "超范围使用" {
			t.Fatalf("revoked: %+v %v", auth, err)
		}
		for _, r := range []string{w.Visits.ID, stations.ID} {
			if d := compute(t, w, w.OperatorUser, r, in.Scenario); d.Allow || d.Reason != access.ReasonRevoked {
				t.Errorf("computing on %s after revocation: %+v, want %s", r, d, access.ReasonRevoked)
			}
		}
		if _, err := w.Zones.Revoke(ctx, w.Operator, auth.ID, "再次撤销"); !errors.Is(err, zones.ErrState) {
			t.Errorf("revoking twice: %v, want ErrState", err)
		}
		if eventCount(t, db, "zone.authorisation_revoked", auth.ID) != 1 || eventCount(t, db, "grant.revoked", auth.GrantIDs[0]) != 1 {
			t.Error("missing revocation events")
		}
	})
}

// A renewed authorisation keeps the operator's budget as spent: approving
// a new application does not refill it.
func TestRenewalKeepsBudget(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := zonestest.New(t, db, zonestest.Options{})
		ctx := context.Background()
		first := w.Authorise(t, w.Application())
		// What the query part's charges leave (chargeBudgets is tested in budget_test.go).
		if _, err := db.ExecContext(ctx, `UPDATE zone_budgets SET spent_micro = 2500000`); err != nil {
			t.Fatal(err)
		}
		in := w.Application()
		in.EpsilonBudget = 1
		second := w.Authorise(t, in)
		if first.ID == second.ID {
			t.Fatal("no new authorisation")
		}
		want := []zones.Budget{{ResourceID: w.Visits.ID, Total: 3, Spent: 2.5, Remaining: 0.5}}
		if !slices.Equal(second.Budgets, want) {
			t.Errorf("budgets after renewal = %+v, want %+v", second.Budgets, want)
		}
	})
}

// An authorisation ends at its period's end: the access point denies the
// next sandbox job and the authorisation says it has expired.
func TestAuthorisationExpires(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := zonestest.New(t, db, zonestest.Options{})
		ctx := context.Background()
		in := w.Application()
		in.ValidUntil = time.Now().Add(3 * time.Second)
		auth := w.Authorise(t, in)
		if d := compute(t, w, w.OperatorUser, w.Visits.ID, in.Scenario); !d.Allow {
			t.Fatalf("computing before the end: %+v", d)
		}
		time.Sleep(time.Until(in.ValidUntil) + 50*time.Millisecond)
		if d := compute(t, w, w.OperatorUser, w.Visits.ID, in.Scenario); d.Allow || d.Reason != access.ReasonExpired {
			t.Errorf("computing after the end: %+v, want %s", d, access.ReasonExpired)
		}
		if auth, err := w.Zones.Authorisation(ctx, w.OperatorUser, auth.ID); err != nil || auth.Status != zones.AuthExpired {
			t.Errorf("after the end: %+v %v", auth, err)
		}
	})
}

func TestApplicationRejected(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := zonestest.New(t, db, zonestest.Options{})
		ctx := context.Background()
		a, err := w.Zones.Apply(ctx, w.OperatorUser, w.Zone.ID, w.Application())
		if err != nil {
			t.Fatal(err)
		}
		if a, err = w.Zones.DecideApplication(ctx, w.StewardAdmin, a.ID, review.Reject, "授权文件不完整"); err != nil ||
			a.Status != string(review.StatusRejected) || a.AuthorisationID != "" || a.DecidedAt == nil {
			t.Fatalf("rejected: %+v %v", a, err)
		}
		if n := storetest.CountRows(t, db, "zone_authorisations", "grants", "zone_budgets"); n["zone_authorisations"]+n["grants"]+n["zone_budgets"] != 0 {
			t.Errorf("a rejected application left %v", n)
		}
		_, state, err := w.Zones.Application(ctx, w.OperatorUser, a.ID)
		if err != nil || state.Reason != "授权文件不完整" || len(state.Steps) < 2 {
			t.Errorf("review state = %+v %v", state, err)
		}
		// Once decided, the organization may apply again.
		if _, err := w.Zones.Apply(ctx, w.OperatorUser, w.Zone.ID, w.Application()); err != nil {
			t.Errorf("applying again after a rejection: %v", err)
		}
	})
}

func TestApplicationValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := zonestest.New(t, db, zonestest.Options{})
		ctx := context.Background()
		now := time.Now().UTC()
		mod := func(f func(*zones.ApplicationInput)) zones.ApplicationInput {
			in := w.Application()
			f(&in)
			return in
		}
		for _, test := range []struct {
			name  string
			actor identity.Principal
			in    zones.ApplicationInput
			want  map[string]string
		}{
			{"blank", w.OperatorUser, zones.ApplicationInput{}, map[string]string{"scenario": "required", "document_no": "required",
				"resource_ids": "at_least", "valid_until": "required"}},
			{"long scenario", w.OperatorUser, mod(func(in *zones.ApplicationInput) { in.Scenario = string(make([]rune, 501)) }),
				map[string]string{"scenario": "max_len"}},
			{"resources", w.OperatorUser, mod(func(in *zones.ApplicationInput) {
				in.ResourceIDs = []string{w.Visits.ID, w.Open.ID, w.Visits.ID}
			}), map[string]string{"resource_ids[1]": "not_member", "resource_ids[2]": "duplicate"}},
			{"budget over the zone's", w.OperatorUser, mod(func(in *zones.ApplicationInput) { in.EpsilonBudget = 3.5 }),
				map[string]string{"epsilon_budget": "epsilon_budget"}},
			{"negative budget", w.OperatorUser, mod(func(in *zones.ApplicationInput) { in.EpsilonBudget = -1 }),
				map[string]string{"epsilon_budget": "epsilon_budget"}},
			{"ends before it starts", w.OperatorUser, mod(func(in *zones.ApplicationInput) {
				in.ValidFrom, in.ValidUntil = now.AddDate(0, 1, 0), now.AddDate(0, 0, 1)
			}), map[string]string{"valid_until": "after_start"}},
			{"ended", w.OperatorUser, mod(func(in *zones.ApplicationInput) {
				in.ValidFrom, in.ValidUntil = now.AddDate(-1, 0, 0), now.Add(-time.Minute)
			}),
				map[string]string{"valid_until": "in_future"}},
			{"too long", w.OperatorUser, mod(func(in *zones.ApplicationInput) { in.ValidUntil = now.AddDate(6, 0, 0) }),
				map[string]string{"valid_until": "max_period"}},
			{"someone else's organization", w.OperatorUser, mod(func(in *zones.ApplicationInput) { in.OperatorOrgID = w.Company.ID }),
				map[string]string{"operator_org_id": "not_member"}},
			{"a person", w.Citizen, w.Application(), map[string]string{"operator_org_id": "no_operator_org"}},
		} {
			t.Run(test.name, func(t *testing.T) {
				before := storetest.CountRows(t, db, append(zoneTables, "review_cases")...)
				_, err := w.Zones.Apply(ctx, test.actor, w.Zone.ID, test.in)
				wantFields(t, err, test.want)
				storetest.AssertUnchanged(t, db, before)
			})
		}
		if _, err := w.Zones.Apply(ctx, identity.Anonymous, w.Zone.ID, w.Application()); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous applying: %v", err)
		}
		// A person in two companies names the one applying.
		both := w.NewUser(t, "two.hats", "", identity.Membership{OrganizationID: w.OperatorOrg.ID, Role: identity.RoleMember},
			identity.Membership{OrganizationID: w.Company.ID, Role: identity.RoleMember})
		_, err := w.Zones.Apply(ctx, both, w.Zone.ID, w.Application())
		wantFields(t, err, map[string]string{"operator_org_id": "required"})
		in := w.Application()
		in.OperatorOrgID, in.ValidFrom = w.Company.ID, time.Time{}
		a, err := w.Zones.Apply(ctx, both, w.Zone.ID, in)
		if err != nil || a.OperatorOrgID != w.Company.ID || a.EpsilonBudget != 3 || a.ValidFrom.IsZero() {
			t.Errorf("applying for a named company with the zone's budget: %+v %v", a, err)
		}
	})
}

// Who sees which applications and authorisations.
func TestVisibility(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := zonestest.New(t, db, zonestest.Options{})
		ctx := context.Background()
		auth := w.Authorise(t, w.Application())
		pending, err := w.Zones.Apply(ctx, w.CompanyAdmin, w.Zone.ID, w.Application())
		if err != nil {
			t.Fatal(err)
		}
		for _, test := range []struct {
			who         identity.Principal
			apps, auths int
		}{
			{w.OperatorUser, 1, 1}, {w.CompanyAdmin, 1, 0}, {w.StewardMember, 2, 1}, {w.Operator, 2, 1}, {w.Auditor, 2, 1},
			{w.RequesterAdmin, 0, 0},
		} {
			apps, err := w.Zones.Applications(ctx, test.who, zones.ApplicationFilter{ZoneID: "ZONE-HEALTH"})
			if err != nil || len(apps) != test.apps {
				t.Errorf("%s sees %d applications (%v), want %d", test.who.Username, len(apps), err, test.apps)
			}
			auths, err := w.Zones.Authorisations(ctx, test.who, "ZONE-HEALTH")
			if err != nil || len(auths) != test.auths {
				t.Errorf("%s sees %d authorisations in the zone (%v), want %d", test.who.Username, len(auths), err, test.auths)
			}
			all, err := w.Zones.Authorisations(ctx, test.who, "")
			if err != nil || len(all) != test.auths {
				t.Errorf("%s sees %d authorisations in all zones (%v), want %d", test.who.Username, len(all), err, test.auths)
			}
			_, err = w.Zones.Authorisation(ctx, test.who, auth.ID)
			if (err == nil) != (test.auths == 1) {
				t.Errorf("%s reading the authorisation: %v", test.who.Username, err)
			}
		}
		mine, err := w.Zones.Applications(ctx, w.StewardMember, zones.ApplicationFilter{Mine: true})
		if err != nil || len(mine) != 0 {
			t.Errorf("the steward's own applications: %+v %v", mine, err)
		}
		waiting, err := w.Zones.Applications(ctx, w.StewardEditor, zones.ApplicationFilter{Status: zones.StepStewardReview})
		if err != nil || len(waiting) != 1 || waiting[0].ID != pending.ID {
			t.Errorf("applications waiting for the steward: %+v %v", waiting, err)
		}
		if _, _, err := w.Zones.Application(ctx, w.RequesterAdmin, pending.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a stranger reading an application: %v", err)
		}
		if _, err := w.Zones.Authorisations(ctx, identity.Anonymous, ""); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous listing authorisations: %v", err)
		}
	})
}
