package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

// accountWorld is the API with the datastore on a store with an
// institution (its admin and editor), a company and its user, and a
// sysadmin, each with a token, and a draft resource with rows.
type accountWorld struct {
	base                           string
	cfg                            api.Config
	orgID, resourceID              string
	admin, editor, company, sysadm string // tokens
	editorID, companyID, adminID   string
}

func newAccountWorld(t *testing.T, db *store.DB) *accountWorld {
	t.Helper()
	ctx := context.Background()
	ids, cat := identity.NewService(db), catalog.NewService(db)
	org := must(ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindInstitution, NameZh: "市交通委员会",
		USCC: usccFor("11110000MB0143281"), Code: "JTW"}))
	company := must(ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindEnterprise, NameZh: "京华智图导航科技有限公司",
		USCC: usccFor("91110108MA04C2N80"), Code: "ZTDH"}))
	w := &accountWorld{orgID: org.ID}
	user := func(name string, roles []identity.PlatformRole, ms ...identity.Membership) (string, string) {
		u := must(ids.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name, Password: "correct horse battery",
			PlatformRoles: roles, Memberships: ms}))
		secret, _, err := ids.CreateToken(ctx, identity.System, u.ID, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return secret, u.ID
	}
	w.admin, w.adminID = user("jtw.admin", nil, identity.Membership{OrganizationID: org.ID, Role: identity.RoleAdmin})
	w.editor, w.editorID = user("jtw.editor", nil, identity.Membership{OrganizationID: org.ID, Role: identity.RoleEditor})
	w.company, w.companyID = user("company", nil, identity.Membership{OrganizationID: company.ID, Role: identity.RoleAdmin})
	w.sysadm, _ = user("root", []identity.PlatformRole{identity.PlatformSysadmin})
	w.resourceID = must(cat.Create(ctx, must(ids.Principal(ctx, w.editorID)), org.ID, validInput())).ID
	acc := access.New(db, cat, access.Config{})
	t.Cleanup(acc.Close)
	cfg := api.Config{Version: "test", Services: services.Services{Identity: ids, Catalog: cat, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Datastore: datastore.New(datastore.Config{DB: db, Catalog: cat, Access: acc})}}
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", api.New(cfg))
	mux.Handle("POST "+api.Prefix+"/resources/{id}/data", api.UploadHandler(cfg))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	w.base, w.cfg = srv.URL+api.Prefix, cfg
	return w
}

// TestRemovedMemberStopsReadingRows: the finding. The institution's admin
// removes a member through the API; the member's token no longer reads the
// draft or its unopened rows on the next request.
func TestRemovedMemberStopsReadingRows(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newAccountWorld(t, db)
		res := w.base + "/resources/" + w.resourceID
		if code, body := call(t, "POST", res+"/data?name=lines.csv", w.editor, "text/csv", "line_no\n1\n2\n"); code != http.StatusCreated {
			t.Fatalf("upload: %d %s", code, body)
		}
		if code, body := call(t, "GET", res+"/rows", w.editor, "", ""); code != http.StatusOK {
			t.Fatalf("the member reads rows: %d %s", code, body)
		}
		members := w.base + "/organizations/" + w.orgID + "/members/"
		if code, body := call(t, "PUT", members+w.editorID, w.admin, "application/json", `{"role":""}`); code != http.StatusUnprocessableEntity {
			t.Errorf("empty role: %d %s", code, body)
		}
		if code, body := call(t, "DELETE", members+w.editorID, w.admin, "", ""); code != http.StatusNoContent {
			t.Fatalf("remove: %d %s", code, body)
		}
		if code, _ := call(t, "GET", res+"/rows", w.editor, "", ""); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Errorf("the removed member still reads unopened rows: %d", code)
		}
		if code, _ := call(t, "GET", res, w.editor, "", ""); code != http.StatusNotFound {
			t.Errorf("the removed member still reads the draft: %d", code)
		}
		if code, _ := call(t, "DELETE", members+w.editorID, w.admin, "", ""); code != http.StatusNotFound {
			t.Errorf("removing a non-member: %d, want 404", code)
		}
		code, body := call(t, "DELETE", members+w.adminID, w.admin, "", "")
		if code != http.StatusConflict || !strings.Contains(body, "at least one admin") {
			t.Errorf("removing the last admin: %d %s", code, body)
		}
	})
}

// TestDemotedMemberStopsReadingDraftsAndRows: the finding. An editor
// demoted to a plain member kept reading the institution's drafts and
// unopened rows; a plain member now reads what any outsider may, from the
// next request on.
func TestDemotedMemberStopsReadingDraftsAndRows(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newAccountWorld(t, db)
		res := w.base + "/resources/" + w.resourceID
		if code, body := call(t, "POST", res+"/data?name=lines.csv", w.editor, "text/csv", "line_no\n1\n2\n"); code != http.StatusCreated {
			t.Fatalf("upload: %d %s", code, body)
		}
		if code, body := call(t, "PUT", w.base+"/organizations/"+w.orgID+"/members/"+w.editorID, w.admin, "application/json", `{"role":"member"}`); code != http.StatusOK {
			t.Fatalf("demote: %d %s", code, body)
		}
		if code, _ := call(t, "GET", res+"/rows", w.editor, "", ""); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Errorf("the demoted member still reads unopened rows: %d", code)
		}
		if code, _ := call(t, "GET", res, w.editor, "", ""); code != http.StatusNotFound {
			t.Errorf("the demoted member still reads the draft: %d", code)
		}
		if code, body := call(t, "GET", res+"/rows", w.admin, "", ""); code != http.StatusOK {
			t.Errorf("the institution's admin reads its rows: %d %s", code, body)
		}
	})
}

