package ui

import (
	"context"
	"net/http"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
)

// The requests for more material (a reviewer asks, the filer answers) and
// the page of what waits for the signed-in person across every kind of
// review.

// caseTextAction asks or answers on the case in the request's path with text.
type caseTextAction func(ctx context.Context, p identity.Principal, id, text string) error

// caseText is the handler of a question or an answer on a request page.
// Form fields: csrf_token, text. Bad text shows the page again with the
// problem at the field.
func (s *server) caseText(kind string, load func(*http.Request, identity.Principal) (requestPage, error), act caseTextAction,
	done string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		text := r.PostForm.Get("text")
		return s.requestForm(w, r, kind, load, func(p identity.Principal) (string, error) {
			return done, act(r.Context(), p, r.PathValue("id"), text)
		}, func(page *requestPage) { page.Text = text })
	}
}

func (s *server) askShareRequester(ctx context.Context, p identity.Principal, id, text string) error {
	_, err := s.acc.Sharing.RequestInfo(ctx, p, id, text)
	return err
}

func (s *server) answerShareRequest(ctx context.Context, p identity.Principal, id, text string) error {
	_, err := s.acc.Sharing.Answer(ctx, p, id, text)
	return err
}

func (s *server) askApplicant(ctx context.Context, p identity.Principal, id, text string) error {
	_, err := s.acc.Opening.RequestInfo(ctx, p, id, text)
	return err
}

func (s *server) answerApplication(ctx context.Context, p identity.Principal, id, text string) error {
	_, err := s.acc.Opening.Answer(ctx, p, id, text)
	return err
}

// waitingRow is one case on the waiting page.
type waitingRow struct {
	review.Waiting
	Resource   catalog.Resource // the subject, when it is a resource
	Filer      identity.Organization
	HasSubject bool
}

// waitingPage lists what waits for the signed-in person: requests and
// applications to decide, and requests for more material to answer,
// soonest deadline first.
func (s *server) waitingPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	ws, err := s.acc.Review.Waiting(r.Context(), p, 200)
	if err != nil {
		return err
	}
	n := newNames(s, r.Context(), p)
	rows := make([]waitingRow, len(ws))
	for i, c := range ws {
		rows[i] = waitingRow{Waiting: c, Filer: n.org(c.FilerOrgID)}
		if c.SubjectKind == "resource" {
			rows[i].Resource, rows[i].HasSubject = n.resource(c.SubjectID), true
		}
	}
	return s.render(w, r, http.StatusOK, "waiting", struct {
		Rows []waitingRow
		Now  time.Time
	}{rows, time.Now()})
}
