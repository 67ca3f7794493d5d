// Package sharing is the city-wide sharing of public data between
// institutions (article 17): an institution requests a resource with a
// purpose, a legal basis, the items it needs and a duration; the catalog's
// share type decides the path — unconditional is granted at once,
// conditional goes to the provider for review within a deadline (overdue
// requests are escalated to the platform operator), none is refused citing
// the catalog's basis — and important data also needs the operator's
// approval. An approval only creates a grant; reads are decided by access.
package sharing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/workday"
)

// ErrState means the request's status does not allow the action.
var ErrState = catalog.ErrState

// Status is where a share request is.
type Status string

// Request states: provider_review → operator_review (important data) →
// granted; either review may reject; the requester may withdraw while it
// is under review. A request for unshared data is rejected at once.
const (
	StatusProviderReview Status = "provider_review"
	StatusOperatorReview Status = "operator_review"
	StatusGranted        Status = "granted"
	StatusRejected       Status = "rejected"
	StatusWithdrawn      Status = "withdrawn"
)

// Statuses lists every state.
var Statuses = []Status{StatusProviderReview, StatusOperatorReview, StatusGranted, StatusRejected, StatusWithdrawn}

// Open reports whether s is still waiting for a review.
func (s Status) Open() bool { return s == StatusProviderReview || s == StatusOperatorReview }

// Kind names share requests in histories, notices and events.
const Kind = "share_request"

// Request is one institution's request for another's resource.
type Request struct {
	ID              string     `json:"id"`
	ResourceID      string     `json:"resource_id"`
	ProviderOrgID   string     `json:"provider_org_id"`
	RequesterOrgID  string     `json:"requester_org_id"`
	RequesterUserID string     `json:"requester_user_id"`
	Purpose         string     `json:"purpose"`
	LegalBasis      string     `json:"legal_basis"`
	Fields          []string   `json:"fields"`
	DurationDays    int        `json:"duration_days"`
	Status          Status     `json:"status"`
	NeedsOperator   bool       `json:"needs_operator"`
	DueAt           *time.Time `json:"due_at"`
	EscalatedAt     *time.Time `json:"escalated_at"`
	GrantID         string     `json:"grant_id"`
	Reason          string     `json:"reason"` // the last decision's comment, or the catalog's basis for refusing
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	Steps           []Step     `json:"steps,omitempty"`
}

// Overdue reports whether the request waits past its deadline at now.
func (r Request) Overdue(now time.Time) bool {
	return r.Status.Open() && r.DueAt != nil && now.After(*r.DueAt)
}

// RequestInput is what a requester fills in.
type RequestInput struct {
	ResourceID     string   `json:"resource_id"`
	RequesterOrgID string   `json:"requester_org_id"`
	Purpose        string   `json:"purpose"`
	LegalBasis     string   `json:"legal_basis"`
	Fields         []string `json:"fields,omitempty" required:"false" doc:"Data items needed; empty: all"`
	DurationDays   int      `json:"duration_days" minimum:"1" maximum:"1095"`
}

// Config tunes the workflow.
type Config struct {
	ReviewDays   int // working days the provider has (default 5)
	OperatorDays int // working days the operator has (default 5)
	// Calendar counts the working days (default workday.China()).
	Calendar *workday.Calendar
}

// Service runs share requests on one store.
type Service struct {
	db     *store.DB
	cat    *catalog.Service
	access *access.Service
	cfg    Config
	now    func() time.Time
}

// NewService returns the sharing workflow.
func NewService(db *store.DB, cat *catalog.Service, acc *access.Service, cfg Config) *Service {
	if cfg.ReviewDays <= 0 {
		cfg.ReviewDays = 5
	}
	if cfg.OperatorDays <= 0 {
		cfg.OperatorDays = 5
	}
	if cfg.Calendar == nil {
		cfg.Calendar = workday.China()
	}
	return &Service{db: db, cat: cat, access: acc, cfg: cfg, now: time.Now}
}

