package review

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Workflow is one registered kind: the operations on its cases. Every
// write runs in the caller's transaction, so that the kind's own change,
// the case's move, its history, its event and its notices commit together
// or not at all.
type Workflow struct {
	s *Service
	k Kind
}

// Name is the kind's name.
func (w *Workflow) Name() string { return w.k.Name }

// Filing is what File needs to open a case.
type Filing struct {
	ID         string // the case's id: the kind's own record's (a new one when "")
	Subject    Subject
	FilerOrgID string            // the organization the filer acts for
	Parties    map[string]string // further organizations by their part, for reviewers naming a Party
	// Plan names the steps the case needs, in the kind's order (nil: all).
	Plan []string
	// Decided, when set, decides the case at filing by the kind's rule
	// (data shared unconditionally, data not shared at all), with Reason;
	// no step is reviewed then.
	Decided Decision
	Reason  string
}

// File opens a case filed by actor, at the kind's first step: it is stored
// with the history entry "submitted" and the event "<kind>.created". Then a
// case decided by rule is closed at once (approved, running the decision
// handler, or "refused"), a case whose plan starts further on is routed
// there, and the first step's reviewers are told that it waits for them.
func (w *Workflow) File(ctx context.Context, tx *store.Tx, actor identity.Principal, f Filing) (Case, error) {
	if actor.IsAnonymous() {
		return Case{}, identity.ErrUnauthenticated
	}
	plan, err := w.plan(f)
	if err != nil {
		return Case{}, err
	}
	first, now := w.k.Steps[0].Name, tx.Now()
	c := Case{ID: cmp.Or(f.ID, store.NewID()), Kind: w.k.Name, Subject: f.Subject, FilerUserID: actor.UserID, FilerOrgID: f.FilerOrgID,
		Parties: f.Parties, Plan: plan, Status: Status(first), Step: first, CreatedAt: now, UpdatedAt: now, w: w}
	if err := insertCase(ctx, tx, c); err != nil {
		return Case{}, err
	}
	if err := addEntry(ctx, tx, c.ID, Entry{Action: "submitted", Status: c.Status, ActorID: actor.UserID, ActorOrgID: f.FilerOrgID}); err != nil {
		return Case{}, err
	}
	if err := w.emit(ctx, tx, actor, c, "created", "", nil); err != nil {
		return Case{}, err
	}
	switch f.Decided {
	case Reject:
		c.Reason = f.Reason
		return c, w.conclude(ctx, tx, actor, &c, StatusRejected, move{action: "refused", notice: "refused", comment: f.Reason, to: w.filer(c)})
	case Approve:
		c.Reason = f.Reason
		return c, w.conclude(ctx, tx, actor, &c, w.k.Approved, move{action: string(w.k.Approved), notice: string(w.k.Approved), to: w.filer(c)})
	}
	w.enter(&c, plan[0], now)
	m := move{notice: plan[0], to: w.reviewers(c, false)}
	if plan[0] == first { // it waits where it was filed: no move to record
		if err := saveCase(ctx, tx, c); err != nil {
			return Case{}, err
		}
		return c, w.notify(ctx, tx, c, m)
	}
	m.action = cmp.Or(w.k.step(plan[0]).Routed, "routed")
	return c, w.record(ctx, tx, actor, &c, m)
}

// plan checks f's plan and decision and returns the steps the case needs.
func (w *Workflow) plan(f Filing) ([]string, error) {
	if f.Decided != "" && f.Decided != Approve && f.Decided != Reject {
		return nil, fmt.Errorf("review: %s: decision %q at filing is neither approve nor reject", w.k.Name, f.Decided)
	}
	all := make([]string, len(w.k.Steps))
	for i, st := range w.k.Steps {
		all[i] = st.Name
	}
	if f.Plan == nil || f.Decided != "" {
		return all, nil
	}
	last := -1
	for _, name := range f.Plan {
		i := slices.Index(all, name)
		if i <= last {
			return nil, fmt.Errorf("review: %s: plan %v names steps that are unknown, repeated or out of order", w.k.Name, f.Plan)
		}
		last = i
	}
	if len(f.Plan) == 0 {
		return nil, fmt.Errorf("review: %s: a case needs a step or a decision at filing", w.k.Name)
	}
	return slices.Clone(f.Plan), nil
}

