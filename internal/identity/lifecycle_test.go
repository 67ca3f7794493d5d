package identity_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"github.com/google/go-cmp/cmp"
)

// lifecycleTables are the tables account changes write to.
var lifecycleTables = append([]string{"password_resets"}, identityTables...)

// credentials are a user's live browser session and API token.
type credentials struct{ session, token string }

func (f *fixture) signIn(t *testing.T, p identity.Principal) credentials {
	t.Helper()
	ctx := context.Background()
	session, err := f.svc.CreateSession(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := f.svc.CreateToken(ctx, p, p.UserID, "harvester", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return credentials{session, token}
}

// works reports whether the session and the token still authenticate, and
// returns the principal the session gives.
func (f *fixture) works(t *testing.T, c credentials) (bool, bool, identity.Principal) {
	t.Helper()
	ctx := context.Background()
	ps, errS := f.svc.SessionPrincipal(ctx, c.session)
	_, errT := f.svc.TokenPrincipal(ctx, c.token)
	for _, err := range []error{errS, errT} {
		if err != nil && !errors.Is(err, identity.ErrUnauthenticated) {
			t.Fatal(err)
		}
	}
	return errS == nil, errT == nil, ps
}

// TestRemoveMembership covers who may end a membership and what it changes.
func TestRemoveMembership(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		refused := []struct {
			name      string
			actor     identity.Principal
			org, user string
			want      error
		}{
			{"anonymous", identity.Anonymous, f.orgA.ID, f.memberA.UserID, identity.ErrForbidden},
			{"editor of the organization", f.editorA, f.orgA.ID, f.memberA.UserID, identity.ErrForbidden},
			{"admin of another organization", f.adminB, f.orgA.ID, f.memberA.UserID, identity.ErrForbidden},
			{"auditor", f.auditor, f.orgA.ID, f.memberA.UserID, identity.ErrForbidden},
			{"not a member", f.adminA, f.orgA.ID, f.adminB.UserID, store.ErrNotFound},
			{"unknown organization", f.sysadmin, "no-such-org", f.memberA.UserID, store.ErrNotFound},
			{"the last admin removes themself", f.adminA, f.orgA.ID, f.adminA.UserID, identity.ErrLastAdmin},
			{"sysadmin removes the last admin", f.sysadmin, f.orgB.ID, f.adminB.UserID, store.ErrConflict},
		}
		for _, test := range refused {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, lifecycleTables...)
				if err := f.svc.RemoveMembership(ctx, test.actor, test.org, test.user); !errors.Is(err, test.want) {
					t.Fatalf("error = %v, want %v", err, test.want)
				}
				assertUnchanged(t, db, before)
			})
		}
		allowed := []struct {
			name      string
			actor     identity.Principal
			org, user string
		}{
			{"admin of the organization", f.adminA, f.orgA.ID, f.memberA.UserID},
			{"platform operator anywhere", f.operator, f.orgA.ID, f.editorA.UserID},
		}
		for _, test := range allowed {
			t.Run(test.name, func(t *testing.T) {
				if err := f.svc.RemoveMembership(ctx, test.actor, test.org, test.user); err != nil {
					t.Fatal(err)
				}
				if got := roleOf(t, f, test.user, test.org); got != "" {
					t.Errorf("role after removal = %q", got)
				}
				ev := lastEvent(t, db, "user", test.user)
				if ev.Type != "membership.removed" || ev.ActorUserID != test.actor.UserID || ev.ActorOrgID != test.org {
					t.Errorf("event = %s by %s in %s", ev.Type, ev.ActorUserID, ev.ActorOrgID)
				}
				if strings.Contains(string(ev.Payload), "member-a") || strings.Contains(string(ev.Payload), "editor-a") {
					t.Errorf("event payload %s names a person", ev.Payload)
				}
			})
		}
	})
}

