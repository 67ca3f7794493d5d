package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestCompaniesAndPersonsCreateNoResources: the admin of a company's or a
// person's own organization is refused a catalog resource through the API
// (422 at organization_id); an institution's editor is not.
func TestCompaniesAndPersonsCreateNoResources(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		ids := identity.NewService(db)
		for _, kind := range []identity.OrgKind{identity.KindEnterprise, identity.KindIndividual} {
			in := identity.OrgInput{Kind: kind, NameZh: "某" + string(kind)}
			if kind == identity.KindEnterprise {
				in.USCC = usccFor("91110108MA0123456")
			}
			org := must(ids.CreateOrganization(ctx, identity.System, in))
			u := must(ids.CreateUser(ctx, identity.System, identity.UserInput{Username: "admin-" + string(kind), DisplayName: "管理员",
				Password: "correct horse battery", Memberships: []identity.Membership{{OrganizationID: org.ID, Role: identity.RoleAdmin}}}))
			token, _, err := ids.CreateToken(ctx, identity.System, u.ID, "test", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			var prob problemBody
			if status := f.do("POST", "/resources", token, withOrg(org.ID, validInput()), &prob); status != http.StatusUnprocessableEntity ||
				!slices.Contains(prob.locations(), "body.organization_id") {
				t.Errorf("%s: create answered %d at %v, want 422 at body.organization_id", kind, status, prob.locations())
			}
		}
		if status := f.do("POST", "/resources", f.editor, withOrg(f.orgID, validInput()), nil); status != http.StatusCreated {
			t.Errorf("the institution's editor: %d, want 201", status)
		}
	})
}
