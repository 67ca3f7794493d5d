package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoMailboxPrintsTheConfirmationLink: the demo without --smtp-url
// e-mails through its console mailbox, so a person trying the demo who
// registers finds the confirmation link in the demo's output, and the link
// confirms the account.
func TestDemoMailboxPrintsTheConfirmationLink(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	if !strings.Contains(s.stdout.String(), "E-mails (confirmation and password-reset links, notices) are printed here.") {
		t.Fatalf("the demo does not say where its e-mails go:\n%s", s.stdout)
	}
	b := newBrowser(t, s.url)
	const email = "xiaoxi.lin@example.cn"
	status, loc, body := b.post("/register", url.Values{"csrf_token": {b.csrf("/register")}, "kind": {"individual"},
		"display_name": {"林小溪"}, "email": {email}, "password": {"京华市民的长密码2026"}, "password_confirm": {"京华市民的长密码2026"}})
	if status != http.StatusSeeOther || loc != "/register/sent" {
		t.Fatalf("register: %d %q\n%s", status, loc, excerpt(body))
	}
	link := regexp.MustCompile(`(http://[^\s]+/register/confirm\?code=[A-Za-z0-9_\-]+)`)
	var m []string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline) && m == nil; time.Sleep(500 * time.Millisecond) {
		out := s.stdout.String()
		if i := strings.Index(out, "demo mailbox: a letter to "+email); i >= 0 {
			m = link.FindStringSubmatch(out[i:])
		}
	}
	if m == nil {
		t.Fatalf("no confirmation letter to %s printed within 90 s:\n%s", email, s.stdout)
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	page := u.RequestURI()
	status, loc, body = b.post("/register/confirm", url.Values{"csrf_token": {b.csrf(page)}, "code": {u.Query().Get("code")}})
	if status != http.StatusSeeOther {
		t.Fatalf("confirming with the printed link: %d %q\n%s", status, loc, excerpt(body))
	}
	b.login(email, "京华市民的长密码2026")
}
