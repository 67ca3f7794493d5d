package ckan

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync"

	"dataport/internal/catalog"
	"dataport/internal/search"
)

// packageCache keeps packages encoded as JSON, so that a search answer
// splices them in instead of building and encoding each again. An entry is
// keyed by everything its text depends on (the resource's version and last
// change, its institution's names, the site's address), so a change is
// never served stale; when the cache is full it starts again empty.
type packageCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]json.RawMessage
}

func newPackageCache(max int) *packageCache {
	return &packageCache{max: max, entries: map[string]json.RawMessage{}}
}

func (c *packageCache) encode(base string, r catalog.Resource, o search.Org) (json.RawMessage, error) {
	key := r.ID + "\x00" + strconv.Itoa(r.Version) + "\x00" + r.UpdatedAt.String() + "\x00" + o.NameZh + "\x00" + o.NameEn +
		"\x00" + o.Code + "\x00" + o.Description + "\x00" + base
	c.mu.Lock()
	b, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(packageOf(base, r, o)); err != nil {
		return nil, err
	}
	b = json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n"))
	c.mu.Lock()
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[key] = b
	c.mu.Unlock()
	return b, nil
}
