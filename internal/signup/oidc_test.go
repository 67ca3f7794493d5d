package signup_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"dataport/internal/identity"
	"dataport/internal/signup"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// cityUser is a person or company the test provider signs in; a company's
// ID token carries its USCC in the claim "uscc".
type cityUser struct {
	mockoidc.MockUser
	Name, USCC, Company string
}

type cityClaims struct {
	*mockoidc.IDTokenClaims
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name,omitempty"`
	USCC          string `json:"uscc,omitempty"`
	Company       string `json:"company_name,omitempty"`
}

func (u *cityUser) Claims(_ []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &cityClaims{IDTokenClaims: c, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name, USCC: u.USCC, Company: u.Company}, nil
}

// startProvider runs an OpenID Connect provider on a local port for the test.
func startProvider(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return m
}

// signInAt walks the browser's part of the flow: it opens the provider's
// authorization URL and returns the code and state it sends back.
func signInAt(t *testing.T, authURL string) (code, state string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		t.Fatalf("the provider answered %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	return back.Query().Get("code"), back.Query().Get("state")
}

func TestSingleSignOnOpensAndLinksAccounts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := startProvider(t)
		cfg := m.Config()
		w := newWorld(t, db, signup.Config{OIDC: signup.OIDC{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			RedirectURL: "http://127.0.0.1/login/sso/callback"}})
		signIn := func(u mockoidc.User) (identity.Principal, error) {
			m.QueueUser(u)
			st, err := w.svc.StartSSO(ctx)
			if err != nil {
				t.Fatal(err)
			}
			authURL, _ := url.Parse(st.URL)
			if q := authURL.Query(); q.Get("code_challenge_method") != "S256" || q.Get("nonce") != st.Nonce || q.Get("state") != st.State {
				t.Fatalf("authorization URL %s lacks PKCE S256, the nonce or the state", st.URL)
			}
			code, state := signInAt(t, st.URL)
			if state != st.State {
				t.Fatalf("state %q came back as %q", st.State, state)
			}
			return w.svc.FinishSSO(ctx, code, st)
		}
		company := &cityUser{MockUser: mockoidc.MockUser{Subject: "corp-001", Email: "it@shunda.example.cn", EmailVerified: true},
			Name: "王经理", USCC: "91110000802100433B", Company: "京华顺达物流有限公司"}
		p, err := signIn(company)
		if err != nil {
			t.Fatalf("first sign-in of a company: %v", err)
		}
		u, err := w.ids.User(ctx, p, p.UserID)
		if err != nil {
			t.Fatal(err)
		}
		org, err := w.ids.Organization(ctx, u.Memberships[0].OrganizationID)
		if err != nil || org.Kind != identity.KindEnterprise || org.USCC != company.USCC || org.NameZh != company.Company {
			t.Fatalf("organization %+v (%v): want the company from the token", org, err)
		}
		again, err := signIn(company)
		if err != nil || again.UserID != p.UserID {
			t.Fatalf("second sign-in: %+v, %v; want the same account", again, err)
		}
		person := &cityUser{MockUser: mockoidc.MockUser{Subject: "person-42", Email: "zhou@example.cn", EmailVerified: true}, Name: "周子航"}
		pp, err := signIn(person)
		if err != nil {
			t.Fatal(err)
		}
		pu, _ := w.ids.User(ctx, pp, pp.UserID)
		porg, _ := w.ids.Organization(ctx, pu.Memberships[0].OrganizationID)
		if pp.UserID == p.UserID || porg.Kind != identity.KindIndividual || pu.DisplayName != "周子航" || !pu.EmailConfirmed {
			t.Fatalf("person signed in as %+v in %+v: want a new confirmed individual account", pu, porg)
		}
		// A wrong PKCE verifier or nonce fails: the token is not accepted.
		m.QueueUser(person)
		st, err := w.svc.StartSSO(ctx)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := signInAt(t, st.URL)
		bad := st
		bad.Verifier = "a-verifier-that-was-never-sent-0123456789abcdef"
		if _, err := w.svc.FinishSSO(ctx, code, bad); !errors.Is(err, signup.ErrSSO) {
			t.Fatalf("wrong PKCE verifier: %v, want ErrSSO", err)
		}
		m.QueueUser(person)
		st, _ = w.svc.StartSSO(ctx)
		code, _ = signInAt(t, st.URL)
		bad = st
		bad.Nonce = "another-nonce"
		if _, err := w.svc.FinishSSO(ctx, code, bad); !errors.Is(err, signup.ErrSSO) {
			t.Fatalf("wrong nonce: %v, want ErrSSO", err)
		}
	})
}