// TestRemovedMemberLosesDraftsOnNextRequest: the finding. Demoted to
// member, a user still read the institution's drafts (by design: members
// see their institution's work); only removal cut them off, and there was
// none. Removed now, the same session and token no longer act for it.
func TestRemovedMemberLosesDraftsOnNextRequest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		cat := catalog.NewService(db)
		draft, err := cat.Create(ctx, f.editorA, f.orgA.ID, catalog.Input{TitleZh: "内部草稿", DescriptionZh: "尚未提交的资源", Subject: "04",
			UpdateFrequency: catalog.FreqDaily, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
			Classification: catalog.ClassGeneral, Level: 1, Formats: []string{"CSV"},
			Items: []catalog.Item{{Name: "route_id", LabelZh: "线路编号", Type: catalog.TypeText, Required: true, Key: true}}})
		if err != nil {
			t.Fatal(err)
		}
		c := f.signIn(t, f.editorA)
		if err := f.svc.SetMembership(ctx, f.adminA, f.editorA.UserID, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleMember}); err != nil {
			t.Fatal(err)
		}
		_, _, p := f.works(t, c)
		if catalog.CanEdit(p, draft) {
			t.Error("demoted to member, the session still edits the institution's resources")
		}
		if _, err := cat.Get(ctx, p, draft.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("demoted to a plain member, the session reads the draft: error = %v, want not found", err)
		}
		if err := f.svc.RemoveMembership(ctx, f.adminA, f.orgA.ID, f.editorA.UserID); err != nil {
			t.Fatal(err)
		}
		session, token, p := f.works(t, c)
		if !session || !token {
			t.Fatal("removal ended the user's sign-in; it should only end the membership")
		}
		if p.RoleIn(f.orgA.ID) != "" {
			t.Errorf("the session still acts for the institution as %q", p.RoleIn(f.orgA.ID))
		}
		if _, err := cat.Get(ctx, p, draft.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed member reads the draft: error = %v, want not found", err)
		}
		pt, err := f.svc.TokenPrincipal(ctx, c.token)
		if err != nil || pt.RoleIn(f.orgA.ID) != "" {
			t.Errorf("the token still acts for the institution: %v %v", pt.Memberships, err)
		}
	})
}

// TestLastAdminIsKept: demoting or removing an organization's only admin
// is refused with a conflict, also when two admins act at once.
func TestLastAdminIsKept(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		before := countRows(t, db, lifecycleTables...)
		err := f.svc.SetMembership(ctx, f.adminA, f.adminA.UserID, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleEditor})
		if !errors.Is(err, identity.ErrLastAdmin) || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("demoting the last admin: error = %v, want ErrLastAdmin (a conflict)", err)
		}
		assertUnchanged(t, db, before)
		if roleOf(t, f, f.adminA.UserID, f.orgA.ID) != identity.RoleAdmin {
			t.Fatal("the last admin lost the role")
		}
		// A second admin: now either may step down, but not both at once.
		if err := f.svc.SetMembership(ctx, f.adminA, f.editorA.UserID, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		second, err := f.svc.Principal(ctx, f.editorA.UserID)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, p := range []identity.Principal{f.adminA, second} {
			wg.Go(func() {
				errs[i] = f.svc.SetMembership(ctx, p, p.UserID, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleMember})
			})
		}
		wg.Wait()
		failed := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, identity.ErrLastAdmin):
				failed++
			case err != nil:
				t.Fatal(err)
			}
		}
		if failed != 1 {
			t.Errorf("two admins stepping down at once: %d refused (%v), want exactly 1", failed, errs)
		}
		members, err := f.svc.Members(ctx, f.orgA.ID)
		if err != nil {
			t.Fatal(err)
		}
		admins := 0
		for _, m := range members {
			for _, ms := range m.Memberships {
				if ms.OrganizationID == f.orgA.ID && ms.Role == identity.RoleAdmin {
					admins++
				}
			}
		}
		if admins != 1 {
			t.Errorf("%d admins left, want 1", admins)
		}
	})
}

