package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// sealedStore opens a store on cfg with n events, all sealed in its ledger
// and covered by a checkpoint, the sequencer stopped again.
func sealedStore(t *testing.T, cfg store.Config, n int) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	emit(t, db, "sealed", n)
	led := ledger.New(db, ledger.Config{DataDir: cfg.DataDir, Origin: "backup.test/ledger"})
	if err := led.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); unsealed(t, db) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d events still unsealed after 60 s", unsealed(t, db))
		}
	}
	if err := led.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func emit(t *testing.T, db *store.DB, kind string, n int) {
	t.Helper()
	err := db.Transact(context.Background(), func(tx *store.Tx) error {
		for i := range n {
			if err := tx.Emit(context.Background(), store.Event{Type: "backup.test", SubjectKind: kind, SubjectID: strconv.Itoa(i)}, map[string]int{"i": i}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func unsealed(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM events WHERE ledger_index IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// kept are data dir files a backup carries; dropped are those it leaves out.
var (
	kept    = map[string]string{"blobs/exchange/ab/ab12": "a contract", "blobs/dispute/cd/cd34": "evidence"}
	dropped = map[string]string{"spool/upload-1": "half an upload", "node-id": "host-1", "search/index": "x",
		"replicas/n1/search/index": "x", "blobs/exchange/tmp/partial": "being written"}
)

// TestRoundTrip backs up a store whose log holds 300 sealed events (a full
// entry bundle and a partial one), the last 5 appended but not recorded in
// their rows — the moment between the sequencer's append and its record —
// and 2 events not sealed at all, then restores it into an empty data dir
// (and, on PostgreSQL, an empty schema of another name) and checks what came back.
func TestRoundTrip(t *testing.T) {
	run := func(t *testing.T, src store.Config, dst Target) {
		ctx := context.Background()
		db := sealedStore(t, src, 300)
		if _, err := db.ExecContext(ctx, `UPDATE events SET ledger_index = NULL WHERE ledger_index >= 295`); err != nil {
			t.Fatal(err)
		}
		emit(t, db, "pending", 2)
		writeFiles(t, src.DataDir, kept)
		writeFiles(t, src.DataDir, dropped)

		archive := filepath.Join(t.TempDir(), "backup.tar.gz")
		m := createFile(t, db, Config{DataDir: src.DataDir, DatabaseURL: src.URL, Version: "test-1"}, archive)
		if m.Ledger.Size != 300 || m.Ledger.Origin != "backup.test/ledger" || m.Dialect != db.Dialect || m.SchemaVersion < 27 || m.DataportVersion != "test-1" {
			t.Errorf("manifest: ledger %d entries of %q, dialect %s, schema version %d, version %q", m.Ledger.Size, m.Ledger.Origin, m.Dialect, m.SchemaVersion, m.DataportVersion)
		}
		res, err := Restore(ctx, archive, dst)
		if err != nil {
			t.Fatal(err)
		}
		if res.Recorded != 5 {
			t.Errorf("recorded %d log indices the snapshot missed, want 5", res.Recorded)
		}
		rep := res.Ledger
		if !rep.OK() || rep.Size != 300 || !bytes.Equal(rep.Root, m.Ledger.Root) || rep.Checked != 300 || rep.Pending != 2 {
			t.Errorf("restored ledger: size %d, checked %d, pending %d, root equal %v, problems %v", rep.Size, rep.Checked, rep.Pending, bytes.Equal(rep.Root, m.Ledger.Root), rep.Problems)
		}
		for name, content := range kept {
			if got, err := os.ReadFile(filepath.Join(dst.DataDir, name)); err != nil || string(got) != content {
				t.Errorf("%s restored as %q, %v; want %q", name, got, err, content)
			}
		}
		for name := range dropped {
			if _, err := os.Stat(filepath.Join(dst.DataDir, name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s was restored (%v); a backup leaves it out", name, err)
			}
		}
		restored, err := store.Open(ctx, store.Config{DataDir: dst.DataDir, URL: dst.DatabaseURL})
		if err != nil {
			t.Fatal(err)
		}
		defer restored.Close()
		if n := storetest.CountRows(t, restored, "events")["events"]; n != 302 {
			t.Errorf("%d events restored, want 302", n)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		run(t, store.Config{DataDir: t.TempDir()}, Target{DataDir: filepath.Join(t.TempDir(), "restored")})
	})
	if dsn := os.Getenv(storetest.EnvPostgres); dsn != "" {
		t.Run("postgres", func(t *testing.T) {
			src := store.Config{DataDir: t.TempDir(), URL: storetest.NewSchema(t, dsn)}
			run(t, src, Target{DataDir: filepath.Join(t.TempDir(), "restored"), DatabaseURL: storetest.NewSchema(t, dsn)})
		})
	}
}

func createFile(t *testing.T, db *store.DB, cfg Config, path string) Manifest {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Create(context.Background(), db, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rewrite copies the archive raw, passing each entry through edit (return
// nil to drop the entry).
func rewrite(t *testing.T, raw []byte, edit func(name string, body []byte) []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if body = edit(hdr.Name, body); body == nil {
			continue
		}
		hdr.Size = int64(len(body))
		tw.WriteHeader(hdr)
		tw.Write(body)
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

// TestRestoreRefuses checks that a damaged archive, a non-empty data dir and
// a store of the other dialect are refused with the reason named, and that
// a refused restore writes nothing.
func TestRestoreRefuses(t *testing.T) {
	src := store.Config{DataDir: t.TempDir()}
	db := sealedStore(t, src, 3)
	writeFiles(t, src.DataDir, kept)
	good := filepath.Join(t.TempDir(), "good.tar.gz")
	createFile(t, db, Config{DataDir: src.DataDir, Version: "test"}, good)
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(target string) []byte {
		return rewrite(t, raw, func(name string, body []byte) []byte {
			if name == target {
				body = slices.Clone(body)
				body[len(body)/2] ^= 1
			}
			return body
		})
	}
	drop := func(target string) []byte {
		return rewrite(t, raw, func(name string, body []byte) []byte {
			if name == target {
				return nil
			}
			return body
		})
	}
	full := t.TempDir()
	writeFiles(t, full, map[string]string{"notes.txt": "mine"})
	tests := []struct {
		name    string
		archive []byte
		target  Target
		want    error
		says    string
	}{
		{"a changed blob", flip("data/blobs/exchange/ab/ab12"), Target{}, ErrCorrupt, "data/blobs/exchange/ab/ab12 has SHA-256"},
		{"a changed database", flip(sqliteName), Target{}, ErrCorrupt, "db/dataport.db has SHA-256"},
		{"a missing key", drop("data/keys/ledger.pub"), Target{}, ErrCorrupt, "data/keys/ledger.pub is missing"},
		{"no manifest", drop(manifestName), Target{}, ErrCorrupt, "no manifest.json"},
		{"cut short", raw[:len(raw)/2], Target{}, ErrCorrupt, ""},
		{"not an archive", []byte("hello"), Target{}, ErrCorrupt, "not a gzip file"},
		{"a data dir in use", raw, Target{DataDir: full}, ErrNotEmpty, "holds notes.txt"},
		{"a database for a SQLite backup", raw, Target{DatabaseURL: "postgres://x/y"}, nil, "restore it without --db"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "backup.tar.gz")
			if err := os.WriteFile(path, test.archive, 0o600); err != nil {
				t.Fatal(err)
			}
			target := test.target
			if target.DataDir == "" {
				target.DataDir = filepath.Join(t.TempDir(), "restored")
			}
			_, err := Restore(context.Background(), path, target)
			if err == nil || (test.want != nil && !errors.Is(err, test.want)) || !strings.Contains(err.Error(), test.says) {
				t.Fatalf("Restore: %v; want %v saying %q", err, test.want, test.says)
			}
			entries, _ := os.ReadDir(target.DataDir)
			if target.DataDir == full && len(entries) != 1 || target.DataDir != full && len(entries) != 0 {
				t.Errorf("a refused restore wrote into %s: %d entries", target.DataDir, len(entries))
			}
		})
	}
}

func TestRenameSchema(t *testing.T) {
	dump := "CREATE SCHEMA t_src;\n" +
		"CREATE TABLE t_src.events (seq bigint DEFAULT nextval('t_src.events_seq_seq'::regclass));\n" +
		"COPY t_src.events (seq, note) FROM stdin;\n" +
		"1\tt_src.events stays as data\n" +
		"\\.\n" +
		"ALTER TABLE ONLY t_src.events ADD CONSTRAINT x FOREIGN KEY (a) REFERENCES t_src.other(b);\n" +
		"SELECT pg_catalog.setval('t_src.events_seq_seq', 1, true);\n" +
		"CREATE TABLE t_src.not_t_src_ (a int);"
	want := "CREATE SCHEMA IF NOT EXISTS restored;\n" +
		"CREATE TABLE restored.events (seq bigint DEFAULT nextval('restored.events_seq_seq'::regclass));\n" +
		"COPY restored.events (seq, note) FROM stdin;\n" +
		"1\tt_src.events stays as data\n" +
		"\\.\n" +
		"ALTER TABLE ONLY restored.events ADD CONSTRAINT x FOREIGN KEY (a) REFERENCES restored.other(b);\n" +
		"SELECT pg_catalog.setval('restored.events_seq_seq', 1, true);\n" +
		"CREATE TABLE restored.not_t_src_ (a int);"
	var out strings.Builder
	if err := renameSchema(&out, strings.NewReader(dump), "t_src", "restored"); err != nil {
		t.Fatal(err)
	}
	if out.String() != want {
		t.Errorf("renamed dump:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	if err := renameSchema(&out, strings.NewReader(dump), "t_src", "t_src"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "CREATE SCHEMA IF NOT EXISTS t_src;\nCREATE TABLE t_src.events") {
		t.Errorf("dump into a schema of the same name:\n%s", got)
	}
}
