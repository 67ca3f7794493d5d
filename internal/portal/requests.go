package portal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// RequestStatus is where a data request is.
type RequestStatus string

// A request waits for an answer (pending) until its institution or the
// operator answers it; an answered request may be answered again (a plan
// carried out: "planned" becomes "opened").
const (
	RequestPending  RequestStatus = "pending"
	RequestAnswered RequestStatus = "answered"
)

// Outcome is what an answer says will happen.
type Outcome string

// Outcomes: the data will be opened (planned), is open now (opened, with
// the resource), or cannot be opened (declined, the answer says why).
const (
	OutcomePlanned  Outcome = "planned"
	OutcomeOpened   Outcome = "opened"
	OutcomeDeclined Outcome = "declined"
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomePlanned, OutcomeOpened, OutcomeDeclined}

// DataRequest is a request for data that is not open yet. Everything but
// who filed it is public: the list shows the request and its answer.
type DataRequest struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Purpose     string `json:"purpose"`
	// OrganizationID is the institution asked to answer ("" until the
	// operator routes a request that named none).
	OrganizationID  string        `json:"organization_id"`
	Status          RequestStatus `json:"status" enum:"pending,answered"`
	Outcome         Outcome       `json:"outcome,omitempty" required:"false"`
	Answer          string        `json:"answer,omitempty" required:"false"`
	ResourceID      string        `json:"resource_id,omitempty" required:"false" doc:"The resource opened for the request"`
	AnsweredByOrgID string        `json:"answered_by_org_id,omitempty" required:"false"`
	AnsweredAt      *time.Time    `json:"answered_at,omitempty" required:"false"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
	requester       string        // the filer's user id: told of answers, never shown
}

// Mine reports whether p filed r.
func (r DataRequest) Mine(p identity.Principal) bool {
	return !p.IsAnonymous() && r.requester == p.UserID
}

// DataRequestInput is what a requester fills in.
type DataRequestInput struct {
	Title          string `json:"title" maxLength:"200"`
	Description    string `json:"description" maxLength:"4000" doc:"The data wanted: what it covers, how detailed, how often"`
	Purpose        string `json:"purpose" maxLength:"2000" doc:"What the data will be used for"`
	OrganizationID string `json:"organization_id,omitempty" required:"false" doc:"The public institution believed to hold the data; empty: the operator routes it"`
}

// DataRequestAnswer is an institution's or the operator's answer.
type DataRequestAnswer struct {
	Outcome    Outcome `json:"outcome" enum:"planned,opened,declined"`
	Answer     string  `json:"answer" maxLength:"4000"`
	ResourceID string  `json:"resource_id,omitempty" required:"false" doc:"The published resource that holds the data (required when opened)"`
}

// CanAnswer says whether p may answer r: the editors and admins of the
// institution it names, and the platform operators.
func CanAnswer(p identity.Principal, r DataRequest) bool {
	return IsStaff(p) || (r.OrganizationID != "" && p.AtLeast(r.OrganizationID, identity.RoleEditor))
}

// CanRoute says whether p may send r to an institution: the operators, while it waits.
func CanRoute(p identity.Principal, r DataRequest) bool {
	return IsStaff(p) && r.Status == RequestPending
}

func (in *DataRequestInput) normalize() {
	for _, f := range []*string{&in.Title, &in.Description, &in.Purpose, &in.OrganizationID} {
		*f = strings.TrimSpace(*f)
	}
}

func (in DataRequestInput) check() validate.Errors {
	var errs validate.Errors
	for _, f := range []struct {
		name, v string
		max     int
	}{{"title", in.Title, 200}, {"description", in.Description, 4000}, {"purpose", in.Purpose, 2000}} {
		errs.Required(f.name, f.v)
		errs.MaxLen(f.name, f.v, f.max)
	}
	return errs
}

// institution checks that id names a public institution, as field.
func (s *Service) institution(ctx context.Context, field, id string) error {
	org, err := s.ids.Organization(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && org.Kind != identity.KindInstitution) {
		return validate.Errors{{Field: field, Value: id, Message: "is not a public institution", Code: validate.CodeUnknown}}
	}
	return err
}

// SubmitRequest files a data request as actor. The institution it names
// (its editors and admins) is told, or, when it names none, the operators,
// who route it.
func (s *Service) SubmitRequest(ctx context.Context, actor identity.Principal, in DataRequestInput) (DataRequest, error) {
	if actor.IsAnonymous() {
		return DataRequest{}, identity.ErrUnauthenticated
	}
	in.normalize()
	errs := in.check()
	if in.OrganizationID != "" {
		if err := s.institution(ctx, "organization_id", in.OrganizationID); err != nil {
			var fe validate.Errors
			if !errors.As(err, &fe) {
				return DataRequest{}, err
			}
			errs = append(errs, fe...)
		}
	}
	if err := errs.Err(); err != nil {
		return DataRequest{}, err
	}
	r := DataRequest{ID: store.NewID(), Title: in.Title, Description: in.Description, Purpose: in.Purpose,
		OrganizationID: in.OrganizationID, Status: RequestPending, requester: actor.UserID}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		r.CreatedAt, r.UpdatedAt = tx.Now(), tx.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO portal_data_requests (id, title, description, purpose, organization_id,
			requester_user_id, status, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			r.ID, r.Title, r.Description, r.Purpose, r.OrganizationID, actor.UserID, string(r.Status), store.TS(r.CreatedAt), store.TS(r.UpdatedAt)); err != nil {
			return fmt.Errorf("portal: data request: %w", err)
		}
		if err := s.emitRequest(ctx, tx, actor, "", r, "created"); err != nil {
			return err
		}
		return s.tellHolder(ctx, tx, r)
	})
	return r, err
}

// tellHolder tells the institution r names that it waits for its answer,
// or the operators that it waits to be routed.
func (s *Service) tellHolder(ctx context.Context, tx *store.Tx, r DataRequest) error {
	if r.OrganizationID == "" {
		return notify.Send(ctx, tx, "portal.request_to_route", "data_request", r.ID, requestLink(r.ID), notify.To{Operators: true})
	}
	return notify.Send(ctx, tx, "portal.request_received", "data_request", r.ID, requestLink(r.ID),
		notify.To{Orgs: []string{r.OrganizationID}, OrgRole: identity.RoleEditor})
}

func requestLink(id string) string { return "/data-requests/" + id }

// RouteRequest sends a waiting request to the institution orgID, whose
// editors and admins are told (the operators, see CanRoute).
func (s *Service) RouteRequest(ctx context.Context, actor identity.Principal, id, orgID string) (DataRequest, error) {
	orgID = strings.TrimSpace(orgID)
	if err := s.institution(ctx, "organization_id", orgID); err != nil {
		return DataRequest{}, err
	}
	return s.changeRequest(ctx, actor, id, func(tx *store.Tx, r *DataRequest) error {
		if !IsStaff(actor) {
			return identity.ErrForbidden
		}
		if !CanRoute(actor, *r) {
			return fmt.Errorf("%w: the request is answered already", catalog.ErrState)
		}
		r.OrganizationID = orgID
		if _, err := tx.ExecContext(ctx, `UPDATE portal_data_requests SET organization_id = $1, updated_at = $2 WHERE id = $3`,
			orgID, store.TS(tx.Now()), r.ID); err != nil {
			return err
		}
		if err := s.emitRequest(ctx, tx, actor, "", *r, "routed"); err != nil {
			return err
		}
		return s.tellHolder(ctx, tx, *r)
	})
}

// AnswerRequest records the answer of actor (see CanAnswer) and tells the
// requester. An opened request names the published resource that holds
// the data.
func (s *Service) AnswerRequest(ctx context.Context, actor identity.Principal, id string, in DataRequestAnswer) (DataRequest, error) {
	in.Answer, in.ResourceID = strings.TrimSpace(in.Answer), strings.TrimSpace(in.ResourceID)
	var errs validate.Errors
	validate.OneOf(&errs, "outcome", in.Outcome, Outcomes...)
	errs.Required("answer", in.Answer)
	errs.MaxLen("answer", in.Answer, 4000)
	if in.Outcome == OutcomeOpened && errs.Required("resource_id", in.ResourceID) {
		if res, err := s.cat.Get(ctx, identity.Anonymous, in.ResourceID); err != nil || res.Status != catalog.StatusPublished {
			errs.Add("resource_id", in.ResourceID, "not_published", "is not a published resource")
		}
	}
	if in.Outcome != OutcomeOpened {
		in.ResourceID = ""
	}
	return s.changeRequest(ctx, actor, id, func(tx *store.Tx, r *DataRequest) error {
		if !CanAnswer(actor, *r) {
			return identity.ErrForbidden
		}
		if err := errs.Err(); err != nil {
			return err
		}
		now := tx.Now()
		r.Status, r.Outcome, r.Answer, r.ResourceID, r.AnsweredAt = RequestAnswered, in.Outcome, in.Answer, in.ResourceID, &now
		r.AnsweredByOrgID = r.OrganizationID
		if !actor.AtLeast(r.OrganizationID, identity.RoleEditor) {
			r.AnsweredByOrgID = "" // the operator answered
		}
		if _, err := tx.ExecContext(ctx, `UPDATE portal_data_requests SET status = $1, outcome = $2, answer = $3, resource_id = $4,
			answered_by_org = $5, answered_at = $6, updated_at = $6 WHERE id = $7`,
			string(r.Status), string(r.Outcome), r.Answer, r.ResourceID, r.AnsweredByOrgID, store.TS(now), r.ID); err != nil {
			return err
		}
		if err := s.emitRequest(ctx, tx, actor, r.AnsweredByOrgID, *r, "answered"); err != nil {
			return err
		}
		return notify.Send(ctx, tx, "portal.request_answered", "data_request", r.ID, requestLink(r.ID), notify.To{Users: []string{r.requester}})
	})
}

// changeRequest runs change on request id, read in the transaction, and
// returns the request as it is afterwards.
func (s *Service) changeRequest(ctx context.Context, actor identity.Principal, id string, change func(*store.Tx, *DataRequest) error) (DataRequest, error) {
	if actor.IsAnonymous() {
		return DataRequest{}, identity.ErrUnauthenticated
	}
	var r DataRequest
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = readRequest(ctx, tx, id, tx.Dialect == store.Postgres); err != nil {
			return err
		}
		r.UpdatedAt = tx.Now()
		return change(tx, &r)
	})
	return r, err
}

// emitRequest writes the request's event: identifiers and hashes of its texts.
func (s *Service) emitRequest(ctx context.Context, tx *store.Tx, actor identity.Principal, actorOrg string, r DataRequest, what string) error {
	payload := map[string]any{"organization_id": r.OrganizationID, "status": r.Status, "title_sha256": store.SHA256Hex(r.Title)}
	if r.Outcome != "" {
		payload["outcome"], payload["answer_sha256"], payload["resource_id"] = r.Outcome, store.SHA256Hex(r.Answer), r.ResourceID
	}
	return tx.Emit(ctx, store.Event{Type: "data_request." + what, ActorUserID: actor.UserID, ActorOrgID: actorOrg,
		SubjectKind: "data_request", SubjectID: r.ID}, payload)
}

const requestColumns = `id, title, description, purpose, organization_id, requester_user_id, status, outcome, answer, resource_id,
	answered_by_org, answered_at, created_at, updated_at`

func scanRequest(row interface{ Scan(...any) error }) (DataRequest, error) {
	var r DataRequest
	var answered time.Time
	err := row.Scan(&r.ID, &r.Title, &r.Description, &r.Purpose, &r.OrganizationID, &r.requester, &r.Status, &r.Outcome, &r.Answer,
		&r.ResourceID, &r.AnsweredByOrgID, store.ScanTime(&answered), store.ScanTime(&r.CreatedAt), store.ScanTime(&r.UpdatedAt))
	if !answered.IsZero() {
		r.AnsweredAt = &answered
	}
	return r, err
}

func readRequest(ctx context.Context, q store.Querier, id string, lock bool) (DataRequest, error) {
	query := `SELECT ` + requestColumns + ` FROM portal_data_requests WHERE id = $1`
	if lock {
		query += ` FOR UPDATE`
	}
	r, err := scanRequest(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound("data request", id)
	}
	return r, err
}

// Request returns data request id; requests are public.
func (s *Service) Request(ctx context.Context, id string) (DataRequest, error) {
	return readRequest(ctx, s.db, id, false)
}

// RequestFilter selects data requests; zero fields match every one.
type RequestFilter struct {
	Status         RequestStatus
	OrganizationID string
	Unrouted       bool   // only those naming no institution yet
	RequesterID    string // only this user's
	Limit          int    // 1–100, default 20
	Cursor         string // from a previous page
}

// RequestPage is one page of requests, newest first.
type RequestPage struct {
	Items      []DataRequest `json:"items"`
	NextCursor string        `json:"next_cursor"`
}

// Requests lists data requests newest first, a page at a time.
func (s *Service) Requests(ctx context.Context, f RequestFilter) (RequestPage, error) {
	from, err := after(f.Cursor)
	if err != nil {
		return RequestPage{}, err
	}
	n := limit(f.Limit)
	q := `SELECT ` + requestColumns + ` FROM portal_data_requests WHERE ($1 = '' OR id < $1) AND ($2 = '' OR status = $2)
		AND ($3 = '' OR organization_id = $3) AND ($4 = '' OR requester_user_id = $4)`
	if f.Unrouted {
		q += ` AND organization_id = ''`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $5`, from, string(f.Status), f.OrganizationID, f.RequesterID, n+1)
	if err != nil {
		return RequestPage{}, fmt.Errorf("portal: data requests: %w", err)
	}
	defer rows.Close()
	out := RequestPage{Items: []DataRequest{}}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return RequestPage{}, err
		}
		out.Items = append(out.Items, r)
	}
	out.Items, out.NextCursor = page(out.Items, n, func(r DataRequest) string { return r.ID })
	return out, rows.Err()
}