// TestEnrolmentByAccountKind: an institution's admin cannot make a
// company's user (or a person, or platform staff) one of theirs; a
// platform operator can. The finding: the company user became an
// institution's admin.
func TestEnrolmentByAccountKind(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		company := f.createOrg(t, identity.OrgInput{Kind: identity.KindEnterprise, NameZh: "京华智图导航科技有限公司",
			USCC: withCheckChar(t, "91110108MA04C2N8"+"0"), Code: "ZTDH"})
		person := f.createOrg(t, identity.OrgInput{Kind: identity.KindIndividual, NameZh: "林若溪", Code: "GR01"})
		companyUser := f.createUser(t, "company", nil, identity.Membership{OrganizationID: company.ID, Role: identity.RoleAdmin})
		citizen := f.createUser(t, "citizen", nil, identity.Membership{OrganizationID: person.ID, Role: identity.RoleAdmin})
		newcomer := f.createUser(t, "newcomer", nil)
		admin := func(org string) identity.Membership {
			return identity.Membership{OrganizationID: org, Role: identity.RoleAdmin}
		}
		refused := []struct {
			name  string
			actor identity.Principal
			user  string
			m     identity.Membership
		}{
			{"institution admin adds a company user", f.adminA, companyUser.UserID, admin(f.orgA.ID)},
			{"institution admin adds a person", f.adminA, citizen.UserID, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleMember}},
			{"institution admin adds an auditor", f.adminA, f.auditor.UserID, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleMember}},
			{"company admin adds an institution's editor", companyUser, f.editorA.UserID, identity.Membership{OrganizationID: company.ID, Role: identity.RoleEditor}},
		}
		for _, test := range refused {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, lifecycleTables...)
				err := f.svc.SetMembership(ctx, test.actor, test.user, test.m)
				if diff := cmp.Diff([]string{"user_id"}, errorFields(t, err)); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
				if !strings.Contains(err.Error(), "only a platform operator") {
					t.Errorf("error %q does not say who may", err)
				}
				assertUnchanged(t, db, before)
				if got := roleOf(t, f, test.user, test.m.OrganizationID); got != "" {
					t.Errorf("refused enrolment left role %q", got)
				}
			})
		}
		allowed := []struct {
			name  string
			actor identity.Principal
			user  string
			m     identity.Membership
		}{
			{"institution admin adds a new account", f.adminA, newcomer.UserID, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleEditor}},
			{"institution admin adds another institution's staff", f.adminA, f.adminB.UserID, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleMember}},
			{"platform operator adds the company user", f.operator, companyUser.UserID, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleMember}},
			{"institution admin then changes that member's role", f.adminA, companyUser.UserID, identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleEditor}},
		}
		for _, test := range allowed {
			t.Run(test.name, func(t *testing.T) {
				if err := f.svc.SetMembership(ctx, test.actor, test.user, test.m); err != nil {
					t.Fatal(err)
				}
				if got := roleOf(t, f, test.user, test.m.OrganizationID); got != test.m.Role {
					t.Errorf("role = %q, want %q", got, test.m.Role)
				}
			})
		}
	})
}

// TestDisableUser: a disabled user's session and token stop working at
// once and they cannot sign in; enabling restores sign-in only.
func TestDisableUser(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c := f.signIn(t, f.editorA)
		for _, actor := range []identity.Principal{identity.Anonymous, f.adminA, f.operator} {
			if _, err := f.svc.DisableUser(ctx, actor, f.editorA.UserID); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("%s disables: error = %v, want ErrForbidden", actor.Username, err)
			}
		}
		ended, err := f.svc.DisableUser(ctx, f.sysadmin, f.editorA.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if ended != (identity.AccessEnded{Sessions: 1, Tokens: 1}) {
			t.Errorf("ended = %+v, want one session and one token", ended)
		}
		if session, token, _ := f.works(t, c); session || token {
			t.Errorf("after disabling: session works %v, token works %v", session, token)
		}
		if _, err := f.svc.Authenticate(ctx, "editor-a", testPassword, "192.0.2.20"); !errors.Is(err, identity.ErrBadCredentials) {
			t.Errorf("a disabled user signs in: error = %v", err)
		}
		before := countRows(t, db, lifecycleTables...)
		if _, err := f.svc.DisableUser(ctx, f.sysadmin, f.editorA.UserID); err != nil {
			t.Errorf("disabling again: %v", err)
		}
		assertUnchanged(t, db, before)
		if err := f.svc.EnableUser(ctx, f.sysadmin, f.editorA.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, "editor-a", testPassword, "192.0.2.21"); err != nil {
			t.Errorf("enabled user cannot sign in: %v", err)
		}
		if session, token, _ := f.works(t, c); session || token {
			t.Errorf("enabling brought back the old session (%v) or token (%v)", session, token)
		}
		want := []string{"user.created", "user.signed_in", "user.disabled", "user.enabled"}
		if diff := cmp.Diff(want, eventTypes(t, db, "user", f.editorA.UserID)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
}

// TestLastSysadminIsKept: the platform keeps one enabled sysadmin.
func TestLastSysadminIsKept(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		before := countRows(t, db, lifecycleTables...)
		if _, err := f.svc.DisableUser(ctx, f.sysadmin, f.sysadmin.UserID); !errors.Is(err, identity.ErrLastSysadmin) || !errors.Is(err, store.ErrConflict) {
			t.Errorf("the last sysadmin disables themself: error = %v, want ErrLastSysadmin", err)
		}
		if err := f.svc.SetPlatformRoles(ctx, f.sysadmin, f.sysadmin.UserID, nil); !errors.Is(err, identity.ErrLastSysadmin) {
			t.Errorf("the last sysadmin drops the role: error = %v, want ErrLastSysadmin", err)
		}
		assertUnchanged(t, db, before)
		if err := f.svc.SetPlatformRoles(ctx, f.sysadmin, f.auditor.UserID, []identity.PlatformRole{identity.PlatformAuditor, identity.PlatformSysadmin}); err != nil {
			t.Fatal(err)
		}
		second, err := f.svc.Principal(ctx, f.auditor.UserID)
		if err != nil {
			t.Fatal(err)
		}
		// Two sysadmins disabling each other at once: one must stay.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, pair := range [][2]identity.Principal{{f.sysadmin, second}, {second, f.sysadmin}} {
			wg.Go(func() { _, errs[i] = f.svc.DisableUser(ctx, pair[0], pair[1].UserID) })
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, identity.ErrLastSysadmin):
				refused++
			case err != nil:
				t.Fatal(err)
			}
		}
		if refused != 1 {
			t.Errorf("sysadmins disabling each other: %d refused (%v), want 1", refused, errs)
		}
	})
}

