package dsp

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"dataport/internal/exchange/trade"
	"dataport/internal/store"
)

// outMessage is a callback to queue: a message of schema s to url about
// one process. withAddress marks a transfer start whose data address is
// issued when it is sent.
type outMessage struct {
	kind, processID string
	schema          Schema
	url             string
	body            any
	withAddress     bool
}

// Outbox statuses.
const (
	outPending = "pending" // waiting for its first or next attempt
	outSent    = "sent"
	outFailed  = "failed" // given up: refused by the consumer, stale, or out of attempts; last_error says why
)

// queue validates m and writes it into the outbox in tx; once tx commits
// the sender is woken for its process. A message that breaks its schema
// is an error: it is never queued, and the change it reports is undone.
func (h *Handler) queue(ctx context.Context, tx *store.Tx, m outMessage) error {
	body, err := encode(m.schema, m.body)
	if err != nil {
		return fmt.Errorf("dsp: the callback %s for %s fails its schema: %w", m.schema, m.processID, err)
	}
	now := store.TS(tx.Now())
	with := 0
	if m.withAddress {
		with = 1
	}
	// Queued claimed by this server, which sends it after commit; should
	// it stop first, the claim runs out and any server's sweep sends it.
	_, err = tx.ExecContext(ctx, `INSERT INTO dsp_outbox (id, process_kind, process_id, message_type, url, body, with_address,
		status, next_attempt_at, claimed_until, claimed_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9)`,
		store.NewID(), m.kind, m.processID, string(m.schema), m.url, string(body), with, outPending, now,
		store.TS(tx.Now().Add(claimTime)), h.out.owner)
	if err != nil {
		return fmt.Errorf("dsp: queue callback: %w", err)
	}
	tx.AfterCommit(func() { h.out.kick(m.processID) })
	return nil
}

// dispatcher sends the outbox: in order per process, one sender per
// process in this server and a claim on the row against other servers, a
// failed message holding back the later ones of its process.
type dispatcher struct {
	h       *Handler
	owner   string // this server's claims
	client  *http.Client
	kicks   chan string
	marks   chan sentMark // to the group committer, once started
	started atomic.Bool
	wg      sync.WaitGroup
	slots   chan struct{} // dbSlots

	mu      sync.Mutex
	running map[string]bool // process → woken again while being sent
}

func newDispatcher(h *Handler) *dispatcher {
	return &dispatcher{h: h, owner: store.NewID(), client: callbackClient(h.cfg.InsecureCallbacks, h.cfg.Timeout),
		kicks: make(chan string, 4096), marks: make(chan sentMark), slots: make(chan struct{}, dbSlots), running: map[string]bool{}}
}

func (d *dispatcher) start(ctx context.Context) {
	d.started.Store(true)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.commitMarks(ctx)
	}()
	for range d.h.cfg.Workers {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case pid := <-d.kicks:
					d.process(ctx, pid, time.Now)
				}
			}
		}()
	}
	d.wg.Add(1)
	go func() { // what was queued before this start
		defer d.wg.Done()
		if _, err := d.sweep(ctx, time.Now()); err != nil && ctx.Err() == nil {
			d.h.log.ErrorContext(ctx, "dsp: callbacks queued before the start", "err", err)
		}
	}()
}

func (d *dispatcher) wait() { d.wg.Wait() }

// kick wakes a sender for process pid; when none runs or all are busy
// the periodic sweep sends its messages instead.
func (d *dispatcher) kick(pid string) {
	if !d.started.Load() {
		return
	}
	select {
	case d.kicks <- pid:
	default:
	}
}

// sweep sends the messages of every process that are due at now,
// Workers processes at a time, and returns how many were sent.
func (d *dispatcher) sweep(ctx context.Context, now time.Time) (int, error) {
	clock := func() time.Time { return now }
	pidList, err := store.Strings(ctx, d.h.db, `SELECT DISTINCT process_id FROM dsp_outbox
		WHERE status = $1 AND next_attempt_at <= $2 LIMIT 1000`, outPending, store.TS(now))
	if err != nil {
		return 0, err
	}
	var sent atomic.Int64
	sem := make(chan struct{}, d.h.cfg.Workers)
	var wg sync.WaitGroup
	for _, pid := range pidList {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			sent.Add(int64(d.process(ctx, pid, clock)))
		}()
	}
	wg.Wait()
	return int(sent.Load()), ctx.Err()
}

