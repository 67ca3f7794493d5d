package zones_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
	"dataport/internal/zones"
	"dataport/internal/zones/zonestest"
	"dataport/internal/zones/zsql"
)

// zoneTables are the tables a refused write must leave as they were.
var zoneTables = []string{"zones", "zone_resources", "zone_applications", "zone_authorisations", "zone_budgets", "grants", "events"}

// wantFields fails t unless err is a validate.Errors naming exactly the
// fields with the codes (field → code).
func wantFields(t *testing.T, err error, want map[string]string) {
	t.Helper()
	var errs validate.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error = %v, want field errors %v", err, want)
	}
	got := map[string]string{}
	for _, fe := range errs {
		got[fe.Field] = fe.Code
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("field errors = %v, want %v (%v)", got, want, err)
	}
}

func ptr(f float64) *float64 { return &f }

func TestCreateZone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := zonestest.New(t, db, zonestest.Options{})
		ctx := context.Background()
		valid := func(mod func(*zones.ZoneInput)) zones.ZoneInput {
			in := zones.ZoneInput{Code: "ZONE-TRANSPORT", NameZh: "交通专区", Domain: zones.DomainTransport, StewardOrgID: w.Provider.ID}
			mod(&in)
			return in
		}
		for _, test := range []struct {
			name string
			in   zones.ZoneInput
			want map[string]string
		}{
			{"blank", zones.ZoneInput{}, map[string]string{"code": "required", "name_zh": "required", "domain": "one_of",
				"steward_org_id": "required"}},
			{"bad code", valid(func(in *zones.ZoneInput) { in.Code = "1-交通" }), map[string]string{"code": "invalid_format"}},
			{"code taken", valid(func(in *zones.ZoneInput) { in.Code = "zone-health" }), map[string]string{"code": "duplicate"}},
			{"unknown domain", valid(func(in *zones.ZoneInput) { in.Domain = "sports" }), map[string]string{"domain": "one_of"}},
			{"unknown steward", valid(func(in *zones.ZoneInput) { in.StewardOrgID = "nope" }), map[string]string{"steward_org_id": "unknown"}},
			{"company steward", valid(func(in *zones.ZoneInput) { in.StewardOrgID = w.Company.ID }),
				map[string]string{"steward_org_id": "not_public_body"}},
			{"min cell 1", valid(func(in *zones.ZoneInput) { in.Rules.MinCellSize = 1 }), map[string]string{"rules.min_cell_size": "range"}},
			{"dominance k over 100", valid(func(in *zones.ZoneInput) { in.Rules.DominanceK = 120 }),
				map[string]string{"rules.dominance_k": "percent"}},
			{"dominance k negative, n too big", valid(func(in *zones.ZoneInput) { in.Rules.DominanceK, in.Rules.DominanceN = -5, 11 }),
				map[string]string{"rules.dominance_k": "percent", "rules.dominance_n": "range"}},
			{"budgets", valid(func(in *zones.ZoneInput) { in.Rules.EpsilonBudget, in.Rules.MaxEpsilon = -1, -2 }),
				map[string]string{"rules.epsilon_budget": "positive", "rules.max_epsilon": "positive"}},
			{"max epsilon over budget", valid(func(in *zones.ZoneInput) { in.Rules.EpsilonBudget, in.Rules.MaxEpsilon = 1, 2 }),
				map[string]string{"rules.max_epsilon": "over_budget"}},
			{"mechanisms", valid(func(in *zones.ZoneInput) { in.Rules.Mechanisms = []zsql.Mechanism{"dp", "magic", "dp"} }),
				map[string]string{"rules.mechanisms[1]": "one_of", "rules.mechanisms[2]": "duplicate"}},
			{"noise and delta", valid(func(in *zones.ZoneInput) { in.Rules.Noise, in.Rules.Delta = "uniform", 0.5 }),
				map[string]string{"rules.noise": "one_of", "rules.delta": "range"}},
			{"limits", valid(func(in *zones.ZoneInput) {
				in.Rules.MaxRowsScanned, in.Rules.MaxSeconds, in.Rules.MaxCells, in.Rules.ReviewMargin, in.Rules.ReviewCells = -1, 7200, -3, -1, -1
			}), map[string]string{"rules.max_rows_scanned": "at_least", "rules.max_seconds": "range", "rules.max_cells": "range",
				"rules.review_margin": "range", "rules.review_cells": "range"}},
			{"long texts", valid(func(in *zones.ZoneInput) { in.NameZh = string(make([]rune, 101)) }), map[string]string{"name_zh": "max_len"}},
		} {
			t.Run(test.name, func(t *testing.T) {
				before := storetest.CountRows(t, db, zoneTables...)
				_, err := w.Zones.Create(ctx, w.Operator, test.in)
				wantFields(t, err, test.want)
				storetest.AssertUnchanged(t, db, before)
			})
		}
		if _, err := w.Zones.Create(ctx, w.StewardAdmin, valid(func(*zones.ZoneInput) {})); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a steward's admin creating a zone: %v, want forbidden", err)
		}
		if _, err := w.Zones.Create(ctx, identity.Anonymous, valid(func(*zones.ZoneInput) {})); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous creating a zone: %v", err)
		}
		z, err := w.Zones.Create(ctx, w.Operator, valid(func(in *zones.ZoneInput) { in.Code = " zone-transport " }))
		if err != nil {
			t.Fatal(err)
		}
		if z.Code != "ZONE-TRANSPORT" || !reflect.DeepEqual(z.Rules, zones.DefaultRules) || z.Status != zones.ZoneActive {
			t.Errorf("created %+v, want code ZONE-TRANSPORT with the default rules", z)
		}
		if evs, _ := db.Events(ctx, store.EventFilter{SubjectKind: "zone", SubjectID: z.ID, Type: "zone.created"}); len(evs) != 1 {
			t.Errorf("zone.created events: %d", len(evs))
		}
		// Only dp asked: sdc is offered anyway; other zero rules take defaults.
		z2, err := w.Zones.Create(ctx, w.Operator, valid(func(in *zones.ZoneInput) {
			in.Code, in.Rules = "ZONE-DP", zones.Rules{Mechanisms: []zsql.Mechanism{zsql.DP}, MinCellSize: 20}
		}))
		if err != nil {
			t.Fatal(err)
		}
		if want := []zsql.Mechanism{zsql.DP, zsql.SDC}; !slices.Equal(z2.Rules.Mechanisms, want) || z2.Rules.ReviewMargin != 10 ||
			z2.Rules.EpsilonBudget != 3 {
			t.Errorf("rules = %+v, want mechanisms %v, review margin 10, budget 3", z2.Rules, want)
		}
	})
}

