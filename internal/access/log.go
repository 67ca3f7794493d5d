package access

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dataport/internal/store"
)

// The decision log records every decision, allow and deny, as a row of
// access_decisions. Rows are written in batches by one goroutine: each
// batch is one transaction holding its rows, the usage counters they move,
// and one "access.decisions" event whose payload carries the SHA-256 of the
// batch's record hashes, so the ledger seals every decision without one log
// entry per read. Readers never wait on SQLite's single writer; the price is
// that a crash loses at most the last FlushInterval of records (a clean
// shutdown loses none). If the store cannot keep up, the queue fills and
// Decide waits (or fails with its context): decisions are never dropped and
// data is never served unrecorded past that bound.

// record is one logged decision. It carries identifiers only: no client
// address (personal information) and no API key secret.
type record struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	UserID     string    `json:"user_id,omitempty"`
	KeyID      string    `json:"key_id,omitempty"`
	ResourceID string    `json:"resource_id"`
	Action     Action    `json:"action"`
	Purpose    string    `json:"purpose,omitempty"`
	Path       string    `json:"path,omitempty"`
	Allow      bool      `json:"allow"`
	Reason     string    `json:"reason"`
	GrantID    string    `json:"grant_id,omitempty"`

	callCounted bool // the grant's usage counted the call at the decision (Decision.callCounted)
}

func (r record) hash() string {
	b, _ := json.Marshal(r)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// logItem is a record, a rows-served count, or a flush request.
type logItem struct {
	rec     *record
	grantID string // with rows: rows served under a grant
	rows    int64
	flushed chan error
	// info, when observers are registered (OnLogged): what they are told
	// of the decision rec, or, without rec, of the decision served rows
	// were served under (served of them).
	info   *loggedInfo
	served int64
}

// LogConfig tunes the decision log.
type LogConfig struct {
	FlushInterval time.Duration // longest a record waits (default 50 ms)
	BatchSize     int           // records per transaction at most (default 1000)
	QueueSize     int           // records waiting at most before Decide waits (default 65536)
	Sync          bool          // write each decision in its own transaction before Decide returns
}

type decisionLog struct {
	db    *store.DB
	cfg   LogConfig
	log   *slog.Logger
	ch    chan logItem
	done  chan struct{}
	once  sync.Once
	stmts statements

	observers *loggedObservers // told of committed batches (observe_logged.go), set by New

	failedWrites, lostRecords atomic.Int64 // for LogStats (log_stats.go)
}

func newDecisionLog(db *store.DB, cfg LogConfig, log *slog.Logger) *decisionLog {
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 50 * time.Millisecond
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 65536
	}
	l := &decisionLog{db: db, cfg: cfg, log: log, ch: make(chan logItem, cfg.QueueSize), done: make(chan struct{})}
	go l.run()
	return l
}

// add queues rec, or with Sync writes it at once.
func (l *decisionLog) add(ctx context.Context, rec record, info *loggedInfo) error {
	if l.cfg.Sync {
		return l.write(ctx, []logItem{{rec: &rec, info: info}})
	}
	select {
	case l.ch <- logItem{rec: &rec, info: info}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("access: decision log is full: %w", ctx.Err())
	}
}

