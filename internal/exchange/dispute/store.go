package dispute

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"dataport/internal/store"
)

const disputeColumns = `id, contract_id, claimant_org_id, respondent_org_id, claimant_side, claim, status, mediator_id,
	arbitrator_id, outcome, evidence_sha256, evidence_size, created_by, created_at, updated_at`

func scanDispute(row interface{ Scan(...any) error }) (Dispute, error) {
	var d Dispute
	err := row.Scan(&d.ID, &d.ContractID, &d.ClaimantOrgID, &d.RespondentOrgID, &d.ClaimantSide, &d.Claim, &d.Status,
		&d.MediatorID, &d.ArbitratorID, &d.Outcome, &d.EvidenceSHA256, &d.EvidenceSize, &d.CreatedBy,
		store.ScanTime(&d.CreatedAt), store.ScanTime(&d.UpdatedAt))
	return d, err
}

// getDispute reads a dispute with its steps.
func getDispute(ctx context.Context, q store.Querier, id string) (Dispute, error) {
	d, err := scanDispute(q.QueryRowContext(ctx, `SELECT `+disputeColumns+` FROM exchange_disputes WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Dispute{}, notFound(id)
	}
	if err != nil {
		return Dispute{}, fmt.Errorf("dispute: %w", err)
	}
	d.Steps, err = steps(ctx, q, id)
	return d, err
}

func steps(ctx context.Context, q store.Querier, id string) ([]Step, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, from_status, to_status, actor_id, outcome, reasons, at
		FROM exchange_dispute_steps WHERE dispute_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("dispute: steps: %w", err)
	}
	defer rows.Close()
	out := []Step{}
	for rows.Next() {
		var st Step
		if err := rows.Scan(&st.Seq, &st.From, &st.To, &st.ActorID, &st.Outcome, &st.Reasons, store.ScanTime(&st.At)); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

func insertDispute(ctx context.Context, tx *store.Tx, d Dispute) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO exchange_disputes (`+disputeColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
		d.ID, d.ContractID, d.ClaimantOrgID, d.RespondentOrgID, d.ClaimantSide, d.Claim, d.Status, d.MediatorID,
		d.ArbitratorID, d.Outcome, d.EvidenceSHA256, d.EvidenceSize, d.CreatedBy, store.TS(d.CreatedAt), store.TS(d.UpdatedAt))
	if err != nil {
		return fmt.Errorf("dispute: insert: %w", err)
	}
	return nil
}

// updateDispute writes d's status and officers if it is still in status
// from: a concurrent step that got there first makes it ErrState.
func updateDispute(ctx context.Context, tx *store.Tx, d Dispute, from Status) error {
	res, err := tx.ExecContext(ctx, `UPDATE exchange_disputes SET status = $1, mediator_id = $2, arbitrator_id = $3, outcome = $4,
		updated_at = $5 WHERE id = $6 AND status = $7`, d.Status, d.MediatorID, d.ArbitratorID, d.Outcome, store.TS(d.UpdatedAt), d.ID, from)
	if err != nil {
		return fmt.Errorf("dispute: update: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ErrState
	}
	return nil
}

func insertStep(ctx context.Context, tx *store.Tx, disputeID string, st Step) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO exchange_dispute_steps (id, dispute_id, seq, from_status, to_status, actor_id, outcome, reasons, at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, store.NewID(), disputeID, st.Seq, st.From, st.To, st.ActorID, st.Outcome, st.Reasons, store.TS(st.At))
	if store.IsUniqueViolation(err) {
		return ErrState // another step of the same dispute committed first
	}
	if err != nil {
		return fmt.Errorf("dispute: step: %w", err)
	}
	return nil
}

// listDisputes returns a page of disputes, newest first, of orgs (nil:
// every organization).
func listDisputes(ctx context.Context, q store.Querier, f Filter, orgs []string) ([]Dispute, error) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if orgs != nil {
		ph := make([]string, len(orgs))
		for i, o := range orgs {
			ph[i] = arg(o)
		}
		in := strings.Join(ph, ", ")
		conds = append(conds, "(claimant_org_id IN ("+in+") OR respondent_org_id IN ("+in+"))")
	}
	if f.Status != "" {
		conds = append(conds, "status = "+arg(string(f.Status)))
	}
	if f.ContractID != "" {
		conds = append(conds, "contract_id = "+arg(f.ContractID))
	}
	if f.Cursor != "" {
		conds = append(conds, "id < "+arg(f.Cursor))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := q.QueryContext(ctx, `SELECT `+disputeColumns+` FROM exchange_disputes`+where+
		` ORDER BY id DESC LIMIT `+strconv.Itoa(f.Limit), args...)
	if err != nil {
		return nil, fmt.Errorf("dispute: list: %w", err)
	}
	defer rows.Close()
	out := []Dispute{}
	for rows.Next() {
		d, err := scanDispute(rows)
		if err != nil {
			return nil, err
		}
		d.Steps = []Step{} // the list leaves steps out
		out = append(out, d)
	}
	return out, rows.Err()
}

// setEvidence records the attached bundle of a dispute that has none yet.
func setEvidence(ctx context.Context, tx *store.Tx, id, sum string, size int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE exchange_disputes SET evidence_sha256 = $1, evidence_size = $2 WHERE id = $3 AND evidence_sha256 = ''`,
		sum, size, id)
	if err != nil {
		return false, fmt.Errorf("dispute: evidence: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
