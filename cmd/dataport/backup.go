package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"dataport/internal/backup"
	"dataport/internal/store"

	"github.com/spf13/cobra"
)

func backupCommand(o *options) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write the store, ledger, keys and files of --data (and --db) into one archive, while the server runs",
		Long: `Writes a tar.gz archive: a consistent snapshot of the database (SQLite's online backup, or
pg_dump of the store's schema on PostgreSQL — pg_dump must be installed), the ledger, the keys
and the files of the data dir, and manifest.json with every file's size and SHA-256, the
dialect, the schema version, the dataport version and the ledger's checkpoint. The spool, the
search index and the replicas' folders are left out: each server rebuilds them. The server
may go on running; writers wait for a moment while the ledger is copied.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("backup: --out FILE is required")
			}
			if _, err := os.Stat(filepath.Join(o.data, "dataport.db")); o.db == "" && err != nil {
				return fmt.Errorf("backup: no SQLite store in --data %s (name the server's data dir, and --db on PostgreSQL): %w", o.data, err)
			}
			db, err := store.Open(cmd.Context(), store.Config{DataDir: o.data, URL: o.db})
			if err != nil {
				return err
			}
			defer db.Close()
			m, err := writeBackup(cmd, db, out, backup.Config{DataDir: o.data, DatabaseURL: o.db, Version: versionString()})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "backup %s: %s store at schema version %d, %d files\n", out, m.Dialect, m.SchemaVersion, len(m.Files))
			printLedgerState(w, m.Ledger)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "archive to write (tar.gz); replaced only once complete")
	return cmd
}

// writeBackup writes the archive next to out and renames it into place
// once complete and synced, so out is never half a backup.
func writeBackup(cmd *cobra.Command, db *store.DB, out string, cfg backup.Config) (backup.Manifest, error) {
	f, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".partial-*")
	if err != nil {
		return backup.Manifest{}, err
	}
	defer os.Remove(f.Name()) // after the rename: nothing left to remove
	m, err := backup.Create(cmd.Context(), db, cfg, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	return m, err
}

func printLedgerState(w io.Writer, l backup.LedgerState) {
	if l.Size == 0 {
		fmt.Fprintln(w, "ledger: none yet")
		return
	}
	fmt.Fprintf(w, "ledger %s: checkpoint of %d entries, root %s\n", l.Origin, l.Size, base64.StdEncoding.EncodeToString(l.Root))
}

func restoreCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE --data DIR [--db URL]",
		Short: "Restore a backup into an empty --data dir (and empty --db schema), then verify its ledger",
		Long: `Checks every file of the archive against its manifest first (a damaged archive is refused,
naming the file), refuses a --data dir that is not empty and, on PostgreSQL, a schema that
already holds tables (the schema of --db's search_path, else the role's default; psql must be
installed), then restores the database and the files and verifies the ledger as
'dataport ledger verify' does. Start the server on the restored --data (and --db) afterwards.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("data") && os.Getenv("DATAPORT_DATA") == "" {
				return errors.New("restore: name the (empty) data dir to restore into with --data")
			}
			res, err := backup.Restore(cmd.Context(), args[0], backup.Target{DataDir: o.data, DatabaseURL: o.db})
			if err != nil {
				return err
			}
			return printRestore(cmd.OutOrStdout(), res)
		},
	}
}

func printRestore(w io.Writer, res backup.Result) error {
	m := res.Manifest
	fmt.Fprintf(w, "restored %d files of a %s backup made %s by dataport %s (schema version %d)\n",
		len(m.Files), m.Dialect, m.Created.Format("2006-01-02 15:04:05Z"), m.DataportVersion, m.SchemaVersion)
	printLedgerState(w, m.Ledger)
	if m.Ledger.Size == 0 {
		return nil
	}
	if res.Recorded > 0 {
		fmt.Fprintf(w, "recorded the log index of %d events appended just before the backup\n", res.Recorded)
	}
	rep := res.Ledger
	fmt.Fprintf(w, "ledger verify: checkpoint of %d entries, root %s; %d event rows match their entries, %d await the sequencer\n",
		rep.Size, base64.StdEncoding.EncodeToString(rep.Root), rep.Checked, rep.Pending)
	for _, p := range rep.Problems {
		fmt.Fprintln(w, "FAIL", p)
	}
	if !rep.OK() {
		return fmt.Errorf("restore: the restored ledger does not verify: %d problems", len(rep.Problems))
	}
	fmt.Fprintln(w, "OK")
	return nil
}
