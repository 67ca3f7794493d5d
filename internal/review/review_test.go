package review_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dataport/internal/access/accesstest"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
	"dataport/internal/workday"
)

// listing is a kind that exists only in these tests: a data product is
// listed on the exchange once the exchange's reviewers and the provider's
// law firm have both approved it (a parallel, all-of step). Its
// configuration and its decision handler are all it takes.
func listing(exchangeOrg string, need review.Need, decided func(context.Context, *store.Tx, identity.Principal, review.Case) error) review.Kind {
	return review.Kind{Name: "exchange_listing", Title: "listing", Noun: "listing", Article: "a", Link: "/listings/",
		Steps: []review.Step{{Name: "compliance_review", Need: need, Days: 5, RemindDays: 2, Reviewers: []review.Reviewer{
			{Name: "exchange", Org: exchangeOrg, Role: identity.RoleEditor},
			{Name: "law_firm", Party: "law_firm"},
		}}},
		Approved: "listed", AnswerDays: 10,
		Notices: map[string]string{"compliance_review": "listing.submitted", "listed": "listing.listed", "rejected": "listing.rejected",
			"escalated": "listing.escalated", "reminded": "listing.reminded", "more_info": "listing.more_info", "answered": "listing.answered",
			"expired": "listing.expired", "withdrawn": "listing.withdrawn"},
		Decided: decided,
	}
}

// publish is the listing's decision handler: a listed product's
// publication is written in the decision's transaction.
func publish(ctx context.Context, tx *store.Tx, actor identity.Principal, c review.Case) error {
	if c.Status != "listed" {
		return nil
	}
	return tx.Emit(ctx, store.Event{Type: "product.listed", ActorUserID: actor.UserID, SubjectKind: c.Subject.Kind, SubjectID: c.Subject.ID},
		map[string]any{"case_id": c.ID})
}

type fixture struct {
	*accesstest.World
	t        *testing.T
	db       *store.DB
	rev      *review.Service
	listings *review.Workflow
	exchange identity.Organization
	lawFirm  identity.Organization
	// staff and staff2 review for the exchange, lawyer for the law firm;
	// filer lists the company's product; both is the company's admin and
	// a lawyer of the firm.
	staff, staff2, lawyer, filer, both identity.Principal
}

func newFixture(t *testing.T, db *store.DB, need review.Need, decided func(context.Context, *store.Tx, identity.Principal, review.Case) error) *fixture {
	t.Helper()
	f := &fixture{World: accesstest.New(t, db), t: t, db: db}
	f.exchange = f.org(identity.OrgInput{Kind: identity.KindExchange, NameZh: "京华数据交易所", Code: "JHDX"})
	first17 := "91110000733311223"
	check, err := identity.USCCCheckChar(first17)
	if err != nil {
		t.Fatal(err)
	}
	f.lawFirm = f.org(identity.OrgInput{Kind: identity.KindEnterprise, NameZh: "京华律师事务所", Code: "JHLS", USCC: first17 + string(check)})
	f.staff = f.user("exchange.li", identity.Membership{OrganizationID: f.exchange.ID, Role: identity.RoleEditor})
	f.staff2 = f.user("exchange.wu", identity.Membership{OrganizationID: f.exchange.ID, Role: identity.RoleAdmin})
	f.lawyer = f.user("lawyer.zhao", identity.Membership{OrganizationID: f.lawFirm.ID, Role: identity.RoleMember})
	f.filer = f.CompanyAdmin
	f.both = f.user("both.sides", identity.Membership{OrganizationID: f.Company.ID, Role: identity.RoleMember},
		identity.Membership{OrganizationID: f.lawFirm.ID, Role: identity.RoleMember})
	f.rev = review.NewService(db, review.Config{})
	f.listings = f.rev.Register(listing(f.exchange.ID, need, decided))
	return f
}

