package catalog

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Service manages catalog resources on one store.
type Service struct {
	db *store.DB
}

// NewService returns the catalog service on db.
func NewService(db *store.DB) *Service { return &Service{db: db} }

// Create adds a draft resource for organization orgID with a new catalog code
// (institution code, subject, sequence). Invalid input, and an organization
// that is not a public body (a company's or a person's), are refused with
// field errors and nothing is written.
func (s *Service) Create(ctx context.Context, actor identity.Principal, orgID string, in Input) (Resource, error) {
	return s.create(ctx, actor, orgID, store.NewID(), in)
}

// CodeNotPublicBody is the field error's code when a resource would belong
// to an organization that is not a public body (identity.OrgKind.IsPublicBody).
const CodeNotPublicBody = "not_public_body"

// create is Create with the new resource's id given (CreateWithID).
func (s *Service) create(ctx context.Context, actor identity.Principal, orgID, id string, in Input) (Resource, error) {
	if !CanCreate(actor, orgID) {
		return Resource{}, identity.ErrForbidden
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		return Resource{}, err
	}
	r := Resource{ID: id, OrganizationID: orgID, Input: in, Status: StatusDraft, Version: 1, CreatedBy: actor.UserID}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var orgCode string
		var kind identity.OrgKind
		err := tx.QueryRowContext(ctx, `SELECT code, kind FROM organizations WHERE id = $1`, orgID).Scan(&orgCode, &kind)
		if errors.Is(err, sql.ErrNoRows) {
			return validate.Errors{{Field: "organization_id", Value: orgID, Message: "no such organization", Code: "no_organization"}}
		} else if err != nil {
			return err
		}
		if !kind.IsPublicBody() {
			return validate.Errors{{Field: "organization_id", Value: orgID, Code: CodeNotPublicBody,
				Message: "is a company's or a person's account: only public institutions catalog public data"}}
		}
		if r.Code, err = nextCode(ctx, tx, orgCode, in.Subject); err != nil {
			return err
		}
		r.CreatedAt, r.UpdatedAt = tx.Now(), tx.Now()
		if err := insertResource(ctx, tx, r); err != nil {
			return err
		}
		return record(ctx, tx, actor, nil, r, "created", "")
	})
	return r, err
}

// nextCode allocates the next catalog code for an institution and subject.
func nextCode(ctx context.Context, tx *store.Tx, orgCode, subject string) (string, error) {
	prefix := orgCode + "-" + subject
	var next int64
	err := tx.QueryRowContext(ctx, `INSERT INTO catalog_sequences (prefix, next) VALUES ($1, 1)
		ON CONFLICT (prefix) DO UPDATE SET next = catalog_sequences.next + 1 RETURNING next`, prefix).Scan(&next)
	if err != nil {
		return "", fmt.Errorf("catalog: allocate code: %w", err)
	}
	return fmt.Sprintf("%s-%05d", prefix, next), nil
}

// Update replaces the institution-written part of a draft or returned resource.
func (s *Service) Update(ctx context.Context, actor identity.Principal, id string, in Input) (Resource, error) {
	in.Normalize()
	return s.change(ctx, actor, id, "updated", "", func(r *Resource) error {
		if err := Check(actor, *r, ActionEdit); err != nil {
			return err
		}
		return replaceInput(r, in)
	})
}

// replaceInput puts in in place of r's institution-written part, once it
// is valid and keeps r's subject (part of its catalog code); errNoChange
// when in changes nothing.
func replaceInput(r *Resource, in Input) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if in.Subject != r.Subject {
		return validate.Errors{{Field: "subject", Value: in.Subject, Message: "cannot change after creation: it is part of the catalog code " + r.Code, Code: "subject_fixed", Args: []any{r.Code}}}
	}
	updated := *r
	updated.Input = in
	if len(Diff(*r, updated)) == 0 {
		return errNoChange
	}
	r.Input = in
	return nil
}

// errNoChange tells change that fn left the resource as it was: nothing is
// written, no version or event is recorded.
var errNoChange = errors.New("no change")

// Submit sends a draft or returned resource to the platform operator for review.
func (s *Service) Submit(ctx context.Context, actor identity.Principal, id string) (Resource, error) {
	return s.change(ctx, actor, id, "submitted", "", func(r *Resource) error {
		if err := Check(actor, *r, ActionSubmit); err != nil {
			return err
		}
		r.Status = StatusSubmitted
		return nil
	})
}

// Decision is a reviewer's verdict on a submitted resource.
type Decision string

// Review decisions.
const (
	Approve Decision = "approve"
	Return  Decision = "return"
)

