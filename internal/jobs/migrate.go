package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"dataport/internal/store"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
)

// migrateLock is the PostgreSQL advisory lock under which a process applies
// River's migrations, so that replicas starting together take turns.
const migrateLock = 0x64617461_6a6f6273 // "datajobs"

// migrate applies River's pending migrations (its tables go where the
// store's do: the SQLite file, or the first schema of the search path).
func migrate(ctx context.Context, db *store.DB, driver riverdriver.Driver[*sql.Tx], log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slog.New(minLevel{log.Handler(), slog.LevelWarn})})
	if err != nil {
		return fmt.Errorf("jobs: migrations: %w", err)
	}
	if db.Dialect == store.Postgres {
		conn, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("jobs: migrations: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
			return fmt.Errorf("jobs: migrations: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLock))
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	for _, v := range res.Versions {
		log.InfoContext(ctx, "migration applied", "river_version", v.Version, "name", v.Name, "dialect", db.Dialect)
	}
	return nil
}
