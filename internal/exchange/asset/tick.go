package asset

import (
	"context"
	"errors"
	"fmt"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// Tick puts into effect the registrations whose objection period has
// ended at now with no objection to them still open, and returns how many
// took effect. A change or transfer taking effect supersedes the
// registration it acts on, a cancellation cancels it. Each is its own
// transaction, checked again under the product's lock, so a Tick repeated
// or run by several replicas at once applies each once. The application
// runs it periodically (a job of the one job runner).
func (s *Service) Tick(ctx context.Context, now time.Time) (int, error) {
	ids, err := store.Strings(ctx, s.db, `SELECT id FROM asset_registrations WHERE stage = 'publicity' AND publicity_ends_at <= $1
		ORDER BY publicity_ends_at, id`, store.TS(now))
	if err != nil {
		return 0, fmt.Errorf("asset: due registrations: %w", err)
	}
	n := 0
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		applied := false
		err := s.db.Transact(ctx, func(tx *store.Tx) error {
			var err error
			applied, err = s.takeEffect(ctx, tx, id, now)
			return err
		})
		if err != nil {
			errs = append(errs, err)
		} else if applied {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// takeEffect puts registration id into effect at now, if its objection
// period has ended and no objection to it is open.
func (s *Service) takeEffect(ctx context.Context, tx *store.Tx, id string, now time.Time) (bool, error) {
	r, err := s.Registrations.Record(ctx, tx, id)
	if err != nil {
		return false, err
	}
	if err := lockProduct(ctx, tx, r.ProductID); err != nil {
		return false, err
	}
	if r, err = s.Registrations.Record(ctx, tx, id); err != nil { // as it is under the lock
		return false, err
	}
	if r.Stage != StagePublicity || r.PublicityEndsAt == nil || r.PublicityEndsAt.After(now) {
		return false, nil
	}
	if open, err := s.openObjection(ctx, tx, id); err != nil || open != "" {
		return false, err
	}
	r.Stage, r.EffectiveAt = StageEffective, &now
	if err := updateRegistration(ctx, tx, r); err != nil {
		return false, err
	}
	if err := emit(ctx, tx, identity.System, r, "effective"); err != nil {
		return false, err
	}
	return true, s.endPrior(ctx, tx, r, now)
}

// endPrior ends the registration that r, now in effect, changes,
// transfers or cancels.
func (s *Service) endPrior(ctx context.Context, tx *store.Tx, r Registration, now time.Time) error {
	stage := map[Type]Stage{TypeChange: StageSuperseded, TypeTransfer: StageSuperseded, TypeCancellation: StageCancelled}[r.Type]
	if stage == "" {
		return nil
	}
	prior, err := s.Registrations.Record(ctx, tx, r.PriorID)
	if err != nil || prior.Stage != StageEffective {
		return err
	}
	prior.Stage, prior.EndedAt, prior.EndedBy = stage, &now, r.ID
	if err := updateRegistration(ctx, tx, prior); err != nil {
		return err
	}
	return emit(ctx, tx, identity.System, prior, string(stage))
}
