package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"dataport/internal/store"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/storage/posix"
)

// batchMaxAge bounds how long Tessera holds a short batch before sequencing
// it; the sequencer hands over whole batches, so this only adds latency.
const batchMaxAge = 5 * time.Millisecond

// run sequences until ctx ends, taking the lock first and starting over
// (after a pause) whenever sequencing fails.
func (s *Service) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	backoff := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		err := s.lockAndSequence(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		s.log.ErrorContext(ctx, "ledger sequencer failed; restarting", "err", err, "retry_in", backoff)
		if sleep(ctx, backoff) != nil {
			return
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (s *Service) lockAndSequence(ctx context.Context) error {
	c, release, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	// A replica that waited for the lock while the key was rotated
	// (RotateKey) must not sign the new log with the old key.
	if kp, err := loadKey(s.keyDir()); err != nil || kp.verifierKey != s.keyPair().verifierKey {
		return fmt.Errorf("ledger: the key in %s is not the one this process started with (rotated, or removed: %v); restart this process", s.keyDir(), err)
	}
	s.setRunning(true)
	defer s.setRunning(false)
	return s.sequence(ctx, c)
}

// sequence opens the Tessera appender, reconciles the log with the table and
// then seals batches until ctx ends. Work on a batch is never cut short by
// ctx: a batch that was appended is also recorded.
func (s *Service) sequence(ctx context.Context, c conn) (err error) {
	tctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel() // after shutdown: ends Tessera's background work
	appender, shutdown, reader, err := s.openAppender(tctx)
	if err != nil {
		return err
	}
	defer func() {
		// Waits until a checkpoint covers everything appended.
		if serr := shutdown(context.Background()); serr != nil && err == nil {
			err = fmt.Errorf("ledger: shut down appender: %w", serr)
		}
	}()
	work := context.WithoutCancel(ctx)
	if err := s.reconcile(work, c, reader); err != nil {
		return err
	}
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	for {
		if ctx.Err() != nil {
			return nil
		}
		n, err := s.sealBatch(work, c, appender)
		if err != nil {
			return err
		}
		if n == s.cfg.BatchSize {
			continue // a backlog: go on at once
		}
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
		case <-s.wake:
		}
	}
}

// openAppender opens the Tessera POSIX log with the checkpoint signer; its
// background work (integration, checkpoints) lives until ctx ends.
func (s *Service) openAppender(ctx context.Context) (*tessera.Appender, func(context.Context) error, tessera.LogReader, error) {
	driver, err := posix.New(ctx, posix.Config{Path: s.dir})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ledger: open log: %w", err)
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(s.keyPair().signer).
		WithBatching(uint(s.cfg.BatchSize), batchMaxAge).
		WithCheckpointInterval(s.cfg.CheckpointInterval).
		WithShutdownTimeout(10 * time.Second)
	appender, shutdown, reader, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ledger: open appender: %w", err)
	}
	return appender, shutdown, reader, nil
}

// sealBatch appends the oldest unsealed events, in outbox order, and records
// their indices. It returns how many events it sealed.
func (s *Service) sealBatch(ctx context.Context, c conn, appender *tessera.Appender) (int, error) {
	evs, err := unsealed(ctx, c, s.cfg.BatchSize)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	// Once sealed, an event must outlive a power cut: the log cannot drop it.
	if err := s.db.SyncWAL(); err != nil {
		return 0, fmt.Errorf("ledger: make events durable before sealing: %w", err)
	}
	futures := make([]tessera.IndexFuture, len(evs))
	for i, ev := range evs {
		e := EntryFor(ev)
		if e.PayloadSHA256 != ev.PayloadHash {
			s.log.WarnContext(ctx, "event payload does not match its payload_hash; sealing the payload as stored",
				"event", ev.ID, "payload_hash", ev.PayloadHash, "sealed_hash", e.PayloadSHA256)
		}
		futures[i] = appender.Add(ctx, tessera.NewEntry(e.Marshal()))
	}
	// Resolve every future, even after an error, so nothing is in flight
	// when reconcile next reads the log's tail.
	seqs, indices := make([]int64, len(evs)), make([]int64, len(evs))
	var firstErr error
	for i, f := range futures {
		idx, err := f()
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("ledger: append event %s: %w", evs[i].ID, err)
		}
		seqs[i], indices[i] = evs[i].Seq, int64(idx.Index)
	}
	if firstErr != nil {
		return 0, firstErr
	}
	if err := recordIndices(ctx, c, s.db.Dialect, seqs, indices); err != nil {
		return 0, err
	}
	return len(evs), nil
}