func (in *RequestInput) normalize() {
	in.Purpose, in.LegalBasis = strings.TrimSpace(in.Purpose), strings.TrimSpace(in.LegalBasis)
	fields := []string{}
	for _, f := range in.Fields {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	in.Fields = fields
}

func (in RequestInput) validate(r catalog.Resource) error {
	var errs validate.Errors
	errs.Required("purpose", in.Purpose)
	errs.MaxLen("purpose", in.Purpose, 500)
	errs.Required("legal_basis", in.LegalBasis)
	errs.MaxLen("legal_basis", in.LegalBasis, 1000)
	if in.DurationDays < 1 || in.DurationDays > 1095 {
		errs.Add("duration_days", in.DurationDays, "must be between 1 and 1095 days")
	}
	for i, f := range in.Fields {
		if !slices.ContainsFunc(r.Items, func(it catalog.Item) bool { return it.Name == f }) {
			errs.Add(fmt.Sprintf("fields[%d]", i), f, "is not a data item of this resource")
		}
	}
	return errs.Err()
}

// CanRequest: members of an institution request data for it.
func CanRequest(p identity.Principal, orgID string) bool { return p.RoleIn(orgID) != "" }

// CanReviewAsProvider: the providing institution's admins review its requests.
func CanReviewAsProvider(p identity.Principal, providerOrgID string) bool {
	return p.AtLeast(providerOrgID, identity.RoleAdmin)
}

// CanReviewAsOperator: platform operators approve important data and take over overdue requests.
func CanReviewAsOperator(p identity.Principal) bool {
	return p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

// CanView: both institutions and platform staff see a request.
func CanView(p identity.Principal, r Request) bool {
	return p.IsPlatformStaff() || p.RoleIn(r.RequesterOrgID) != "" || p.RoleIn(r.ProviderOrgID) != ""
}

// Create files a request and routes it by the resource's share type.
func (s *Service) Create(ctx context.Context, actor identity.Principal, in RequestInput) (Request, error) {
	in.normalize()
	if actor.IsAnonymous() {
		return Request{}, identity.ErrUnauthenticated
	}
	if !CanRequest(actor, in.RequesterOrgID) {
		return Request{}, validate.Errors{{Field: "requester_org_id", Value: in.RequesterOrgID, Message: "is not an institution you belong to"}}
	}
	res, err := s.cat.Get(ctx, actor, in.ResourceID)
	if err != nil || res.Status != catalog.StatusPublished {
		return Request{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "is not a published resource"}}
	}
	if res.OrganizationID == in.RequesterOrgID {
		return Request{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "belongs to your own institution: no request is needed"}}
	}
	if err := in.validate(res); err != nil {
		return Request{}, err
	}
	rq, err := s.access.Requirement(ctx, res, classify.UseShare)
	if err != nil {
		return Request{}, err
	}
	if !rq.Allowed {
		return Request{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "cannot be shared: " + strings.Join(rq.Reasons, "; ")}}
	}
	r := Request{ID: store.NewID(), ResourceID: res.ID, ProviderOrgID: res.OrganizationID, RequesterOrgID: in.RequesterOrgID,
		RequesterUserID: actor.UserID, Purpose: in.Purpose, LegalBasis: in.LegalBasis, Fields: in.Fields, DurationDays: in.DurationDays,
		NeedsOperator: rq.OperatorApproval}
	var grantID string
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := requireInstitution(ctx, tx, in.RequesterOrgID); err != nil {
			return err
		}
		r.CreatedAt, r.UpdatedAt = tx.Now(), tx.Now()
		if err := insertRequest(ctx, tx, r); err != nil {
			return err
		}
		if err := s.event(ctx, tx, actor, r, "created", ""); err != nil {
			return err
		}
		if err := AddStep(ctx, tx, Kind, r.ID, Step{Action: "submitted", Status: string(StatusProviderReview), ActorID: actor.UserID, ActorOrgID: in.RequesterOrgID}); err != nil {
			return err
		}
		var err error
		grantID, err = s.route(ctx, tx, actor, &r, res)
		return err
	})
	if err != nil {
		return Request{}, err
	}
	if grantID != "" {
		if err := s.access.Refresh(ctx, grantID); err != nil {
			return r, err
		}
	}
	return s.Get(ctx, actor, r.ID)
}

// requireInstitution refuses requesters that are not public institutions.
func requireInstitution(ctx context.Context, tx *store.Tx, orgID string) error {
	var kind identity.OrgKind
	err := tx.QueryRowContext(ctx, `SELECT kind FROM organizations WHERE id = $1`, orgID).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && kind != identity.KindInstitution && kind != identity.KindOperator) {
		return validate.Errors{{Field: "requester_org_id", Value: orgID,
			Message: "sharing is between public institutions: companies and persons apply for conditionally open data instead"}}
	}
	return err
}

