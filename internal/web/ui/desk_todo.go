package ui

// The institution editor's to-do list on the workspace (/my): what waits
// for the editor's institutions, each linking to where it is handled.

import (
	"context"
	"errors"
	"net/http"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/store"
)

// deskTodo is the to-do list: resources returned by review with the
// reviewer's reason, requests and applications waiting for a decision or
// an answer, annual open-list items past their planned date, and data
// versions held for personal information.
type deskTodo struct {
	Returned []resourceRow
	Waiting  []waitingRow
	Late     []lateItem
	Held     []heldVersion
	Now      time.Time
}

// Empty reports whether nothing waits.
func (t deskTodo) Empty() bool {
	return len(t.Returned)+len(t.Waiting)+len(t.Late)+len(t.Held) == 0
}

// Count is how many things wait.
func (t deskTodo) Count() int { return len(t.Returned) + len(t.Waiting) + len(t.Late) + len(t.Held) }

// lateItem is an open-list item not opened by its planned date.
type lateItem struct {
	Org  identity.Organization
	Year int
	Item opening.ListItem
}

// heldVersion is a data version held back, with its resource.
type heldVersion struct {
	Resource catalog.Resource
	Version  datastore.DataVersion
}

// todoLimit bounds each part of the list.
const todoLimit = 50

// deskTodo gathers p's to-do list; orgs are p's organizations with their
// resources as the workspace lists them.
func (s *server) deskTodo(ctx context.Context, p identity.Principal, orgs []myOrganization) (deskTodo, error) {
	todo := deskTodo{Now: time.Now()}
	for _, o := range orgs {
		for _, row := range o.Rows {
			if row.Resource.Status == catalog.StatusReturned && catalog.CanEdit(p, row.Resource) {
				todo.Returned = append(todo.Returned, row)
			}
		}
		late, err := s.lateItems(ctx, p, o.Org, todo.Now)
		if err != nil {
			return todo, err
		}
		todo.Late = append(todo.Late, late...)
	}
	n := newNames(s, ctx, p)
	if s.acc.Review != nil {
		ws, err := s.acc.Review.Waiting(ctx, p, todoLimit)
		if err != nil {
			return todo, err
		}
		for _, c := range ws {
			row := waitingRow{Waiting: c, Filer: n.org(c.FilerOrgID)}
			if c.SubjectKind == "resource" {
				row.Resource, row.HasSubject = n.resource(c.SubjectID), true
			}
			todo.Waiting = append(todo.Waiting, row)
		}
	}
	if s.datastore != nil && !p.IsPlatformStaff() {
		held, err := s.datastore.Held(ctx, p, todoLimit)
		if err != nil {
			return todo, err
		}
		for _, v := range held {
			todo.Held = append(todo.Held, heldVersion{Resource: n.resource(v.ResourceID), Version: v})
		}
	}
	return todo, nil
}

// lateItems are the items of org's open list of this year (and, in its
// first quarter, of the last) that are late, for those who keep the list.
func (s *server) lateItems(ctx context.Context, p identity.Principal, org identity.Organization, now time.Time) ([]lateItem, error) {
	if s.acc.Opening == nil || !opening.CanEditList(p, org.ID) {
		return nil, nil
	}
	years := []int{now.Year()}
	if now.Month() <= time.March {
		years = append(years, now.Year()-1)
	}
	var out []lateItem
	for _, y := range years {
		l, err := s.acc.Opening.ListOf(ctx, p, org.ID, y)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		for _, it := range l.Items {
			if it.State == opening.ItemLate {
				out = append(out, lateItem{Org: org, Year: y, Item: it})
			}
		}
	}
	return out, nil
}

// noticeRow is a notice with the dataset it concerns, when it concerns one.
type noticeRow struct {
	notify.Notification
	Resource    catalog.Resource
	HasResource bool
}

// noticeRows names the dataset of each notice: a review case's subject, a
// grant's first resource.
func (s *server) noticeRows(ctx context.Context, p identity.Principal, list []notify.Notification) []noticeRow {
	n := newNames(s, ctx, p)
	rows := make([]noticeRow, len(list))
	for i, nt := range list {
		rows[i].Notification = nt
		id := s.noticeResource(ctx, p, nt)
		if id != "" {
			rows[i].Resource, rows[i].HasResource = n.resource(id), true
		}
	}
	return rows
}

// noticeResource is the id of the resource a notice concerns, or "".
func (s *server) noticeResource(ctx context.Context, p identity.Principal, nt notify.Notification) string {
	switch {
	case nt.SubjectKind == "resource":
		return nt.SubjectID
	case nt.SubjectKind == "grant" && s.acc.Access != nil:
		g, err := s.acc.Access.Grant(ctx, p, nt.SubjectID)
		if err == nil && len(g.ResourceIDs) > 0 {
			return g.ResourceIDs[0]
		}
	case s.acc.Review != nil:
		c, err := s.acc.Review.Get(ctx, p, nt.SubjectID)
		if err == nil && c.Subject.Kind == "resource" {
			return c.Subject.ID
		}
	}
	return ""
}

// unreadNotices counts the viewer's unread notices for the navigation; a
// failure shows no count rather than failing the page.
func (s *server) unreadNotices(r *http.Request) int {
	p := principal(r)
	if s.acc.Notify == nil || p.IsAnonymous() {
		return 0
	}
	n, err := s.acc.Notify.Unread(r.Context(), p)
	if err != nil {
		s.log.WarnContext(r.Context(), "ui: unread notices", "err", err)
		return 0
	}
	return n
}
