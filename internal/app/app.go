// Package app wires dataport together: configuration → store → services →
// HTTP server. It is the only place that builds everything.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/web"
)

// Config is the whole configuration of a dataport process.
type Config struct {
	Addr        string // listen address, e.g. 127.0.0.1:8080
	DataDir     string // SQLite file, ledger, blobs
	DatabaseURL string // postgres://...; empty for the embedded SQLite store
	PublicURL   string // how users reach the server; https:// turns on secure cookies
	Version     string
	Log         *slog.Logger
}

// App is an opened store with the services on it.
type App struct {
	Config   Config
	DB       *store.DB
	Identity *identity.Service
	Catalog  *catalog.Service
}

// Open connects to the store (applying migrations) and builds the services.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	db, err := store.Open(ctx, store.Config{DataDir: cfg.DataDir, URL: cfg.DatabaseURL})
	if err != nil {
		return nil, err
	}
	return &App{Config: cfg, DB: db, Identity: identity.NewService(db), Catalog: catalog.NewService(db)}, nil
}

// Close releases the store.
func (a *App) Close() error { return a.DB.Close() }

// Serve listens on the configured address and serves until ctx is cancelled,
// then shuts down gracefully, letting requests in flight finish.
func (a *App) Serve(ctx context.Context) error {
	handler, err := web.New(web.Config{DB: a.DB, Identity: a.Identity, Catalog: a.Catalog, Log: a.Config.Log,
		Version: a.Config.Version, SecureCookies: strings.HasPrefix(a.Config.PublicURL, "https://")})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads are large
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Config.Log.Handler(), slog.LevelWarn),
	}
	a.Config.Log.InfoContext(ctx, "dataport listening", "addr", ln.Addr().String(), "dialect", a.DB.Dialect, "version", a.Config.Version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Config.Log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
