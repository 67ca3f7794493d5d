package identity

import (
	"context"
	"fmt"
	"strings"

	"dataport/internal/store"
	"dataport/internal/validate"
)

// Officers are the people a unit names for data security (article 48):
// the person responsible for data security (数据安全负责人), required, and
// a chief data officer (首席数据官), optional. Both must be members of the
// unit.
type Officers struct {
	ResponsibleUserID      string `json:"responsible_user_id" doc:"The member responsible for the unit's data security (数据安全负责人)"`
	ChiefDataOfficerUserID string `json:"chief_data_officer_user_id,omitempty" required:"false" doc:"The unit's chief data officer (首席数据官), a member; empty for none"`
}

// SetOfficers names the officers of organization orgID. Its admins,
// platform operators and sysadmins may; a person who is not a member of
// the unit (or is disabled) is a field error and nothing changes. The
// change is an "organization.officers_set" event carrying the user ids.
func (s *Service) SetOfficers(ctx context.Context, actor Principal, orgID string, in Officers) (Organization, error) {
	if actor.IsAnonymous() {
		return Organization{}, ErrUnauthenticated
	}
	if !CanEditOrganization(actor, orgID) {
		return Organization{}, ErrForbidden
	}
	in.ResponsibleUserID = strings.TrimSpace(in.ResponsibleUserID)
	in.ChiefDataOfficerUserID = strings.TrimSpace(in.ChiefDataOfficerUserID)
	var org Organization
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if org, err = getOrganization(ctx, tx, orgID); err != nil {
			return err
		}
		if err := checkOfficers(ctx, tx, orgID, in); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE organizations SET responsible_user_id = $1, chief_data_officer_user_id = $2, updated_at = $3
			WHERE id = $4`, in.ResponsibleUserID, in.ChiefDataOfficerUserID, store.TS(tx.Now()), orgID)
		if err != nil {
			return fmt.Errorf("identity: officers: %w", err)
		}
		org.ResponsibleUserID, org.ChiefDataOfficerUserID, org.UpdatedAt = in.ResponsibleUserID, in.ChiefDataOfficerUserID, tx.Now()
		return tx.Emit(ctx, store.Event{Type: "organization.officers_set", ActorUserID: actor.UserID, ActorOrgID: orgID,
			SubjectKind: "organization", SubjectID: orgID}, map[string]string{"responsible_user_id": in.ResponsibleUserID,
			"chief_data_officer_user_id": in.ChiefDataOfficerUserID})
	})
	return org, err
}

// checkOfficers refuses officers who are not enabled members of orgID.
func checkOfficers(ctx context.Context, tx *store.Tx, orgID string, in Officers) error {
	var errs validate.Errors
	errs.Required("responsible_user_id", in.ResponsibleUserID)
	for _, f := range []struct{ field, id string }{{"responsible_user_id", in.ResponsibleUserID},
		{"chief_data_officer_user_id", in.ChiefDataOfficerUserID}} {
		if f.id == "" {
			continue
		}
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.organization_id = $1 AND m.user_id = $2 AND NOT u.disabled`, orgID, f.id).Scan(&n)
		if err != nil {
			return fmt.Errorf("identity: officers: %w", err)
		}
		if n == 0 {
			errs.Add(f.field, f.id, "not_member", "is not an enabled member of the organization")
		}
	}
	return errs.Err()
}