func (f *fixture) org(in identity.OrgInput) identity.Organization {
	f.t.Helper()
	o, err := f.IDs.CreateOrganization(context.Background(), identity.System, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

func (f *fixture) user(name string, ms ...identity.Membership) identity.Principal {
	f.t.Helper()
	ctx := context.Background()
	u, err := f.IDs.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name, Password: accesstest.Password, Memberships: ms})
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := f.IDs.Principal(ctx, u.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// tx runs fn in a transaction and returns the case it returns.
func (f *fixture) tx(fn func(tx *store.Tx) (review.Case, error)) (review.Case, error) {
	var c review.Case
	err := f.db.Transact(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = fn(tx)
		return err
	})
	return c, err
}

// file lists a new product of the company, by p, with the firm as its law firm.
func (f *fixture) file(p identity.Principal) review.Case {
	f.t.Helper()
	c, err := f.tx(func(tx *store.Tx) (review.Case, error) {
		return f.listings.File(context.Background(), tx, p, review.Filing{FilerOrgID: f.Company.ID,
			Subject: review.Subject{Kind: "product", ID: store.NewID(), OrgID: f.Company.ID}, Parties: map[string]string{"law_firm": f.lawFirm.ID}})
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) decide(p identity.Principal, id string, d review.Decision, comment string) (review.Case, error) {
	return f.tx(func(tx *store.Tx) (review.Case, error) {
		return f.listings.Decide(context.Background(), tx, p, id, d, comment)
	})
}

func (f *fixture) get(id string) review.Case {
	f.t.Helper()
	c, err := f.listings.Get(context.Background(), identity.System, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// queue returns the ids of what waits for p.
func (f *fixture) queue(p identity.Principal) []string {
	f.t.Helper()
	cases, err := f.rev.Queue(context.Background(), p, review.Filter{})
	if err != nil {
		f.t.Fatal(err)
	}
	ids := []string{}
	for _, c := range cases {
		ids = append(ids, c.ID)
	}
	return ids
}

// events returns the types of c's events, oldest first.
func (f *fixture) events(id string) []string {
	f.t.Helper()
	evs, err := f.db.Events(context.Background(), store.EventFilter{SubjectID: id})
	if err != nil {
		f.t.Fatal(err)
	}
	var types []string
	for i := len(evs) - 1; i >= 0; i-- {
		types = append(types, evs[i].Type)
	}
	return types
}

// notices returns the kinds of p's notices, oldest first.
func (f *fixture) notices(p identity.Principal) []string {
	f.t.Helper()
	ns, err := notify.NewService(f.db).List(context.Background(), p, false, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	var kinds []string
	for i := len(ns) - 1; i >= 0; i-- {
		kinds = append(kinds, ns[i].Kind)
	}
	return kinds
}

func actions(c review.Case) string {
	var out []string
	for _, e := range c.History {
		s := e.Action
		if e.Reviewer != "" {
			s += "(" + e.Reviewer + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

func TestAListingNeedsTheExchangeAndTheLawFirm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, review.AllOf, publish)
		c := f.file(f.filer)
		if c.Status != "compliance_review" || c.DueAt == nil || c.RemindAt == nil {
			t.Fatalf("filed = %+v", c)
		}
		for _, p := range []identity.Principal{f.staff, f.staff2, f.lawyer} {
			if q := f.queue(p); !slices.Equal(q, []string{c.ID}) || !c.CanDecide(p) {
				t.Errorf("%s's queue = %v, may decide %v", p.Username, q, c.CanDecide(p))
			}
		}
		if q := f.queue(f.ProviderAdmin); len(q) != 0 {
			t.Errorf("an unrelated admin's queue = %v", q)
		}
		c, err := f.decide(f.staff, c.ID, review.Approve, "材料齐全")
		if err != nil || c.Status != "compliance_review" || c.Reason != "材料齐全" {
			t.Fatalf("exchange's approval: %+v %v", c, err)
		}
		if q := f.queue(f.staff2); len(q) != 0 {
			t.Errorf("the exchange's part is decided, yet its other reviewer's queue = %v", q)
		}
		if _, err := f.decide(f.staff2, c.ID, review.Approve, ""); !errors.Is(err, review.ErrState) {
			t.Errorf("the exchange decided its part twice: %v", err)
		}
		if q := f.queue(f.lawyer); !slices.Equal(q, []string{c.ID}) {
			t.Errorf("the law firm's queue = %v", q)
		}
		if c, err = f.decide(f.lawyer, c.ID, review.Approve, "法律意见：合规"); err != nil || c.Status != "listed" || c.Open() {
			t.Fatalf("law firm's approval: %+v %v", c, err)
		}
		got := f.get(c.ID)
		if a := actions(got); a != "submitted,approved(exchange),listed(law_firm)" {
			t.Errorf("history = %s", a)
		}
		if ev := f.events(c.ID); !slices.Equal(ev, []string{"exchange_listing.created", "exchange_listing.approved", "exchange_listing.listed"}) {
			t.Errorf("events = %v", ev)
		}
		if ev := f.events(c.Subject.ID); !slices.Equal(ev, []string{"product.listed"}) {
			t.Errorf("the decision handler's events = %v", ev)
		}
		if n := f.notices(f.filer); !slices.Equal(n, []string{"listing.listed"}) {
			t.Errorf("filer's notices = %v", n)
		}
		if n := f.notices(f.lawyer); !slices.Equal(n, []string{"listing.submitted"}) {
			t.Errorf("lawyer's notices = %v", n)
		}
		if _, err := f.decide(f.lawyer, c.ID, review.Reject, "x"); !errors.Is(err, review.ErrState) {
			t.Errorf("a decided listing was decided again: %v", err)
		}
	})
}

func TestAnyOfNeedsOneReviewer(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, review.AnyOf, publish)
		c := f.file(f.filer)
		c, err := f.decide(f.lawyer, c.ID, review.Approve, "")
		if err != nil || c.Status != "listed" {
			t.Fatalf("one approval of an any-of step: %+v %v", c, err)
		}
		if q := f.queue(f.staff); len(q) != 0 {
			t.Errorf("the other reviewer's queue = %v", q)
		}
	})
}

func TestOneRejectionRejects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, review.AllOf, publish)
		c := f.file(f.filer)
		if _, err := f.decide(f.staff, c.ID, review.Approve, ""); err != nil {
			t.Fatal(err)
		}
		var verrs validate.Errors
		if _, err := f.decide(f.lawyer, c.ID, review.Reject, "  "); !errors.As(err, &verrs) || !verrs.Has("comment") {
			t.Errorf("a rejection without a reason: %v", err)
		}
		if _, err := f.decide(f.lawyer, c.ID, "maybe", ""); !errors.As(err, &verrs) || !verrs.Has("decision") {
			t.Errorf("an unknown decision: %v", err)
		}
		c, err := f.decide(f.lawyer, c.ID, review.Reject, "数据来源不合法")
		if err != nil || c.Status != review.StatusRejected || c.Reason != "数据来源不合法" {
			t.Fatalf("law firm's rejection: %+v %v", c, err)
		}
		if ev := f.events(c.Subject.ID); len(ev) != 0 {
			t.Errorf("a rejected listing was published: %v", ev)
		}
		if n := f.notices(f.filer); !slices.Equal(n, []string{"listing.rejected"}) {
			t.Errorf("filer's notices = %v", n)
		}
	})
}

