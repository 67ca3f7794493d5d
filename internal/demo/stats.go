package demo

// The demo's statistics: daily snapshots from StatsFrom to yesterday,
// computed by the real snapshot code (stats.Backfill) from the demo's
// records as they stood at each day's end.
//
// What is synthetic, said plainly: the demo city is seeded in a few
// seconds, so its records carry the seeding time. To give the statistics
// a history, SeedStats
//
//   - backdates demo records: the organizations to before StatsFrom; each
//     published resource's creation and publication to a day drawn from its
//     id (about half before StatsFrom, the rest spread over the period);
//     the datastore versions to after their resource's publication but
//     still within their update frequency (so that no resource turns stale
//     now that was fresh); the annual open lists to mid-January of their
//     year and their items before that; the exchange participants'
//     admission over the period — the rows keep their events, which still
//     say when the seeding happened;
//   - writes synthetic access decisions on the open resources (anonymous
//     reads through the native row API, allowed as open data), a few to
//     some hundreds a day, growing over the period with a weekly rhythm
//     and a few popular resources, in one batch per day sealed by an
//     access.decisions event like the decision log's (its payload says
//     "synthetic": true). They bypass the access service (which stamps the
//     time of the call), so the monitoring never sees them, and no grant's
//     usage counts them.
//
// Share requests, open applications, zone queries, contracts, incidents and
// assessments are counted as the demo seeded them: on the day it ran.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/stats"
	"dataport/internal/store"
)

// StatsServices are what SeedStats works through.
type StatsServices struct {
	DB    *store.DB
	Stats *stats.Service
}

// StatsFrom is the demo's first snapshot day: the first of January of the
// year before now's (Beijing time), so that the last full year has its
// index and the current year its figures to date.
func StatsFrom(now time.Time) time.Time {
	return time.Date(now.In(stats.Beijing).Year()-1, time.January, 1, 0, 0, 0, 0, stats.Beijing)
}

// SeedStats backdates the demo's records, writes its synthetic access
// history and takes the snapshots from StatsFrom to yesterday. It does
// nothing once a snapshot exists.
func SeedStats(ctx context.Context, s StatsServices) error {
	if day, err := s.Stats.Latest(ctx); err != nil || day != "" {
		return err
	}
	now := time.Now()
	from := StatsFrom(now)
	if err := backdate(ctx, s.DB, from, now); err != nil {
		return fmt.Errorf("demo statistics: backdate: %w", err)
	}
	if err := syntheticReads(ctx, s.DB, from, now); err != nil {
		return fmt.Errorf("demo statistics: reads: %w", err)
	}
	if _, err := s.Stats.Backfill(ctx, from.Format(time.DateOnly), stats.Today(now.AddDate(0, 0, -1))); err != nil {
		return fmt.Errorf("demo statistics: snapshots: %w", err)
	}
	return nil
}

// draw is a number in [0, 1) drawn from key: the same key, the same number.
func draw(key string) float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return float64(h.Sum64()>>11) / (1 << 53)
}

// span is the days from from to now.
func span(from, now time.Time) int { return int(now.Sub(from).Hours() / 24) }

// backdate moves the demo records' times back into the period (see the
// package comment above).
func backdate(ctx context.Context, db *store.DB, from, now time.Time) error {
	days := span(from, now)
	return db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET created_at = $1`, store.TS(from.AddDate(0, 0, -30))); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, update_frequency FROM resources WHERE published_at IS NOT NULL ORDER BY id`)
		if err != nil {
			return err
		}
		type res struct{ id, freq string }
		var list []res
		for rows.Next() {
			var r res
			if err := rows.Scan(&r.id, &r.freq); err != nil {
				rows.Close()
				return err
			}
			list = append(list, r)
		}
		rows.Close()
		for _, r := range list {
			published := from.AddDate(0, 0, -10)
			if d := draw("published " + r.id); d >= 0.5 {
				published = from.AddDate(0, 0, int((d-0.5)*2*float64(days-20)))
			}
			published = published.Add(time.Duration(draw("hour "+r.id)*10) * time.Hour)
			if _, err := tx.ExecContext(ctx, `UPDATE resources SET created_at = $2, published_at = $3 WHERE id = $1`,
				r.id, store.TS(published.AddDate(0, 0, -7)), store.TS(published)); err != nil {
				return err
			}
			if err := backdateVersions(ctx, tx, r.id, catalog.Frequency(r.freq), published, now); err != nil {
				return err
			}
		}
		return backdateWorkflows(ctx, tx, from, now)
	})
}

