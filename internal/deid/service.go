package deid

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// StoredProfile is a resource's de-identification profile as stored: the
// open paths it applies to and the profile itself. Its secret key never
// leaves the service.
type StoredProfile struct {
	ID         string          `json:"id"`
	ResourceID string          `json:"resource_id"`
	Name       string          `json:"name"`
	Paths      []classify.Path `json:"paths"`
	Profile    Profile         `json:"profile"`
	Version    int             `json:"version"`
	CreatedBy  string          `json:"created_by"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	secret     []byte
}

// ProfileInput is what a person writes to create or change a profile.
type ProfileInput struct {
	Name    string          `json:"name"`
	Paths   []classify.Path `json:"paths" required:"false" doc:"Open paths the profile applies to; empty for all"`
	Profile Profile         `json:"profile"`
}

// Service keeps de-identification profiles per resource and applies them.
type Service struct {
	db      *store.DB
	catalog *catalog.Service
	// parsed keeps each profile as last read, by id (*parsedProfile): a
	// read that finds the same version and update time skips decoding it.
	parsed sync.Map
}

// NewService returns the profile service.
func NewService(db *store.DB, cat *catalog.Service) *Service { return &Service{db: db, catalog: cat} }

// CanManage: the resource's editors and platform operators manage its profiles.
func CanManage(p identity.Principal, r catalog.Resource) bool {
	return catalog.CanEdit(p, r) || catalog.CanReview(p)
}

// CanSee: members of the resource's institution and platform staff see its profiles.
func CanSee(p identity.Principal, r catalog.Resource) bool {
	return p.RoleIn(r.OrganizationID) != "" || p.IsPlatformStaff()
}

func (in *ProfileInput) check() error {
	in.Name = strings.TrimSpace(in.Name)
	var errs validate.Errors
	errs.Required("name", in.Name)
	errs.MaxLen("name", in.Name, 100)
	for i, p := range in.Paths {
		validate.OneOf(&errs, fmt.Sprintf("paths[%d]", i), p, append(slices.Clone(classify.OpenPaths), classify.PathSandbox)...)
	}
	if err := in.Profile.Validate(nil); err != nil {
		var verrs validate.Errors
		errors.As(err, &verrs)
		for _, fe := range verrs {
			errs = append(errs, validate.FieldError{Field: "profile." + fe.Field, Value: fe.Value, Message: fe.Message, Code: fe.Code, Args: fe.Args})
		}
	}
	for col, h := range in.Profile.Hierarchies {
		if h.File != "" {
			errs.Add("profile.hierarchies."+col, h.File, "hierarchy_file", "a stored profile cannot read files: give the hierarchy as csv text or a built-in type")
		}
	}
	return errs.Err()
}

// Create adds a profile to a resource, with a new random secret key.
func (s *Service) Create(ctx context.Context, actor identity.Principal, resourceID string, in ProfileInput) (StoredProfile, error) {
	if err := in.check(); err != nil {
		return StoredProfile{}, err
	}
	r, err := s.catalog.Get(ctx, actor, resourceID)
	if err != nil {
		return StoredProfile{}, err
	}
	if !CanManage(actor, r) {
		return StoredProfile{}, identity.ErrForbidden
	}
	sp := StoredProfile{ID: store.NewID(), ResourceID: resourceID, Name: in.Name, Paths: nonNilPaths(in.Paths), Profile: in.Profile,
		Version: 1, CreatedBy: actor.UserID, secret: make([]byte, 32)}
	rand.Read(sp.secret)
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		sp.CreatedAt, sp.UpdatedAt = tx.Now(), tx.Now()
		spec, _ := json.Marshal(sp.Profile)
		paths, _ := json.Marshal(sp.Paths)
		_, err := tx.ExecContext(ctx, `INSERT INTO deid_profiles (id, resource_id, name, paths, spec, secret, version, created_by, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, sp.ID, resourceID, sp.Name, string(paths), string(spec),
			hex.EncodeToString(sp.secret), sp.Version, sp.CreatedBy, store.TS(sp.CreatedAt), store.TS(sp.UpdatedAt))
		if store.IsUniqueViolation(err) {
			return validate.Errors{{Field: "name", Value: sp.Name, Message: "the resource already has a profile of this name", Code: "profile_name"}}
		} else if err != nil {
			return fmt.Errorf("deid: insert profile: %w", err)
		}
		return s.emit(ctx, tx, actor, r, "deid_profile.created", sp)
	})
	return sp, err
}

// Update replaces a profile's name, paths and content; its key stays, so
// pseudonyms stay stable.
func (s *Service) Update(ctx context.Context, actor identity.Principal, id string, in ProfileInput) (StoredProfile, error) {
	if err := in.check(); err != nil {
		return StoredProfile{}, err
	}
	return s.change(ctx, actor, id, "deid_profile.updated", func(tx *store.Tx, sp *StoredProfile) error {
		sp.Name, sp.Paths, sp.Profile = in.Name, nonNilPaths(in.Paths), in.Profile
		sp.Version++
		sp.UpdatedAt = tx.Now()
		spec, _ := json.Marshal(sp.Profile)
		paths, _ := json.Marshal(sp.Paths)
		_, err := tx.ExecContext(ctx, `UPDATE deid_profiles SET name=$2, paths=$3, spec=$4, version=$5, updated_at=$6 WHERE id=$1`,
			sp.ID, sp.Name, string(paths), string(spec), sp.Version, store.TS(sp.UpdatedAt))
		if store.IsUniqueViolation(err) {
			return validate.Errors{{Field: "name", Value: sp.Name, Message: "the resource already has a profile of this name", Code: "profile_name"}}
		}
		return err
	})
}

