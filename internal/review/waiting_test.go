package review_test

import (
	"context"
	"errors"
	"testing"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// waiting lists what waits for p as "task:link".
func (f *fixture) waiting(p identity.Principal) []string {
	f.t.Helper()
	ws, err := f.rev.Waiting(context.Background(), p, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, w := range ws {
		out = append(out, string(w.Task)+":"+w.Link)
	}
	return out
}

func TestWaitingListsDecisionsAndAnswersAcrossKinds(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db, review.AllOf, publish)
		zones := f.rev.Register(review.Kind{Name: "zone_authorisation", Noun: "authorisation", Article: "an", Link: "/zones/", AnswerDays: 3,
			Steps: []review.Step{{Name: "holder_review", Days: 10, Reviewers: []review.Reviewer{{Name: "holder", Party: review.PartySubject, Role: identity.RoleAdmin}}}}})
		z, err := f.tx(func(tx *store.Tx) (review.Case, error) {
			return zones.File(ctx, tx, f.CompanyAdmin, review.Filing{FilerOrgID: f.Company.ID,
				Subject: review.Subject{Kind: "zone", ID: "zone-1", OrgID: f.Provider.ID}})
		})
		if err != nil {
			t.Fatal(err)
		}
		l := f.file(f.filer)
		// The listing's exchange reviewer and the zone's holder each see their own.
		if got := f.waiting(f.staff); len(got) != 1 || got[0] != "decide:/listings/"+l.ID {
			t.Errorf("exchange staff wait for %v", got)
		}
		if got := f.waiting(f.ProviderAdmin); len(got) != 1 || got[0] != "decide:/zones/"+z.ID {
			t.Errorf("the holder waits for %v", got)
		}
		if got := f.waiting(f.filer); len(got) != 0 {
			t.Errorf("the filer waits for %v before any question", got)
		}
		// The holder asks the company for more; now the company waits for an
		// answer (due in 3 working days, so before the listing's 5-day
		// deadline) and the holder for nothing.
		z, err = f.tx(func(tx *store.Tx) (review.Case, error) {
			return zones.RequestInfo(ctx, tx, f.ProviderAdmin, z.ID, "请补充计算任务说明")
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.waiting(f.filer); len(got) != 1 || got[0] != "answer:/zones/"+z.ID {
			t.Errorf("the company waits for %v", got)
		}
		if got := f.waiting(f.ProviderAdmin); len(got) != 0 {
			t.Errorf("the holder still waits for %v", got)
		}
		// A member of both the company and the law firm answers for the
		// company and decides the listing for the firm (another person of
		// the company filed it); the sooner deadline comes first.
		got := f.waiting(f.both)
		if len(got) != 2 || got[0] != "answer:/zones/"+z.ID || got[1] != "decide:/listings/"+l.ID {
			t.Errorf("both sides wait for %v", got)
		}
		ws, _ := f.rev.Waiting(ctx, f.both, 1)
		if len(ws) != 1 || ws[0].DueAt == nil || ws[0].Overdue || ws[0].Kind != "zone_authorisation" || ws[0].Status != review.StatusMoreInfo {
			t.Errorf("limited to one: %+v", ws)
		}
		if _, err := f.rev.Waiting(ctx, identity.Anonymous, 0); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous: %v", err)
		}
	})
}
