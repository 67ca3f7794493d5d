package asset

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/workday"
)

const registrationColumns = `id, type, product_id, product_hash, holder_id, holder_org_id, holder_name, holder_uscc, rights, prior_id,
	counterparty_id, licence_until, statement, number, registration_hash, stage, approved_at, publicity_ends_at, effective_at, ended_at, ended_by`

func scanRegistration(row review.Row) (string, Registration, error) {
	var r Registration
	var rights string
	var number sql.NullString
	var approved, ends, effective, ended time.Time
	err := row.Scan(&r.ID, &r.Type, &r.ProductID, &r.ProductHash, &r.HolderID, &r.HolderOrgID, &r.HolderName, &r.HolderUSCC, &rights, &r.PriorID,
		&r.CounterpartyID, &r.LicenceUntil, &r.Statement, &number, &r.Hash, &r.Stage, store.ScanTime(&approved), store.ScanTime(&ends),
		store.ScanTime(&effective), store.ScanTime(&ended), &r.EndedBy)
	if err != nil {
		return "", r, err
	}
	r.Number = number.String
	r.ApprovedAt, r.PublicityEndsAt, r.EffectiveAt, r.EndedAt = timePtr(approved), timePtr(ends), timePtr(effective), timePtr(ended)
	if err := json.Unmarshal([]byte(rights), &r.Rights); err != nil {
		return "", r, fmt.Errorf("asset: registration %s: rights: %w", r.ID, err)
	}
	return r.ID, r, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// jsonText is v as JSON text; nil slices are written empty.
func jsonText[T any](v []T) string {
	if v == nil {
		v = []T{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func insertRegistration(ctx context.Context, tx *store.Tx, r Registration) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO asset_registrations (id, type, product_id, product_hash, holder_id, holder_org_id, holder_name,
		holder_uscc, rights, prior_id, counterparty_id, licence_until, statement, stage, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
		r.ID, string(r.Type), r.ProductID, r.ProductHash, r.HolderID, r.HolderOrgID, r.HolderName, r.HolderUSCC, jsonText(r.Rights), r.PriorID,
		r.CounterpartyID, r.LicenceUntil, r.Statement, string(r.Stage), store.TS(tx.Now()))
	if err != nil {
		return fmt.Errorf("asset: registration %s: %w", r.ID, err)
	}
	return nil
}

// updateRegistration stores what changes in r after filing: its stage,
// number, hashes, holder as registered and dates.
func updateRegistration(ctx context.Context, tx *store.Tx, r Registration) error {
	var number any
	if r.Number != "" {
		number = r.Number
	}
	_, err := tx.ExecContext(ctx, `UPDATE asset_registrations SET stage = $1, number = $2, registration_hash = $3, product_hash = $4,
		holder_name = $5, holder_uscc = $6, approved_at = $7, publicity_ends_at = $8, effective_at = $9, ended_at = $10, ended_by = $11
		WHERE id = $12`, string(r.Stage), number, r.Hash, r.ProductHash, r.HolderName, r.HolderUSCC, store.NullTSPtr(r.ApprovedAt),
		store.NullTSPtr(r.PublicityEndsAt), store.NullTSPtr(r.EffectiveAt), store.NullTSPtr(r.EndedAt), r.EndedBy, r.ID)
	if err != nil {
		return fmt.Errorf("asset: registration %s: %w", r.ID, err)
	}
	return nil
}

// nextNumber gives the next registration number of the year (in Beijing)
// of at: the year's counter moves under the row's lock, so numbers are
// sequential per year and never given twice.
func (s *Service) nextNumber(ctx context.Context, tx *store.Tx, at time.Time) (string, error) {
	year := at.In(workday.Beijing).Year()
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO asset_registration_numbers (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = asset_registration_numbers.last + 1 RETURNING last`, year).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("asset: registration number: %w", err)
	}
	return fmt.Sprintf("%s-%d-%06d", s.cfg.NumberPrefix, year, n), nil
}

// notFound is the error for a registration ref nobody may see.
func notFound(ref string) error { return fmt.Errorf("registration %q: %w", ref, store.ErrNotFound) }

// valuationInputs is how a valuation's method inputs are stored.
type valuationInputs struct {
	Cost   *CostInputs   `json:"cost,omitempty"`
	Income *IncomeInputs `json:"income,omitempty"`
	Market *MarketInputs `json:"market,omitempty"`
}

func insertValuation(ctx context.Context, tx *store.Tx, v Valuation, filedBy string) error {
	inputs, _ := json.Marshal(valuationInputs{v.Cost, v.Income, v.Market})
	steps, _ := json.Marshal(v.Computation)
	_, err := tx.ExecContext(ctx, `INSERT INTO asset_valuations (id, product_id, registration_id, holder_id, holder_org_id, assessor_id,
		assessor_org_id, method, base_date, purpose, inputs, assumptions, value_fen, computation, report_name, report_sha256, report_size,
		hash, filed_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)`,
		v.ID, v.ProductID, v.RegistrationID, v.HolderID, v.HolderOrgID, v.AssessorID, v.AssessorOrgID, string(v.Method), v.BaseDate, v.Purpose,
		string(inputs), jsonText(v.Assumptions), v.ValueFen, string(steps), v.Report.Name, v.Report.SHA256, v.Report.Size, v.Hash, filedBy,
		store.TS(v.CreatedAt))
	if err != nil {
		return fmt.Errorf("asset: valuation %s: %w", v.ID, err)
	}
	return nil
}

// queryValuations returns the valuations clause (after FROM) selects.
func queryValuations(ctx context.Context, q store.Querier, clause string, args ...any) ([]Valuation, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, product_id, registration_id, holder_id, holder_org_id, assessor_id, assessor_org_id, method,
		base_date, purpose, inputs, assumptions, value_fen, computation, report_name, report_sha256, report_size, hash, created_at
		FROM asset_valuations`+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("asset: valuations: %w", err)
	}
	defer rows.Close()
	out := []Valuation{}
	for rows.Next() {
		var v Valuation
		var inputs, assumptions, steps string
		if err := rows.Scan(&v.ID, &v.ProductID, &v.RegistrationID, &v.HolderID, &v.HolderOrgID, &v.AssessorID, &v.AssessorOrgID, &v.Method,
			&v.BaseDate, &v.Purpose, &inputs, &assumptions, &v.ValueFen, &steps, &v.Report.Name, &v.Report.SHA256, &v.Report.Size, &v.Hash,
			store.ScanTime(&v.CreatedAt)); err != nil {
			return nil, err
		}
		var in valuationInputs
		for _, f := range []struct {
			raw string
			v   any
		}{{inputs, &in}, {assumptions, &v.Assumptions}, {steps, &v.Computation}} {
			if err := json.Unmarshal([]byte(f.raw), f.v); err != nil {
				return nil, fmt.Errorf("asset: valuation %s: %w", v.ID, err)
			}
		}
		v.Cost, v.Income, v.Market = in.Cost, in.Income, in.Market
		out = append(out, v)
	}
	return out, rows.Err()
}
