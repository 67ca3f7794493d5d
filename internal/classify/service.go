package classify

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// ErrEnforcement means a resource's grade forbids what was asked.
var ErrEnforcement = errors.New("not allowed by the resource's classification and grading")

// ResourceGrading is the stored grade of a resource: the effective grade
// (the rules' result, or a person's override), what the rules computed, the
// column findings (counts, never values) and the override's reason.
type ResourceGrading struct {
	ResourceID string `json:"resource_id"`
	Grading
	Computed Computed  `json:"computed"`
	Columns  []Column  `json:"columns"`
	Rows     int64     `json:"rows_scanned"`
	Source   string    `json:"source"`
	Override *Override `json:"override"`
	GradedBy string    `json:"graded_by"`
	GradedAt time.Time `json:"graded_at"`
	Version  int       `json:"version"`
}

// Computed is the grade the rules gave.
type Computed struct {
	Class catalog.Classification `json:"class"`
	Level int                    `json:"level"`
}

// Override is a person's grade in place of the rules', with the reason.
type Override struct {
	Class  catalog.Classification `json:"class"`
	Level  int                    `json:"level"`
	Reason string                 `json:"reason"`
	By     string                 `json:"by"`
	At     time.Time              `json:"at"`
}

// ProfileSource lists a resource's de-identification profiles (deid.Service implements it).
type ProfileSource interface {
	Refs(ctx context.Context, resourceID string) ([]ProfileRef, error)
}

// AssessmentSource finds a resource's current completed security risk
// assessment, nil when it has none (assess.Service implements it).
type AssessmentSource interface {
	Current(ctx context.Context, resourceID string) (*Assessment, error)
}

// Service stores grades per resource and answers the enforcement question
// with the stored grade, profiles and risk assessment.
type Service struct {
	db          *store.DB
	catalog     *catalog.Service
	rules       *RuleSet
	policy      Policy
	profiles    ProfileSource
	assessments AssessmentSource
}

// NewService returns the grading service. rules nil means DefaultRules.
func NewService(db *store.DB, cat *catalog.Service, rules *RuleSet, policy Policy) *Service {
	if rules == nil {
		rules = DefaultRules()
	}
	return &Service{db: db, catalog: cat, rules: rules, policy: policy}
}

// SetProfiles connects the de-identification profiles (set once at wiring).
func (s *Service) SetProfiles(p ProfileSource) { s.profiles = p }

// SetAssessments connects the security risk assessments (set once at
// wiring); without them important and core data is never shared or opened.
func (s *Service) SetAssessments(a AssessmentSource) { s.assessments = a }

// Rules returns the rule set in force.
func (s *Service) Rules() *RuleSet { return s.rules }

// Policy returns the enforcement policy in force.
func (s *Service) Policy() Policy { return s.policy }

// CanGrade: the resource's editors and platform operators record scans.
func CanGrade(p identity.Principal, r catalog.Resource) bool {
	return catalog.CanEdit(p, r) || catalog.CanReview(p)
}

// CanOverride: platform operators set any grade; the institution's admins
// may only make a grade stricter (就高从严), never weaker.
func CanOverride(p identity.Principal, r catalog.Resource, current, proposed Computed) bool {
	if catalog.CanReview(p) {
		return true
	}
	return p.AtLeast(r.OrganizationID, identity.RoleAdmin) && Severity(proposed.Class, proposed.Level) >= Severity(current.Class, current.Level)
}

// Grade grades a scan of the resource's data with the rule set and stores
// the result, replacing the previous one, with a resource.graded event.
// An override stays unless the new grade is stricter than it. source says
// what was scanned ("upload", a version ...).
func (s *Service) Grade(ctx context.Context, actor identity.Principal, resourceID string, res Result, source string) (ResourceGrading, error) {
	r, err := s.catalog.Get(ctx, actor, resourceID)
	if err != nil {
		return ResourceGrading{}, err
	}
	if !CanGrade(actor, r) {
		return ResourceGrading{}, identity.ErrForbidden
	}
	g, err := s.rules.Grade(res, Facts{Subject: r.Subject, Industry: r.Industry})
	if err != nil {
		return ResourceGrading{}, err
	}
	var out ResourceGrading
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		prev, err := getGrading(ctx, tx, resourceID, tx.Dialect == store.Postgres)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		out = ResourceGrading{ResourceID: resourceID, Grading: g, Computed: Computed{g.Class, g.Level}, Columns: res.Columns,
			Rows: int64(res.Rows), Source: source, GradedBy: actor.UserID, GradedAt: tx.Now(), Version: prev.Version + 1}
		cleared := false
		if o := prev.Override; o != nil {
			if Severity(g.Class, g.Level) > Severity(o.Class, o.Level) {
				cleared = true
			} else {
				out.Override, out.Class, out.Level = o, o.Class, o.Level
			}
		}
		if err := saveGrading(ctx, tx, out); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "resource.graded", ActorUserID: actor.UserID, ActorOrgID: r.OrganizationID,
			SubjectKind: "resource", SubjectID: resourceID}, gradedPayload(out, cleared))
	})
	return out, err
}

