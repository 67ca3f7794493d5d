package accesstest

import (
	"testing"

	"dataport/internal/identity"
)

// NewOrg adds an organization of kind to the world (with a valid USCC
// when the kind needs one, USCC(code)).
func (w *World) NewOrg(t testing.TB, kind identity.OrgKind, name, code string) identity.Organization {
	t.Helper()
	return w.org(t, kind, name, code, "")
}

// NewUser adds a user with Password, an optional platform role and
// memberships, and returns them as Principal loads them (with their
// organizations' kinds).
func (w *World) NewUser(t testing.TB, name string, role identity.PlatformRole, ms ...identity.Membership) identity.Principal {
	t.Helper()
	return w.user(t, name, role, ms...)
}

// USCC is the valid unified social credit code the world gives an
// organization of code.
func USCC(code string) string { return usccFor(code) }
