package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/zones"
	"dataport/internal/zones/zsql"
)

// TestSeedZones seeds the demo city's public data zones through the
// application's own services, as `dataport demo` does (the zones queue
// their queries on the job runner, which is not started), and checks
// what issue 16 asks of them: the health zone stewarded by the health
// commission with 24,000 patients, its rules and bounds; the transport
// zone; zone.operator authorised through both reviews with 3.0 epsilon,
// 0.5 of it spent; the past queries released, refused (the guard, and the
// difference that would isolate three patients), in review; the steward
// reading the raw rows and the operator not; and that seeding again
// changes nothing.
func TestSeedZones(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city and its zones")
	}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			a := seededApp(t, d)
			s := ZoneServices{Identity: a.Identity, Catalog: a.Catalog, Datastore: a.Datastore(), Zones: a.Zones, Assess: a.Assess}
			if err := SeedZones(ctx, s); err != nil {
				t.Fatal(err)
			}
			health := checkZones(t, s)
			checkZoneAuthorisation(t, s, health)
			checkPastQueries(t, s, health)
			checkZoneRowsAccess(t, s, health)
			checkZoneAccounts(t, s.Identity)

			events := storetest.CountRows(t, a.DB, "events")
			if err := SeedZones(ctx, s); err != nil {
				t.Fatalf("seeding again: %v", err)
			}
			storetest.AssertUnchanged(t, a.DB, events)
		})
	}
}

