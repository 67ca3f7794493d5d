package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// CreateGrant writes a grant inside tx, with its "grant.created" event, for
// a workflow that decided to grant (a share request, an open application,
// a zone authorisation, a contract). The grant takes effect once tx
// commits: this decision point loads it into its cache before the
// caller's Transact returns (other replicas within one WatchInterval). A
// rolled-back tx leaves no trace of it.
func (s *Service) CreateGrant(ctx context.Context, tx *store.Tx, actor identity.Principal, ng NewGrant) (Grant, error) {
	resources := make([]catalog.Resource, 0, len(ng.ResourceIDs))
	for i, id := range ng.ResourceIDs {
		r, err := s.cat.Get(ctx, identity.System, id)
		if err != nil {
			return Grant{}, validate.Errors{{Field: fmt.Sprintf("resource_ids[%d]", i), Value: id, Message: "no such resource", Code: "no_resource"}}
		}
		resources = append(resources, r)
	}
	if err := ng.validate(resources); err != nil {
		return Grant{}, err
	}
	from := ng.ValidFrom
	if from.IsZero() {
		from = tx.Now()
	}
	g := Grant{ID: store.NewID(), GranteeKind: ng.GranteeKind, GranteeID: ng.GranteeID, ProviderOrgID: resources[0].OrganizationID,
		ResourceIDs: slices.Clone(ng.ResourceIDs), Purpose: strings.TrimSpace(ng.Purpose), Policy: ng.Policy, ValidFrom: from,
		OriginKind: ng.OriginKind, OriginID: ng.OriginID, CreatedBy: actor.UserID, CreatedAt: tx.Now()}
	if !ng.ValidUntil.IsZero() {
		until := ng.ValidUntil.UTC().Truncate(time.Microsecond)
		g.ValidUntil = &until
	}
	if err := insertGrant(ctx, tx, g); err != nil {
		return Grant{}, err
	}
	err := tx.Emit(ctx, store.Event{Type: "grant.created", ActorUserID: actor.UserID, SubjectKind: "grant", SubjectID: g.ID},
		map[string]any{"grantee_kind": g.GranteeKind, "grantee_id": g.GranteeID, "resource_ids": g.ResourceIDs,
			"origin_kind": g.OriginKind, "origin_id": g.OriginID, "policy_sha256": policyHash(g.Policy),
			"valid_from": g.ValidFrom, "valid_until": g.ValidUntil})
	if err == nil {
		tx.AfterCommit(func() { s.refreshCommitted(ctx, g.ID) })
	}
	return g, err
}

// refreshCommitted loads committed grants into the cache. A failure is
// logged: the event watcher (Start) loads them within one WatchInterval.
func (s *Service) refreshCommitted(ctx context.Context, grantIDs ...string) {
	if err := s.Refresh(context.WithoutCancel(ctx), grantIDs...); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "access: load committed grants into the cache", "grants", grantIDs, "err", err)
	}
}

