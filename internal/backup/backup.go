// Package backup writes a running dataport's store and data dir into one
// archive (tar.gz with a manifest of hashes) and restores such an archive
// into an empty data dir and an empty database.
//
// What an archive holds: a consistent snapshot of the database (SQLite's
// online backup API; on PostgreSQL a plain `pg_dump` of the store's schema),
// the ledger (tiles, entry bundles, checkpoint, Tessera's state), the keys
// and the files (blobs of the exchange and the disputes). Left out, because
// each replica rebuilds them: the spool, the search index, node-id and
// replicas/. manifest.json, the archive's last entry, names every file with
// its size and SHA-256, the dialect, the schema's migration version, the
// dataport version and the ledger's checkpoint (size, root) at backup time.
//
// Consistency between the database and the ledger. Every log entry must name
// an event row of the snapshot, and every index a row records must be inside
// the copied log. The sequencer (another process) cannot be paused — it holds
// its lock for as long as it runs — so Create stops what it depends on
// instead, for a moment: it takes the database's write lock on events
// (SQLite: BEGIN IMMEDIATE; PostgreSQL: LOCK TABLE events IN EXCLUSIVE MODE),
// so no event commits and no index is recorded; pins the snapshot the dump
// will read (SQLite: a read transaction on the connection the backup API
// copies from; PostgreSQL: pg_export_snapshot, handed to pg_dump
// --snapshot); then copies the ledger while holding Tessera's own file locks
// (integration, publication and garbage collection wait), and lets writes go
// on. The copy is done in two passes so the locked one only copies what
// changed. The log may then hold entries appended from events of the
// snapshot whose index the sequencer had not yet recorded: Restore records
// them by event id, as the sequencer's reconcile does after a crash, and
// events of the snapshot not yet in the log are sealed by the restored
// server. `dataport ledger verify` passes on the restored data.
//
// Writers wait while the ledger is copied (a fraction of a second for a log
// of a few thousand tiles); reads never wait, and the dump itself runs with
// writes going on.
package backup

import (
	"errors"
	"time"

	"dataport/internal/store"
)

// ErrCorrupt is returned (wrapped, naming the file) for an archive whose
// content does not match its manifest, or which is not a backup at all.
var ErrCorrupt = errors.New("backup archive is corrupt")

// ErrNotEmpty is returned (wrapped) when the restore's data dir or database
// schema already holds something: a restore never overwrites.
var ErrNotEmpty = errors.New("restore target is not empty")

// FormatVersion is the manifest format this package writes and reads.
const FormatVersion = 1

// Archive entry names: the database under db/, the data dir under data/.
const (
	manifestName = "manifest.json"
	sqliteName   = "db/dataport.db"
	postgresName = "db/postgres.sql"
	dataPrefix   = "data/"
)

// Manifest describes an archive; it is its last entry, manifest.json.
type Manifest struct {
	Format          int           `json:"format"`
	Created         time.Time     `json:"created"`
	DataportVersion string        `json:"dataport_version"`
	Dialect         store.Dialect `json:"dialect"`
	// SchemaVersion is the store's highest applied migration.
	SchemaVersion int64 `json:"schema_version"`
	// Schema is the PostgreSQL schema that was dumped (empty on SQLite).
	Schema string      `json:"schema,omitempty"`
	Ledger LedgerState `json:"ledger"`
	Files  []File      `json:"files"`
}

// LedgerState is the ledger's published checkpoint in the archive.
type LedgerState struct {
	Origin string `json:"origin,omitempty"`
	Size   uint64 `json:"size"`
	Root   []byte `json:"root,omitempty"` // base64 in JSON
}

// File is one archive entry other than the manifest.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lowercase hex
}
