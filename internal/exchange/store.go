package exchange

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/store"
	"dataport/internal/validate"
)

const participantColumns = `p.id, p.org_id, COALESCE(o.name_zh, ''), p.uscc, p.legal_rep, p.contact_name, p.contact_phone, p.contact_email,
	p.roles, p.tier, p.status, p.status_reason, p.admitted_at, p.created_at, p.updated_at`

const participantFrom = ` FROM exchange_participants p LEFT JOIN organizations o ON o.id = p.org_id`

func scanParticipant(row interface{ Scan(...any) error }) (Participant, error) {
	var p Participant
	var roles string
	var admitted time.Time
	err := row.Scan(&p.ID, &p.OrgID, &p.Name, &p.USCC, &p.LegalRep, &p.ContactName, &p.ContactPhone, &p.ContactEmail,
		&roles, &p.Tier, &p.Status, &p.StatusReason, store.ScanTime(&admitted), store.ScanTime(&p.CreatedAt), store.ScanTime(&p.UpdatedAt))
	if err != nil {
		return p, err
	}
	if !admitted.IsZero() {
		p.AdmittedAt = &admitted
	}
	return p, json.Unmarshal([]byte(roles), &p.Roles)
}

// participantWhere reads the one participant cond selects, with its
// documents and related parties.
func (s *Service) participantWhere(ctx context.Context, q store.Querier, what, cond string, arg string) (Participant, error) {
	p, err := scanParticipant(q.QueryRowContext(ctx, `SELECT `+participantColumns+participantFrom+` WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Participant{}, notFound(what, arg)
	} else if err != nil {
		return Participant{}, fmt.Errorf("exchange: participant: %w", err)
	}
	if p.Documents, err = documents(ctx, q, ownerParticipant, p.ID); err != nil {
		return Participant{}, err
	}
	p.RelatedParties, err = relationsOf(ctx, q, p.ID)
	return p, err
}

// ParticipantByID returns participant id with its documents and related
// parties, without a permission check (store.ErrNotFound when unknown).
func (s *Service) ParticipantByID(ctx context.Context, q store.Querier, id string) (Participant, error) {
	return s.participantWhere(ctx, q, "participant", `p.id = $1`, id)
}

// ParticipantOfOrg returns the participant of organization orgID, without
// a permission check (store.ErrNotFound when it never applied).
func (s *Service) ParticipantOfOrg(ctx context.Context, q store.Querier, orgID string) (Participant, error) {
	return s.participantWhere(ctx, q, "participant of organization", `p.org_id = $1`, orgID)
}

// lockParticipant reads participant id for a change in tx (locking its
// row on PostgreSQL).
func (s *Service) lockParticipant(ctx context.Context, tx *store.Tx, id string) (Participant, error) {
	if tx.Dialect == store.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT id FROM exchange_participants WHERE id = $1 FOR UPDATE`, id); err != nil {
			return Participant{}, err
		}
	}
	return s.ParticipantByID(ctx, tx, id)
}

func saveParticipant(ctx context.Context, tx *store.Tx, p Participant) error {
	roles, _ := json.Marshal(p.Roles)
	_, err := tx.ExecContext(ctx, `UPDATE exchange_participants SET uscc = $1, legal_rep = $2, legal_rep_key = $3, contact_name = $4,
		contact_phone = $5, contact_email = $6, roles = $7, tier = $8, status = $9, status_reason = $10, admitted_at = $11, updated_at = $12
		WHERE id = $13`, p.USCC, p.LegalRep, legalRepKey(p.LegalRep), p.ContactName, p.ContactPhone, p.ContactEmail, string(roles), p.Tier,
		string(p.Status), p.StatusReason, store.NullTSPtr(p.AdmittedAt), store.TS(p.UpdatedAt), p.ID)
	return err
}

