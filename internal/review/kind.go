package review

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
)

// Kind is the configuration of one kind of case. Its names are the kind's
// own vocabulary: the steps' names are the statuses a case takes while it
// waits there, Approved is the status of an approved case, and events are
// named "<Name>.<status>" for every move (and "<Name>.created",
// ".escalated", ".reminded", ".answered", ".approved" for the rest), so the
// configuration fixes the kind's event names.
type Kind struct {
	Name    string // names cases in history, events and notices: "share_request"
	Title   string // names a case in "not found" errors: "share request"
	Noun    string // names a case in state errors: "the request is granted"
	Article string // goes before Noun: "a", "an"
	Link    string // a case's page without its id: "/share-requests/"

	// Steps are the review, in order; a case is filed at the first and
	// needs those its Filing.Plan names.
	Steps []Step
	// Approved is the status (and history action) of an approved case
	// (default "approved").
	Approved Status
	// Notices names the notice sent at each transition; none is sent where
	// it names none. Keys: a step's name (the case has come to wait there:
	// its reviewers are told), the Approved status and "rejected" (the
	// filer is told), "refused" (rejected by rule at filing: the filer),
	// "withdrawn" (the step's reviewers), "escalated" (the platform
	// operators and the subject's admins), "reminded" (the step's reviewers
	// who have not decided), "more_info" and "expired" (the filer),
	// "answered" (the step's reviewers).
	Notices map[string]string
	// FilerOrgRole is who in the filing organization, besides the filer,
	// hears of decisions: its members holding at least this role ("" nobody).
	FilerOrgRole identity.Role
	// AnswerDays is how many working days a filer has to answer a request
	// for more information before the case expires (0: no limit).
	AnswerDays int

	// Payload returns the payload of the case's events: identifiers and
	// hashes only. It reads the kind's own record in q, which is the
	// transaction of the change. Nil gives the case's own identifiers.
	Payload func(ctx context.Context, q store.Querier, c Case) (map[string]any, error)
	// Decided is the kind's decision handler: it runs in the transaction
	// of the decision, once the case is approved or rejected (c.Status
	// says which), before the event is written. Sharing creates the grant
	// there; an error undoes the whole decision.
	Decided func(ctx context.Context, tx *store.Tx, actor identity.Principal, c Case) error
}

// Step is one stage of a review: its reviewers decide it, all of them or
// any one of them (a single reviewer is both), within Days working days.
type Step struct {
	Name      string // the case's status while it waits here: "provider_review"
	Need      Need   // AllOf (default) or AnyOf
	Reviewers []Reviewer
	// Days is how many working days the reviewers have from the day the
	// case comes to the step (0: no deadline). Past it, the case is
	// escalated: the platform operators are told and may decide in the
	// reviewers' place.
	Days int
	// RemindDays is how many working days before the deadline the
	// reviewers who have not decided are reminded (0: no reminder).
	RemindDays int
	// Routed is the history action when a filing goes straight to this
	// step past earlier ones (default "routed").
	Routed string
}

// Need says how many of a step's reviewers must approve it.
type Need string

// Needs. Under AllOf every reviewer approves and any rejection rejects the
// case; under AnyOf the first decision decides the step.
const (
	AllOf Need = "all_of"
	AnyOf Need = "any_of"
)

// Reviewer is one party deciding a step. Who may decide for it is
// declared, so that the queue finds what waits for a person in SQL: the
// members holding at least Role (default member) of the organization
// playing Party in the case (PartySubject, or a key of Case.Parties) or of
// the fixed organization Org; holders of one of the Platform roles; and
// whoever May accepts (evaluated in Go; a queue over a kind with May
// reads every case at that step). Any one of them suffices. The filer of a
// case never decides it, whatever this says.
type Reviewer struct {
	Name     string // names the decision in history: "provider", "law_firm"
	Party    string
	Org      string
	Role     identity.Role
	Platform []identity.PlatformRole
	May      func(identity.Principal, Case) bool
}

// may says whether p is one of r's deciders on c.
func (r Reviewer) may(p identity.Principal, c Case) bool {
	role := cmp.Or(r.Role, identity.RoleMember)
	if org := c.party(r.Party); r.Party != "" && org != "" && p.AtLeast(org, role) {
		return true
	}
	if r.Org != "" && p.AtLeast(r.Org, role) {
		return true
	}
	if slices.ContainsFunc(r.Platform, p.Has) {
		return true
	}
	return r.May != nil && r.May(p, c)
}

// to addresses r's deciders on c in a notice (May cannot be addressed).
func (r Reviewer) to(c Case) notify.To {
	var to notify.To
	if org := c.party(r.Party); r.Party != "" && org != "" {
		to.Orgs = append(to.Orgs, org)
	}
	if r.Org != "" {
		to.Orgs = append(to.Orgs, r.Org)
	}
	to.OrgRole = r.Role
	to.Operators = slices.Contains(r.Platform, identity.PlatformOperator)
	return to
}

// CanTakeOver says whether p may decide an escalated step in its
// reviewers' place: platform operators and sysadmins.
func CanTakeOver(p identity.Principal) bool {
	return p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

// step returns the kind's step named name, or nil.
func (k *Kind) step(name string) *Step {
	for i := range k.Steps {
		if k.Steps[i].Name == name {
			return &k.Steps[i]
		}
	}
	return nil
}

// check says what is wrong with k as configured.
func (k Kind) check() error {
	var errs []error
	if !names.MatchString(k.Name) {
		errs = append(errs, fmt.Errorf("name must be a lower-case word"))
	}
	if len(k.Steps) == 0 {
		errs = append(errs, errors.New("needs at least one step"))
	}
	reserved := []string{string(StatusMoreInfo), string(StatusRejected), string(StatusWithdrawn), string(StatusExpired), string(k.Approved)}
	seen := map[string]bool{}
	for i, st := range k.Steps {
		switch {
		case !names.MatchString(st.Name) || seen[st.Name] || slices.Contains(reserved, st.Name):
			errs = append(errs, fmt.Errorf("steps[%d]: name %q must be a new lower-case word, not a status", i, st.Name))
		case st.Need != "" && st.Need != AllOf && st.Need != AnyOf:
			errs = append(errs, fmt.Errorf("steps[%d]: need %q is neither all_of nor any_of", i, st.Need))
		case len(st.Reviewers) == 0:
			errs = append(errs, fmt.Errorf("steps[%d]: needs a reviewer", i))
		case st.Days < 0 || st.RemindDays < 0 || (st.RemindDays > 0 && st.RemindDays >= st.Days):
			errs = append(errs, fmt.Errorf("steps[%d]: reminders come before a deadline of at least one working day", i))
		}
		seen[st.Name] = true
		errs = append(errs, checkReviewers(i, st.Reviewers)...)
	}
	return errors.Join(errs...)
}

func checkReviewers(step int, rs []Reviewer) []error {
	var errs []error
	seen := map[string]bool{Takeover: true}
	for j, r := range rs {
		if !names.MatchString(r.Name) || seen[r.Name] {
			errs = append(errs, fmt.Errorf("steps[%d].reviewers[%d]: name %q must be a new lower-case word", step, j, r.Name))
		}
		if r.Party != "" && !names.MatchString(r.Party) {
			errs = append(errs, fmt.Errorf("steps[%d].reviewers[%d]: party %q must be a lower-case word", step, j, r.Party))
		}
		if r.Party == "" && r.Org == "" && len(r.Platform) == 0 && r.May == nil {
			errs = append(errs, fmt.Errorf("steps[%d].reviewers[%d]: says nobody may decide", step, j))
		}
		seen[r.Name] = true
	}
	return errs
}
