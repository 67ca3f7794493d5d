package access

import (
	"context"
	"sync"
)

// Tracker records the decisions made while serving one request, so that
// the web layer can prove a data-serving handler asked before it served
// (and answer with the denial whatever the handler did with the error).
type Tracker struct {
	parent    *Tracker // the tracker of an enclosing scope, told too
	mu        sync.Mutex
	decisions []Decision
}

type trackerKey struct{}

// Track returns ctx carrying a new Tracker. Decisions made under ctx are
// recorded in it and in every tracker of the scopes enclosing it.
func Track(ctx context.Context) (context.Context, *Tracker) {
	parent, _ := ctx.Value(trackerKey{}).(*Tracker)
	t := &Tracker{parent: parent}
	return context.WithValue(ctx, trackerKey{}, t), t
}

func track(ctx context.Context, d Decision) {
	t, _ := ctx.Value(trackerKey{}).(*Tracker)
	for ; t != nil; t = t.parent {
		t.mu.Lock()
		t.decisions = append(t.decisions, d)
		t.mu.Unlock()
	}
}

// Decisions returns the decisions made so far, in order.
func (t *Tracker) Decisions() []Decision {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Decision(nil), t.decisions...)
}

// Denial returns the first deny decision, if any.
func (t *Tracker) Denial() (Decision, bool) {
	for _, d := range t.Decisions() {
		if !d.Allow {
			return d, true
		}
	}
	return Decision{}, false
}

// trackServed records, in the trackers of ctx, that n rows were served
// under the decision with id, so that their copies' RowsRemaining count them.
func trackServed(ctx context.Context, id string, n int64) {
	t, _ := ctx.Value(trackerKey{}).(*Tracker)
	for ; t != nil; t = t.parent {
		t.mu.Lock()
		for i := range t.decisions {
			if t.decisions[i].ID == id {
				t.decisions[i].served, t.decisions[i].recorded = n, true
			}
		}
		t.mu.Unlock()
	}
}