func insertParticipant(ctx context.Context, tx *store.Tx, p Participant) error {
	roles, _ := json.Marshal(p.Roles)
	_, err := tx.ExecContext(ctx, `INSERT INTO exchange_participants (id, org_id, uscc, legal_rep, legal_rep_key, contact_name, contact_phone,
		contact_email, roles, tier, status, status_reason, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13)`,
		p.ID, p.OrgID, p.USCC, p.LegalRep, legalRepKey(p.LegalRep), p.ContactName, p.ContactPhone, p.ContactEmail, string(roles), p.Tier,
		string(p.Status), p.StatusReason, store.TS(p.CreatedAt))
	if store.IsUniqueViolation(err) {
		return validate.Refuse(ErrState, "participant_exists", "the organization has applied already")
	}
	return err
}

// legalRepKey is what two declarations of the same legal representative
// share: the SHA-256 of the name without spaces, case folded. Only the hash
// is compared, so the relation is found without a name in any index.
func legalRepKey(name string) string {
	return store.SHA256Hex(strings.ToLower(strings.Join(strings.Fields(name), "")))
}

const productColumns = `id, provider_id, provider_org_id, title, description, use_scenarios, source, source_note, legal_basis, resource_ids,
	zone_output_ids, sample_deid_profile, delivery, price_model, price_amount_fen, price_period_days, offer, derived_from, status,
	status_reason, hash, source_changed, review_id, listed_at, created_at, updated_at`

func scanProduct(row interface{ Scan(...any) error }) (Product, error) {
	var p Product
	var scenarios, resources, zones, delivery, offer, derived string
	var listed time.Time
	err := row.Scan(&p.ID, &p.ProviderID, &p.ProviderOrgID, &p.Title, &p.Description, &scenarios, &p.Source, &p.SourceNote, &p.LegalBasis,
		&resources, &zones, &p.SampleDeidProfile, &delivery, &p.Price.Model, &p.Price.AmountFen, &p.Price.PeriodDays, &offer, &derived,
		&p.Status, &p.StatusReason, &p.Hash, &p.SourceChangedAtListed, &p.ReviewID, store.ScanTime(&listed), store.ScanTime(&p.CreatedAt),
		store.ScanTime(&p.UpdatedAt))
	if err != nil {
		return p, err
	}
	if !listed.IsZero() {
		p.ListedAt = &listed
	}
	for _, f := range []struct {
		raw string
		v   any
	}{{scenarios, &p.UseScenarios}, {resources, &p.ResourceIDs}, {zones, &p.ZoneOutputIDs}, {delivery, &p.Delivery}, {offer, &p.Offer},
		{derived, &p.DerivedFrom}} {
		if err := json.Unmarshal([]byte(f.raw), f.v); err != nil {
			return p, fmt.Errorf("exchange: product %s: %w", p.ID, err)
		}
	}
	return p, nil
}

// ProductByID returns product id with its source evidence, without a
// permission check (store.ErrNotFound when unknown).
func (s *Service) ProductByID(ctx context.Context, q store.Querier, id string) (Product, error) {
	p, err := scanProduct(q.QueryRowContext(ctx, `SELECT `+productColumns+` FROM exchange_products WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Product{}, notFound("product", id)
	} else if err != nil {
		return Product{}, fmt.Errorf("exchange: product: %w", err)
	}
	p.SourceEvidence, err = documents(ctx, q, ownerProduct, p.ID)
	return p, err
}

// lockProduct reads product id for a change in tx (locking its row on
// PostgreSQL).
func (s *Service) lockProduct(ctx context.Context, tx *store.Tx, id string) (Product, error) {
	if tx.Dialect == store.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT id FROM exchange_products WHERE id = $1 FOR UPDATE`, id); err != nil {
			return Product{}, err
		}
	}
	return s.ProductByID(ctx, tx, id)
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain values reach here
	}
	return string(b)
}