// TestTheFilerNeverDecides: a filer who is also a lawyer of the firm may
// not decide any part of their own case; the queue and CanDecide agree.
func TestTheFilerNeverDecides(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, review.AllOf, publish)
		c := f.file(f.both)
		if c.CanDecide(f.both) {
			t.Error("CanDecide offers the filer their own case")
		}
		if q := f.queue(f.both); len(q) != 0 {
			t.Errorf("the filer's queue = %v", q)
		}
		_, err := f.decide(f.both, c.ID, review.Approve, "")
		if !errors.Is(err, identity.ErrForbidden) || !errors.Is(err, review.ErrSelfReview) {
			t.Fatalf("the filer decided: %v", err)
		}
		if got := f.get(c.ID); len(got.Votes) != 0 || len(got.History) != 1 {
			t.Errorf("the refused decision changed the case: %+v", got)
		}
	})
}

// TestOnePersonDecidesAStepOnce: a person who reviews for both the exchange
// and the law firm decides one part; the other part waits for someone else.
func TestOnePersonDecidesAStepOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, review.AllOf, publish)
		twoHats := f.user("two.hats", identity.Membership{OrganizationID: f.exchange.ID, Role: identity.RoleEditor},
			identity.Membership{OrganizationID: f.lawFirm.ID, Role: identity.RoleMember})
		c := f.file(f.filer)
		if _, err := f.decide(twoHats, c.ID, review.Approve, ""); err != nil {
			t.Fatal(err)
		}
		if q := f.queue(twoHats); len(q) != 0 {
			t.Errorf("queue after deciding one part = %v", q)
		}
		if _, err := f.decide(twoHats, c.ID, review.Approve, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("one person decided both parts: %v", err)
		}
		if got := f.get(c.ID); got.Status != "compliance_review" || len(got.Votes) != 1 {
			t.Errorf("case = %+v", got)
		}
	})
}

