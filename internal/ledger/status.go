package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"dataport/internal/store"
)

// Status is the state of the ledger an auditor looks at first.
type Status struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key" doc:"Signed-note verifier key of the checkpoints"`
	Checkpoint  string `json:"checkpoint" doc:"The latest signed checkpoint"`
	Size        uint64 `json:"size" doc:"Entries covered by the latest checkpoint"`
	Unsealed    int64  `json:"unsealed" doc:"Events waiting for the sequencer"`
	// OldestUnsealedAt is when the oldest waiting event was committed (nil: none waits).
	OldestUnsealedAt *time.Time `json:"oldest_unsealed_at"`
	// LagSeconds is how long the oldest waiting event has waited (0: none waits).
	LagSeconds float64 `json:"lag_seconds"`
	// Sequencing reports whether this process holds the sequencer lock.
	Sequencing bool `json:"sequencing"`
}

// Status reports the current checkpoint, the log size and the sequencing
// lag. Before the log's first checkpoint (a new log, or one just rotated)
// it returns ErrNoLog (wrapped) together with what it could read: the
// waiting events, their lag and whether this process sequences.
func (s *Service) Status(ctx context.Context) (Status, error) {
	var st Status
	cp, raw, noLog := s.Checkpoint(ctx)
	if noLog != nil && !errors.Is(noLog, ErrNoLog) {
		return Status{}, noLog
	}
	if noLog == nil {
		_, vkey, err := s.Verifier()
		if err != nil {
			return Status{}, err
		}
		st = Status{Origin: cp.Origin, VerifierKey: vkey, Checkpoint: string(raw), Size: cp.Size}
	}
	var oldest time.Time
	err := s.db.QueryRowContext(ctx, `SELECT count(*), min(at) FROM events WHERE ledger_index IS NULL`).
		Scan(&st.Unsealed, store.ScanTime(&oldest))
	if err != nil {
		return Status{}, fmt.Errorf("ledger: status: %w", err)
	}
	if !oldest.IsZero() {
		st.OldestUnsealedAt = &oldest
		st.LagSeconds = max(0, time.Since(oldest).Seconds())
	}
	s.mu.Lock()
	st.Sequencing = s.running
	s.mu.Unlock()
	return st, noLog
}
