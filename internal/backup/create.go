package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"dataport/internal/store"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera/api/layout"
)

// Config says what Create backs up besides the database.
type Config struct {
	// DataDir is the server's data dir (ledger, keys, files).
	DataDir string
	// DatabaseURL is the PostgreSQL URL the store was opened with, for
	// pg_dump; empty on SQLite.
	DatabaseURL string
	// Version is the dataport version recorded in the manifest.
	Version string
}

// skipTop are the data dir's entries a backup leaves out: the SQLite files
// (the snapshot replaces them), the ledger (copied under its locks), and
// what every replica rebuilds or owns alone.
var skipTop = map[string]bool{
	"dataport.db": true, "dataport.db-wal": true, "dataport.db-shm": true, "dataport.db-journal": true,
	"ledger": true, "node-id": true, "spool": true, "search": true, "replicas": true,
}

// Create writes a backup of db and cfg.DataDir to w and returns its
// manifest. The server may go on running: see the package doc for how the
// database snapshot and the ledger copy are kept consistent.
func Create(ctx context.Context, db *store.DB, cfg Config, w io.Writer) (Manifest, error) {
	stage, err := os.MkdirTemp("", "dataport-backup-")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(stage)
	ledgerCopy := filepath.Join(stage, "ledger")
	// First pass without locks: the locked pass then copies only what changed.
	if err := syncDir(filepath.Join(cfg.DataDir, "ledger"), ledgerCopy); err != nil {
		return Manifest{}, err
	}
	m := Manifest{Format: FormatVersion, Created: now(), DataportVersion: cfg.Version, Dialect: db.Dialect}
	dbFile, dbName := filepath.Join(stage, "db"), sqliteName
	if db.Dialect == store.Postgres {
		dbName = postgresName
		err = snapshotPostgres(ctx, db, cfg, ledgerCopy, dbFile, &m)
	} else {
		err = snapshotSQLite(ctx, db, cfg.DataDir, ledgerCopy, dbFile, &m)
	}
	if err != nil {
		return Manifest{}, err
	}
	if m.Ledger, err = readCheckpoint(ledgerCopy); err != nil {
		return Manifest{}, err
	}
	aw := newArchiveWriter(w)
	if _, err := aw.addFile(dbName, dbFile); err != nil {
		return Manifest{}, err
	}
	if err := addTree(aw, ledgerCopy, dataPrefix+"ledger", nil); err != nil {
		return Manifest{}, err
	}
	if err := addTree(aw, cfg.DataDir, strings.TrimSuffix(dataPrefix, "/"), skipTop); err != nil {
		return Manifest{}, err
	}
	return m, aw.finish(&m)
}

// addTree adds every regular file under dir as prefix/relative-path, leaving
// out the top-level names in skip and any folder named tmp (files being
// written). Files and folders that vanish during the walk are skipped.
func addTree(aw *archiveWriter, dir, prefix string, skip map[string]bool) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		if (skip[rel] || d.IsDir() && d.Name() == "tmp") && d.IsDir() {
			return fs.SkipDir
		}
		if skip[rel] || !d.Type().IsRegular() {
			return nil
		}
		_, err = aw.addFile(prefix+"/"+filepath.ToSlash(rel), p)
		return err
	})
	if err != nil {
		return fmt.Errorf("backup: %s: %w", dir, err)
	}
	return nil
}

// readCheckpoint returns the checkpoint of the ledger copied to dir (zero
// when the data dir had no ledger yet).
func readCheckpoint(dir string) (LedgerState, error) {
	raw, err := os.ReadFile(filepath.Join(dir, layout.CheckpointPath))
	if errors.Is(err, fs.ErrNotExist) {
		return LedgerState{}, nil
	}
	if err != nil {
		return LedgerState{}, fmt.Errorf("backup: ledger checkpoint: %w", err)
	}
	text, _, _ := bytes.Cut(raw, []byte("\n\n"))
	var cp log.Checkpoint
	if _, err := cp.Unmarshal(append(text, '\n')); err != nil {
		return LedgerState{}, fmt.Errorf("backup: ledger checkpoint: %w", err)
	}
	return LedgerState{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash}, nil
}