// process sends the messages of one process that are due at clock's
// time, in order. A second call while one runs makes the running one look
// again instead.
func (d *dispatcher) process(ctx context.Context, pid string, clock func() time.Time) int {
	d.mu.Lock()
	if _, busy := d.running[pid]; busy {
		d.running[pid] = true
		d.mu.Unlock()
		return 0
	}
	d.running[pid] = false
	d.mu.Unlock()
	sent := 0
	for {
		sent += d.drain(ctx, pid, clock)
		d.mu.Lock()
		if !d.running[pid] {
			delete(d.running, pid)
			d.mu.Unlock()
			return sent
		}
		d.running[pid] = false
		d.mu.Unlock()
	}
}

// outRow is a queued message as stored.
type outRow struct {
	id, kind, processID, schema, url, body string
	withAddress                            bool
	attempts                               int
}

// drain sends the process's pending messages, oldest first, until none is
// due or one is not delivered.
func (d *dispatcher) drain(ctx context.Context, pid string, clock func() time.Time) int {
	sent := 0
	for ctx.Err() == nil {
		now := clock()
		m, ok, err := d.claimNext(ctx, pid, now)
		if err != nil {
			if ctx.Err() == nil {
				d.h.log.ErrorContext(ctx, "dsp: read the callback outbox", "process", pid, "err", err)
			}
			return sent
		}
		if !ok {
			return sent
		}
		switch d.deliver(ctx, m, now) {
		case outSent:
			sent++
		case outPending:
			return sent
		}
	}
	return sent
}

// claimTime is how long a claimed message is left to its sender.
const claimTime = time.Minute

