package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"dataport/internal/demo"

	"github.com/spf13/cobra"
)

func demoCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Seed a demo city into --data (default ./dataport-demo) when it is empty, then serve it",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("data") && os.Getenv("DATAPORT_DATA") == "" {
				o.data = "./dataport-demo"
			}
			if o.smtpURL == "" { // e-mails go to the console mailbox (demo_mail.go)
				url, stop, err := startConsoleMailbox(cmd.OutOrStdout())
				if err != nil {
					return err
				}
				defer stop()
				o.smtpURL = url
			}
			a, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			seeded, err := demo.IsSeeded(cmd.Context(), a.DB)
			if err != nil {
				return err
			}
			if !seeded {
				a.Config.Log.Info("seeding the demo city", "data", o.data)
				if _, err := demo.Seed(cmd.Context(), a.Identity, a.Catalog); err != nil {
					return fmt.Errorf("seed demo data: %w", err)
				}
				if err := demo.SeedAssessments(cmd.Context(), demo.AssessServices{Identity: a.Identity, Catalog: a.Catalog, Assess: a.Assess}); err != nil {
					return fmt.Errorf("seed demo risk assessments: %w", err)
				}
				if err := demo.SeedAccess(cmd.Context(), demo.AccessServices{Identity: a.Identity, Catalog: a.Catalog,
					Sharing: a.Sharing, Opening: a.Opening}); err != nil {
					return fmt.Errorf("seed demo sharing and opening: %w", err)
				}
				if err := demo.SeedPortal(cmd.Context(), demo.PortalServices{Identity: a.Identity, Catalog: a.Catalog, Portal: a.Portal}); err != nil {
					return fmt.Errorf("seed demo data requests, apps and news: %w", err)
				}
			}
			if err := demo.SeedRows(cmd.Context(), a.Catalog, a.Datastore()); err != nil { // idempotent: skips resources with data
				return fmt.Errorf("seed demo rows: %w", err)
			}
			if err := demo.SeedDeid(cmd.Context(), demo.DeidServices{Identity: a.Identity, Catalog: a.Catalog, Grades: a.Grades, Profiles: a.Profiles, Datastore: a.Datastore()}); err != nil { // idempotent
				return fmt.Errorf("seed demo de-identification: %w", err)
			}
			if err := demo.SeedExchange(cmd.Context(), demo.ExchangeServices{Identity: a.Identity, Catalog: a.Catalog, Datastore: a.Datastore(),
				Profiles: a.Profiles, Access: a.Access, Exchange: a.Exchange, Assets: a.Assets, Trade: a.Trade, Risk: a.Risk, Disputes: a.Disputes,
				Ledger: a.Ledger}); err != nil { // idempotent: skipped once seeded
				return fmt.Errorf("seed demo exchange: %w", err)
			}
			if err := demo.SeedZones(cmd.Context(), demo.ZoneServices{Identity: a.Identity, Catalog: a.Catalog, Datastore: a.Datastore(),
				Zones: a.Zones, Assess: a.Assess}); err != nil { // idempotent: skipped once seeded; queries run here, the job runner is not started yet
				return fmt.Errorf("seed demo zones: %w", err)
			}
			if err := demo.SeedMonitor(cmd.Context(), demo.MonitorServices{DB: a.DB, Identity: a.Identity, Catalog: a.Catalog, Access: a.Access,
				Rules: a.Grades, Profiles: a.Profiles, Monitor: a.Monitor}); err != nil { // idempotent: skipped once an alert exists
				return fmt.Errorf("seed demo security monitoring: %w", err)
			}
			if err := demo.SeedIncidents(cmd.Context(), demo.IncidentServices{Identity: a.Identity, Catalog: a.Catalog, Monitor: a.Monitor,
				Incidents: a.Incidents}); err != nil { // idempotent: skipped once an incident exists
				return fmt.Errorf("seed demo security incidents: %w", err)
			}
			if err := demo.SeedStats(cmd.Context(), demo.StatsServices{DB: a.DB, Stats: a.Stats}); err != nil { // idempotent: skipped once a snapshot exists
				return fmt.Errorf("seed demo statistics: %w", err)
			}
			if err := demo.SeedIndex(cmd.Context(), demo.IndexServices{Identity: a.Identity, Stats: a.Stats}); err != nil { // idempotent: skipped once the year is published
				return fmt.Errorf("seed demo composite index: %w", err)
			}
			printAccounts(cmd.OutOrStdout(), "http://"+o.addr, demo.Accounts())
			if strings.Contains(o.smtpURL, "tls=none&from=noreply@jinghua.example") {
				fmt.Fprintln(cmd.OutOrStdout(), "E-mails (confirmation and password-reset links, notices) are printed here.")
			}
			return a.Serve(cmd.Context())
		},
	}
	addServeFlags(cmd, o, "127.0.0.1:8080")
	return cmd
}

func printAccounts(w io.Writer, url string, accounts []demo.Account) {
	fmt.Fprintf(w, "\ndataport demo city at %s\n\n", url)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tPASSWORD\tROLE\tORGANIZATION")
	for _, a := range accounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Username, a.Password, a.Role, a.Organization)
	}
	tw.Flush()
	fmt.Fprintln(w)
}
