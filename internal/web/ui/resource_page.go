package ui

import (
	"context"
	"net/http"
	"slices"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// resourcePage is the data of one resource's page: its metadata, items,
// history, and the action forms its viewer may use.
type resourcePage struct {
	Resource  catalog.Resource
	Org       identity.Organization
	History   []historyEntry
	CanEdit   bool // edit and submit: draft or returned, and the viewer edits for its institution
	CanReview bool // submitted, and the viewer reviews
	CanRetire bool // published, and the viewer may retire it
	Review    reviewForm
	Retire    retireForm
	Errors    formErrors
	Access    *accessInfo     // how to reach a published resource (dataset_page.go)
	Events    *eventHistory   // its events in the ledger (ledger_history.go); nil without a ledger
	Grading   *gradingSection // its classification and grading (grading.go); nil when the viewer may not see it
}

// historyEntry is a version with the username of whoever made it.
type historyEntry struct {
	catalog.Version
	Who string // "" when the viewer may not see usernames
}

// reviewForm and retireForm keep what the user typed when the form failed.
type (
	reviewForm struct{ Decision, Comment string }
	retireForm struct{ Reason string }
)

// resourcePage shows one resource; hidden ones are a 404.
func (s *server) resourcePage(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadResourcePage(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	withAccess(r, &page)
	return s.render(w, r, http.StatusOK, "resource", page)
}

// loadResourcePage gathers everything the resource page shows to p.
func (s *server) loadResourcePage(ctx context.Context, p identity.Principal, id string) (resourcePage, error) {
	res, err := s.catalog.Get(ctx, p, id)
	if err != nil {
		return resourcePage{}, err
	}
	org, err := s.identity.Organization(ctx, res.OrganizationID)
	if err != nil {
		return resourcePage{}, err
	}
	history, err := s.history(ctx, p, id)
	if err != nil {
		return resourcePage{}, err
	}
	events, err := s.resourceEvents(ctx, p, res.ID)
	if err != nil {
		return resourcePage{}, err
	}
	grading, err := s.gradingSection(ctx, p, res)
	if err != nil {
		return resourcePage{}, err
	}
	editable := res.Status == catalog.StatusDraft || res.Status == catalog.StatusReturned
	return resourcePage{Resource: res, Org: org, History: history,
		CanEdit:   editable && catalog.CanEdit(p, res),
		CanReview: res.Status == catalog.StatusSubmitted && catalog.CanReview(p),
		CanRetire: res.Status == catalog.StatusPublished && catalog.CanRetire(p, res),
		Events:    events,
		Grading:   grading,
	}, nil
}

// history lists a resource's versions. Signed-in viewers see who made each;
// anonymous visitors do not see the usernames of the staff involved.
func (s *server) history(ctx context.Context, p identity.Principal, id string) ([]historyEntry, error) {
	versions, err := s.catalog.History(ctx, p, id)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	if !p.IsAnonymous() {
		var ids []string
		for _, v := range versions {
			if !slices.Contains(ids, v.ActorID) {
				ids = append(ids, v.ActorID)
			}
		}
		if names, err = s.identity.Usernames(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]historyEntry, len(versions))
	for i, v := range versions {
		out[i] = historyEntry{Version: v, Who: names[v.ActorID]}
	}
	return out, nil
}