// claimNext returns the process's oldest pending message when it is due
// at now and this server may send it: claimed by this server (as queued),
// or claimed now because no claim holds it. Only the second writes.
func (d *dispatcher) claimNext(ctx context.Context, pid string, now time.Time) (outRow, bool, error) {
	var m outRow
	var with int
	var due, claimed time.Time
	var owner string
	err := d.withDB(func() error {
		return d.h.db.QueryRowContext(ctx, `SELECT id, process_kind, process_id, message_type, url, body, with_address, attempts,
			next_attempt_at, claimed_until, claimed_by FROM dsp_outbox WHERE process_id = $1 AND status = $2 ORDER BY seq LIMIT 1`, pid, outPending).
			Scan(&m.id, &m.kind, &m.processID, &m.schema, &m.url, &m.body, &with, &m.attempts, store.ScanTime(&due), store.ScanTime(&claimed), &owner)
	})
	m.withAddress = with == 1
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return m, false, nil
	case err != nil:
		return m, false, err
	case due.After(now):
		return m, false, nil
	case claimed.After(now):
		return m, owner == d.owner, nil
	}
	var n int64
	err = d.withDB(func() error {
		res, err := d.h.db.ExecContext(ctx, `UPDATE dsp_outbox SET claimed_until = $1, claimed_by = $2
			WHERE id = $3 AND status = $4 AND (claimed_until IS NULL OR claimed_until < $5)`,
			store.TS(now.Add(claimTime)), d.owner, m.id, outPending, store.TS(now))
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return m, n == 1, err
}

// dbSlots is how many senders use the database at once. Senders wait
// on the network far longer than on the database; more of them writing
// at once only queue for SQLite's one writer, each holding a pooled
// connection that a transaction in progress may need.
const dbSlots = 2

// withDB runs fn, a use of the database, in one of the dbSlots.
func (d *dispatcher) withDB(fn func() error) error {
	d.slots <- struct{}{}
	defer func() { <-d.slots }()
	return fn()
}

// deliver sends one claimed message and records the outcome: outSent or
// outFailed (given up) when it is done with, so that the next one of its
// process may go, or outPending when it waits (for its next attempt, or
// because the outcome could not be recorded).
func (d *dispatcher) deliver(ctx context.Context, m outRow, now time.Time) string {
	body, err := d.body(ctx, m)
	if err != nil {
		var stale *staleError
		if errors.As(err, &stale) {
			return d.giveUp(ctx, m, err.Error())
		}
		return d.retry(ctx, m, now, err)
	}
	status, err := d.post(ctx, m.url, body)
	switch {
	case err == nil && status/100 == 2:
		return d.sent(ctx, m)
	case err == nil && status/100 == 4 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
		return d.giveUp(ctx, m, fmt.Sprintf("the consumer refused the message: HTTP %d", status))
	case err == nil:
		err = fmt.Errorf("the consumer answered HTTP %d", status)
	}
	return d.retry(ctx, m, now, err)
}

// staleError is a message that can no longer be sent as queued.
type staleError struct{ reason string }

func (e *staleError) Error() string { return e.reason }

// body is the message to send, validated again: as stored, or for a
// transfer start with a data address issued now (its secret lives only in
// this body, in memory).
func (d *dispatcher) body(ctx context.Context, m outRow) ([]byte, error) {
	schema := Schema(m.schema)
	if !m.withAddress {
		if err := Validate(schema, []byte(m.body)); err != nil {
			return nil, &staleError{reason: "the stored message fails its schema: " + err.Error()}
		}
		return []byte(m.body), nil
	}
	var start TransferStartMessage
	if err := json.Unmarshal([]byte(m.body), &start); err != nil {
		return nil, &staleError{reason: "the stored message cannot be read: " + err.Error()}
	}
	var addr trade.DataAddress
	err := d.withDB(func() (err error) {
		addr, err = d.h.tr.DataAddress(ctx, m.processID)
		return err
	})
	if isNotFound(err) || errors.Is(err, store.ErrConflict) {
		return nil, &staleError{reason: "the transfer is no longer started: no data address is issued"}
	} else if err != nil {
		return nil, err
	}
	start.DataAddress = dataAddress(addr)
	body, err := encode(schema, start)
	if err != nil {
		return nil, &staleError{reason: "the message fails its schema: " + err.Error()}
	}
	return body, nil
}

// post sends body to url and returns the answer's status.
func (d *dispatcher) post(ctx context.Context, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// sent records a delivered message, with its event: through the group
// committer once started (one transaction for the messages delivered
// meanwhile), else on its own.
func (d *dispatcher) sent(ctx context.Context, m outRow) string {
	var err error
	if d.started.Load() {
		mark := sentMark{m: m, done: make(chan error, 1)}
		select {
		case d.marks <- mark:
			select {
			case err = <-mark.done:
			case <-ctx.Done():
				err = ctx.Err()
			}
		case <-ctx.Done():
			err = ctx.Err()
		}
	} else {
		err = d.transact(ctx, func(tx *store.Tx) error { return d.markSent(ctx, tx, m) })
	}
	if err != nil {
		if ctx.Err() == nil {
			d.h.log.ErrorContext(ctx, "dsp: record a sent callback", "process", m.processID, "err", err)
		}
		return outPending
	}
	return outSent
}

// sentMark is a delivered message waiting for the group committer.
type sentMark struct {
	m    outRow
	done chan error
}

// markSent records m as sent in tx, with its event.
func (d *dispatcher) markSent(ctx context.Context, tx *store.Tx, m outRow) error {
	if _, err := tx.ExecContext(ctx, `UPDATE dsp_outbox SET status = $1, attempts = attempts + 1, sent_at = $2, claimed_until = NULL,
		last_error = '' WHERE id = $3`, outSent, store.TS(tx.Now()), m.id); err != nil {
		return err
	}
	return d.emit(ctx, tx, "dsp.callback.sent", m, m.attempts+1)
}

// maxMarks is how many sent messages one transaction records at most.
const maxMarks = 64

// commitMarks records delivered messages until ctx ends: each
// transaction takes every mark waiting, so that under load many callbacks
// cost one write transaction, and alone one costs no wait.
func (d *dispatcher) commitMarks(ctx context.Context) {
	for {
		var batch []sentMark
		select {
		case <-ctx.Done():
			return
		case first := <-d.marks:
			batch = append(batch, first)
		}
	more:
		for len(batch) < maxMarks {
			select {
			case next := <-d.marks:
				batch = append(batch, next)
			default:
				break more
			}
		}
		err := d.transact(ctx, func(tx *store.Tx) error {
			for _, b := range batch {
				if err := d.markSent(ctx, tx, b.m); err != nil {
					return err
				}
			}
			return nil
		})
		for _, b := range batch {
			b.done <- err
		}
	}
}

// retry schedules the message's next attempt after a growing backoff, or
// gives it up after its last.
func (d *dispatcher) retry(ctx context.Context, m outRow, now time.Time, why error) string {
	attempts := m.attempts + 1
	if attempts >= d.h.cfg.Attempts {
		return d.giveUp(ctx, m, why.Error())
	}
	next := now.Add(backoff(attempts))
	err := d.withDB(func() error {
		_, err := d.h.db.ExecContext(ctx, `UPDATE dsp_outbox SET attempts = $1, next_attempt_at = $2, claimed_until = NULL, claimed_by = '',
			last_error = $3 WHERE id = $4`, attempts, store.TS(next), trimError(why.Error()), m.id)
		return err
	})
	if err != nil && ctx.Err() == nil {
		d.h.log.ErrorContext(ctx, "dsp: schedule a callback's next attempt", "process", m.processID, "err", err)
	}
	return outPending
}

// giveUp records a message as failed, with its event, and logs it: the
// consumer did not hear of the change.
func (d *dispatcher) giveUp(ctx context.Context, m outRow, why string) string {
	d.h.log.WarnContext(ctx, "dsp: a callback is given up", "process", m.processID, "message", m.schema, "attempts", m.attempts+1, "why", why)
	err := d.transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE dsp_outbox SET status = $1, attempts = attempts + 1, claimed_until = NULL, claimed_by = '', last_error = $2
			WHERE id = $3`, outFailed, trimError(why), m.id); err != nil {
			return err
		}
		return d.emit(ctx, tx, "dsp.callback.failed", m, m.attempts+1)
	})
	if err != nil {
		d.h.log.ErrorContext(ctx, "dsp: record a failed callback", "process", m.processID, "err", err)
		return outPending
	}
	return outFailed
}

// transact runs fn in a transaction, in one of the dbSlots.
func (d *dispatcher) transact(ctx context.Context, fn func(tx *store.Tx) error) error {
	return d.withDB(func() error { return d.h.db.Transact(ctx, fn) })
}

// emit writes a callback's event: ids and hashes only (the stored body,
// which never holds a secret, and the address it went to).
func (d *dispatcher) emit(ctx context.Context, tx *store.Tx, typ string, m outRow, attempts int) error {
	return tx.Emit(ctx, store.Event{Type: typ, SubjectKind: "dsp_callback", SubjectID: m.id}, map[string]any{
		"process_kind": m.kind, "process_id": m.processID, "schema": m.schema, "attempts": attempts,
		"body_sha256": store.SHA256Hex(m.body), "url_sha256": store.SHA256Hex(m.url)})
}

// backoff is the wait after the nth failed attempt: 1, 2, 4 … seconds,
// at most 10 minutes.
func backoff(n int) time.Duration {
	if n > 10 {
		return 10 * time.Minute
	}
	return min(time.Second<<(n-1), 10*time.Minute)
}

func trimError(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

// callbackClient is the HTTP client of callbacks: no proxy, no redirects
// (a 3xx is not a delivery), and unless insecure, connections to public
// addresses only, checked on the address actually dialled (after DNS).
func callbackClient(insecure bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !insecure {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip, err := netip.ParseAddr(host); err != nil || !publicAddr(ip) {
				return fmt.Errorf("dsp: callback address %s is not on a public network", host)
			}
			return nil
		}
	}
	transport := &http.Transport{DialContext: dialer.DialContext, ForceAttemptHTTP2: true, MaxIdleConns: 256,
		MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 5 * time.Second}
	return &http.Client{Transport: transport, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// cgnat is the carrier-grade NAT range (RFC 6598), private in practice.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// publicAddr says whether ip is on a public network.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() && !ip.IsLinkLocalMulticast() &&
		!ip.IsInterfaceLocalMulticast() && !ip.IsMulticast() && !ip.IsUnspecified() && !cgnat.Contains(ip)
}