// TestSetPlatformRoles replaces the roles and checks them.
func TestSetPlatformRoles(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if err := f.svc.SetPlatformRoles(ctx, f.operator, f.memberA.UserID, []identity.PlatformRole{identity.PlatformAuditor}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("operator sets roles: error = %v", err)
		}
		err := f.svc.SetPlatformRoles(ctx, f.sysadmin, f.memberA.UserID, []identity.PlatformRole{identity.PlatformAuditor, "root"})
		if diff := cmp.Diff([]string{"platform_roles[1]"}, errorFields(t, err)); diff != "" {
			t.Errorf("fields (-want +got):\n%s", diff)
		}
		roles := []identity.PlatformRole{identity.PlatformRegulator, identity.PlatformAuditor, identity.PlatformAuditor}
		if err := f.svc.SetPlatformRoles(ctx, f.sysadmin, f.memberA.UserID, roles); err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Principal(ctx, f.memberA.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]identity.PlatformRole{identity.PlatformAuditor, identity.PlatformRegulator}, p.PlatformRoles); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}
		if ev := lastEvent(t, db, "user", f.memberA.UserID); ev.Type != "user.platform_roles_set" {
			t.Errorf("event %s", ev.Type)
		}
	})
}

// TestRevokeAccess ends every session and token of a user, who may sign in again.
func TestRevokeAccess(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c1, c2 := f.signIn(t, f.editorA), f.signIn(t, f.editorA)
		other := f.signIn(t, f.memberA)
		if _, err := f.svc.RevokeAccess(ctx, f.adminA, f.editorA.UserID); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("an institution admin revokes: error = %v", err)
		}
		ended, err := f.svc.RevokeAccess(ctx, f.sysadmin, f.editorA.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if ended != (identity.AccessEnded{Sessions: 2, Tokens: 2}) {
			t.Errorf("ended = %+v", ended)
		}
		for _, c := range []credentials{c1, c2} {
			if session, token, _ := f.works(t, c); session || token {
				t.Errorf("after revocation: session works %v, token works %v", session, token)
			}
		}
		if session, token, _ := f.works(t, other); !session || !token {
			t.Error("revoking one user's access ended another's")
		}
		if _, err := f.svc.Authenticate(ctx, "editor-a", testPassword, "192.0.2.30"); err != nil {
			t.Errorf("the user cannot sign in again: %v", err)
		}
		tokens, err := f.svc.Tokens(ctx, f.editorA, f.editorA.UserID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range tokens {
			if tok.RevokedAt == nil {
				t.Errorf("token %s is not marked revoked", tok.ID)
			}
			if got := eventTypes(t, db, "token", tok.ID); !cmp.Equal(got, []string{"token.created", "token.revoked"}) {
				t.Errorf("token events %v", got)
			}
		}
	})
}