// route moves a new request along its share type: refuse, grant, or queue for review.
func (s *Service) route(ctx context.Context, tx *store.Tx, actor identity.Principal, r *Request, res catalog.Resource) (string, error) {
	switch {
	case res.ShareType == catalog.ShareNone:
		r.Reason = res.ShareBasis
		return "", s.move(ctx, tx, actor, r, StatusRejected, "refused", res.ShareBasis, "")
	case res.ShareType == catalog.ShareUnconditional && !r.NeedsOperator:
		return s.grant(ctx, tx, actor, r, res, "")
	case res.ShareType == catalog.ShareUnconditional:
		return "", s.move(ctx, tx, actor, r, StatusOperatorReview, "to_operator", "", "")
	}
	// Conditional: the provider reviews; the request starts in that state.
	due := s.cfg.Calendar.AddWorkingDays(tx.Now(), s.cfg.ReviewDays)
	r.DueAt = &due
	if _, err := tx.ExecContext(ctx, `UPDATE share_requests SET due_at = $1 WHERE id = $2`, store.TS(due), r.ID); err != nil {
		return "", err
	}
	return "", notify.Send(ctx, tx, "share.submitted", Kind, r.ID, "/share-requests/"+r.ID,
		notify.To{Orgs: []string{r.ProviderOrgID}, OrgRole: identity.RoleAdmin})
}

// Decision is a reviewer's verdict.
type Decision string

// Verdicts.
const (
	Approve Decision = "approve"
	Reject  Decision = "reject"
)

// Review records the provider's or the operator's verdict on a request under
// review. Rejecting needs a comment. An overdue request may be decided by
// the operator in the provider's place.
func (s *Service) Review(ctx context.Context, actor identity.Principal, id string, d Decision, comment string) (Request, error) {
	comment = strings.TrimSpace(comment)
	var errs validate.Errors
	validate.OneOf(&errs, "decision", d, Approve, Reject)
	if d == Reject && comment == "" {
		errs.Add("comment", "", "is required when rejecting: say why")
	}
	errs.MaxLen("comment", comment, 2000)
	if err := errs.Err(); err != nil {
		return Request{}, err
	}
	var grantID string
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		r, err := lockRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if !CanView(actor, r) {
			return fmt.Errorf("share request %q: %w", id, store.ErrNotFound)
		}
		if err := s.mayReview(actor, r); err != nil {
			return err
		}
		if d == Reject {
			r.Reason = comment
			return s.move(ctx, tx, actor, &r, StatusRejected, "rejected", comment, "share.rejected")
		}
		if r.Status == StatusProviderReview && r.NeedsOperator {
			r.Reason = comment
			return s.move(ctx, tx, actor, &r, StatusOperatorReview, "approved", comment, "")
		}
		res, err := s.cat.Get(ctx, identity.System, r.ResourceID)
		if err != nil {
			return err
		}
		if res.Status != catalog.StatusPublished {
			return fmt.Errorf("%w: the resource is no longer published", ErrState)
		}
		grantID, err = s.grant(ctx, tx, actor, &r, res, comment)
		return err
	})
	if err != nil {
		return Request{}, err
	}
	if grantID != "" {
		if err := s.access.Refresh(ctx, grantID); err != nil {
			return Request{}, err
		}
	}
	return s.Get(ctx, actor, id)
}

// mayReview says whether actor may decide r now.
func (s *Service) mayReview(actor identity.Principal, r Request) error {
	switch r.Status {
	case StatusProviderReview:
		if CanReviewAsProvider(actor, r.ProviderOrgID) || (CanReviewAsOperator(actor) && r.EscalatedAt != nil) {
			return nil
		}
	case StatusOperatorReview:
		if CanReviewAsOperator(actor) {
			return nil
		}
	default:
		return fmt.Errorf("%w: the request is %s", ErrState, r.Status)
	}
	return identity.ErrForbidden
}

// grant creates the request's grant and marks it granted.
func (s *Service) grant(ctx context.Context, tx *store.Tx, actor identity.Principal, r *Request, res catalog.Resource, comment string) (string, error) {
	g, err := s.access.CreateGrant(ctx, tx, actor, access.NewGrant{
		GranteeKind: access.GranteeOrganization, GranteeID: r.RequesterOrgID, ResourceIDs: []string{res.ID}, Purpose: r.Purpose,
		Policy:     access.Policy{Fields: r.Fields, Actions: []access.Action{access.ActionRead, access.ActionDownload, access.ActionQuery}},
		ValidUntil: tx.Now().AddDate(0, 0, r.DurationDays), OriginKind: access.OriginShareRequest, OriginID: r.ID})
	if err != nil {
		return "", err
	}
	r.GrantID = g.ID
	if _, err := tx.ExecContext(ctx, `UPDATE share_requests SET grant_id = $1 WHERE id = $2`, g.ID, r.ID); err != nil {
		return "", err
	}
	return g.ID, s.move(ctx, tx, actor, r, StatusGranted, "granted", comment, "share.granted")
}

