package datastore

import (
	"context"
	"database/sql"
	"sync"

	"dataport/internal/store"
)

// Rows from the read replica. A read asks the access decision point on the
// primary first (the decision, its quota reservation and its log never
// touch the replica); only the fetch of the allowed rows of the version the
// primary points at may then go to the replica (store.DB.Reader).
//
// The replica replays the primary's commits in order, and a version is
// recorded (switchIn) only after its table is loaded and indexed: once the
// replica holds the version's row, it holds all of its rows. Until then —
// a version switched in the last few seconds — its rows are read from the
// primary, and so are those of a table the replica no longer has (dropped
// by a prune it replayed before the primary's pointer moved on here).
//
// A long read on the replica (a streamed export) can be cancelled by the
// replica when it replays a conflicting change, such as a pruned version's
// DROP TABLE; the replica's hot_standby_feedback and
// max_standby_streaming_delay settings decide (README, Running on PostgreSQL).

// maxReplicaTables bounds the version tables remembered as present on the
// replica; past it the memory starts again (each costs one lookup).
const maxReplicaTables = 4096

// replicaTables remembers the version tables seen on the replica: a
// replica does not go back in time, so a table found there stays until it
// is dropped (which a read then notices as a missing table).
type replicaTables struct {
	seen sync.Map // table name → struct{}
	n    int64
	mu   sync.Mutex
}

func (r *replicaTables) has(table string) bool {
	_, ok := r.seen.Load(table)
	return ok
}

func (r *replicaTables) add(table string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n >= maxReplicaTables {
		r.seen.Clear()
		r.n = 0
	}
	if _, loaded := r.seen.LoadOrStore(table, struct{}{}); !loaded {
		r.n++
	}
}

func (r *replicaTables) forget(table string) { r.seen.Delete(table) }

// rowReader is where version v's rows are read from: the read replica when
// one is attached and already holds v, otherwise the primary.
func (s *Service) rowReader(ctx context.Context, v DataVersion) *store.DB {
	rd := s.db.Reader()
	if rd == s.db || s.replica.has(v.table) {
		return rd
	}
	var one int
	err := rd.QueryRowContext(ctx, `SELECT 1 FROM datastore_versions WHERE resource_id = $1 AND version = $2`,
		v.ResourceID, v.Version).Scan(&one)
	if err != nil {
		if !isNoRows(err) {
			s.log.WarnContext(ctx, "datastore: read replica unavailable; reading rows from the primary", "err", err)
		}
		return s.db
	}
	s.replica.add(v.table)
	return rd
}

// queryRows runs a read of version v's rows where rowReader says, again on
// the primary when the replica lacks the table.
func (s *Service) queryRows(ctx context.Context, v DataVersion, query string, args ...any) (*sql.Rows, error) {
	db := s.rowReader(ctx, v)
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil && db != s.db && store.IsUndefinedTable(err) {
		s.replica.forget(v.table)
		return s.db.QueryContext(ctx, query, args...)
	}
	return rows, err
}

// scanRow is queryRows for a read of one row into dst.
func (s *Service) scanRow(ctx context.Context, v DataVersion, query string, args []any, dst ...any) error {
	db := s.rowReader(ctx, v)
	err := db.QueryRowContext(ctx, query, args...).Scan(dst...)
	if err != nil && db != s.db && store.IsUndefinedTable(err) {
		s.replica.forget(v.table)
		return s.db.QueryRowContext(ctx, query, args...).Scan(dst...)
	}
	return err
}
