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
var AccessStatuses = []Status{ProviderReview, OperatorReview, StatusMoreInfo, Granted, StatusRejected, StatusWithdrawn, StatusExpired}

// AccessAnswerDays is how many working days the filer of a review of
// access has to answer a request for more material before it expires,
// unless the kind sets its own.
const AccessAnswerDays = 10

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
//
// A reviewer may ask the filer for more material; the clock pauses until
// the filer answers ("<prefix>.more_info" to the filer, "<prefix>.answered"
// to the reviewers) and the case expires when no answer comes within
// k.AnswerDays working days (AccessAnswerDays when unset;
// "<prefix>.expired"). A reviewer who has not decided is reminded one
// working day before a deadline of more than one day
// ("<prefix>.reminded").
func AccessReview(k Kind, prefix string, providerDays, operatorDays int) Kind {
	k.Steps = []Step{
		{Name: string(ProviderReview), Days: providerDays, RemindDays: reminder(providerDays),
			Reviewers: []Reviewer{{Name: "provider", Party: PartySubject, Role: identity.RoleAdmin}}},
		{Name: string(OperatorReview), Days: operatorDays, RemindDays: reminder(operatorDays), Routed: "to_operator",
			Reviewers: []Reviewer{{Name: "operator", Platform: []identity.PlatformRole{identity.PlatformOperator, identity.PlatformSysadmin}}}},
	}
	k.Approved = Granted
	if k.AnswerDays == 0 {
		k.AnswerDays = AccessAnswerDays
	}
	k.Notices = map[string]string{string(ProviderReview): prefix + ".submitted", string(OperatorReview): prefix + ".operator_review",
		string(Granted): prefix + ".granted", string(StatusRejected): prefix + ".rejected", "escalated": prefix + ".escalated",
		"reminded": prefix + ".reminded", string(StatusMoreInfo): prefix + ".more_info", "answered": prefix + ".answered",
		string(StatusExpired): prefix + ".expired"}
	return k
}

// reminder is the reminder lead of a step of days working days: one day,
// where the deadline leaves room for it.
func reminder(days int) int {
	if days > 1 {
		return 1
	}
	return 0
}
