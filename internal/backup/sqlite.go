package backup

import (
	"context"
	"database/sql"
	"fmt"

	"dataport/internal/store"

	"modernc.org/sqlite"
)

// schemaVersionQuery reads the store's highest applied migration (goose's table).
const schemaVersionQuery = `SELECT coalesce(max(version_id), 0) FROM goose_db_version`

// snapshotSQLite copies the SQLite store to dst with SQLite's online backup
// API. The snapshot is pinned by a read transaction opened while this
// process holds the write lock, and the ledger is copied before the lock is
// given back, so the log and the snapshot agree (package doc).
func snapshotSQLite(ctx context.Context, db *store.DB, dataDir, ledgerCopy, dst string, m *Manifest) error {
	read, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer read.Close()
	write, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer write.Close()
	if err := holdWrites(ctx, write, read, dataDir, ledgerCopy, m); err != nil {
		return err
	}
	defer read.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	err = read.Raw(func(dc any) error {
		b, ok := dc.(interface {
			NewBackup(string) (*sqlite.Backup, error)
		})
		if !ok {
			return fmt.Errorf("driver %T has no backup API", dc)
		}
		bk, err := b.NewBackup(dst)
		if err != nil {
			return err
		}
		for more := true; more && err == nil; {
			more, err = bk.Step(-1)
		}
		if ferr := bk.Finish(); err == nil {
			err = ferr
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("backup: SQLite snapshot: %w", err)
	}
	return nil
}

// holdWrites takes SQLite's write lock on write, opens the read transaction
// the snapshot is copied in on read (left open for the caller), copies the
// ledger, and gives the write lock back.
func holdWrites(ctx context.Context, write, read *sql.Conn, dataDir, ledgerCopy string, m *Manifest) error {
	if _, err := write.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("backup: take the write lock: %w", err)
	}
	defer write.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	if _, err := read.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// The first read fixes the transaction's snapshot.
	if err := read.QueryRowContext(ctx, schemaVersionQuery).Scan(&m.SchemaVersion); err != nil {
		read.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("backup: schema version: %w", err)
	}
	if err := copyLedgerLocked(dataDir, ledgerCopy); err != nil {
		read.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	return nil
}
