package ckan

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"dataport/internal/identity"
)

// orgDirectory caches the organizations by CKAN name and id. A city has
// hundreds, read at once; the cache is refreshed every few seconds, and at
// once when a name is not found (at most once a second).
type orgDirectory struct {
	ids     *identity.Service
	mu      sync.Mutex
	loaded  time.Time
	tried   time.Time
	all     []identity.Organization
	byKey   map[string]identity.Organization
	refresh time.Duration
}

func newOrgDirectory(ids *identity.Service) *orgDirectory {
	return &orgDirectory{ids: ids, refresh: 10 * time.Second}
}

// list returns every organization, sorted by CKAN name.
func (d *orgDirectory) list(ctx context.Context) ([]identity.Organization, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if time.Since(d.loaded) > d.refresh {
		if err := d.load(ctx); err != nil {
			return nil, err
		}
	}
	return d.all, nil
}

// byName finds an organization by CKAN name (lower-case code) or id.
func (d *orgDirectory) byName(ctx context.Context, key string) (identity.Organization, bool) {
	key = strings.ToLower(strings.TrimSpace(key))
	d.mu.Lock()
	defer d.mu.Unlock()
	if time.Since(d.loaded) > d.refresh {
		d.load(ctx)
	}
	if o, ok := d.byKey[key]; ok {
		return o, true
	}
	if time.Since(d.tried) > time.Second {
		d.tried = time.Now()
		d.load(ctx)
	}
	o, ok := d.byKey[key]
	return o, ok
}

func (d *orgDirectory) load(ctx context.Context) error {
	var all []identity.Organization
	after := ""
	for {
		page, err := d.ids.Organizations(ctx, identity.OrgFilter{After: after, Limit: 1000})
		if err != nil {
			return err
		}
		all = append(all, page...)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	slices.SortFunc(all, func(a, b identity.Organization) int {
		return strings.Compare(strings.ToLower(a.Code), strings.ToLower(b.Code))
	})
	d.all, d.byKey, d.loaded = all, map[string]identity.Organization{}, time.Now()
	for _, o := range all {
		d.byKey[strings.ToLower(o.Code)] = o
		d.byKey[strings.ToLower(o.ID)] = o
	}
	return nil
}

// publisher reports whether an organization appears as a CKAN organization:
// institutions, and any other organization that has published resources.
func publisher(o identity.Organization, counts map[string]int) bool {
	return o.Kind == identity.KindInstitution || counts[o.ID] > 0
}