// Decide records actor's verdict on case id at its current step, with a
// comment (required to reject) that becomes the case's reason. A rejection
// rejects the case; an approval completes the step when its reviewers are
// done (any of them, or all), moving the case to the next step of its plan
// or, after the last, approving it, which runs the decision handler.
// Who may decide: see Case.CanDecide.
func (w *Workflow) Decide(ctx context.Context, tx *store.Tx, actor identity.Principal, id string, d Decision, comment string) (Case, error) {
	comment, err := checkDecision(d, comment)
	if err != nil {
		return Case{}, err
	}
	c, reviewer, err := w.reviewing(ctx, tx, actor, id)
	if err != nil {
		return Case{}, err
	}
	vote := Vote{Step: c.Step, Reviewer: reviewer, Decision: d, ActorID: actor.UserID, At: tx.Now()}
	if err := insertVote(ctx, tx, c.ID, vote); err != nil {
		return Case{}, err
	}
	c.Votes, c.Reason = append(c.Votes, vote), comment
	m := move{reviewer: reviewer, comment: comment}
	switch {
	case d == Reject:
		m.action, m.notice, m.to = string(StatusRejected), string(StatusRejected), w.filer(c)
		return c, w.conclude(ctx, tx, actor, &c, StatusRejected, m)
	case !w.stepDone(c, reviewer):
		m.action, m.event, m.payload = "approved", "approved", map[string]any{"reviewer": reviewer}
		return c, w.record(ctx, tx, actor, &c, m)
	}
	if next := c.next(); next != "" {
		w.enter(&c, next, tx.Now())
		m.action, m.notice, m.to = "approved", next, w.reviewers(c, false)
		return c, w.record(ctx, tx, actor, &c, m)
	}
	m.action, m.notice, m.to = string(w.k.Approved), string(w.k.Approved), w.filer(c)
	return c, w.conclude(ctx, tx, actor, &c, w.k.Approved, m)
}

// reviewing reads case id for a change by actor in tx, with the reviewer
// actor decides its step as (see mayDecide).
func (w *Workflow) reviewing(ctx context.Context, tx *store.Tx, actor identity.Principal, id string) (Case, string, error) {
	c, err := w.lock(ctx, tx, actor, id)
	if err != nil {
		return Case{}, "", err
	}
	reviewer, err := c.mayDecide(actor)
	return c, reviewer, err
}

// checkDecision checks a verdict and returns its comment trimmed; a
// rejection needs a comment saying why.
func checkDecision(d Decision, comment string) (string, error) {
	comment = strings.TrimSpace(comment)
	var errs validate.Errors
	validate.OneOf(&errs, "decision", d, Approve, Reject)
	if d == Reject && comment == "" {
		errs.Add("comment", "", "reject_comment", "is required when rejecting: say why")
	}
	errs.MaxLen("comment", comment, 2000)
	return comment, errs.Err()
}

// stepDone says whether c's step is decided once reviewer has approved:
// under AnyOf or by a takeover at once, under AllOf when every reviewer has.
func (w *Workflow) stepDone(c Case, reviewer string) bool {
	st := w.k.step(c.Step)
	if st.Need == AnyOf || reviewer == Takeover {
		return true
	}
	for _, r := range st.Reviewers {
		if !c.voted(r.Name) {
			return false
		}
	}
	return true
}

// voted says whether reviewer has decided c's current step.
func (c Case) voted(reviewer string) bool {
	return slices.ContainsFunc(c.Votes, func(v Vote) bool { return v.Step == c.Step && v.Reviewer == reviewer })
}

// next is the step of c's plan after the current one ("" after the last).
func (c Case) next() string {
	if i := slices.Index(c.Plan, c.Step); i >= 0 && i+1 < len(c.Plan) {
		return c.Plan[i+1]
	}
	return ""
}

