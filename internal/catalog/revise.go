package catalog

import (
	"context"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"

	"github.com/google/uuid"
)

// CreateWithID is Create with the new resource's id chosen by the caller: a
// harvester keeping the ids of the portal it copies, or a CKAN client
// loading a dump, so that running it again updates instead of duplicating.
// The id must be a UUID that no resource has yet.
func (s *Service) CreateWithID(ctx context.Context, actor identity.Principal, orgID, id string, in Input) (Resource, error) {
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil {
		return Resource{}, validate.Errors{{Field: "id", Value: id, Message: "is not a UUID"}}
	}
	r, err := s.create(ctx, actor, orgID, u.String(), in)
	if store.IsUniqueViolation(err) { // codes are allocated, so only the id can collide
		return Resource{}, validate.Errors{{Field: "id", Value: id, Message: "is already the id of another resource"}}
	}
	return r, err
}

// Revise replaces the institution-written part of a published resource,
// which stays published: a reviewer's correction, or a harvest bringing in
// the source portal's change. The new version records the diff like any
// other change. A revision that changes nothing writes nothing.
func (s *Service) Revise(ctx context.Context, actor identity.Principal, id string, in Input, comment string) (Resource, error) {
	in.Normalize()
	return s.change(ctx, actor, id, "revised", strings.TrimSpace(comment), func(r *Resource) error {
		if err := Check(actor, *r, ActionRevise); err != nil {
			return err
		}
		return replaceInput(r, in)
	})
}
