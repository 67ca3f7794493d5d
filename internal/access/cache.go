package access

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// cache holds what Decide needs in memory: every grant that can still allow
// a read, indexed by resource and grantee; the catalog facts of resources
// asked about; group memberships; per-grant API keys. Writes through this
// process update it before they return; writes by other processes reach it
// through the event feed (watch.go).
type cache struct {
	mu        sync.RWMutex
	resources map[string]cachedResource
	grants    map[string]*grantEntry
	index     map[string]map[string][]*grantEntry        // resource id → grantee key → grants
	groups    map[string][]string                        // organization id → group ids
	keys      map[string]keyEntry                        // SHA-256 of the secret → key
	reqs      map[string]map[string]classify.Requirement // resource id → use|path → rules' answer
}

// cachedResource is a resource's catalog facts and when they were read.
type cachedResource struct {
	catalog.Resource
	at time.Time
}

// unwatchedTTL bounds how long a resource is cached by a Service that does
// not follow the event feed (Start not called): a command-line tool, a test.
const unwatchedTTL = time.Second

// grantEntry is a cached grant with live usage counters.
type grantEntry struct {
	Grant
	calls, rows, denied atomic.Int64
	filters             map[string]*RowFilter // resource id → compiled row filter
}

// keyEntry is a cached per-grant API key.
type keyEntry struct {
	ID, GrantID string
	Expires     time.Time // zero: no end
}

func newCache() *cache {
	return &cache{resources: map[string]cachedResource{}, grants: map[string]*grantEntry{},
		index: map[string]map[string][]*grantEntry{}, groups: map[string][]string{}, keys: map[string]keyEntry{},
		reqs: map[string]map[string]classify.Requirement{}}
}

func granteeKey(kind GranteeKind, id string) string {
	switch kind {
	case GranteeUser:
		return "u:" + id
	case GranteeOrganization:
		return "o:" + id
	}
	return "g:" + id
}

// subjectKeys are the grantee keys that hold grants for p: the user, each
// organization, and each group those organizations are in.
func (c *cache) subjectKeys(p identity.Principal) []string {
	keys := make([]string, 0, 1+2*len(p.Memberships))
	if !p.IsAnonymous() {
		keys = append(keys, "u:"+p.UserID)
	}
	for _, m := range p.Memberships {
		keys = append(keys, "o:"+m.OrganizationID)
		for _, g := range c.groups[m.OrganizationID] {
			keys = append(keys, "g:"+g)
		}
	}
	return keys
}

// candidates returns the grants on resource id held under any of keys.
// The caller holds c.mu for reading.
func (c *cache) candidates(resourceID string, keys []string) []*grantEntry {
	byKey := c.index[resourceID]
	if byKey == nil {
		return nil
	}
	var out []*grantEntry
	for _, k := range keys {
		out = append(out, byKey[k]...)
	}
	return out
}