// Review publishes (approve) or returns a submitted resource. Returning needs a comment.
func (s *Service) Review(ctx context.Context, actor identity.Principal, id string, d Decision, comment string) (Resource, error) {
	comment = strings.TrimSpace(comment)
	var errs validate.Errors
	validate.OneOf(&errs, "decision", d, Approve, Return)
	if d == Return && comment == "" {
		errs.Add("comment", "", "return_comment", "is required when returning a resource: say what to fix")
	}
	errs.MaxLen("comment", comment, 2000)
	if err := errs.Err(); err != nil {
		return Resource{}, err
	}
	action := map[Decision]string{Approve: "published", Return: "returned"}[d]
	return s.change(ctx, actor, id, action, comment, func(r *Resource) error {
		if err := Check(actor, *r, ActionReview); err != nil {
			return err
		}
		r.ReviewComment = comment
		if d == Approve {
			r.Status = StatusPublished
		} else {
			r.Status = StatusReturned
		}
		return nil
	})
}

// Retire withdraws a published resource from the catalog, with a reason.
func (s *Service) Retire(ctx context.Context, actor identity.Principal, id, reason string) (Resource, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Resource{}, validate.Errors{{Field: "reason", Message: "is required: say why the resource is retired", Code: "retire_reason"}}
	}
	return s.change(ctx, actor, id, "retired", reason, func(r *Resource) error {
		if err := Check(actor, *r, ActionRetire); err != nil {
			return err
		}
		r.Status = StatusRetired
		return nil
	})
}

// change loads a resource in a transaction, applies fn, and stores the result
// with a new version, its field-level diff and an event.
func (s *Service) change(ctx context.Context, actor identity.Principal, id, action, comment string, fn func(*Resource) error) (Resource, error) {
	var r Resource
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = lockResource(ctx, tx, id); err != nil {
			return err
		}
		if !Actions(actor, r).Has(ActionView) {
			return fmt.Errorf("resource %q: %w", id, store.ErrNotFound)
		}
		before := r
		if err := fn(&r); err == errNoChange {
			return nil
		} else if err != nil {
			return err
		}
		r.Version++
		r.UpdatedAt = tx.Now()
		if r.Status == StatusPublished && before.Status != StatusPublished {
			now := tx.Now()
			r.PublishedAt = &now
		}
		if err := updateResource(ctx, tx, r); err != nil {
			return err
		}
		if err := tellEditors(ctx, tx, r, action); err != nil {
			return err
		}
		return record(ctx, tx, actor, &before, r, action, comment)
	})
	return r, err
}

// tellEditors notifies the institution's editors and admins, in tx, that
// review returned or published their resource.
func tellEditors(ctx context.Context, tx *store.Tx, r Resource, action string) error {
	if action != "returned" && action != "published" {
		return nil
	}
	return notify.Send(ctx, tx, "resource."+action, "resource", r.ID, "/resources/"+r.ID,
		notify.To{Orgs: []string{r.OrganizationID}, OrgRole: identity.RoleEditor})
}

// Get returns one resource if actor may see it (store.ErrNotFound otherwise).
func (s *Service) Get(ctx context.Context, actor identity.Principal, id string) (Resource, error) {
	r, err := getResource(ctx, s.db, id)
	if err != nil {
		return r, err
	}
	if !CanView(actor, r) {
		return Resource{}, fmt.Errorf("resource %q: %w", id, store.ErrNotFound)
	}
	return r, nil
}

