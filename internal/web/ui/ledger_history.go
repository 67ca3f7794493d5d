package ui

import (
	"context"
	"net/url"
	"slices"
	"time"

	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/web/ui/i18n"
)

// resourceEventLimit is how many of a resource's events its page lists.
const resourceEventLimit = 50

// eventRow is one event as the event tables show it: what the log entry
// says, plus names for the people and institution involved.
type eventRow struct {
	ID          string
	Type        string
	At          time.Time
	SubjectKind string
	SubjectID   string
	Sealed      bool
	Index       int64
	Platform    bool                  // done by the platform itself, not a person
	Who         string                // the actor's username; "" when hidden or unknown
	Org         identity.Organization // the actor's institution (audit page only)
}

// eventHistory is the event history section of a page about one subject.
type eventHistory struct {
	Rows     []eventRow
	More     bool   // the subject has more events than Rows
	Limit    int    // how many are shown at most
	AuditURL string // the subject's full history on the audit page; "" unless the viewer is staff
}

// resourceEvents lists a resource's events for its page, newest first; nil
// when the UI runs without a ledger. The caller has already checked, with
// catalog.Get, that p may see the resource. Its events carry identifiers,
// times and hashes only, which the public log publishes anyway, so every
// viewer of the page sees them (as every viewer sees the resource's
// versions); usernames are shown to signed-in viewers only, as in the
// resource's history.
func (s *server) resourceEvents(ctx context.Context, p identity.Principal, id string) (*eventHistory, error) {
	if s.ledger == nil {
		return nil, nil
	}
	page, err := s.ledger.Events(ctx, identity.System, ledger.Filter{SubjectKind: "resource", SubjectID: id, Limit: resourceEventLimit})
	if err != nil {
		return nil, err
	}
	rows, err := s.eventRows(ctx, p, page.Events, false)
	if err != nil {
		return nil, err
	}
	h := &eventHistory{Rows: rows, More: page.NextCursor != "", Limit: resourceEventLimit}
	if p.IsPlatformStaff() {
		h.AuditURL = withQuery("/audit", url.Values{"subject_kind": {"resource"}, "subject_id": {id}})
	}
	return h, nil
}

// eventRows turns events into table rows. An actor's username is shown
// only where the viewer may know who acted (mayKnowActor); withOrgs also
// names the actors' institutions.
func (s *server) eventRows(ctx context.Context, p identity.Principal, events []store.Event, withOrgs bool) ([]eventRow, error) {
	known := make([]bool, len(events))
	subjects := map[string]bool{} // kind/id → whether p may know who acted on it
	var ids []string
	for i, ev := range events {
		switch key := ev.SubjectKind + "/" + ev.SubjectID; {
		case ev.ActorUserID == "":
			continue
		case ev.ActorUserID == p.UserID:
			known[i] = true
		default:
			ok, seen := subjects[key]
			if !seen {
				var err error
				if ok, err = s.mayKnowActor(ctx, p, ev); err != nil {
					return nil, err
				}
				subjects[key] = ok
			}
			known[i] = ok
		}
		if known[i] && !slices.Contains(ids, ev.ActorUserID) {
			ids = append(ids, ev.ActorUserID)
		}
	}
	names, err := s.identity.Usernames(ctx, ids)
	if err != nil {
		return nil, err
	}
	var orgs map[string]identity.Organization
	if withOrgs {
		if orgs, err = s.organizationIndex(ctx); err != nil {
			return nil, err
		}
	}
	rows := make([]eventRow, len(events))
	for i, ev := range events {
		who := ""
		if known[i] {
			who = names[ev.ActorUserID]
		}
		rows[i] = newEventRow(ev, who, orgs[ev.ActorOrgID])
	}
	return rows, nil
}

func newEventRow(ev store.Event, who string, org identity.Organization) eventRow {
	row := eventRow{ID: ev.ID, Type: ev.Type, At: ev.At, SubjectKind: ev.SubjectKind, SubjectID: ev.SubjectID,
		Platform: ev.ActorUserID == "" || ev.ActorUserID == identity.System.UserID, Who: who, Org: org}
	if ev.LedgerIndex != nil {
		row.Sealed, row.Index = true, *ev.LedgerIndex
	}
	return row
}

// eventTypes are the event types the platform emits, offered as
// suggestions in the audit page's type filter (any other type still works).
func eventTypes() []string {
	return i18n.Keys("event.")
}

// subjectKinds are the kinds of subject events are about, for the same filter.
func subjectKinds() []string {
	return i18n.Keys("subjectkind.")
}