func TestAFailingDecisionHandlerUndoesTheDecision(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		refuse := errors.New("the product's certificate expired")
		f := newFixture(t, db, review.AnyOf, func(ctx context.Context, tx *store.Tx, actor identity.Principal, c review.Case) error {
			if c.Status == "listed" {
				return refuse
			}
			return nil
		})
		c := f.file(f.filer)
		before := storetest.CountRows(t, db, "review_votes", "review_history", "events", "notifications")
		if _, err := f.decide(f.staff, c.ID, review.Approve, ""); !errors.Is(err, refuse) {
			t.Fatalf("decision = %v, want the handler's error", err)
		}
		storetest.AssertUnchanged(t, db, before)
		if got := f.get(c.ID); got.Status != "compliance_review" {
			t.Errorf("case = %+v", got)
		}
	})
}

// TestDeadlinesRemindAndEscalateOnce: the reviewers who have not decided
// are reminded when two working days remain; past the deadline the case is
// escalated, the operators may decide it in the reviewers' place, and
// ticking again changes nothing.
func TestDeadlinesRemindAndEscalateOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, review.AllOf, publish)
		c := f.file(f.filer)
		cal := workday.China()
		if want := cal.AddWorkingDays(c.CreatedAt, 5); !c.DueAt.Equal(want) {
			t.Errorf("due %v, want %v", c.DueAt, want)
		}
		if want := cal.AddWorkingDays(c.CreatedAt, 3); !c.RemindAt.Equal(want) {
			t.Errorf("reminder %v, want %v", c.RemindAt, want)
		}
		if _, err := f.decide(f.staff, c.ID, review.Approve, ""); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			at   time.Time
			want review.Tally
		}{
			{time.Now(), review.Tally{}},
			{c.RemindAt.Add(time.Second), review.Tally{Reminded: 1}},
			{c.RemindAt.Add(time.Second), review.Tally{}},
			{c.DueAt.Add(time.Second), review.Tally{Escalated: 1}},
			{c.DueAt.Add(time.Hour), review.Tally{}},
		} {
			got, err := f.rev.Tick(ctx, step.at)
			if err != nil || got != step.want {
				t.Fatalf("tick at %v: %+v %v, want %+v", step.at, got, err, step.want)
			}
		}
		if n := f.notices(f.lawyer); !slices.Equal(n, []string{"listing.submitted", "listing.reminded"}) {
			t.Errorf("lawyer's notices = %v", n)
		}
		if n := f.notices(f.staff); !slices.Equal(n, []string{"listing.submitted"}) {
			t.Errorf("the exchange, which decided, was reminded: %v", n)
		}
		if n := f.notices(f.Operator); !slices.Equal(n, []string{"listing.escalated"}) {
			t.Errorf("operator's notices = %v", n)
		}
		got := f.get(c.ID)
		if got.EscalatedAt == nil || !got.Overdue(c.DueAt.Add(time.Second)) || got.RemindAt != nil {
			t.Fatalf("escalated case = %+v", got)
		}
		if q := f.queue(f.Operator); !slices.Equal(q, []string{c.ID}) {
			t.Errorf("operator's queue = %v", q)
		}
		if got, err := f.decide(f.Operator, c.ID, review.Approve, "逾期，平台代为审核"); err != nil || got.Status != "listed" {
			t.Fatalf("operator's decision in the reviewers' place: %+v %v", got, err)
		}
		if a := actions(f.get(c.ID)); a != "submitted,approved(exchange),reminded,escalated,listed(takeover)" {
			t.Errorf("history = %s", a)
		}
	})
}

