// Package opening is the opening of public data to units and individuals
// (article 18): applications for conditionally open resources, reviewed by
// the providing institution and the platform operator and ending in a signed
// agreement (its hash sealed in the ledger) and a scoped grant; and each
// institution's annual open list (年度公共数据开放清单) with its plan.
// Unconditionally open data needs no application: the access decision
// point lets everyone read it, through its de-identification profile.
package opening

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
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/workday"
)

// ErrState means the application's status does not allow the action.
var ErrState = catalog.ErrState

// Status is where an application is.
type Status string

// Application states: provider_review → operator_review → granted; either
// review may reject; the applicant may withdraw while it is under review.
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

// ApplicantKind is who applies.
type ApplicantKind string

// Applicant kinds: a company (with its USCC) or a person.
const (
	ApplicantCompany ApplicantKind = "company"
	ApplicantPerson  ApplicantKind = "person"
)

// Kind names applications in histories, notices and events.
const Kind = "open_application"

// Application is one application for a conditionally open resource.
type Application struct {
	ID               string         `json:"id"`
	ResourceID       string         `json:"resource_id"`
	ProviderOrgID    string         `json:"provider_org_id"`
	ApplicantKind    ApplicantKind  `json:"applicant_kind"`
	ApplicantOrgID   string         `json:"applicant_org_id"`
	ApplicantUserID  string         `json:"applicant_user_id"`
	Purpose          string         `json:"purpose"`
	Scenario         string         `json:"scenario"`
	SecurityMeasures string         `json:"security_measures"`
	Fields           []string       `json:"fields"`
	DurationDays     int            `json:"duration_days"`
	Status           Status         `json:"status"`
	DueAt            *time.Time     `json:"due_at"`
	EscalatedAt      *time.Time     `json:"escalated_at"`
	GrantID          string         `json:"grant_id"`
	Agreement        string         `json:"agreement,omitempty"`
	AgreementHash    string         `json:"agreement_sha256,omitempty"`
	Reason           string         `json:"reason"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
	Steps            []sharing.Step `json:"steps,omitempty"`
}

// Overdue reports whether the application waits past its deadline at now.
func (a Application) Overdue(now time.Time) bool {
	return a.Status.Open() && a.DueAt != nil && now.After(*a.DueAt)
}

// ApplicationInput is what an applicant fills in.
type ApplicationInput struct {
	ResourceID       string   `json:"resource_id"`
	ApplicantOrgID   string   `json:"applicant_org_id" doc:"The company or person (individual account) applying"`
	Purpose          string   `json:"purpose"`
	Scenario         string   `json:"scenario" doc:"Where and how the data will be used"`
	SecurityMeasures string   `json:"security_measures" doc:"How the data will be kept safe"`
	Fields           []string `json:"fields,omitempty" required:"false" doc:"Data items needed; empty: all"`
	DurationDays     int      `json:"duration_days" minimum:"1" maximum:"1095"`
}

// Config tunes the workflow.
type Config struct {
	ReviewDays int // working days each review has (default 10)
	// Calendar counts the working days (default workday.China()).
	Calendar *workday.Calendar
	// RowQuota bounds the rows a granted application may read in total (0: none).
	RowQuota int64
}

// Service runs open applications and open lists on one store.
type Service struct {
	db     *store.DB
	cat    *catalog.Service
	ids    *identity.Service
	access *access.Service
	cfg    Config
}

// NewService returns the opening workflows.
func NewService(db *store.DB, cat *catalog.Service, ids *identity.Service, acc *access.Service, cfg Config) *Service {
	if cfg.ReviewDays <= 0 {
		cfg.ReviewDays = 10
	}
	if cfg.Calendar == nil {
		cfg.Calendar = workday.China()
	}
	return &Service{db: db, cat: cat, ids: ids, access: acc, cfg: cfg}
}

// CanApply: members of a company or a person's own account apply for it.
func CanApply(p identity.Principal, orgID string) bool { return p.RoleIn(orgID) != "" }

// CanView: the applicant, the provider and platform staff see an application.
func CanView(p identity.Principal, a Application) bool {
	return p.IsPlatformStaff() || p.RoleIn(a.ApplicantOrgID) != "" || p.RoleIn(a.ProviderOrgID) != ""
}

func (in *ApplicationInput) normalize() {
	for _, p := range []*string{&in.Purpose, &in.Scenario, &in.SecurityMeasures} {
		*p = strings.TrimSpace(*p)
	}
	fields := []string{}
	for _, f := range in.Fields {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	in.Fields = fields
}

func (in ApplicationInput) validate(r catalog.Resource) error {
	var errs validate.Errors
	for _, f := range []struct {
		name, v string
		max     int
	}{{"purpose", in.Purpose, 500}, {"scenario", in.Scenario, 2000}, {"security_measures", in.SecurityMeasures, 2000}} {
		errs.Required(f.name, f.v)
		errs.MaxLen(f.name, f.v, f.max)
	}
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

// applicantKind checks that org may apply and says as whom.
func applicantKind(org identity.Organization) (ApplicantKind, error) {
	switch org.Kind {
	case identity.KindEnterprise, identity.KindExchange:
		if org.USCC == "" {
			return "", validate.Errors{{Field: "applicant_org_id", Value: org.ID, Message: "a company applies with its unified social credit code: register it first"}}
		}
		return ApplicantCompany, nil
	case identity.KindIndividual:
		return ApplicantPerson, nil
	}
	return "", validate.Errors{{Field: "applicant_org_id", Value: org.ID,
		Message: "public institutions request sharing instead of applying for open data"}}
}

// Apply files an application for a conditionally open resource.
func (s *Service) Apply(ctx context.Context, actor identity.Principal, in ApplicationInput) (Application, error) {
	in.normalize()
	if actor.IsAnonymous() {
		return Application{}, identity.ErrUnauthenticated
	}
	if !CanApply(actor, in.ApplicantOrgID) {
		return Application{}, validate.Errors{{Field: "applicant_org_id", Value: in.ApplicantOrgID, Message: "is not a company or person account you act for"}}
	}
	org, err := s.ids.Organization(ctx, in.ApplicantOrgID)
	if err != nil {
		return Application{}, err
	}
	kind, err := applicantKind(org)
	if err != nil {
		return Application{}, err
	}
	res, err := s.cat.Get(ctx, actor, in.ResourceID)
	if err != nil || res.Status != catalog.StatusPublished {
		return Application{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "is not a published resource"}}
	}
	switch res.OpenType {
	case catalog.OpenUnconditional:
		return Application{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "is open to everyone: no application is needed"}}
	case catalog.OpenNone:
		return Application{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "is not open to the public: " + res.OpenBasis}}
	}
	if err := in.validate(res); err != nil {
		return Application{}, err
	}
	a := Application{ID: store.NewID(), ResourceID: res.ID, ProviderOrgID: res.OrganizationID, ApplicantKind: kind,
		ApplicantOrgID: org.ID, ApplicantUserID: actor.UserID, Purpose: in.Purpose, Scenario: in.Scenario,
		SecurityMeasures: in.SecurityMeasures, Fields: in.Fields, DurationDays: in.DurationDays, Status: StatusProviderReview}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		a.CreatedAt, a.UpdatedAt = tx.Now(), tx.Now()
		due := s.cfg.Calendar.AddWorkingDays(tx.Now(), s.cfg.ReviewDays)
		a.DueAt = &due
		if err := insertApplication(ctx, tx, a); err != nil {
			return err
		}
		if err := sharing.AddStep(ctx, tx, Kind, a.ID, sharing.Step{Action: "submitted", Status: string(a.Status), ActorID: actor.UserID, ActorOrgID: org.ID}); err != nil {
			return err
		}
		if err := s.event(ctx, tx, actor, a, "created", ""); err != nil {
			return err
		}
		return notify.Send(ctx, tx, "open.submitted", Kind, a.ID, "/applications/"+a.ID,
			notify.To{Orgs: []string{a.ProviderOrgID}, OrgRole: identity.RoleAdmin})
	})
	if err != nil {
		return Application{}, err
	}
	return s.Application(ctx, actor, a.ID)
}

// Review records the provider's, then the operator's, verdict. Rejecting
// needs a comment. The operator's approval writes the agreement and the grant.
func (s *Service) Review(ctx context.Context, actor identity.Principal, id string, d sharing.Decision, comment string) (Application, error) {
	comment = strings.TrimSpace(comment)
	var errs validate.Errors
	validate.OneOf(&errs, "decision", d, sharing.Approve, sharing.Reject)
	if d == sharing.Reject && comment == "" {
		errs.Add("comment", "", "is required when rejecting: say why")
	}
	errs.MaxLen("comment", comment, 2000)
	if err := errs.Err(); err != nil {
		return Application{}, err
	}
	var grantID string
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := lockApplication(ctx, tx, id)
		if err != nil {
			return err
		}
		if !CanView(actor, a) {
			return fmt.Errorf("application %q: %w", id, store.ErrNotFound)
		}
		if err := mayReview(actor, a); err != nil {
			return err
		}
		switch {
		case d == sharing.Reject:
			a.Reason = comment
			return s.move(ctx, tx, actor, &a, StatusRejected, "rejected", comment, "open.rejected")
		case a.Status == StatusProviderReview:
			a.Reason = comment
			return s.move(ctx, tx, actor, &a, StatusOperatorReview, "approved", comment, "")
		}
		grantID, err = s.grant(ctx, tx, actor, &a, comment)
		return err
	})
	if err != nil {
		return Application{}, err
	}
	if grantID != "" {
		if err := s.access.Refresh(ctx, grantID); err != nil {
			return Application{}, err
		}
	}
	return s.Application(ctx, actor, id)
}

func mayReview(actor identity.Principal, a Application) error {
	switch a.Status {
	case StatusProviderReview:
		if sharing.CanReviewAsProvider(actor, a.ProviderOrgID) || (sharing.CanReviewAsOperator(actor) && a.EscalatedAt != nil) {
			return nil
		}
	case StatusOperatorReview:
		if sharing.CanReviewAsOperator(actor) {
			return nil
		}
	default:
		return fmt.Errorf("%w: the application is %s", ErrState, a.Status)
	}
	return identity.ErrForbidden
}

// grant writes the agreement, its hash and the scoped grant.
func (s *Service) grant(ctx context.Context, tx *store.Tx, actor identity.Principal, a *Application, comment string) (string, error) {
	res, err := s.cat.Get(ctx, identity.System, a.ResourceID)
	if err != nil {
		return "", err
	}
	if res.Status != catalog.StatusPublished || res.OpenType != catalog.OpenConditional {
		return "", fmt.Errorf("%w: the resource is no longer open on application", ErrState)
	}
	rq, err := s.access.Requirement(ctx, res, classify.UseOpenConditional)
	if err != nil {
		return "", err
	}
	if !rq.Allowed {
		return "", fmt.Errorf("%w: the classification rules forbid opening it: %s", ErrState, strings.Join(rq.Reasons, "; "))
	}
	until := tx.Now().AddDate(0, 0, a.DurationDays)
	// No profile is fixed in the policy: the decision point applies the
	// resource's de-identification profile for each path as the rules say.
	policy := access.Policy{Fields: a.Fields, MaxRows: s.cfg.RowQuota, Actions: []access.Action{access.ActionRead, access.ActionDownload}}
	applicant, err := s.ids.Organization(ctx, a.ApplicantOrgID)
	if err != nil {
		return "", err
	}
	provider, err := s.ids.Organization(ctx, a.ProviderOrgID)
	if err != nil {
		return "", err
	}
	a.Agreement = agreementText(*a, res, applicant, provider, policy, rq.ProfileID, tx.Now(), until)
	a.AgreementHash = store.SHA256Hex(a.Agreement)
	g, err := s.access.CreateGrant(ctx, tx, actor, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: a.ApplicantOrgID,
		ResourceIDs: []string{res.ID}, Purpose: a.Purpose, Policy: policy, ValidUntil: until,
		OriginKind: access.OriginOpenApplication, OriginID: a.ID})
	if err != nil {
		return "", err
	}
	a.GrantID = g.ID
	if _, err := tx.ExecContext(ctx, `UPDATE open_applications SET grant_id = $1, agreement = $2, agreement_hash = $3 WHERE id = $4`,
		g.ID, a.Agreement, a.AgreementHash, a.ID); err != nil {
		return "", err
	}
	return g.ID, s.move(ctx, tx, actor, a, StatusGranted, "granted", comment, "open.granted")
}

// agreementText is the data use agreement both parties are bound by.
func agreementText(a Application, r catalog.Resource, applicant, provider identity.Organization, p access.Policy, profile string, from, until time.Time) string {
	fields := "全部数据项"
	if len(p.Fields) > 0 {
		fields = strings.Join(p.Fields, "、")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "公共数据有条件开放使用协议\n\n协议编号：%s\n", a.ID)
	fmt.Fprintf(&b, "数据提供方：%s（统一社会信用代码 %s）\n", provider.NameZh, provider.USCC)
	fmt.Fprintf(&b, "数据使用方：%s%s\n", applicant.NameZh, usccClause(applicant))
	fmt.Fprintf(&b, "数据资源：%s（目录编码 %s）\n开放数据项：%s\n", r.TitleZh, r.Code, fields)
	fmt.Fprintf(&b, "使用目的：%s\n应用场景：%s\n安全保障措施：%s\n", a.Purpose, a.Scenario, a.SecurityMeasures)
	if profile != "" {
		fmt.Fprintf(&b, "去标识化要求：按去标识化方案 %s 处理后提供\n", profile)
	}
	if p.MaxRows > 0 {
		fmt.Fprintf(&b, "使用额度：累计不超过 %d 条记录\n", p.MaxRows)
	}
	fmt.Fprintf(&b, "有效期：%s 至 %s\n\n", from.In(beijing).Format("2006-01-02"), until.In(beijing).Format("2006-01-02"))
	b.WriteString("使用方承诺：仅在上述目的和场景内使用数据，不得向第三方提供，不得尝试重新识别个人身份；" +
		"每次访问均由平台记录并存证；提供方或平台运营方可随时撤销授权，撤销后立即停止访问。\n")
	return b.String()
}

func usccClause(o identity.Organization) string {
	if o.USCC == "" {
		return ""
	}
	return "（统一社会信用代码 " + o.USCC + "）"
}

var beijing = workday.Beijing

// move changes a's status with a history step, an event and notices.
func (s *Service) move(ctx context.Context, tx *store.Tx, actor identity.Principal, a *Application, to Status, action, comment, kind string) error {
	a.Status, a.UpdatedAt, a.DueAt, a.EscalatedAt = to, tx.Now(), nil, nil
	if to == StatusOperatorReview {
		due := s.cfg.Calendar.AddWorkingDays(tx.Now(), s.cfg.ReviewDays)
		a.DueAt = &due
	}
	if _, err := tx.ExecContext(ctx, `UPDATE open_applications SET status = $1, due_at = $2, escalated_at = NULL, reason = $3, updated_at = $4
		WHERE id = $5`, string(to), store.NullTSPtr(a.DueAt), a.Reason, store.TS(tx.Now()), a.ID); err != nil {
		return err
	}
	if err := sharing.AddStep(ctx, tx, Kind, a.ID, sharing.Step{Action: action, Status: string(to), ActorID: actor.UserID,
		ActorOrgID: actorOrg(actor, *a), Comment: comment}); err != nil {
		return err
	}
	if err := s.event(ctx, tx, actor, *a, string(to), comment); err != nil {
		return err
	}
	if to == StatusOperatorReview {
		if err := notify.Send(ctx, tx, "open.operator_review", Kind, a.ID, "/applications/"+a.ID, notify.To{Operators: true}); err != nil {
			return err
		}
	}
	if kind == "" {
		return nil
	}
	return notify.Send(ctx, tx, kind, Kind, a.ID, "/applications/"+a.ID, notify.To{Users: []string{a.ApplicantUserID}})
}

func actorOrg(actor identity.Principal, a Application) string {
	for _, org := range []string{a.ProviderOrgID, a.ApplicantOrgID} {
		if actor.RoleIn(org) != "" {
			return org
		}
	}
	return ""
}

// event records a change of a; the payload holds ids and hashes only (the
// agreement's hash seals it in the ledger).
func (s *Service) event(ctx context.Context, tx *store.Tx, actor identity.Principal, a Application, what, comment string) error {
	payload := map[string]any{"resource_id": a.ResourceID, "provider_org_id": a.ProviderOrgID, "applicant_org_id": a.ApplicantOrgID,
		"applicant_kind": a.ApplicantKind, "status": a.Status, "grant_id": a.GrantID, "purpose_sha256": store.SHA256Hex(a.Purpose)}
	if a.AgreementHash != "" {
		payload["agreement_sha256"] = a.AgreementHash
	}
	if comment != "" {
		payload["comment_sha256"] = store.SHA256Hex(comment)
	}
	return tx.Emit(ctx, store.Event{Type: Kind + "." + what, ActorUserID: actor.UserID, ActorOrgID: actorOrg(actor, a),
		SubjectKind: Kind, SubjectID: a.ID}, payload)
}

// Withdraw ends an application still under review, at the applicant's wish.
func (s *Service) Withdraw(ctx context.Context, actor identity.Principal, id string) (Application, error) {
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := lockApplication(ctx, tx, id)
		if err != nil {
			return err
		}
		if !CanView(actor, a) {
			return fmt.Errorf("application %q: %w", id, store.ErrNotFound)
		}
		if !CanApply(actor, a.ApplicantOrgID) {
			return identity.ErrForbidden
		}
		if !a.Status.Open() {
			return fmt.Errorf("%w: only an application under review can be withdrawn (this one is %s)", ErrState, a.Status)
		}
		return s.move(ctx, tx, actor, &a, StatusWithdrawn, "withdrawn", "", "")
	})
	if err != nil {
		return Application{}, err
	}
	return s.Application(ctx, actor, id)
}

// Escalate flags every application under review past its deadline at now,
// once, telling the operators. It returns how many it flagged.
func (s *Service) Escalate(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		list, err := queryApplications(ctx, tx, ` WHERE status IN ('provider_review', 'operator_review') AND escalated_at IS NULL AND due_at < $1`,
			` ORDER BY due_at`, store.TS(now))
		if err != nil {
			return err
		}
		for _, a := range list {
			if _, err := tx.ExecContext(ctx, `UPDATE open_applications SET escalated_at = $1 WHERE id = $2`, store.TS(tx.Now()), a.ID); err != nil {
				return err
			}
			if err := sharing.AddStep(ctx, tx, Kind, a.ID, sharing.Step{Action: "escalated", Status: string(a.Status), ActorID: identity.System.UserID}); err != nil {
				return err
			}
			if err := s.event(ctx, tx, identity.System, a, "escalated", ""); err != nil {
				return err
			}
			if err := notify.Send(ctx, tx, "open.escalated", Kind, a.ID, "/applications/"+a.ID,
				notify.To{Operators: true, Orgs: []string{a.ProviderOrgID}, OrgRole: identity.RoleAdmin}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// Application returns one application with its history, if actor may see it.
func (s *Service) Application(ctx context.Context, actor identity.Principal, id string) (Application, error) {
	list, err := queryApplications(ctx, s.db, ` WHERE id = $1`, ``, id)
	if err != nil {
		return Application{}, err
	}
	if len(list) == 0 || !CanView(actor, list[0]) {
		return Application{}, fmt.Errorf("application %q: %w", id, store.ErrNotFound)
	}
	a := list[0]
	a.Steps, err = sharing.Steps(ctx, s.db, Kind, id)
	return a, err
}

// Filter selects applications for Applications.
type Filter struct {
	// Side is "sent" (the caller's applications), "received" (for their
	// institutions' data), "queue" (waiting for their review), or "" for both.
	Side   string
	Status Status
	Limit  int
}

// Applications lists the applications actor may see that match f.
func (s *Service) Applications(ctx context.Context, actor identity.Principal, f Filter) ([]Application, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var w sharing.Where
	order := " ORDER BY id DESC"
	switch f.Side {
	case "sent":
		w.In("applicant_org_id", actor.OrgIDs())
	case "received":
		w.In("provider_org_id", actor.OrgIDs())
	case "queue":
		w.Queue(actor)
		order = " ORDER BY due_at, id"
	default:
		if !actor.IsPlatformStaff() {
			w.Either("applicant_org_id", "provider_org_id", actor.OrgIDs())
		}
	}
	if f.Status != "" {
		w.Add("status = $?", string(f.Status))
	}
	return queryApplications(ctx, s.db, w.Clause(), order+fmt.Sprintf(" LIMIT %d", f.Limit), w.Args()...)
}

const applicationColumns = `id, resource_id, provider_org_id, applicant_kind, applicant_org_id, applicant_user_id, purpose, scenario,
	security_measures, fields, duration_days, status, due_at, escalated_at, grant_id, agreement, agreement_hash, reason, created_at, updated_at`

func queryApplications(ctx context.Context, q store.Querier, where, tail string, args ...any) ([]Application, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+applicationColumns+` FROM open_applications`+where+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("opening: applications: %w", err)
	}
	defer rows.Close()
	out := []Application{}
	for rows.Next() {
		var a Application
		var fields []byte
		var due, escalated time.Time
		if err := rows.Scan(&a.ID, &a.ResourceID, &a.ProviderOrgID, &a.ApplicantKind, &a.ApplicantOrgID, &a.ApplicantUserID,
			&a.Purpose, &a.Scenario, &a.SecurityMeasures, &fields, &a.DurationDays, &a.Status, store.ScanTime(&due),
			store.ScanTime(&escalated), &a.GrantID, &a.Agreement, &a.AgreementHash, &a.Reason,
			store.ScanTime(&a.CreatedAt), store.ScanTime(&a.UpdatedAt)); err != nil {
			return nil, err
		}
		if !due.IsZero() {
			a.DueAt = &due
		}
		if !escalated.IsZero() {
			a.EscalatedAt = &escalated
		}
		if err := json.Unmarshal(fields, &a.Fields); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func lockApplication(ctx context.Context, tx *store.Tx, id string) (Application, error) {
	if tx.Dialect == store.Postgres {
		var got string
		err := tx.QueryRowContext(ctx, `SELECT id FROM open_applications WHERE id = $1 FOR UPDATE`, id).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return Application{}, fmt.Errorf("application %q: %w", id, store.ErrNotFound)
		} else if err != nil {
			return Application{}, err
		}
	}
	list, err := queryApplications(ctx, tx, ` WHERE id = $1`, ``, id)
	if err != nil {
		return Application{}, err
	}
	if len(list) == 0 {
		return Application{}, fmt.Errorf("application %q: %w", id, store.ErrNotFound)
	}
	return list[0], nil
}

func insertApplication(ctx context.Context, tx *store.Tx, a Application) error {
	fields, _ := json.Marshal(a.Fields)
	_, err := tx.ExecContext(ctx, `INSERT INTO open_applications (id, resource_id, provider_org_id, applicant_kind, applicant_org_id,
		applicant_user_id, purpose, scenario, security_measures, fields, duration_days, status, due_at, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
		a.ID, a.ResourceID, a.ProviderOrgID, string(a.ApplicantKind), a.ApplicantOrgID, a.ApplicantUserID, a.Purpose, a.Scenario,
		a.SecurityMeasures, string(fields), a.DurationDays, string(a.Status), store.NullTSPtr(a.DueAt), store.TS(a.CreatedAt), store.TS(a.UpdatedAt))
	return err
}
