package search_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// expiring is a context that is done after its Err has been asked n times:
// a client that goes away part-way through a search, deterministically.
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

// TestSearchStopsWithItsContext: a search whose request has gone stops
// with the context's error, and what it left unfinished does not change
// the next search's answer.
func TestSearchStopsWithItsContext(t *testing.T) {
	c := newCity(t, storetest.Open(t, store.SQLite))
	c.ix.DisableResultCache()
	req := search.Request{Text: "公 交 线 路", Facets: []string{search.FieldOrganization}}
	want, err := c.ix.Search(req)
	if err != nil || want.Total == 0 {
		t.Fatalf("%d hits, %v", want.Total, err)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ix.SearchContext(gone, req); !errors.Is(err, context.Canceled) {
		t.Errorf("a search whose client has gone: %v, want context.Canceled", err)
	}
	midway := &expiring{Context: context.Background()}
	midway.left.Store(3)
	if _, err := c.ix.SearchContext(midway, search.Request{Text: "地 铁 客 流 统 计"}); !errors.Is(err, context.Canceled) {
		t.Errorf("a search whose client goes after three words: %v, want context.Canceled", err)
	}
	got, err := c.ix.SearchContext(context.Background(), req)
	if err != nil || got.Total != want.Total || len(got.Hits) != len(want.Hits) {
		t.Errorf("after stopped searches: %d hits (%v), want %d", got.Total, err, want.Total)
	}
}
