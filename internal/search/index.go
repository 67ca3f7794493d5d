package search

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"dataport/internal/catalog"

	"github.com/blevesearch/bleve/v2"
)

// Keys of the values the index keeps about itself, beside its documents.
var (
	keyMapping  = []byte("dataport.mapping") // mappingVersion the index was built with
	keySeq      = []byte("dataport.seq")     // the last event seq applied
	keyComplete = []byte("dataport.complete")
)

// Index is the catalog's search index. It is safe for concurrent use: any
// number of searches run while one writer applies changes.
type Index struct {
	bleve  bleve.Index
	engine *engine // the in-memory mirror searches run on (engine.go)
	path   string  // "" for an in-memory index
	// generation counts applied batches; deep-page cursors remembered under
	// one generation are only reused while it holds.
	generation atomic.Int64
	pages      *pageCache
	docs       *lru[string, decoded]    // stored documents, decoded (a search decodes only the page's hits)
	encoded    *lru[encodedKey, []byte] // hits as Request.Encoder encoded them
	results    *lru[string, Result]     // whole results by request, under the current generation
}

// ResultCacheSize is how many search results an index remembers; results
// are keyed by the index generation, so any change makes them unreachable.
const ResultCacheSize = 4096

// ErrLocked means another process (a running server) holds the index.
var ErrLocked = errors.New("search index is in use by another dataport process")

// Open opens the index in dir (created when missing). An index built with
// another mapping, or left half-built, is discarded and created empty;
// NeedsRebuild then reports true.
func Open(dir string) (*Index, error) {
	path := filepath.Join(dir, "catalog.bleve")
	cfg := map[string]any{"bolt_timeout": "2s"}
	idx, err := bleve.OpenUsing(path, cfg)
	switch {
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist):
		return create(path)
	case err != nil && strings.Contains(err.Error(), "timeout"): // bbolt could not lock root.bolt
		return nil, fmt.Errorf("%w (%s)", ErrLocked, path)
	case err != nil:
		return nil, fmt.Errorf("search: open %s: %w", path, err)
	}
	ix := wrap(idx, path)
	if ix.internal(keyMapping) != mappingVersion || ix.internal(keyComplete) != "1" {
		idx.Close()
		return create(path)
	}
	return ix, nil
}

// create makes a new, empty index at path, removing whatever was there.
func create(path string) (*Index, error) {
	if err := os.RemoveAll(path); err != nil {
		return nil, fmt.Errorf("search: remove old index: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	idx, err := bleve.New(path, newMapping())
	if err != nil {
		return nil, fmt.Errorf("search: create %s: %w", path, err)
	}
	return wrap(idx, path), nil
}

// OpenMemory returns an empty index held in memory, for tests and tools.
func OpenMemory() (*Index, error) {
	idx, err := bleve.NewMemOnly(newMapping())
	if err != nil {
		return nil, err
	}
	return wrap(idx, ""), nil
}

func wrap(idx bleve.Index, path string) *Index {
	return &Index{bleve: idx, engine: newEngine(idx.Mapping()), path: path, pages: newPageCache(4096),
		docs: newLRU[string, decoded](4096), encoded: newLRU[encodedKey, []byte](8192), results: newLRU[string, Result](ResultCacheSize)}
}

// Generation changes whenever the index applies a change (of a resource,
// its organization or its data versions, each an event about the
// resource) or the synonym list changes: what was computed from the index
// under one generation may be kept until it moves.
func (ix *Index) Generation() int64 { return ix.generation.Load() }

// DisableResultCache makes every search run (for measuring the search itself).
func (ix *Index) DisableResultCache() { ix.results = newLRU[string, Result](0) }

// Close releases the index.
func (ix *Index) Close() error { return ix.bleve.Close() }

// NeedsRebuild reports whether the index has never been completely built
// with the current mapping.
func (ix *Index) NeedsRebuild() bool {
	return ix.internal(keyMapping) != mappingVersion || ix.internal(keyComplete) != "1"
}

// Seq is the seq of the last event the index reflects (0 when none).
func (ix *Index) Seq() int64 {
	n, _ := strconv.ParseInt(ix.internal(keySeq), 10, 64)
	return n
}

// Count is the number of documents in the index.
func (ix *Index) Count() (uint64, error) { return ix.bleve.DocCount() }

func (ix *Index) internal(key []byte) string {
	v, err := ix.bleve.GetInternal(key)
	if err != nil {
		return ""
	}
	return string(v)
}

// Change is one document to write: a resource with its organization, or,
// with Delete set, the removal of the resource with ID.
type Change struct {
	ID       string
	Delete   bool
	Resource catalog.Resource
	Org      Org
}

// Apply writes changes and records seq as the last event applied, atomically:
// a search sees all of the batch or none of it.
func (ix *Index) Apply(changes []Change, seq int64) error {
	b := ix.bleve.NewBatch()
	docs := make([]map[string]any, len(changes))
	for i, c := range changes {
		if c.Delete {
			b.Delete(c.ID)
			continue
		}
		doc, err := document(c.Resource, c.Org)
		if err != nil {
			return err
		}
		if err := b.Index(c.Resource.ID, doc); err != nil {
			return fmt.Errorf("search: index %s: %w", c.Resource.ID, err)
		}
		docs[i] = doc
	}
	if seq > 0 {
		b.SetInternal(keySeq, []byte(strconv.FormatInt(seq, 10)))
	}
	if err := ix.bleve.Batch(b); err != nil {
		return fmt.Errorf("search: apply batch: %w", err)
	}
	for i, c := range changes { // bleve first: the mirror never runs ahead of the disk
		if c.Delete {
			ix.engine.delete(c.ID)
		} else {
			ix.engine.put(c.Resource.ID, docs[i])
		}
	}
	ix.generation.Add(1)
	return nil
}

// markComplete records that the index holds every resource as of seq.
func (ix *Index) markComplete(seq int64) error {
	b := ix.bleve.NewBatch()
	b.SetInternal(keyMapping, []byte(mappingVersion))
	b.SetInternal(keySeq, []byte(strconv.FormatInt(seq, 10)))
	b.SetInternal(keyComplete, []byte("1"))
	return ix.bleve.Batch(b)
}

// reset empties the index (dropping its completeness mark) so it can be rebuilt.
func (ix *Index) reset() error {
	if ix.path == "" {
		idx, err := bleve.NewMemOnly(newMapping())
		if err != nil {
			return err
		}
		ix.bleve.Close()
		ix.bleve = idx
		ix.engine.reset()
		ix.generation.Add(1)
		return nil
	}
	ix.bleve.Close()
	fresh, err := create(ix.path)
	if err != nil {
		return err
	}
	ix.bleve = fresh.bleve
	ix.engine.reset()
	ix.generation.Add(1)
	return nil
}
