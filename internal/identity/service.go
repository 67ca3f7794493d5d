package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"dataport/internal/store"
	"dataport/internal/validate"
)

// Service manages organizations, users, sessions and tokens on one store.
type Service struct {
	db *store.DB
	// throttle slows down failed sign-ins (throttle.go), in memory or,
	// on PostgreSQL, shared by every replica (throttle_shared.go).
	throttle signInCounter
	// selfService limits registrations and mailed codes (throttle.go), in
	// memory or shared as throttle is.
	selfService selfServiceCounter
	// keys caches the server keys read from the store (serverkey.go).
	keys sync.Map
	// signIns are told of sign-in attempts (signin_observe.go).
	signIns signInObservers
	// SessionTTL is how long a browser session lasts.
	SessionTTL time.Duration
}

// NewService returns a Service on db with login throttling.
func NewService(db *store.DB) *Service {
	throttle, selfService := newCounters(db)
	return &Service{db: db, throttle: throttle, selfService: selfService, SessionTTL: 12 * time.Hour}
}

// OrgInput is what creates or updates an organization.
type OrgInput struct {
	Kind        OrgKind `json:"kind"`
	NameZh      string  `json:"name_zh"`
	NameEn      string  `json:"name_en"`
	USCC        string  `json:"uscc"`
	Code        string  `json:"code"`
	RegionCode  string  `json:"region_code"`
	Description string  `json:"description"`
	Website     string  `json:"website"`
}

