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
	"dataport/internal/review"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/workday"
)

// ErrState means the application's status does not allow the action.
var ErrState = review.ErrState

// Application states (an access review's, see review.AccessReview):
// provider_review → operator_review → granted; either review may reject
// (review.StatusRejected); the applicant may withdraw while it is under
// review (review.StatusWithdrawn).
const (
	StatusProviderReview = review.ProviderReview
	StatusOperatorReview = review.OperatorReview
	StatusGranted        = review.Granted
)

// Statuses lists every state.
var Statuses = review.AccessStatuses

// ApplicantKind is who applies.
type ApplicantKind string

// Applicant kinds: a company (with its USCC) or a person.
const (
	ApplicantCompany ApplicantKind = "company"
	ApplicantPerson  ApplicantKind = "person"
)

// Kind names applications in histories, notices and events.
const Kind = "open_application"

// Application is one application for a conditionally open resource. Its
// workflow state (status, deadline, escalation, reason, history) is its
// review case's.
type Application struct {
	ID               string        `json:"id"`
	ResourceID       string        `json:"resource_id"`
	ProviderOrgID    string        `json:"provider_org_id"`
	ApplicantKind    ApplicantKind `json:"applicant_kind"`
	ApplicantOrgID   string        `json:"applicant_org_id"`
	ApplicantUserID  string        `json:"applicant_user_id"`
	Purpose          string        `json:"purpose"`
	Scenario         string        `json:"scenario"`
	SecurityMeasures string        `json:"security_measures"`
	Fields           []string      `json:"fields"`
	DurationDays     int           `json:"duration_days"`
	GrantID          string        `json:"grant_id"`
	Agreement        string        `json:"agreement,omitempty"`
	AgreementHash    string        `json:"agreement_sha256,omitempty"`
	review.State                   // status, deadline, reason, history; CanReview, CanWithdraw, Overdue
}

// withCase fills in who filed a.
func withCase(a *Application, c review.Case) { a.ApplicantUserID = c.FilerUserID }

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
	// Calendar counts the working days (default workday.China()) when
	// Review is nil.
	Calendar *workday.Calendar
	// RowQuota bounds the rows a granted application may read in total (0: none).
	RowQuota int64
	// Review keeps the cases (default: a review service of its own).
	Review *review.Service
}

// Service runs open applications and open lists on one store.
type Service struct {
	db      *store.DB
	cat     *catalog.Service
	ids     *identity.Service
	access  *access.Service
	cfg     Config
	reviews *review.Service
	// Records are the open applications and their cases: Get, List,
	// Decide, Withdraw, RequestInfo, Answer and Tick work on them.
	review.Records[Application]
}

// NewService returns the opening workflows, registering open applications
// as a kind of review case: the provider's admins review an application,
// then a platform operator, each within ReviewDays working days (the
// operators may decide an escalated provider review); decisions are told
// to the applicant.
func NewService(db *store.DB, cat *catalog.Service, ids *identity.Service, acc *access.Service, cfg Config) *Service {
	if cfg.ReviewDays <= 0 {
		cfg.ReviewDays = 10
	}
	if cfg.Review == nil {
		cfg.Review = review.NewService(db, review.Config{Calendar: cfg.Calendar})
	}
	s := &Service{db: db, cat: cat, ids: ids, access: acc, cfg: cfg, reviews: cfg.Review}
	kind := review.AccessReview(review.Kind{Name: Kind, Title: "application", Noun: "application", Article: "an", Link: "/applications/",
		Payload: s.payload, Decided: s.decided}, "open", cfg.ReviewDays, cfg.ReviewDays)
	s.Records = review.Records[Application]{Workflow: cfg.Review.Register(kind), Select: `SELECT ` + applicationColumns + ` FROM open_applications`,
		Scan: scanApplication, Attach: withCase}
	return s
}

// CanApply: members of a company or a person's own account apply for it.
func CanApply(p identity.Principal, orgID string) bool { return p.RoleIn(orgID) != "" }

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
			return "", validate.Errors{{Field: "applicant_org_id", Value: org.ID, Message: "a company applies with its unified social credit code: register it first", Code: "company_uscc"}}
		}
		return ApplicantCompany, nil
	case identity.KindIndividual:
		return ApplicantPerson, nil
	}
	return "", validate.Errors{{Field: "applicant_org_id", Value: org.ID,
		Message: "public institutions request sharing instead of applying for open data", Code: "institution_shares"}}
}

// Apply files an application for a conditionally open resource.
func (s *Service) Apply(ctx context.Context, actor identity.Principal, in ApplicationInput) (Application, error) {
	in.normalize()
	if actor.IsAnonymous() {
		return Application{}, identity.ErrUnauthenticated
	}
	if !CanApply(actor, in.ApplicantOrgID) {
		return Application{}, validate.Errors{{Field: "applicant_org_id", Value: in.ApplicantOrgID, Message: "is not a company or person account you act for", Code: "not_applicant"}}
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
		return Application{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "is not a published resource", Code: "not_published"}}
	}
	switch res.OpenType {
	case catalog.OpenUnconditional:
		return Application{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "is open to everyone: no application is needed", Code: "open_to_all"}}
	case catalog.OpenNone:
		return Application{}, validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "is not open to the public: " + res.OpenBasis, Code: "not_open", Args: []any{res.OpenBasis}}}
	}
	if err := in.validate(res); err != nil {
		return Application{}, err
	}
	a := Application{ID: store.NewID(), ResourceID: res.ID, ProviderOrgID: res.OrganizationID, ApplicantKind: kind,
		ApplicantOrgID: org.ID, Purpose: in.Purpose, Scenario: in.Scenario, SecurityMeasures: in.SecurityMeasures,
		Fields: in.Fields, DurationDays: in.DurationDays}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := insertApplication(ctx, tx, a); err != nil {
			return err
		}
		_, err := s.Records.File(ctx, tx, actor, review.Filing{ID: a.ID, FilerOrgID: org.ID,
			Subject: review.Subject{Kind: "resource", ID: res.ID, OrgID: res.OrganizationID}})
		return err
	})
	if err != nil {
		return Application{}, err
	}
	return s.Get(ctx, actor, a.ID)
}

