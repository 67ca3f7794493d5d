package monitor

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/store"
)

// Replicas on one database evaluate the rules in one place: the replica
// that tails the events (ownTail). The others relay the decisions and
// sign-ins they observe to it through monitor_inbox, so that a client
// spreading its requests or sign-in attempts over N replicas crosses a
// threshold as it would on one, and an alert rests on all of its evidence.
// The evaluating replica takes what was relayed at each events poll.
// A single process (SQLite, or one replica) always holds the tail and
// relays nothing.

// relayChunk is how many observations one INSERT carries.
const relayChunk = 500

// relayTake is how many relayed observations one poll evaluates at most
// per round; a poll takes rounds until the inbox is empty, up to relayRounds.
const (
	relayTake   = 2000
	relayRounds = 10
)

// accept evaluates o here, or relays it when another replica evaluates.
// Workflow events come from the tail itself and are never relayed. Only
// what some rule's condition holds for is relayed (most anonymous reads
// are not): the evaluating replica would skip the rest, and the rules are
// the same on every replica (followRules). It is enriched here, where the
// decision a rows report refers to was observed.
func (e *engine) accept(o *Observation) {
	if o.Source == SourceEvent || e.tail.owner != nil {
		e.handle(o)
		return
	}
	e.enrich(o)
	for _, r := range *e.s.rules.Load() {
		if r.applies(o) {
			e.relay = append(e.relay, *o)
			e.s.metrics.relayed.Inc()
			return
		}
	}
}

// writeRelay sends what accept relayed to monitor_inbox. What cannot be
// written is dropped and counted, as a full queue is.
func (e *engine) writeRelay() {
	if len(e.relay) == 0 {
		return
	}
	obs := e.relay
	e.relay = nil
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for chunk := range slices.Chunk(obs, relayChunk) {
		var q strings.Builder
		q.WriteString(`INSERT INTO monitor_inbox (at, body) VALUES `)
		args := make([]any, 0, 2*len(chunk))
		for i := range chunk {
			body, err := json.Marshal(&chunk[i])
			if err != nil { // cannot happen: plain fields only
				panic(err)
			}
			if i > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "($%d, $%d)", 2*i+1, 2*i+2)
			args = append(args, store.TS(chunk[i].At), string(body))
		}
		if _, err := e.s.db.ExecContext(ctx, q.String(), args...); err != nil {
			e.s.metrics.dropped.Add(float64(len(chunk)))
			e.s.cfg.Log.Warn("monitor: observations not relayed to the evaluating replica", "count", len(chunk), "err", err)
		}
	}
}

// followRules reads the rules again when they changed, on any replica:
// a rule is edited through one replica and must run on the one that
// evaluates, and filter what the others relay. The rules table is small,
// so each poll compares its count and latest change.
func (e *engine) followRules(ctx context.Context) {
	var n int64
	var latest sql.NullString
	if err := e.s.db.QueryRowContext(ctx, `SELECT count(*), max(updated_at) FROM monitor_rules`).Scan(&n, &latest); err != nil {
		e.s.cfg.Log.Warn("monitor: rules not checked for changes", "err", err)
		return
	}
	at := fmt.Sprint(n, " ", latest.String)
	if at == e.rulesAt {
		return
	}
	if err := e.s.reloadRules(ctx); err != nil {
		e.s.cfg.Log.Warn("monitor: rules not reloaded", "err", err)
		return
	}
	e.rulesAt = at
}

// takeRelayed evaluates, oldest first, what the other replicas relayed.
// Each row is deleted as it is read (one statement), so two replicas that
// both believed they evaluate could not count one observation twice.
func (e *engine) takeRelayed(ctx context.Context) {
	for range relayRounds {
		rows, err := e.s.db.QueryContext(ctx, `DELETE FROM monitor_inbox WHERE seq IN
			(SELECT seq FROM monitor_inbox ORDER BY seq LIMIT $1) RETURNING seq, body`, relayTake)
		if err != nil {
			e.s.cfg.Log.Warn("monitor: relayed observations not read", "err", err)
			return
		}
		type relayed struct {
			seq int64
			obs Observation
		}
		var got []relayed
		for rows.Next() {
			var r relayed
			var body string
			if err := rows.Scan(&r.seq, &body); err != nil {
				e.s.cfg.Log.Warn("monitor: relayed observations not read", "err", err)
				break
			}
			if err := json.Unmarshal([]byte(body), &r.obs); err != nil {
				e.s.cfg.Log.Warn("monitor: a relayed observation is unreadable", "seq", r.seq, "err", err)
				continue
			}
			got = append(got, r)
		}
		rows.Close()
		slices.SortFunc(got, func(a, b relayed) int { return cmp.Compare(a.seq, b.seq) })
		for i := range got {
			e.handle(&got[i].obs)
		}
		if len(got) < relayTake {
			return
		}
	}
}