// backdateVersions moves a resource's datastore versions to after its
// publication, the newest no earlier than four fifths of its update
// frequency's period before now (so that it is as fresh now as it was).
func backdateVersions(ctx context.Context, tx *store.Tx, id string, freq catalog.Frequency, published, now time.Time) error {
	newest := published.AddDate(0, 0, 1)
	if due := datastore.Due(freq, now); !due.IsZero() {
		if earliest := now.Add(-due.Sub(now) * 4 / 5); newest.Before(earliest) {
			newest = earliest
		}
	}
	if newest.After(now) {
		return nil
	}
	// Older versions a day apart before the newest.
	_, err := tx.ExecContext(ctx, `UPDATE datastore_versions SET created_at = $2 WHERE resource_id = $1 AND version =
		(SELECT MAX(version) FROM datastore_versions WHERE resource_id = $1)`, id, store.TS(newest))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE datastore_versions SET created_at = $2 WHERE resource_id = $1 AND version <
		(SELECT MAX(version) FROM datastore_versions WHERE resource_id = $1)`, id, store.TS(newest.AddDate(0, 0, -1)))
	return err
}

// backdateWorkflows moves the open lists to mid-January of their year and
// the exchange participants' admission into the period.
func backdateWorkflows(ctx context.Context, tx *store.Tx, from, now time.Time) error {
	lists, err := store.Strings(ctx, tx, `SELECT id || ' ' || CAST(year AS TEXT) FROM open_lists WHERE published_at IS NOT NULL`)
	if err != nil {
		return err
	}
	for _, l := range lists {
		id, year, _ := strings.Cut(l, " ")
		var y int
		fmt.Sscan(year, &y)
		at := time.Date(y, time.January, 15, 10, 0, 0, 0, stats.Beijing)
		if at.After(now) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE open_lists SET created_at = $2, published_at = $3 WHERE id = $1`,
			id, store.TS(at.AddDate(0, 0, -5)), store.TS(at)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE open_list_items SET created_at = $2 WHERE list_id = $1`, id, store.TS(at.AddDate(0, 0, -5))); err != nil {
			return err
		}
	}
	ids, err := store.Strings(ctx, tx, `SELECT id FROM exchange_participants WHERE admitted_at IS NOT NULL ORDER BY id`)
	if err != nil {
		return err
	}
	days := span(from, now)
	for _, id := range ids {
		at := from.AddDate(0, 0, int(draw("admitted "+id)*float64(days-1)))
		if _, err := tx.ExecContext(ctx, `UPDATE exchange_participants SET admitted_at = $2 WHERE id = $1`, id, store.TS(at)); err != nil {
			return err
		}
	}
	return nil
}

// decisionRecord is an access decision as the decision log hashes it
// (access/log.go's record: the same fields, names and order).
type decisionRecord struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	UserID     string    `json:"user_id,omitempty"`
	KeyID      string    `json:"key_id,omitempty"`
	ResourceID string    `json:"resource_id"`
	Action     string    `json:"action"`
	Purpose    string    `json:"purpose,omitempty"`
	Path       string    `json:"path,omitempty"`
	Allow      bool      `json:"allow"`
	Reason     string    `json:"reason"`
	GrantID    string    `json:"grant_id,omitempty"`
}

// openResource is an unconditionally open resource and when it was published.
type openResource struct {
	id        string
	published time.Time
	weight    float64 // its share of the reads: a few are popular
}

// syntheticReads writes the synthetic reads of each day of the period (see
// the package comment above), one batch and event per day.
func syntheticReads(ctx context.Context, db *store.DB, from, now time.Time) error {
	rows, err := db.QueryContext(ctx, `SELECT id, published_at FROM resources WHERE status = 'published' AND open_type = 'unconditional'
		ORDER BY id`)
	if err != nil {
		return err
	}
	var open []openResource
	for rows.Next() {
		var r openResource
		if err := rows.Scan(&r.id, store.ScanTime(&r.published)); err != nil {
			rows.Close()
			return err
		}
		r.weight = math.Pow(draw("weight "+r.id), 3) // a long tail
		open = append(open, r)
	}
	rows.Close()
	days := span(from, now)
	// A month of days per transaction (each day its own batch and event):
	// a transaction per day cost the demo's start seconds of commits.
	for d := 0; d < days; d += 30 {
		err := db.Transact(ctx, func(tx *store.Tx) error {
			for i := d; i < min(d+30, days); i++ {
				if err := readsOfDay(ctx, tx, open, from.AddDate(0, 0, i), float64(i)/float64(days)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readsOfDay writes one day's reads: about 60 a day at the period's start,
// 400 at its end, fewer at weekends, spread over the published open
// resources by weight.
func readsOfDay(ctx context.Context, tx *store.Tx, open []openResource, day time.Time, progress float64) error {
	total := 60 + 340*progress
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		total *= 0.45
	}
	total *= 0.85 + 0.3*draw("day "+day.Format(time.DateOnly))
	var sum float64
	for _, r := range open {
		if r.published.Before(day) {
			sum += r.weight
		}
	}
	var recs []decisionRecord
	for _, r := range open {
		if sum == 0 || !r.published.Before(day) {
			continue
		}
		n := int(math.Round(total * r.weight / sum))
		for i := range n {
			at := day.Add(time.Duration(8*3600+draw(fmt.Sprint(r.id, day, i))*13*3600) * time.Second)
			recs = append(recs, decisionRecord{ID: store.NewID(), At: at.UTC().Truncate(time.Microsecond), ResourceID: r.id,
				Action: "read", Path: "api.rows", Allow: true, Reason: "open_unconditional"})
		}
	}
	if len(recs) == 0 {
		return nil
	}
	return insertReads(ctx, tx, recs)
}

// insertReads writes recs as one batch of the decision log with its
// access.decisions event.
func insertReads(ctx context.Context, tx *store.Tx, recs []decisionRecord) error {
	batch := store.NewID()
	hashes := make([]string, len(recs))
	for start := 0; start < len(recs); start += 100 {
		part := recs[start:min(start+100, len(recs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO access_decisions (id, batch_id, at, user_id, key_id, resource_id, action, purpose, path, allow, reason,
			grant_id, record_hash) VALUES `)
		args := make([]any, 0, 13*len(part))
		for i, r := range part {
			raw, _ := json.Marshal(r)
			sum := sha256.Sum256(raw)
			hashes[start+i] = hex.EncodeToString(sum[:])
			if i > 0 {
				q.WriteString(", ")
			}
			ph := make([]any, 9) // "?" on SQLite, whose driver binds numbered placeholders in quadratic time
			for k := range ph {
				ph[k] = "?"
				if tx.Dialect == store.Postgres {
					ph[k] = fmt.Sprintf("$%d", len(args)+k+1)
				}
			}
			fmt.Fprintf(&q, "(%s, %s, %s, '', '', %s, %s, '', %s, %s, %s, '', %s)", ph...)
			args = append(args, r.ID, batch, store.TS(r.At), r.ResourceID, r.Action, r.Path, r.Allow, r.Reason, hashes[start+i])
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	root := sha256.Sum256([]byte(strings.Join(hashes, "\n")))
	return tx.Emit(ctx, store.Event{Type: "access.decisions", SubjectKind: "decision_batch", SubjectID: batch},
		map[string]any{"count": len(recs), "allowed": len(recs), "denied": 0, "first_id": recs[0].ID, "last_id": recs[len(recs)-1].ID,
			"records_sha256": hex.EncodeToString(root[:]), "synthetic": true})
}
