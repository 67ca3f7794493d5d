package app

import (
	"context"
	"path/filepath"

	"dataport/internal/search"
)

// SearchDir is where this process's search index lives: Config.SearchDir,
// or in the data dir — a folder of its own per replica when replicas share
// the data dir (Config.Node), since each keeps its own index.
func (a *App) SearchDir() string {
	switch {
	case a.Config.SearchDir != "":
		return a.Config.SearchDir
	case a.Config.Node != "":
		return filepath.Join(a.Config.DataDir, "replicas", a.Config.Node, "search")
	}
	return filepath.Join(a.Config.DataDir, "search")
}

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
