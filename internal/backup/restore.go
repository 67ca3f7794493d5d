package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"dataport/internal/ledger"
	"dataport/internal/store"

	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
)

// Target is where Restore puts a backup.
type Target struct {
	// DataDir must not exist or be empty.
	DataDir string
	// DatabaseURL is the PostgreSQL store to restore into (its schema, the
	// URL's search_path or the role's default, must exist and be empty);
	// empty for a SQLite backup, which goes into DataDir.
	DatabaseURL string
}

// Result is what Restore did and found.
type Result struct {
	Manifest Manifest
	// Recorded is how many log entries' indices were recorded in event rows
	// (entries the sequencer had appended but not recorded at backup time).
	Recorded int
	// Ledger is `dataport ledger verify` run on the restored store.
	Ledger ledger.Report
}

// Restore checks the archive at path against its manifest, refuses a
// non-empty target, restores the database and the data dir, records the
// log indices the snapshot missed, and verifies the ledger. Nothing is
// written before the archive has been checked in full; a ledger that does
// not verify is reported in Result.Ledger, not as an error.
func Restore(ctx context.Context, path string, t Target) (Result, error) {
	m, err := verifyFile(path)
	if err != nil {
		return Result{}, err
	}
	schema, err := checkTarget(ctx, m, t)
	if err != nil {
		return Result{}, err
	}
	if err := extract(ctx, path, m, t, schema); err != nil {
		return Result{}, err
	}
	db, err := store.Open(ctx, store.Config{DataDir: t.DataDir, URL: t.DatabaseURL})
	if err != nil {
		return Result{}, fmt.Errorf("restore: open the restored store: %w", err)
	}
	defer db.Close()
	res := Result{Manifest: m}
	if m.Ledger.Size == 0 {
		return res, nil // no ledger was backed up: nothing to verify
	}
	if res.Recorded, err = recordSealed(ctx, db, filepath.Join(t.DataDir, "ledger"), m.Ledger.Size); err != nil {
		return res, err
	}
	res.Ledger, err = ledger.Verify(ctx, db, t.DataDir)
	return res, err
}

func verifyFile(path string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, err
	}
	defer f.Close()
	return Verify(f)
}

// checkTarget refuses a target that does not suit the archive or is not
// empty; on PostgreSQL it returns the schema to restore into.
func checkTarget(ctx context.Context, m Manifest, t Target) (string, error) {
	if m.Dialect == store.SQLite && t.DatabaseURL != "" {
		return "", errors.New("restore: the backup holds a SQLite store; restore it without --db")
	}
	if m.Dialect == store.Postgres && t.DatabaseURL == "" {
		return "", errors.New("restore: the backup holds a PostgreSQL store; name the database to restore into with --db")
	}
	entries, err := os.ReadDir(t.DataDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("restore: %w", err)
	}
	if len(entries) > 0 {
		return "", fmt.Errorf("%w: data dir %s holds %s", ErrNotEmpty, t.DataDir, entries[0].Name())
	}
	if m.Dialect != store.Postgres {
		return "", nil
	}
	return targetSchema(ctx, t.DatabaseURL)
}

// extract writes the archive's database and files into the target, checking
// each entry against the manifest again as it goes.
func extract(ctx context.Context, path string, m Manifest, t Target, schema string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := os.MkdirAll(t.DataDir, 0o750); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	_, err = readArchive(f, func(name string, body io.Reader) error {
		switch {
		case name == postgresName:
			return restorePostgres(ctx, t.DatabaseURL, m.Schema, schema, body)
		case name == sqliteName:
			return writeFile(filepath.Join(t.DataDir, "dataport.db"), body)
		default:
			return writeFile(filepath.Join(t.DataDir, filepath.FromSlash(strings.TrimPrefix(name, dataPrefix))), body)
		}
	})
	return err
}

// writeFile creates p (never overwriting) with the content of r.
func writeFile(p string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	perm := os.FileMode(0o640)
	if strings.Contains(p, string(filepath.Separator)+"keys"+string(filepath.Separator)) {
		perm = 0o600
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// recordSealed records, by event id, the indices of the log's entries below
// size that no event row records yet: what the sequencer had appended but
// not recorded when the snapshot was taken. It is the sequencer's reconcile
// after a crash, done here so the restored store verifies before any server
// (and its sequencer lock, one per database) runs on it.
func recordSealed(ctx context.Context, db *store.DB, dir string, size uint64) (int, error) {
	var recorded sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(ledger_index) FROM events`).Scan(&recorded); err != nil {
		return 0, fmt.Errorf("restore: highest recorded index: %w", err)
	}
	next := uint64(0)
	if recorded.Valid {
		next = uint64(recorded.Int64) + 1
	}
	n := 0
	for i := next; i < size; i++ {
		id, err := entryID(dir, i, size)
		if err != nil {
			return n, err
		}
		res, err := db.ExecContext(ctx, `UPDATE events SET ledger_index = $1 WHERE id = $2 AND ledger_index IS NULL`, int64(i), id)
		if err != nil {
			return n, fmt.Errorf("restore: record log entry %d: %w", i, err)
		}
		k, _ := res.RowsAffected()
		n += int(k) // an entry without its row is named by the verification
	}
	return n, nil
}

// entryID reads the event id of log entry i of a log of size entries.
func entryID(dir string, i, size uint64) (string, error) {
	b := i / layout.EntryBundleWidth
	width := min(size-b*layout.EntryBundleWidth, layout.EntryBundleWidth)
	raw, err := os.ReadFile(filepath.Join(dir, layout.EntriesPath(b, uint8(width%layout.EntryBundleWidth))))
	if errors.Is(err, fs.ErrNotExist) && width < layout.EntryBundleWidth {
		raw, err = os.ReadFile(filepath.Join(dir, layout.EntriesPath(b, 0))) // the full bundle, written since
	}
	if err != nil {
		return "", fmt.Errorf("restore: log entry %d: %w", i, err)
	}
	var bundle api.EntryBundle
	if err := bundle.UnmarshalText(raw); err != nil {
		return "", fmt.Errorf("restore: entry bundle %d: %w", b, err)
	}
	k := i - b*layout.EntryBundleWidth
	if k >= uint64(len(bundle.Entries)) {
		return "", fmt.Errorf("restore: entry bundle %d is short of entry %d", b, i)
	}
	e, err := ledger.ParseEntry(bundle.Entries[k])
	if err != nil {
		return "", fmt.Errorf("restore: log entry %d: %w", i, err)
	}
	return e.ID, nil
}
