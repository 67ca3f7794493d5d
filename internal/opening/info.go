package opening

import (
	"context"

	"dataport/internal/identity"
)

// RequestInfo asks the applicant for more material: whoever may decide the
// application's current step may ask. The application waits for the
// answer with its deadline paused, and expires when none comes in time
// (review.AccessAnswerDays working days).
func (s *Service) RequestInfo(ctx context.Context, actor identity.Principal, id, question string) (Application, error) {
	return s.applications.RequestInfo(ctx, actor, id, question)
}

// Answer gives the applicant's answer to a request for more material; the
// application returns to its reviewers, its deadline moved on by the
// working days it waited.
func (s *Service) Answer(ctx context.Context, actor identity.Principal, id, answer string) (Application, error) {
	return s.applications.Answer(ctx, actor, id, answer)
}