// TestCompanyUserCannotBeEnrolledByAnInstitution: the finding. The
// company's user became the institution's admin; now the institution's
// admin is refused with the reason, and the user gains nothing.
func TestCompanyUserCannotBeEnrolledByAnInstitution(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newAccountWorld(t, db)
		code, body := call(t, "PUT", w.base+"/organizations/"+w.orgID+"/members/"+w.companyID, w.admin, "application/json", `{"role":"admin"}`)
		var problem struct {
			Errors []struct{ Location, Message string }
		}
		json.Unmarshal([]byte(body), &problem)
		if code != http.StatusUnprocessableEntity || len(problem.Errors) != 1 || !strings.HasSuffix(problem.Errors[0].Location, "user_id") ||
			!strings.Contains(problem.Errors[0].Message, "only a platform operator") {
			t.Fatalf("institution admin enrols the company user: %d %s", code, body)
		}
		if code, _ := call(t, "GET", w.base+"/resources/"+w.resourceID, w.company, "", ""); code != http.StatusNotFound {
			t.Errorf("the company user reads the institution's draft: %d", code)
		}
		code, body = call(t, "PUT", w.base+"/organizations/"+w.orgID+"/members/"+w.companyID, w.sysadm, "application/json", `{"role":"member"}`)
		if code != http.StatusOK {
			t.Errorf("sysadmin enrols the company user: %d %s", code, body)
		}
	})
}

// TestAccountLifecycleAPI walks the sysadmin's and the user's operations.
func TestAccountLifecycleAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newAccountWorld(t, db)
		users := w.base + "/users"
		if code, _ := call(t, "GET", users, w.admin, "", ""); code != http.StatusForbidden {
			t.Errorf("an institution admin lists users: %d", code)
		}
		code, body := call(t, "GET", users+"?q=jtw", w.sysadm, "", "")
		var list struct{ Items []identity.User }
		if json.Unmarshal([]byte(body), &list); code != http.StatusOK || len(list.Items) != 2 {
			t.Errorf("list users: %d %s", code, body)
		}
		code, body = call(t, "PUT", users+"/me/password", w.editor, "application/json", `{"current_password":"wrong one here","new_password":"a new passphrase 1"}`)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "current_password") {
			t.Errorf("wrong current password: %d %s", code, body)
		}
		code, body = call(t, "PUT", users+"/me/password", w.editor, "application/json", `{"current_password":"correct horse battery","new_password":"a new passphrase 1"}`)
		if code != http.StatusOK {
			t.Errorf("change password: %d %s", code, body)
		}
		if code, _ := call(t, "GET", users+"/me", w.editor, "", ""); code != http.StatusOK {
			t.Errorf("the caller's token stopped working after a password change: %d", code)
		}
		code, body = call(t, "POST", users+"/"+w.editorID+"/password-reset-codes", w.sysadm, "", "")
		var rc identity.PasswordResetCode
		if json.Unmarshal([]byte(body), &rc); code != http.StatusCreated || !strings.HasPrefix(rc.Code, identity.ResetCodePrefix) {
			t.Errorf("issue reset code: %d %s", code, body)
		}
		if code, _ := call(t, "GET", users+"/me", w.editor, "", ""); code != http.StatusUnauthorized {
			t.Errorf("the token survived a password reset: %d", code)
		}
		code, body = call(t, "POST", users+"/"+w.adminID+"/disable", w.sysadm, "", "")
		var ended identity.AccessEnded
		if json.Unmarshal([]byte(body), &ended); code != http.StatusOK || ended.Tokens != 1 {
			t.Errorf("disable: %d %s", code, body)
		}
		if code, _ := call(t, "GET", users+"/me", w.admin, "", ""); code != http.StatusUnauthorized {
			t.Errorf("a disabled user's token works: %d", code)
		}
		if code, body := call(t, "POST", users+"/"+w.adminID+"/enable", w.sysadm, "", ""); code != http.StatusNoContent {
			t.Errorf("enable: %d %s", code, body)
		}
		code, body = call(t, "PUT", users+"/"+w.companyID+"/platform-roles", w.sysadm, "application/json", `{"platform_roles":["auditor"]}`)
		if code != http.StatusOK || !strings.Contains(body, `"auditor"`) {
			t.Errorf("set platform roles: %d %s", code, body)
		}
		code, body = call(t, "POST", users+"/"+w.companyID+"/revoke-access", w.sysadm, "", "")
		if json.Unmarshal([]byte(body), &ended); code != http.StatusOK || ended.Tokens != 1 {
			t.Errorf("revoke access: %d %s", code, body)
		}
		code, body = call(t, "PUT", users+"/"+w.companyID+"/password", w.sysadm, "application/json", `{"password":"short"}`)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "password") {
			t.Errorf("short password: %d %s", code, body)
		}
		code, body = call(t, "GET", w.base+"/openapi.json", "", "", "")
		if code != http.StatusOK {
			t.Fatalf("openapi: %d", code)
		}
		for _, id := range []string{"remove-membership", "list-users", "get-user", "disable-user", "enable-user", "set-platform-roles",
			"revoke-user-access", "reset-user-password", "issue-password-reset-code", "change-my-password"} {
			i := strings.Index(body, `"operationId":"`+id+`"`)
			if i < 0 {
				t.Errorf("operation %s is not in the document", id)
			}
		}
	})
}
