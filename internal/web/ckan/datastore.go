package ckan

import (
	"context"
	"errors"
	"fmt"

	"dataport/internal/datastore"
	"dataport/internal/identity"
)

// datastoreActions are CKAN's DataStore read actions, answered by the
// datastore service (which asks the access decision point on every call)
// through datastore_params.go, which reads CKAN's parameters into its queries;
// actions() adds them when Config.Datastore is set.
//
// datastore_search takes resource_id (id or catalog code), filters, q,
// fields, sort, limit (≤ 32000), offset, include_total and records_format
// (objects, lists, csv, tsv); datastore_search_sql takes sql and is refused
// unless the platform enables it (dataport serve --datastore-sql).
func datastoreActions(ds *datastore.Service) map[string]action {
	if ds == nil {
		return nil
	}
	return map[string]action{
		"datastore_search": {func(ctx context.Context, c *call) (any, error) {
			out, err := datastoreSearch(ctx, ds, c.who, c.params)
			return out, datastoreError(err)
		}, true},
		"datastore_search_sql": {func(ctx context.Context, c *call) (any, error) {
			out, err := datastoreSearchSQL(ctx, ds, c.who, c.params)
			return out, datastoreError(err)
		}, true},
	}
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
