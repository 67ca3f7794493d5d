// Package review is the one review workflow of dataport: a case — a share
// request, an open-data application, later an exchange listing, a zone
// authorisation or an incident — is filed about a subject, waits at the
// review steps its kind configures (in order, each decided by one reviewer,
// by all of several or by any of several), within deadlines counted in
// working days, with reminders before a deadline and escalation to the
// platform operator after it; a reviewer may ask the filer for more
// information, which pauses the clock until the filer answers; the filer
// may withdraw; a case whose filer never answers expires; the last approval
// runs the kind's decision handler (sharing creates the grant there).
//
// Every transition is stored with an entry in the case's history and an
// event, in the caller's transaction; the filer of a case never decides any
// of its steps. A kind is only configuration (Kind) and a decision handler:
// the package keeps the cases, their history and the one queue of what
// waits for a person across every kind.
package review

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/workday"
)

// ErrState means the case's status does not allow the action (409). It is
// the catalog's state error, so that every "not now" maps alike.
var ErrState = catalog.ErrState

// ErrSelfReview means the actor filed the case and so may not decide any
// step of it, whatever roles they hold (separation of duties). It is
// returned wrapped in identity.ErrForbidden; its text is the reason a
// client is shown.
var ErrSelfReview = errors.New("separation of duties: whoever filed a request or application may not decide it; another reviewer must")

// Status is where a case is: the name of the step it waits at, waiting for
// the filer's answer, or closed (the kind's approved status, rejected,
// withdrawn, expired).
type Status string

// The statuses every kind shares; the open ones are the kind's step names
// and its approved status is Kind.Approved.
const (
	StatusMoreInfo  Status = "more_info" // waiting for the filer's answer; the clock is paused
	StatusRejected  Status = "rejected"
	StatusWithdrawn Status = "withdrawn"
	StatusExpired   Status = "expired" // the filer did not answer in time
)

// Decision is a reviewer's verdict.
type Decision string

// Verdicts.
const (
	Approve Decision = "approve"
	Reject  Decision = "reject"
)

// Subject is what a case reviews: a kind of thing, its id, and the
// organization that holds it (the provider of a resource).
type Subject struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
}

// PartySubject names, in Reviewer.Party, the organization holding the
// case's subject.
const PartySubject = "subject"

// Takeover names, in history and votes, a platform operator deciding an
// escalated step in place of its reviewers.
const Takeover = "takeover"

// Case is one review. Its fields say where it is; History is filled by Get.
type Case struct {
	ID          string            `json:"id"`
	Kind        string            `json:"kind"`
	Subject     Subject           `json:"subject"`
	FilerUserID string            `json:"filer_user_id"`
	FilerOrgID  string            `json:"filer_org_id"`
	Parties     map[string]string `json:"parties,omitempty"` // further organizations by their part: "law_firm" → id
	Plan        []string          `json:"plan"`              // the steps this case needs, in order
	Status      Status            `json:"status"`
	Step        string            `json:"step,omitempty"` // the step it is at; "" once closed
	Reason      string            `json:"reason"`         // the last decision's comment, or the rule's reason
	DueAt       *time.Time        `json:"due_at"`
	RemindAt    *time.Time        `json:"remind_at,omitempty"`
	EscalatedAt *time.Time        `json:"escalated_at"`
	PausedAt    *time.Time        `json:"paused_at,omitempty"`     // since when it waits for the filer
	AnswerDueAt *time.Time        `json:"answer_due_at,omitempty"` // when it expires without an answer
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	Votes       []Vote            `json:"votes,omitempty"` // the decisions taken at the current step
	History     []Entry           `json:"history,omitempty"`

	w *Workflow // the rules of its kind, when it was read through them
}

// Open reports whether c still waits for a decision (at a step, or for the
// filer's answer).
func (c Case) Open() bool { return c.Step != "" }

// Overdue reports whether c waits for its reviewers past its deadline at now.
func (c Case) Overdue(now time.Time) bool {
	return c.Open() && c.Status != StatusMoreInfo && c.DueAt != nil && now.After(*c.DueAt)
}

// CanDecide says whether p may decide c now (the rule Decide applies).
func (c Case) CanDecide(p identity.Principal) bool {
	_, err := c.mayDecide(p)
	return err == nil
}

// CanWithdraw says whether p may withdraw c now (the rule Withdraw applies).
func (c Case) CanWithdraw(p identity.Principal) bool { return c.mayWithdraw(p) == nil }

// CanAnswer says whether p may answer c's request for more information now.
func (c Case) CanAnswer(p identity.Principal) bool { return c.mayAnswer(p) == nil }

