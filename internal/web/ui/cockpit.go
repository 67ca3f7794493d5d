package ui

import (
	"context"
	"net/http"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/web/ui/i18n"
	"dataport/internal/workday"
)

// The platform operator's cockpit (/admin): what waits in every review
// queue and for how long, institutions without a current annual open list,
// loads held by the legality check, background jobs and e-mails in
// trouble, each a count with a link to its list. Platform staff see it;
// each part shows only what the viewer may read.

// cockpitLimit is how many held versions, troubled jobs and outbox rows a
// count looks at; beyond it the dashboard says "N+".
const cockpitLimit = 500

// cockpitQueue is one review queue on the dashboard.
type cockpitQueue struct {
	Kind       string // "catalog" or a review kind's name
	Label      string // the queue's name, translated
	List       string // the queue's page
	Open       int
	MoreInfo   int // waiting for the filer's answer
	Overdue    int
	Escalated  int
	OldestDays int // working days the oldest has waited
	HasOldest  bool
	NextDue    *time.Time
}

// cockpitCount is one count with its list.
type cockpitCount struct {
	N    int
	More bool // N is the limit: there may be more
	Link string
	Show bool // the viewer may read this list
}

// cockpitPage is the dashboard.
type cockpitPage struct {
	Queues       []cockpitQueue
	Held         cockpitCount
	MissingLists cockpitCount
	Institutions int // public institutions in all
	Year         int // the open lists' year
	Jobs         cockpitCount
	Outbox       cockpitCount
	CanManage    bool // sysadmin: the accounts links
	CanOrgs      bool // sysadmin or operator: the new organisation and harvest links
}

// cockpitPageHandler shows the dashboard to platform staff.
func (s *server) cockpitPageHandler(w http.ResponseWriter, r *http.Request) error {
	p, err := requireStaff(r)
	if err != nil {
		return err
	}
	ctx, now := r.Context(), time.Now()
	page := cockpitPage{Year: now.In(workday.Beijing).Year(), CanManage: identity.CanManageUsers(p),
		CanOrgs: identity.CanManageOrganizations(p)}
	if page.Queues, err = s.cockpitQueues(ctx, p, now); err != nil {
		return err
	}
	for i, q := range page.Queues {
		page.Queues[i].Label = queueLabel(langOf(r), q.Kind)
	}
	if s.datastore != nil {
		held, err := s.datastore.Held(ctx, p, cockpitLimit)
		if err != nil {
			return err
		}
		page.Held = cockpitCount{N: len(held), More: len(held) == cockpitLimit, Link: "/admin/held", Show: true}
	}
	if s.acc.Opening != nil {
		missing, all, err := s.missingOpenLists(ctx, p, page.Year)
		if err != nil {
			return err
		}
		page.MissingLists, page.Institutions = cockpitCount{N: len(missing), Link: "/admin/open-lists", Show: true}, all
	}
	if s.jobs != nil && p.Has(identity.PlatformSysadmin) {
		jobs, err := s.jobs.Troubled(ctx, p, cockpitLimit)
		if err != nil {
			return err
		}
		page.Jobs = cockpitCount{N: len(jobs), More: len(jobs) == cockpitLimit, Link: "/admin/jobs", Show: true}
	}
	if s.acc.Notify != nil && notify.CanReadOutbox(p) {
		list, err := s.acc.Notify.Outbox(ctx, p, cockpitLimit)
		if err != nil {
			return err
		}
		failed := 0
		for _, d := range list {
			if d.Status == notify.OutboxFailed {
				failed++
			}
		}
		page.Outbox = cockpitCount{N: failed, More: len(list) == cockpitLimit, Link: "/admin/outbox", Show: true}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "cockpit", page)
}

// requireStaff returns the signed-in platform staff member, sends an
// anonymous caller to sign in and refuses anyone else.
func requireStaff(r *http.Request) (identity.Principal, error) {
	p, err := requireUser(r)
	if err == nil && !p.IsPlatformStaff() {
		err = identity.ErrForbidden
	}
	return p, err
}

