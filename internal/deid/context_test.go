package deid

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// expiring is a context that is done after its Err has been asked n times:
// a deadline that falls during the lattice search, deterministically.
type expiring struct {
	context.Context
	left atomic.Int64
}

func (e *expiring) Err() error {
	if e.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestAnonymizeStopsWithItsContext: a de-identification whose request has
// gone (its context done part-way through the search) stops and returns
// the context's error instead of a result.
func TestAnonymizeStopsWithItsContext(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tab := Table{Header: []string{"a", "b", "c", "d"}}
	for range 3000 {
		row := make([]string, len(tab.Header))
		for j := range row {
			row[j] = fmt.Sprintf("%012d", r.IntN(1_000_000_000))
		}
		tab.Rows = append(tab.Rows, row)
	}
	p := Profile{QuasiIdentifiers: tab.Header, K: 10, MaxSuppression: 0.01, Hierarchies: map[string]HierarchySpec{}}
	for _, c := range tab.Header {
		p.Hierarchies[c] = HierarchySpec{Type: "mask", Levels: 11}
	}
	_, rep, err := AnonymizeContext(context.Background(), tab, p, Options{})
	if err != nil || rep.Search.Evaluated < 20 {
		t.Fatalf("the full search: %v, %d nodes evaluated; want a search of 20 or more", err, rep.Search.Evaluated)
	}
	ctx := &expiring{Context: context.Background()}
	ctx.left.Store(5)
	if _, _, err := AnonymizeContext(ctx, tab, p, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("a search whose context ends after 5 nodes: %v, want context.Canceled", err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := AnonymizeContext(done, tab, p, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("a search whose context has ended: %v, want context.Canceled", err)
	}
}
