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
	"encoding/json"
	"fmt"
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

// applications is the review workflow of open applications.
var applications = sharing.Workflow{Kind: Kind, Table: "open_applications", Noun: "application", Article: "an", Notices: "open", Link: "/applications/",
	RequesterColumn: "applicant_org_id", RequesterUserColumn: "applicant_user_id"}

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

// CanReview says whether actor may decide a now (the rule Review applies).
func (a Application) CanReview(actor identity.Principal) bool {
	return applications.MayReview(actor, a.item()) == nil
}

// CanWithdraw says whether actor may withdraw a now (the rule Withdraw applies).
func (a Application) CanWithdraw(actor identity.Principal) bool {
	return applications.MayWithdraw(actor, a.item()) == nil
}

// item is what the review workflow reads of a: decisions are told to the
// applicant; the agreement's hash seals it in the ledger.
func (a Application) item() sharing.Item {
	payload := map[string]any{"resource_id": a.ResourceID, "provider_org_id": a.ProviderOrgID, "applicant_org_id": a.ApplicantOrgID,
		"applicant_kind": a.ApplicantKind, "status": a.Status, "grant_id": a.GrantID, "purpose_sha256": store.SHA256Hex(a.Purpose)}
	if a.AgreementHash != "" {
		payload["agreement_sha256"] = a.AgreementHash
	}
	return sharing.Item{ID: a.ID, ProviderOrgID: a.ProviderOrgID, RequesterOrgID: a.ApplicantOrgID, RequesterUserID: a.ApplicantUserID, Status: string(a.Status),
		DueAt: a.DueAt, EscalatedAt: a.EscalatedAt, Reason: a.Reason, Payload: payload,
		Decisions: notify.To{Users: []string{a.ApplicantUserID}}}
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
	in.Fields = sharing.Fields(in.Fields)
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
	sharing.ValidateScope(&errs, r, in.Fields, in.DurationDays)
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
		if err := applications.Emit(ctx, tx, actor, a.item(), "created", ""); err != nil {
			return err
		}
		return applications.NotifySubmitted(ctx, tx, a.item())
	})
	if err != nil {
		return Application{}, err
	}
	return s.Application(ctx, actor, a.ID)
}

// Review records the provider's, then the operator's, verdict. Rejecting
// needs a comment. The operator's approval writes the agreement and the grant.
func (s *Service) Review(ctx context.Context, actor identity.Principal, id string, d sharing.Decision, comment string) (Application, error) {
	comment, err := sharing.ValidateReview(d, comment)
	if err != nil {
		return Application{}, err
	}
	var grantID string
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := oneApplication(ctx, tx, actor, sharing.ByIDForUpdate(tx), id)
		if err != nil {
			return err
		}
		if err := applications.MayReview(actor, a.item()); err != nil {
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

// move changes a's status, with its deadline (operator review has one),
// and stores the change (see sharing.Workflow.Move); notice is the kind of
// the applicant's notice ("" for none). Every move ends an escalation.
func (s *Service) move(ctx context.Context, tx *store.Tx, actor identity.Principal, a *Application, to Status, action, comment, notice string) error {
	a.Status, a.UpdatedAt, a.DueAt, a.EscalatedAt = to, tx.Now(), nil, nil
	if to == StatusOperatorReview {
		due := s.cfg.Calendar.AddWorkingDays(tx.Now(), s.cfg.ReviewDays)
		a.DueAt = &due
	}
	return applications.Move(ctx, tx, actor, a.item(), action, comment, notice)
}

// Withdraw ends an application still under review, at the applicant's wish.
func (s *Service) Withdraw(ctx context.Context, actor identity.Principal, id string) (Application, error) {
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := oneApplication(ctx, tx, actor, sharing.ByIDForUpdate(tx), id)
		if err != nil {
			return err
		}
		if err := applications.MayWithdraw(actor, a.item()); err != nil {
			return err
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
		due, err := queryApplications(ctx, tx, sharing.Overdue+` ORDER BY due_at`, store.TS(now))
		if err != nil {
			return err
		}
		for _, a := range due {
			if err := applications.Escalate(ctx, tx, a.item()); err != nil {
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
	a, err := oneApplication(ctx, s.db, actor, sharing.ByID, id)
	if err != nil {
		return Application{}, err
	}
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
	clause, args, err := applications.ListClause(actor, f.Side, string(f.Status), f.Limit)
	if err != nil {
		return nil, err
	}
	return queryApplications(ctx, s.db, clause, args...)
}

const applicationColumns = `id, resource_id, provider_org_id, applicant_kind, applicant_org_id, applicant_user_id, purpose, scenario,
	security_measures, fields, duration_days, status, due_at, escalated_at, grant_id, agreement, agreement_hash, reason, created_at, updated_at`

// queryApplications returns the applications that clause (the SQL after
// FROM) selects.
func queryApplications(ctx context.Context, q store.Querier, clause string, args ...any) ([]Application, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+applicationColumns+` FROM open_applications`+clause, args...)
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

// oneApplication returns application id, which clause selects, if actor
// may see it.
func oneApplication(ctx context.Context, q store.Querier, actor identity.Principal, clause, id string) (Application, error) {
	list, err := queryApplications(ctx, q, clause, id)
	if err != nil {
		return Application{}, err
	}
	if len(list) == 0 || !CanView(actor, list[0]) {
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
