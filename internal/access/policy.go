package access

import (
	"slices"

	"dataport/internal/identity"
)

// The authorization questions about grants, one per action. The services
// ask them; the UI asks the same ones to decide which buttons to show.

// holds reports whether p is on the receiving side of g: the grantee user,
// a member of the grantee organization, or of an organization in the
// grantee group (groupsOf lists an organization's groups).
func holds(p identity.Principal, g Grant, groupsOf func(string) []string) bool {
	switch g.GranteeKind {
	case GranteeUser:
		return !p.IsAnonymous() && p.UserID == g.GranteeID
	case GranteeOrganization:
		return p.RoleIn(g.GranteeID) != ""
	case GranteeGroup:
		for _, org := range p.OrgIDs() {
			if slices.Contains(groupsOf(org), g.GranteeID) {
				return true
			}
		}
	}
	return false
}

// CanViewGrant: both sides of a grant see it and its usage (the grantee and
// the providing institution), and so does platform staff.
func (s *Service) CanViewGrant(p identity.Principal, g Grant) bool {
	return p.IsPlatformStaff() || p.RoleIn(g.ProviderOrgID) != "" || holds(p, g, s.groupsOf)
}

// CanRevoke: the providing institution's admins and platform operators
// revoke grants; the grantee's admins may give theirs up.
func (s *Service) CanRevoke(p identity.Principal, g Grant) bool {
	return p.AtLeast(g.ProviderOrgID, identity.RoleAdmin) || p.Has(identity.PlatformOperator) ||
		p.Has(identity.PlatformSysadmin) || s.canManageKeys(p, g)
}

// CanManageKeys: the grantee user, or admins of the grantee organization,
// create and revoke the grant's API keys for their machine clients.
func (s *Service) CanManageKeys(p identity.Principal, g Grant) bool { return s.canManageKeys(p, g) }

func (s *Service) canManageKeys(p identity.Principal, g Grant) bool {
	switch g.GranteeKind {
	case GranteeUser:
		return !p.IsAnonymous() && p.UserID == g.GranteeID
	case GranteeOrganization:
		return p.AtLeast(g.GranteeID, identity.RoleAdmin)
	}
	return false
}

// CanManageGroups: platform operators and sysadmins define organization groups.
func CanManageGroups(p identity.Principal) bool {
	return p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

// CanGrantDirectly: platform operators and sysadmins grant without a workflow (origin manual).
func CanGrantDirectly(p identity.Principal) bool { return CanManageGroups(p) }

func (s *Service) groupsOf(orgID string) []string {
	s.cache.mu.RLock()
	defer s.cache.mu.RUnlock()
	return s.cache.groups[orgID]
}
