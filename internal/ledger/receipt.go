package ledger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// Receipt proves, offline, that an event is in the log: the exact leaf bytes
// at its index, a signed checkpoint and the inclusion proof of the leaf in
// the tree that checkpoint commits to (RFC 6962 hashing).
type Receipt struct {
	EventID        string   `json:"event_id"`
	Index          uint64   `json:"index"`
	Entry          []byte   `json:"entry" doc:"The exact leaf bytes (canonical JSON), base64"`
	Checkpoint     string   `json:"checkpoint" doc:"Signed note (C2SP tlog-checkpoint)"`
	InclusionProof [][]byte `json:"inclusion_proof" doc:"Hashes from the leaf to the checkpoint's root, base64"`
}

// receiptWait is how long Receipt waits for a checkpoint to cover a freshly
// sealed event before answering ErrNotSealed.
const receiptWait = 3 * time.Second

// Receipt returns the receipt of an event against the current checkpoint:
// store.ErrNotFound for an unknown event, ErrNotSealed while it waits for the
// sequencer or for a checkpoint. Receipts hold no personal data.
func (s *Service) Receipt(ctx context.Context, eventID string) (Receipt, error) {
	ev, err := s.Event(ctx, eventID)
	if err != nil {
		return Receipt{}, err
	}
	if ev.LedgerIndex == nil {
		return Receipt{}, fmt.Errorf("ledger: event %s: %w", eventID, ErrNotSealed)
	}
	index := uint64(*ev.LedgerIndex)
	cp, raw, err := s.awaitCheckpoint(ctx, index+1)
	if err != nil {
		return Receipt{}, err
	}
	fetch := client.FileFetcher{Root: s.dir}
	bundle, err := client.GetEntryBundle(ctx, fetch.ReadEntryBundle, index/layout.EntryBundleWidth, cp.Size)
	if err != nil {
		return Receipt{}, fmt.Errorf("ledger: entry %d: %w", index, err)
	}
	entry := bundle.Entries[index%layout.EntryBundleWidth]
	if e, err := ParseEntry(entry); err != nil || e.ID != eventID {
		return Receipt{}, fmt.Errorf("ledger: log entry %d does not hold event %s; run `dataport ledger verify`", index, eventID)
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, fetch.ReadTile)
	if err != nil {
		return Receipt{}, err
	}
	proof, err := pb.InclusionProof(ctx, index)
	if err != nil {
		return Receipt{}, fmt.Errorf("ledger: inclusion proof of %d in %d: %w", index, cp.Size, err)
	}
	return Receipt{EventID: eventID, Index: index, Entry: entry, Checkpoint: string(raw), InclusionProof: proof}, nil
}

// awaitCheckpoint returns the current checkpoint once it covers size entries,
// waiting up to receiptWait for the next one to be published.
func (s *Service) awaitCheckpoint(ctx context.Context, size uint64) (*log.Checkpoint, []byte, error) {
	deadline := time.Now().Add(receiptWait)
	for {
		cp, raw, err := s.Checkpoint(ctx)
		if err != nil {
			return nil, nil, err
		}
		if cp.Size >= size {
			return cp, raw, nil
		}
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("ledger: entry %d is not covered by a checkpoint yet: %w", size-1, ErrNotSealed)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return nil, nil, err
		}
	}
}

// Checkpoint returns the latest published checkpoint, parsed after checking
// its signature, and its signed-note text.
func (s *Service) Checkpoint(ctx context.Context) (*log.Checkpoint, []byte, error) {
	v, _, err := s.Verifier()
	if err != nil {
		return nil, nil, err
	}
	raw, err := os.ReadFile(filepath.Join(s.dir, layout.CheckpointPath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("ledger: no checkpoint in %s: %w", s.dir, ErrNoLog)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: %w", err)
	}
	cp, _, _, err := log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: checkpoint: %w", err)
	}
	return cp, raw, nil
}

// Verifier returns the checkpoint verifier and its key in signed-note
// verifier format ("<origin>+<hash>+<base64 key>").
func (s *Service) Verifier() (note.Verifier, string, error) {
	if kp := s.keyPair(); kp != nil {
		return kp.verifier, kp.verifierKey, nil
	}
	v, vkey, err := LoadVerifier(s.cfg.DataDir)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrNoLog, err)
	}
	return v, vkey, nil
}
