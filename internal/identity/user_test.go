package identity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCreateUser(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tests := []struct {
			name string
			in   identity.UserInput
			want identity.User
		}{
			{
				name: "editor of one organization, member of another",
				in: identity.UserInput{Username: "  Li.Si ", DisplayName: " 李四 ", Email: "lisi@example.cn", Password: "0123456789",
					Memberships: []identity.Membership{{OrganizationID: f.orgA.ID, Role: identity.RoleEditor}, {OrganizationID: f.orgB.ID, Role: identity.RoleMember}}},
				want: identity.User{Username: "li.si", DisplayName: "李四", Email: "lisi@example.cn", PlatformRoles: []identity.PlatformRole{},
					Memberships: []identity.Membership{{OrganizationID: f.orgA.ID, Role: identity.RoleEditor, OrgKind: f.orgA.Kind},
						{OrganizationID: f.orgB.ID, Role: identity.RoleMember, OrgKind: f.orgB.Kind}}},
			},
			{
				name: "platform regulator and auditor",
				in: identity.UserInput{Username: "wang_wu", DisplayName: "王五", Password: "密码密码密码密码密码",
					PlatformRoles: []identity.PlatformRole{identity.PlatformRegulator, identity.PlatformAuditor}},
				want: identity.User{Username: "wang_wu", DisplayName: "王五", PlatformRoles: []identity.PlatformRole{identity.PlatformAuditor, identity.PlatformRegulator},
					Memberships: []identity.Membership{}},
			},
			{
				name: "a platform role named twice is held once",
				in: identity.UserInput{Username: "zhao6", DisplayName: "赵六", Password: testPassword,
					PlatformRoles: []identity.PlatformRole{identity.PlatformOperator, identity.PlatformOperator}},
				want: identity.User{Username: "zhao6", DisplayName: "赵六", PlatformRoles: []identity.PlatformRole{identity.PlatformOperator},
					Memberships: []identity.Membership{}},
			},
			{
				name: "an organization named twice keeps the last role",
				in: identity.UserInput{Username: "qian7", DisplayName: "钱七", Password: testPassword,
					Memberships: []identity.Membership{{OrganizationID: f.orgA.ID, Role: identity.RoleMember}, {OrganizationID: f.orgA.ID, Role: identity.RoleAdmin}}},
				want: identity.User{Username: "qian7", DisplayName: "钱七", PlatformRoles: []identity.PlatformRole{},
					Memberships: []identity.Membership{{OrganizationID: f.orgA.ID, Role: identity.RoleAdmin, OrgKind: f.orgA.Kind}}},
			},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				u, err := f.svc.CreateUser(ctx, f.sysadmin, test.in)
				if err != nil {
					t.Fatal(err)
				}
				stored, err := f.svc.User(ctx, f.sysadmin, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				test.want.State = identity.StateActive // accounts made by staff are active from the start
				if diff := cmp.Diff(test.want, stored, cmpopts.IgnoreFields(identity.User{}, "ID", "CreatedAt")); diff != "" {
					t.Errorf("stored user (-want +got):\n%s", diff)
				}
				if !stored.CreatedAt.Equal(u.CreatedAt) || stored.ID != u.ID {
					t.Errorf("stored user %s created %v, returned %s created %v", stored.ID, stored.CreatedAt, u.ID, u.CreatedAt)
				}
				byName, err := f.svc.UserByName(ctx, test.want.Username)
				if err != nil || byName.ID != u.ID {
					t.Errorf("UserByName(%q) = %s, %v; want %s", test.want.Username, byName.ID, err, u.ID)
				}
				if _, err := f.svc.Authenticate(ctx, test.in.Username, test.in.Password, "192.0.2.1"); err != nil {
					t.Errorf("new user cannot sign in: %v", err)
				}
				if ev := lastEvent(t, db, "user", u.ID); ev.Type != "user.created" || ev.ActorUserID != f.sysadmin.UserID {
					t.Errorf("event = %s by %s, want user.created by %s", ev.Type, ev.ActorUserID, f.sysadmin.UserID)
				}
			})
		}
	})
}

func TestCreateUserRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		good := identity.UserInput{Username: "newuser", DisplayName: "新用户", Password: testPassword,
			Memberships: []identity.Membership{{OrganizationID: f.orgA.ID, Role: identity.RoleEditor}}}
		with := func(change func(in *identity.UserInput)) identity.UserInput {
			in := good
			in.Memberships = append([]identity.Membership(nil), good.Memberships...)
			change(&in)
			return in
		}
		tests := []struct {
			name    string
			actor   identity.Principal
			in      identity.UserInput
			wantErr error
			fields  []string
		}{
			{name: "anonymous", actor: identity.Anonymous, in: good, wantErr: identity.ErrForbidden},
			{name: "platform operator", actor: f.operator, in: good, wantErr: identity.ErrForbidden},
			{name: "organization admin", actor: f.adminA, in: good, wantErr: identity.ErrForbidden},
			{name: "username too short", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Username = "ab" }), fields: []string{"username"}},
			{name: "username with a space", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Username = "li si" }), fields: []string{"username"}},
			{name: "username starting with a dot", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Username = ".lisi" }), fields: []string{"username"}},
			{name: "username in Chinese", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Username = "李四李四" }), fields: []string{"username"}},
			{name: "password too short", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Password = "123456789" }), fields: []string{"password"}},
			{name: "missing display name", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.DisplayName = " " }), fields: []string{"display_name"}},
			{name: "bad email", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Email = "lisi.example.cn" }), fields: []string{"email"}},
			{name: "unknown platform role", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.PlatformRoles = []identity.PlatformRole{"root"} }), fields: []string{"platform_roles[0]"}},
			{name: "unknown membership role", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Memberships[0].Role = "owner" }), fields: []string{"memberships[0].role"}},
			{name: "membership without organization", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Memberships[0].OrganizationID = "" }), fields: []string{"memberships[0].organization_id"}},
			{name: "unknown organization", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Memberships[0].OrganizationID = "no-such-org" }), fields: []string{"memberships[0].organization_id"}},
			{name: "unknown second organization", actor: f.sysadmin, in: with(func(in *identity.UserInput) {
				in.Memberships = append(in.Memberships, identity.Membership{OrganizationID: "no-such-org", Role: identity.RoleMember})
			}), fields: []string{"memberships[1].organization_id"}},
			{name: "duplicate username", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Username = "editor-a" }), fields: []string{"username"}},
			{name: "duplicate username in another case", actor: f.sysadmin, in: with(func(in *identity.UserInput) { in.Username = "Editor-A" }), fields: []string{"username"}},
			{name: "every problem at once", actor: f.sysadmin, in: identity.UserInput{Username: "x", Password: "short", Email: "x",
				Memberships: []identity.Membership{{Role: "boss"}}}, fields: []string{"username", "display_name", "email", "password", "memberships[0].role", "memberships[0].organization_id"}},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, identityTables...)
				u, err := f.svc.CreateUser(ctx, test.actor, test.in)
				if err == nil {
					t.Fatalf("CreateUser = %+v, want an error", u)
				}
				if test.wantErr != nil {
					if !errors.Is(err, test.wantErr) {
						t.Errorf("error = %v, want %v", err, test.wantErr)
					}
				} else if diff := cmp.Diff(test.fields, errorFields(t, err)); diff != "" {
					t.Errorf("fields in error %q (-want +got):\n%s", err, diff)
				}
				assertUnchanged(t, db, before)
			})
		}
		if _, err := f.svc.UserByName(ctx, "newuser"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByName(newuser) after refusals: error = %v, want store.ErrNotFound", err)
		}
	})
}

func TestUserVisibility(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tests := []struct {
			name    string
			actor   identity.Principal
			wantErr error
		}{
			{"the user", f.editorA, nil},
			{"sysadmin", f.sysadmin, nil},
			{"admin of the user's organization", f.adminA, nil},
			{"member of the user's organization", f.memberA, identity.ErrForbidden},
			{"admin of another organization", f.adminB, identity.ErrForbidden},
			{"operator", f.operator, identity.ErrForbidden},
			{"anonymous", identity.Anonymous, identity.ErrForbidden},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				u, err := f.svc.User(ctx, test.actor, f.editorA.UserID)
				if !errors.Is(err, test.wantErr) {
					t.Fatalf("User() error = %v, want %v", err, test.wantErr)
				}
				if err == nil && u.Username != "editor-a" {
					t.Errorf("User() = %+v", u)
				}
			})
		}
		if _, err := f.svc.User(ctx, f.sysadmin, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("User(missing) error = %v, want store.ErrNotFound", err)
		}
		members, err := f.svc.Members(ctx, f.orgA.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range members {
			names = append(names, m.Username)
		}
		if diff := cmp.Diff([]string{"admin-a", "editor-a", "member-a"}, names); diff != "" {
			t.Errorf("members of A (-want +got):\n%s", diff)
		}
	})
}