// mayDecide returns the reviewer p decides c's current step as, or why p
// may not: the case is closed or waits for its filer (ErrState), p filed it
// (ErrSelfReview), p has decided this step already, or p is none of the
// step's reviewers still to decide. After escalation the platform
// operators may decide in the reviewers' place (Takeover).
func (c Case) mayDecide(p identity.Principal) (string, error) {
	if c.w == nil {
		return "", identity.ErrForbidden
	}
	k := c.w.k
	if !c.Open() {
		return "", fmt.Errorf("%w: the %s is %s", ErrState, k.Noun, c.Status)
	}
	if c.Status == StatusMoreInfo {
		return "", fmt.Errorf("%w: the %s waits for the filer's answer", ErrState, k.Noun)
	}
	if p.UserID != "" && p.UserID == c.FilerUserID {
		return "", fmt.Errorf("%w: %w", identity.ErrForbidden, ErrSelfReview)
	}
	if slices.ContainsFunc(c.Votes, func(v Vote) bool { return v.Step == c.Step && v.ActorID == p.UserID }) {
		return "", fmt.Errorf("%w: one person decides a step once: you have decided this one", identity.ErrForbidden)
	}
	decided := ""
	for _, r := range k.step(c.Step).Reviewers {
		if !r.may(p, c) {
			continue
		}
		if !c.voted(r.Name) {
			return r.Name, nil
		}
		decided = r.Name
	}
	if c.EscalatedAt != nil && CanTakeOver(p) {
		return Takeover, nil
	}
	if decided != "" {
		return "", fmt.Errorf("%w: the %s's part of this step is decided", ErrState, decided)
	}
	return "", identity.ErrForbidden
}

// Withdraw ends case id while it is open, at the wish of its filing
// organization (any member), telling the reviewers of its step.
func (w *Workflow) Withdraw(ctx context.Context, tx *store.Tx, actor identity.Principal, id string) (Case, error) {
	c, err := w.lock(ctx, tx, actor, id)
	if err != nil {
		return Case{}, err
	}
	if err := c.mayWithdraw(actor); err != nil {
		return Case{}, err
	}
	m := move{action: string(StatusWithdrawn), notice: string(StatusWithdrawn), to: w.reviewers(c, false)}
	return c, w.conclude(ctx, tx, actor, &c, StatusWithdrawn, m)
}

// mayWithdraw: members of the filing organization, while the case is open.
func (c Case) mayWithdraw(p identity.Principal) error {
	if c.w == nil || (p.RoleIn(c.FilerOrgID) == "" && (p.UserID == "" || p.UserID != c.FilerUserID)) {
		return identity.ErrForbidden
	}
	if !c.Open() {
		return fmt.Errorf("%w: only %s %s under review can be withdrawn (this one is %s)", ErrState, c.w.k.Article, c.w.k.Noun, c.Status)
	}
	return nil
}

// RequestInfo asks the filer of case id for more information: whoever may
// decide its step may ask. The case waits for the filer's answer with its
// clock paused; without an answer within the kind's AnswerDays it expires.
func (w *Workflow) RequestInfo(ctx context.Context, tx *store.Tx, actor identity.Principal, id, question string) (Case, error) {
	question, err := checkText(question)
	if err != nil {
		return Case{}, err
	}
	c, reviewer, err := w.reviewing(ctx, tx, actor, id)
	if err != nil {
		return Case{}, err
	}
	now := tx.Now()
	c.Status, c.PausedAt = StatusMoreInfo, &now
	if w.k.AnswerDays > 0 {
		due := w.s.cal.AddWorkingDays(now, w.k.AnswerDays)
		c.AnswerDueAt = &due
	}
	return c, w.record(ctx, tx, actor, &c, move{action: string(StatusMoreInfo), notice: string(StatusMoreInfo), to: w.filer(c),
		reviewer: reviewer, comment: question})
}

