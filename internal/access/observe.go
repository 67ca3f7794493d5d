package access

import (
	"context"
	"sync"
	"time"
)

// Denial is a decision that refused a read under a grant, as the observers
// registered with OnDenied are told of it. It carries identifiers only.
type Denial struct {
	DecisionID string     `json:"decision_id"`
	Reason     string     `json:"reason"` // over_quota, grant_expired, ...
	GrantID    string     `json:"grant_id"`
	OriginKind OriginKind `json:"origin_kind"` // the workflow that created the grant
	OriginID   string     `json:"origin_id"`   // its record (a contract's id for OriginContract)
	ResourceID string     `json:"resource_id"`
	UserID     string     `json:"user_id,omitempty"`
	KeyID      string     `json:"key_id,omitempty"`
	At         time.Time  `json:"at"`
}

// denialObservers are the functions told of denials under grants.
type denialObservers struct {
	mu  sync.RWMutex
	fns []func(context.Context, Denial)
}

// OnDenied registers fn to be told of every decision that denies a read
// under a grant (its quota used up, its validity over, a purpose or a
// delivery mode it does not permit), after the decision is logged and
// before Decide returns it. fn runs on the deciding goroutine, with a
// context that outlives the request: it MUST return quickly (a risk
// engine records an alert, at most once per grant and minute) and MUST NOT
// call Decide. It never changes the decision.
func (s *Service) OnDenied(fn func(ctx context.Context, d Denial)) {
	s.denied.mu.Lock()
	defer s.denied.mu.Unlock()
	s.denied.fns = append(s.denied.fns, fn)
}

// tellDenied tells the observers of a denial under a grant.
func (s *Service) tellDenied(ctx context.Context, d Decision, rec record) {
	if d.Allow || d.GrantID == "" {
		return
	}
	s.denied.mu.RLock()
	fns := s.denied.fns
	s.denied.mu.RUnlock()
	if len(fns) == 0 {
		return
	}
	den := Denial{DecisionID: d.ID, Reason: d.Reason, GrantID: d.GrantID, ResourceID: rec.ResourceID, UserID: rec.UserID,
		KeyID: rec.KeyID, At: rec.At}
	if e := s.cache.grant(d.GrantID); e != nil {
		den.OriginKind, den.OriginID = e.OriginKind, e.OriginID
	}
	ctx = context.WithoutCancel(ctx)
	for _, fn := range fns {
		fn(ctx, den)
	}
}