// cockpitQueues are the catalog's review queue (for reviewers) and every
// review kind's open cases, with how long the oldest has waited in working
// days.
func (s *server) cockpitQueues(ctx context.Context, p identity.Principal, now time.Time) ([]cockpitQueue, error) {
	var out []cockpitQueue
	if catalog.CanReview(p) {
		queue, err := s.catalog.ReviewQueue(ctx, p)
		if err != nil {
			return nil, err
		}
		q := cockpitQueue{Kind: "catalog", List: "/review", Open: len(queue)}
		if len(queue) > 0 {
			q.HasOldest, q.OldestDays = true, s.workingDaysSince(queue[0].UpdatedAt, now)
		}
		out = append(out, q)
	}
	if s.acc.Review == nil {
		return out, nil
	}
	backlog, err := s.acc.Review.Backlog(ctx, p, now)
	if err != nil {
		return nil, err
	}
	for _, b := range backlog {
		q := cockpitQueue{Kind: b.Kind, List: b.List, Open: b.Open, MoreInfo: b.MoreInfo, Overdue: b.Overdue, Escalated: b.Escalated, NextDue: b.NextDue}
		if b.Oldest != nil {
			q.HasOldest, q.OldestDays = true, s.workingDaysSince(*b.Oldest, now)
		}
		out = append(out, q)
	}
	return out, nil
}

// workingDaysSince counts on the review calendar (the shipped one without
// a review service).
func (s *server) workingDaysSince(t, now time.Time) int {
	if s.acc.Review != nil {
		return s.acc.Review.WorkingDaysSince(t, now)
	}
	return workday.China().WorkingDaysBetween(t, now)
}

// missingOpenLists returns the public institutions without a published open
// list for year, and how many institutions there are.
func (s *server) missingOpenLists(ctx context.Context, p identity.Principal, year int) ([]identity.Organization, int, error) {
	orgs, err := s.institutions(ctx)
	if err != nil {
		return nil, 0, err
	}
	lists, err := s.acc.Opening.Lists(ctx, p, year)
	if err != nil {
		return nil, 0, err
	}
	published := map[string]bool{}
	for _, l := range lists {
		if l.Status == opening.ListPublished {
			published[l.OrganizationID] = true
		}
	}
	var missing []identity.Organization
	for _, o := range orgs {
		if !published[o.ID] {
			missing = append(missing, o)
		}
	}
	return missing, len(orgs), nil
}

// missingListsPage lists the institutions without a current open list.
func (s *server) missingListsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireStaff(r)
	if err != nil {
		return err
	}
	if s.acc.Opening == nil {
		return s.notFound(w, r)
	}
	year := time.Now().In(workday.Beijing).Year()
	missing, all, err := s.missingOpenLists(r.Context(), p, year)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "cockpit_open_lists", struct {
		Year         int
		Orgs         []identity.Organization
		Institutions int
	}{year, missing, all})
}

// heldRow is one held version with its resource and how long it has waited.
type heldRow struct {
	Version  datastore.DataVersion
	Resource catalog.Resource
	Org      identity.Organization
	Days     int
}

// heldPage lists the versions the legality check holds, oldest first.
func (s *server) heldPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireStaff(r)
	if err != nil {
		return err
	}
	if s.datastore == nil {
		return s.notFound(w, r)
	}
	held, err := s.datastore.Held(r.Context(), p, cockpitLimit)
	if err != nil {
		return err
	}
	n, now := newNames(s, r.Context(), p), time.Now()
	rows := make([]heldRow, len(held))
	for i, v := range held {
		res := n.resource(v.ResourceID)
		rows[i] = heldRow{Version: v, Resource: res, Org: n.org(res.OrganizationID), Days: s.workingDaysSince(v.CreatedAt, now)}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "cockpit_held", struct{ Rows []heldRow }{rows})
}

// queueLabel names a review queue in lang: its own words where the cockpit
// has them, else the kind's name.
func queueLabel(lang, kind string) string {
	if key := "cockpit.queue." + kind; i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return kind
}
