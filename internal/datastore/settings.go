package datastore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/ingest"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// OnError is what a load does with records that fail the checks.
type OnError string

// Policies.
const (
	Refuse     OnError = "refuse"     // the whole file is refused; nothing changes
	Quarantine OnError = "quarantine" // good records load; bad ones are kept aside, downloadable
)

// LoadSettings are a resource's loading settings.
type LoadSettings struct {
	OnError      OnError              `json:"on_error" enum:"refuse,quarantine"`
	KeepVersions int                  `json:"keep_versions" minimum:"1" maximum:"100" doc:"versions whose tables are kept (for rollback and diff)"`
	Rules        []ingest.QualityRule `json:"rules" required:"false" doc:"per-item quality rules in CEL"`
	Indexes      []string             `json:"indexes" required:"false" doc:"items to index for filtering (key items are always indexed)"`
}

// DefaultSettings refuse bad files and keep five versions.
func DefaultSettings() LoadSettings {
	return LoadSettings{OnError: Refuse, KeepVersions: 5, Rules: []ingest.QualityRule{}, Indexes: []string{}}
}

// Settings returns the loading settings of a resource the actor may see.
func (s *Service) Settings(ctx context.Context, actor identity.Principal, resourceID string) (LoadSettings, error) {
	if _, err := s.cat.Get(ctx, actor, resourceID); err != nil {
		return LoadSettings{}, err
	}
	return s.settings(ctx, s.db, resourceID)
}

func (s *Service) settings(ctx context.Context, q store.Querier, resourceID string) (LoadSettings, error) {
	st := DefaultSettings()
	var rules, indexes string
	err := q.QueryRowContext(ctx, `SELECT on_error, keep_versions, rules, indexes FROM datastore_settings WHERE resource_id = $1`,
		resourceID).Scan(&st.OnError, &st.KeepVersions, &rules, &indexes)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	} else if err != nil {
		return st, fmt.Errorf("datastore: settings: %w", err)
	}
	if err := json.Unmarshal([]byte(rules), &st.Rules); err != nil {
		return st, err
	}
	return st, json.Unmarshal([]byte(indexes), &st.Indexes)
}

// SetSettings replaces a resource's loading settings; its editors may.
// Rules are compiled against the resource's items and refused with field errors.
func (s *Service) SetSettings(ctx context.Context, actor identity.Principal, resourceID string, st LoadSettings) (LoadSettings, error) {
	r, err := s.cat.Get(ctx, actor, resourceID)
	if err != nil {
		return st, err
	}
	if !catalog.CanEdit(actor, r) {
		return st, identity.ErrForbidden
	}
	if st.Rules == nil {
		st.Rules = []ingest.QualityRule{}
	}
	if st.Indexes == nil {
		st.Indexes = []string{}
	}
	if err := validateSettings(r, st); err != nil {
		return st, err
	}
	rules, _ := json.Marshal(st.Rules)
	indexes, _ := json.Marshal(st.Indexes)
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO datastore_settings (resource_id, on_error, keep_versions, rules, indexes, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (resource_id) DO UPDATE SET on_error = $2, keep_versions = $3,
			rules = $4, indexes = $5, updated_at = $6`, resourceID, st.OnError, st.KeepVersions, string(rules), string(indexes), store.TS(tx.Now()))
		if err != nil {
			return fmt.Errorf("datastore: save settings: %w", err)
		}
		return tx.Emit(ctx, store.Event{Type: "datastore.settings_changed", ActorUserID: actor.UserID, ActorOrgID: r.OrganizationID,
			SubjectKind: "resource", SubjectID: resourceID}, map[string]any{"on_error": st.OnError, "keep_versions": st.KeepVersions,
			"rules": len(st.Rules), "indexes": st.Indexes})
	})
	return st, err
}

func validateSettings(r catalog.Resource, st LoadSettings) error {
	var errs validate.Errors
	validate.OneOf(&errs, "on_error", st.OnError, Refuse, Quarantine)
	if st.KeepVersions < 1 || st.KeepVersions > 100 {
		errs.Add("keep_versions", st.KeepVersions, validate.CodeRange, "must be between %d and %d", 1, 100)
	}
	names := make([]string, len(r.Items))
	for i, it := range r.Items {
		names[i] = it.Name
	}
	for i, ix := range st.Indexes {
		if !slices.Contains(names, ix) {
			errs.Add(fmt.Sprintf("indexes[%d]", i), ix, "not_item", "is not an item of the resource")
		}
	}
	if _, err := ingest.CompileRules(r.Items, st.Rules); err != nil {
		var rerrs validate.Errors
		if errors.As(err, &rerrs) {
			errs = append(errs, rerrs...)
		}
	}
	return errs.Err()
}
