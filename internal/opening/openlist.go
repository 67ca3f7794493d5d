package opening

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// ListStatus is where an annual open list is: a draft the institution
// edits, or published for everyone (then it keeps its items; they can only
// be linked to the resources that fulfil them).
type ListStatus string

// Open list states.
const (
	ListDraft     ListStatus = "draft"
	ListPublished ListStatus = "published"
)

// ItemState is how a planned item stands: planned, opened (its resource is
// published and open), or late (its planned date passed unopened).
type ItemState string

// Item states.
const (
	ItemPlanned ItemState = "planned"
	ItemOpened  ItemState = "opened"
	ItemLate    ItemState = "late"
)

// OpenList is one institution's open list and plan for a year.
type OpenList struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organization_id"`
	Year           int        `json:"year"`
	Plan           string     `json:"plan"`
	Status         ListStatus `json:"status"`
	PublishedAt    *time.Time `json:"published_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	Items          []ListItem `json:"items"`
}

// Counts returns how many items are planned, opened and late.
func (l OpenList) Counts() (planned, opened, late int) {
	for _, it := range l.Items {
		switch it.State {
		case ItemOpened:
			opened++
		case ItemLate:
			late++
		default:
			planned++
		}
	}
	return
}

// ListItem is one resource the institution plans to open in the year.
type ListItem struct {
	ID          string           `json:"id"`
	ResourceID  string           `json:"resource_id,omitempty"`
	TitleZh     string           `json:"title_zh"`
	OpenType    catalog.OpenType `json:"open_type"`
	PlannedDate string           `json:"planned_date"` // 2006-01-02
	Note        string           `json:"note"`
	State       ItemState        `json:"state"`
	OpenedAt    *time.Time       `json:"opened_at"`
}

// ItemInput is what adds an item.
type ItemInput struct {
	ResourceID  string           `json:"resource_id,omitempty" required:"false" doc:"The catalog resource, when it exists already"`
	TitleZh     string           `json:"title_zh" required:"false" doc:"Required without a resource"`
	OpenType    catalog.OpenType `json:"open_type" enum:"unconditional,conditional"`
	PlannedDate string           `json:"planned_date" doc:"When it will be open (YYYY-MM-DD, within the list's year)"`
	Note        string           `json:"note,omitempty" required:"false"`
}

// CanEditList: the institution's editors and admins keep its open list.
func CanEditList(p identity.Principal, orgID string) bool {
	return p.AtLeast(orgID, identity.RoleEditor) || p.Has(identity.PlatformSysadmin)
}

// CanPublishList: the institution's admins publish its open list.
func CanPublishList(p identity.Principal, orgID string) bool {
	return p.AtLeast(orgID, identity.RoleAdmin) || p.Has(identity.PlatformSysadmin)
}

// SaveList creates (or updates the plan of) the institution's list for year.
func (s *Service) SaveList(ctx context.Context, actor identity.Principal, orgID string, year int, plan string) (OpenList, error) {
	if !CanEditList(actor, orgID) {
		return OpenList{}, identity.ErrForbidden
	}
	plan = strings.TrimSpace(plan)
	var errs validate.Errors
	if year < 2000 || year > 2100 {
		errs.Add("year", year, validate.CodeRange, "must be a year between %d and %d", 2000, 2100)
	}
	errs.MaxLen("plan", plan, 8000)
	if err := errs.Err(); err != nil {
		return OpenList{}, err
	}
	var id string
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var status ListStatus
		err := tx.QueryRowContext(ctx, `SELECT id, status FROM open_lists WHERE organization_id = $1 AND year = $2`, orgID, year).Scan(&id, &status)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			id = store.NewID()
			_, err = tx.ExecContext(ctx, `INSERT INTO open_lists (id, organization_id, year, plan, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 'draft', $5, $5)`, id, orgID, year, plan, store.TS(tx.Now()))
		case err != nil:
			return err
		case status != ListDraft:
			return validate.Refuse(ErrState, "list_published", "the %d list is published", year)
		default:
			_, err = tx.ExecContext(ctx, `UPDATE open_lists SET plan = $1, updated_at = $2 WHERE id = $3`, plan, store.TS(tx.Now()), id)
		}
		if err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "open_list.saved", ActorUserID: actor.UserID, ActorOrgID: orgID, SubjectKind: "open_list", SubjectID: id},
			map[string]any{"year": year, "plan_sha256": store.SHA256Hex(plan)})
	})
	if err != nil {
		return OpenList{}, err
	}
	return s.OpenList(ctx, actor, id)
}

// AddItem adds a planned item to a draft list.
func (s *Service) AddItem(ctx context.Context, actor identity.Principal, listID string, in ItemInput) (OpenList, error) {
	l, err := s.OpenList(ctx, actor, listID)
	if err != nil {
		return l, err
	}
	if !CanEditList(actor, l.OrganizationID) {
		return l, identity.ErrForbidden
	}
	if l.Status != ListDraft {
		return l, validate.Refuse(ErrState, "list_items_draft", "items are added to a draft list only")
	}
	in.TitleZh, in.Note, in.PlannedDate = strings.TrimSpace(in.TitleZh), strings.TrimSpace(in.Note), strings.TrimSpace(in.PlannedDate)
	if err := s.checkItem(ctx, actor, l, &in); err != nil {
		return l, err
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		id := store.NewID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO open_list_items (id, list_id, resource_id, title_zh, open_type, planned_date, note, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, l.ID, nullString(in.ResourceID), in.TitleZh, string(in.OpenType),
			in.PlannedDate, in.Note, store.TS(tx.Now())); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "open_list.item_added", ActorUserID: actor.UserID, ActorOrgID: l.OrganizationID,
			SubjectKind: "open_list", SubjectID: l.ID}, map[string]any{"item_id": id, "resource_id": in.ResourceID})
	})
	if err != nil {
		return l, err
	}
	return s.OpenList(ctx, actor, listID)
}

// checkItem validates an item and fills its title from its resource.
func (s *Service) checkItem(ctx context.Context, actor identity.Principal, l OpenList, in *ItemInput) error {
	var errs validate.Errors
	if in.ResourceID != "" {
		r, err := s.cat.Get(ctx, actor, in.ResourceID)
		if err != nil || r.OrganizationID != l.OrganizationID {
			errs.Add("resource_id", in.ResourceID, "not_own_resource", "is not a resource of this institution")
		} else if in.TitleZh == "" {
			in.TitleZh = r.TitleZh
		}
	}
	errs.Required("title_zh", in.TitleZh)
	errs.MaxLen("title_zh", in.TitleZh, 200)
	errs.MaxLen("note", in.Note, 1000)
	validate.OneOf(&errs, "open_type", in.OpenType, catalog.OpenUnconditional, catalog.OpenConditional)
	if d, err := time.Parse("2006-01-02", in.PlannedDate); err != nil {
		errs.Add("planned_date", in.PlannedDate, validate.CodeDate, "must be a date written YYYY-MM-DD")
	} else if d.Year() != l.Year {
		errs.Add("planned_date", in.PlannedDate, "within_year", "must fall within %d", l.Year)
	}
	return errs.Err()
}

// LinkItem links an item to the catalog resource that fulfils it; allowed on
// published lists too, since it records progress rather than changing the plan.
func (s *Service) LinkItem(ctx context.Context, actor identity.Principal, listID, itemID, resourceID string) (OpenList, error) {
	l, err := s.OpenList(ctx, actor, listID)
	if err != nil {
		return l, err
	}
	if !CanEditList(actor, l.OrganizationID) {
		return l, identity.ErrForbidden
	}
	if r, err := s.cat.Get(ctx, actor, resourceID); err != nil || r.OrganizationID != l.OrganizationID {
		return l, validate.Errors{{Field: "resource_id", Value: resourceID, Message: "is not a resource of this institution", Code: "not_own_resource"}}
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE open_list_items SET resource_id = $1 WHERE id = $2 AND list_id = $3`, resourceID, itemID, listID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("open list item %q: %w", itemID, store.ErrNotFound)
		}
		return tx.Emit(ctx, store.Event{Type: "open_list.item_linked", ActorUserID: actor.UserID, ActorOrgID: l.OrganizationID,
			SubjectKind: "open_list", SubjectID: listID}, map[string]any{"item_id": itemID, "resource_id": resourceID})
	})
	if err != nil {
		return l, err
	}
	return s.OpenList(ctx, actor, listID)
}

