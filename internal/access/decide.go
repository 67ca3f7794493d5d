package access

import (
	"context"
	"errors"

	"dataport/internal/catalog"
	"dataport/internal/store"
)

// Service decides access on one store.
type Service struct {
	db  *store.DB
	cat *catalog.Service
}

// NewService returns the decision point.
func NewService(db *store.DB, cat *catalog.Service) *Service {
	return &Service{db: db, cat: cat}
}

// Decide answers req. It denies unless something grants: the resource's own
// institution and platform operators may read; anyone may read a published,
// unconditionally open resource. Grants from sharing, opening, zones and
// contracts are added by those workflows.
func (s *Service) Decide(ctx context.Context, req Request) (Decision, error) {
	r, err := s.cat.Get(ctx, req.Subject, req.ResourceID)
	if errors.Is(err, store.ErrNotFound) {
		return deny("not_found", "no such resource, or it is not visible to you"), nil
	} else if err != nil {
		return Decision{}, err
	}
	return decideCatalog(req, r), nil
}

func decideCatalog(req Request, r catalog.Resource) Decision {
	switch {
	case req.Subject.RoleIn(r.OrganizationID) != "":
		return Decision{Allow: true, Reason: "provider", Message: "the providing institution reads its own data"}
	case r.Status != catalog.StatusPublished:
		return deny("not_published", "the resource is not published")
	case catalog.CanReview(req.Subject):
		return Decision{Allow: true, Reason: "platform_operator", Message: "platform operators read published data"}
	case r.OpenType == catalog.OpenUnconditional && req.Action != ActionCompute:
		return Decision{Allow: true, Reason: "open_unconditional", Message: "the resource is open to everyone"}
	case r.OpenType == catalog.OpenConditional:
		return deny("no_grant", "the resource is open on application: apply for access first")
	default:
		return deny("not_open", "the resource is not open to the public")
	}
}

func deny(reason, message string) Decision {
	return Decision{Allow: false, Reason: reason, Message: message}
}
