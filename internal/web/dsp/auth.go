package dsp

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// caller is who sent a request: the principal of its API token and the
// admitted buyer participants (数商) of its organizations.
type caller struct {
	p      identity.Principal
	buyers []exchange.Participant
}

// buyerOrg is the organization new negotiations are made for: the first
// of the caller's buyer participants, by organization id.
func (c caller) buyerOrg() string { return c.buyers[0].OrgID }

// owns says whether a process of the buyer organization orgID is the caller's.
func (c caller) owns(orgID string) bool {
	return slices.ContainsFunc(c.buyers, func(p exchange.Participant) bool { return p.OrgID == orgID })
}

// errNotBuyer refuses a caller with no admitted buyer participant.
var errNotBuyer = fmt.Errorf("the token's user is not a member of an admitted buyer participant of the exchange: %w", identity.ErrForbidden)

// authenticate resolves the request's API token (the Authorization header,
// "Bearer TOKEN" or the token alone, as connectors send it) the way the
// native API does, and the caller's admitted buyer participants. It
// returns the request with the principal in its context.
func (h *Handler) authenticate(r *http.Request) (caller, *http.Request, error) {
	secret := strings.TrimSpace(r.Header.Get("Authorization"))
	if s, ok := strings.CutPrefix(secret, "Bearer "); ok {
		secret = strings.TrimSpace(s)
	}
	if secret == "" {
		return caller{}, r, identity.ErrUnauthenticated
	}
	p, err := h.ids.TokenPrincipal(r.Context(), secret)
	if err != nil {
		return caller{}, r, err
	}
	r = r.WithContext(identity.NewContext(r.Context(), p))
	c := caller{p: p}
	orgs := p.OrgIDs()
	slices.Sort(orgs)
	for _, org := range orgs {
		part, err := h.ex.ParticipantOfOrg(r.Context(), h.db, org)
		if isNotFound(err) {
			continue
		} else if err != nil {
			return c, r, err
		}
		if part.Trading() && part.Has(exchange.RoleBuyer) {
			c.buyers = append(c.buyers, part)
		}
	}
	if len(c.buyers) == 0 {
		return c, r, errNotBuyer
	}
	return c, r, nil
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, store.ErrNotFound) }
