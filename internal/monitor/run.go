package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dataport/internal/store"
)

// batchMax is how many queued observations are evaluated before the alerts
// they fired are written.
const batchMax = 1000

// run is the evaluating goroutine.
func (s *Service) run() {
	defer close(s.done)
	e := s.engine
	poll := time.NewTicker(s.cfg.EventPoll)
	defer poll.Stop()
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	e.ownTail(ctx) // settled before the first observation: whether to evaluate or relay it
	cancel()
	for {
		select {
		case it := <-s.queue:
			e.take(it)
			s.drain(batchMax - 1)
			e.writePending()
		case <-poll.C:
			e.pollEvents()
			e.writePending()
		case now := <-sweep.C:
			e.sweep(now)
		case <-s.stop:
			s.drain(cap(s.queue))
			e.writePending()
			e.tail.save(s.db, true)
			e.tail.release()
			return
		}
	}
}

// drain evaluates what is queued now, at most n items.
func (s *Service) drain(n int) {
	for range n {
		select {
		case it := <-s.queue:
			s.engine.take(it)
		default:
			return
		}
	}
}

// take evaluates one queued item; a flush request first writes what fired.
func (e *engine) take(it item) {
	if it.flushed != nil {
		e.pollEvents()
		e.writePending()
		close(it.flushed)
		return
	}
	e.accept(&it.obs)
}

// tailer follows the events table by seq for workflow events. Its cursor
// is kept in monitor_state so that a restart resumes where it stopped.
type tailer struct {
	owner   *store.SessionLock // held while this process is the replica that tails (ownTail)
	floor   int64              // the cursor at start: what is at or below it was handled before
	last    int64
	seen    map[int64]bool // seqs handled within the overlap
	savedAt time.Time
	saved   int64
}

// tailOverlap is how far below the cursor each poll looks again:
// PostgreSQL may commit a lower seq after a higher one (as access/watch.go).
// It never reaches below the cursor the monitor started from: a seq
// committed that late across a restart is not seen.
const tailOverlap = 256

const cursorName = "events_cursor"

func (t *tailer) init(ctx context.Context, db *store.DB) error {
	t.seen = map[int64]bool{}
	var v string
	err := db.QueryRowContext(ctx, `SELECT value FROM monitor_state WHERE name = $1`, cursorName).Scan(&v)
	if err == nil {
		t.last, err = strconv.ParseInt(v, 10, 64)
		t.saved = t.last
	} else if errors.Is(err, sql.ErrNoRows) {
		err = db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&t.last)
	}
	if err != nil {
		return fmt.Errorf("monitor: events cursor: %w", err)
	}
	t.floor = t.last
	return nil
}

// save writes the cursor when it moved, at most every second unless now,
// and only while this process tails: a replica taking the tail over
// resumes from it.
func (t *tailer) save(db *store.DB, now bool) {
	if t.owner == nil || t.last == t.saved || (!now && time.Since(t.savedAt) < time.Second) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := db.ExecContext(ctx, `INSERT INTO monitor_state (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, cursorName, strconv.FormatInt(t.last, 10), store.TS(time.Now()))
	if err == nil {
		t.saved, t.savedAt = t.last, time.Now()
	}
}

// tailLock names the lock of the replica that tails the events.
const tailLock = "monitor.events"

// ownTail reports whether this process tails the events. Of the replicas
// on one database one does, the holder of tailLock, so that a workflow
// event is counted and raises its alert once; when it dies another takes
// the lock over and resumes from the cursor it saved (events after that
// are evaluated again: at most a second's, adding hits to open alerts).
func (e *engine) ownTail(ctx context.Context) bool {
	t, db := &e.tail, e.s.db
	if t.owner != nil {
		if t.owner.Held(ctx) {
			return true
		}
		t.release()
		e.s.cfg.Log.Warn("monitor: the events tail's lock was lost with its connection; another replica may tail them now")
	}
	l, err := db.TryLock(ctx, tailLock)
	if err != nil {
		e.s.cfg.Log.Warn("monitor: events not read", "err", err)
	}
	if l == nil {
		return false
	}
	t.owner = l
	var v string
	err = db.QueryRowContext(ctx, `SELECT value FROM monitor_state WHERE name = $1`, cursorName).Scan(&v)
	if saved, perr := strconv.ParseInt(v, 10, 64); err == nil && perr == nil && saved > t.last {
		t.last, t.saved, t.floor = saved, saved, saved // another replica tailed up to there
	}
	return true
}

// release gives the tail's lock up.
func (t *tailer) release() {
	if t.owner != nil {
		t.owner.Release()
		t.owner = nil
	}
}

// observedElsewhere are event types the monitor observes through hooks, or
// writes itself: the tail skips them.
func observedElsewhere(typ string) bool {
	return typ == "access.decisions" || strings.HasPrefix(typ, "monitor.") || strings.HasPrefix(typ, "identity.signin.")
}

// pollEvents evaluates the event rules on the events committed since the
// last poll (only when an event rule is enabled; else the cursor moves on).
func (e *engine) pollEvents() {
	db := e.s.db
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.followRules(ctx)
	if !e.ownTail(ctx) {
		return
	}
	e.takeRelayed(ctx)
	var newest int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&newest); err != nil {
		e.s.cfg.Log.Warn("monitor: events not read", "err", err)
		return
	}
	if !e.hasEventRules() {
		e.tail.last = max(e.tail.last, newest)
		e.tail.save(db, false)
		return
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, id, type, at, actor_user_id, subject_kind, subject_id FROM events
		WHERE seq > $1 AND seq <= $2 ORDER BY seq`, max(e.tail.last-tailOverlap, e.tail.floor), newest)
	if err != nil {
		e.s.cfg.Log.Warn("monitor: events not read", "err", err)
		return
	}
	var obs []Observation
	var seqs []int64
	for rows.Next() {
		var seq int64
		o := Observation{Source: SourceEvent}
		if err := rows.Scan(&seq, &o.EventID, &o.EventType, store.ScanTime(&o.At), &o.ActorUserID, &o.SubjectKind, &o.SubjectID); err != nil {
			rows.Close()
			e.s.cfg.Log.Warn("monitor: events not read", "err", err)
			return
		}
		if e.tail.seen[seq] || observedElsewhere(o.EventType) {
			continue
		}
		o.UserID, o.Subject = o.ActorUserID, "anonymous"
		if o.ActorUserID != "" {
			o.Subject = "user:" + o.ActorUserID
		}
		obs, seqs = append(obs, o), append(seqs, seq)
	}
	rows.Close()
	for i := range obs {
		e.handle(&obs[i])
		e.tail.seen[seqs[i]] = true
	}
	e.tail.last = max(e.tail.last, newest)
	for seq := range e.tail.seen {
		if seq <= e.tail.last-tailOverlap {
			delete(e.tail.seen, seq)
		}
	}
	e.tail.save(db, false)
}

func (e *engine) hasEventRules() bool {
	for _, r := range *e.s.rules.Load() {
		if r.Source == SourceEvent {
			return true
		}
	}
	return false
}
