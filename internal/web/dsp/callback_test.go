package dsp_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/dsp"
	"dataport/internal/web/dsp/dsptest"
)

// outboxRow is a callback as the outbox keeps it.
type outboxRow struct {
	status    string
	attempts  int
	lastError string
}

// outboxOf reads the callbacks queued for negotiation pid, oldest first.
func outboxOf(t *testing.T, db *store.DB, pid string) []outboxRow {
	t.Helper()
	rows, err := db.Query(`SELECT status, attempts, last_error FROM dsp_outbox WHERE process_id = $1 ORDER BY seq`, pid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.status, &r.attempts, &r.lastError); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// waitOutbox polls until the first callback of pid satisfies ok.
func waitOutbox(t *testing.T, db *store.DB, pid string, ok func(outboxRow) bool) outboxRow {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows := outboxOf(t, db, pid)
		if len(rows) > 0 && ok(rows[0]) {
			return rows[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("callback of %s: %+v", pid, rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCallbacksRetryAndGiveUp: a callback the consumer cannot take now
// (503) is tried again after its backoff until it is taken; one it
// refuses (400) is given up at once, and one never taken is given up
// after its last attempt, each with its event; none is sent again.
func TestCallbacksRetryAndGiveUp(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, dsp.Config{InsecureCallbacks: true, Attempts: 3})
		c := dsptest.NewConsumer(t, w.srv.URL, w.token(t, w.w.CompanyAdmin), "schemas")
		c.Discover()
		dataset := c.Catalog()[0].(dsptest.Message)
		var answer atomic.Int64
		var calls atomic.Int64
		c.Refuse(func(path string) int {
			calls.Add(1)
			return int(answer.Load())
		})

		answer.Store(http.StatusServiceUnavailable)
		cpid, status, ack := c.RequestOffer(dataset)
		if status != http.StatusCreated {
			t.Fatalf("request: %d %v", status, ack)
		}
		ppid := ack["providerPid"].(string)
		r := waitOutbox(t, db, ppid, func(r outboxRow) bool { return r.attempts == 1 })
		if r.status != "pending" || !strings.Contains(r.lastError, "503") {
			t.Errorf("after a 503: %+v, want pending with the reason", r)
		}
		if n, err := w.dsp.Deliver(ctx, time.Now()); n != 0 || err != nil { // not yet due (backoff 1 s)
			t.Errorf("Deliver before the backoff: %d %v", n, err)
		}
		answer.Store(0)
		if n, err := w.dsp.Deliver(ctx, time.Now().Add(2*time.Second)); n != 1 || err != nil {
			t.Errorf("Deliver after the backoff: %d %v, want 1", n, err)
		}
		if got := c.Await("negotiations/" + cpid + "/agreement"); got["providerPid"] != ppid {
			t.Errorf("agreement %v", got)
		}
		if r := outboxOf(t, db, ppid)[0]; r.status != "sent" || r.attempts != 2 {
			t.Errorf("after delivery: %+v, want sent after 2 attempts", r)
		}

		answer.Store(http.StatusBadRequest)
		_, _, ack = c.RequestOffer(dataset)
		refused := ack["providerPid"].(string)
		if r := waitOutbox(t, db, refused, func(r outboxRow) bool { return r.status != "pending" }); r.status != "failed" || r.attempts != 1 {
			t.Errorf("after a 400: %+v, want failed after 1 attempt", r)
		}

		answer.Store(http.StatusBadGateway)
		_, _, ack = c.RequestOffer(dataset)
		unreachable := ack["providerPid"].(string)
		waitOutbox(t, db, unreachable, func(r outboxRow) bool { return r.attempts == 1 })
		for i := 1; i <= 3; i++ {
			w.dsp.Deliver(ctx, time.Now().Add(time.Duration(i)*time.Minute))
		}
		if r := outboxOf(t, db, unreachable)[0]; r.status != "failed" || r.attempts != 3 || !strings.Contains(r.lastError, "502") {
			t.Errorf("after every attempt failed: %+v, want failed after 3", r)
		}
		before := calls.Load()
		w.dsp.Deliver(ctx, time.Now().Add(time.Hour))
		if calls.Load() != before {
			t.Errorf("a given-up callback was sent again")
		}
		failed, err := db.Events(ctx, store.EventFilter{Type: "dsp.callback.failed"})
		if err != nil || len(failed) != 2 {
			t.Errorf("dsp.callback.failed events: %d %v, want 2", len(failed), err)
		}
	})
}
