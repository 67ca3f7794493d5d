package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// actionNames name the actions in the tables below.
var actionNames = []struct {
	name   string
	action catalog.Action
}{
	{"view", catalog.ActionView}, {"edit", catalog.ActionEdit}, {"submit", catalog.ActionSubmit},
	{"review", catalog.ActionReview}, {"retire", catalog.ActionRetire}, {"revise", catalog.ActionRevise},
	{"load", catalog.ActionLoad},
}

// names lists the actions of s, in actionNames' order.
func names(s catalog.ActionSet) string {
	var out []string
	for _, a := range actionNames {
		if s.Has(a.action) {
			out = append(out, a.name)
		}
	}
	return strings.Join(out, " ")
}

// TestActions states, for every role and status, what the person may do
// with a general resource of institution A, and what with a core one.
func TestActions(t *testing.T) {
	const orgA, orgB = "org-a", "org-b"
	member := func(org string, role identity.Role) identity.Principal {
		return identity.Principal{UserID: string(role) + "@" + org, Memberships: []identity.Membership{{OrganizationID: org, Role: role}}}
	}
	staff := func(role identity.PlatformRole) identity.Principal {
		return identity.Principal{UserID: string(role), PlatformRoles: []identity.PlatformRole{role}}
	}
	roles := []struct {
		name string
		p    identity.Principal
	}{
		{"anonymous", identity.Anonymous}, {"member of A", member(orgA, identity.RoleMember)},
		{"editor of B", member(orgB, identity.RoleEditor)}, {"editor of A", member(orgA, identity.RoleEditor)},
		{"admin of A", member(orgA, identity.RoleAdmin)}, {"operator", staff(identity.PlatformOperator)},
		{"regulator", staff(identity.PlatformRegulator)}, {"sysadmin", staff(identity.PlatformSysadmin)},
	}
	// want[classification][role][status]: the actions, as names() lists them.
	public := map[catalog.Status]string{catalog.StatusPublished: "view", catalog.StatusRetired: "view"}
	staffView := map[catalog.Status]string{catalog.StatusSubmitted: "view", catalog.StatusReturned: "view", catalog.StatusPublished: "view", catalog.StatusRetired: "view"}
	editor := map[catalog.Status]string{
		catalog.StatusDraft: "view edit submit load", catalog.StatusSubmitted: "view load", catalog.StatusReturned: "view edit submit load",
		catalog.StatusPublished: "view load", catalog.StatusRetired: "view"}
	want := map[catalog.Classification]map[string]map[catalog.Status]string{
		catalog.ClassGeneral: {
			"anonymous": public, "member of A": public, "editor of B": public, "editor of A": editor,
			"admin of A": {catalog.StatusDraft: "view edit submit load", catalog.StatusSubmitted: "view load",
				catalog.StatusReturned: "view edit submit load", catalog.StatusPublished: "view retire load", catalog.StatusRetired: "view"},
			"operator": {catalog.StatusSubmitted: "view review", catalog.StatusReturned: "view",
				catalog.StatusPublished: "view retire revise", catalog.StatusRetired: "view"},
			"regulator": staffView,
			"sysadmin": {catalog.StatusDraft: "view edit submit load", catalog.StatusSubmitted: "view review load",
				catalog.StatusReturned: "view edit submit load", catalog.StatusPublished: "view retire revise load", catalog.StatusRetired: "view"},
		},
		catalog.ClassCore: { // core data's very description stays with its institution and the platform
			"anonymous": {}, "member of A": staffView, "editor of B": {}, "editor of A": editor, "regulator": staffView,
		},
	}
	for class, byRole := range want {
		for _, role := range roles {
			wantByStatus, ok := byRole[role.name]
			if !ok {
				continue
			}
			for _, status := range catalog.Statuses {
				t.Run(fmt.Sprintf("%s/%s/%s", class, role.name, status), func(t *testing.T) {
					r := catalog.Resource{OrganizationID: orgA, Status: status, Input: catalog.Input{Classification: class}}
					if got := names(catalog.Actions(role.p, r)); got != wantByStatus[status] {
						t.Errorf("Actions = %q, want %q", got, wantByStatus[status])
					}
				})
			}
		}
	}
}

