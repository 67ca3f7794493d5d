package engage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
)

// Follow makes p a follower of a published resource: told (in the platform
// and by e-mail) when a new data version is served or the resource is
// revised or retired. Following twice is no change.
func (s *Service) Follow(ctx context.Context, p identity.Principal, resourceID string) error {
	r, err := s.published(ctx, p, resourceID)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO follows (resource_id, user_id, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (resource_id, user_id) DO NOTHING`, r.ID, p.UserID, store.TS(tx.Now()))
		if err != nil {
			return fmt.Errorf("engage: follow: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return tx.Emit(ctx, event("engage.followed", p, r), nil)
	})
}

// Unfollow stops p following a resource; not following it is no change.
func (s *Service) Unfollow(ctx context.Context, p identity.Principal, resourceID string) error {
	if p.IsAnonymous() {
		return identity.ErrUnauthenticated
	}
	r, err := s.cat.Get(ctx, p, resourceID)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM follows WHERE resource_id = $1 AND user_id = $2`, r.ID, p.UserID)
		if err != nil {
			return fmt.Errorf("engage: unfollow: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return tx.Emit(ctx, event("engage.unfollowed", p, r), nil)
	})
}

// Following says whether p follows resourceID, and how many do.
func (s *Service) Following(ctx context.Context, p identity.Principal, resourceID string) (mine bool, followers int, err error) {
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(CASE WHEN user_id = $2 THEN 1 ELSE 0 END), 0) FROM follows WHERE resource_id = $1`,
		resourceID, p.UserID).Scan(&followers, &n)
	return n > 0, followers, err
}

// Followers are told of changes that the platform already records as
// events; there is no second event system. NotifyFollowers, periodic work,
// reads the events outbox for the kinds below and sends each follower of
// the event's resource a notice (which also queues the e-mail), marking
// the event dispatched in the same transaction, so that no event is told
// twice and none is lost when a run fails.

// followed maps an event type to the kind of notice its followers get; the
// datastore's version_created counts only when the version is served
// (not held by the legality check).
var followed = map[string]string{
	"datastore.version_created": "engage.new_version",
	"datastore.released":        "engage.new_version",
	"resource.revised":          "engage.updated",
	"resource.published":        "engage.updated",
	"resource.retired":          "engage.retired",
}

// dispatchLookback is how far behind the newest dispatched event a run
// reads again: on PostgreSQL an event's seq is taken before its transaction
// commits, so a long transaction's event can appear below one already read.
// dispatchWindow bounds the first run, which tells nobody of old changes.
const (
	dispatchLookback = 10000
	dispatchWindow   = 24 * time.Hour
)

// NotifyFollowers tells the followers of resources about the changes
// recorded since the last run (see followed) and returns how many notices
// it sent. Run it as periodic work.
func (s *Service) NotifyFollowers(ctx context.Context, now time.Time) (int, error) {
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM follow_dispatches`).Scan(&last); err != nil {
		return 0, fmt.Errorf("engage: dispatch: %w", err)
	}
	types := make([]any, 0, len(followed)+2)
	types = append(types, last-dispatchLookback, store.TS(now.Add(-dispatchWindow)))
	ph := ""
	for typ := range followed {
		types = append(types, typ)
		ph += fmt.Sprintf(", $%d", len(types))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT e.seq, e.id, e.type, e.at, e.actor_user_id, e.subject_id, e.payload FROM events e
		WHERE e.type IN (`+ph[2:]+`) AND e.seq > $1 AND e.at >= $2 AND e.subject_kind = 'resource'
		AND NOT EXISTS (SELECT 1 FROM follow_dispatches d WHERE d.event_id = e.id) ORDER BY e.seq LIMIT 500`, types...)
	if err != nil {
		return 0, fmt.Errorf("engage: dispatch: %w", err)
	}
	var evs []store.Event
	for rows.Next() {
		var ev store.Event
		var payload string
		if err := rows.Scan(&ev.Seq, &ev.ID, &ev.Type, store.ScanTime(&ev.At), &ev.ActorUserID, &ev.SubjectID, &payload); err != nil {
			rows.Close()
			return 0, err
		}
		ev.Payload = json.RawMessage(payload)
		evs = append(evs, ev)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, ev := range evs {
		n, err := s.dispatch(ctx, ev)
		if err != nil {
			return sent, err
		}
		sent += n
	}
	return sent, nil
}

// dispatch tells ev's resource's followers of ev (all but its actor, and
// only those who followed before it) and marks ev dispatched, in one
// transaction.
func (s *Service) dispatch(ctx context.Context, ev store.Event) (int, error) {
	kind := followed[ev.Type]
	if ev.Type == "datastore.version_created" {
		var v struct {
			Status string `json:"status"`
		}
		if json.Unmarshal(ev.Payload, &v) != nil || v.Status != "ready" {
			kind = ""
		}
	}
	sent := 0
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO follow_dispatches (event_id, seq, at) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING`,
			ev.ID, ev.Seq, store.TS(tx.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || kind == "" {
			return nil
		}
		users, err := store.Strings(ctx, tx, `SELECT user_id FROM follows WHERE resource_id = $1 AND user_id <> $2 AND created_at <= $3
			ORDER BY user_id`, ev.SubjectID, ev.ActorUserID, store.TS(ev.At))
		if err != nil || len(users) == 0 {
			return err
		}
		sent = len(users)
		return notify.Send(ctx, tx, kind, "resource", ev.SubjectID, "/resources/"+ev.SubjectID, notify.To{Users: users})
	})
	return sent, err
}
