package review

import "dataport/internal/identity"

// The statuses of a review of access to a resource (share requests, open
// applications): waiting for the resource's provider, then for the
// platform operators, and granted.
const (
	ProviderReview Status = "provider_review"
	OperatorReview Status = "operator_review"
	Granted        Status = "granted"
)

// AccessStatuses lists every status a review of access takes.
var AccessStatuses = []Status{ProviderReview, OperatorReview, Granted, StatusRejected, StatusWithdrawn}

// AccessReview completes k as a review of access to a resource, provider
// then operator: the admins of the organization holding the resource
// decide within providerDays working days (the operators may decide in
// their place once it is escalated), then, where the case's plan says so,
// a platform operator or sysadmin within operatorDays; a filing that
// needs only the operators reaches them with the history action
// "to_operator"; an approved case is granted. The notices are
// "<prefix>.submitted" to the provider's admins, "<prefix>.operator_review"
// to the operators, "<prefix>.granted" and "<prefix>.rejected" to the
// filer and "<prefix>.escalated".
func AccessReview(k Kind, prefix string, providerDays, operatorDays int) Kind {
	k.Steps = []Step{
		{Name: string(ProviderReview), Days: providerDays,
			Reviewers: []Reviewer{{Name: "provider", Party: PartySubject, Role: identity.RoleAdmin}}},
		{Name: string(OperatorReview), Days: operatorDays, Routed: "to_operator",
			Reviewers: []Reviewer{{Name: "operator", Platform: []identity.PlatformRole{identity.PlatformOperator, identity.PlatformSysadmin}}}},
	}
	k.Approved = Granted
	k.Notices = map[string]string{string(ProviderReview): prefix + ".submitted", string(OperatorReview): prefix + ".operator_review",
		string(Granted): prefix + ".granted", string(StatusRejected): prefix + ".rejected", "escalated": prefix + ".escalated"}
	return k
}