// TestMoreInformationPausesTheClock: while the filer is asked for more
// information the case waits for nobody's review and is not escalated;
// their answer returns it to its step with its deadline moved on by the
// working days it waited.
func TestMoreInformationPausesTheClock(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, review.AllOf, publish)
		c := f.file(f.filer)
		ask := func(p identity.Principal, q string) (review.Case, error) {
			return f.tx(func(tx *store.Tx) (review.Case, error) { return f.listings.RequestInfo(ctx, tx, p, c.ID, q) })
		}
		answer := func(p identity.Principal, a string) (review.Case, error) {
			return f.tx(func(tx *store.Tx) (review.Case, error) { return f.listings.Answer(ctx, tx, p, c.ID, a) })
		}
		if _, err := ask(f.ProviderAdmin, "?"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an outsider asked: %v", err)
		}
		if _, err := answer(f.filer, "早答"); !errors.Is(err, review.ErrState) {
			t.Errorf("an answer nobody asked for: %v", err)
		}
		asked, err := ask(f.lawyer, "请补充数据来源授权书")
		if err != nil || asked.Status != review.StatusMoreInfo || asked.PausedAt == nil || asked.AnswerDueAt == nil {
			t.Fatalf("asked: %+v %v", asked, err)
		}
		if q := f.queue(f.staff); len(q) != 0 {
			t.Errorf("a case waiting for its filer is in a reviewer's queue: %v", q)
		}
		if _, err := f.decide(f.staff, c.ID, review.Approve, ""); !errors.Is(err, review.ErrState) {
			t.Errorf("a case waiting for its filer was decided: %v", err)
		}
		if tally, _ := f.rev.Tick(ctx, c.DueAt.Add(time.Second)); tally.Escalated != 0 || tally.Reminded != 0 {
			t.Errorf("a paused case was ticked: %+v", tally)
		}
		// The filer answers three working days after being asked.
		cal := workday.China()
		pausedAt := time.Now() // the day before the third working day back, today counting
		for n := 0; n < 3; pausedAt = pausedAt.AddDate(0, 0, -1) {
			if cal.IsWorkday(pausedAt) {
				n++
			}
		}
		if _, err := db.ExecContext(ctx, `UPDATE review_cases SET paused_at = $1 WHERE id = $2`, store.TS(pausedAt), c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := answer(f.lawyer, "我不是申请方"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a reviewer answered for the filer: %v", err)
		}
		got, err := answer(f.filer, "已上传授权书")
		if err != nil || got.Status != "compliance_review" || got.PausedAt != nil || got.AnswerDueAt != nil {
			t.Fatalf("answered: %+v %v", got, err)
		}
		if want := cal.AddWorkingDays(*c.DueAt, 3); !got.DueAt.Equal(want) {
			t.Errorf("deadline after the answer %v, want %v (3 working days later)", got.DueAt, want)
		}
		if want := cal.AddWorkingDays(*c.RemindAt, 3); !got.RemindAt.Equal(want) {
			t.Errorf("reminder after the answer %v, want %v", got.RemindAt, want)
		}
		if n := f.notices(f.filer); !slices.Equal(n, []string{"listing.more_info"}) {
			t.Errorf("filer's notices = %v", n)
		}
		if n := f.notices(f.lawyer); !slices.Equal(n, []string{"listing.submitted", "listing.answered"}) {
			t.Errorf("lawyer's notices = %v", n)
		}
		if a := actions(f.get(c.ID)); a != "submitted,more_info(law_firm),answered" {
			t.Errorf("history = %s", a)
		}
		if ev := f.events(c.ID); !slices.Equal(ev, []string{"exchange_listing.created", "exchange_listing.more_info", "exchange_listing.answered"}) {
			t.Errorf("events = %v", ev)
		}
	})
}

