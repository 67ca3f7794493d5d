package asset

import (
	"context"
	"strings"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// ObjectionInput is an objection to a registration in its objection
// period, or an application to revoke one in effect.
type ObjectionInput struct {
	Grounds string `json:"grounds" maxLength:"4000" doc:"Why the registration should not stand: who holds the rights, what is untrue"`
}

// Object files actor's objection to registration ref (its id or number)
// while it is open to objections or in effect. Anyone signed in may object
// except the holder's own members; the exchange's staff decide it, and the
// registration does not take effect while an objection to it is open. A
// sustained objection revokes the registration.
func (s *Service) Object(ctx context.Context, actor identity.Principal, ref string, in ObjectionInput) (Registration, error) {
	if actor.IsAnonymous() {
		return Registration{}, identity.ErrUnauthenticated
	}
	in.Grounds = strings.TrimSpace(in.Grounds)
	var errs validate.Errors
	errs.Required("grounds", in.Grounds)
	errs.MaxLen("grounds", in.Grounds, 4000)
	if err := errs.Err(); err != nil {
		return Registration{}, err
	}
	var id string
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		target, err := s.byRef(ctx, tx, ref)
		if err != nil || !target.Stage.Numbered() {
			return notFound(ref)
		}
		if err := lockProduct(ctx, tx, target.ProductID); err != nil {
			return err
		}
		if target.Stage != StagePublicity && target.Stage != StageEffective {
			return validate.Refuse(exchange.ErrState, "not_objectable", "registration %s is %s: only one in its objection period or in effect can be objected to",
				target.Number, target.Stage)
		}
		if actor.RoleIn(target.HolderOrgID) != "" {
			return validate.Refuse(identity.ErrForbidden, "own_registration", "the holder does not object to its own registration: cancel or change it instead")
		}
		r := Registration{ID: store.NewID(), Type: TypeObjection, ProductID: target.ProductID, ProductHash: target.ProductHash,
			HolderID: target.HolderID, HolderOrgID: target.HolderOrgID, HolderName: target.HolderName, HolderUSCC: target.HolderUSCC,
			Rights: target.Rights, PriorID: target.ID, Statement: in.Grounds, Stage: StageReview}
		id = r.ID
		if err := insertRegistration(ctx, tx, r); err != nil {
			return err
		}
		var org string
		if orgs := actor.OrgIDs(); len(orgs) > 0 {
			org = orgs[0]
		}
		_, err = s.Registrations.File(ctx, tx, actor, review.Filing{ID: r.ID, FilerOrgID: org, Plan: []string{string(StatusReview)},
			Subject: review.Subject{Kind: Kind, ID: target.ID, OrgID: target.HolderOrgID}})
		return err
	})
	if err != nil {
		return Registration{}, err
	}
	return s.Registrations.Get(ctx, actor, id)
}

// sustain carries out objection o, approved: the registration it objects
// to is revoked, if it still stands.
func (s *Service) sustain(ctx context.Context, tx *store.Tx, actor identity.Principal, o Registration) error {
	target, err := s.Registrations.Record(ctx, tx, o.PriorID)
	if err != nil {
		return err
	}
	if target.Stage != StagePublicity && target.Stage != StageEffective {
		return validate.Refuse(exchange.ErrState, "not_objectable", "registration %s is %s already: reject the objection", target.Number, target.Stage)
	}
	now := tx.Now()
	target.Stage, target.EndedAt, target.EndedBy = StageRevoked, &now, o.ID
	o.Stage = StageSustained
	if err := updateRegistration(ctx, tx, target); err != nil {
		return err
	}
	if err := emit(ctx, tx, actor, target, "revoked"); err != nil {
		return err
	}
	return updateRegistration(ctx, tx, o)
}