// gradedPayload carries the grade and the rules that fired, never values.
func gradedPayload(g ResourceGrading, overrideCleared bool) map[string]any {
	rules := []string{}
	for _, r := range g.Reasons {
		rules = appendNew(rules, r.Rule)
	}
	return map[string]any{"class": g.Class, "level": g.Level, "computed_class": g.Computed.Class, "computed_level": g.Computed.Level,
		"personal_information": g.PersonalInfo, "sensitive_personal_information": g.SensitivePersonalInfo,
		"rules": g.Rules, "fired": rules, "rows": g.Rows, "version": g.Version, "override_cleared": overrideCleared}
}

// OverrideInput is a person's grade with the reason for it.
type OverrideInput struct {
	Class  catalog.Classification `json:"class"`
	Level  int                    `json:"level"`
	Reason string                 `json:"reason"`
}

// Override replaces the resource's grade with a person's, who must give a
// written reason; it records a resource.grading_overridden event (the
// reason's hash, not its text, goes into the ledger).
func (s *Service) Override(ctx context.Context, actor identity.Principal, resourceID string, in OverrideInput) (ResourceGrading, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var errs validate.Errors
	validate.OneOf(&errs, "class", in.Class, catalog.Classifications...)
	if in.Level < 1 || in.Level > 4 {
		errs.Add("level", in.Level, validate.CodeRange, "must be between %d and %d", 1, 4)
	}
	if len([]rune(in.Reason)) < 5 {
		errs.Add("reason", in.Reason, "grade_reason", "is required: write why the grade differs from the rules' (at least 5 characters)")
	}
	errs.MaxLen("reason", in.Reason, 2000)
	if err := errs.Err(); err != nil {
		return ResourceGrading{}, err
	}
	r, err := s.catalog.Get(ctx, actor, resourceID)
	if err != nil {
		return ResourceGrading{}, err
	}
	var out ResourceGrading
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		g, err := getGrading(ctx, tx, resourceID, tx.Dialect == store.Postgres)
		if err != nil {
			return fmt.Errorf("%w: scan the resource's data before overriding its grade", err)
		}
		if !CanOverride(actor, r, Computed{g.Class, g.Level}, Computed{in.Class, in.Level}) {
			return identity.ErrForbidden
		}
		prev := Computed{g.Class, g.Level}
		g.Override = &Override{Class: in.Class, Level: in.Level, Reason: in.Reason, By: actor.UserID, At: tx.Now()}
		g.Class, g.Level = in.Class, in.Level
		g.Version++
		if err := saveGrading(ctx, tx, g); err != nil {
			return err
		}
		out = g
		sum := sha256.Sum256([]byte(in.Reason))
		return tx.Emit(ctx, store.Event{Type: "resource.grading_overridden", ActorUserID: actor.UserID, ActorOrgID: r.OrganizationID,
			SubjectKind: "resource", SubjectID: resourceID}, map[string]any{"class": in.Class, "level": in.Level,
			"previous_class": prev.Class, "previous_level": prev.Level, "computed_class": g.Computed.Class,
			"computed_level": g.Computed.Level, "reason_sha256": hex.EncodeToString(sum[:]), "version": g.Version})
	})
	return out, err
}

// Get returns the resource's stored grade if actor may see the resource;
// store.ErrNotFound when it was never graded.
func (s *Service) Get(ctx context.Context, actor identity.Principal, resourceID string) (ResourceGrading, error) {
	if _, err := s.catalog.Get(ctx, actor, resourceID); err != nil {
		return ResourceGrading{}, err
	}
	return getGrading(ctx, s.db, resourceID, false)
}

// Lookup returns the stored grade without a permission check, or nil when
// the resource was never graded; for the access decision point.
func (s *Service) Lookup(ctx context.Context, resourceID string) (*Grading, error) {
	g, err := getGrading(ctx, s.db, resourceID, false)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &g.Grading, nil
}