func TestAnUnansweredCaseExpires(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, review.AllOf, publish)
		c := f.file(f.filer)
		asked, err := f.tx(func(tx *store.Tx) (review.Case, error) {
			return f.listings.RequestInfo(ctx, tx, f.staff, c.ID, "请补充材料")
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := workday.China().AddWorkingDays(*asked.PausedAt, 10); !asked.AnswerDueAt.Equal(want) {
			t.Errorf("answer due %v, want %v", asked.AnswerDueAt, want)
		}
		for i, want := range []int{1, 0} {
			tally, err := f.rev.Tick(ctx, asked.AnswerDueAt.Add(time.Second))
			if err != nil || tally.Expired != want {
				t.Fatalf("tick %d: %+v %v", i, tally, err)
			}
		}
		got := f.get(c.ID)
		if got.Status != review.StatusExpired || got.Open() {
			t.Fatalf("expired case = %+v", got)
		}
		if n := f.notices(f.filer); !slices.Equal(n, []string{"listing.more_info", "listing.expired"}) {
			t.Errorf("filer's notices = %v", n)
		}
		if _, err := f.tx(func(tx *store.Tx) (review.Case, error) {
			return f.listings.Answer(ctx, tx, f.filer, c.ID, "迟到的答复")
		}); !errors.Is(err, review.ErrState) {
			t.Errorf("answered an expired case: %v", err)
		}
	})
}

func TestWithdraw(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, review.AllOf, publish)
		c := f.file(f.filer)
		withdraw := func(p identity.Principal) (review.Case, error) {
			return f.tx(func(tx *store.Tx) (review.Case, error) { return f.listings.Withdraw(ctx, tx, p, c.ID) })
		}
		if c.CanWithdraw(f.lawyer) {
			t.Error("CanWithdraw offers a reviewer the filer's case")
		}
		if _, err := withdraw(f.lawyer); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a reviewer withdrew the case: %v", err)
		}
		got, err := withdraw(f.both) // another member of the filing company
		if err != nil || got.Status != review.StatusWithdrawn {
			t.Fatalf("withdraw: %+v %v", got, err)
		}
		if _, err := withdraw(f.filer); !errors.Is(err, review.ErrState) || !strings.Contains(err.Error(), "only a listing under review") {
			t.Errorf("withdrew twice: %v", err)
		}
		if n := f.notices(f.lawyer); !slices.Equal(n, []string{"listing.submitted", "listing.withdrawn"}) {
			t.Errorf("lawyer's notices = %v", n)
		}
	})
}