func insertProduct(ctx context.Context, tx *store.Tx, p Product, createdBy string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO exchange_products (id, provider_id, provider_org_id, title, description, use_scenarios, source,
		source_note, legal_basis, resource_ids, zone_output_ids, sample_deid_profile, delivery, price_model, price_amount_fen, price_period_days,
		offer, derived_from, status, status_reason, hash, source_hash, created_by, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$24)`,
		p.ID, p.ProviderID, p.ProviderOrgID, p.Title, p.Description, jsonOf(p.UseScenarios), string(p.Source), p.SourceNote, p.LegalBasis,
		jsonOf(p.ResourceIDs), jsonOf(p.ZoneOutputIDs), p.SampleDeidProfile, jsonOf(p.Delivery), string(p.Price.Model), p.Price.AmountFen,
		p.Price.PeriodDays, jsonOf(p.Offer), jsonOf(p.DerivedFrom), string(p.Status), p.StatusReason, p.Hash, sourceHash(p), createdBy,
		store.TS(p.CreatedAt))
	return err
}

func saveProduct(ctx context.Context, tx *store.Tx, p Product) error {
	_, err := tx.ExecContext(ctx, `UPDATE exchange_products SET title = $1, description = $2, use_scenarios = $3, source = $4, source_note = $5,
		legal_basis = $6, resource_ids = $7, zone_output_ids = $8, sample_deid_profile = $9, delivery = $10, price_model = $11,
		price_amount_fen = $12, price_period_days = $13, offer = $14, derived_from = $15, status = $16, status_reason = $17, hash = $18,
		source_hash = $19, source_changed = $20, review_id = $21, listed_at = $22, updated_at = $23 WHERE id = $24`,
		p.Title, p.Description, jsonOf(p.UseScenarios), string(p.Source), p.SourceNote, p.LegalBasis, jsonOf(p.ResourceIDs),
		jsonOf(p.ZoneOutputIDs), p.SampleDeidProfile, jsonOf(p.Delivery), string(p.Price.Model), p.Price.AmountFen, p.Price.PeriodDays,
		jsonOf(p.Offer), jsonOf(p.DerivedFrom), string(p.Status), p.StatusReason, p.Hash, sourceHash(p), p.SourceChangedAtListed, p.ReviewID,
		store.NullTSPtr(p.ListedAt), store.TS(p.UpdatedAt), p.ID)
	return err
}

// Document owners.
const (
	ownerParticipant = "participant"
	ownerProduct     = "product"
)

func documents(ctx context.Context, q store.Querier, ownerKind, ownerID string) ([]Document, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, name, sha256, size, created_at FROM exchange_documents
		WHERE owner_kind = $1 AND owner_id = $2 ORDER BY id`, ownerKind, ownerID)
	if err != nil {
		return nil, fmt.Errorf("exchange: documents: %w", err)
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		if err := rows.Scan(&d.ID, &d.Kind, &d.Name, &d.SHA256, &d.Size, store.ScanTime(&d.CreatedAt)); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// relationsOf returns the relations participant id takes part in, seen
// from it (ParticipantID is id).
func relationsOf(ctx context.Context, q store.Querier, id string) ([]Relation, error) {
	all, err := queryRelations(ctx, q, ` WHERE participant_id = $1 OR other_id = $1`, id)
	for i, r := range all {
		if r.ParticipantID != id {
			all[i].ParticipantID, all[i].OtherID = id, r.ParticipantID
		}
	}
	return all, err
}

// Relations returns every related-party pair on record, as declared (a
// shareholder relation reads "ParticipantID holds shares in OtherID").
func (s *Service) Relations(ctx context.Context, q store.Querier) ([]Relation, error) {
	return queryRelations(ctx, q, "")
}

func queryRelations(ctx context.Context, q store.Querier, where string, args ...any) ([]Relation, error) {
	rows, err := q.QueryContext(ctx, `SELECT participant_id, other_id, kind, note FROM exchange_relations`+where+
		` ORDER BY participant_id, other_id, kind`, args...)
	if err != nil {
		return nil, fmt.Errorf("exchange: relations: %w", err)
	}
	defer rows.Close()
	out := []Relation{}
	for rows.Next() {
		var r Relation
		if err := rows.Scan(&r.ParticipantID, &r.OtherID, &r.Kind, &r.Note); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// related reports whether participants a and b are related parties, by any
// relation in either direction.
func related(ctx context.Context, q store.Querier, a, b string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM exchange_relations WHERE (participant_id = $1 AND other_id = $2)
		OR (participant_id = $2 AND other_id = $1)`, a, b).Scan(&n)
	return n > 0, err
}
