package stats

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"dataport/internal/store"
	"dataport/internal/validate"
)

// Snapshot is one day's snapshot: its values' hash and counts.
type Snapshot struct {
	Day        string    `json:"day"`
	Hash       string    `json:"hash"` // hex SHA-256 of the canonical JSON of its values (see Hash)
	Orgs       int       `json:"orgs"`
	Values     int       `json:"values"`
	Backfilled bool      `json:"backfilled"` // computed after the day, from the records as they stood at its end
	TakenAt    time.Time `json:"taken_at"`
}

// Hash returns the hex SHA-256 of values as the snapshot hashes them: the
// JSON array of {org_id, indicator, value, num, den} in the stored order
// (city first, then institutions by id; indicators in the system's order).
func hashValues(vals []SnapshotValue) string {
	raw, _ := json.Marshal(vals) // plain structs of strings and floats
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Today is the day (Beijing time) of t.
func Today(t time.Time) string { return t.In(Beijing).Format(time.DateOnly) }

// TakeSnapshot computes day's values from the records as they stood at its
// end and keeps them, with a stats.snapshot.taken event carrying the hash,
// in one transaction. A day already taken is returned as it was (taken
// reports false): snapshots are idempotent per day. A day not yet over is
// refused.
func (s *Service) TakeSnapshot(ctx context.Context, day string) (snap Snapshot, taken bool, err error) {
	return s.takeSnapshot(ctx, day, reportCache{})
}

func (s *Service) takeSnapshot(ctx context.Context, day string, c reportCache) (Snapshot, bool, error) {
	if err := checkDay("day", day); err != nil {
		return Snapshot{}, false, err
	}
	if snap, err := s.snapshot(ctx, day); err == nil {
		return snap, false, nil
	}
	now := s.now()
	if day >= Today(now) {
		return Snapshot{}, false, fmt.Errorf("stats: %s is not over yet: a day's snapshot is taken once it has ended", day)
	}
	vals, orgs, err := s.compute(ctx, day, c)
	if err != nil {
		return Snapshot{}, false, err
	}
	snap := Snapshot{Day: day, Hash: hashValues(vals), Orgs: orgs, Values: len(vals)}
	w, _ := dayWindow(day)
	snap.Backfilled = now.Sub(w.end) > 24*time.Hour
	taken := false
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		snap.TakenAt = tx.Now()
		res, err := tx.ExecContext(ctx, `INSERT INTO stats_snapshots (day, hash, orgs, "values", backfilled, taken_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (day) DO NOTHING`,
			snap.Day, snap.Hash, snap.Orgs, snap.Values, snap.Backfilled, store.TS(snap.TakenAt))
		if err != nil {
			return fmt.Errorf("stats: snapshot %s: %w", day, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // taken meanwhile by another replica
		}
		if err := insertValues(ctx, tx, day, vals); err != nil {
			return err
		}
		taken = true
		return tx.Emit(ctx, store.Event{Type: "stats.snapshot.taken", SubjectKind: "stats_snapshot", SubjectID: day},
			map[string]any{"day": day, "hash": snap.Hash, "orgs": snap.Orgs, "values": snap.Values, "backfilled": snap.Backfilled})
	})
	if err != nil {
		return Snapshot{}, false, err
	}
	if !taken {
		snap, err = s.snapshot(ctx, day)
	}
	return snap, taken, err
}

// insertValues writes a day's values, 100 rows per statement. SQLite gets
// anonymous "?" placeholders, as the decision log's inserts do: binding
// numbered ones is quadratic in that driver.
func insertValues(ctx context.Context, tx *store.Tx, day string, vals []SnapshotValue) error {
	const per = 100
	for i := 0; i < len(vals); i += per {
		chunk := vals[i:min(i+per, len(vals))]
		var q strings.Builder
		q.WriteString(`INSERT INTO stats_values (day, org_id, indicator, value, num, den) VALUES `)
		args := make([]any, 0, 6*len(chunk))
		for j, v := range chunk {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString(rowPlaceholders(tx.Dialect, len(args), 6))
			args = append(args, day, v.OrgID, v.Indicator, v.Value, v.Num, v.Den)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("stats: values of %s: %w", day, err)
		}
	}
	return nil
}

// rowPlaceholders is one row's placeholders of a multi-row INSERT whose
// earlier rows took n arguments: ($n+1, …) on PostgreSQL, (?, …) on SQLite.
func rowPlaceholders(d store.Dialect, n, cols int) string {
	ph := make([]string, cols)
	for i := range ph {
		ph[i] = "?"
		if d == store.Postgres {
			ph[i] = fmt.Sprintf("$%d", n+i+1)
		}
	}
	return "(" + strings.Join(ph, ", ") + ")"
}

// snapshot reads a taken snapshot; store.ErrNotFound when there is none.
func (s *Service) snapshot(ctx context.Context, day string) (Snapshot, error) {
	var snap Snapshot
	err := s.db.QueryRowContext(ctx, `SELECT day, hash, orgs, "values", backfilled, taken_at FROM stats_snapshots WHERE day = $1`, day).
		Scan(&snap.Day, &snap.Hash, &snap.Orgs, &snap.Values, &snap.Backfilled, store.ScanTime(&snap.TakenAt))
	if err != nil {
		if isNoRows(err) {
			return snap, fmt.Errorf("stats: snapshot %s: %w", day, store.ErrNotFound)
		}
		return snap, err
	}
	return snap, nil
}

