package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// AppKind names apps' review cases, their events ("app.created",
// "app.approved", "app.rejected", ...) and notices.
const AppKind = "app"

// AppReview is the step an app waits at: a platform operator's review.
const AppReview review.Status = "operator_review"

// AppApproved is the status of an approved app, shown to the public.
const AppApproved review.Status = "approved"

// App is an application built on the platform's data. Its review state is
// its review case's; an approved app is public (PublishedAt set).
type App struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	Description     string     `json:"description"`
	URL             string     `json:"url"`
	ResourceIDs     []string   `json:"resource_ids"`
	SubmitterOrgID  string     `json:"submitter_org_id"`
	SubmitterUserID string     `json:"-"`
	PublishedAt     *time.Time `json:"published_at"`
	review.State
}

// AppInput is what a submitter fills in.
type AppInput struct {
	Name        string   `json:"name" maxLength:"100"`
	Description string   `json:"description" maxLength:"4000"`
	URL         string   `json:"url" maxLength:"500" doc:"Where the app is found: an http or https address"`
	ResourceIDs []string `json:"resource_ids" maxItems:"20" doc:"The published resources the app uses"`
	// OrganizationID is the company, institution or person account the
	// submitter acts for ("" for the first they belong to, if any).
	OrganizationID string `json:"organization_id,omitempty" required:"false"`
}

// appKind configures apps' review: one step, a platform operator's, within
// ReviewDays working days with a reminder the day before; decisions are
// told to the submitter.
func (s *Service) appKind() review.Kind {
	days := s.cfg.ReviewDays
	return review.Kind{Name: AppKind, Title: "app", Noun: "app", Article: "an", Link: "/apps/", Approved: AppApproved,
		Steps: []review.Step{{Name: string(AppReview), Days: days, RemindDays: min(1, days-1),
			Reviewers: []review.Reviewer{{Name: "operator", Platform: []identity.PlatformRole{identity.PlatformOperator, identity.PlatformSysadmin}}}}},
		Notices: map[string]string{string(AppReview): "app.submitted", string(AppApproved): "app.approved",
			string(review.StatusRejected): "app.rejected", "reminded": "app.reminded"},
		Payload: s.appPayload, Decided: s.appDecided}
}

func (in *AppInput) normalize() {
	for _, f := range []*string{&in.Name, &in.Description, &in.URL, &in.OrganizationID} {
		*f = strings.TrimSpace(*f)
	}
	ids := []string{}
	for _, id := range in.ResourceIDs {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	in.ResourceIDs = ids
}

// CheckApp says what is wrong with in, as SubmitApp would refuse it: each
// resource must be published and visible to actor, who must act for an
// organization (a person's own account, a company, an institution).
func (s *Service) CheckApp(ctx context.Context, actor identity.Principal, in AppInput) error {
	in.normalize()
	_, err := s.checkApp(ctx, actor, in)
	return err
}

// checkApp validates a normalized in and returns the organization actor
// submits it for.
func (s *Service) checkApp(ctx context.Context, actor identity.Principal, in AppInput) (string, error) {
	var errs validate.Errors
	for _, f := range []struct {
		name, v string
		max     int
	}{{"name", in.Name, 100}, {"description", in.Description, 4000}, {"url", in.URL, 500}} {
		errs.Required(f.name, f.v)
		errs.MaxLen(f.name, f.v, f.max)
	}
	if u, err := url.Parse(in.URL); in.URL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs.Add("url", in.URL, validate.CodeFormat, "must be an http or https address")
	}
	switch {
	case len(in.ResourceIDs) == 0:
		errs.Add("resource_ids", nil, validate.CodeRequired, "is required: name the data the app uses")
	case len(in.ResourceIDs) > 20:
		errs.Add("resource_ids", len(in.ResourceIDs), validate.CodeTooMany, "may name at most %d resources", 20)
	}
	for i, id := range in.ResourceIDs {
		if res, err := s.cat.Get(ctx, actor, id); err != nil || res.Status != catalog.StatusPublished {
			errs.Add(fmt.Sprintf("resource_ids[%d]", i), id, "not_published", "is not a published resource")
		}
	}
	org := in.OrganizationID
	switch ids := actor.OrgIDs(); {
	case org != "" && actor.RoleIn(org) == "":
		errs.Add("organization_id", org, validate.CodeUnknown, "is not an organization you belong to")
	case org == "" && len(ids) > 0:
		org = ids[0]
	case org == "":
		errs.Add("organization_id", "", validate.CodeRequired, "is required: the account acts for no organization (a person's own, a company's)")
	}
	return org, errs.Err()
}

