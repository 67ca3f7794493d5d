package ui

import (
	"context"
	"net/url"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// resourceRow is a resource with its institution, for resource tables.
type resourceRow struct {
	Resource catalog.Resource
	Org      identity.Organization
}

// organizationIndex returns every organization by id. A city has hundreds,
// not millions, so one query per page is cheap.
func (s *server) organizationIndex(ctx context.Context) (map[string]identity.Organization, error) {
	orgs, err := s.identity.Organizations(ctx, identity.OrgFilter{})
	if err != nil {
		return nil, err
	}
	index := make(map[string]identity.Organization, len(orgs))
	for _, o := range orgs {
		index[o.ID] = o
	}
	return index, nil
}

// resourceRows pairs each resource with its institution.
func (s *server) resourceRows(ctx context.Context, resources []catalog.Resource) ([]resourceRow, error) {
	index, err := s.organizationIndex(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]resourceRow, len(resources))
	for i, r := range resources {
		rows[i] = resourceRow{Resource: r, Org: index[r.OrganizationID]}
	}
	return rows, nil
}

// institutions lists the public institutions, for filters and choices.
func (s *server) institutions(ctx context.Context) ([]identity.Organization, error) {
	return s.identity.Organizations(ctx, identity.OrgFilter{Kind: identity.KindInstitution})
}

// pager links the pages of a keyset-paged list: the next page, and the
// first one when the list is past it. Empty links are not shown.
type pager struct {
	Next, First string
}

// newPager links the pages of path whose current query is q, given the
// cursor of the next page ("" on the last page). Empty filters are dropped.
func newPager(path string, q url.Values, nextCursor string) pager {
	keep := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if v != "" && k != "cursor" && k != "done" {
				keep.Add(k, v)
			}
		}
	}
	var pg pager
	if q.Get("cursor") != "" {
		pg.First = withQuery(path, keep)
	}
	if nextCursor != "" {
		next := url.Values{}
		for k, vs := range keep {
			next[k] = vs
		}
		next.Set("cursor", nextCursor)
		pg.Next = withQuery(path, next)
	}
	return pg
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
