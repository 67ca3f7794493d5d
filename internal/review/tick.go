package review

import (
	"context"
	"errors"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/workday"
)

// Tally counts what Tick did.
type Tally struct {
	Reminded  int // reviewers reminded of a deadline to come
	Escalated int // steps past their deadline, escalated to the operators
	Expired   int // cases whose filer did not answer in time
}

// tickJob is one kind of due transition: which cases may be due (SQL), and
// the transition, which checks again under the case's lock and reports
// whether it applied.
type tickJob struct {
	due   string // conditions on c, "$?" being now
	order string
	count func(*Tally) *int
	apply func(ctx context.Context, tx *store.Tx, c *Case, now time.Time) (bool, error)
}

var tickJobs = []tickJob{
	{"c.remind_at <= $? AND c.step <> '' AND c.status = c.step", "c.remind_at", func(t *Tally) *int { return &t.Reminded }, remind},
	{"c.escalated_at IS NULL AND c.due_at < $? AND c.step <> '' AND c.status = c.step", "c.due_at", func(t *Tally) *int { return &t.Escalated }, escalate},
	{"c.status = 'more_info' AND c.answer_due_at < $?", "c.answer_due_at", func(t *Tally) *int { return &t.Expired }, expire},
}

// Tick applies what is due at now to the cases of kinds (every registered
// kind when none): reminders, escalations of steps past their deadline,
// expiry of cases whose filer did not answer. Each change is its own
// transaction with its history, event and notices, and is checked again
// under the case's lock, so a Tick repeated, or run by several replicas at
// once, applies each change once. The application calls it periodically.
func (s *Service) Tick(ctx context.Context, now time.Time, kinds ...string) (Tally, error) {
	if len(kinds) == 0 {
		kinds = kindNames(s.kinds)
	}
	var tally Tally
	var errs []error
	for _, job := range tickJobs {
		b := where{dialect: s.db.Dialect}
		b.add(job.due, store.TS(now))
		b.in("c.kind", kinds)
		due, err := s.query(ctx, s.db, b.clause()+" ORDER BY "+job.order+", c.id", b.args...)
		if err != nil {
			return tally, err
		}
		for _, c := range due {
			if ctx.Err() != nil {
				return tally, ctx.Err()
			}
			applied, err := s.apply(ctx, c.ID, now, job)
			if err != nil {
				errs = append(errs, err)
			} else if applied {
				*job.count(&tally)++
			}
		}
	}
	return tally, errors.Join(errs...)
}

// apply runs job on case id in a transaction of its own.
func (s *Service) apply(ctx context.Context, id string, now time.Time, job tickJob) (bool, error) {
	applied := false
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		c, err := s.find(ctx, tx, id, true)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		applied, err = job.apply(ctx, tx, &c, now)
		return err
	})
	return applied && err == nil, err
}

// remind tells the reviewers of c's step who have not decided that its
// deadline is near, once.
func remind(ctx context.Context, tx *store.Tx, c *Case, now time.Time) (bool, error) {
	if !c.Open() || c.Status == StatusMoreInfo || c.RemindAt == nil || c.RemindAt.After(now) {
		return false, nil
	}
	c.RemindAt = nil
	return true, c.w.record(ctx, tx, identity.System, c, move{action: "reminded", event: "reminded", notice: "reminded", to: c.w.reviewers(*c, true)})
}

// escalate flags c's step, past its deadline, as escalated, once, telling
// the operators (who may now decide it) and the subject's admins.
func escalate(ctx context.Context, tx *store.Tx, c *Case, now time.Time) (bool, error) {
	if !c.Overdue(now) || c.EscalatedAt != nil {
		return false, nil
	}
	at := tx.Now()
	c.EscalatedAt = &at
	return true, c.w.record(ctx, tx, identity.System, c, move{action: "escalated", event: "escalated", notice: "escalated", to: escalation(*c)})
}

// expire closes c when its filer did not answer a request for more
// information in time, telling the filer.
func expire(ctx context.Context, tx *store.Tx, c *Case, now time.Time) (bool, error) {
	if c.Status != StatusMoreInfo || c.AnswerDueAt == nil || !now.After(*c.AnswerDueAt) {
		return false, nil
	}
	return true, c.w.conclude(ctx, tx, identity.System, c, StatusExpired, move{action: string(StatusExpired), notice: string(StatusExpired), to: c.w.filer(*c)})
}

// workingDaysBetween counts the working days after from's day up to and
// including to's day: the days a paused clock did not run.
func (s *Service) workingDaysBetween(from, to time.Time) int {
	day := func(t time.Time) time.Time {
		t = t.In(workday.Beijing)
		return time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, workday.Beijing)
	}
	n := 0
	for d, end := day(from).AddDate(0, 0, 1), day(to); !d.After(end); d = d.AddDate(0, 0, 1) {
		if s.cal.IsWorkday(d) {
			n++
		}
	}
	return n
}
