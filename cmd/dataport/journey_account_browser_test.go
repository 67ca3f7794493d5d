package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// inbox is a real SMTP server (emersion/go-smtp) on loopback that keeps
// every message it accepts, by recipient.
type inbox struct {
	addr string
	mu   sync.Mutex
	got  map[string][]string // recipient → message bodies, decoded
}

func startInbox(t *testing.T) *inbox {
	t.Helper()
	in := &inbox{got: map[string][]string{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &inboxSession{in: in}, nil }))
	srv.Domain, srv.ReadTimeout, srv.WriteTimeout = "localhost", 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return in
}

type inboxSession struct {
	in *inbox
	to []string
}

func (s *inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *inboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *inboxSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		return err
	}
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	for _, to := range s.to {
		s.in.got[to] = append(s.in.got[to], string(body))
	}
	return nil
}
func (s *inboxSession) Reset()        { s.to = nil }
func (s *inboxSession) Logout() error { return nil }

var linkPattern = regexp.MustCompile(`https?://\S+`)

// link waits for an e-mail to `to` and returns the first link in it.
func (in *inbox) link(t *testing.T, to string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		in.mu.Lock()
		msgs := in.got[to]
		in.mu.Unlock()
		if len(msgs) > 0 {
			if l := linkPattern.FindString(msgs[len(msgs)-1]); l != "" {
				return l
			}
			t.Fatalf("the e-mail to %s has no link:\n%s", to, msgs[len(msgs)-1])
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no e-mail to %s within %s", to, within)
	return ""
}

// cityCompany is the company the test's unified identity provider signs
// in: its ID token carries the company's USCC.
type cityCompany struct{ mockoidc.MockUser }

type cityCompanyClaims struct {
	*mockoidc.IDTokenClaims
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
	USCC          string `json:"uscc"`
	Company       string `json:"company_name"`
}

func (u *cityCompany) Claims(_ []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &cityCompanyClaims{IDTokenClaims: c, Email: u.Email, EmailVerified: true, Name: "王经理",
		USCC: "91110108551385082Q", Company: "京华云帆数据服务有限公司"}, nil
}

// TestBrowserAccountJourney: a citizen registers in the browser, receives
// the confirmation e-mail over SMTP, cannot sign in before following its
// link, follows it and signs in, and sees their account; a company signs
// in through the city's unified identity (OpenID Connect, a provider
// started here); each at a desktop's width and at a phone's 390 px,
// without sideways scrolling or console errors. The citizen's workspace
// offers no "新建数据资源".
func TestBrowserAccountJourney(t *testing.T) {
	ctx := newChrome(t)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute) // a mail run every 30 s
	defer cancel()
	mailbox := startInbox(t)
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Shutdown()
	cfg := idp.Config()
	t.Setenv("DATAPORT_OIDC_CLIENT_SECRET", cfg.ClientSecret)
	s := start(t, "demo", "--data", t.TempDir(), "--smtp-url", "smtp://"+mailbox.addr+"?tls=none&from=noreply@data.jinghua.gov.cn",
		"--oidc-issuer", cfg.Issuer, "--oidc-client-id", cfg.ClientID, "--oidc-name", "使用京华市统一身份认证登录")
	console := collectConsole(t, ctx)
	emails := map[string]string{"desktop": "lin.desktop@example.cn", "phone": "lin.phone@example.cn"}
	noSideways := func(where string) { t.Helper(); fitsWidth(t, ctx, "account", where) }
	text := func(sel string) string { t.Helper(); return run(t, ctx, chromedp.Text(chromedp.CSS(sel))) }
	// signIn submits the sign-in form and waits for until (on the next page).
	signIn := func(user, password, until string) {
		t.Helper()
		do(t, ctx, navigate(s.url+"/login"), chromedp.SendKeys(chromedp.CSS("#field-username"), user),
			chromedp.SendKeys(chromedp.CSS("#field-password"), password), chromedp.Submit(chromedp.CSS("#field-password")),
			chromedp.WaitVisible(chromedp.CSS(until)))
	}
	const signedIn = `form[action="/logout"]`
	const password = "京华市民的长密码2026"

	// Register at both widths first: one run of the mail sender delivers both.
	for _, w := range widths {
		do(t, ctx, w.viewport, navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.CSS("#sso-button")))
		noSideways(w.name + " login")
		do(t, ctx, chromedp.Click(chromedp.CSS(`a[href="/register"]`)), chromedp.WaitVisible(chromedp.CSS("#field-email")))
		// A mistake first: the form says exactly which field is wrong and keeps what was typed.
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#field-display_name"), "林小溪"), chromedp.SendKeys(chromedp.CSS("#field-email"), emails[w.name]),
			chromedp.SendKeys(chromedp.CSS("#field-password"), password), chromedp.SendKeys(chromedp.CSS("#field-password_confirm"), "不一样的密码123456"),
			chromedp.Submit(chromedp.CSS("#field-email")), chromedp.WaitVisible(chromedp.CSS(".error-summary")))
		if summary := text(".error-summary"); !strings.Contains(summary, "再次输入密码") || strings.Contains(summary, "电子邮箱") {
			t.Fatalf("%s: error summary %q, want the password confirmation only", w.name, summary)
		}
		if v := run(t, ctx, chromedp.Value(chromedp.CSS("#field-email"))); v != emails[w.name] {
			t.Fatalf("%s: the e-mail typed became %q", w.name, v)
		}
		noSideways(w.name + " register error")
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#field-password"), password), chromedp.SendKeys(chromedp.CSS("#field-password_confirm"), password),
			chromedp.Submit(chromedp.CSS("#field-email")), chromedp.WaitVisible(chromedp.CSS(".notice")))
		if path := run(t, ctx, chromedp.Evaluate[string](`location.pathname`)); path != "/register/sent" {
			t.Fatalf("%s: after registering at %s", w.name, path)
		}
		noSideways(w.name + " register sent")
	}

	for _, w := range widths {
		// Not confirmed yet: the right password says so, with the way to a new link.
		do(t, ctx, w.viewport)
		signIn(emails[w.name], password, ".error-summary")
		if msg := text(".error-summary"); !strings.Contains(msg, "邮箱尚未确认") {
			t.Fatalf("%s: signing in unconfirmed shows %q", w.name, msg)
		}
		if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.error-summary a[href="/register/resend"]').length`)); n != 1 {
			t.Errorf("%s: no resend link beside the unconfirmed message", w.name)
		}
		noSideways(w.name + " login unconfirmed")

		link := mailbox.link(t, emails[w.name], 90*time.Second)
		if !strings.HasPrefix(link, s.url+"/register/confirm?code=dpc_") {
			t.Fatalf("%s: confirmation link %q", w.name, link)
		}
		do(t, ctx, navigate(link), chromedp.WaitVisible(chromedp.CSS("#confirm-email")))
		noSideways(w.name + " confirm")
		do(t, ctx, chromedp.Click(chromedp.CSS("#confirm-email")), chromedp.WaitVisible(chromedp.CSS("#field-username")))
		if notice := text("main"); !strings.Contains(notice, "邮箱已确认") {
			t.Fatalf("%s: after confirming: %q", w.name, notice)
		}
		signIn(emails[w.name], password, signedIn+", .error-summary")
		if path := run(t, ctx, chromedp.Evaluate[string](`location.pathname`)); path != "/my" {
			t.Fatalf("%s: after signing in at %s: %s", w.name, path, text("main"))
		}
		if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('a[href^="/my/resources/new"]').length`)); n != 0 {
			t.Errorf("%s: a citizen's workspace offers to create a data resource", w.name)
		}
		noSideways(w.name + " my")
		do(t, ctx, navigate(s.url+"/account"), chromedp.WaitVisible(chromedp.CSS("#email-state")))
		if state, page := text("#email-state"), text("main"); state != "已确认" || !strings.Contains(page, emails[w.name]) || !strings.Contains(page, "个人") {
			t.Fatalf("%s: account page shows e-mail state %q:\n%s", w.name, state, page)
		}
		noSideways(w.name + " account")
		do(t, ctx, chromedp.Submit(chromedp.CSS(`form[action="/logout"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login"]`)))
	}

	// A company signs in through the city's unified identity; the second
	// sign-in finds the account the first opened.
	for _, w := range widths {
		idp.QueueUser(&cityCompany{MockUser: mockoidc.MockUser{Subject: "91110108551385082Q-admin", Email: "it@yunfan.example.cn"}})
		do(t, ctx, w.viewport, navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.CSS("#sso-button")))
		if label := text("#sso-button"); label != "使用京华市统一身份认证登录" {
			t.Errorf("%s: single sign-on button %q", w.name, label)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#sso-button")), chromedp.WaitVisible(chromedp.CSS(signedIn+", .error-summary")))
		if path := run(t, ctx, chromedp.Evaluate[string](`location.pathname`)); path != "/my" {
			t.Fatalf("%s: after single sign-on at %s: %s", w.name, path, text("main"))
		}
		noSideways(w.name + " my company")
		do(t, ctx, navigate(s.url+"/account"), chromedp.WaitVisible(chromedp.CSS("#email-state")))
		if page := text("main"); !strings.Contains(page, "京华云帆数据服务有限公司") || !strings.Contains(page, "91110108551385082Q") {
			t.Fatalf("%s: the company's account page:\n%s", w.name, page)
		}
		noSideways(w.name + " account company")
		do(t, ctx, chromedp.Submit(chromedp.CSS(`form[action="/logout"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login"]`)))
	}
	// The browser reports the status of the two refusals the journey asks
	// for at each width (the form with a mistake: 422; signing in before
	// confirming: 403); nothing else may reach the console.
	refusals := map[string]int{}
	for _, m := range console.take() {
		if m.Type != chromedp.ConsoleError && !m.IsException() {
			continue
		}
		if msg := fmt.Sprint(m); strings.Contains(msg, "Failed to load resource: the server responded with a status of 4") {
			refusals[msg[strings.Index(msg, "status of ")+10:][:3]]++
			continue
		}
		t.Errorf("console %s", m)
	}
	if want := map[string]int{"422": len(widths), "403": len(widths)}; !maps.Equal(refusals, want) {
		t.Errorf("refusals reported by the browser %v, want %v", refusals, want)
	}
}