func TestSetMembership(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tests := []struct {
			name    string
			actor   identity.Principal
			user    string
			m       identity.Membership
			wantErr error
			fields  []string
		}{
			{name: "anonymous", actor: identity.Anonymous, user: f.memberA.UserID, m: identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleEditor}, wantErr: identity.ErrForbidden},
			{name: "editor of the organization", actor: f.editorA, user: f.memberA.UserID, m: identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleEditor}, wantErr: identity.ErrForbidden},
			{name: "member promoting themself", actor: f.memberA, user: f.memberA.UserID, m: identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleAdmin}, wantErr: identity.ErrForbidden},
			{name: "admin of another organization", actor: f.adminB, user: f.memberA.UserID, m: identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleEditor}, wantErr: identity.ErrForbidden},
			{name: "admin into an organization they do not administer", actor: f.adminA, user: f.memberA.UserID, m: identity.Membership{OrganizationID: f.orgB.ID, Role: identity.RoleEditor}, wantErr: identity.ErrForbidden},
			{name: "auditor", actor: f.auditor, user: f.memberA.UserID, m: identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleEditor}, wantErr: identity.ErrForbidden},
			{name: "unknown role", actor: f.adminA, user: f.memberA.UserID, m: identity.Membership{OrganizationID: f.orgA.ID, Role: "owner"}, fields: []string{"role"}},
			{name: "unknown organization", actor: f.sysadmin, user: f.memberA.UserID, m: identity.Membership{OrganizationID: "no-such-org", Role: identity.RoleMember}, fields: []string{"organization_id"}},
			{name: "unknown user", actor: f.adminA, user: "no-such-user", m: identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleMember}, wantErr: store.ErrNotFound},
			{name: "admin of the organization promotes a member", actor: f.adminA, user: f.memberA.UserID, m: identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleEditor}},
			{name: "sysadmin adds a member to another organization", actor: f.sysadmin, user: f.memberA.UserID, m: identity.Membership{OrganizationID: f.orgB.ID, Role: identity.RoleMember}},
			{name: "admin of B adds A's editor to B", actor: f.adminB, user: f.editorA.UserID, m: identity.Membership{OrganizationID: f.orgB.ID, Role: identity.RoleAdmin}},
			{name: "platform operator anywhere", actor: f.operator, user: f.memberA.UserID, m: identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleAdmin}},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, identityTables...)
				prevRole := roleOf(t, f, test.user, test.m.OrganizationID)
				err := f.svc.SetMembership(ctx, test.actor, test.user, test.m)
				switch {
				case test.wantErr != nil || test.fields != nil:
					if test.wantErr != nil && !errors.Is(err, test.wantErr) {
						t.Errorf("error = %v, want %v", err, test.wantErr)
					}
					if test.fields != nil {
						if diff := cmp.Diff(test.fields, errorFields(t, err)); diff != "" {
							t.Errorf("fields (-want +got):\n%s", diff)
						}
					}
					assertUnchanged(t, db, before)
					if got := roleOf(t, f, test.user, test.m.OrganizationID); got != prevRole {
						t.Errorf("role changed from %q to %q by a refused write", prevRole, got)
					}
				case err != nil:
					t.Fatal(err)
				default:
					if got := roleOf(t, f, test.user, test.m.OrganizationID); got != test.m.Role {
						t.Errorf("role = %q, want %q", got, test.m.Role)
					}
					ev := lastEvent(t, db, "user", test.user)
					if ev.Type != "membership.set" || ev.ActorUserID != test.actor.UserID || ev.ActorOrgID != test.m.OrganizationID {
						t.Errorf("event = %s by %s in %s, want membership.set by %s in %s", ev.Type, ev.ActorUserID, ev.ActorOrgID,
							test.actor.UserID, test.m.OrganizationID)
					}
				}
			})
		}
	})
}

// roleOf returns the role a user holds in an organization, as a fresh
// Principal sees it ("" for none or an unknown user).
func roleOf(t *testing.T, f *fixture, userID, orgID string) identity.Role {
	t.Helper()
	p, err := f.svc.Principal(context.Background(), userID)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	} else if err != nil {
		t.Fatal(err)
	}
	return p.RoleIn(orgID)
}

