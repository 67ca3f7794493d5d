package session_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/ui/session"
)

// site is a running server behind the session middleware, in the order the
// UI mounts it. GET /whoami answers "<username or anonymous> <csrf token>",
// POST /form answers "ok", POST /signin/{user} and POST /signout start and
// end a session; a refused request answers its *session.Error status and key.
type site struct {
	t   *testing.T
	url string
	ids *identity.Service
}

func newSite(t *testing.T, db *store.DB, secure bool) *site {
	t.Helper()
	s := &site{t: t, ids: identity.NewService(db)}
	if _, err := s.ids.CreateUser(context.Background(), identity.System, identity.UserInput{
		Username: "editor.li", DisplayName: "editor.li", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	var m *session.Manager
	m = session.New(s.ids, secure, func(w http.ResponseWriter, r *http.Request, err error) {
		var se *session.Error
		if !errors.As(err, &se) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Error(w, se.Key, se.Status)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		name := "anonymous"
		if p := identity.FromContext(r.Context()); !p.IsAnonymous() {
			name = p.Username
		}
		fmt.Fprintf(w, "%s %s %s", name, session.CSRFToken(r.Context()), session.Lang(r))
	})
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("POST /signin/{user}", func(w http.ResponseWriter, r *http.Request) {
		p, err := s.ids.Authenticate(r.Context(), r.PathValue("user"), "correct horse battery", "127.0.0.1")
		if err == nil {
			err = m.Start(r.Context(), w, p)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /signout", func(w http.ResponseWriter, r *http.Request) {
		if err := m.End(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /lang", func(w http.ResponseWriter, r *http.Request) { m.SetLang(w, r.URL.Query().Get("to")) })
	srv := httptest.NewServer(session.Headers(m.CrossOrigin(session.CapBody(m.Load(m.CheckCSRF(mux))))))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// client is a browser with its own cookies.
type client struct {
	t    *testing.T
	site *site
	http *http.Client
}

func (s *site) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &client{t: s.t, site: s, http: &http.Client{Jar: jar}}
}

// do sends a request, with the headers given as name, value pairs, and
// returns its status, body and response headers.
func (c *client) do(method, path string, form url.Values, header ...string) (int, string, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.site.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(body)), resp.Header
}

// whoami returns who the site thinks the client is and its form token.
func (c *client) whoami() (string, string) {
	c.t.Helper()
	_, body, _ := c.do(http.MethodGet, "/whoami", nil)
	f := strings.Fields(body)
	if len(f) != 3 {
		c.t.Fatalf("whoami = %q", body)
	}
	return f[0], f[1]
}

// post sends a form with token and returns its status and body.
func (c *client) post(path, token string) (int, string) {
	c.t.Helper()
	status, body, _ := c.do(http.MethodPost, path, url.Values{"csrf_token": {token}})
	return status, body
}

func (c *client) cookies() []*http.Cookie {
	u, err := url.Parse(c.site.url)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.http.Jar.Cookies(u)
}

func TestCSRFTokenFollowsTheSession(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db, false)
		b := s.client()
		who, pre := b.whoami()
		if who != "anonymous" || pre == "" {
			t.Fatalf("anonymous browser: %s with token %q", who, pre)
		}
		if _, again := b.whoami(); again != pre {
			t.Errorf("pre-session token changed between pages: %q then %q", pre, again)
		}
		for _, token := range []string{"", strings.Repeat("x", len(pre))} {
			if status, body := b.post("/form", token); status != http.StatusForbidden || body != session.ErrCSRF.Key {
				t.Errorf("token %q: %d %q, want 403 %s", token, status, body, session.ErrCSRF.Key)
			}
		}
		if status, body := b.post("/form", pre); status != http.StatusOK || body != "ok" {
			t.Fatalf("own pre-session token: %d %q", status, body)
		}
		if _, token := s.client().whoami(); token == pre {
			t.Error("two browsers share a token")
		}

		if status, body := b.post("/signin/editor.li", pre); status != http.StatusOK {
			t.Fatalf("sign in: %d %q", status, body)
		}
		who, signed := b.whoami()
		if who != "editor.li" || signed == pre {
			t.Fatalf("signed in: %s with token %q (pre-session token %q)", who, signed, pre)
		}
		if status, _ := b.post("/form", pre); status != http.StatusForbidden {
			t.Errorf("the pre-session token still works after sign-in: %d", status)
		}
		if status, _ := b.post("/form", signed); status != http.StatusOK {
			t.Errorf("the session's token: %d", status)
		}

		if status, body := b.post("/signout", signed); status != http.StatusOK {
			t.Fatalf("sign out: %d %q", status, body)
		}
		if who, token := b.whoami(); who != "anonymous" || token == signed || token == pre {
			t.Errorf("after sign-out: %s with token %q", who, token)
		}
	})
}

func TestEndedSessionCookieIsDropped(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := newSite(t, db, false)
	b := s.client()
	_, pre := b.whoami()
	b.post("/signin/editor.li", pre)
	var secret string
	for _, c := range b.cookies() {
		if c.Name == "dataport_session" {
			secret = c.Value
		}
	}
	if secret == "" {
		t.Fatal("no session cookie after sign-in")
	}
	if err := s.ids.EndSession(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	if who, _ := b.whoami(); who != "anonymous" {
		t.Errorf("ended session still signs in as %s", who)
	}
	for _, c := range b.cookies() {
		if c.Name == "dataport_session" {
			t.Errorf("the ended session's cookie was kept: %v", c)
		}
	}
}

func TestSecureCookiesArePinnedToTheHost(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	b := newSite(t, db, true).client()
	_, _, h := b.do(http.MethodGet, "/whoami", nil)
	set := h.Get("Set-Cookie")
	for _, want := range []string{"__Host-dataport_pre=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
}

func TestHeadersBodyCapAndCrossOrigin(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := newSite(t, db, false)
	b := s.client()
	_, token := b.whoami()
	_, _, h := b.do(http.MethodGet, "/whoami", nil)
	for header, want := range map[string]string{
		"Content-Security-Policy": "script-src 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
	} {
		if got := h.Get(header); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", header, got, want)
		}
	}

	status, body, _ := b.do(http.MethodPost, "/form", url.Values{"csrf_token": {token}, "pad": {strings.Repeat("a", 1<<20)}})
	if status != http.StatusRequestEntityTooLarge || body != session.ErrTooLarge.Key {
		t.Errorf("oversized form: %d %q", status, body)
	}

	status, body, _ = b.do(http.MethodPost, "/form", url.Values{"csrf_token": {token}}, "Sec-Fetch-Site", "cross-site")
	if status != http.StatusForbidden || body != session.ErrCrossOrigin.Key {
		t.Errorf("cross-site form with a valid token: %d %q, want 403 %s", status, body, session.ErrCrossOrigin.Key)
	}
}

func TestLanguage(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	b := newSite(t, db, false).client()
	lang := func() string {
		_, body, _ := b.do(http.MethodGet, "/whoami", nil)
		f := strings.Fields(body)
		return f[len(f)-1]
	}
	for _, test := range []struct{ to, want string }{{"", "zh"}, {"en", "en"}, {"fr", "zh"}, {"en", "en"}, {"zh", "zh"}} {
		if test.to != "" {
			b.do(http.MethodGet, "/lang?to="+test.to, nil)
		}
		if got := lang(); got != test.want {
			t.Errorf("after ?to=%s: language %s, want %s", test.to, got, test.want)
		}
	}
}