// TestOneQueueAcrossKinds: a platform operator who must approve both an
// authorisation (a second kind, ordered steps) and an escalated listing
// finds both in one queue; the filters narrow it.
func TestOneQueueAcrossKinds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, review.AllOf, publish)
		zones := f.rev.Register(review.Kind{Name: "zone_authorisation", Noun: "authorisation", Article: "an", Link: "/zones/",
			Steps: []review.Step{
				{Name: "holder_review", Days: 10, Reviewers: []review.Reviewer{{Name: "holder", Party: review.PartySubject, Role: identity.RoleAdmin}}},
				{Name: "operator_review", Days: 10, Reviewers: []review.Reviewer{{Name: "operator", Platform: []identity.PlatformRole{identity.PlatformOperator}}}},
			}})
		z, err := f.tx(func(tx *store.Tx) (review.Case, error) {
			return zones.File(ctx, tx, f.CompanyAdmin, review.Filing{FilerOrgID: f.Company.ID,
				Subject: review.Subject{Kind: "zone", ID: "zone-1", OrgID: f.Provider.ID}, Plan: []string{"operator_review"}})
		})
		if err != nil || z.Status != "operator_review" {
			t.Fatalf("authorisation: %+v %v", z, err)
		}
		l := f.file(f.filer)
		if _, err := f.rev.Tick(ctx, l.DueAt.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		for _, test := range []struct {
			filter review.Filter
			want   []string
		}{
			{review.Filter{}, []string{l.ID, z.ID}},
			{review.Filter{Kind: "zone_authorisation"}, []string{z.ID}},
			{review.Filter{Kind: "exchange_listing"}, []string{l.ID}},
			{review.Filter{Status: "operator_review"}, []string{z.ID}},
			{review.Filter{Limit: 1}, []string{l.ID}},
		} {
			cases, err := f.rev.Queue(ctx, f.Operator, test.filter)
			var ids []string
			for _, c := range cases {
				ids = append(ids, c.ID)
			}
			if err != nil || !slices.Equal(ids, test.want) {
				t.Errorf("queue %+v = %v %v, want %v", test.filter, ids, err, test.want)
			}
		}
		sent, _ := f.rev.List(ctx, f.filer, review.Filter{Side: "sent"})
		received, _ := f.rev.List(ctx, f.ProviderAdmin, review.Filter{Side: "received"})
		mine, _ := f.rev.List(ctx, f.lawyer, review.Filter{})
		if len(sent) != 2 || len(received) != 1 || received[0].ID != z.ID || len(mine) != 1 || mine[0].ID != l.ID {
			t.Errorf("sent %d, received %v, the law firm's %v", len(sent), received, mine)
		}
		if _, err := f.rev.Queue(ctx, identity.Anonymous, review.Filter{}); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous queue: %v", err)
		}
		if _, err := zones.Get(ctx, f.filer, l.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a listing read as an authorisation: %v", err)
		}
		if _, err := f.rev.Get(ctx, f.Citizen, l.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an outsider sees the listing: %v", err)
		}
	})
}

// TestTickAppliesEachChangeOnce runs ticks concurrently, as replicas would.
func TestTickAppliesEachChangeOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, review.AllOf, publish)
		var cases []review.Case
		for range 3 {
			cases = append(cases, f.file(f.filer))
		}
		at := cases[0].DueAt.Add(time.Second)
		var mu sync.Mutex
		total := review.Tally{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				tally, err := f.rev.Tick(ctx, at)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total.Reminded += tally.Reminded
				total.Escalated += tally.Escalated
				mu.Unlock()
			})
		}
		wg.Wait()
		if total != (review.Tally{Reminded: 3, Escalated: 3}) {
			t.Errorf("concurrent ticks applied %+v, want each case reminded and escalated once", total)
		}
		for _, c := range cases {
			if ev := f.events(c.ID); !slices.Equal(ev, []string{"exchange_listing.created", "exchange_listing.reminded", "exchange_listing.escalated"}) {
				t.Errorf("events of %s = %v", c.ID, ev)
			}
		}
	})
}

