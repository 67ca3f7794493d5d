package review

import (
	"cmp"
	"context"
	"slices"
	"time"

	"dataport/internal/identity"
)

// Task is what a waiting case needs from a person.
type Task string

// Tasks.
const (
	TaskDecide Task = "decide" // a step the person may decide
	TaskAnswer Task = "answer" // a request for more information to the person's organization
)

// Waiting is one case that waits for a person, as the "waits for me" list
// shows it.
type Waiting struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"` // "share_request", "open_application", …
	Task   Task   `json:"task"`
	Status Status `json:"status"`
	// The subject: what the case reviews ("resource" and its id) and the
	// organization holding it.
	SubjectKind  string     `json:"subject_kind"`
	SubjectID    string     `json:"subject_id"`
	SubjectOrgID string     `json:"subject_org_id"`
	FilerOrgID   string     `json:"filer_org_id"`
	DueAt        *time.Time `json:"due_at"` // the step's deadline (decide) or the answer's (answer)
	Overdue      bool       `json:"overdue"`
	Escalated    bool       `json:"escalated"` // decided in the reviewers' place, by the operators
	Link         string     `json:"link"`      // the case's page: the kind's Link and the id
	CreatedAt    time.Time  `json:"created_at"`
}

// Waiting returns what waits for p across every kind — steps p may decide
// now and requests for more information p's organizations must answer —
// soonest deadline first (none last), at most limit (1–500, default 100).
func (s *Service) Waiting(ctx context.Context, p identity.Principal, limit int) ([]Waiting, error) {
	decide, err := s.List(ctx, p, Filter{Side: "queue", Limit: limit})
	if err != nil {
		return nil, err
	}
	answer, err := s.List(ctx, p, Filter{Side: "answer", Limit: limit})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]Waiting, 0, len(decide)+len(answer))
	add := func(c Case, t Task, due *time.Time) {
		out = append(out, Waiting{ID: c.ID, Kind: c.Kind, Task: t, Status: c.Status, SubjectKind: c.Subject.Kind, SubjectID: c.Subject.ID,
			SubjectOrgID: c.Subject.OrgID, FilerOrgID: c.FilerOrgID,
			DueAt: due, Overdue: due != nil && now.After(*due), Escalated: c.EscalatedAt != nil, Link: c.w.k.Link + c.ID,
			CreatedAt: c.CreatedAt})
	}
	for _, c := range decide {
		add(c, TaskDecide, c.DueAt)
	}
	for _, c := range answer {
		add(c, TaskAnswer, c.AnswerDueAt)
	}
	slices.SortStableFunc(out, func(a, b Waiting) int {
		switch {
		case a.DueAt == nil && b.DueAt == nil:
			return cmp.Compare(a.ID, b.ID)
		case a.DueAt == nil:
			return 1
		case b.DueAt == nil:
			return -1
		}
		return cmp.Or(a.DueAt.Compare(*b.DueAt), cmp.Compare(a.ID, b.ID))
	})
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	return out[:min(len(out), limit)], nil
}