// putGrant adds or replaces g, keeping the usage counted in memory when it
// is ahead of the stored figures (a batch not yet written).
func (c *cache) putGrant(g Grant, resources map[string]catalog.Resource) {
	e := &grantEntry{Grant: g, filters: map[string]*RowFilter{}}
	if g.Policy.RowFilter != "" {
		for _, rid := range g.ResourceIDs {
			if r, ok := resources[rid]; ok {
				if f, err := CompileRowFilter(g.Policy.RowFilter, r.Items); err == nil {
					e.filters[rid] = f
				}
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e.calls.Store(g.Usage.Calls)
	e.rows.Store(g.Usage.Rows)
	e.denied.Store(g.Usage.Denied)
	if old := c.grants[g.ID]; old != nil {
		e.calls.Store(max(g.Usage.Calls, old.calls.Load()))
		e.rows.Store(max(g.Usage.Rows, old.rows.Load()))
		e.denied.Store(max(g.Usage.Denied, old.denied.Load()))
		c.unindex(old)
	}
	c.grants[g.ID] = e
	key := granteeKey(g.GranteeKind, g.GranteeID)
	for _, rid := range g.ResourceIDs {
		if c.index[rid] == nil {
			c.index[rid] = map[string][]*grantEntry{}
		}
		c.index[rid][key] = append(c.index[rid][key], e)
	}
}

func (c *cache) unindex(e *grantEntry) {
	key := granteeKey(e.GranteeKind, e.GranteeID)
	for _, rid := range e.ResourceIDs {
		list := c.index[rid][key]
		list = slices.DeleteFunc(slices.Clone(list), func(x *grantEntry) bool { return x == e })
		if len(list) == 0 {
			delete(c.index[rid], key)
		} else {
			c.index[rid][key] = list
		}
	}
}

func (c *cache) grant(id string) *grantEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.grants[id]
}

func (c *cache) dropResource(id string) {
	c.mu.Lock()
	delete(c.resources, id)
	delete(c.reqs, id)
	c.mu.Unlock()
}

// loadAll replaces the grants, groups and keys with what the store holds.
// Grants revoked or expired stay cached: Decide names them in its reasons.
func (s *Service) loadAll(ctx context.Context) error {
	grants, err := queryGrants(ctx, s.db, `TRUE`, `ORDER BY g.id`)
	if err != nil {
		return err
	}
	groups, err := loadGroups(ctx, s.db)
	if err != nil {
		return err
	}
	keys, err := loadKeys(ctx, s.db, "")
	if err != nil {
		return err
	}
	resources := map[string]catalog.Resource{}
	for _, g := range grants {
		if g.Policy.RowFilter == "" {
			continue
		}
		for _, rid := range g.ResourceIDs {
			if _, ok := resources[rid]; !ok {
				if resources[rid], err = s.resource(ctx, rid); err != nil {
					return err
				}
			}
		}
	}
	s.cache.mu.Lock()
	s.cache.groups, s.cache.keys = groups, keys
	s.cache.mu.Unlock()
	for _, g := range grants {
		s.cache.putGrant(g, resources)
	}
	return nil
}

// reloadGrant refreshes one grant from the store.
func (s *Service) reloadGrant(ctx context.Context, id string) error {
	g, err := getGrant(ctx, s.db, id)
	if err != nil {
		return err
	}
	resources := map[string]catalog.Resource{}
	for _, rid := range g.ResourceIDs {
		if resources[rid], err = s.resource(ctx, rid); err != nil {
			return err
		}
	}
	s.cache.putGrant(g, resources)
	keys, err := loadKeys(ctx, s.db, id)
	if err != nil {
		return err
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	for h, k := range s.cache.keys {
		if k.GrantID == id {
			delete(s.cache.keys, h)
		}
	}
	for h, k := range keys {
		s.cache.keys[h] = k
	}
	return nil
}

// resource returns the catalog facts of resource id, from the cache or the
// store. The cache holds them until an event names the resource, or for
// unwatchedTTL when the service does not follow events.
func (s *Service) resource(ctx context.Context, id string) (catalog.Resource, error) {
	s.cache.mu.RLock()
	c, ok := s.cache.resources[id]
	s.cache.mu.RUnlock()
	if ok && (s.watching.Load() || time.Since(c.at) < unwatchedTTL) {
		return c.Resource, nil
	}
	r, err := s.cat.Get(ctx, identity.System, id)
	if err != nil {
		return r, err
	}
	s.cache.mu.Lock()
	s.cache.resources[id] = cachedResource{Resource: r, at: time.Now()}
	if !s.watching.Load() {
		delete(s.cache.reqs, id)
	}
	s.cache.mu.Unlock()
	return r, nil
}

func loadGroups(ctx context.Context, q store.Querier) (map[string][]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT organization_id, group_id FROM access_group_members ORDER BY group_id`)
	if err != nil {
		return nil, fmt.Errorf("access: groups: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var org, group string
		if err := rows.Scan(&org, &group); err != nil {
			return nil, err
		}
		out[org] = append(out[org], group)
	}
	return out, rows.Err()
}

// loadKeys returns the unrevoked, unexpired keys of grant grantID, or of
// every grant when it is "".
func loadKeys(ctx context.Context, q store.Querier, grantID string) (map[string]keyEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, grant_id, key_hash, expires_at FROM grant_keys
		WHERE revoked_at IS NULL AND ($1 = '' OR grant_id = $1) AND (expires_at IS NULL OR expires_at > $2)`, grantID, store.TS(time.Now()))
	if err != nil {
		return nil, fmt.Errorf("access: keys: %w", err)
	}
	defer rows.Close()
	out := map[string]keyEntry{}
	for rows.Next() {
		var k keyEntry
		var hash string
		if err := rows.Scan(&k.ID, &k.GrantID, &hash, store.ScanTime(&k.Expires)); err != nil {
			return nil, err
		}
		out[hash] = k
	}
	return out, rows.Err()
}
