package backup

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"dataport/internal/store"
)

// snapshotPostgres dumps the store's schema with pg_dump into dst. Events
// are locked against writes (LOCK TABLE ... EXCLUSIVE: reads go on) while a
// snapshot is exported and the ledger copied; pg_dump then reads that
// snapshot with writes going on.
func snapshotPostgres(ctx context.Context, db *store.DB, cfg Config, ledgerCopy, dst string, m *Manifest) error {
	if _, err := exec.LookPath("pg_dump"); err != nil {
		return fmt.Errorf("backup: a PostgreSQL store is dumped with pg_dump, which is not installed (install the PostgreSQL client tools, the server's major version or newer): %w", err)
	}
	snap, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer snap.Close()
	id, err := exportSnapshot(ctx, db, snap, cfg.DataDir, ledgerCopy, m)
	if err != nil {
		return err
	}
	defer snap.ExecContext(context.WithoutCancel(ctx), "COMMIT")
	dsn, env, err := libpq(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "pg_dump", "--format=plain", "--no-owner", "--no-privileges", "--no-comments",
		"--schema="+quoteIdent(m.Schema), "--snapshot="+id, "--file="+dst, "--dbname="+dsn)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backup: pg_dump: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// exportSnapshot locks events against writes on a connection of its own,
// opens on snap the transaction whose snapshot pg_dump will read (left open
// for the caller), copies the ledger, and commits the lock.
func exportSnapshot(ctx context.Context, db *store.DB, snap *sql.Conn, dataDir, ledgerCopy string, m *Manifest) (string, error) {
	lock, err := db.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	defer lock.Close()
	for _, q := range []string{"BEGIN", "SET LOCAL lock_timeout = '30s'", "LOCK TABLE events IN EXCLUSIVE MODE"} {
		if _, err := lock.ExecContext(ctx, q); err != nil {
			lock.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return "", fmt.Errorf("backup: hold writes of events: %w", err)
		}
	}
	defer lock.ExecContext(context.WithoutCancel(ctx), "COMMIT")
	if _, err := snap.ExecContext(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	var id string
	err = snap.QueryRowContext(ctx, `SELECT pg_export_snapshot(), current_schema(), (`+schemaVersionQuery+`)`).Scan(&id, &m.Schema, &m.SchemaVersion)
	if err == nil {
		err = copyLedgerLocked(dataDir, ledgerCopy)
	}
	if err != nil {
		snap.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return "", fmt.Errorf("backup: %w", err)
	}
	return id, nil
}

// libpq turns the store's URL into what pg_dump and psql accept: without
// search_path (a pgx parameter; the schema is named on the command line or
// in the dump) and without the password, which goes in PGPASSWORD instead of
// the process list.
func libpq(dsn string) (string, []string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("backup: database URL: %w", err)
	}
	var env []string
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String(), env, nil
}

var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_$]*$`)

// quoteIdent writes a schema name as pg_dump does: bare when it can be.
func quoteIdent(s string) string {
	if plainIdent.MatchString(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// targetSchema connects to the restore's database and returns the schema
// the store will use there (the URL's search_path, else the role's
// default), refusing one that does not exist or already holds objects.
func targetSchema(ctx context.Context, dsn string) (string, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	defer db.Close()
	var schema sql.NullString
	var objects int
	err = db.QueryRowContext(ctx, `SELECT current_schema(),
		(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema())`).Scan(&schema, &objects)
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	if !schema.Valid {
		return "", fmt.Errorf("restore: the database URL's schema (search_path) does not exist; create it first")
	}
	if objects > 0 {
		return "", fmt.Errorf("%w: schema %s of the database holds %d tables, sequences or indexes", ErrNotEmpty, schema.String, objects)
	}
	return schema.String, nil
}

// restorePostgres runs the dump through psql into schema to (in one
// transaction: a failure changes nothing), renaming the dumped schema from.
func restorePostgres(ctx context.Context, dsn, from, to string, dump io.Reader) error {
	if _, err := exec.LookPath("psql"); err != nil {
		return fmt.Errorf("restore: a PostgreSQL dump is restored with psql, which is not installed (install the PostgreSQL client tools): %w", err)
	}
	conn, env, err := libpq(dsn)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--dbname="+conn, "--file=-")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("restore: psql: %w", err)
	}
	werr := renameSchema(in, dump, quoteIdent(from), quoteIdent(to))
	in.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("restore: psql: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if werr != nil {
		return fmt.Errorf("restore: %w", werr)
	}
	return nil
}

// renameSchema copies a plain pg_dump of schema from to w as a dump of
// schema to, which exists already: statements have from's qualified names
// replaced, table data (COPY ... FROM stdin blocks) is copied as it is.
func renameSchema(w io.Writer, dump io.Reader, from, to string) error {
	qualified := regexp.MustCompile(`(^|[^A-Za-z0-9_$"])` + regexp.QuoteMeta(from) + `\.`)
	create := "CREATE SCHEMA " + from + ";"
	r := bufio.NewReader(dump)
	bw := bufio.NewWriter(w)
	inData := false
	for {
		line, err := r.ReadString('\n')
		switch {
		case inData:
			inData = line != "\\.\n"
		case strings.TrimSpace(line) == create:
			line = "CREATE SCHEMA IF NOT EXISTS " + to + ";\n"
		default:
			if from != to {
				line = qualified.ReplaceAllString(line, "${1}"+strings.ReplaceAll(to, "$", "$$")+".")
			}
			inData = strings.HasPrefix(line, "COPY ") && strings.HasSuffix(line, " FROM stdin;\n")
		}
		if _, werr := bw.WriteString(line); werr != nil {
			return werr
		}
		if err == io.EOF {
			return bw.Flush()
		}
		if err != nil {
			return err
		}
	}
}
