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
	CanEdit   bool // the viewer may edit and submit it now (catalog.Actions)
	CanReview bool // the viewer may review it now
	CanRetire bool // the viewer may retire it now
	Review    reviewForm
	Retire    retireForm
	Errors    formErrors
	Access    *accessInfo     // how to reach a published resource (dataset_page.go)
	Events    *eventHistory   // its events in the ledger (ledger_history.go); nil without a ledger
	Grading   *gradingSection // its classification and grading (grading.go); nil when the viewer may not see it
	Engage    *engageSection  // counts, rating, comments, error reports, follow (engage.go); nil without the service
	Dataset   *datasetSection // downloads, preview and charts of its data (dataset_data.go); nil without a datastore
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
	if err := s.withDataset(r, &page); err != nil {
		return err
	}
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
	engage, err := s.engageSection(ctx, p, res)
	if err != nil {
		return resourcePage{}, err
	}
	acts := catalog.Actions(p, res)
	return resourcePage{Resource: res, Org: org, History: history,
		CanEdit:   acts.Has(catalog.ActionEdit) && acts.Has(catalog.ActionSubmit),
		CanReview: acts.Has(catalog.ActionReview),
		CanRetire: acts.Has(catalog.ActionRetire),
		Events:    events,
		Grading:   grading,
		Engage:    engage,
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
