package identity_test

import (
	"context"
	"fmt"
	"testing"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
	"github.com/google/go-cmp/cmp"
)

// tables that the identity service writes to.
var identityTables = []string{"organizations", "users", "user_platform_roles", "memberships", "sessions", "api_tokens", "events"}

// eventTypes lists the types of the events about one subject, oldest first.
func eventTypes(t *testing.T, db *store.DB, kind, id string) []string {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: kind, SubjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	types := make([]string, len(evs))
	for i, ev := range evs {
		types[len(evs)-1-i] = ev.Type
	}
	return types
}

// lastEvent returns the newest event about a subject.
func lastEvent(t *testing.T, db *store.DB, kind, id string) store.Event {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: kind, SubjectID: id, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		t.Fatalf("no events about %s %s", kind, id)
	}
	return evs[0]
}

// fixture is a store with two organizations and users in several roles.
type fixture struct {
	db       *store.DB
	svc      *identity.Service
	orgA     identity.Organization
	orgB     identity.Organization
	sysadmin identity.Principal
	operator identity.Principal
	auditor  identity.Principal
	adminA   identity.Principal
	editorA  identity.Principal
	memberA  identity.Principal
	adminB   identity.Principal
}

const testPassword = "a long enough password"

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, svc: identity.NewService(db)}
	f.orgA = f.createOrg(t, identity.OrgInput{Kind: identity.KindInstitution, NameZh: "北京市交通委员会", NameEn: "Beijing Municipal Commission of Transport",
		USCC: withCheckChar(t, "11110000000019512"), Code: "BJJTW", RegionCode: "110000"})
	f.orgB = f.createOrg(t, identity.OrgInput{Kind: identity.KindInstitution, NameZh: "北京市生态环境局",
		USCC: withCheckChar(t, "11110000000019619"), Code: "BJSTHJJ"})
	f.sysadmin = f.createUser(t, "root", []identity.PlatformRole{identity.PlatformSysadmin})
	f.operator = f.createUser(t, "operator", []identity.PlatformRole{identity.PlatformOperator})
	f.auditor = f.createUser(t, "auditor", []identity.PlatformRole{identity.PlatformAuditor})
	f.adminA = f.createUser(t, "admin-a", nil, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleAdmin})
	f.editorA = f.createUser(t, "editor-a", nil, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleEditor})
	f.memberA = f.createUser(t, "member-a", nil, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleMember})
	f.adminB = f.createUser(t, "admin-b", nil, identity.Membership{OrganizationID: f.orgB.ID, Role: identity.RoleAdmin})
	return f
}

func (f *fixture) createOrg(t *testing.T, in identity.OrgInput) identity.Organization {
	t.Helper()
	org, err := f.svc.CreateOrganization(context.Background(), identity.System, in)
	if err != nil {
		t.Fatalf("create organization %s: %v", in.NameZh, err)
	}
	return org
}

func (f *fixture) createUser(t *testing.T, username string, roles []identity.PlatformRole, ms ...identity.Membership) identity.Principal {
	t.Helper()
	ctx := context.Background()
	u, err := f.svc.CreateUser(ctx, identity.System, identity.UserInput{Username: username, DisplayName: username,
		Password: testPassword, PlatformRoles: roles, Memberships: ms})
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	p, err := f.svc.Principal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrincipalRoles(t *testing.T) {
	p := identity.Principal{UserID: "u", Memberships: []identity.Membership{
		{OrganizationID: "a", Role: identity.RoleEditor}, {OrganizationID: "b", Role: identity.RoleMember}}}
	tests := []struct {
		org  string
		role identity.Role
		want bool
	}{
		{"a", identity.RoleMember, true},
		{"a", identity.RoleEditor, true},
		{"a", identity.RoleAdmin, false},
		{"b", identity.RoleMember, true},
		{"b", identity.RoleEditor, false},
		{"c", identity.RoleMember, false},
	}
	for _, test := range tests {
		t.Run(fmt.Sprintf("%s at least %s", test.org, test.role), func(t *testing.T) {
			if got := p.AtLeast(test.org, test.role); got != test.want {
				t.Errorf("AtLeast(%q, %q) = %v, want %v", test.org, test.role, got, test.want)
			}
		})
	}
	if !identity.Anonymous.IsAnonymous() || p.IsAnonymous() {
		t.Error("IsAnonymous is wrong")
	}
	if p.IsPlatformStaff() || !identity.System.IsPlatformStaff() {
		t.Error("IsPlatformStaff is wrong")
	}
	if diff := cmp.Diff([]string{"a", "b"}, p.OrgIDs()); diff != "" {
		t.Errorf("OrgIDs (-want +got):\n%s", diff)
	}
}

func countRows(t testing.TB, db *store.DB, tables ...string) map[string]int {
	t.Helper()
	return storetest.CountRows(t, db, tables...)
}

func assertUnchanged(t testing.TB, db *store.DB, before map[string]int) {
	t.Helper()
	storetest.AssertUnchanged(t, db, before)
}

// errorFields returns the fields named by err, which must be validate.Errors.
func errorFields(t testing.TB, err error) []string {
	t.Helper()
	fields, ok := validate.Fields(err)
	if !ok {
		t.Fatalf("error = %v (%T), want validate.Errors", err, err)
	}
	return fields
}
