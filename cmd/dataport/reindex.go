package main

import (
	"fmt"
	"time"

	"dataport/internal/search"

	"github.com/spf13/cobra"
)

func reindexCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the search index from the database (while the server is stopped)",
		Long: `reindex rebuilds the catalog's search index in --data/search from the
database. A running server keeps its index current by itself and rebuilds
it on start when it is missing or stale; reindex is for doing it offline
(the index is locked while a server has it open).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			start := time.Now()
			ix, err := search.Open(a.SearchDir())
			if err != nil {
				return err
			}
			defer ix.Close()
			if err := search.NewIndexer(ix, a.DB, a.Catalog, a.Identity, a.Config.Log).Rebuild(cmd.Context()); err != nil {
				return err
			}
			n, err := ix.Count()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "search index rebuilt: %d resources in %.1fs (%s)\n", n, time.Since(start).Seconds(), a.SearchDir())
			return nil
		},
	}
}
