package ui

// The open list editor: an institution's editors and admins (and the
// platform's sysadmins) keep its annual public data open list (年度公共数据开放
// 清单) for a year at GET /open-lists/{year}/{org}/edit. Its forms, all
// application/x-www-form-urlencoded with csrf_token:
//
//	POST /open-lists/{year}/{org}/edit     plan; creates the list on first save
//	POST /open-lists/{year}/{org}/items    resource_id (optional), title_zh
//	                                       (optional with a resource), open_type
//	                                       (unconditional|conditional),
//	                                       planned_date (YYYY-MM-DD), note
//	POST /open-lists/{year}/{org}/link     link_item_id, link_resource_id
//	POST /open-lists/{year}/{org}/publish  (the institution's admins)
//
// Each redirects back to the page with a banner on success. A field problem
// shows the page again (422) with the form as the user filled it; a user who
// may not keep the institution's list gets 403, a list not created yet 404,
// and a form the list's status no longer allows 409. A published list shows
// read-only, except that its items can still be linked to the resources that
// fulfil them (the domain records that as progress, not as a change of plan).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/opening"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// maxPickerResources bounds the resources the pickers offer.
const maxPickerResources = 1000

// listRef is the institution and year a request's path names, for a user
// who may keep that institution's list.
type listRef struct {
	p    identity.Principal
	org  identity.Organization
	year int
}

// path is the address of the list's pages, without the action.
func (ref listRef) path() string { return fmt.Sprintf("/open-lists/%d/%s", ref.year, ref.org.ID) }

// openListRef reads the path's year and institution and checks that the user
// may keep its list: an unknown year or institution is 404, anyone else 403.
func (s *server) openListRef(r *http.Request) (listRef, error) {
	p, err := requireUser(r)
	if err != nil {
		return listRef{}, err
	}
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || year < 2000 || year > 2100 {
		return listRef{}, fmt.Errorf("ui: no open list year %q: %w", r.PathValue("year"), store.ErrNotFound)
	}
	if !opening.CanEditList(p, r.PathValue("org")) {
		return listRef{}, identity.ErrForbidden
	}
	org, err := s.identity.Organization(r.Context(), r.PathValue("org"))
	if err != nil {
		return listRef{}, err
	}
	if org.Kind != identity.KindInstitution {
		return listRef{}, fmt.Errorf("ui: %s is not a public institution: %w", org.ID, store.ErrNotFound)
	}
	return listRef{p: p, org: org, year: year}, nil
}

// openListEditPage is the editor's page of one institution's list for a year.
type openListEditPage struct {
	Org                   identity.Organization
	Year                  int
	Path                  string           // the list's address, without the action
	List                  opening.OpenList // zero until the list is first saved
	Exists                bool
	Planned, Opened, Late int
	CanPublish            bool
	Candidates            []catalog.Resource          // the institution's resources an item may name
	Published             []catalog.Resource          // its published resources, to link items to
	Linked                map[string]catalog.Resource // the institution's resources by id, to name linked ones

	Plan   string     // the plan form as typed
	Item   itemForm   // the add-item form as typed
	Link   linkForm   // the link form as typed
	Errors formErrors // problems of the form just posted
}

// itemForm is the add-item form.
type itemForm struct {
	ResourceID, TitleZh, OpenType, PlannedDate, Note string
}

// linkForm is the form linking an item to a resource.
type linkForm struct {
	ItemID, ResourceID string
}

// Editable reports whether the plan and items may still change: a draft, or
// a list not created yet.
func (pg openListEditPage) Editable() bool { return !pg.Exists || pg.List.Status == opening.ListDraft }

// openListEditor shows the editor's page.
func (s *server) openListEditor(w http.ResponseWriter, r *http.Request) error {
	ref, err := s.openListRef(r)
	if err != nil {
		return err
	}
	page, err := s.loadOpenList(r.Context(), ref)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "open_list_edit", page)
}

// loadOpenList fills the page with the list (when it exists) and the
// institution's resources for the pickers.
func (s *server) loadOpenList(ctx context.Context, ref listRef) (openListEditPage, error) {
	page := openListEditPage{Org: ref.org, Year: ref.year, Path: ref.path(), CanPublish: opening.CanPublishList(ref.p, ref.org.ID),
		Linked: map[string]catalog.Resource{}}
	l, err := s.acc.Opening.ListOf(ctx, ref.p, ref.org.ID, ref.year)
	switch {
	case err == nil:
		page.List, page.Exists, page.Plan = l, true, l.Plan
	case !errors.Is(err, store.ErrNotFound):
		return page, err
	}
	page.Planned, page.Opened, page.Late = page.List.Counts()
	resources, err := s.organizationResources(ctx, ref.p, ref.org.ID)
	if err != nil {
		return page, err
	}
	for _, res := range resources {
		page.Linked[res.ID] = res
		if res.Status != catalog.StatusRetired {
			page.Candidates = append(page.Candidates, res)
		}
		if res.Status == catalog.StatusPublished {
			page.Published = append(page.Published, res)
		}
	}
	return page, nil
}

