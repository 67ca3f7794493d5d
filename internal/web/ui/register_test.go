package ui_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/signup"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
)

// newSignupPortal is a portal with self-registration and an operator.
func newSignupPortal(t *testing.T) *portal {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	p := &portal{t: t, db: db, identity: identity.NewService(db), catalog: catalog.NewService(db)}
	p.org = p.createInstitution("12110000000000001", "市交通委员会", "Municipal Transport Commission")
	p.createUser("operator.wang", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}})
	rev := review.NewService(db, review.Config{})
	su := signup.NewService(db, p.identity, signup.Config{Review: rev})
	h, err := ui.New(ui.Config{Services: services.Services{Identity: p.identity, Catalog: p.catalog, Review: rev, Signup: su,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// confirmPath is the path of the confirmation link e-mailed to email.
func (p *portal) confirmPath(email string) string {
	p.t.Helper()
	var link string
	err := p.db.QueryRowContext(context.Background(), `SELECT n.link FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE u.login_email = $1 AND n.kind = $2`, email, signup.NoticeConfirm).Scan(&link)
	if err != nil {
		p.t.Fatal(err)
	}
	full, err := p.identity.MailLink(context.Background(), link)
	if err != nil {
		p.t.Fatal(err)
	}
	return full
}

var codeField = regexp.MustCompile(`name="code" value="([^"]+)"`)

// TestCompanyRegistersAndTheOperatorApproves: a company registers with its
// USCC, confirms its address, is told it waits for verification (also when
// it tries to sign in), the operator approves it on the queue page, and it
// signs in to a workspace that offers no catalog entry.
func TestCompanyRegistersAndTheOperatorApproves(t *testing.T) {
	p := newSignupPortal(t)
	b := p.browser()
	form := url.Values{"csrf_token": {b.csrf("/register?kind=enterprise")}, "kind": {"enterprise"}, "display_name": {"张经理"},
		"email": {"zhang@zhitu.example.cn"}, "password": {password}, "password_confirm": {password},
		"company_name": {"京华智图导航科技有限公司"}, "uscc": {"91110108551385082R"}}
	pg := b.post("/register", form)
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "统一社会信用代码：不是有效的统一社会信用代码", `value="zhang@zhitu.example.cn"`, `value="京华智图导航科技有限公司"`)
	if strings.Contains(pg.body, password) {
		t.Error("the form shows the password back")
	}
	form.Set("uscc", "91110108551385082Q")
	pg = b.post("/register", form)
	if pg.url != "/register/sent" {
		t.Fatalf("after registering: %d at %s", pg.status, pg.url)
	}
	sent := pg.body

	// The same address again: the same answer, no second account.
	other := p.browser()
	form.Set("csrf_token", other.csrf("/register?kind=enterprise"))
	form.Set("uscc", "91110000802100433B")
	if pg := other.post("/register", form); pg.url != "/register/sent" || pg.body != sent {
		t.Errorf("registering a taken address answered differently: %d at %s", pg.status, pg.url)
	}

	pg = b.get(strings.TrimPrefix(p.confirmPath("zhang@zhitu.example.cn"), p.url))
	m := codeField.FindStringSubmatch(pg.body)
	if m == nil {
		t.Fatalf("confirmation page without the code:\n%s", pg.body)
	}
	pg = b.post("/register/confirm", url.Values{"csrf_token": {b.csrf("/register/resend")}, "code": {m[1]}})
	mustContain(t, pg, "邮箱已确认，企业信息待核验")
	pg = b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {"zhang@zhitu.example.cn"}, "password": {password}})
	mustStatus(t, pg, http.StatusForbidden)
	mustContain(t, pg, "企业信息待核验")

	operator := p.browser()
	operator.login("operator.wang")
	pg = operator.get("/admin/verifications")
	mustContain(t, pg, "京华智图导航科技有限公司", "91110108551385082Q", "待核验")
	id := regexp.MustCompile(`href="/admin/verifications/([^"]+)"`).FindStringSubmatch(pg.body)
	if id == nil {
		t.Fatal("no verification linked on the queue page")
	}
	path := "/admin/verifications/" + id[1]
	mustContain(t, operator.get(path), "zhang@zhitu.example.cn", "张经理")
	pg = operator.post(path+"/review", url.Values{"csrf_token": {operator.csrf(path)}, "decision": {"reject"}})
	mustStatus(t, pg, http.StatusUnprocessableEntity) // rejecting needs a reason
	pg = operator.post(path+"/review", url.Values{"csrf_token": {operator.csrf(path)}, "decision": {"approve"}})
	mustContain(t, pg, "核验结果已记录")
	mustStatus(t, p.browser().get("/admin/verifications"), http.StatusOK) // anonymous: the sign-in page
	if pg := p.browser().get("/admin/verifications"); pg.url == "/admin/verifications" {
		t.Error("the queue is open to anonymous visitors")
	}

	company := p.browser()
	company.login("zhang@zhitu.example.cn")
	if pg := company.get("/my"); strings.Contains(pg.body, "/my/resources/new") {
		t.Error("the company's workspace offers to create a data resource")
	}
	mustStatus(t, company.get("/admin/verifications"), http.StatusForbidden)
	mustContain(t, company.get("/account"), "京华智图导航科技有限公司", "91110108551385082Q", "企业", "已确认")
}

// TestForgottenPasswordByEmail: "忘记密码" answers the same for a known and
// an unknown address; the link e-mailed to a known one opens the reset
// form with its code filled in, and the new password signs in.
func TestForgottenPasswordByEmail(t *testing.T) {
	p := newSignupPortal(t)
	if _, err := p.identity.CreateUser(context.Background(), identity.System, identity.UserInput{Username: "citizen.lin", DisplayName: "林市民",
		Email: "lin@example.cn", Password: password}); err != nil {
		t.Fatal(err)
	}
	b := p.browser()
	var answers []string
	for _, email := range []string{"nobody@example.cn", "lin@example.cn"} {
		pg := b.post("/password-forgot", url.Values{"csrf_token": {b.csrf("/password-forgot")}, "email": {email}})
		if pg.url != "/password-forgot/sent" {
			t.Fatalf("%s: %d at %s", email, pg.status, pg.url)
		}
		answers = append(answers, pg.body)
	}
	if answers[0] != answers[1] {
		t.Error("the answer differs for an address with an account")
	}
	var link string
	if err := p.db.QueryRowContext(context.Background(), `SELECT n.link FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE u.username = 'citizen.lin' AND n.kind = $1`, signup.NoticePasswordReset).Scan(&link); err != nil {
		t.Fatal(err)
	}
	full, err := p.identity.MailLink(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	code := strings.TrimPrefix(full, "/password-reset?code=")
	pg := b.get(full)
	mustContain(t, pg, `value="`+code+`"`)
	pg = b.post("/password-reset", url.Values{"csrf_token": {b.csrf("/password-reset")}, "reset_code": {code},
		"new_password": {"a new and long password"}, "new_password_confirm": {"a new and long password"}})
	if pg.url != "/login?done=password_set" {
		t.Fatalf("after the reset: %d at %s", pg.status, pg.url)
	}
	pg = b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {"citizen.lin"}, "password": {"a new and long password"}})
	if pg.url != "/my" {
		t.Fatalf("signing in with the new password: %d at %s", pg.status, pg.url)
	}
}
