// Package demo seeds a fictional but realistic municipality, 京华市, into an
// empty store: public institutions, companies and persons, their users, and a
// public data catalog whose resources sit at every step of the review
// workflow. Everything is written through the identity and catalog services,
// so each write carries its events and version history like real use does.
//
// The content is fixed: the same tables are seeded on every run (only the
// random identifiers differ). All names of people are invented.
package demo

import (
	"context"
	"errors"
	"fmt"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// Account is a demo login printed at start.
type Account struct {
	Username     string
	Password     string
	Role         string // human-readable, e.g. "institution admin (市交通委)"
	Organization string // the Chinese name of the user's organization, or "" for none
}

// ErrNotEmpty means the store already holds organizations, so it was not seeded.
var ErrNotEmpty = errors.New("demo: the store is not empty; seed only a new store")

// Seed fills an empty store through the real services (so every write emits
// its events and versions) and returns the demo accounts.
func Seed(ctx context.Context, ids *identity.Service, cat *catalog.Service) ([]Account, error) {
	existing, err := ids.Organizations(ctx, identity.OrgFilter{Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if len(existing) > 0 {
		return nil, ErrNotEmpty
	}
	orgs, err := seedOrganizations(ctx, ids)
	if err != nil {
		return nil, err
	}
	accounts, people, err := seedUsers(ctx, ids, orgs)
	if err != nil {
		return nil, err
	}
	if err := seedResources(ctx, cat, orgs, people); err != nil {
		return nil, err
	}
	return accounts, nil
}

// Accounts lists the demo logins that Seed, SeedExchange and SeedZones
// create, without touching a store: the passwords are fixed, so a seeded
// store's accounts can be printed again.
func Accounts() []Account {
	names := map[string]string{}
	for _, o := range append(append(allOrgs(), exchangeOrgs...), zoneOrgs...) {
		names[o.code] = o.zh
	}
	specs := append(append(allUsers(), exchangeUsers...), zoneUsers...)
	out := make([]Account, len(specs))
	for i, s := range specs {
		out[i] = Account{Username: s.username, Password: password(s.username), Role: s.role, Organization: names[s.org]}
	}
	return out
}

// IsSeeded reports whether db already holds the demo city (its big data
// center is registered). A store holding other data is not seeded, and Seed
// refuses it with ErrNotEmpty.
func IsSeeded(ctx context.Context, db *store.DB) (bool, error) {
	marker := platformOrgs[0]
	orgs, err := identity.NewService(db).Organizations(ctx, identity.OrgFilter{Kind: marker.kind, Q: marker.code})
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	for _, o := range orgs {
		if o.Code == marker.code && o.NameZh == marker.zh {
			return true, nil
		}
	}
	return false, nil
}