// Snapshots lists the snapshots of period ("" for all), newest first, at
// most limit (100 when ≤ 0 or above 1,000) before the day before ("" for
// no bound): the listing pages by day.
func (s *Service) Snapshots(ctx context.Context, period, before string, limit int) ([]Snapshot, error) {
	from, to := "0000-00-00", "9999-99-99"
	if period != "" {
		p, err := ParsePeriod("period", period)
		if err != nil {
			return nil, err
		}
		from, to = p.From, p.To
	}
	if before != "" && before <= to {
		to = before
		if err := checkDay("cursor", before); err != nil {
			return nil, err
		}
	} else {
		to += "~" // every day of the period (≤ to)
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT day, hash, orgs, "values", backfilled, taken_at FROM stats_snapshots
		WHERE day >= $1 AND day < $2 ORDER BY day DESC LIMIT $3`, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("stats: snapshots: %w", err)
	}
	defer rows.Close()
	out := []Snapshot{}
	for rows.Next() {
		var snap Snapshot
		if err := rows.Scan(&snap.Day, &snap.Hash, &snap.Orgs, &snap.Values, &snap.Backfilled, store.ScanTime(&snap.TakenAt)); err != nil {
			return nil, err
		}
		out = append(out, snap)
	}
	return out, rows.Err()
}

// SnapshotValues returns a taken day's values as stored (what its hash
// covers), so anyone can check the hash.
func (s *Service) SnapshotValues(ctx context.Context, day string) ([]SnapshotValue, error) {
	if _, err := s.snapshot(ctx, day); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT org_id, indicator, value, num, den FROM stats_values WHERE day = $1`, day)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SnapshotValue
	for rows.Next() {
		var v SnapshotValue
		if err := rows.Scan(&v.OrgID, &v.Indicator, &v.Value, &v.Num, &v.Den); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	sortDayValues(out)
	return out, rows.Err()
}

// Backfill takes the snapshots of the days from..to (inclusive) that are
// missing, oldest first, each computed from the records as they stood at
// its end; it returns how many it took. The periodic job calls it from the
// day after the newest snapshot (or the first organization's day) to
// yesterday.
func (s *Service) Backfill(ctx context.Context, from, to string) (int, error) {
	if err := checkDay("from", from); err != nil {
		return 0, err
	}
	if err := checkDay("to", to); err != nil {
		return 0, err
	}
	start, _ := time.ParseInLocation(time.DateOnly, from, Beijing)
	c := reportCache{}
	n := 0
	for d := start; d.Format(time.DateOnly) <= to; d = d.AddDate(0, 0, 1) {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		_, taken, err := s.takeSnapshot(ctx, d.Format(time.DateOnly), c)
		if err != nil {
			return n, err
		}
		if taken {
			n++
		}
	}
	return n, nil
}

// maxCatchUp bounds how many days one run of the periodic job takes.
const maxCatchUp = 400

// CatchUp takes the snapshots missing up to yesterday (Beijing time):
// from the day after the newest snapshot, or from the day the first
// organization was created, at most maxCatchUp days per call. It is the
// periodic job's work and is idempotent.
func (s *Service) CatchUp(ctx context.Context, now time.Time) (int, error) {
	if err := s.FlushServed(ctx); err != nil {
		return 0, err
	}
	yesterday := Today(now.AddDate(0, 0, -1))
	var newest string
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(day), '') FROM stats_snapshots`).Scan(&newest); err != nil {
		return 0, err
	}
	var from string
	if newest != "" {
		t, _ := time.ParseInLocation(time.DateOnly, newest, Beijing)
		from = t.AddDate(0, 0, 1).Format(time.DateOnly)
	} else {
		var first time.Time
		err := s.db.QueryRowContext(ctx, `SELECT MIN(created_at) FROM organizations`).Scan(store.ScanTime(&first))
		if err != nil || first.IsZero() {
			return 0, err
		}
		from = Today(first)
	}
	if from > yesterday {
		return 0, nil
	}
	f, _ := time.ParseInLocation(time.DateOnly, from, Beijing)
	if last := f.AddDate(0, 0, maxCatchUp-1).Format(time.DateOnly); last < yesterday {
		yesterday = last
	}
	return s.Backfill(ctx, from, yesterday)
}

// checkDay refuses anything but a day written YYYY-MM-DD, as a field error
// on field.
func checkDay(field, day string) error {
	if t, err := time.Parse(time.DateOnly, day); err == nil && t.Format(time.DateOnly) == day {
		return nil
	}
	var errs validate.Errors
	errs.Add(field, day, validate.CodeDate, "a day is written YYYY-MM-DD")
	return errs.Err()
}

// sortDayValues puts a day's values in their stored order: the city first,
// then institutions by id, each in the system's order.
func sortDayValues(vals []SnapshotValue) {
	order := systemOrder()
	sort.SliceStable(vals, func(i, j int) bool {
		if vals[i].OrgID != vals[j].OrgID {
			return vals[i].OrgID < vals[j].OrgID
		}
		return order[vals[i].Indicator] < order[vals[j].Indicator]
	})
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
