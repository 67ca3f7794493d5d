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

// requests is the review workflow of share requests.
var requests = Workflow{Kind: Kind, Table: "share_requests", Noun: "request", Article: "a", Notices: "share", Link: "/share-requests/",
	RequesterColumn: "requester_org_id", RequesterUserColumn: "requester_user_id"}

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

// CanReview says whether actor may decide r now (the rule Review applies).
func (r Request) CanReview(actor identity.Principal) bool {
	return requests.MayReview(actor, r.item()) == nil
}

// CanWithdraw says whether actor may withdraw r now (the rule Withdraw applies).
func (r Request) CanWithdraw(actor identity.Principal) bool {
	return requests.MayWithdraw(actor, r.item()) == nil
}

// item is what the review workflow reads of r: decisions are told to the
// requester and the requesting institution's admins.
func (r Request) item() Item {
	payload := map[string]any{"resource_id": r.ResourceID, "provider_org_id": r.ProviderOrgID, "requester_org_id": r.RequesterOrgID,
		"status": r.Status, "grant_id": r.GrantID, "purpose_sha256": store.SHA256Hex(r.Purpose), "legal_basis_sha256": store.SHA256Hex(r.LegalBasis)}
	return Item{ID: r.ID, ProviderOrgID: r.ProviderOrgID, RequesterOrgID: r.RequesterOrgID, RequesterUserID: r.RequesterUserID, Status: string(r.Status),
		DueAt: r.DueAt, EscalatedAt: r.EscalatedAt, Reason: r.Reason, Payload: payload,
		Decisions: notify.To{Users: []string{r.RequesterUserID}, Orgs: []string{r.RequesterOrgID}, OrgRole: identity.RoleAdmin}}
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
	in.Fields = Fields(in.Fields)
}

func (in RequestInput) validate(r catalog.Resource) error {
	var errs validate.Errors
	errs.Required("purpose", in.Purpose)
	errs.MaxLen("purpose", in.Purpose, 500)
	errs.Required("legal_basis", in.LegalBasis)
	errs.MaxLen("legal_basis", in.LegalBasis, 1000)
	ValidateScope(&errs, r, in.Fields, in.DurationDays)
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
		if err := requests.Emit(ctx, tx, actor, r.item(), "created", ""); err != nil {
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
	return "", requests.NotifySubmitted(ctx, tx, r.item())
}

// Review records the provider's or the operator's verdict on a request under
// review. Rejecting needs a comment. An overdue request may be decided by
// the operator in the provider's place.
func (s *Service) Review(ctx context.Context, actor identity.Principal, id string, d Decision, comment string) (Request, error) {
	comment, err := ValidateReview(d, comment)
	if err != nil {
		return Request{}, err
	}
	var grantID string
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		r, err := oneRequest(ctx, tx, actor, ByIDForUpdate(tx), id)
		if err != nil {
			return err
		}
		if err := requests.MayReview(actor, r.item()); err != nil {
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

// move changes r's status, with its deadline (operator review has one),
// and stores the change (see Workflow.Move); notice is the kind of the
// requester's notice ("" for none).
func (s *Service) move(ctx context.Context, tx *store.Tx, actor identity.Principal, r *Request, to Status, action, comment, notice string) error {
	r.Status, r.UpdatedAt, r.DueAt = to, tx.Now(), nil
	if to == StatusOperatorReview {
		due := s.cfg.Calendar.AddWorkingDays(tx.Now(), s.cfg.OperatorDays)
		r.DueAt, r.EscalatedAt = &due, nil
	}
	return requests.Move(ctx, tx, actor, r.item(), action, comment, notice)
}

// Withdraw ends a request still under review, at the requester's wish.
func (s *Service) Withdraw(ctx context.Context, actor identity.Principal, id string) (Request, error) {
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		r, err := oneRequest(ctx, tx, actor, ByIDForUpdate(tx), id)
		if err != nil {
			return err
		}
		if err := requests.MayWithdraw(actor, r.item()); err != nil {
			return err
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
		due, err := queryRequests(ctx, tx, Overdue+` ORDER BY due_at`, store.TS(now))
		if err != nil {
			return err
		}
		for _, r := range due {
			if err := requests.Escalate(ctx, tx, r.item()); err != nil {
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
	r, err := oneRequest(ctx, s.db, actor, ByID, id)
	if err != nil {
		return Request{}, err
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
	clause, args, err := requests.ListClause(actor, f.Side, string(f.Status), f.Limit)
	if err != nil {
		return nil, err
	}
	return queryRequests(ctx, s.db, clause, args...)
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

// queryRequests returns the share requests that clause (the SQL after
// FROM) selects.
func queryRequests(ctx context.Context, q store.Querier, clause string, args ...any) ([]Request, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+requestColumns+` FROM share_requests`+clause, args...)
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

// oneRequest returns request id, which clause selects, if actor may see it.
func oneRequest(ctx context.Context, q store.Querier, actor identity.Principal, clause, id string) (Request, error) {
	list, err := queryRequests(ctx, q, clause, id)
	if err != nil {
		return Request{}, err
	}
	if len(list) == 0 || !CanView(actor, list[0]) {
		return Request{}, fmt.Errorf("share request %q: %w", id, store.ErrNotFound)
	}
	return list[0], nil
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