// Publish makes a draft list public.
func (s *Service) Publish(ctx context.Context, actor identity.Principal, listID string) (OpenList, error) {
	l, err := s.OpenList(ctx, actor, listID)
	if err != nil {
		return l, err
	}
	if !CanPublishList(actor, l.OrganizationID) {
		return l, identity.ErrForbidden
	}
	if l.Status != ListDraft {
		return l, validate.Refuse(ErrState, "list_already_published", "the list is already published")
	}
	if len(l.Items) == 0 {
		return l, validate.Errors{{Field: "items", Message: "a list needs at least one item before it is published", Code: "list_empty"}}
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE open_lists SET status = 'published', published_at = $1, updated_at = $1 WHERE id = $2 AND status = 'draft'`,
			store.TS(tx.Now()), listID); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "open_list.published", ActorUserID: actor.UserID, ActorOrgID: l.OrganizationID,
			SubjectKind: "open_list", SubjectID: listID}, map[string]any{"year": l.Year, "items": len(l.Items), "plan_sha256": store.SHA256Hex(l.Plan)})
	})
	if err != nil {
		return l, err
	}
	return s.OpenList(ctx, actor, listID)
}

// canSeeList: published lists are public; drafts are seen by their institution and platform staff.
func canSeeList(actor identity.Principal, l OpenList) bool {
	return l.Status == ListPublished || actor.RoleIn(l.OrganizationID) != "" || actor.IsPlatformStaff()
}

// OpenList returns one open list with its items' states, if actor may see it.
func (s *Service) OpenList(ctx context.Context, actor identity.Principal, id string) (OpenList, error) {
	lists, err := s.queryLists(ctx, ` WHERE l.id = $1`, id)
	if err != nil {
		return OpenList{}, err
	}
	if len(lists) == 0 || !canSeeList(actor, lists[0]) {
		return OpenList{}, fmt.Errorf("open list %q: %w", id, store.ErrNotFound)
	}
	return lists[0], nil
}

// ListOf returns the institution's list for year, if it has one and actor
// may see it; store.ErrNotFound otherwise.
func (s *Service) ListOf(ctx context.Context, actor identity.Principal, orgID string, year int) (OpenList, error) {
	lists, err := s.queryLists(ctx, ` WHERE l.organization_id = $1 AND l.year = $2`, orgID, year)
	if err != nil {
		return OpenList{}, err
	}
	if len(lists) == 0 || !canSeeList(actor, lists[0]) {
		return OpenList{}, fmt.Errorf("open list of %q for %d: %w", orgID, year, store.ErrNotFound)
	}
	return lists[0], nil
}

// Lists returns the lists of year actor may see (every published one, and
// drafts of actor's institutions), by institution.
func (s *Service) Lists(ctx context.Context, actor identity.Principal, year int) ([]OpenList, error) {
	all, err := s.queryLists(ctx, ` WHERE l.year = $1`, year)
	if err != nil {
		return nil, err
	}
	out := []OpenList{}
	for _, l := range all {
		if canSeeList(actor, l) {
			out = append(out, l)
		}
	}
	return out, nil
}

func (s *Service) queryLists(ctx context.Context, where string, args ...any) ([]OpenList, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT l.id, l.organization_id, l.year, l.plan, l.status, l.published_at, l.updated_at
		FROM open_lists l`+where+` ORDER BY l.organization_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("opening: lists: %w", err)
	}
	var lists []OpenList
	for rows.Next() {
		var l OpenList
		var published time.Time
		if err := rows.Scan(&l.ID, &l.OrganizationID, &l.Year, &l.Plan, &l.Status, store.ScanTime(&published), store.ScanTime(&l.UpdatedAt)); err != nil {
			rows.Close()
			return nil, err
		}
		if !published.IsZero() {
			l.PublishedAt = &published
		}
		lists = append(lists, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range lists {
		if lists[i].Items, err = s.items(ctx, lists[i].ID, time.Now()); err != nil {
			return nil, err
		}
	}
	return lists, nil
}

// items returns a list's items with their states at now: an item is opened
// when its resource is published with an open type other than none.
func (s *Service) items(ctx context.Context, listID string, now time.Time) ([]ListItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT i.id, COALESCE(i.resource_id, ''), i.title_zh, i.open_type, i.planned_date, i.note,
		COALESCE(r.status, ''), COALESCE(r.open_type, ''), r.published_at
		FROM open_list_items i LEFT JOIN resources r ON r.id = i.resource_id
		WHERE i.list_id = $1 ORDER BY i.planned_date, i.id`, listID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	today := now.In(beijing).Format("2006-01-02")
	out := []ListItem{}
	for rows.Next() {
		var it ListItem
		var status, openType string
		var published time.Time
		if err := rows.Scan(&it.ID, &it.ResourceID, &it.TitleZh, &it.OpenType, &it.PlannedDate, &it.Note, &status, &openType,
			store.ScanTime(&published)); err != nil {
			return nil, err
		}
		switch {
		case status == string(catalog.StatusPublished) && openType != string(catalog.OpenNone) && openType != "":
			it.State = ItemOpened
			if !published.IsZero() {
				it.OpenedAt = &published
			}
		case it.PlannedDate < today:
			it.State = ItemLate
		default:
			it.State = ItemPlanned
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
