package search

import "strconv"

// pageCache remembers, for recent offset-paged searches, the sort values of
// the last hit before an offset, so that the next page can continue from
// there (SearchAfter) instead of collecting and skipping every earlier hit.
// It is what keeps a harvester's start=99900 as cheap as start=0. Keys hold
// the index generation, so a cached position is never used after the index
// changes.
type pageCache struct{ lru *lru[string, []string] }

func newPageCache(max int) *pageCache { return &pageCache{lru: newLRU[string, []string](max)} }

func (c *pageCache) get(query string, pos int) ([]string, bool) {
	return c.lru.get(strconv.Itoa(pos) + "\x00" + query)
}

func (c *pageCache) put(query string, pos int, values []string) {
	c.lru.put(strconv.Itoa(pos)+"\x00"+query, values)
}
