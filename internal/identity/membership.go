package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"dataport/internal/store"
	"dataport/internal/validate"
)

// Memberships change in one place each: SetMembership adds one or changes
// its role, RemoveMembership ends it. Roles are read afresh from the store
// on every request (Principal), so a change holds from the user's next
// request, through sessions and API tokens alike.

// SetMembership gives user userID role m.Role in m.OrganizationID, adding
// the membership or changing its role. Sysadmins, platform operators and
// admins of that organization may. An organization's own admin may add only
// accounts of its side of the platform (see checkEnrolment); sysadmins and
// platform operators may add any. The organization's last admin cannot be
// demoted (ErrLastAdmin).
func (s *Service) SetMembership(ctx context.Context, actor Principal, userID string, m Membership) error {
	if !CanManageMembers(actor, m.OrganizationID) {
		return ErrForbidden
	}
	var errs validate.Errors
	validate.OneOf(&errs, "role", m.Role, Roles...)
	if err := errs.Err(); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		u, err := s.userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		org, err := getOrganization(ctx, tx, m.OrganizationID)
		if err != nil {
			return fieldOrErr(err, "organization_id", m.OrganizationID)
		}
		if err := lockOrganization(ctx, tx, org.ID); err != nil {
			return err
		}
		prev := u.roleIn(org.ID)
		switch {
		case prev == m.Role:
			return nil // nothing changes, nothing to record
		case prev == "" && !CanEnrolAnyAccount(actor):
			if err := checkEnrolment(ctx, tx, u, org); err != nil {
				return err
			}
		case prev == RoleAdmin:
			if err := keepAnAdmin(ctx, tx, org.ID, userID); err != nil {
				return err
			}
		}
		if err := setMembership(ctx, tx, userID, m); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "membership.set", ActorUserID: actor.UserID, ActorOrgID: m.OrganizationID,
			SubjectKind: "user", SubjectID: userID},
			map[string]string{"organization_id": m.OrganizationID, "role": string(m.Role), "previous_role": string(prev)})
	})
}

// RemoveMembership ends user userID's membership of organization orgID; from
// the user's next request they no longer act for it or see its drafts and
// unopened data. Whoever may set its memberships may remove them; the last
// admin cannot be removed (ErrLastAdmin).
func (s *Service) RemoveMembership(ctx context.Context, actor Principal, orgID, userID string) error {
	if !CanManageMembers(actor, orgID) {
		return ErrForbidden
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := lockOrganization(ctx, tx, orgID); err != nil {
			return err
		}
		var role Role
		err := tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE user_id = $1 AND organization_id = $2`, userID, orgID).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("membership of user %q in %q: %w", userID, orgID, store.ErrNotFound)
		} else if err != nil {
			return err
		}
		if role == RoleAdmin {
			if err := keepAnAdmin(ctx, tx, orgID, userID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2`, userID, orgID); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "membership.removed", ActorUserID: actor.UserID, ActorOrgID: orgID,
			SubjectKind: "user", SubjectID: userID}, map[string]string{"organization_id": orgID, "role": string(role)})
	})
}

func setMembership(ctx context.Context, tx *store.Tx, userID string, m Membership) error {
	if _, err := getOrganization(ctx, tx, m.OrganizationID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2`, userID, m.OrganizationID)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO memberships (user_id, organization_id, role, created_at) VALUES ($1,$2,$3,$4)`,
		userID, m.OrganizationID, m.Role, store.TS(tx.Now()))
	return err
}

func fieldOrErr(err error, field, value string) error {
	if errors.Is(err, store.ErrNotFound) {
		return validate.Errors{{Field: field, Value: value, Message: "no such organization", Code: "no_organization"}}
	}
	return err
}

// lockOrganization serialises membership changes of one organization, so
// that two admins demoting each other at once cannot leave it without one:
// the no-op update takes the row's lock on PostgreSQL (SQLite runs one
// write transaction at a time anyway).
func lockOrganization(ctx context.Context, tx *store.Tx, orgID string) error {
	res, err := tx.ExecContext(ctx, `UPDATE organizations SET updated_at = updated_at WHERE id = $1`, orgID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("organization %q: %w", orgID, store.ErrNotFound)
	}
	return nil
}

// keepAnAdmin refuses a change that would leave orgID without an admin once
// userID is no longer one.
func keepAnAdmin(ctx context.Context, tx *store.Tx, orgID, userID string) error {
	var others int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE organization_id = $1 AND role = $2 AND user_id <> $3`,
		orgID, RoleAdmin, userID).Scan(&others)
	if err != nil {
		return err
	}
	if others == 0 {
		return ErrLastAdmin
	}
	return nil
}

// side is which side of the platform an organization is on: public bodies
// (institutions, the platform operator, regulators, the exchange) read
// unopened data and decide others' requests; company and person accounts
// apply for data.
type side int

const (
	sidePublicBody side = iota
	sidePublicUser
)

func sideOf(k OrgKind) side {
	if k == KindEnterprise || k == KindIndividual {
		return sidePublicUser
	}
	return sidePublicBody
}

// checkEnrolment is the rule for an organization's own admin adding a new
// member: the account must not hold a platform role, nor belong to an
// organization on the other side of the platform. A company or person
// account joins a public body (and a public body's staff a company or
// person account) only when a platform operator adds it: that is the
// operator's approval, and the refusal says so.
func checkEnrolment(ctx context.Context, tx *store.Tx, u User, org Organization) error {
	refuse := func(code, msg string) error {
		return validate.Errors{{Field: "user_id", Value: u.ID, Message: msg, Code: code}}
	}
	if len(u.PlatformRoles) > 0 {
		return refuse("platform_role_member", "holds a platform role: only a platform operator may add it to an organization")
	}
	rows, err := tx.QueryContext(ctx, `SELECT o.kind FROM memberships m JOIN organizations o ON o.id = m.organization_id
		WHERE m.user_id = $1`, u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k OrgKind
		if err := rows.Scan(&k); err != nil {
			return err
		}
		switch {
		case sideOf(k) == sideOf(org.Kind):
		case sideOf(org.Kind) == sidePublicBody:
			return refuse("person_in_institution", "is a company or person account: only a platform operator may add it to a public body")
		default:
			return refuse("institution_in_person", "acts for a public body: only a platform operator may add it to a company or person account")
		}
	}
	return rows.Err()
}

// roleIn returns u's role in orgID, "" when u is not a member.
func (u User) roleIn(orgID string) Role {
	for _, m := range u.Memberships {
		if m.OrganizationID == orgID {
			return m.Role
		}
	}
	return ""
}
