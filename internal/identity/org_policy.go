package identity

// CanEditOrganization: sysadmins, platform operators and the
// organization's own admins change its details (UpdateOrganization).
func CanEditOrganization(p Principal, orgID string) bool {
	return CanManageOrganizations(p) || p.AtLeast(orgID, RoleAdmin)
}
