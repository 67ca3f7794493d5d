package zones

import (
	"context"
	"io"

	"dataport/internal/identity"
	"dataport/internal/review"
)

// Submit checks an operator's statement, records the query and queues its
// job. A statement the guard refuses is recorded as refused (an event
// without the statement's text) and returned with a validate.Errors on
// the field "sql" (422).
func (s *Service) Submit(ctx context.Context, actor identity.Principal, zoneID string, in QueryInput) (Query, error) {
	return Query{}, errTODO
}

// Await waits until the query is finished or ctx ends, and returns it as
// actor may see it.
func (s *Service) Await(ctx context.Context, actor identity.Principal, id string) (Query, error) {
	return Query{}, errTODO
}

// Run is the query job's work: it runs the query and records its outcome.
func (s *Service) Run(ctx context.Context, queryID string) error { return errTODO }

// QueryFilter selects queries.
type QueryFilter struct {
	ZoneID string
	Status string
	Cursor string
	Limit  int
}

// Query returns a query as actor may see it: its operator sees the
// result once released; the steward and platform operators see the
// result in review too.
func (s *Service) Query(ctx context.Context, actor identity.Principal, id string) (Query, error) {
	return Query{}, errTODO
}

// Queries lists the queries actor may see, newest first, and the next cursor.
func (s *Service) Queries(ctx context.Context, actor identity.Principal, f QueryFilter) ([]Query, string, error) {
	return nil, "", errTODO
}

// DecideRelease is the steward's decision on a result in review: approve
// releases it, reject refuses it.
func (s *Service) DecideRelease(ctx context.Context, actor identity.Principal, queryID string, d review.Decision, comment string) (Query, error) {
	return Query{}, errTODO
}

// Usage returns each operator's metering in a zone (the steward and
// platform operators see all operators, an operator its own).
func (s *Service) Usage(ctx context.Context, actor identity.Principal, zoneID string) ([]Usage, error) {
	return nil, errTODO
}

// WriteCSV writes a released result as CSV (UTF-8 with BOM).
func (s *Service) WriteCSV(ctx context.Context, actor identity.Principal, queryID string, w io.Writer) error {
	return errTODO
}

// Keep keeps a released result in the zone as a derived dataset.
func (s *Service) Keep(ctx context.Context, actor identity.Principal, queryID string, in OutputInput) (Output, error) {
	return Output{}, errTODO
}

// Outputs lists a zone's kept outputs.
func (s *Service) Outputs(ctx context.Context, actor identity.Principal, zoneID string) ([]Output, error) {
	return nil, errTODO
}

// Output returns one kept output with its result.
func (s *Service) Output(ctx context.Context, actor identity.Principal, id string) (Output, Query, error) {
	return Output{}, Query{}, errTODO
}