// Answer gives the filer's answer to a request for more information (any
// member of the filing organization may): the case returns to its step,
// whose deadline (and reminder) move on by the working days it waited.
func (w *Workflow) Answer(ctx context.Context, tx *store.Tx, actor identity.Principal, id, answer string) (Case, error) {
	answer, err := checkText(answer)
	if err != nil {
		return Case{}, err
	}
	c, err := w.lock(ctx, tx, actor, id)
	if err != nil {
		return Case{}, err
	}
	if err := c.mayAnswer(actor); err != nil {
		return Case{}, err
	}
	if paused := w.s.workingDaysBetween(*c.PausedAt, tx.Now()); paused > 0 {
		for _, t := range []**time.Time{&c.DueAt, &c.RemindAt} {
			if *t != nil {
				later := w.s.cal.AddWorkingDays(**t, paused)
				*t = &later
			}
		}
	}
	c.Status, c.PausedAt, c.AnswerDueAt = Status(c.Step), nil, nil
	return c, w.record(ctx, tx, actor, &c, move{action: "answered", event: "answered", notice: "answered",
		to: w.reviewers(c, true), comment: answer})
}

// mayAnswer: the filing organization's members, while the case waits for them.
func (c Case) mayAnswer(p identity.Principal) error {
	if c.w == nil || (p.RoleIn(c.FilerOrgID) == "" && (p.UserID == "" || p.UserID != c.FilerUserID)) {
		return identity.ErrForbidden
	}
	if c.Status != StatusMoreInfo || c.PausedAt == nil {
		return fmt.Errorf("%w: the %s does not wait for an answer (it is %s)", ErrState, c.w.k.Noun, c.Status)
	}
	return nil
}

// checkText checks a question or an answer (the field "text"): required,
// at most 2000 characters.
func checkText(s string) (string, error) {
	s = strings.TrimSpace(s)
	var errs validate.Errors
	errs.Required("text", s)
	errs.MaxLen("text", s, 2000)
	return s, errs.Err()
}

// Get returns case id of this kind with its history, if p may see it.
func (w *Workflow) Get(ctx context.Context, p identity.Principal, id string) (Case, error) {
	c, err := w.s.find(ctx, w.s.db, id, false)
	if err != nil || c.Kind != w.k.Name || !CanView(p, c) {
		return Case{}, w.notFound(id)
	}
	c.History, err = history(ctx, w.s.db, id)
	return c, err
}

// lock reads case id of this kind for a change in tx, if p may see it.
func (w *Workflow) lock(ctx context.Context, tx *store.Tx, p identity.Principal, id string) (Case, error) {
	c, err := w.s.find(ctx, tx, id, true)
	if err != nil || c.Kind != w.k.Name || !CanView(p, c) {
		return Case{}, w.notFound(id)
	}
	return c, nil
}

func (w *Workflow) notFound(id string) error {
	return fmt.Errorf("%s %q: %w", cmp.Or(w.k.Title, w.k.Name), id, store.ErrNotFound)
}

// enter puts c at step name from now: its deadline, its reminder, no
// escalation yet.
func (w *Workflow) enter(c *Case, name string, now time.Time) {
	st := w.k.step(name)
	c.Step, c.Status = name, Status(name)
	c.DueAt, c.RemindAt, c.EscalatedAt, c.PausedAt, c.AnswerDueAt = nil, nil, nil, nil, nil
	if st.Days > 0 {
		due := w.s.cal.AddWorkingDays(now, st.Days)
		c.DueAt = &due
	}
	if st.RemindDays > 0 {
		remind := w.s.cal.AddWorkingDays(now, st.Days-st.RemindDays)
		c.RemindAt = &remind
	}
}

// conclude closes c with status and records m; an approval or a rejection
// runs the kind's decision handler first. An escalation stays on record.
func (w *Workflow) conclude(ctx context.Context, tx *store.Tx, actor identity.Principal, c *Case, status Status, m move) error {
	c.Step, c.Status = "", status
	c.DueAt, c.RemindAt, c.PausedAt, c.AnswerDueAt = nil, nil, nil, nil
	if (status == w.k.Approved || status == StatusRejected) && w.k.Decided != nil {
		if err := w.k.Decided(ctx, tx, actor, *c); err != nil {
			return err
		}
	}
	return w.record(ctx, tx, actor, c, m)
}