// CanView says whether p may see c: platform staff, its filer, the
// members of the filing organization, of the subject's and of every
// party's, and whoever may decide one of its steps.
func CanView(p identity.Principal, c Case) bool {
	if p.IsAnonymous() {
		return false
	}
	if p.IsPlatformStaff() || p.UserID == c.FilerUserID || slices.ContainsFunc(c.orgs(), func(org string) bool { return p.RoleIn(org) != "" }) {
		return true
	}
	return c.w != nil && slices.ContainsFunc(c.w.k.Steps, func(st Step) bool {
		return slices.ContainsFunc(st.Reviewers, func(r Reviewer) bool { return r.may(p, c) })
	})
}

// orgs are the organizations taking part in c: the filer's, the subject's,
// the parties'.
func (c Case) orgs() []string {
	orgs := []string{c.Subject.OrgID, c.FilerOrgID}
	for _, name := range slices.Sorted(maps.Keys(c.Parties)) {
		orgs = append(orgs, c.Parties[name])
	}
	return orgs
}

// actorOrg is the organization on whose behalf p acts on c: the subject's
// first, then the filer's, then a party's.
func (c Case) actorOrg(p identity.Principal) string {
	for _, org := range c.orgs() {
		if org != "" && p.RoleIn(org) != "" {
			return org
		}
	}
	return ""
}

// party returns the organization that plays part name in c.
func (c Case) party(name string) string {
	if name == PartySubject {
		return c.Subject.OrgID
	}
	return c.Parties[name]
}

// Vote is one reviewer's decision at a step.
type Vote struct {
	Step     string    `json:"step"`
	Reviewer string    `json:"reviewer"`
	Decision Decision  `json:"decision"`
	ActorID  string    `json:"actor_id"`
	At       time.Time `json:"at"`
}

// Entry is one line of a case's history: who did what, when, and why.
// Everyone who sees the case sees its history.
type Entry struct {
	Seq        int       `json:"seq"`
	Action     string    `json:"action"` // submitted, approved, rejected, withdrawn, escalated, reminded, more_info, answered, expired, ...
	Status     Status    `json:"status"` // the case's status after it
	Reviewer   string    `json:"reviewer,omitempty"`
	ActorID    string    `json:"actor_id"`
	ActorOrgID string    `json:"actor_org_id"`
	At         time.Time `json:"at"`
	Comment    string    `json:"comment"`
}

// Config tunes the service.
type Config struct {
	// Calendar counts the working days of deadlines (default workday.China()).
	Calendar *workday.Calendar
}

// Service keeps the cases of every registered kind on one store.
type Service struct {
	db    *store.DB
	cal   *workday.Calendar
	kinds []*Workflow
}

// NewService returns the review service of db, with no kinds yet.
func NewService(db *store.DB, cfg Config) *Service {
	if cfg.Calendar == nil {
		cfg.Calendar = workday.China()
	}
	return &Service{db: db, cal: cfg.Calendar}
}

// Register adds a kind and returns its workflow. Kinds are registered while
// the application is wired, before the service is used; a malformed kind or
// a name already registered panics, as a mistake in the wiring.
func (s *Service) Register(k Kind) *Workflow {
	if err := k.check(); err != nil {
		panic(fmt.Sprintf("review: kind %q: %v", k.Name, err))
	}
	if s.workflow(k.Name) != nil {
		panic(fmt.Sprintf("review: kind %q registered twice", k.Name))
	}
	if k.Approved == "" {
		k.Approved = "approved"
	}
	w := &Workflow{s: s, k: k}
	s.kinds = append(s.kinds, w)
	return w
}

// workflow returns the registered kind named name, or nil.
func (s *Service) workflow(name string) *Workflow {
	for _, w := range s.kinds {
		if w.k.Name == name {
			return w
		}
	}
	return nil
}

// names are the parts of configuration that end up in SQL text: they must
// be plain words.
var names = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Get returns case id of any registered kind with its history, if p may
// see it.
func (s *Service) Get(ctx context.Context, p identity.Principal, id string) (Case, error) {
	c, err := s.find(ctx, s.db, id, false)
	if err != nil || !CanView(p, c) {
		return Case{}, fmt.Errorf("case %q: %w", id, store.ErrNotFound)
	}
	c.History, err = history(ctx, s.db, id)
	return c, err
}

// find reads case id (locking it on PostgreSQL when lock) with its votes
// and the rules of its kind; a case of a kind not registered is not found.
func (s *Service) find(ctx context.Context, q store.Querier, id string, lock bool) (Case, error) {
	clause := ` WHERE id = $1`
	if tx, ok := q.(*store.Tx); ok && lock && tx.Dialect == store.Postgres {
		clause += ` FOR UPDATE`
	}
	list, err := s.query(ctx, q, clause, id)
	if err != nil {
		return Case{}, err
	}
	if len(list) == 0 || list[0].w == nil {
		return Case{}, store.ErrNotFound
	}
	return list[0], nil
}