// GetByCode returns one resource by its catalog code if actor may see it.
func (s *Service) GetByCode(ctx context.Context, actor identity.Principal, code string) (Resource, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM resources WHERE code = $1`, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Resource{}, fmt.Errorf("resource %q: %w", code, store.ErrNotFound)
	} else if err != nil {
		return Resource{}, err
	}
	return s.Get(ctx, actor, id)
}

// Filter selects resources for List. Zero fields match everything visible.
type Filter struct {
	Q              string
	OrganizationID string
	Status         Status
	ShareType      ShareType
	OpenType       OpenType
	Subject        string
	Classification Classification
	Limit          int    // 1–200, default 20
	Cursor         string // from a previous Page
}

// Page is one page of resources, newest first, and the cursor of the next page.
type Page struct {
	Items      []Resource
	NextCursor string
}

// ErrBadCursor means the cursor was not one this service handed out.
var ErrBadCursor = errors.New("cursor is not one from a previous page")

// List returns the resources actor may see that match f, newest first, using
// keyset paging so that deep pages cost the same as the first. A person's
// or anonymous list is read from the read replica when one is attached
// (store.DB.Reader): it may lag the primary by a few seconds, so a resource
// published a moment ago may be missing. The platform's own lists
// (identity.System: the search indexer following events, seeding), which it
// acts on, read the primary.
func (s *Service) List(ctx context.Context, actor identity.Principal, f Filter) (Page, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	if f.Limit > 200 {
		f.Limit = 200
	}
	var b query
	b.visibleTo(actor)
	if f.Cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(after) != 36 {
			return Page{}, ErrBadCursor
		}
		b.where("id < " + b.arg(string(after)))
	}
	b.eq("organization_id", f.OrganizationID)
	b.eq("status", string(f.Status))
	b.eq("share_type", string(f.ShareType))
	b.eq("open_type", string(f.OpenType))
	b.eq("subject", f.Subject)
	b.eq("classification", string(f.Classification))
	if q := strings.TrimSpace(f.Q); q != "" {
		like := b.arg("%" + escapeLike(q) + "%")
		op := "LIKE"
		if s.db.Dialect == store.Postgres {
			op = "ILIKE"
		}
		b.where(fmt.Sprintf("(title_zh %[1]s %[2]s ESCAPE '\\' OR title_en %[1]s %[2]s ESCAPE '\\' OR code %[1]s %[2]s ESCAPE '\\' OR CAST(keywords AS TEXT) %[1]s %[2]s ESCAPE '\\' OR description_zh %[1]s %[2]s ESCAPE '\\')", op, like))
	}
	sqlText := `SELECT ` + resourceColumns + ` FROM resources` + b.clause() + ` ORDER BY id DESC LIMIT ` + b.arg(f.Limit+1)
	db := s.db
	if actor.UserID != identity.System.UserID {
		db = s.db.Reader()
	}
	rows, err := db.QueryContext(ctx, sqlText, b.args...)
	if err != nil {
		return Page{}, fmt.Errorf("catalog: list: %w", err)
	}
	defer rows.Close()
	page := Page{Items: make([]Resource, 0, f.Limit)}
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return Page{}, err
		}
		page.Items = append(page.Items, r)
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(page.Items[f.Limit-1].ID))
	}
	return page, rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// query builds a WHERE clause with numbered placeholders.
type query struct {
	conds []string
	args  []any
}

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

func (q *query) where(cond string) { q.conds = append(q.conds, cond) }

func (q *query) eq(column, value string) {
	if value != "" {
		q.where(column + " = " + q.arg(value))
	}
}

func (q *query) clause() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

// visibleTo restricts the query to what CanView allows.
func (q *query) visibleTo(p identity.Principal) {
	if p.Has(identity.PlatformSysadmin) {
		return
	}
	conds := []string{publicSQL}
	if p.IsPlatformStaff() {
		conds = []string{"status <> 'draft'"}
	}
	var editing, member []string // organizations p edits for, and those p is a plain member of
	for _, m := range p.Memberships {
		if p.AtLeast(m.OrganizationID, identity.RoleEditor) {
			editing = append(editing, q.arg(m.OrganizationID))
		} else {
			member = append(member, q.arg(m.OrganizationID))
		}
	}
	if len(editing) > 0 {
		conds = append(conds, "organization_id IN ("+strings.Join(editing, ", ")+")")
	}
	if len(member) > 0 {
		conds = append(conds, "(status <> 'draft' AND classification = 'core' AND organization_id IN ("+strings.Join(member, ", ")+"))")
	}
	q.where("(" + strings.Join(conds, " OR ") + ")")
}

// Counts are figures for the portal's home page.
type Counts struct {
	Published     int `json:"published"`
	Organizations int `json:"organizations"`
	Items         int `json:"items"`
	OpenUncond    int `json:"open_unconditional"`
	OpenCond      int `json:"open_conditional"`
}

// PublishedCounts counts the published resources the public can see (core
// data excluded), their institutions, items and open types, from the read
// replica when one is attached (a few seconds behind, as List says).
func (s *Service) PublishedCounts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.Reader().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT organization_id),
		COALESCE(SUM(CASE WHEN open_type = 'unconditional' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN open_type = 'conditional' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(item_count), 0)
		FROM resources WHERE status = 'published' AND classification <> 'core'`).Scan(&c.Published, &c.Organizations, &c.OpenUncond, &c.OpenCond, &c.Items)
	if err != nil {
		return c, err
	}
	return c, nil
}

// ReviewQueue lists submitted resources, oldest first, for reviewers.
func (s *Service) ReviewQueue(ctx context.Context, actor identity.Principal) ([]Resource, error) {
	if !CanReview(actor) {
		return nil, identity.ErrForbidden
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+resourceColumns+` FROM resources WHERE status = 'submitted' ORDER BY updated_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Resource{}
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
