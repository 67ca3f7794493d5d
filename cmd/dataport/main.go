// Command dataport runs a city's public data and data-market platform.
// Every flag has a DATAPORT_* environment equivalent (--data: DATAPORT_DATA).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"

	"dataport/internal/app"
	"dataport/internal/notify"
	"dataport/internal/signup"
	"dataport/internal/web"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "dataport:", err)
		os.Exit(1)
	}
}

// options are the flags shared by every command that opens the store.
type options struct {
	addr, data, db, publicURL, logLevel, logFormat, ledgerOrigin string
	gradingRules, holidays, smtpURL                              string
	anonRate                                                     int
	metricsAllow                                                 []string
	metricsToken                                                 string

	oidc signup.OIDC // single sign-on with the city's unified identity

	datastoreSQL bool // serve CKAN datastore_search_sql

	dspInsecureCallbacks bool // Dataspace Protocol callbacks to http:// and private addresses

	cpuProfile string // write a CPU profile of the command here

	node, searchDir, dbRead string // replicas: this one's name, its own search index, a read replica's URL
}

func rootCommand() *cobra.Command {
	var o options
	root := &cobra.Command{
		Use:           "dataport",
		Short:         "A city's public data catalog, sharing, opening and data exchange platform",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&o.data, "data", "./dataport-data", "data directory (SQLite store, keys, files)")
	pf.StringVar(&o.db, "db", "", "PostgreSQL URL (postgres://...); empty uses the embedded SQLite store in --data")
	pf.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	pf.StringVar(&o.ledgerOrigin, "ledger-origin", "", "origin line of the ledger's checkpoints, fixed when its key is created; default PUBLIC-URL-HOST/ledger")
	pf.BoolVar(&o.datastoreSQL, "datastore-sql", false, "serve CKAN datastore_search_sql (read-only SELECT over readable resources)")
	pf.BoolVar(&o.dspInsecureCallbacks, "dsp-insecure-callbacks", false, "let Dataspace Protocol consumers' callback addresses be http:// and on loopback or private networks (local trials only; by default https:// on public networks)")
	pf.StringVar(&o.gradingRules, "grading-rules", "", "classification and grading rule file (YAML or JSON) replacing the shipped rules")
	pf.StringVar(&o.holidays, "holidays", "", "public-holiday schedule file (YAML or JSON) adding years to the shipped State Council schedules, for working-day deadlines")
	pf.StringVar(&o.smtpURL, "smtp-url", "", "mail server for e-mailed notices: smtp://USER@HOST:587?from=ADDRESS (STARTTLS), smtps://HOST:465?from=..., or smtp://HOST:25?tls=none&from=...; the password comes from $DATAPORT_SMTP_PASSWORD; without it notices wait in the outbox")
	pf.StringSliceVar(&o.metricsAllow, "metrics-allow", []string{"127.0.0.1/32", "::1"}, "networks (CIDRs, comma-separated) whose clients may read /metrics; others need --metrics-token")
	pf.StringVar(&o.metricsToken, "metrics-token", "", "bearer token that reads /metrics from any address (Authorization: Bearer TOKEN); better set as $DATAPORT_METRICS_TOKEN")
	pf.StringVar(&o.oidc.Issuer, "oidc-issuer", "", "OpenID Connect issuer URL of the city's unified identity; turns on single sign-on (with --oidc-client-id)")
	pf.StringVar(&o.oidc.ClientID, "oidc-client-id", "", "OpenID Connect client id of this platform at the issuer")
	pf.StringVar(&o.oidc.ClientSecret, "oidc-client-secret", "", "OpenID Connect client secret; better set as $DATAPORT_OIDC_CLIENT_SECRET")
	pf.StringVar(&o.oidc.Name, "oidc-name", "", "label of the single sign-on button on the sign-in page (default 使用统一身份认证登录)")
	pf.StringVar(&o.oidc.USCCClaim, "oidc-uscc-claim", "uscc", "ID token claim holding a company's unified social credit code: a token with it signs in a company")
	pf.StringVar(&o.node, "node", "", "name of this replica among those sharing --db and --data (each needs its own, stable across restarts, e.g. the pod name); empty: one process, named in the data dir's node-id file")
	pf.StringVar(&o.searchDir, "search-dir", "", "this replica's own search index (a local disk); default DATA/search, or DATA/replicas/NODE/search with --node")
	pf.StringVar(&o.dbRead, "db-read", "", "PostgreSQL URL of a streaming replica for read-only paths (catalog pages, search rebuilds, row reads); writes and access decisions stay on --db")
	pf.IntVar(&o.anonRate, "anon-rate", 0, "data reads a minute allowed to one anonymous client address (0: 120)")
	pf.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (for `go tool pprof`)")
	pf.MarkHidden("cpuprofile")
	var profile *os.File
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := applyEnv(cmd); err != nil || o.cpuProfile == "" {
			return err
		}
		var err error
		if profile, err = os.Create(o.cpuProfile); err != nil {
			return err
		}
		return pprof.StartCPUProfile(profile)
	}
	root.PersistentPostRunE = func(*cobra.Command, []string) error {
		if profile == nil {
			return nil
		}
		pprof.StopCPUProfile()
		return profile.Close()
	}
	root.AddCommand(serveCommand(&o), demoCommand(&o), migrateCommand(&o), tokenCommand(&o), userCommand(&o), ledgerCommand(&o), importCommand(&o), harvestCommand(&o), reindexCommand(&o), scanCommand(), deidCommand(), versionCommand())
	root.AddCommand(backupCommand(&o), restoreCommand(&o))
	return root
}

// applyEnv fills every flag the user did not set from DATAPORT_<FLAG> (dashes become underscores).
func applyEnv(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		name := "DATAPORT_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && !f.Changed && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

func (o *options) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	if o.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, hopts)), nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, hopts)), nil
}

// open builds the application from the options.
func (o *options) open(ctx context.Context) (*app.App, error) {
	log, err := o.logger()
	if err != nil {
		return nil, err
	}
	slog.SetDefault(log)
	public := o.publicURL
	if public == "" && o.addr != "" {
		public = "http://" + o.addr
	}
	var mail notify.SMTP
	if o.smtpURL != "" {
		if mail, err = notify.ParseSMTP(o.smtpURL, os.Getenv("DATAPORT_SMTP_PASSWORD")); err != nil {
			return nil, fmt.Errorf("--smtp-url: %w", err)
		}
	}
	allow, err := web.ParseMetricsAllow(o.metricsAllow)
	if err != nil {
		return nil, fmt.Errorf("--metrics-allow: %w", err)
	}
	return app.Open(ctx, app.Config{Addr: o.addr, DataDir: o.data, DatabaseURL: o.db, PublicURL: public,
		Version: versionString(), Log: log, LedgerOrigin: o.ledgerOrigin, AnonymousRate: o.anonRate,
		DatastoreSQL: o.datastoreSQL, GradingRules: o.gradingRules, Holidays: o.holidays, SMTP: mail,
		Metrics: web.MetricsAccess{Allow: allow, Token: o.metricsToken}, OIDC: o.oidc, DSPInsecureCallbacks: o.dspInsecureCallbacks,
		Node: o.node, SearchDir: o.searchDir, ReadDatabaseURL: o.dbRead})
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "dataport", versionString()) },
	}
}
