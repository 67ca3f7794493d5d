package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// SHA256Hex returns the hex SHA-256 of s: what events carry instead of
// free text that may hold personal data.
func SHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// NewID returns a new time-ordered identifier (UUIDv7); ids created later sort later.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Event describes one state change. Payload carries identifiers and hashes,
// never personal data: it is hashed into the transparency log.
type Event struct {
	ID          string
	Seq         int64
	Type        string // e.g. "resource.published"
	At          time.Time
	ActorUserID string
	ActorOrgID  string
	SubjectKind string // e.g. "resource"
	SubjectID   string
	Payload     json.RawMessage
	PayloadHash string // hex SHA-256 of Payload
	LedgerIndex *int64 // nil until the ledger sequences the event
}

// Emit writes ev into the events outbox inside tx, so the event exists exactly
// when the change it describes commits. It fills ID, At, Payload and PayloadHash.
func (tx *Tx) Emit(ctx context.Context, ev Event, payload any) error {
	if ev.Type == "" || ev.SubjectKind == "" || ev.SubjectID == "" {
		return fmt.Errorf("store: event needs type and subject (got %q %q %q)", ev.Type, ev.SubjectKind, ev.SubjectID)
	}
	if payload == nil {
		payload = struct{}{}
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("store: event payload: %w", err)
	}
	sum := sha256.Sum256(raw)
	ev.ID, ev.At, ev.Payload, ev.PayloadHash = NewID(), tx.now, raw, hex.EncodeToString(sum[:])
	_, err = tx.ExecContext(ctx, `INSERT INTO events
		(id, type, at, actor_user_id, actor_org_id, subject_kind, subject_id, payload, payload_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		ev.ID, ev.Type, TS(ev.At), ev.ActorUserID, ev.ActorOrgID, ev.SubjectKind, ev.SubjectID, string(raw), ev.PayloadHash)
	if err != nil {
		return fmt.Errorf("store: emit %s: %w", ev.Type, err)
	}
	return nil
}

// EventFilter selects events; zero fields match everything.
type EventFilter struct {
	SubjectKind string
	SubjectID   string
	Type        string
	BeforeSeq   int64 // only events with seq < BeforeSeq (0: no bound)
	Limit       int
}

// Events lists events newest first.
func (db *DB) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q := `SELECT seq, id, type, at, actor_user_id, actor_org_id, subject_kind, subject_id, payload, payload_hash, ledger_index
		FROM events WHERE ($1 = '' OR subject_kind = $1) AND ($2 = '' OR subject_id = $2)
		AND ($3 = '' OR type = $3) AND ($4 = 0 OR seq < $4) ORDER BY seq DESC LIMIT $5`
	rows, err := db.QueryContext(ctx, q, f.SubjectKind, f.SubjectID, f.Type, f.BeforeSeq, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var ev Event
		var payload string
		if err := rows.Scan(&ev.Seq, &ev.ID, &ev.Type, ScanTime(&ev.At), &ev.ActorUserID, &ev.ActorOrgID,
			&ev.SubjectKind, &ev.SubjectID, &payload, &ev.PayloadHash, &ev.LedgerIndex); err != nil {
			return nil, err
		}
		ev.Payload = json.RawMessage(payload)
		out = append(out, ev)
	}
	return out, rows.Err()
}