var (
	orgCodePattern  = regexp.MustCompile(`^[A-Z0-9]{2,20}$`)
	regionPattern   = regexp.MustCompile(`^[0-9]{6}$`)
	usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{2,31}$`)
)

func (in *OrgInput) normalize() {
	in.NameZh, in.NameEn = strings.TrimSpace(in.NameZh), strings.TrimSpace(in.NameEn)
	in.USCC = strings.ToUpper(strings.TrimSpace(in.USCC))
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	if in.Code == "" && len(in.USCC) == 18 {
		in.Code = in.USCC[8:17] // the organization code embedded in the USCC
	}
}

func (in OrgInput) validate() error {
	var errs validate.Errors
	validate.OneOf(&errs, "kind", in.Kind, OrgKinds...)
	errs.Required("name_zh", in.NameZh)
	errs.MaxLen("name_zh", in.NameZh, 100)
	errs.MaxLen("name_en", in.NameEn, 200)
	errs.MaxLen("description", in.Description, 2000)
	if in.USCC != "" || in.Kind.NeedsUSCC() {
		if in.USCC == "" {
			errs.Add("uscc", "", "uscc_required", "is required for a %s", in.Kind)
		} else if err := CheckUSCC(in.USCC); err != nil {
			errs.Add("uscc", in.USCC, "uscc", "is not a valid unified social credit code: %v", err)
		}
	}
	if in.Code != "" && !orgCodePattern.MatchString(in.Code) {
		errs.Add("code", in.Code, "org_code", "must be 2–20 upper-case letters or digits")
	}
	if in.RegionCode != "" && !regionPattern.MatchString(in.RegionCode) {
		errs.Add("region_code", in.RegionCode, "region_code", "must be a 6-digit GB/T 2260 administrative division code")
	}
	return errs.Err()
}

// CreateOrganization registers an organization. Only sysadmins and platform
// operators may; a wrong USCC or a duplicate code is refused and nothing is written.
func (s *Service) CreateOrganization(ctx context.Context, actor Principal, in OrgInput) (Organization, error) {
	if !CanManageOrganizations(actor) {
		return Organization{}, ErrForbidden
	}
	in.normalize()
	if in.Code == "" {
		in.Code = "ORG" + strings.ToUpper(strings.ReplaceAll(store.NewID(), "-", "")[20:32])
	}
	if err := in.validate(); err != nil {
		return Organization{}, err
	}
	org := Organization{ID: store.NewID()}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		org.CreatedAt, org.UpdatedAt = tx.Now(), tx.Now()
		org.fill(in)
		_, err := tx.ExecContext(ctx, `INSERT INTO organizations
			(id, kind, name_zh, name_en, uscc, code, region_code, description, website, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10)`,
			org.ID, org.Kind, org.NameZh, org.NameEn, nullable(org.USCC), org.Code, org.RegionCode,
			org.Description, org.Website, store.TS(tx.Now()))
		if err != nil {
			return orgConflict(err, in)
		}
		return tx.Emit(ctx, store.Event{Type: "organization.created", ActorUserID: actor.UserID,
			SubjectKind: "organization", SubjectID: org.ID}, map[string]string{"kind": string(org.Kind), "code": org.Code})
	})
	return org, err
}

// UpdateOrganization changes an organization's details.
func (s *Service) UpdateOrganization(ctx context.Context, actor Principal, id string, in OrgInput) (Organization, error) {
	if !CanEditOrganization(actor, id) {
		return Organization{}, ErrForbidden
	}
	keepCode := strings.TrimSpace(in.Code) == "" // normalize would derive a new one from the USCC
	in.normalize()
	var org Organization
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if org, err = getOrganization(ctx, tx, id); err != nil {
			return err
		}
		if keepCode {
			in.Code = org.Code
		}
		if err := in.validate(); err != nil {
			return err
		}
		org.fill(in)
		org.UpdatedAt = tx.Now()
		_, err = tx.ExecContext(ctx, `UPDATE organizations SET kind=$2, name_zh=$3, name_en=$4, uscc=$5, code=$6,
			region_code=$7, description=$8, website=$9, updated_at=$10 WHERE id=$1`,
			org.ID, org.Kind, org.NameZh, org.NameEn, nullable(org.USCC), org.Code, org.RegionCode,
			org.Description, org.Website, store.TS(tx.Now()))
		if err != nil {
			return orgConflict(err, in)
		}
		return tx.Emit(ctx, store.Event{Type: "organization.updated", ActorUserID: actor.UserID,
			SubjectKind: "organization", SubjectID: org.ID}, map[string]string{"kind": string(org.Kind), "code": org.Code})
	})
	return org, err
}

func (o *Organization) fill(in OrgInput) {
	o.Kind, o.NameZh, o.NameEn, o.USCC, o.Code = in.Kind, in.NameZh, in.NameEn, in.USCC, in.Code
	o.RegionCode, o.Description, o.Website = in.RegionCode, in.Description, in.Website
}

func orgConflict(err error, in OrgInput) error {
	if !store.IsUniqueViolation(err) {
		return err
	}
	if strings.Contains(err.Error(), "uscc") {
		return validate.Errors{{Field: "uscc", Value: in.USCC, Message: "is already registered to another organization", Code: "taken"}}
	}
	return validate.Errors{{Field: "code", Value: in.Code, Message: "is already used by another organization", Code: "taken"}}
}

const orgColumns = `id, kind, name_zh, name_en, COALESCE(uscc, ''), code, region_code, description, website,
	responsible_user_id, chief_data_officer_user_id, created_at, updated_at`

func scanOrg(row interface{ Scan(...any) error }) (Organization, error) {
	var o Organization
	err := row.Scan(&o.ID, &o.Kind, &o.NameZh, &o.NameEn, &o.USCC, &o.Code, &o.RegionCode, &o.Description,
		&o.Website, &o.ResponsibleUserID, &o.ChiefDataOfficerUserID, store.ScanTime(&o.CreatedAt), store.ScanTime(&o.UpdatedAt))
	return o, err
}

func getOrganization(ctx context.Context, q store.Querier, id string) (Organization, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("organization %q: %w", id, store.ErrNotFound)
	}
	return o, err
}

// Organization returns one organization; anyone may read organizations.
func (s *Service) Organization(ctx context.Context, id string) (Organization, error) {
	return getOrganization(ctx, s.db, id)
}

// OrgFilter selects organizations. After is a keyset cursor (the last id seen).
type OrgFilter struct {
	Kind  OrgKind
	Q     string
	After string
	Limit int
}

// Organizations lists organizations by id, at most f.Limit of them.
func (s *Service) Organizations(ctx context.Context, f OrgFilter) ([]Organization, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	like := "%" + f.Q + "%"
	rows, err := s.db.QueryContext(ctx, `SELECT `+orgColumns+` FROM organizations
		WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR id > $2)
		AND ($3 = '%%' OR name_zh LIKE $3 OR name_en LIKE $3 OR code LIKE $3)
		ORDER BY id LIMIT $4`, f.Kind, f.After, like, f.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Organization
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