// addRows queues n rows served under grantID (and, with info, for the
// observers, under that decision).
func (l *decisionLog) addRows(ctx context.Context, grantID string, n int64, info *loggedInfo) error {
	item := logItem{grantID: grantID, rows: n, info: info, served: n}
	if l.cfg.Sync {
		return l.write(ctx, []logItem{item})
	}
	select {
	case l.ch <- item:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// addObserved queues, for the observers only, n rows served under the
// decision info describes — also when the request's context has ended,
// waiting at most settleTimeout for room in the queue.
func (l *decisionLog) addObserved(ctx context.Context, info *loggedInfo, n int64) {
	item := logItem{info: info, served: n}
	if l.cfg.Sync {
		l.write(context.WithoutCancel(ctx), []logItem{item})
		return
	}
	select {
	case l.ch <- item:
		return
	default: // the queue is full: wait for room, as a decision would
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	select {
	case l.ch <- item:
	case <-ctx.Done():
	}
}

// flush waits until everything queued before it is written.
func (l *decisionLog) flush(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case l.ch <- logItem{flushed: done}:
	case <-ctx.Done():
		return ctx.Err()
	case <-l.done:
		return nil
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close writes what is queued, stops the writer and releases its statements.
func (l *decisionLog) close() {
	l.once.Do(func() { close(l.ch) })
	<-l.done
	for _, st := range []*sql.Stmt{l.stmts.many, l.stmts.one} {
		if st != nil {
			st.Close()
		}
	}
}

func (l *decisionLog) run() {
	defer close(l.done)
	tick := time.NewTicker(l.cfg.FlushInterval)
	defer tick.Stop()
	var batch []logItem
	var waiters []chan error
	write := func() {
		var err error
		if len(batch) > 0 {
			err = l.writeRetrying(batch)
		}
		for _, w := range waiters {
			w <- err
		}
		batch, waiters = batch[:0], waiters[:0]
	}
	for {
		select {
		case it, ok := <-l.ch:
			if !ok {
				write()
				return
			}
			if it.flushed != nil {
				waiters = append(waiters, it.flushed)
				write()
				continue
			}
			batch = append(batch, it)
			if len(batch) >= l.cfg.BatchSize {
				write()
			}
		case <-tick.C:
			write()
		}
	}
}

// writeRetrying writes batch, retrying while the store refuses it: the
// records must not be lost, and the full queue holds readers back meanwhile.
func (l *decisionLog) writeRetrying(batch []logItem) error {
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := l.write(ctx, batch)
		cancel()
		if err != nil {
			l.failedWrites.Add(1)
		}
		if err == nil || attempt == 20 {
			if err != nil {
				l.lostRecords.Add(int64(countRecords(batch)))
				l.log.Error("decision log: batch lost after retries", "records", len(batch), "err", err)
			}
			return err
		}
		l.log.Warn("decision log: write failed; retrying", "attempt", attempt, "err", err)
		time.Sleep(backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
}

// usageDelta is what one batch adds to a grant's usage.
type usageDelta struct {
	calls, rows, denied int64
	last                time.Time
}

// write stores one batch in one transaction.
func (l *decisionLog) write(ctx context.Context, batch []logItem) error {
	recs := make([]record, 0, len(batch))
	usage := map[string]*usageDelta{}
	delta := func(id string) *usageDelta {
		if usage[id] == nil {
			usage[id] = &usageDelta{}
		}
		return usage[id]
	}
	for _, it := range batch {
		switch {
		case it.rec != nil:
			recs = append(recs, *it.rec)
			if g := it.rec.GrantID; g != "" {
				d := delta(g)
				if it.rec.Allow {
					if !it.rec.callCounted {
						d.calls++
					}
					d.last = it.rec.At
				} else {
					d.denied++
				}
			}
		case it.rows > 0 && it.grantID != "":
			delta(it.grantID).rows += it.rows
		}
	}
	if len(recs) == 0 && len(usage) == 0 { // rows served for the observers only
		l.observers.tell(batch, "")
		return nil
	}
	var eventID string
	err := l.db.Transact(ctx, func(tx *store.Tx) error {
		batchID, err := l.insertRecords(ctx, tx, recs)
		if err != nil {
			return err
		}
		if batchID != "" && l.observers.any.Load() {
			if eventID, err = batchEventID(ctx, tx, batchID); err != nil {
				return fmt.Errorf("access: decision log: %w", err)
			}
		}
		return updateUsage(ctx, tx, usage)
	})
	if err == nil && l.observers.any.Load() {
		l.observers.tell(batch, eventID)
	}
	return err
}

// updateUsage adds a batch's usage to the grants' counters in one statement
// per 200 grants (one UPDATE … FROM (VALUES …) rather than one per grant).
func updateUsage(ctx context.Context, tx *store.Tx, usage map[string]*usageDelta) error {
	ids := make([]string, 0, len(usage))
	for id := range usage {
		ids = append(ids, id)
	}
	slices.Sort(ids) // a stable lock order between concurrent writers
	cast := func(ph, typ string) string {
		if tx.Dialect == store.Postgres {
			return "CAST(" + ph + " AS " + typ + ")"
		}
		return ph
	}
	for start := 0; start < len(ids); start += 200 {
		chunk := ids[start:min(start+200, len(ids))]
		rows := make([]string, len(chunk))
		args := make([]any, 0, 5*len(chunk))
		for i, id := range chunk {
			d, n := usage[id], 5*i
			ph := func(k int) string {
				if tx.Dialect == store.Postgres {
					return fmt.Sprintf("$%d", n+k)
				}
				return "?" // see insertSQL
			}
			rows[i] = fmt.Sprintf("(%s, %s, %s, %s, %s)", ph(1), cast(ph(2), "BIGINT"), cast(ph(3), "BIGINT"),
				cast(ph(4), "BIGINT"), cast(ph(5), "TIMESTAMPTZ"))
			args = append(args, id, d.calls, d.rows, d.denied, store.NullTS(d.last))
		}
		_, err := tx.ExecContext(ctx, `UPDATE grant_usage SET calls = grant_usage.calls + v.column2,
			rows_served = grant_usage.rows_served + v.column3, denied = grant_usage.denied + v.column4,
			last_used_at = COALESCE(v.column5, grant_usage.last_used_at)
			FROM (VALUES `+strings.Join(rows, ", ")+`) AS v WHERE grant_usage.grant_id = v.column1`, args...)
		if err != nil {
			return fmt.Errorf("access: usage: %w", err)
		}
	}
	return nil
}

// recordCols is the column count of access_decisions rows, chunk the rows
// per INSERT statement.
const (
	recordCols = 13
	chunk      = 100
)

// insertSQL returns the INSERT of n decision rows. SQLite gets anonymous
// "?" placeholders: the driver looks each "$N" name up in a list, which
// makes binding 1,300 numbered parameters quadratic.
func insertSQL(n int, d store.Dialect) string {
	rows := make([]string, n)
	for i := range rows {
		ph := make([]string, recordCols)
		for j := range ph {
			ph[j] = "?"
			if d == store.Postgres {
				ph[j] = fmt.Sprintf("$%d", i*recordCols+j+1)
			}
		}
		rows[i] = "(" + strings.Join(ph, ",") + ")"
	}
	return `INSERT INTO access_decisions (id, batch_id, at, user_id, key_id, resource_id, action,
		purpose, path, allow, reason, grant_id, record_hash) VALUES ` + strings.Join(rows, ",")
}

// statements are the log's INSERTs, prepared once: parsing a 1,300-parameter
// statement per batch cost more than executing it.
type statements struct {
	once      sync.Once
	err       error
	many, one *sql.Stmt
}

func (st *statements) prepare(ctx context.Context, db *store.DB) error {
	st.once.Do(func() {
		if st.many, st.err = db.PrepareContext(ctx, insertSQL(chunk, db.Dialect)); st.err == nil {
			st.one, st.err = db.PrepareContext(ctx, insertSQL(1, db.Dialect))
		}
	})
	return st.err
}

// insertRecords writes recs and the batch's event; it returns the batch's
// id ("" without records).
func (l *decisionLog) insertRecords(ctx context.Context, tx *store.Tx, recs []record) (string, error) {
	if len(recs) == 0 {
		return "", nil
	}
	if err := l.stmts.prepare(ctx, l.db); err != nil {
		return "", fmt.Errorf("access: decision log: %w", err)
	}
	batchID := store.NewID()
	hashes := make([]string, len(recs))
	allowed := 0
	args := make([]any, 0, chunk*recordCols)
	for start := 0; start < len(recs); start += chunk {
		part := recs[start:min(start+chunk, len(recs))]
		args = args[:0]
		for i, r := range part {
			hashes[start+i] = r.hash()
			if r.Allow {
				allowed++
			}
			args = append(args, r.ID, batchID, store.TS(r.At), r.UserID, r.KeyID, r.ResourceID, string(r.Action),
				r.Purpose, r.Path, r.Allow, r.Reason, r.GrantID, hashes[start+i])
		}
		if err := l.insertChunk(ctx, tx, len(part), args); err != nil {
			return "", fmt.Errorf("access: decision log: %w", err)
		}
	}
	root := sha256.Sum256([]byte(strings.Join(hashes, "\n")))
	return batchID, tx.Emit(ctx, store.Event{Type: "access.decisions", SubjectKind: "decision_batch", SubjectID: batchID},
		map[string]any{"count": len(recs), "allowed": allowed, "denied": len(recs) - allowed,
			"first_id": recs[0].ID, "last_id": recs[len(recs)-1].ID, "records_sha256": hex.EncodeToString(root[:])})
}

// insertChunk writes n rows whose arguments are args, with the prepared
// statements: one for a full chunk, else one per row.
func (l *decisionLog) insertChunk(ctx context.Context, tx *store.Tx, n int, args []any) error {
	if n == chunk {
		_, err := tx.StmtContext(ctx, l.stmts.many).ExecContext(ctx, args...)
		return err
	}
	one := tx.StmtContext(ctx, l.stmts.one)
	for i := range n {
		if _, err := one.ExecContext(ctx, args[i*recordCols:(i+1)*recordCols]...); err != nil {
			return err
		}
	}
	return nil
}
