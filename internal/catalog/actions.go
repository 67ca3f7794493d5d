package catalog

import (
	"fmt"
	"slices"
	"strings"

	"dataport/internal/identity"
)

// Action is something a person may do with a catalog resource. Whether they
// may do it now depends on who they are (policy.go) and on the resource's
// status; Actions answers both at once, for the service's write methods,
// the UI's buttons, the CKAN layer and the harvester alike.
type Action uint16

// The actions on a resource.
const (
	ActionView   Action = 1 << iota // see its entry (CanView)
	ActionEdit                      // change a draft or returned entry (Update)
	ActionSubmit                    // send a draft or returned entry for review
	ActionReview                    // publish or return a submitted entry
	ActionRetire                    // withdraw a published entry
	ActionRevise                    // change a published entry in place
	ActionLoad                      // load data into it (any status but retired)
)

// ActionSet is a set of actions.
type ActionSet Action

// Has reports whether a is in the set.
func (s ActionSet) Has(a Action) bool { return Action(s)&a != 0 }

// gate is one action's rule: who may take it, in which statuses.
type gate struct {
	action   Action
	who      func(identity.Principal, Resource) bool
	statuses []Status // nil: any status
	verb     string   // "only draft or returned resources can be <verb>"
	refusal  string   // the whole refusal when set, instead of one built from verb
}

// gates are the catalog's status gates, the only place they are written.
var gates = []gate{
	{action: ActionView, who: CanView},
	{action: ActionEdit, who: CanEdit, statuses: []Status{StatusDraft, StatusReturned}, verb: "edited"},
	{action: ActionSubmit, who: CanEdit, statuses: []Status{StatusDraft, StatusReturned}, verb: "submitted"},
	{action: ActionReview, who: reviews, statuses: []Status{StatusSubmitted}, verb: "reviewed"},
	{action: ActionRetire, who: CanRetire, statuses: []Status{StatusPublished}, verb: "retired"},
	{action: ActionRevise, who: revises, statuses: []Status{StatusPublished}, verb: "revised"},
	{action: ActionLoad, who: CanEdit, statuses: []Status{StatusDraft, StatusSubmitted, StatusReturned, StatusPublished},
		refusal: "a retired resource takes no new data"},
}

func reviews(p identity.Principal, _ Resource) bool { return CanReview(p) }
func revises(p identity.Principal, _ Resource) bool { return CanRevise(p) }

// Actions returns what p may do with r now, in r's current status.
func Actions(p identity.Principal, r Resource) ActionSet {
	var s ActionSet
	for _, g := range gates {
		if g.who(p, r) && g.admits(r.Status) {
			s |= ActionSet(g.action)
		}
	}
	return s
}

// Check returns nil when p may take action a on r now (a is in Actions(p,
// r)), identity.ErrForbidden when p may not take it in any status, and an
// error wrapping ErrState when p could take it but r's status does not
// allow it.
func Check(p identity.Principal, r Resource, a Action) error {
	for _, g := range gates {
		switch {
		case g.action != a:
			continue
		case !g.who(p, r):
			return identity.ErrForbidden
		case g.admits(r.Status):
			return nil
		case g.refusal != "":
			return fmt.Errorf("%w: %s", ErrState, g.refusal)
		default:
			return fmt.Errorf("%w: only %s resources can be %s (this one is %s)", ErrState, g.statusList(), g.verb, r.Status)
		}
	}
	panic(fmt.Sprintf("catalog: unknown action %d", a))
}

func (g gate) admits(s Status) bool { return g.statuses == nil || slices.Contains(g.statuses, s) }

// statusList names the statuses a gate admits: "draft or returned".
func (g gate) statusList() string {
	names := make([]string, len(g.statuses))
	for i, s := range g.statuses {
		names[i] = string(s)
	}
	return strings.Join(names, " or ")
}
