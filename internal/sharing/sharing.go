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

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/workday"
)

// ErrState means the request's status does not allow the action.
var ErrState = review.ErrState

// ErrSelfReview means the actor filed the request and may not decide it
// (review.ErrSelfReview).
var ErrSelfReview = review.ErrSelfReview

// Request states: provider_review → operator_review (important data) →
// granted; either review may reject; the requester may withdraw while it
// is under review. A request for unshared data is rejected at once.
const (
	StatusProviderReview = review.ProviderReview
	StatusOperatorReview = review.OperatorReview
	StatusGranted        = review.Granted
	StatusRejected       = review.StatusRejected
	StatusWithdrawn      = review.StatusWithdrawn
)

// Statuses lists every state.
var Statuses = review.AccessStatuses

// Kind names share requests in histories, notices and events.
const Kind = "share_request"

// Request is one institution's request for another's resource. Its
// workflow state (status, deadline, escalation, reason, history) is its
// review case's.
type Request struct {
	ID              string   `json:"id"`
	ResourceID      string   `json:"resource_id"`
	ProviderOrgID   string   `json:"provider_org_id"`
	RequesterOrgID  string   `json:"requester_org_id"`
	RequesterUserID string   `json:"requester_user_id"`
	Purpose         string   `json:"purpose"`
	LegalBasis      string   `json:"legal_basis"`
	Fields          []string `json:"fields"`
	DurationDays    int      `json:"duration_days"`
	NeedsOperator   bool     `json:"needs_operator"`
	GrantID         string   `json:"grant_id"`
	review.State             // status, deadline, reason, history; CanReview, CanWithdraw, Overdue
}

// withCase fills in who filed r.
func withCase(r *Request, c review.Case) { r.RequesterUserID = c.FilerUserID }

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
	// Calendar counts the working days (default workday.China()) when
	// Review is nil.
	Calendar *workday.Calendar
	// Review keeps the cases (default: a review service of its own).
	Review *review.Service
}

// Service runs share requests on one store.
type Service struct {
	db      *store.DB
	cat     *catalog.Service
	access  *access.Service
	reviews *review.Service
	// Records are the share requests and their cases: Get, List, Decide,
	// Withdraw, RequestInfo, Answer and Tick work on them.
	review.Records[Request]
}

// NewService returns the sharing workflow, registering share requests as a
// kind of review case: the provider's admins review a request within
// ReviewDays working days (the operators may decide it once it is
// escalated), then, for important data, a platform operator within
// OperatorDays; decisions are told to the requester and the requesting
// institution's admins.
func NewService(db *store.DB, cat *catalog.Service, acc *access.Service, cfg Config) *Service {
	if cfg.ReviewDays <= 0 {
		cfg.ReviewDays = 5
	}
	if cfg.OperatorDays <= 0 {
		cfg.OperatorDays = 5
	}
	if cfg.Review == nil {
		cfg.Review = review.NewService(db, review.Config{Calendar: cfg.Calendar})
	}
	s := &Service{db: db, cat: cat, access: acc, reviews: cfg.Review}
	kind := review.AccessReview(review.Kind{Name: Kind, Title: "share request", Noun: "request", Article: "a", Link: "/share-requests/",
		FilerOrgRole: identity.RoleAdmin, Payload: s.payload, Decided: s.decided}, "share", cfg.ReviewDays, cfg.OperatorDays)
	s.Records = review.Records[Request]{Workflow: cfg.Review.Register(kind), Select: `SELECT ` + requestColumns + ` FROM share_requests`,
		Scan: scanRequest, Attach: withCase}
	return s
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

// Create files a request and routes it by the resource's share type:
// refused citing the catalog's basis (none), granted at once
// (unconditional), or reviewed by the provider (conditional) and then, for
// important data, by the operator.
func (s *Service) Create(ctx context.Context, actor identity.Principal, in RequestInput) (Request, error) {
	in.normalize()
	if actor.IsAnonymous() {
		return Request{}, identity.ErrUnauthenticated
	}
	if !CanRequest(actor, in.RequesterOrgID) {
		return Request{}, validate.Errors{{Field: "requester_org_id", Value: in.RequesterOrgID, Message: "is not an institution you belong to", Code: "not_member"}}
	}
	res, err := s.cat.Get(ctx, actor, in.ResourceID)
	if err != nil || res.Status != catalog.StatusPublished {
		return Request{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "is not a published resource", Code: "not_published"}}
	}
	if res.OrganizationID == in.RequesterOrgID {
		return Request{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "belongs to your own institution: no request is needed", Code: "own_resource"}}
	}
	if err := in.validate(res); err != nil {
		return Request{}, err
	}
	rq, err := s.access.Requirement(ctx, res, classify.UseShare)
	if err != nil {
		return Request{}, err
	}
	if !rq.Allowed {
		return Request{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "cannot be shared: " + strings.Join(rq.Reasons, "; "), Code: "not_shareable", Args: []any{strings.Join(rq.Reasons, "; ")}}}
	}
	r := Request{ID: store.NewID(), ResourceID: res.ID, ProviderOrgID: res.OrganizationID, RequesterOrgID: in.RequesterOrgID,
		Purpose: in.Purpose, LegalBasis: in.LegalBasis, Fields: in.Fields, DurationDays: in.DurationDays, NeedsOperator: rq.OperatorApproval}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := requireInstitution(ctx, tx, in.RequesterOrgID); err != nil {
			return err
		}
		if err := insertRequest(ctx, tx, r); err != nil {
			return err
		}
		_, err := s.Records.File(ctx, tx, actor, filing(r, res))
		return err
	})
	if err != nil {
		return Request{}, err
	}
	return s.Records.Get(ctx, actor, r.ID)
}