// move changes r's status with a history step, an event and notices.
// kind is the notice to the requester ("" for none); entering operator
// review tells the operators.
func (s *Service) move(ctx context.Context, tx *store.Tx, actor identity.Principal, r *Request, to Status, action, comment, kind string) error {
	r.Status, r.UpdatedAt = to, tx.Now()
	r.DueAt = nil
	if to == StatusOperatorReview {
		due := s.cfg.Calendar.AddWorkingDays(tx.Now(), s.cfg.OperatorDays)
		r.DueAt, r.EscalatedAt = &due, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE share_requests SET status = $1, due_at = $2, escalated_at = $3, reason = $4, updated_at = $5
		WHERE id = $6`, string(to), store.NullTSPtr(r.DueAt), store.NullTSPtr(r.EscalatedAt), r.Reason, store.TS(tx.Now()), r.ID); err != nil {
		return err
	}
	if action == "" {
		action = "approved"
	}
	if err := AddStep(ctx, tx, Kind, r.ID, Step{Action: action, Status: string(to), ActorID: actor.UserID, ActorOrgID: actorOrg(actor, *r), Comment: comment}); err != nil {
		return err
	}
	if err := s.event(ctx, tx, actor, *r, string(to), comment); err != nil {
		return err
	}
	if to == StatusOperatorReview {
		if err := notify.Send(ctx, tx, "share.operator_review", Kind, r.ID, "/share-requests/"+r.ID, notify.To{Operators: true}); err != nil {
			return err
		}
	}
	if kind == "" {
		return nil
	}
	return notify.Send(ctx, tx, kind, Kind, r.ID, "/share-requests/"+r.ID, notify.To{Users: []string{r.RequesterUserID}, Orgs: []string{r.RequesterOrgID}, OrgRole: identity.RoleAdmin})
}

// actorOrg is the organization on whose behalf actor acts on r.
func actorOrg(actor identity.Principal, r Request) string {
	for _, org := range []string{r.ProviderOrgID, r.RequesterOrgID} {
		if actor.RoleIn(org) != "" {
			return org
		}
	}
	return ""
}

// event records a change of r; the payload holds ids and hashes only.
func (s *Service) event(ctx context.Context, tx *store.Tx, actor identity.Principal, r Request, what, comment string) error {
	payload := map[string]any{"resource_id": r.ResourceID, "provider_org_id": r.ProviderOrgID, "requester_org_id": r.RequesterOrgID,
		"status": r.Status, "grant_id": r.GrantID, "purpose_sha256": store.SHA256Hex(r.Purpose), "legal_basis_sha256": store.SHA256Hex(r.LegalBasis)}
	if comment != "" {
		payload["comment_sha256"] = store.SHA256Hex(comment)
	}
	return tx.Emit(ctx, store.Event{Type: Kind + "." + what, ActorUserID: actor.UserID, ActorOrgID: actorOrg(actor, r),
		SubjectKind: Kind, SubjectID: r.ID}, payload)
}

// Withdraw ends a request still under review, at the requester's wish.
func (s *Service) Withdraw(ctx context.Context, actor identity.Principal, id string) (Request, error) {
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		r, err := lockRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if !CanView(actor, r) {
			return fmt.Errorf("share request %q: %w", id, store.ErrNotFound)
		}
		if !CanRequest(actor, r.RequesterOrgID) {
			return identity.ErrForbidden
		}
		if !r.Status.Open() {
			return fmt.Errorf("%w: only a request under review can be withdrawn (this one is %s)", ErrState, r.Status)
		}
		return s.move(ctx, tx, actor, &r, StatusWithdrawn, "withdrawn", "", "")
	})
	if err != nil {
		return Request{}, err
	}
	return s.Get(ctx, actor, id)
}

// Escalate flags every request still under review past its deadline at now,
// once, with an event and a notice to the operators and the provider. It
// returns how many it flagged. The server runs it periodically.
func (s *Service) Escalate(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+requestColumns+` FROM share_requests
			WHERE status IN ('provider_review', 'operator_review') AND escalated_at IS NULL AND due_at < $1 ORDER BY due_at`, store.TS(now))
		if err != nil {
			return err
		}
		var due []Request
		for rows.Next() {
			r, err := scanRequest(rows)
			if err != nil {
				rows.Close()
				return err
			}
			due = append(due, r)
		}
		rows.Close()
		for _, r := range due {
			if _, err := tx.ExecContext(ctx, `UPDATE share_requests SET escalated_at = $1 WHERE id = $2`, store.TS(tx.Now()), r.ID); err != nil {
				return err
			}
			if err := AddStep(ctx, tx, Kind, r.ID, Step{Action: "escalated", Status: string(r.Status), ActorID: identity.System.UserID}); err != nil {
				return err
			}
			if err := s.event(ctx, tx, identity.System, r, "escalated", ""); err != nil {
				return err
			}
			if err := notify.Send(ctx, tx, "share.escalated", Kind, r.ID, "/share-requests/"+r.ID,
				notify.To{Operators: true, Orgs: []string{r.ProviderOrgID}, OrgRole: identity.RoleAdmin}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// Get returns one request with its history, if actor may see it.
func (s *Service) Get(ctx context.Context, actor identity.Principal, id string) (Request, error) {
	r, err := queryRequest(ctx, s.db, `SELECT `+requestColumns+` FROM share_requests WHERE id = $1`, id)
	if err != nil {
		return r, err
	}
	if !CanView(actor, r) {
		return Request{}, fmt.Errorf("share request %q: %w", id, store.ErrNotFound)
	}
	r.Steps, err = Steps(ctx, s.db, Kind, id)
	return r, err
}

// Filter selects requests for List.
type Filter struct {
	// Side is "sent" (requests of the caller's institutions), "received"
	// (requests for their data), "queue" (waiting for the caller's
	// review, oldest deadline first), or "" for sent and received.
	Side   string
	Status Status
	Limit  int // 1–500, default 100
}

// List returns the requests actor may see that match f.
func (s *Service) List(ctx context.Context, actor identity.Principal, f Filter) ([]Request, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var b where
	order := "id DESC"
	switch f.Side {
	case "sent":
		b.in("requester_org_id", actor.OrgIDs())
	case "received":
		b.in("provider_org_id", actor.OrgIDs())
	case "queue":
		b.queue(actor)
		order = "due_at, id"
	default:
		if !actor.IsPlatformStaff() {
			b.either("requester_org_id", "provider_org_id", actor.OrgIDs())
		}
	}
	if f.Status != "" {
		b.add("status = $?", string(f.Status))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+requestColumns+` FROM share_requests`+b.clause()+
		fmt.Sprintf(` ORDER BY %s LIMIT %d`, order, f.Limit), b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Request{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

const requestColumns = `id, resource_id, provider_org_id, requester_org_id, requester_user_id, purpose, legal_basis, fields,
	duration_days, status, needs_operator, due_at, escalated_at, grant_id, reason, created_at, updated_at`

func scanRequest(row interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var fields []byte
	var due, escalated time.Time
	err := row.Scan(&r.ID, &r.ResourceID, &r.ProviderOrgID, &r.RequesterOrgID, &r.RequesterUserID, &r.Purpose, &r.LegalBasis,
		&fields, &r.DurationDays, &r.Status, &r.NeedsOperator, store.ScanTime(&due), store.ScanTime(&escalated), &r.GrantID,
		&r.Reason, store.ScanTime(&r.CreatedAt), store.ScanTime(&r.UpdatedAt))
	if err != nil {
		return r, err
	}
	if !due.IsZero() {
		r.DueAt = &due
	}
	if !escalated.IsZero() {
		r.EscalatedAt = &escalated
	}
	return r, json.Unmarshal(fields, &r.Fields)
}

func queryRequest(ctx context.Context, q store.Querier, query, id string) (Request, error) {
	r, err := scanRequest(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("share request %q: %w", id, store.ErrNotFound)
	}
	return r, err
}

func lockRequest(ctx context.Context, tx *store.Tx, id string) (Request, error) {
	q := `SELECT ` + requestColumns + ` FROM share_requests WHERE id = $1`
	if tx.Dialect == store.Postgres {
		q += ` FOR UPDATE`
	}
	return queryRequest(ctx, tx, q, id)
}

func insertRequest(ctx context.Context, tx *store.Tx, r Request) error {
	fields, _ := json.Marshal(r.Fields)
	_, err := tx.ExecContext(ctx, `INSERT INTO share_requests (id, resource_id, provider_org_id, requester_org_id, requester_user_id,
		purpose, legal_basis, fields, duration_days, status, needs_operator, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		r.ID, r.ResourceID, r.ProviderOrgID, r.RequesterOrgID, r.RequesterUserID, r.Purpose, r.LegalBasis, string(fields),
		r.DurationDays, string(StatusProviderReview), r.NeedsOperator, store.TS(r.CreatedAt), store.TS(r.UpdatedAt))
	return err
}