// checkZones checks both zones and returns the health zone.
func checkZones(t *testing.T, s ZoneServices) zones.Zone {
	t.Helper()
	ctx := context.Background()
	list, _, err := s.Zones.List(ctx, identity.Anonymous, zones.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	codes := make([]string, len(list))
	for i, z := range list {
		codes[i] = z.Code
	}
	if !slices.Contains(codes, healthZone) || !slices.Contains(codes, transportZone) {
		t.Fatalf("the public zones are %v, want %s and %s", codes, healthZone, transportZone)
	}
	var health zones.Zone
	for _, want := range []struct {
		code, steward string
		domain        zones.Domain
		rows          int64
	}{{healthZone, "WJW", zones.DomainHealth, zoneVisitRows}, {transportZone, "JTW", zones.DomainTransport, zoneCardRows}} {
		z, err := s.Zones.Get(ctx, identity.Anonymous, want.code)
		if err != nil {
			t.Fatal(err)
		}
		steward, err := s.Identity.Organization(ctx, z.StewardOrgID)
		if err != nil {
			t.Fatal(err)
		}
		if z.Domain != want.domain || steward.Code != want.steward || z.Status != zones.ZoneActive {
			t.Errorf("%s: domain %s, steward %s, status %s; want %s, %s, active", want.code, z.Domain, steward.Code, z.Status, want.domain, want.steward)
		}
		if z.Rules.MinCellSize != 10 || z.Rules.EpsilonBudget != 3 || !slices.Contains(z.Rules.Mechanisms, zsql.DP) {
			t.Errorf("%s: rules %+v, want a minimum cell of 10, epsilon 3.0 and dp", want.code, z.Rules)
		}
		if len(z.Members) != 1 || z.Members[0].OrgID != steward.ID {
			t.Fatalf("%s: members %+v, want one resource of its steward", want.code, z.Members)
		}
		v, err := s.Datastore.Current(ctx, identity.System, z.Members[0].ResourceID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Rows != want.rows {
			t.Errorf("%s: %d rows, want %d", want.code, v.Rows, want.rows)
		}
		roles := map[string]zones.ItemRule{}
		for _, it := range z.Members[0].Items {
			roles[it.Name] = it
		}
		if want.code == healthZone {
			health = z
			cost, key := roles["cost"], roles["patient_key"]
			if cost.Lower == nil || cost.Upper == nil || *cost.Lower != 0 || *cost.Upper != 50000 || key.Role != zsql.RoleKey ||
				roles["diagnosis_group"].Role != zsql.RoleAttribute {
				t.Errorf("the health zone's items %+v: want cost bounded 0–50,000, patient_key a key, diagnosis_group an attribute", z.Members[0].Items)
			}
		}
	}
	return health
}

// checkZoneAuthorisation checks that zone.operator's company is authorised
// in the health zone through both reviews, with 3.0 epsilon of which the
// dp query spent 0.5.
func checkZoneAuthorisation(t *testing.T, s ZoneServices, health zones.Zone) {
	t.Helper()
	ctx := context.Background()
	op := principal(t, s.Identity, zoneOperator)
	auths, err := s.Zones.Authorisations(ctx, op, health.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(auths) != 1 {
		t.Fatalf("zone.operator has %d authorisations, want 1", len(auths))
	}
	a := auths[0]
	company, err := s.Identity.Organization(ctx, a.OperatorOrgID)
	if err != nil {
		t.Fatal(err)
	}
	if company.Code != zoneOperatorOrg || a.Status != zones.AuthActive || len(a.GrantIDs) == 0 {
		t.Errorf("authorisation %+v of %s: want active with grants, for %s", a, company.Code, zoneOperatorOrg)
	}
	if len(a.Budgets) != 1 || a.Budgets[0].Total != 3 || a.Budgets[0].Spent != 0.5 || a.Budgets[0].Remaining != 2.5 {
		t.Errorf("budgets %+v, want 3.0 on the patients with 0.5 spent", a.Budgets)
	}
	app, state, err := s.Zones.Application(ctx, op, a.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	var deciders []string
	for _, e := range state.Steps {
		if e.Action == "approved" || e.Action == "approve" {
			u, err := s.Identity.User(ctx, identity.System, e.ActorID)
			if err != nil {
				t.Fatal(err)
			}
			deciders = append(deciders, u.Username)
		}
	}
	if app.EpsilonBudget != 3 || !slices.Equal(deciders, []string{editorName("WJW"), operatorName}) {
		t.Errorf("application %+v approved by %v, want epsilon 3.0 approved by wjw.editor then operator (steps %+v)", app, deciders, state.Steps)
	}
}

// checkPastQueries checks that zone.operator's past queries ended as
// pastQueries says, and what they show.
func checkPastQueries(t *testing.T, s ZoneServices, health zones.Zone) {
	t.Helper()
	ctx := context.Background()
	op := principal(t, s.Identity, zoneOperator)
	list, _, err := s.Zones.Queries(ctx, op, zones.QueryFilter{ZoneID: health.ID, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(list) // oldest first, as submitted
	if len(list) != len(pastQueries) {
		t.Fatalf("%d past queries, want %d: %+v", len(list), len(pastQueries), list)
	}
	resource := health.Members[0].ResourceID
	for i, p := range pastQueries {
		q := list[i]
		if q.SQL != fmt.Sprintf(p.sql, resource) || q.Status != p.want {
			t.Errorf("past query %d: %s %q (%s), want %s %q", i, q.Status, q.SQL, q.Reason, p.want, fmt.Sprintf(p.sql, resource))
		}
	}
	byDistrict, perinatal, pair, star, dp, congenital := list[0], list[1], list[3], list[4], list[5], list[6]
	if len(byDistrict.Rows) != len(districts) || byDistrict.SuppressedCells != 0 {
		t.Errorf("patients by district: %d rows, %d suppressed; want %d, none", len(byDistrict.Rows), byDistrict.SuppressedCells, len(districts))
	}
	if perinatal.SuppressedCells < 5 || len(perinatal.Rows) != len(districts) {
		t.Errorf("perinatal patients by district: %d suppressed cells in %v, want most", perinatal.SuppressedCells, perinatal.Rows)
	}
	if !strings.HasPrefix(pair.Reason, "difference") || !strings.HasPrefix(star.Reason, "sql") {
		t.Errorf("refusals %q and %q, want the difference and the guard", pair.Reason, star.Reason)
	}
	if dp.Mechanism != zsql.DP || dp.EpsilonSpent != 0.5 || dp.EpsilonRemaining != 2.5 || len(dp.Rows) != 2 {
		t.Errorf("the dp query: %s, spent %g, left %g, rows %v; want dp, 0.5, 2.5, two rows", dp.Mechanism, dp.EpsilonSpent, dp.EpsilonRemaining, dp.Rows)
	}
	if len(congenital.Rows) != 0 {
		t.Errorf("the operator sees the result in review: %v", congenital.Rows)
	}
	// The steward sees it, with its cell of 12 (东湖区) near the minimum.
	steward, err := s.Zones.Query(ctx, principal(t, s.Identity, editorName("WJW")), congenital.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(steward.Rows, func(r []any) bool { return fmt.Sprint(r[0]) == "110105" && fmt.Sprint(r[1]) == "12" }) {
		t.Errorf("the steward sees %v in review, want 东湖区's 12", steward.Rows)
	}
	usage, err := s.Zones.Usage(ctx, op, health.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(usage) != 1 || usage[0].Queries != int64(len(pastQueries)) || usage[0].InReview != 1 || usage[0].Refused != 2 || usage[0].Released != 4 {
		t.Errorf("usage %+v, want %d queries: 4 released, 2 refused, 1 in review", usage, len(pastQueries))
	}
}

// checkZoneRowsAccess checks that the health commission's editor reads its
// resource's raw rows and the operator, authorised to compute, does not.
func checkZoneRowsAccess(t *testing.T, s ZoneServices, health zones.Zone) {
	t.Helper()
	ctx := context.Background()
	resource := health.Members[0].ResourceID
	page, err := s.Datastore.Search(ctx, principal(t, s.Identity, editorName("WJW")), resource, access.ChannelAPIRows, datastore.Query{Limit: 5})
	if err != nil {
		t.Fatalf("the steward's editor reads the raw rows: %v", err)
	}
	if len(page.Rows) != 5 || !slices.ContainsFunc(page.Fields, func(f datastore.RowField) bool { return f.ID == "patient_key" }) {
		t.Errorf("the steward's editor read %d rows with fields %+v", len(page.Rows), page.Fields)
	}
	if _, err := s.Datastore.Search(ctx, principal(t, s.Identity, zoneOperator), resource, access.ChannelAPIRows, datastore.Query{Limit: 5}); err == nil {
		t.Error("zone.operator read the raw rows")
	}
}

// checkZoneAccounts checks that the demo lists zone.operator and that its
// password signs in, and that wjw.editor is the commission's editor.
func checkZoneAccounts(t *testing.T, ids *identity.Service) {
	t.Helper()
	listed := map[string]string{}
	for _, a := range Accounts() {
		listed[a.Username] = a.Password
	}
	if listed[zoneOperator] != "Jinghua@zone.operator" {
		t.Errorf("the demo accounts list zone.operator with %q", listed[zoneOperator])
	}
	if _, err := ids.Authenticate(context.Background(), zoneOperator, listed[zoneOperator], "192.0.2.1"); err != nil {
		t.Errorf("sign in as zone.operator: %v", err)
	}
	editor := principal(t, ids, editorName("WJW"))
	orgs, err := ids.Organizations(context.Background(), identity.OrgFilter{Q: "WJW"})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(orgs, func(o identity.Organization) bool { return o.Code == "WJW" })
	if i < 0 || editor.RoleIn(orgs[i].ID) != identity.RoleEditor {
		t.Errorf("wjw.editor is not the health commission's editor")
	}
}