// filing is how a request for res is reviewed: by the share type, and the
// operator too for important data.
func filing(r Request, res catalog.Resource) review.Filing {
	f := review.Filing{ID: r.ID, Subject: review.Subject{Kind: "resource", ID: res.ID, OrgID: res.OrganizationID}, FilerOrgID: r.RequesterOrgID}
	switch {
	case res.ShareType == catalog.ShareNone:
		f.Decided, f.Reason = review.Reject, res.ShareBasis
	case res.ShareType == catalog.ShareUnconditional && !r.NeedsOperator:
		f.Decided = review.Approve
	case res.ShareType == catalog.ShareUnconditional:
		f.Plan = []string{string(StatusOperatorReview)}
	case r.NeedsOperator:
		f.Plan = []string{string(StatusProviderReview), string(StatusOperatorReview)}
	default:
		f.Plan = []string{string(StatusProviderReview)}
	}
	return f
}

// requireInstitution refuses requesters that are not public institutions.
func requireInstitution(ctx context.Context, tx *store.Tx, orgID string) error {
	var kind identity.OrgKind
	err := tx.QueryRowContext(ctx, `SELECT kind FROM organizations WHERE id = $1`, orgID).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && kind != identity.KindInstitution && kind != identity.KindOperator) {
		return validate.Errors{{Field: "requester_org_id", Value: orgID,
			Message: "sharing is between public institutions: companies and persons apply for conditionally open data instead", Code: "sharing_institutions"}}
	}
	return err
}

// decided is the decision handler: an approved request gets its grant, if
// the resource is still published.
func (s *Service) decided(ctx context.Context, tx *store.Tx, actor identity.Principal, c review.Case) error {
	if c.Status != StatusGranted {
		return nil
	}
	r, err := s.Records.Record(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	res, err := s.cat.Get(ctx, identity.System, r.ResourceID)
	if err != nil {
		return err
	}
	if res.Status != catalog.StatusPublished {
		return fmt.Errorf("%w: the resource is no longer published", ErrState)
	}
	g, err := s.access.CreateGrant(ctx, tx, actor, access.NewGrant{
		GranteeKind: access.GranteeOrganization, GranteeID: r.RequesterOrgID, ResourceIDs: []string{res.ID}, Purpose: r.Purpose,
		Policy:     access.Policy{Fields: r.Fields, Actions: []access.Action{access.ActionRead, access.ActionDownload, access.ActionQuery}},
		ValidUntil: tx.Now().AddDate(0, 0, r.DurationDays), OriginKind: access.OriginShareRequest, OriginID: r.ID})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE share_requests SET grant_id = $1 WHERE id = $2`, g.ID, r.ID)
	return err
}

// payload is the payload of a request's events: identifiers and hashes.
func (s *Service) payload(ctx context.Context, q store.Querier, c review.Case) (map[string]any, error) {
	r, err := s.Records.Record(ctx, q, c.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"resource_id": r.ResourceID, "provider_org_id": r.ProviderOrgID, "requester_org_id": r.RequesterOrgID,
		"status": c.Status, "grant_id": r.GrantID, "purpose_sha256": store.SHA256Hex(r.Purpose), "legal_basis_sha256": store.SHA256Hex(r.LegalBasis)}, nil
}

// Filter selects requests for List: Side "sent" (requests of the
// caller's institutions), "received" (requests for their data), "queue"
// (waiting for the caller's review, oldest deadline first) or "" (sent and
// received); a status; a limit. List sets its Kind.
type Filter = review.Filter

const requestColumns = `id, resource_id, provider_org_id, requester_org_id, purpose, legal_basis, fields, duration_days, needs_operator, grant_id`

// scanRequest reads what only a share request holds.
func scanRequest(row review.Row) (string, Request, error) {
	var r Request
	var fields []byte
	if err := row.Scan(&r.ID, &r.ResourceID, &r.ProviderOrgID, &r.RequesterOrgID, &r.Purpose, &r.LegalBasis, &fields,
		&r.DurationDays, &r.NeedsOperator, &r.GrantID); err != nil {
		return "", r, err
	}
	return r.ID, r, json.Unmarshal(fields, &r.Fields)
}

func insertRequest(ctx context.Context, tx *store.Tx, r Request) error {
	fields, _ := json.Marshal(r.Fields)
	_, err := tx.ExecContext(ctx, `INSERT INTO share_requests (id, resource_id, provider_org_id, requester_org_id, purpose, legal_basis,
		fields, duration_days, needs_operator) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		r.ID, r.ResourceID, r.ProviderOrgID, r.RequesterOrgID, r.Purpose, r.LegalBasis, string(fields), r.DurationDays, r.NeedsOperator)
	return err
}
