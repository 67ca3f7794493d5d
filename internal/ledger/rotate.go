package ledger

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"dataport/internal/store"
)

// RetiredDir is the folder of a data dir that keeps the logs retired by
// RotateKey, one subfolder each. Backups include it.
const RetiredDir = "ledger-retired"

// Rotation is what RotateKey did.
type Rotation struct {
	Retired        string // the folder now holding the old log and key
	OldOrigin      string
	OldVerifierKey string
	OldSize        uint64 // entries covered by the old log's last checkpoint
	OldRoot        []byte
	OldProblems    []Problem // what Verify found in the old log before it was retired
	NewOrigin      string
	NewVerifierKey string
	Reseal         int64 // events the sequencer seals again, oldest first, into the new log
}

// RotateKey retires the log and key of dataDir and starts a new log under
// a new key named newOrigin. A checkpoint binds the origin, so a new key on
// the old origin would look like a fork to a witness; a new key therefore
// means a new log. The old log is audited (Verify) and moved whole, with its
// key, into RetiredDir, where its last checkpoint stays verifiable; every
// event's log index is forgotten in one transaction, and the next sequencer
// seals all events again into the new log.
//
// No process may be running on the ledger: RotateKey refuses while the
// sequencer lock is held, and a replica that was waiting for the lock
// refuses to sequence with the old key (see lockAndSequence). The folders
// are moved and the new key written inside the transaction and moved back
// when it cannot commit, so an error leaves the old log in place.
func RotateKey(ctx context.Context, db *store.DB, dataDir, newOrigin string, now time.Time) (Rotation, error) {
	if err := checkOrigin(newOrigin); err != nil {
		return Rotation{}, err
	}
	keyDir := filepath.Join(dataDir, "keys")
	old, err := loadKey(keyDir)
	if errors.Is(err, os.ErrNotExist) {
		return Rotation{}, fmt.Errorf("ledger: no key in %s: there is no log to rotate (the first start creates one)", keyDir)
	}
	if err != nil {
		return Rotation{}, err
	}
	r := Rotation{OldOrigin: old.signer.Name(), OldVerifierKey: old.verifierKey, NewOrigin: newOrigin}
	if newOrigin == r.OldOrigin {
		return r, fmt.Errorf("ledger: the new origin must differ from the old log's (%q): a log keeps its origin and key for life", newOrigin)
	}
	s := New(db, Config{DataDir: dataDir})
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return r, fmt.Errorf("ledger: %w", err)
	}
	c, release, err := s.lock(ctx, false)
	if errors.Is(err, errSequencing) {
		return r, errors.New("ledger: a dataport process is sequencing this ledger: stop every replica before rotating the key")
	}
	if err != nil {
		return r, err
	}
	defer release()

	rep, err := Verify(ctx, db, dataDir)
	if err != nil && !errors.Is(err, ErrNoLog) {
		return r, fmt.Errorf("ledger: audit of the log to retire: %w", err)
	}
	r.OldSize, r.OldRoot, r.OldProblems = rep.Size, rep.Root, rep.Problems
	r.Retired = filepath.Join(dataDir, RetiredDir, retiredName(r.OldOrigin, now))
	if _, err := os.Stat(r.Retired); err == nil {
		return r, fmt.Errorf("ledger: %s exists already", r.Retired)
	}

	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("ledger: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE events SET ledger_index = NULL WHERE ledger_index IS NOT NULL`); err != nil {
		return r, fmt.Errorf("ledger: forget the old log's indices: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&r.Reseal); err != nil {
		return r, fmt.Errorf("ledger: %w", err)
	}
	moves := [][2]string{
		{s.dir, filepath.Join(r.Retired, "ledger")},
		{filepath.Join(keyDir, privateKeyFile), filepath.Join(r.Retired, "keys", privateKeyFile)},
		{filepath.Join(keyDir, publicKeyFile), filepath.Join(r.Retired, "keys", publicKeyFile)},
	}
	var done [][2]string
	undo := func() {
		os.Remove(filepath.Join(keyDir, privateKeyFile))
		os.Remove(filepath.Join(keyDir, publicKeyFile))
		for i := len(done) - 1; i >= 0; i-- {
			os.Rename(done[i][1], done[i][0])
		}
		os.RemoveAll(r.Retired) // empty unless a move back failed, when this fails too
	}
	if err := os.MkdirAll(filepath.Join(r.Retired, "keys"), 0o700); err != nil {
		return r, fmt.Errorf("ledger: %w", err)
	}
	for _, m := range moves {
		err := os.Rename(m[0], m[1])
		if errors.Is(err, os.ErrNotExist) && m[0] != s.dir {
			continue // a data dir whose verifier key file was never written
		}
		if err != nil {
			undo()
			return r, fmt.Errorf("ledger: retire %s: %w", m[0], err)
		}
		done = append(done, m)
	}
	kp, err := createKey(keyDir, newOrigin)
	if err == nil {
		err = os.WriteFile(filepath.Join(r.Retired, "RETIRED.txt"), []byte(r.describe(now)), 0o644)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		undo()
		return r, fmt.Errorf("ledger: rotate key: %w", err)
	}
	r.NewVerifierKey = kp.verifierKey
	return r, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// retiredName names a retired log's folder after its origin and the time.
func retiredName(origin string, now time.Time) string {
	return strings.Trim(unsafeName.ReplaceAllString(origin, "_"), "_") + "-" + now.UTC().Format("20060102T150405Z")
}

// describe is the RETIRED.txt of a retired log: what an auditor needs to
// check it later without the server.
func (r Rotation) describe(now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "This transparency log was retired on %s by `dataport ledger rotate-key`.\n\n", now.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "origin:        %s\n", r.OldOrigin)
	fmt.Fprintf(&b, "verifier key:  %s\n", r.OldVerifierKey)
	fmt.Fprintf(&b, "last checkpoint: %d entries, root %s\n", r.OldSize, base64.StdEncoding.EncodeToString(r.OldRoot))
	fmt.Fprintf(&b, "successor:     %s\n\n", r.NewOrigin)
	if len(r.OldProblems) == 0 {
		b.WriteString("At retirement the log verified: its tiles recompute to the checkpoint's root and every sealed event row matched its entry.\n")
	} else {
		fmt.Fprintf(&b, "At retirement the audit found %d problems:\n", len(r.OldProblems))
		for _, p := range r.OldProblems {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	}
	b.WriteString(`
ledger/ holds the log in C2SP tlog-tiles layout: serve it as static files to
let receipts issued before the rotation be checked against it. keys/ holds
its verifier key (ledger.pub) and its signing key (ledger.key, mode 0600):
destroy the signing key once the retirement is announced, or at once if it
leaked. The next sequencer seals every event again, oldest first, into the
successor log.
`)
	return b.String()
}