// decided is the decision handler: a granted application gets its
// agreement, whose hash is sealed in the granted event, and its scoped grant.
func (s *Service) decided(ctx context.Context, tx *store.Tx, actor identity.Principal, c review.Case) error {
	if c.Status != StatusGranted {
		return nil
	}
	a, err := s.Records.Record(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	res, err := s.cat.Get(ctx, identity.System, a.ResourceID)
	if err != nil {
		return err
	}
	if res.Status != catalog.StatusPublished || res.OpenType != catalog.OpenConditional {
		return fmt.Errorf("%w: the resource is no longer open on application", ErrState)
	}
	rq, err := s.access.Requirement(ctx, res, classify.UseOpenConditional)
	if err != nil {
		return err
	}
	if !rq.Allowed {
		return fmt.Errorf("%w: the classification rules forbid opening it: %s", ErrState, strings.Join(rq.Reasons, "; "))
	}
	until := tx.Now().AddDate(0, 0, a.DurationDays)
	// No profile is fixed in the policy: the decision point applies the
	// resource's de-identification profile for each path as the rules say.
	policy := access.Policy{Fields: a.Fields, MaxRows: s.cfg.RowQuota, Actions: []access.Action{access.ActionRead, access.ActionDownload}}
	applicant, err := s.ids.Organization(ctx, a.ApplicantOrgID)
	if err != nil {
		return err
	}
	provider, err := s.ids.Organization(ctx, a.ProviderOrgID)
	if err != nil {
		return err
	}
	a.Agreement = agreementText(a, res, applicant, provider, policy, rq.ProfileID, tx.Now(), until)
	a.AgreementHash = store.SHA256Hex(a.Agreement)
	g, err := s.access.CreateGrant(ctx, tx, actor, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: a.ApplicantOrgID,
		ResourceIDs: []string{res.ID}, Purpose: a.Purpose, Policy: policy, ValidUntil: until,
		OriginKind: access.OriginOpenApplication, OriginID: a.ID})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE open_applications SET grant_id = $1, agreement = $2, agreement_hash = $3 WHERE id = $4`,
		g.ID, a.Agreement, a.AgreementHash, a.ID)
	return err
}

// payload is the payload of an application's events: identifiers and
// hashes; the agreement's hash seals it in the ledger.
func (s *Service) payload(ctx context.Context, q store.Querier, c review.Case) (map[string]any, error) {
	a, err := s.Records.Record(ctx, q, c.ID)
	if err != nil {
		return nil, err
	}
	p := map[string]any{"resource_id": a.ResourceID, "provider_org_id": a.ProviderOrgID, "applicant_org_id": a.ApplicantOrgID,
		"applicant_kind": a.ApplicantKind, "status": c.Status, "grant_id": a.GrantID, "purpose_sha256": store.SHA256Hex(a.Purpose)}
	if a.AgreementHash != "" {
		p["agreement_sha256"] = a.AgreementHash
	}
	return p, nil
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

// Filter selects applications for List: Side "sent" (the caller's
// applications), "received" (for their institutions' data), "queue"
// (waiting for their review) or "" (both); a status; a limit. List sets
// its Kind.
type Filter = review.Filter

const applicationColumns = `id, resource_id, provider_org_id, applicant_kind, applicant_org_id, purpose, scenario, security_measures, fields,
	duration_days, grant_id, agreement, agreement_hash`

// scanApplication reads what only an application holds.
func scanApplication(row review.Row) (string, Application, error) {
	var a Application
	var fields []byte
	if err := row.Scan(&a.ID, &a.ResourceID, &a.ProviderOrgID, &a.ApplicantKind, &a.ApplicantOrgID, &a.Purpose, &a.Scenario,
		&a.SecurityMeasures, &fields, &a.DurationDays, &a.GrantID, &a.Agreement, &a.AgreementHash); err != nil {
		return "", a, err
	}
	return a.ID, a, json.Unmarshal(fields, &a.Fields)
}

func insertApplication(ctx context.Context, tx *store.Tx, a Application) error {
	fields, _ := json.Marshal(a.Fields)
	_, err := tx.ExecContext(ctx, `INSERT INTO open_applications (id, resource_id, provider_org_id, applicant_kind, applicant_org_id,
		purpose, scenario, security_measures, fields, duration_days) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		a.ID, a.ResourceID, a.ProviderOrgID, string(a.ApplicantKind), a.ApplicantOrgID, a.Purpose, a.Scenario,
		a.SecurityMeasures, string(fields), a.DurationDays)
	return err
}