func TestUpdateZone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := zonestest.New(t, db, zonestest.Options{})
		ctx := context.Background()
		z, err := w.Zones.Update(ctx, w.StewardAdmin, "ZONE-HEALTH", zones.ZoneInput{DescriptionEn: "Health data, authorised operation",
			Rules: zones.Rules{MinCellSize: 15, Mechanisms: []zsql.Mechanism{zsql.SDC}}})
		if err != nil {
			t.Fatal(err)
		}
		if z.DescriptionEn != "Health data, authorised operation" || z.DescriptionZh != w.Zone.DescriptionZh || z.Rules.MinCellSize != 15 ||
			!slices.Equal(z.Rules.Mechanisms, []zsql.Mechanism{zsql.SDC}) || len(z.Members) != 1 {
			t.Errorf("updated zone = %+v", z)
		}
		evs, err := db.Events(ctx, store.EventFilter{SubjectID: z.ID, Type: "zone.updated"})
		if err != nil || len(evs) != 1 {
			t.Fatalf("zone.updated events: %v %v", evs, err)
		}
		before := storetest.CountRows(t, db, zoneTables...)
		_, err = w.Zones.Update(ctx, w.StewardAdmin, z.ID, zones.ZoneInput{Code: "ZONE-MED", StewardOrgID: w.Requester.ID,
			Rules: zones.Rules{DominanceK: 101}})
		wantFields(t, err, map[string]string{"code": "operator_only", "steward_org_id": "operator_only"})
		_, err = w.Zones.Update(ctx, w.Operator, z.ID, zones.ZoneInput{Rules: zones.Rules{DominanceK: 101}})
		wantFields(t, err, map[string]string{"rules.dominance_k": "percent"})
		for _, p := range []identity.Principal{w.StewardEditor, w.CompanyAdmin} {
			if _, err := w.Zones.Update(ctx, p, z.ID, zones.ZoneInput{NameEn: "x"}); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("%s updating: %v, want forbidden", p.Username, err)
			}
		}
		storetest.AssertUnchanged(t, db, before)
		if z, err = w.Zones.Update(ctx, w.Operator, z.ID, zones.ZoneInput{Code: "ZONE-MED"}); err != nil || z.Code != "ZONE-MED" ||
			z.Rules.MinCellSize != 15 {
			t.Errorf("the platform operator changing the code: %+v %v", z, err)
		}
	})
}

