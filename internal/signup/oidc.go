package signup

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"dataport/internal/identity"
)

// OIDC configures single sign-on with the city's unified identity through
// OpenID Connect (authorization code flow with state, nonce and PKCE).
type OIDC struct {
	Issuer       string // the provider's issuer URL; its discovery document is read on first use
	ClientID     string
	ClientSecret string
	Name         string // the sign-in button's label ("" for the default wording)
	// USCCClaim names the ID token claim holding a company's unified social
	// credit code (default "uscc"); a token carrying it signs in a company.
	USCCClaim string
	// RedirectURL is where the provider sends the browser back:
	// PUBLIC-URL/login/sso/callback.
	RedirectURL string
	// HTTPClient talks to the provider (default: 10-second timeout).
	HTTPClient *http.Client
}

// Enabled reports whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" && o.ClientID != "" }

// ErrSSO means single sign-on failed: the provider refused, answered
// wrongly, or its token did not verify. The cause is logged, not shown.
var ErrSSO = errors.New("single sign-on failed")

// sso is the discovered provider; discovery is retried until it succeeds.
type sso struct {
	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func (o OIDC) client() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// provider discovers the issuer on first use.
func (s *Service) provider(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	if !s.oidc.Enabled() {
		return nil, nil, fmt.Errorf("%w: not configured", ErrSSO)
	}
	s.sso.mu.Lock()
	defer s.sso.mu.Unlock()
	if s.sso.oauth != nil {
		return s.sso.oauth, s.sso.verifier, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.oidc.client()), s.oidc.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: discovery of %s: %v", ErrSSO, s.oidc.Issuer, err)
	}
	s.sso.oauth = &oauth2.Config{ClientID: s.oidc.ClientID, ClientSecret: s.oidc.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: s.oidc.RedirectURL, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	s.sso.verifier = p.Verifier(&oidc.Config{ClientID: s.oidc.ClientID})
	return s.sso.oauth, s.sso.verifier, nil
}

// SSOStart is a sign-in begun at the provider: the browser goes to URL and
// keeps State, Nonce and Verifier (the PKCE code verifier) until it comes
// back, in a cookie of its own.
type SSOStart struct {
	URL                    string
	State, Nonce, Verifier string
}

// StartSSO begins a sign-in at the provider.
func (s *Service) StartSSO(ctx context.Context) (SSOStart, error) {
	conf, _, err := s.provider(ctx)
	if err != nil {
		return SSOStart{}, err
	}
	st := SSOStart{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier()}
	st.URL = conf.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return st, nil
}

// FinishSSO exchanges the provider's code (with the PKCE verifier), verifies
// the ID token (signature, issuer, audience, expiry, nonce) and signs its
// person in, linking or opening their account on the first sign-in
// (identity.SignInExternal).
func (s *Service) FinishSSO(ctx context.Context, code string, st SSOStart) (identity.Principal, error) {
	conf, verifier, err := s.provider(ctx)
	if err != nil {
		return identity.Anonymous, err
	}
	ctx = oidc.ClientContext(ctx, s.oidc.client())
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return identity.Anonymous, fmt.Errorf("%w: code exchange: %v", ErrSSO, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return identity.Anonymous, fmt.Errorf("%w: the token response has no id_token", ErrSSO)
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return identity.Anonymous, fmt.Errorf("%w: %v", ErrSSO, err)
	}
	if idt.Nonce == "" || idt.Nonce != st.Nonce {
		return identity.Anonymous, fmt.Errorf("%w: the ID token's nonce does not match", ErrSSO)
	}
	ext, err := s.externalIdentity(idt)
	if err != nil {
		return identity.Anonymous, err
	}
	return s.ids.SignInExternal(ctx, ext)
}

// externalIdentity reads who signed in from the ID token's claims.
func (s *Service) externalIdentity(idt *oidc.IDToken) (identity.ExternalIdentity, error) {
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return identity.ExternalIdentity{}, fmt.Errorf("%w: claims: %v", ErrSSO, err)
	}
	str := func(names ...string) string {
		for _, n := range names {
			if v, ok := claims[n].(string); ok && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	verified, _ := claims["email_verified"].(bool)
	return identity.ExternalIdentity{Issuer: idt.Issuer, Subject: idt.Subject, Email: str("email"), EmailVerified: verified,
		Name: str("name", "preferred_username"), USCC: str(cmpStr(s.oidc.USCCClaim, "uscc")),
		CompanyName: str("company_name", "org_name", "organization")}, nil
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