// Delete removes a profile.
func (s *Service) Delete(ctx context.Context, actor identity.Principal, id string) error {
	_, err := s.change(ctx, actor, id, "deid_profile.deleted", func(tx *store.Tx, sp *StoredProfile) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM deid_profiles WHERE id = $1`, sp.ID)
		return err
	})
	return err
}

func (s *Service) change(ctx context.Context, actor identity.Principal, id, event string, fn func(*store.Tx, *StoredProfile) error) (StoredProfile, error) {
	var sp StoredProfile
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if sp, err = getProfile(ctx, tx, id); err != nil {
			return err
		}
		r, err := s.catalog.Get(ctx, actor, sp.ResourceID)
		if err != nil {
			return err
		}
		if !CanManage(actor, r) {
			if CanSee(actor, r) {
				return identity.ErrForbidden
			}
			return fmt.Errorf("profile %q: %w", id, store.ErrNotFound)
		}
		if err := fn(tx, &sp); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, r, event, sp)
	})
	return sp, err
}

func (s *Service) emit(ctx context.Context, tx *store.Tx, actor identity.Principal, r catalog.Resource, typ string, sp StoredProfile) error {
	spec, _ := json.Marshal(sp.Profile)
	return tx.Emit(ctx, store.Event{Type: typ, ActorUserID: actor.UserID, ActorOrgID: r.OrganizationID, SubjectKind: "resource", SubjectID: r.ID},
		map[string]any{"profile_id": sp.ID, "version": sp.Version, "paths": sp.Paths, "k": sp.Profile.K, "l": sp.Profile.L,
			"t": sp.Profile.T, "spec_sha256": sha256Hex(spec)})
}

// Get returns one profile if actor may see its resource's profiles.
func (s *Service) Get(ctx context.Context, actor identity.Principal, id string) (StoredProfile, error) {
	sp, err := getProfile(ctx, s.db, id)
	if err != nil {
		return sp, err
	}
	r, err := s.catalog.Get(ctx, actor, sp.ResourceID)
	if err != nil || !CanSee(actor, r) {
		return StoredProfile{}, fmt.Errorf("profile %q: %w", id, store.ErrNotFound)
	}
	return sp, nil
}

// List returns a resource's profiles, by name.
func (s *Service) List(ctx context.Context, actor identity.Principal, resourceID string) ([]StoredProfile, error) {
	r, err := s.catalog.Get(ctx, actor, resourceID)
	if err != nil {
		return nil, err
	}
	if !CanSee(actor, r) {
		return nil, identity.ErrForbidden
	}
	return listProfiles(ctx, s.db, resourceID)
}

// Refs lists a resource's profiles for enforcement (no permission check:
// the access decision point asks on behalf of the platform).
func (s *Service) Refs(ctx context.Context, resourceID string) ([]classify.ProfileRef, error) {
	list, err := listProfiles(ctx, s.db, resourceID)
	if err != nil {
		return nil, err
	}
	refs := make([]classify.ProfileRef, len(list))
	for i, sp := range list {
		refs[i] = classify.ProfileRef{ID: sp.ID, Name: sp.Name, Paths: sp.Paths}
	}
	return refs, nil
}

// Apply de-identifies t with stored profile id, under the profile's own
// key: what the open paths call on the rows a Requirement names it for.
func (s *Service) Apply(ctx context.Context, id string, t Table) (Table, Report, error) {
	sp, err := getProfile(ctx, s.db, id)
	if err != nil {
		return Table{}, Report{}, err
	}
	return AnonymizeContext(ctx, t, sp.Profile, Options{Key: sp.secret})
}

const profileColumns = `id, resource_id, name, paths, spec, secret, version, created_by, created_at, updated_at`

func scanProfile(row interface{ Scan(...any) error }) (StoredProfile, error) {
	var sp StoredProfile
	var paths, spec []byte
	var secret string
	err := row.Scan(&sp.ID, &sp.ResourceID, &sp.Name, &paths, &spec, &secret, &sp.Version, &sp.CreatedBy,
		store.ScanTime(&sp.CreatedAt), store.ScanTime(&sp.UpdatedAt))
	if err != nil {
		return sp, err
	}
	if err := json.Unmarshal(paths, &sp.Paths); err != nil {
		return sp, err
	}
	if err := json.Unmarshal(spec, &sp.Profile); err != nil {
		return sp, err
	}
	sp.secret, err = hex.DecodeString(secret)
	return sp, err
}

func getProfile(ctx context.Context, q store.Querier, id string) (StoredProfile, error) {
	sp, err := scanProfile(q.QueryRowContext(ctx, `SELECT `+profileColumns+` FROM deid_profiles WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return sp, fmt.Errorf("profile %q: %w", id, store.ErrNotFound)
	}
	return sp, err
}

func listProfiles(ctx context.Context, q store.Querier, resourceID string) ([]StoredProfile, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+profileColumns+` FROM deid_profiles WHERE resource_id = $1 ORDER BY name, id`, resourceID)
	if err != nil {
		return nil, fmt.Errorf("deid: list profiles: %w", err)
	}
	defer rows.Close()
	out := []StoredProfile{}
	for rows.Next() {
		sp, err := scanProfile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

func nonNilPaths(p []classify.Path) []classify.Path {
	if p == nil {
		return []classify.Path{}
	}
	return p
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
