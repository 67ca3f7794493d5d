package ledger

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/transparency-dev/tessera/api/layout"
)

// Handler serves the log under /ledger/ as C2SP tlog-tiles, so standard
// clients can audit it: /ledger/checkpoint (never cached), /ledger/tile/...
// (full tiles cached as immutable) and /ledger/key, the checkpoint verifier
// key on one line. Nothing else in the log folder is served.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ledger/checkpoint", func(w http.ResponseWriter, r *http.Request) {
		s.serveFile(w, layout.CheckpointPath, "text/plain; charset=utf-8", "no-cache")
	})
	mux.HandleFunc("GET /ledger/key", func(w http.ResponseWriter, r *http.Request) {
		_, vkey, err := s.Verifier()
		if err != nil {
			http.Error(w, "no ledger key yet", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write([]byte(vkey + "\n"))
	})
	mux.HandleFunc("GET /ledger/tile/{path...}", func(w http.ResponseWriter, r *http.Request) {
		path, partial, ok := tilePath(r.PathValue("path"))
		if !ok {
			http.Error(w, "not a tile path", http.StatusNotFound)
			return
		}
		cache := "public, max-age=31536000, immutable"
		if partial {
			cache = "public, max-age=60" // replaced by the full tile, then removed
		}
		s.serveFile(w, path, "application/octet-stream", cache)
	})
	return cors(mux)
}

// tilePath checks p against the tlog-tiles grammar ("<L>/<N>[.p/<W>]" or
// "entries/<N>[.p/<W>]") and returns the path of the file to serve, rebuilt
// from the parsed numbers so nothing else can be reached.
func tilePath(p string) (path string, partial bool, ok bool) {
	level, index, found := strings.Cut(p, "/")
	if !found {
		return "", false, false
	}
	if level == "entries" {
		n, w, err := layout.ParseTileIndexPartial(index)
		if err != nil {
			return "", false, false
		}
		return layout.EntriesPath(n, w), w > 0, true
	}
	l, n, w, err := layout.ParseTileLevelIndexPartial(level, index)
	if err != nil {
		return "", false, false
	}
	return layout.TilePath(l, n, w), w > 0, true
}

func (s *Service) serveFile(w http.ResponseWriter, path, contentType, cache string) {
	body, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(path)))
	if errors.Is(err, fs.ErrNotExist) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.Error("ledger: serve file", "path", path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(body)
}

// cors lets browser-based log clients read the tiles from any origin.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		next.ServeHTTP(w, r)
	})
}
