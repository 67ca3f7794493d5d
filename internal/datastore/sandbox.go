package datastore

import (
	"context"
	"errors"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// SandboxSession is the access a public data zone's query holds on its
// resources: one allow decision per resource (action compute, channel
// zone.sandbox, the authorisation's purpose), taken when it opens, and the
// version of each resource current then. Statements run through it read
// those versions only, read-only, where the database itself permits
// reading those tables and calling the policy's functions only (as
// datastore_search_sql). It serves no rows to anyone: the zones engine
// turns what it reads into protected aggregates.
type SandboxSession struct {
	s         *Service
	actor     identity.Principal
	decisions map[string]access.Decision
	versions  map[string]DataVersion
}

// ErrSandboxRows means a sandbox statement returned more rows than its
// caller allowed.
var ErrSandboxRows = errors.New("the statement returned more rows than allowed")

// OpenSandbox decides actor's compute access to each resource for purpose
// and pins their current versions. A denial is an *access.DeniedError; a
// decision that constrains rows or values (a row filter or a
// de-identification profile) is refused too, since aggregates over hidden
// rows or rewritten values would be wrong; a fields constraint is kept in
// the decision for the caller to narrow what statements may name.
func (s *Service) OpenSandbox(ctx context.Context, actor identity.Principal, purpose string, resourceIDs []string) (*SandboxSession, error) {
	return nil, errors.New("datastore.OpenSandbox: not built yet")
}

// Decision is the allow decision for a resource of the session.
func (ss *SandboxSession) Decision(resourceID string) access.Decision {
	return ss.decisions[resourceID]
}

// Rows is how many rows the pinned version of a resource holds.
func (ss *SandboxSession) Rows(resourceID string) int64 { return ss.versions[resourceID].Rows }

// Items are the items of the pinned version of a resource.
func (ss *SandboxSession) Items(resourceID string) []catalog.Item {
	return ss.versions[resourceID].Items
}

// Run checks sqlText with CheckSQL under policy (its tables must be the
// session's resources, named by id), prints it with the pinned version
// tables and runs it read-only within timeout, calling fn with each row's
// values (int64, float64, string, bool, time.Time or nil) in column order.
// More than maxRows rows stop it with ErrSandboxRows. It returns the rows
// read.
func (ss *SandboxSession) Run(ctx context.Context, sqlText string, policy SQLPolicy, timeout time.Duration, maxRows int, fn func(row []any) error) (int, error) {
	return 0, errors.New("datastore.SandboxSession.Run: not built yet")
}

// Close ends the session (the decisions served no rows: each records 0).
func (ss *SandboxSession) Close(ctx context.Context) {}