// SubmitApp files an app as actor for the operators' review; they are told.
func (s *Service) SubmitApp(ctx context.Context, actor identity.Principal, in AppInput) (App, error) {
	if actor.IsAnonymous() {
		return App{}, identity.ErrUnauthenticated
	}
	in.normalize()
	org, err := s.checkApp(ctx, actor, in)
	if err != nil {
		return App{}, err
	}
	a := App{ID: store.NewID(), Name: in.Name, Description: in.Description, URL: in.URL, ResourceIDs: in.ResourceIDs, SubmitterOrgID: org}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		ids, _ := json.Marshal(a.ResourceIDs)
		if _, err := tx.ExecContext(ctx, `INSERT INTO portal_apps (id, name, description, url, resource_ids, submitter_org_id)
			VALUES ($1,$2,$3,$4,$5,$6)`, a.ID, a.Name, a.Description, a.URL, string(ids), a.SubmitterOrgID); err != nil {
			return fmt.Errorf("portal: app: %w", err)
		}
		_, err := s.Apps.File(ctx, tx, actor, review.Filing{ID: a.ID, FilerOrgID: org, Subject: review.Subject{Kind: AppKind, ID: a.ID}})
		return err
	})
	if err != nil {
		return App{}, err
	}
	return s.Apps.Get(ctx, actor, a.ID)
}

// appDecided publishes an approved app, in the decision's transaction.
func (s *Service) appDecided(ctx context.Context, tx *store.Tx, _ identity.Principal, c review.Case) error {
	if c.Status != AppApproved {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE portal_apps SET published_at = $1 WHERE id = $2`, store.TS(tx.Now()), c.ID)
	return err
}

// appPayload is the payload of an app's events: identifiers and hashes.
func (s *Service) appPayload(ctx context.Context, q store.Querier, c review.Case) (map[string]any, error) {
	a, err := s.Apps.Record(ctx, q, c.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"resource_ids": a.ResourceIDs, "submitter_org_id": a.SubmitterOrgID, "status": c.Status,
		"name_sha256": store.SHA256Hex(a.Name), "url_sha256": store.SHA256Hex(a.URL)}, nil
}

// App returns app id as p may see it: a published app to anyone, one
// under review to its submitter and the operators (review.CanView).
func (s *Service) App(ctx context.Context, p identity.Principal, id string) (App, error) {
	a, err := s.Apps.Record(ctx, s.db, id)
	if err != nil {
		return App{}, notFound("app", id)
	}
	full, err := s.Apps.Get(ctx, p, id)
	if err != nil && a.PublishedAt != nil { // public, without its review's history
		a.Status = AppApproved
		return a, nil
	}
	return full, err
}

// PublishedApps lists the approved apps, newest first, a page at a time.
func (s *Service) PublishedApps(ctx context.Context, n int, cur string) ([]App, string, error) {
	from, err := after(cur)
	if err != nil {
		return nil, "", err
	}
	n = limit(n)
	rows, err := s.db.QueryContext(ctx, `SELECT `+appColumns+` FROM portal_apps WHERE published_at IS NOT NULL AND ($1 = '' OR id < $1)
		ORDER BY id DESC LIMIT $2`, from, n+1)
	if err != nil {
		return nil, "", fmt.Errorf("portal: apps: %w", err)
	}
	defer rows.Close()
	out := []App{}
	for rows.Next() {
		_, a, err := scanApp(rows)
		if err != nil {
			return nil, "", err
		}
		a.Status = AppApproved
		out = append(out, a)
	}
	out, next := page(out, n, func(a App) string { return a.ID })
	return out, next, rows.Err()
}

const appColumns = `id, name, description, url, resource_ids, submitter_org_id, published_at`

func scanApp(row review.Row) (string, App, error) {
	var a App
	var ids string
	var published time.Time
	if err := row.Scan(&a.ID, &a.Name, &a.Description, &a.URL, &ids, &a.SubmitterOrgID, store.ScanTime(&published)); err != nil {
		return "", a, err
	}
	if !published.IsZero() {
		a.PublishedAt = &published
	}
	return a.ID, a, json.Unmarshal([]byte(ids), &a.ResourceIDs)
}