func TestListAndGetZones(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := zonestest.New(t, db, zonestest.Options{})
		ctx := context.Background()
		if _, err := w.Zones.Create(ctx, w.Operator, zones.ZoneInput{Code: "ZONE-TRANSPORT", NameZh: "交通专区",
			Domain: zones.DomainTransport, StewardOrgID: w.Provider.ID}); err != nil {
			t.Fatal(err)
		}
		page, next, err := w.Zones.List(ctx, identity.Anonymous, zones.ListFilter{Limit: 1})
		if err != nil || len(page) != 1 || page[0].Code != "ZONE-HEALTH" || next == "" || len(page[0].ResourceIDs()) != 1 {
			t.Fatalf("first page = %+v, %q, %v", page, next, err)
		}
		page, next, err = w.Zones.List(ctx, identity.Anonymous, zones.ListFilter{Limit: 1, Cursor: next})
		if err != nil || len(page) != 1 || page[0].Code != "ZONE-TRANSPORT" || next != "" {
			t.Fatalf("second page = %+v, %q, %v", page, next, err)
		}
		page, _, err = w.Zones.List(ctx, identity.Anonymous, zones.ListFilter{Domain: zones.DomainHealth})
		if err != nil || len(page) != 1 || page[0].ID != w.Zone.ID {
			t.Errorf("health zones = %+v, %v", page, err)
		}
		z, err := w.Zones.Get(ctx, identity.Anonymous, "ZONE-HEALTH")
		if err != nil || z.ID != w.Zone.ID || z.Members[0].Code != w.Visits.Code || z.Members[0].OrgID != w.Steward.ID {
			t.Errorf("get by code = %+v, %v", z, err)
		}
		if _, err := w.Zones.Get(ctx, identity.Anonymous, "ZONE-NONE"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown zone: %v", err)
		}
	})
}