// TestChangePassword: with the current password; other sessions end, this
// one and the tokens stay.
func TestChangePassword(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		here, elsewhere := f.signIn(t, f.editorA), f.signIn(t, f.editorA)
		const newPassword = "a brand new passphrase"
		refused := []struct {
			name   string
			in     identity.PasswordChange
			fields []string
		}{
			{"wrong current password", identity.PasswordChange{Current: "not it at all", New: newPassword}, []string{"current_password"}},
			{"too short", identity.PasswordChange{Current: testPassword, New: "short"}, []string{"new_password"}},
			{"too long", identity.PasswordChange{Current: testPassword, New: strings.Repeat("长", 201)}, []string{"new_password"}},
			{"the same", identity.PasswordChange{Current: testPassword, New: testPassword}, []string{"new_password"}},
		}
		for _, test := range refused {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, lifecycleTables...)
				test.in.ClientIP = "192.0.2.40"
				_, err := f.svc.ChangePassword(ctx, f.editorA, test.in)
				if diff := cmp.Diff(test.fields, errorFields(t, err)); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
				assertUnchanged(t, db, before)
			})
		}
		if _, err := f.svc.ChangePassword(ctx, identity.Anonymous, identity.PasswordChange{Current: testPassword, New: newPassword}); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous change: error = %v", err)
		}
		ended, err := f.svc.ChangePassword(ctx, f.editorA, identity.PasswordChange{Current: testPassword, New: newPassword,
			ClientIP: "192.0.2.40", KeepSession: here.session})
		if err != nil {
			t.Fatal(err)
		}
		if ended.Sessions != 1 || ended.Tokens != 0 {
			t.Errorf("ended = %+v, want the other session only", ended)
		}
		if session, token, _ := f.works(t, here); !session || !token {
			t.Errorf("this session works %v, its token %v; want both", session, token)
		}
		if session, token, _ := f.works(t, elsewhere); session || !token {
			t.Errorf("the other session works %v (want false), its token %v (want true)", session, token)
		}
		if _, err := f.svc.Authenticate(ctx, "editor-a", testPassword, "192.0.2.41"); !errors.Is(err, identity.ErrBadCredentials) {
			t.Errorf("the old password still works: %v", err)
		}
		if _, err := f.svc.Authenticate(ctx, "editor-a", newPassword, "192.0.2.41"); err != nil {
			t.Errorf("the new password does not work: %v", err)
		}
		want := []string{"user.created", "user.signed_in", "user.signed_in", "user.password_changed"}
		if diff := cmp.Diff(want, eventTypes(t, db, "user", f.editorA.UserID)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		assertNoSecretInEvents(t, db, newPassword, testPassword)
	})
}

// TestChangePasswordIsThrottled: guessing the current password through a
// stolen session is slowed like sign-in.
func TestChangePasswordIsThrottled(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		var err error
		for range 6 {
			_, err = f.svc.ChangePassword(ctx, f.editorA, identity.PasswordChange{Current: "guess guess guess", New: "a brand new passphrase", ClientIP: "192.0.2.50"})
		}
		var throttled *identity.ThrottledError
		if !errors.As(err, &throttled) || throttled.Wait <= 0 {
			t.Errorf("sixth wrong current password: error = %v, want a ThrottledError", err)
		}
	})
}

// TestResetPassword: a sysadmin sets a password; every session and token
// of the user ends.
func TestResetPassword(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c := f.signIn(t, f.editorA)
		const reset = "set by the sysadmin 1"
		if _, err := f.svc.ResetPassword(ctx, f.adminA, f.editorA.UserID, reset); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("institution admin resets: error = %v", err)
		}
		_, err := f.svc.ResetPassword(ctx, f.sysadmin, f.editorA.UserID, "short")
		if diff := cmp.Diff([]string{"password"}, errorFields(t, err)); diff != "" {
			t.Errorf("fields (-want +got):\n%s", diff)
		}
		if _, err := f.svc.ResetPassword(ctx, f.sysadmin, "no-such-user", reset); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown user: error = %v", err)
		}
		ended, err := f.svc.ResetPassword(ctx, f.sysadmin, f.editorA.UserID, reset)
		if err != nil {
			t.Fatal(err)
		}
		if ended != (identity.AccessEnded{Sessions: 1, Tokens: 1}) {
			t.Errorf("ended = %+v", ended)
		}
		if session, token, _ := f.works(t, c); session || token {
			t.Errorf("after a reset: session works %v, token works %v", session, token)
		}
		if _, err := f.svc.Authenticate(ctx, "editor-a", reset, "192.0.2.60"); err != nil {
			t.Errorf("the reset password does not work: %v", err)
		}
		if ev := lastEvent(t, db, "user", f.editorA.UserID); ev.Type != "user.password_reset" || ev.ActorUserID != f.sysadmin.UserID {
			t.Errorf("last event %s by %s", ev.Type, ev.ActorUserID)
		}
		assertNoSecretInEvents(t, db, reset)
	})
}

