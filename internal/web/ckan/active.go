package ckan

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"

	"dataport/internal/catalog"
	"dataport/internal/search"
)

// CKAN's datastore_active: a resource's rows are in the datastore when its
// package has a current data version. The search index knows nothing of
// data versions, so the flag is set when a package is served, not cached
// with it.

// packageWithData is packageOf with datastore_active set.
func (a *api) packageWithData(ctx context.Context, base string, r catalog.Resource, o search.Org) (Package, error) {
	pkgs := []Package{packageOf(base, r, o)}
	err := a.markActive(ctx, pkgs)
	return pkgs[0], err
}

// markActive sets datastore_active on the resources of the packages that
// have a current data version.
func (a *api) markActive(ctx context.Context, pkgs []Package) error {
	if a.Datastore == nil || len(pkgs) == 0 {
		return nil
	}
	ids := make([]string, len(pkgs))
	for i, p := range pkgs {
		ids[i] = p.ID
	}
	active, err := a.Datastore.HasCurrent(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range pkgs {
		for j := range p.Resources {
			p.Resources[j].DatastoreActive = active[p.ID]
		}
	}
	return nil
}

// inactive and active are how a resource's flag is written in an encoded
// package. Inside a JSON string every quote is escaped, so `active":` can
// only end the key.
var inactive, active = []byte(`"datastore_active":false`), []byte(`"datastore_active":true`)

// encodedWithData returns the hits' encoded packages with datastore_active
// set (a changed package is a copy: the encoded bytes are shared).
func (a *api) encodedWithData(ctx context.Context, hits []search.Hit) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(hits))
	ids := make([]string, len(hits))
	for i, h := range hits {
		out[i], ids[i] = h.Encoded, encodedID(h.Encoded)
	}
	if a.Datastore == nil || len(hits) == 0 {
		return out, nil
	}
	current, err := a.hasCurrent(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, h := range hits {
		if current[ids[i]] {
			out[i] = bytes.ReplaceAll(h.Encoded, inactive, active)
		}
	}
	return out, nil
}

// encodedID reads the id of an encoded package: its first key (a hit read
// from the encoded cache carries no decoded resource).
func encodedID(b []byte) string {
	rest, ok := bytes.CutPrefix(b, []byte(`{"id":"`))
	if i := bytes.IndexByte(rest, '"'); ok && i >= 0 {
		return string(rest[:i])
	}
	return ""
}

// activeCache remembers which packages have a current data version while
// the search index's generation holds. Every change of a data version is
// an event about its resource, which the indexer applies as a new
// generation; so a remembered answer is as current as the search results
// it is served with (package_search asked the database on every call,
// 16% of its CPU at 100,000 datasets).
type activeCache struct {
	mu    sync.Mutex
	gen   int64
	known map[string]bool
}

// activeCacheMax bounds the packages remembered.
const activeCacheMax = 100000

// hasCurrent is Datastore.HasCurrent for ids, from the cache where it can.
func (a *api) hasCurrent(ctx context.Context, ids []string) (map[string]bool, error) {
	c := &a.active
	gen := a.Search.Generation()
	out := make(map[string]bool, len(ids))
	var missing []string
	c.mu.Lock()
	if c.gen != gen || c.known == nil || len(c.known) > activeCacheMax {
		c.gen, c.known = gen, map[string]bool{}
	}
	for _, id := range ids {
		if v, ok := c.known[id]; ok {
			out[id] = v
		} else {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	found, err := a.Datastore.HasCurrent(ctx, missing)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range missing {
		out[id] = found[id]
		if c.gen == gen {
			c.known[id] = found[id]
		}
	}
	return out, nil
}
