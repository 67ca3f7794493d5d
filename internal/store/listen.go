package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// EventsChannel is the PostgreSQL notification channel on which every
// transaction that wrote events announces its commit (the events table's
// trigger, migration 0029).
const EventsChannel = "dataport_events"

// ListenEvents calls wake each time a transaction that wrote events
// commits, in any process on the PostgreSQL database and schema at url
// (the notice names its schema; migration 0030), until ctx
// ends. It holds a connection of its own, LISTENing on EventsChannel; when
// that connection is lost it calls wake (a notice may have been missed)
// and connects again, backing off to 30 s. Those it wakes poll as well, so
// a notice missed only delays them to their next poll. On SQLite (an empty
// url), where one process owns the store and its own commits wake it, it
// returns at once.
func ListenEvents(ctx context.Context, url string, wake func(), log *slog.Logger) {
	if url == "" {
		return
	}
	backoff := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		err := listen(ctx, url, wake)
		if ctx.Err() != nil {
			return
		}
		wake()
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		log.WarnContext(ctx, "store: listening for committed events failed; polling meanwhile", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func listen(ctx context.Context, url string, wake func()) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+EventsChannel); err != nil {
		return err
	}
	wake() // what committed before LISTEN took effect
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload == schema || n.Payload == "" { // another schema's installation is not ours
			wake()
		}
	}
}
