package sharing

import (
	"context"
	"fmt"
	"time"

	"dataport/internal/store"
)

// Step is one entry of a request's history: who did what, when, and why.
// Both the requester and the provider see it.
type Step struct {
	Seq        int       `json:"seq"`
	Action     string    `json:"action"` // submitted, approved, rejected, granted, withdrawn, escalated, refused
	Status     string    `json:"status"` // the request's status after the step
	ActorID    string    `json:"actor_id"`
	ActorOrgID string    `json:"actor_org_id"`
	At         time.Time `json:"at"`
	Comment    string    `json:"comment"`
}

// AddStep appends a step to the history of request id of kind ("share_request",
// "open_application") inside tx.
func AddStep(ctx context.Context, tx *store.Tx, kind, id string, st Step) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO workflow_steps (kind, request_id, seq, action, status, actor_id, actor_org_id, at, comment)
		VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM workflow_steps WHERE kind = $1 AND request_id = $2), $3, $4, $5, $6, $7, $8)`,
		kind, id, st.Action, st.Status, st.ActorID, st.ActorOrgID, store.TS(tx.Now()), st.Comment)
	if err != nil {
		return fmt.Errorf("%s %s: history: %w", kind, id, err)
	}
	return nil
}

// Steps returns the history of request id of kind, oldest first.
func Steps(ctx context.Context, q store.Querier, kind, id string) ([]Step, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, action, status, actor_id, actor_org_id, at, comment FROM workflow_steps
		WHERE kind = $1 AND request_id = $2 ORDER BY seq`, kind, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Step{}
	for rows.Next() {
		var st Step
		if err := rows.Scan(&st.Seq, &st.Action, &st.Status, &st.ActorID, &st.ActorOrgID, store.ScanTime(&st.At), &st.Comment); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}