// TestCheckAgreesWithActions: Check allows exactly what Actions lists, and
// tells a person who may never take the action (forbidden) from one the
// status stops (a state conflict).
func TestCheckAgreesWithActions(t *testing.T) {
	editorA := identity.Principal{UserID: "e", Memberships: []identity.Membership{{OrganizationID: "a", Role: identity.RoleEditor}}}
	for _, p := range []identity.Principal{identity.Anonymous, editorA, {UserID: "o", PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}}} {
		for _, status := range catalog.Statuses {
			r := catalog.Resource{OrganizationID: "a", Status: status}
			for _, a := range actionNames {
				err := catalog.Check(p, r, a.action)
				if (err == nil) != catalog.Actions(p, r).Has(a.action) {
					t.Errorf("%s on a %s resource by %q: Check says %v, Actions disagree", a.name, status, p.UserID, err)
				}
			}
		}
	}
	r := catalog.Resource{OrganizationID: "a", Status: catalog.StatusPublished}
	if err := catalog.Check(editorA, r, catalog.ActionEdit); !errors.Is(err, catalog.ErrState) ||
		err.Error() != "not allowed in the resource's current status: only draft or returned resources can be edited (this one is published)" {
		t.Errorf("editing a published resource: %v, want the state conflict", err)
	}
	if err := catalog.Check(editorA, r, catalog.ActionReview); !errors.Is(err, identity.ErrForbidden) {
		t.Errorf("an editor reviewing: %v, want forbidden", err)
	}
	r.Status = catalog.StatusRetired
	if err := catalog.Check(editorA, r, catalog.ActionLoad); !errors.Is(err, catalog.ErrState) || !strings.Contains(err.Error(), "a retired resource takes no new data") {
		t.Errorf("loading into a retired resource: %v", err)
	}
}

// TestServiceAcceptsExactlyActions tries every write of the service, by
// every role, on a resource in every status: it succeeds exactly when
// Actions lists it, so the UI's buttons (which show Actions) and the
// service's refusals cannot disagree.
func TestServiceAcceptsExactlyActions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		roles := map[string]identity.Principal{"anonymous": identity.Anonymous, "member of A": f.memberA, "editor of B": f.editorB,
			"editor of A": f.editorA, "admin of A": f.adminA, "operator": f.operator, "regulator": f.regulator, "sysadmin": f.sysadmin}
		writes := []struct {
			action catalog.Action
			do     func(p identity.Principal, id string) error
		}{
			{catalog.ActionEdit, func(p identity.Principal, id string) error {
				_, err := f.cat.Update(ctx, p, id, inputWith(func(in *catalog.Input) { in.TitleZh = "公交线路基础信息（修订）" }))
				return err
			}},
			{catalog.ActionSubmit, func(p identity.Principal, id string) error { _, err := f.cat.Submit(ctx, p, id); return err }},
			{catalog.ActionReview, func(p identity.Principal, id string) error {
				_, err := f.cat.Review(ctx, p, id, catalog.Approve, "")
				return err
			}},
			{catalog.ActionRetire, func(p identity.Principal, id string) error {
				_, err := f.cat.Retire(ctx, p, id, "停止更新")
				return err
			}},
			{catalog.ActionRevise, func(p identity.Principal, id string) error {
				_, err := f.cat.Revise(ctx, p, id, inputWith(func(in *catalog.Input) { in.TitleZh = "公交线路基础信息（更正）" }), "")
				return err
			}},
		}
		for _, status := range catalog.Statuses {
			var r catalog.Resource // one resource in status, replaced once a write moved it on
			for _, w := range writes {
				for name, p := range roles {
					if r.ID == "" {
						r = f.resource(t, f.orgA.ID, validInput(), status)
					}
					allowed := catalog.Actions(p, r).Has(w.action)
					err := w.do(p, r.ID)
					if allowed != (err == nil) {
						t.Errorf("%s by %s on a %s resource: Actions says %v, the service says %v", names(catalog.ActionSet(w.action)), name, status, allowed, err)
					}
					if err == nil {
						r = catalog.Resource{}
					}
				}
			}
		}
	})
}
