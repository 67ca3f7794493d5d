package exchange

import (
	"context"
	"encoding/json"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Who declared a relation.
const (
	DeclaredByParticipant = "participant" // the participant itself
	DeclaredByStaff       = "staff"       // the exchange's staff
	DeclaredByDetection   = "detected"    // found: the same legal representative declared twice
)

// RelationKinds lists the relations in display order.
var RelationKinds = []RelationKind{RelationLegalRep, RelationShareholder, RelationController}

// RelationInput declares that a participant is a related party of another.
type RelationInput struct {
	OtherID string       `json:"other_participant_id"`
	Kind    RelationKind `json:"kind" enum:"legal_representative,shareholder,controller" doc:"shareholder reads: this participant holds shares in the other"`
	Note    string       `json:"note,omitempty" required:"false" maxLength:"500"`
}

// symmetric reports whether a relation reads the same both ways (stored
// with the smaller id first, so that a pair is recorded once).
func (k RelationKind) symmetric() bool { return k != RelationShareholder }

// pair orders a relation's two sides as it is stored.
func pair(a, b string, k RelationKind) (string, string) {
	if k.symmetric() && b < a {
		return b, a
	}
	return a, b
}

// CanDeclareRelation: the exchange's staff, and the participant's admins
// for their own participant.
func CanDeclareRelation(actor identity.Principal, p Participant) bool {
	return CanStaff(actor) || actor.AtLeast(p.OrgID, identity.RoleAdmin)
}

// DeclareRelation records that participant id is a related party of
// in.OtherID, declared by its admins or by the exchange's staff. Declaring
// a pair already on record changes nothing.
func (s *Service) DeclareRelation(ctx context.Context, actor identity.Principal, id string, in RelationInput) (Participant, error) {
	in.OtherID, in.Note = strings.TrimSpace(in.OtherID), strings.TrimSpace(in.Note)
	var errs validate.Errors
	errs.Required("other_participant_id", in.OtherID)
	validate.OneOf(&errs, "kind", in.Kind, RelationKinds...)
	errs.MaxLen("note", in.Note, 500)
	if in.OtherID == id && in.OtherID != "" {
		errs.Add("other_participant_id", in.OtherID, "self", "is this participant itself")
	}
	if err := errs.Err(); err != nil {
		return Participant{}, err
	}
	p, err := s.ParticipantByID(ctx, s.db, id)
	if err != nil || !CanViewParticipant(actor, p) {
		return Participant{}, notFound("participant", id)
	}
	if !CanDeclareRelation(actor, p) {
		return Participant{}, identity.ErrForbidden
	}
	by := DeclaredByParticipant
	if CanStaff(actor) && actor.RoleIn(p.OrgID) == "" {
		by = DeclaredByStaff
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := s.ParticipantByID(ctx, tx, in.OtherID); isNotFound(err) {
			return validate.Errors{{Field: "other_participant_id", Value: in.OtherID, Message: "no such participant", Code: validate.CodeUnknown}}
		} else if err != nil {
			return err
		}
		return s.relate(ctx, tx, actor, id, in.OtherID, in.Kind, in.Note, by)
	})
	if err != nil {
		return Participant{}, err
	}
	return s.ParticipantByID(ctx, s.db, id)
}

// relate records a relation unless it is on record, with the event
// "exchange.participant.related" on the first side.
func (s *Service) relate(ctx context.Context, tx *store.Tx, actor identity.Principal, a, b string, k RelationKind, note, by string) error {
	a, b = pair(a, b, k)
	res, err := tx.ExecContext(ctx, `INSERT INTO exchange_relations (participant_id, other_id, kind, note, declared_by, created_by, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING`, a, b, string(k), note, by, actor.UserID, store.TS(tx.Now()))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	tx.AfterCommit(s.relationsChanged)
	return tx.Emit(ctx, store.Event{Type: "exchange.participant.related", ActorUserID: actor.UserID, SubjectKind: "exchange_participant", SubjectID: a},
		map[string]any{"other_participant_id": b, "kind": k, "declared_by": by, "note_sha256": hashOrEmpty(note)})
}

// detectLegalRep records p as a related party of every other participant
// (not rejected) that declared the same legal representative.
func (s *Service) detectLegalRep(ctx context.Context, tx *store.Tx, actor identity.Principal, p Participant) error {
	others, err := store.Strings(ctx, tx, `SELECT id FROM exchange_participants WHERE legal_rep_key = $1 AND id <> $2 AND status <> $3 ORDER BY id`,
		legalRepKey(p.LegalRep), p.ID, string(ParticipantRejected))
	if err != nil {
		return err
	}
	for _, other := range others {
		if err := s.relate(ctx, tx, actor, p.ID, other, RelationLegalRep, "", DeclaredByDetection); err != nil {
			return err
		}
	}
	return nil
}

// RelatedParties returns every related-party pair on record, for the
// exchange's staff and platform staff.
func (s *Service) RelatedParties(ctx context.Context, actor identity.Principal) ([]Relation, error) {
	if !CanStaff(actor) && !actor.IsPlatformStaff() {
		return nil, identity.ErrForbidden
	}
	return s.Relations(ctx, s.db)
}

// RemoveRelation deletes a relation on record (the exchange's staff only,
// for a declaration found wrong), with the event
// "exchange.participant.unrelated".
func (s *Service) RemoveRelation(ctx context.Context, actor identity.Principal, id string, in RelationInput) (Participant, error) {
	if !CanStaff(actor) {
		return Participant{}, identity.ErrForbidden
	}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		a, b := pair(id, in.OtherID, in.Kind)
		res, err := tx.ExecContext(ctx, `DELETE FROM exchange_relations WHERE participant_id = $1 AND other_id = $2 AND kind = $3`, a, b, string(in.Kind))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("relation with", in.OtherID)
		}
		tx.AfterCommit(s.relationsChanged)
		return tx.Emit(ctx, store.Event{Type: "exchange.participant.unrelated", ActorUserID: actor.UserID, SubjectKind: "exchange_participant",
			SubjectID: a}, map[string]any{"other_participant_id": b, "kind": in.Kind})
	})
	if err != nil {
		return Participant{}, err
	}
	return s.ParticipantByID(ctx, s.db, id)
}

func jsonUnmarshal(raw string, v any) error { return json.Unmarshal([]byte(raw), v) }