func TestAuthenticate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `UPDATE users SET disabled = $1 WHERE username = 'member-a'`, true); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, username, password string
			wantUser                 string
			wantErr                  error
		}{
			{name: "right password", username: "editor-a", password: testPassword, wantUser: f.editorA.UserID},
			{name: "username in another case with spaces", username: " Editor-A ", password: testPassword, wantUser: f.editorA.UserID},
			{name: "wrong password", username: "admin-a", password: testPassword + "!", wantErr: identity.ErrBadCredentials},
			{name: "empty password", username: "admin-b", password: "", wantErr: identity.ErrBadCredentials},
			{name: "unknown user", username: "nobody", password: testPassword, wantErr: identity.ErrBadCredentials},
			{name: "disabled user with the right password", username: "member-a", password: testPassword, wantErr: identity.ErrBadCredentials},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				p, err := f.svc.Authenticate(ctx, test.username, test.password, "192.0.2.7")
				if !errors.Is(err, test.wantErr) {
					t.Fatalf("Authenticate error = %v, want %v", err, test.wantErr)
				}
				if err != nil {
					if !p.IsAnonymous() {
						t.Errorf("failed sign-in returned principal %+v", p)
					}
					return
				}
				want, err := f.svc.Principal(ctx, test.wantUser)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, p); diff != "" {
					t.Errorf("principal (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// TestAuthenticateThrottles: failures slow down the address they come
// from, and failures from elsewhere never keep the owner out.
func TestAuthenticateThrottles(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		const free = 5
		// Fewer failures than the free ones, then a success, clear the pair's count.
		for range free - 1 {
			if _, err := f.svc.Authenticate(ctx, "editor-a", "wrong password!", "198.51.100.1"); !errors.Is(err, identity.ErrBadCredentials) {
				t.Fatalf("wrong password: error = %v, want ErrBadCredentials", err)
			}
		}
		if _, err := f.svc.Authenticate(ctx, "editor-a", testPassword, "198.51.100.1"); err != nil {
			t.Fatalf("right password after %d failures: %v", free-1, err)
		}
		// Now fail the free ones from one address.
		for i := range free {
			if _, err := f.svc.Authenticate(ctx, "editor-a", "wrong password!", "198.51.100.2"); !errors.Is(err, identity.ErrBadCredentials) {
				t.Fatalf("failure %d: error = %v, want ErrBadCredentials", i+1, err)
			}
		}
		tests := []struct {
			name, username, password, address string
			wantErr                           error
		}{
			{"right password from the failing address waits", "editor-a", testPassword, "198.51.100.2", identity.ErrThrottled},
			{"the username in another case waits", "EDITOR-A", testPassword, "198.51.100.2", identity.ErrThrottled},
			{"wrong password from the failing address waits", "editor-a", "wrong password!", "198.51.100.2", identity.ErrThrottled},
			{"the owner at another address is not kept out", "editor-a", testPassword, "203.0.113.9", nil},
			{"another user at the failing address is not kept out", "admin-a", testPassword, "198.51.100.2", nil},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				p, err := f.svc.Authenticate(ctx, test.username, test.password, test.address)
				if !errors.Is(err, test.wantErr) {
					t.Fatalf("Authenticate error = %v, want %v", err, test.wantErr)
				}
				if err != nil && !p.IsAnonymous() {
					t.Errorf("throttled sign-in returned principal %+v", p)
				}
				var throttled *identity.ThrottledError
				if errors.As(err, &throttled) && (throttled.Wait <= 0 || throttled.Wait > 30*time.Second) {
					t.Errorf("wait = %v, want the first step of the delay, (0, 30s]", throttled.Wait)
				}
			})
		}
	})
}

func TestAuthenticateThrottlesAddress(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		const ip = "198.51.100.66"
		// A password spray: many usernames from one address, each under the per-user limit.
		for i := range 50 {
			if _, err := f.svc.Authenticate(ctx, "sprayed"+string(rune('a'+i%26))+string(rune('a'+i/26)), "password123", ip); !errors.Is(err, identity.ErrBadCredentials) {
				t.Fatalf("attempt %d: error = %v, want ErrBadCredentials", i+1, err)
			}
		}
		if _, err := f.svc.Authenticate(ctx, "admin-a", testPassword, ip); !errors.Is(err, identity.ErrThrottled) {
			t.Errorf("sign-in from the spraying address: error = %v, want ErrThrottled", err)
		}
		if _, err := f.svc.Authenticate(ctx, "admin-a", testPassword, "198.51.100.67"); err != nil {
			t.Errorf("sign-in from another address: %v", err)
		}
	})
}