// move is one transition as recorded.
type move struct {
	action   string         // the history entry's action
	event    string         // the event's name after "<kind>." (default: the new status)
	payload  map[string]any // added to the kind's payload
	notice   string         // the key in Kind.Notices of the notice to send
	to       []notify.To    // who gets it
	reviewer string
	comment  string
}

// record stores c as it now is, with a history entry, the event and the
// notice of m.
func (w *Workflow) record(ctx context.Context, tx *store.Tx, actor identity.Principal, c *Case, m move) error {
	c.UpdatedAt = tx.Now()
	if err := saveCase(ctx, tx, *c); err != nil {
		return err
	}
	if err := addEntry(ctx, tx, c.ID, Entry{Action: m.action, Status: c.Status, Reviewer: m.reviewer, ActorID: actor.UserID,
		ActorOrgID: c.actorOrg(actor), Comment: m.comment}); err != nil {
		return err
	}
	if err := w.emit(ctx, tx, actor, *c, cmp.Or(m.event, string(c.Status)), m.comment, m.payload); err != nil {
		return err
	}
	return w.notify(ctx, tx, *c, m)
}

// emit writes the event "<kind>.<what>" of c: the kind's payload, extra,
// and the comment's hash when there is a comment.
func (w *Workflow) emit(ctx context.Context, tx *store.Tx, actor identity.Principal, c Case, what, comment string, extra map[string]any) error {
	payload, err := w.payload(ctx, tx, c)
	if err != nil {
		return err
	}
	for k, v := range extra {
		payload[k] = v
	}
	if comment != "" {
		payload["comment_sha256"] = store.SHA256Hex(comment)
	}
	return tx.Emit(ctx, store.Event{Type: w.k.Name + "." + what, ActorUserID: actor.UserID, ActorOrgID: c.actorOrg(actor),
		SubjectKind: w.k.Name, SubjectID: c.ID}, payload)
}

// payload is the kind's payload of c, or the case's own identifiers.
func (w *Workflow) payload(ctx context.Context, q store.Querier, c Case) (map[string]any, error) {
	if w.k.Payload != nil {
		p, err := w.k.Payload(ctx, q, c)
		if p == nil && err == nil {
			p = map[string]any{}
		}
		return p, err
	}
	return map[string]any{"subject_kind": c.Subject.Kind, "subject_id": c.Subject.ID, "subject_org_id": c.Subject.OrgID,
		"filer_org_id": c.FilerOrgID, "status": c.Status}, nil
}

// notify sends m's notice, when the kind names one, to m.to.
func (w *Workflow) notify(ctx context.Context, tx *store.Tx, c Case, m move) error {
	kind := w.k.Notices[m.notice]
	if kind == "" {
		return nil
	}
	for _, to := range m.to {
		if err := notify.Send(ctx, tx, kind, w.k.Name, c.ID, w.k.Link+c.ID, to); err != nil {
			return err
		}
	}
	return nil
}

// filer addresses c's filer and, per FilerOrgRole, their organization.
func (w *Workflow) filer(c Case) []notify.To {
	to := notify.To{Users: []string{c.FilerUserID}}
	if w.k.FilerOrgRole != "" {
		to.Orgs, to.OrgRole = []string{c.FilerOrgID}, w.k.FilerOrgRole
	}
	return []notify.To{to}
}

// reviewers addresses the reviewers of c's step (only those still to
// decide when pending).
func (w *Workflow) reviewers(c Case, pending bool) []notify.To {
	st := w.k.step(c.Step)
	if st == nil {
		return nil
	}
	var out []notify.To
	for _, r := range st.Reviewers {
		if !pending || !c.voted(r.Name) {
			out = append(out, r.to(c))
		}
	}
	return out
}

// escalation addresses whom an escalation concerns: the platform
// operators and the admins of the subject's organization.
func escalation(c Case) []notify.To {
	return []notify.To{{Operators: true, Orgs: []string{c.Subject.OrgID}, OrgRole: identity.RoleAdmin}}
}