func TestSetMember(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := zonestest.New(t, db, zonestest.Options{})
		ctx := context.Background()
		noKey := w.Resource(t, w.Steward, w.StewardEditor, "床位统计", []catalog.Item{
			{Name: "hospital", LabelZh: "医院", Type: catalog.TypeText}, {Name: "beds", LabelZh: "床位数", Type: catalog.TypeInteger}})
		set := func(items ...zones.ItemRule) zones.MemberInput {
			return zones.MemberInput{ResourceID: w.Visits.ID, Items: items}
		}
		for _, test := range []struct {
			name string
			in   zones.MemberInput
			want map[string]string
		}{
			{"no resource", zones.MemberInput{}, map[string]string{"resource_id": "required"}},
			{"unknown resource", zones.MemberInput{ResourceID: "nope"}, map[string]string{"resource_id": "unknown"}},
			{"draft", zones.MemberInput{ResourceID: w.Draft.ID}, map[string]string{"resource_id": "not_published"}},
			{"no key items", zones.MemberInput{ResourceID: noKey.ID}, map[string]string{"resource_id": "no_key"}},
			{"unknown item, twice, unnamed", set(zones.ItemRule{Name: "income", Role: "attribute"}, zones.ItemRule{Name: "age"},
				zones.ItemRule{Name: "age"}, zones.ItemRule{Role: "text"}),
				map[string]string{"items[0].name": "not_item", "items[2].name": "duplicate", "items[3].name": "required"}},
			{"unknown role", set(zones.ItemRule{Name: "age", Role: "secret"}), map[string]string{"items[0].role": "one_of"}},
			{"key role on a non-key item", set(zones.ItemRule{Name: "age", Role: "key"}),
				map[string]string{"items[0].role": "key_only_for_key_items"}},
			{"key item as attribute", set(zones.ItemRule{Name: "patient_key", Role: "attribute"}),
				map[string]string{"items[0].role": "key_item_is_key"}},
			{"bounds on text", set(zones.ItemRule{Name: "note", Lower: ptr(0), Upper: ptr(1)}),
				map[string]string{"items[0].lower": "bounds_numeric_only"}},
			{"bounds on a code", set(zones.ItemRule{Name: "sex", Lower: ptr(0), Upper: ptr(1)}),
				map[string]string{"items[0].lower": "bounds_numeric_only"}},
			{"bounds on free text numbers", set(zones.ItemRule{Name: "age", Role: "text", Lower: ptr(0), Upper: ptr(1)}),
				map[string]string{"items[0].lower": "bounds_attribute_only"}},
			{"lower not below upper", set(zones.ItemRule{Name: "cost", Lower: ptr(5), Upper: ptr(5)}),
				map[string]string{"items[0].upper": "above_lower"}},
			{"one bound", set(zones.ItemRule{Name: "cost", Lower: ptr(5)}, zones.ItemRule{Name: "age", Upper: ptr(120)}),
				map[string]string{"items[0].upper": "required", "items[1].lower": "required"}},
		} {
			t.Run(test.name, func(t *testing.T) {
				before := storetest.CountRows(t, db, zoneTables...)
				_, err := w.Zones.SetMember(ctx, w.StewardAdmin, w.Zone.ID, test.in)
				wantFields(t, err, test.want)
				storetest.AssertUnchanged(t, db, before)
			})
		}
		for _, p := range []identity.Principal{w.StewardEditor, w.CompanyAdmin, w.OperatorUser} {
			if _, err := w.Zones.SetMember(ctx, p, w.Zone.ID, set()); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("%s setting a member: %v, want forbidden", p.Username, err)
			}
		}
		// Every item is listed with its effective role: the zone's rule, or its default.
		z, err := w.Zones.SetMember(ctx, w.Operator, w.Zone.ID, set(zones.ItemRule{Name: "district", Role: "text"},
			zones.ItemRule{Name: "age", Lower: ptr(0), Upper: ptr(120)}))
		if err != nil {
			t.Fatal(err)
		}
		want := []zones.ItemRule{{Name: "patient_key", Role: zsql.RoleKey}, {Name: "age", Role: zsql.RoleAttribute, Lower: ptr(0), Upper: ptr(120)},
			{Name: "sex", Role: zsql.RoleAttribute}, {Name: "district", Role: zsql.RoleText}, {Name: "diagnosis_group", Role: zsql.RoleAttribute},
			{Name: "cost", Role: zsql.RoleAttribute}, {Name: "note", Role: zsql.RoleText}}
		if len(z.Members) != 1 || !reflect.DeepEqual(z.Members[0].Items, want) {
			t.Errorf("items = %+v, want %+v", z.Members[0].Items, want)
		}
		if evs, _ := db.Events(ctx, store.EventFilter{SubjectID: z.ID, Type: "zone.member_set"}); len(evs) != 2 {
			t.Errorf("zone.member_set events: %d, want 2", len(evs))
		}
		if _, err := w.Zones.RemoveMember(ctx, w.StewardAdmin, z.ID, noKey.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removing a resource not in the zone: %v", err)
		}
		if z, err = w.Zones.RemoveMember(ctx, w.StewardAdmin, z.ID, w.Visits.ID); err != nil || len(z.Members) != 0 {
			t.Errorf("remove: %+v %v", z, err)
		}
		if evs, _ := db.Events(ctx, store.EventFilter{SubjectID: z.ID, Type: "zone.member_removed"}); len(evs) != 1 {
			t.Errorf("zone.member_removed events: %d", len(evs))
		}
	})
}
