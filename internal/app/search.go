package app

import (
	"context"
	"path/filepath"

	"dataport/internal/search"
)

// SearchDir is where the search index lives in the data dir.
func (a *App) SearchDir() string { return filepath.Join(a.Config.DataDir, "search") }

// OpenSearch opens the catalog's search index in the data dir and makes it
// current (rebuilding it when it is missing, half-built, built by another
// version, or does not match the database). The returned indexer keeps it
// current while it Runs; the caller closes its Index.
func (a *App) OpenSearch(ctx context.Context) (*search.Indexer, error) {
	ix, err := search.Open(a.SearchDir())
	if err != nil {
		return nil, err
	}
	x := search.NewIndexer(ix, a.DB, a.Catalog, a.Identity, a.Config.Log)
	if err := x.Prepare(ctx); err != nil {
		ix.Close()
		return nil, err
	}
	return x, nil
}