// organizationResources returns the institution's resources p may see,
// newest first, up to maxPickerResources.
func (s *server) organizationResources(ctx context.Context, p identity.Principal, orgID string) ([]catalog.Resource, error) {
	var out []catalog.Resource
	f := catalog.Filter{OrganizationID: orgID, Limit: 200}
	for len(out) < maxPickerResources {
		page, err := s.catalog.List(ctx, p, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	return out, nil
}

// openListFormFailed shows the page again (422) with errs and the form that
// keep fills in, unless keep says the page would not offer that form.
func (s *server) openListFormFailed(w http.ResponseWriter, r *http.Request, ref listRef, errs validate.Errors, keep func(*openListEditPage) error) error {
	page, err := s.loadOpenList(r.Context(), ref)
	if err != nil {
		return err
	}
	if err := keep(&page); err != nil {
		return err
	}
	page.Errors = newFormErrors(langOf(r), errs)
	return s.render(w, r, http.StatusUnprocessableEntity, "open_list_edit", page)
}

// draftOnly is nil when the page offers the draft's forms, and a conflict
// once the list is published.
func draftOnly(page *openListEditPage) error {
	if !page.Editable() {
		return validate.Refuse(opening.ErrState, "list_published", "the %d list is published", page.Year)
	}
	return nil
}

// saveOpenListPlan creates the list or saves its plan. Form fields: csrf_token, plan.
func (s *server) saveOpenListPlan(w http.ResponseWriter, r *http.Request) error {
	ref, err := s.openListRef(r)
	if err != nil {
		return err
	}
	plan := r.PostForm.Get("plan")
	_, err = s.acc.Opening.SaveList(r.Context(), ref.p, ref.org.ID, ref.year, plan)
	if errs := fieldErrors(err); errs != nil {
		return s.openListFormFailed(w, r, ref, errs, func(page *openListEditPage) error {
			page.Plan = plan
			return draftOnly(page)
		})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, ref.path()+"/edit", "open_list_saved")
}

// existingList returns the institution's list for the path's year; one not
// created yet is not found.
func (s *server) existingList(ctx context.Context, ref listRef) (opening.OpenList, error) {
	return s.acc.Opening.ListOf(ctx, ref.p, ref.org.ID, ref.year)
}

// addOpenListItem adds a planned item to the draft list. Form fields:
// csrf_token, resource_id, title_zh, open_type, planned_date, note.
func (s *server) addOpenListItem(w http.ResponseWriter, r *http.Request) error {
	ref, err := s.openListRef(r)
	if err != nil {
		return err
	}
	l, err := s.existingList(r.Context(), ref)
	if err != nil {
		return err
	}
	pf := r.PostForm
	f := itemForm{ResourceID: pf.Get("resource_id"), TitleZh: pf.Get("title_zh"), OpenType: pf.Get("open_type"),
		PlannedDate: pf.Get("planned_date"), Note: pf.Get("note")}
	_, err = s.acc.Opening.AddItem(r.Context(), ref.p, l.ID, opening.ItemInput{ResourceID: f.ResourceID, TitleZh: f.TitleZh,
		OpenType: catalog.OpenType(f.OpenType), PlannedDate: f.PlannedDate, Note: f.Note})
	if errs := fieldErrors(err); errs != nil {
		return s.openListFormFailed(w, r, ref, errs, func(page *openListEditPage) error {
			page.Item = f
			return draftOnly(page)
		})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, ref.path()+"/edit", "open_list_item_added")
}

// linkOpenListItem links an item to the published resource that fulfils it.
// Form fields: csrf_token, link_item_id, link_resource_id.
func (s *server) linkOpenListItem(w http.ResponseWriter, r *http.Request) error {
	ref, err := s.openListRef(r)
	if err != nil {
		return err
	}
	l, err := s.existingList(r.Context(), ref)
	if err != nil {
		return err
	}
	f := linkForm{ItemID: r.PostForm.Get("link_item_id"), ResourceID: r.PostForm.Get("link_resource_id")}
	var errs validate.Errors
	if errs.Required("link_item_id", f.ItemID) && !slices.ContainsFunc(l.Items, func(it opening.ListItem) bool { return it.ID == f.ItemID }) {
		return fmt.Errorf("open list item %q: %w", f.ItemID, store.ErrNotFound)
	}
	if errs.Required("link_resource_id", f.ResourceID) && len(errs) == 0 {
		_, err = s.acc.Opening.LinkItem(r.Context(), ref.p, l.ID, f.ItemID, f.ResourceID)
		if err != nil && fieldErrors(err) == nil {
			return err
		}
		errs = renameFields(fieldErrors(err), map[string]string{"resource_id": "link_resource_id"})
	}
	if len(errs) > 0 {
		return s.openListFormFailed(w, r, ref, errs, func(page *openListEditPage) error {
			page.Link = f
			return nil
		})
	}
	return seeOther(w, r, ref.path()+"/edit", "open_list_item_linked")
}

// publishOpenList publishes the draft list. Form fields: csrf_token.
func (s *server) publishOpenList(w http.ResponseWriter, r *http.Request) error {
	ref, err := s.openListRef(r)
	if err != nil {
		return err
	}
	l, err := s.existingList(r.Context(), ref)
	if err != nil {
		return err
	}
	_, err = s.acc.Opening.Publish(r.Context(), ref.p, l.ID)
	if errs := fieldErrors(err); errs != nil {
		errs = renameFields(errs, map[string]string{"items": "list_items"})
		return s.openListFormFailed(w, r, ref, errs, draftOnly)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, ref.path()+"/edit", "open_list_published")
}
