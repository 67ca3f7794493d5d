package ckan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// datastoreActions are CKAN's DataStore read actions, answered by the
// datastore service (which asks the access decision point on every call)
// through datastore_params.go, which reads CKAN's parameters into its queries;
// actions() adds them when Config.Datastore is set.
//
// datastore_search takes resource_id (id, catalog code, or the id of one of
// the package's CKAN resources, "{id}-csv"), filters, q, fields, sort,
// limit (≤ 32000), offset, include_total and records_format (objects,
// lists, csv, tsv); datastore_search_sql takes sql and is refused unless the
// platform enables it (dataport serve --datastore-sql).
func (a *api) datastoreActions() map[string]action {
	ds := a.Datastore
	if ds == nil {
		return nil
	}
	return map[string]action{
		"datastore_search": {func(ctx context.Context, c *call) (any, error) {
			if err := a.checkFileID(ctx, c.who, paramText(c.params["resource_id"])); err != nil {
				return nil, err
			}
			out, err := datastoreSearch(ctx, ds, c.who, c.params)
			return out, datastoreError(err)
		}, true},
		"datastore_search_sql": {func(ctx context.Context, c *call) (any, error) {
			out, err := datastoreSearchSQL(ctx, ds, c.who, c.params)
			return out, datastoreError(err)
		}, true},
	}
}

// checkFileID refuses the id of a CKAN resource ("{package id}-{format}")
// whose package has no such format, as resource_show does; other ids pass
// to the datastore as they are.
func (a *api) checkFileID(ctx context.Context, who identity.Principal, id string) error {
	pkgID, format, ok := splitResourceID(id)
	if !ok {
		return nil
	}
	r, err := a.Catalog.Get(ctx, who, pkgID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(r.Formats, func(f string) bool { return strings.EqualFold(f, format) }) {
		return fmt.Errorf("resource %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// datastoreError turns a disabled SQL action into CKAN's Authorization
// Error (403). Denials pass as they are: problem.Of answers them (403, or
// 429 with Retry-After for a rate limit) and accessDenied quotes the
// decision point's message.
func datastoreError(err error) error {
	if errors.Is(err, datastore.ErrSQLDisabled) {
		return fmt.Errorf("%w: %s", identity.ErrForbidden, err.Error())
	}
	return err
}