func TestFilingByRuleAndPlans(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, review.AllOf, publish)
		filing := review.Filing{FilerOrgID: f.Company.ID, Subject: review.Subject{Kind: "product", ID: "p-1", OrgID: f.Company.ID}}
		for _, bad := range []review.Filing{
			{Plan: []string{}},
			{Plan: []string{"nope"}},
			{Plan: []string{"compliance_review", "compliance_review"}},
			{Decided: "perhaps"},
		} {
			bad.FilerOrgID, bad.Subject = filing.FilerOrgID, filing.Subject
			if _, err := f.tx(func(tx *store.Tx) (review.Case, error) { return f.listings.File(ctx, tx, f.filer, bad) }); err == nil {
				t.Errorf("filed with %+v", bad)
			}
		}
		if _, err := f.tx(func(tx *store.Tx) (review.Case, error) { return f.listings.File(ctx, tx, identity.Anonymous, filing) }); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous filing: %v", err)
		}
		filing.Decided = review.Approve
		c, err := f.tx(func(tx *store.Tx) (review.Case, error) { return f.listings.File(ctx, tx, f.filer, filing) })
		if err != nil || c.Status != "listed" {
			t.Fatalf("approved by rule: %+v %v", c, err)
		}
		if ev := f.events("p-1"); !slices.Equal(ev, []string{"product.listed"}) {
			t.Errorf("the decision handler did not run at filing: %v", ev)
		}
		filing.Decided, filing.Reason, filing.Subject.ID = review.Reject, "不符合挂牌条件", "p-2"
		c, err = f.tx(func(tx *store.Tx) (review.Case, error) { return f.listings.File(ctx, tx, f.filer, filing) })
		if err != nil || c.Status != review.StatusRejected || c.Reason != "不符合挂牌条件" {
			t.Fatalf("refused by rule: %+v %v", c, err)
		}
		if a := actions(f.get(c.ID)); a != "submitted,refused" {
			t.Errorf("history = %s", a)
		}
		evs, _ := db.Events(ctx, store.EventFilter{SubjectID: c.ID, Type: "exchange_listing.rejected"})
		var payload map[string]any
		if len(evs) != 1 || json.Unmarshal(evs[0].Payload, &payload) != nil || payload["comment_sha256"] != store.SHA256Hex("不符合挂牌条件") ||
			payload["status"] != "rejected" || payload["subject_id"] != "p-2" {
			t.Errorf("refusal event = %+v", evs)
		}
	})
}

func TestKindsAreChecked(t *testing.T) {
	ok := review.Step{Name: "check", Reviewers: []review.Reviewer{{Name: "op", Platform: []identity.PlatformRole{identity.PlatformOperator}}}}
	for name, k := range map[string]review.Kind{
		"no name":        {Steps: []review.Step{ok}},
		"no steps":       {Name: "k"},
		"status name":    {Name: "k", Steps: []review.Step{{Name: "rejected", Reviewers: ok.Reviewers}}},
		"repeated step":  {Name: "k", Steps: []review.Step{ok, ok}},
		"no reviewer":    {Name: "k", Steps: []review.Step{{Name: "check"}}},
		"nobody decides": {Name: "k", Steps: []review.Step{{Name: "check", Reviewers: []review.Reviewer{{Name: "r"}}}}},
		"late reminder":  {Name: "k", Steps: []review.Step{{Name: "check", Days: 2, RemindDays: 2, Reviewers: ok.Reviewers}}},
		"bad need":       {Name: "k", Steps: []review.Step{{Name: "check", Need: "most", Reviewers: ok.Reviewers}}},
		"bad party":      {Name: "k", Steps: []review.Step{{Name: "check", Reviewers: []review.Reviewer{{Name: "r", Party: "x'; --"}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("registered %+v", k)
				}
			}()
			review.NewService(nil, review.Config{}).Register(k)
		})
	}
	s := review.NewService(nil, review.Config{})
	s.Register(review.Kind{Name: "k", Steps: []review.Step{ok}})
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "twice") {
			t.Errorf("registered a kind twice: %v", r)
		}
	}()
	s.Register(review.Kind{Name: "k", Steps: []review.Step{ok}})
}
