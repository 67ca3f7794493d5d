package main

import (
	"github.com/spf13/cobra"
)

func serveCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the platform (production start; no demo data)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			return a.Serve(cmd.Context())
		},
	}
	addServeFlags(cmd, o, "127.0.0.1:8080")
	return cmd
}

func addServeFlags(cmd *cobra.Command, o *options, addr string) {
	cmd.Flags().StringVar(&o.addr, "addr", addr, "listen address")
	cmd.Flags().StringVar(&o.publicURL, "public-url", "", "public URL of the server (https:// turns on secure cookies); default http://ADDR")
}

func migrateCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := o.open(cmd.Context()) // opening applies migrations
			if err != nil {
				return err
			}
			defer a.Close()
			cmd.Println("database is up to date (" + string(a.DB.Dialect) + ")")
			return nil
		},
	}
}
