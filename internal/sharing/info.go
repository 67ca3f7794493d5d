package sharing

import (
	"context"

	"dataport/internal/identity"
)

// RequestInfo asks the requester for more material: whoever may decide the
// request's current step may ask. The request waits for the answer with
// its deadline paused, and expires when none comes in time
// (review.AccessAnswerDays working days).
func (s *Service) RequestInfo(ctx context.Context, actor identity.Principal, id, question string) (Request, error) {
	return s.requests.RequestInfo(ctx, actor, id, question)
}

// Answer gives the requesting institution's answer to a request for more
// material; the request returns to its reviewers, its deadline moved on by
// the working days it waited.
func (s *Service) Answer(ctx context.Context, actor identity.Principal, id, answer string) (Request, error) {
	return s.requests.Answer(ctx, actor, id, answer)
}