func policyHash(p Policy) string {
	b := fmt.Appendf(nil, "%+v", p)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Refresh loads grants changed by a committed transaction into the cache,
// so that the next decision sees them.
func (s *Service) Refresh(ctx context.Context, grantIDs ...string) error {
	if err := s.ensureLoaded(ctx); err != nil {
		return err
	}
	for _, id := range grantIDs {
		if err := s.reloadGrant(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// Grant returns one grant with its live usage, if actor may see it.
func (s *Service) Grant(ctx context.Context, actor identity.Principal, id string) (Grant, error) {
	if err := s.ensureLoaded(ctx); err != nil {
		return Grant{}, err
	}
	g, err := getGrant(ctx, s.db, id)
	if err != nil {
		return g, err
	}
	if !s.CanViewGrant(actor, g) {
		return Grant{}, fmt.Errorf("grant %q: %w", id, store.ErrNotFound)
	}
	return s.live(g), nil
}

// live overlays the usage counted in memory (ahead of the log's last batch).
func (s *Service) live(g Grant) Grant {
	if e := s.cache.grant(g.ID); e != nil {
		g.Usage.Calls = max(g.Usage.Calls, e.calls.Load())
		g.Usage.Rows = max(g.Usage.Rows, e.rows.Load())
		g.Usage.Denied = max(g.Usage.Denied, e.denied.Load())
	}
	return g
}

// Grants lists the grants actor may see that match f, newest first.
func (s *Service) Grants(ctx context.Context, actor identity.Principal, f GrantFilter) ([]Grant, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	if err := s.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	cond, args := f.where(actor.UserID, actor.OrgIDs(), actor.IsPlatformStaff())
	gs, err := queryGrants(ctx, s.db, cond, fmt.Sprintf(`ORDER BY g.id DESC LIMIT %d`, f.Limit), args...)
	if err != nil {
		return nil, err
	}
	for i := range gs {
		gs[i] = s.live(gs[i])
	}
	return gs, nil
}

// GrantOrigin returns the grants a workflow created (origin kind and id),
// without a visibility check: the workflow has already checked its caller.
func (s *Service) GrantsByOrigin(ctx context.Context, kind OriginKind, id string) ([]Grant, error) {
	gs, err := queryGrants(ctx, s.db, `g.origin_kind = $1 AND g.origin_id = $2`, `ORDER BY g.id`, kind, id)
	for i := range gs {
		gs[i] = s.live(gs[i])
	}
	return gs, err
}

// ErrRevoked means the grant is already revoked.
var ErrRevoked = fmt.Errorf("grant is already revoked: %w", store.ErrConflict)

// Revoke ends a grant now, with a reason. The next decision denies it, in
// this process at once and in others within one WatchInterval.
func (s *Service) Revoke(ctx context.Context, actor identity.Principal, id, reason string) (Grant, error) {
	reason = strings.TrimSpace(reason)
	var errs validate.Errors
	errs.Required("reason", reason)
	errs.MaxLen("reason", reason, 1000)
	if err := errs.Err(); err != nil {
		return Grant{}, err
	}
	if err := s.ensureLoaded(ctx); err != nil {
		return Grant{}, err
	}
	var g Grant
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if g, err = lockGrant(ctx, tx, id); err != nil {
			return err
		}
		if !s.CanViewGrant(actor, g) {
			return fmt.Errorf("grant %q: %w", id, store.ErrNotFound)
		}
		if !s.CanRevoke(actor, g) {
			return identity.ErrForbidden
		}
		if g.RevokedAt != nil {
			return ErrRevoked
		}
		return s.revoke(ctx, tx, actor, &g, reason)
	})
	if err != nil {
		return Grant{}, err
	}
	return g, s.reloadGrant(ctx, id)
}

// RevokeIn revokes grant id inside tx, with its "grant.revoked" event, for
// a workflow ending what it granted (a zone authorisation revoked): the
// workflow has checked its caller. The next decision denies the grant
// once tx commits (this decision point reloads it before the caller's
// Transact returns). A grant already revoked is left as it was.
func (s *Service) RevokeIn(ctx context.Context, tx *store.Tx, actor identity.Principal, id, reason string) (Grant, error) {
	g, err := lockGrant(ctx, tx, id)
	if err != nil || g.RevokedAt != nil {
		return g, err
	}
	if err := s.revoke(ctx, tx, actor, &g, strings.TrimSpace(reason)); err != nil {
		return Grant{}, err
	}
	tx.AfterCommit(func() { s.refreshCommitted(ctx, id) })
	return g, nil
}

// revoke marks g revoked now in tx, with its event and notices.
func (s *Service) revoke(ctx context.Context, tx *store.Tx, actor identity.Principal, g *Grant, reason string) error {
	now := tx.Now()
	g.RevokedAt, g.RevokedBy, g.RevokeReason = &now, actor.UserID, reason
	if _, err := tx.ExecContext(ctx, `UPDATE grants SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE id = $4`,
		store.TS(now), actor.UserID, reason, g.ID); err != nil {
		return err
	}
	if err := tx.Emit(ctx, store.Event{Type: "grant.revoked", ActorUserID: actor.UserID, SubjectKind: "grant", SubjectID: g.ID},
		map[string]any{"reason_sha256": sha256Hex(reason)}); err != nil {
		return err
	}
	return notify.Send(ctx, tx, "grant.revoked", "grant", g.ID, "/grants/"+g.ID, s.grantParties(*g))
}

// grantParties are the people told about a change to g: the grantee side
// and the provider's admins.
func (s *Service) grantParties(g Grant) notify.To {
	to := notify.To{Orgs: []string{g.ProviderOrgID}, OrgRole: identity.RoleAdmin}
	switch g.GranteeKind {
	case GranteeUser:
		to.Users = []string{g.GranteeID}
	case GranteeOrganization:
		to.Orgs = append(to.Orgs, g.GranteeID)
		to.OrgRole = identity.RoleMember
	}
	return to
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Key is a per-grant API key as listed; its secret is shown only at creation.
type Key struct {
	ID        string     `json:"id"`
	GrantID   string     `json:"grant_id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	ExpiresAt *time.Time `json:"expires_at" doc:"When the key stops working by itself (null: only when revoked)"`
}

// CreateKey makes an API key for a machine client of the grantee: requests
// that send it in KeyHeader are decided under this grant alone. The secret
// is returned once and stored only as a hash.
func (s *Service) CreateKey(ctx context.Context, actor identity.Principal, grantID, name string) (string, Key, error) {
	name = strings.TrimSpace(name)
	if err := checkKeyName(name); err != nil {
		return "", Key{}, err
	}
	g, err := s.Grant(ctx, actor, grantID)
	if err != nil {
		return "", Key{}, err
	}
	if !s.CanManageKeys(actor, g) {
		return "", Key{}, identity.ErrForbidden
	}
	var secret string
	var k Key
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		secret, k, err = s.IssueKey(ctx, tx, actor.UserID, grantID, name, time.Time{})
		return err
	})
	if err != nil {
		return "", Key{}, err
	}
	return secret, k, nil
}

func checkKeyName(name string) error {
	var errs validate.Errors
	errs.Required("name", name)
	errs.MaxLen("name", name, 100)
	return errs.Err()
}

// IssueKey makes an API key for grant grantID inside tx, with its
// "grant.key_created" event, for a workflow that has already checked its
// caller (an exchange transfer handing out a data address). createdBy is
// the user the key is made for: disabling that user revokes it. A non-zero
// expires ends the key by itself at that moment. The key works once tx
// commits (this decision point loads it before Transact returns); the
// secret is returned once and stored only as a hash.
func (s *Service) IssueKey(ctx context.Context, tx *store.Tx, createdBy, grantID, name string, expires time.Time) (string, Key, error) {
	name = strings.TrimSpace(name)
	if err := checkKeyName(name); err != nil {
		return "", Key{}, err
	}
	buf := make([]byte, 20)
	rand.Read(buf)
	secret := KeyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(buf))
	k := Key{ID: store.NewID(), GrantID: grantID, Name: name, Prefix: secret[:10], CreatedAt: tx.Now()}
	if !expires.IsZero() {
		until := expires.UTC().Truncate(time.Microsecond)
		k.ExpiresAt = &until
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO grant_keys (id, grant_id, name, prefix, key_hash, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, k.ID, grantID, name, k.Prefix, sha256Hex(secret), createdBy, store.TS(k.CreatedAt),
		store.NullTSPtr(k.ExpiresAt)); err != nil {
		return "", Key{}, fmt.Errorf("access: insert key: %w", err)
	}
	if err := tx.Emit(ctx, store.Event{Type: "grant.key_created", ActorUserID: createdBy, SubjectKind: "grant", SubjectID: grantID},
		map[string]any{"key_id": k.ID, "expires_at": k.ExpiresAt}); err != nil {
		return "", Key{}, err
	}
	tx.AfterCommit(func() { s.refreshCommitted(ctx, grantID) })
	return secret, k, nil
}

// RevokeKeyIn stops grant grantID's key keyID inside tx, with its
// "grant.key_revoked" event, for a workflow that has already checked its
// caller; from the next request once tx commits. A key already revoked is
// left as it is (no event): false.
func (s *Service) RevokeKeyIn(ctx context.Context, tx *store.Tx, actorUserID, grantID, keyID string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE grant_keys SET revoked_at = $1 WHERE id = $2 AND grant_id = $3 AND revoked_at IS NULL`,
		store.TS(tx.Now()), keyID, grantID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := tx.Emit(ctx, store.Event{Type: "grant.key_revoked", ActorUserID: actorUserID, SubjectKind: "grant", SubjectID: grantID},
		map[string]string{"key_id": keyID}); err != nil {
		return false, err
	}
	tx.AfterCommit(func() { s.refreshCommitted(ctx, grantID) })
	return true, nil
}

// Keys lists a grant's API keys.
func (s *Service) Keys(ctx context.Context, actor identity.Principal, grantID string) ([]Key, error) {
	if _, err := s.Grant(ctx, actor, grantID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, grant_id, name, prefix, created_at, revoked_at, expires_at FROM grant_keys
		WHERE grant_id = $1 ORDER BY id DESC`, grantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Key{}
	for rows.Next() {
		var k Key
		var revoked, expires time.Time
		if err := rows.Scan(&k.ID, &k.GrantID, &k.Name, &k.Prefix, store.ScanTime(&k.CreatedAt), store.ScanTime(&revoked),
			store.ScanTime(&expires)); err != nil {
			return nil, err
		}
		k.RevokedAt, k.ExpiresAt = timePtr(revoked), timePtr(expires)
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey stops a grant's API key working from the next request.
func (s *Service) RevokeKey(ctx context.Context, actor identity.Principal, grantID, keyID string) error {
	g, err := s.Grant(ctx, actor, grantID)
	if err != nil {
		return err
	}
	if !s.CanManageKeys(actor, g) && !s.CanRevoke(actor, g) {
		return identity.ErrForbidden
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		revoked, err := s.RevokeKeyIn(ctx, tx, actor.UserID, grantID, keyID)
		if err == nil && !revoked {
			err = fmt.Errorf("active key %q: %w", keyID, store.ErrNotFound)
		}
		return err
	})
	return err
}

// LoggedDecision is one row of the decision log as its viewers see it.
type LoggedDecision struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	ResourceID string    `json:"resource_id"`
	Action     Action    `json:"action"`
	Path       string    `json:"path"`
	Allow      bool      `json:"allow"`
	Reason     string    `json:"reason"`
	KeyID      string    `json:"key_id,omitempty"`
}

// GrantDecisions lists the latest decisions made under a grant (both sides
// of the grant see them), newest first.
func (s *Service) GrantDecisions(ctx context.Context, actor identity.Principal, grantID string, limit int) ([]LoggedDecision, error) {
	if _, err := s.Grant(ctx, actor, grantID); err != nil {
		return nil, err
	}
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, resource_id, action, path, allow, reason, key_id FROM access_decisions
		WHERE grant_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, grantID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LoggedDecision{}
	for rows.Next() {
		var d LoggedDecision
		if err := rows.Scan(&d.ID, store.ScanTime(&d.At), &d.ResourceID, &d.Action, &d.Path, &d.Allow, &d.Reason, &d.KeyID); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Group is a named set of organizations that can hold grants together.
type Group struct {
	ID              string   `json:"id"`
	NameZh          string   `json:"name_zh"`
	OrganizationIDs []string `json:"organization_ids"`
}

// CreateGroup defines a group of organizations (platform operators only).
func (s *Service) CreateGroup(ctx context.Context, actor identity.Principal, name string, orgIDs []string) (Group, error) {
	if !CanManageGroups(actor) {
		return Group{}, identity.ErrForbidden
	}
	var errs validate.Errors
	errs.Required("name_zh", name)
	errs.MaxLen("name_zh", name, 100)
	if len(orgIDs) == 0 {
		errs.Add("organization_ids", nil, "at_least_one", "at least one organization is required")
	}
	if err := errs.Err(); err != nil {
		return Group{}, err
	}
	if err := s.ensureLoaded(ctx); err != nil {
		return Group{}, err
	}
	g := Group{ID: store.NewID(), NameZh: strings.TrimSpace(name), OrganizationIDs: slices.Compact(slices.Sorted(slices.Values(orgIDs)))}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO access_groups (id, name_zh, created_by, created_at) VALUES ($1, $2, $3, $4)`,
			g.ID, g.NameZh, actor.UserID, store.TS(tx.Now())); err != nil {
			return err
		}
		for i, org := range g.OrganizationIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO access_group_members (group_id, organization_id) VALUES ($1, $2)`, g.ID, org); err != nil {
				return validate.Errors{{Field: fmt.Sprintf("organization_ids[%d]", i), Value: org, Message: "no such organization", Code: "no_organization"}}
			}
		}
		return tx.Emit(ctx, store.Event{Type: "access_group.created", ActorUserID: actor.UserID, SubjectKind: "access_group", SubjectID: g.ID},
			map[string]any{"organization_ids": g.OrganizationIDs})
	})
	if err != nil {
		return Group{}, err
	}
	return g, s.reloadGroups(ctx)
}

// GrantDirectly grants without a workflow (origin manual): platform staff
// use it for authorisations decided outside the platform.
func (s *Service) GrantDirectly(ctx context.Context, actor identity.Principal, ng NewGrant) (Grant, error) {
	if !CanGrantDirectly(actor) {
		return Grant{}, identity.ErrForbidden
	}
	ng.OriginKind = OriginManual
	var g Grant
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		g, err = s.CreateGrant(ctx, tx, actor, ng)
		return err
	})
	if err != nil {
		return Grant{}, err
	}
	return g, nil
}
