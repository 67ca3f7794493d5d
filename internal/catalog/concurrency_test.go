package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"github.com/google/go-cmp/cmp"
)

func TestConcurrentCreatesGetDistinctCodes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		const n = 12
		codes := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r, err := f.cat.Create(ctx, f.editorA, f.orgA.ID, validInput())
				codes[i], errs[i] = r.Code, err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := range n {
			want = append(want, fmt.Sprintf("BJJTW-04-%05d", i+1))
		}
		slices.Sort(codes)
		if diff := cmp.Diff(want, codes); diff != "" {
			t.Errorf("codes of concurrent creates (-want +got):\n%s", diff)
		}
	})
}

// TestConcurrentSubmitsOneWins submits one draft from many requests at once
// (a double-clicked button): one succeeds, the others see the new status.
func TestConcurrentSubmitsOneWins(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, f.orgA.ID, validInput(), catalog.StatusDraft)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = f.cat.Submit(ctx, f.editorA, r.ID)
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, catalog.ErrState):
				t.Errorf("concurrent submit: error = %v, want nil or ErrState", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d submits succeeded, want 1", ok)
		}
		if got := f.get(t, r.ID); got.Version != 2 || got.Status != catalog.StatusSubmitted {
			t.Errorf("after concurrent submits: version %d, status %s; want 2, submitted", got.Version, got.Status)
		}
		if evs := events(t, db, r.ID); len(evs) != 2 {
			t.Errorf("%d events, want created and one submitted", len(evs))
		}
	})
}