// Requirement is Enforce with the resource's stored grade, profiles and
// current risk assessment: what the access decision point calls before
// every read (and caches until an event names the resource: grading,
// profiles and assessments emit one).
func (s *Service) Requirement(ctx context.Context, r catalog.Resource, use Use, path Path) (Requirement, error) {
	g, err := s.Lookup(ctx, r.ID)
	if err != nil {
		return Requirement{}, err
	}
	var refs []ProfileRef
	if s.profiles != nil {
		if refs, err = s.profiles.Refs(ctx, r.ID); err != nil {
			return Requirement{}, err
		}
	}
	var a *Assessment
	if s.assessments != nil {
		if a, err = s.assessments.Current(ctx, r.ID); err != nil {
			return Requirement{}, err
		}
	}
	return s.policy.Enforce(EnforcementInput{Resource: r, Grading: g, Use: use, Path: path, Profiles: refs,
		Assessment: a, Now: time.Now()}), nil
}

// OpenCheck is Policy.OpenCheck with the resource's stored grade and profiles.
func (s *Service) OpenCheck(ctx context.Context, r catalog.Resource) error {
	g, err := s.Lookup(ctx, r.ID)
	if err != nil {
		return err
	}
	var refs []ProfileRef
	if s.profiles != nil {
		if refs, err = s.profiles.Refs(ctx, r.ID); err != nil {
			return err
		}
	}
	return s.policy.OpenCheck(r, g, refs)
}

const gradingColumns = `resource_id, classification, level, personal_info, sensitive_personal_info, persons,
	computed_classification, computed_level, rules, reasons, columns, rows_scanned, source, override_reason,
	overridden_by, overridden_at, graded_by, graded_at, version`

func getGrading(ctx context.Context, q store.Querier, resourceID string, lock bool) (ResourceGrading, error) {
	query := `SELECT ` + gradingColumns + ` FROM resource_gradings WHERE resource_id = $1`
	if lock {
		query += ` FOR UPDATE`
	}
	var g ResourceGrading
	var reasons, columns []byte
	var reason, by string
	var at time.Time
	err := q.QueryRowContext(ctx, query, resourceID).Scan(&g.ResourceID, &g.Class, &g.Level, &g.PersonalInfo,
		&g.SensitivePersonalInfo, &g.Persons, &g.Computed.Class, &g.Computed.Level, &g.Rules, &reasons, &columns,
		&g.Rows, &g.Source, &reason, &by, store.ScanTime(&at), &g.GradedBy, store.ScanTime(&g.GradedAt), &g.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return g, fmt.Errorf("grading of resource %q: %w", resourceID, store.ErrNotFound)
	} else if err != nil {
		return g, fmt.Errorf("classify: read grading: %w", err)
	}
	if err := json.Unmarshal(reasons, &g.Reasons); err != nil {
		return g, err
	}
	if err := json.Unmarshal(columns, &g.Columns); err != nil {
		return g, err
	}
	if reason != "" {
		g.Override = &Override{Class: g.Class, Level: g.Level, Reason: reason, By: by, At: at}
	}
	return g, nil
}

func saveGrading(ctx context.Context, tx *store.Tx, g ResourceGrading) error {
	reasons, _ := json.Marshal(nonNil(g.Reasons))
	columns, _ := json.Marshal(nonNil(g.Columns))
	var reason, by string
	var at any
	if o := g.Override; o != nil {
		reason, by, at = o.Reason, o.By, store.TS(o.At)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO resource_gradings (`+gradingColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)
		ON CONFLICT (resource_id) DO UPDATE SET classification=$2, level=$3, personal_info=$4, sensitive_personal_info=$5,
		persons=$6, computed_classification=$7, computed_level=$8, rules=$9, reasons=$10, columns=$11, rows_scanned=$12,
		source=$13, override_reason=$14, overridden_by=$15, overridden_at=$16, graded_by=$17, graded_at=$18, version=$19`,
		g.ResourceID, g.Class, g.Level, g.PersonalInfo, g.SensitivePersonalInfo, g.Persons, g.Computed.Class, g.Computed.Level,
		g.Rules, string(reasons), string(columns), g.Rows, g.Source, reason, by, at, g.GradedBy, store.TS(g.GradedAt), g.Version)
	if err != nil {
		return fmt.Errorf("classify: save grading: %w", err)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return slices.Clip(s)
}
