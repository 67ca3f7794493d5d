package catalog

import "dataport/internal/identity"

// The authorization questions of the catalog, one per action. Services ask
// them; the UI asks the same ones to decide which buttons to show.

// CanCreate: editors and admins of the organization (and sysadmins) create resources for it.
func CanCreate(p identity.Principal, orgID string) bool {
	return p.AtLeast(orgID, identity.RoleEditor) || p.Has(identity.PlatformSysadmin)
}

// CanCreateIn: CanCreate, for an organization that is a public body; a
// company's or a person's organization catalogs nothing (Create refuses).
func CanCreateIn(p identity.Principal, org identity.Organization) bool {
	return org.Kind.IsPublicBody() && CanCreate(p, org.ID)
}

// CanEdit: the same people edit and submit the organization's resources.
func CanEdit(p identity.Principal, r Resource) bool { return CanCreate(p, r.OrganizationID) }

// CanReview: platform operators (and sysadmins) publish or return submitted resources.
func CanReview(p identity.Principal) bool {
	return p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

// CanRetire: the organization's admins and platform operators retire published resources.
func CanRetire(p identity.Principal, r Resource) bool {
	return p.AtLeast(r.OrganizationID, identity.RoleAdmin) || CanReview(p)
}

// CanView: published and retired resources are public, except core data,
// whose very description is kept to its institution and platform staff;
// drafts, submitted and returned entries are the work of the
// organization's editors and admins (a plain member sees what the public
// sees, and core entries once they leave draft); submitted and returned ones
// are also seen by platform staff.
func CanView(p identity.Principal, r Resource) bool {
	switch {
	case CanEdit(p, r) || Public(r):
		return true
	case r.Classification == ClassCore:
		return r.Status != StatusDraft && (p.IsPlatformStaff() || p.RoleIn(r.OrganizationID) != "")
	default:
		return r.Status != StatusDraft && p.IsPlatformStaff()
	}
}

// Public reports whether anyone at all, signed in or not, may see r's
// entry: it is published or retired, and it is not core data. The search
// index's audience, CKAN's private flag and CanView all ask it.
func Public(r Resource) bool {
	return (r.Status == StatusPublished || r.Status == StatusRetired) && r.Classification != ClassCore
}

// publicSQL is Public as a condition on the resources table (List).
const publicSQL = "(status IN ('published', 'retired') AND classification <> 'core')"

// CanRevise: platform operators (and sysadmins), who review resources, may
// change a published one in place (Revise); institutions edit drafts.
func CanRevise(p identity.Principal) bool { return CanReview(p) }