// reconcile records the indices of events that are in the log but not yet
// in the table: the tail appended just before a crash, or a table restored
// from a backup older than the log. Only then may new events be appended.
func (s *Service) reconcile(ctx context.Context, c conn, reader tessera.LogReader) error {
	size, err := reader.IntegratedSize(ctx)
	if err != nil {
		return fmt.Errorf("ledger: log size: %w", err)
	}
	var recorded sql.NullInt64
	if err := c.QueryRowContext(ctx, `SELECT max(ledger_index) FROM events`).Scan(&recorded); err != nil {
		return fmt.Errorf("ledger: highest recorded index: %w", err)
	}
	next := uint64(0)
	if recorded.Valid {
		next = uint64(recorded.Int64) + 1
	}
	if next > size {
		return fmt.Errorf("ledger: the events table records index %d but the log in %s holds only %d entries; "+
			"restore the log folder, it cannot be rebuilt", next-1, s.dir, size)
	}
	if next == size {
		return nil
	}
	ids := make(map[uint64]string, size-next)
	for b := next / layout.EntryBundleWidth; b*layout.EntryBundleWidth < size; b++ {
		bundle, err := client.GetEntryBundle(ctx, reader.ReadEntryBundle, b, size)
		if err != nil {
			return fmt.Errorf("ledger: read entry bundle %d: %w", b, err)
		}
		first := b * layout.EntryBundleWidth
		for i := max(next, first); i < min(size, first+layout.EntryBundleWidth); i++ {
			if i-first >= uint64(len(bundle.Entries)) {
				return fmt.Errorf("ledger: entry bundle %d is short of entry %d", b, i)
			}
			e, err := ParseEntry(bundle.Entries[i-first])
			if err != nil {
				return fmt.Errorf("ledger: entry %d: %w", i, err)
			}
			ids[i] = e.ID
		}
	}
	s.log.WarnContext(ctx, "ledger: recording entries appended before a stop", "from", next, "to", size-1)
	return s.recordByID(ctx, c, ids)
}

// unsealed returns up to limit events without a log index, oldest first.
func unsealed(ctx context.Context, q store.Querier, limit int) ([]store.Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, id, type, at, actor_user_id, actor_org_id, subject_kind, subject_id, payload, payload_hash
		FROM events WHERE ledger_index IS NULL ORDER BY seq LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("ledger: unsealed events: %w", err)
	}
	defer rows.Close()
	var evs []store.Event
	for rows.Next() {
		var ev store.Event
		var payload string
		if err := rows.Scan(&ev.Seq, &ev.ID, &ev.Type, store.ScanTime(&ev.At), &ev.ActorUserID, &ev.ActorOrgID,
			&ev.SubjectKind, &ev.SubjectID, &payload, &ev.PayloadHash); err != nil {
			return nil, fmt.Errorf("ledger: unsealed events: %w", err)
		}
		ev.Payload = []byte(payload)
		evs = append(evs, ev)
	}
	return evs, rows.Err()
}

// recordIndices stores each event's log index in one transaction. Every row
// must still be unsealed: anything else means a second sequencer ran.
func recordIndices(ctx context.Context, c conn, d store.Dialect, seqs, indices []int64) error {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: record indices: %w", err)
	}
	defer tx.Rollback()
	var n int64
	if d == store.Postgres {
		res, err := tx.ExecContext(ctx, `UPDATE events SET ledger_index = v.idx
			FROM unnest($1::bigint[], $2::bigint[]) AS v(seq, idx)
			WHERE events.seq = v.seq AND events.ledger_index IS NULL`, seqs, indices)
		if err != nil {
			return fmt.Errorf("ledger: record indices: %w", err)
		}
		n, _ = res.RowsAffected()
	} else {
		stmt, err := tx.PrepareContext(ctx, `UPDATE events SET ledger_index = $1 WHERE seq = $2 AND ledger_index IS NULL`)
		if err != nil {
			return fmt.Errorf("ledger: record indices: %w", err)
		}
		defer stmt.Close()
		for i := range seqs {
			res, err := stmt.ExecContext(ctx, indices[i], seqs[i])
			if err != nil {
				return fmt.Errorf("ledger: record index of seq %d: %w", seqs[i], err)
			}
			k, _ := res.RowsAffected()
			n += k
		}
	}
	if n != int64(len(seqs)) {
		return fmt.Errorf("ledger: recorded %d of %d indices: another sequencer is running", n, len(seqs))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: record indices: %w", err)
	}
	return nil
}

// recordByID stores the log indices of the events named in ids (index →
// event id). Entries whose event is missing or already recorded elsewhere
// are reported: they need an operator, and `ledger verify` names them.
func (s *Service) recordByID(ctx context.Context, c conn, ids map[uint64]string) error {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: reconcile: %w", err)
	}
	defer tx.Rollback()
	for idx, id := range ids {
		res, err := tx.ExecContext(ctx, `UPDATE events SET ledger_index = $1 WHERE id = $2 AND ledger_index IS NULL`, int64(idx), id)
		if err != nil {
			return fmt.Errorf("ledger: reconcile entry %d: %w", idx, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			s.log.ErrorContext(ctx, "ledger entry names an event that is missing or already sealed", "index", idx, "event", id)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: reconcile: %w", err)
	}
	return nil
}
