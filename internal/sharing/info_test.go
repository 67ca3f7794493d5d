package sharing_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/review"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// kinds lists the kinds of p's notices, newest first.
func kinds(t *testing.T, db *store.DB, p identity.Principal) []string {
	t.Helper()
	notes, err := notify.NewService(db).List(context.Background(), p, false, 20)
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for _, n := range notes {
		ks = append(ks, n.Kind)
	}
	return ks
}

func TestProviderAsksForMoreMaterial(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		r, err := f.svc.Create(ctx, f.w.RequesterMember, f.input(f.w.Conditional.ID))
		if err != nil {
			t.Fatal(err)
		}
		due := *r.DueAt
		if _, err := f.svc.RequestInfo(ctx, f.w.RequesterAdmin, r.ID, "请补充用途说明"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the requester asked itself for material: %v", err)
		}
		if _, err := f.svc.Answer(ctx, f.w.RequesterMember, r.ID, "不在等待补充材料"); !errors.Is(err, review.ErrState) {
			t.Errorf("answer before a question: %v", err)
		}
		r, err = f.svc.RequestInfo(ctx, f.w.ProviderAdmin, r.ID, "请补充数据使用的安全措施说明")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != review.StatusMoreInfo || r.AnswerDueAt == nil || !r.CanAnswer(f.w.RequesterMember) || r.CanReview(f.w.ProviderAdmin) {
			t.Fatalf("after the question: %+v", r)
		}
		if !slices.Contains(kinds(t, db, f.w.RequesterMember), "share.more_info") {
			t.Errorf("the requester was not told: %v", kinds(t, db, f.w.RequesterMember))
		}
		if _, err := f.svc.Decide(ctx, f.w.ProviderAdmin, r.ID, review.Approve, ""); !errors.Is(err, review.ErrState) {
			t.Errorf("approved while waiting for the requester: %v", err)
		}
		if _, err := f.svc.Answer(ctx, f.w.ProviderAdmin, r.ID, "代为回答"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the provider answered for the requester: %v", err)
		}
		r, err = f.svc.Answer(ctx, f.w.RequesterMember, r.ID, "数据仅在内网分析环境使用，访问留痕")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != sharing.StatusProviderReview || r.DueAt == nil || r.DueAt.Before(due) || r.AnswerDueAt != nil {
			t.Fatalf("after the answer: %+v (deadline was %v)", r, due)
		}
		if !slices.Contains(kinds(t, db, f.w.ProviderAdmin), "share.answered") {
			t.Errorf("the provider was not told of the answer: %v", kinds(t, db, f.w.ProviderAdmin))
		}
		r, err = f.svc.Decide(ctx, f.w.ProviderAdmin, r.ID, review.Approve, "同意")
		if err != nil || r.Status != sharing.StatusGranted {
			t.Fatalf("approve after the answer: %+v, %v", r, err)
		}
		if d := f.reads(t, f.w.RequesterMember, f.w.Conditional.ID); !d.Allow {
			t.Errorf("read after approval: %+v", d)
		}
		if got := stepActions(r.Steps); got != "submitted,more_info,answered,granted" {
			t.Errorf("history = %s", got)
		}
	})
}

func TestUnansweredRequestExpiresAndRemindersGoOut(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		r, err := f.svc.Create(ctx, f.w.RequesterMember, f.input(f.w.Conditional.ID))
		if err != nil {
			t.Fatal(err)
		}
		// A day before the deadline the provider's admins are reminded, once.
		before := r.DueAt.Add(-time.Hour)
		for range 2 {
			if tl, err := f.svc.Tick(ctx, before); err != nil || tl.Escalated != 0 {
				t.Fatalf("tick before the deadline: %+v, %v", tl, err)
			}
		}
		reminded := 0
		for _, k := range kinds(t, db, f.w.ProviderAdmin) {
			if k == "share.reminded" {
				reminded++
			}
		}
		if reminded != 1 {
			t.Errorf("provider's reminders = %d, want 1 (%v)", reminded, kinds(t, db, f.w.ProviderAdmin))
		}

		r, err = f.svc.RequestInfo(ctx, f.w.ProviderAdmin, r.ID, "请补充法律依据原文")
		if err != nil {
			t.Fatal(err)
		}
		// The clock is paused: past the review deadline nothing is escalated,
		// and past the answer deadline the request expires without a grant.
		if tl, err := f.svc.Tick(ctx, r.DueAt.Add(24*time.Hour)); err != nil || tl.Escalated != 0 {
			t.Errorf("escalated while paused: %+v, %v", tl, err)
		}
		if _, err := f.svc.Tick(ctx, r.AnswerDueAt.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		r, err = f.svc.Get(ctx, f.w.RequesterMember, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != review.StatusExpired || r.GrantID != "" || r.CanAnswer(f.w.RequesterMember) {
			t.Fatalf("after the answer deadline: %+v", r)
		}
		if !slices.Contains(kinds(t, db, f.w.RequesterMember), "share.expired") {
			t.Errorf("the requester was not told: %v", kinds(t, db, f.w.RequesterMember))
		}
		if _, err := f.svc.Answer(ctx, f.w.RequesterMember, r.ID, "迟到的回答"); !errors.Is(err, review.ErrState) {
			t.Errorf("answer after expiry: %v", err)
		}
	})
}
