package review_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestBacklogCountsOpenCasesPerKind: the operators' dashboard counts the
// open cases of each kind, those waiting for the filer's answer, those past
// their deadline at the time asked, and when the oldest was filed; closed
// cases do not count, and only platform staff may ask.
func TestBacklogCountsOpenCasesPerKind(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, review.AnyOf, publish)
		first, second, asked, closed := f.file(f.filer), f.file(f.filer), f.file(f.filer), f.file(f.filer)
		if _, err := f.tx(func(tx *store.Tx) (review.Case, error) {
			return f.listings.RequestInfo(ctx, tx, f.staff, asked.ID, "请补充材料")
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.decide(f.staff, closed.ID, review.Reject, "不符合挂牌条件"); err != nil {
			t.Fatal(err)
		}
		get := func(now time.Time) review.Backlog {
			t.Helper()
			bs, err := f.rev.Backlog(ctx, f.Operator, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) != 1 || bs[0].Kind != "exchange_listing" || bs[0].List != "/listings" {
				t.Fatalf("backlog %+v, want the one kind", bs)
			}
			return bs[0]
		}
		b := get(time.Now())
		if b.Open != 3 || b.MoreInfo != 1 || b.Overdue != 0 || b.Oldest == nil || !b.Oldest.Equal(first.CreatedAt) ||
			b.NextDue == nil || !b.NextDue.Equal(*second.DueAt) {
			t.Errorf("now: %+v, want 3 open, 1 waiting for an answer, none overdue, the first filed oldest, the second's deadline next", b)
		}
		if b := get(time.Now().AddDate(0, 1, 0)); b.Overdue != 2 {
			t.Errorf("in a month: %d overdue, want the 2 at a step", b.Overdue)
		}
		if _, err := f.rev.Backlog(ctx, f.CompanyAdmin, time.Now()); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a company's admin: %v, want forbidden", err)
		}
		if _, err := f.rev.Backlog(ctx, identity.Anonymous, time.Now()); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous: %v, want unauthenticated", err)
		}
	})
}