// TestPasswordResetCode: the one-time code replaces the old password at
// once, works once, and is stored only as a hash.
func TestPasswordResetCode(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c := f.signIn(t, f.editorA)
		if _, err := f.svc.IssuePasswordReset(ctx, f.operator, f.editorA.UserID); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("operator issues a code: error = %v", err)
		}
		first, err := f.svc.IssuePasswordReset(ctx, f.sysadmin, f.editorA.UserID)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := f.svc.IssuePasswordReset(ctx, f.sysadmin, f.editorA.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(rc.Code, identity.ResetCodePrefix) || len(rc.Code) < 32 || time.Until(rc.ExpiresAt) < 71*time.Hour {
			t.Errorf("code %+v", rc)
		}
		if tableHolds(t, db, "password_resets", rc.Code) {
			t.Error("the reset code is stored in clear")
		}
		if _, err := f.svc.Authenticate(ctx, "editor-a", testPassword, "192.0.2.70"); !errors.Is(err, identity.ErrBadCredentials) {
			t.Errorf("the old password works after a reset code was issued: %v", err)
		}
		if session, token, _ := f.works(t, c); session || token {
			t.Errorf("after issuing a code: session works %v, token works %v", session, token)
		}
		const chosen = "chosen by the user 2"
		refused := []struct {
			name, code, password string
			fields               []string
		}{
			{"no code", "", chosen, []string{"code"}},
			{"wrong code", identity.ResetCodePrefix + "nope", chosen, []string{"code"}},
			{"an earlier code", first.Code, chosen, []string{"code"}},
			{"short password", rc.Code, "short", []string{"new_password"}},
		}
		for _, test := range refused {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, lifecycleTables...)
				err := f.svc.RedeemPasswordReset(ctx, test.code, test.password)
				if diff := cmp.Diff(test.fields, errorFields(t, err)); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
				assertUnchanged(t, db, before)
			})
		}
		if err := f.svc.RedeemPasswordReset(ctx, rc.Code, chosen); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, "editor-a", chosen, "192.0.2.71"); err != nil {
			t.Errorf("the chosen password does not work: %v", err)
		}
		err = f.svc.RedeemPasswordReset(ctx, rc.Code, "another one entirely")
		if diff := cmp.Diff([]string{"code"}, errorFields(t, err)); diff != "" {
			t.Errorf("a used code: fields (-want +got):\n%s", diff)
		}
		assertNoSecretInEvents(t, db, rc.Code, chosen)
	})
}

// TestExpiredResetCode is refused.
func TestExpiredResetCode(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		rc, err := f.svc.IssuePasswordReset(ctx, f.sysadmin, f.memberA.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE password_resets SET expires_at = $1`, store.TS(time.Now().Add(-time.Second))); err != nil {
			t.Fatal(err)
		}
		err = f.svc.RedeemPasswordReset(ctx, rc.Code, "chosen too late 123")
		if diff := cmp.Diff([]string{"code"}, errorFields(t, err)); diff != "" {
			t.Errorf("fields (-want +got):\n%s", diff)
		}
	})
}

// TestServerKey: one key per name, the same for every service on the
// store, and never in an event.
func TestServerKey(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := identity.NewService(db), identity.NewService(db) // two replicas
		var wg sync.WaitGroup
		keys := make([][]byte, 4)
		for i := range keys {
			svc := a
			if i%2 == 1 {
				svc = b
			}
			wg.Go(func() {
				var err error
				if keys[i], err = svc.ServerKey(ctx, "forms"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for i, k := range keys {
			if len(k) != 32 || !cmp.Equal(k, keys[0]) {
				t.Errorf("key %d = %x, want 32 bytes equal to %x", i, k, keys[0])
			}
		}
		other, err := a.ServerKey(ctx, "other")
		if err != nil || cmp.Equal(other, keys[0]) {
			t.Errorf("another name gives the same key (%v)", err)
		}
		if got := eventTypes(t, db, "server_key", "forms"); !cmp.Equal(got, []string{"server_key.created"}) {
			t.Errorf("events %v, want one server_key.created", got)
		}
		if tableHolds(t, db, "events", fmt.Sprintf("%x", keys[0])) {
			t.Error("an event holds the key")
		}
	})
}

// assertNoSecretInEvents fails when any event payload holds one of secrets.
func assertNoSecretInEvents(t *testing.T, db *store.DB, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if tableHolds(t, db, "events", s) {
			t.Errorf("an event holds the secret %q", s)
		}
	}
}
