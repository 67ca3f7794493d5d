package access

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"dataport/internal/store"
)

// Logged is a decision, or the rows served under one, as the observers
// registered with OnLogged are told of it once the decision log's batch
// holding it has committed. It carries identifiers only.
type Logged struct {
	DecisionID string     `json:"decision_id"`
	At         time.Time  `json:"at"`
	UserID     string     `json:"user_id,omitempty"`
	KeyID      string     `json:"key_id,omitempty"`
	ResourceID string     `json:"resource_id"`
	Action     Action     `json:"action"`
	Purpose    string     `json:"purpose,omitempty"`
	Channel    Channel    `json:"channel,omitempty"`
	Allow      bool       `json:"allow"`
	Reason     string     `json:"reason"`
	GrantID    string     `json:"grant_id,omitempty"`
	OriginKind OriginKind `json:"origin_kind,omitempty"` // the workflow that created the grant
	ProfileID  string     `json:"profile_id,omitempty"`  // the de-identification profile the decision applies
	// FilterFields are the items the read filtered on (Request.FilterFields).
	FilterFields []string `json:"filter_fields,omitempty"`
	// RowsReported marks a report of the rows served under the decision
	// (RecordRows), sent in addition to the decision itself; Rows is then
	// how many were served (0 included).
	RowsReported bool  `json:"rows_reported,omitempty"`
	Rows         int64 `json:"rows,omitempty"`
	// EventID is the access.decisions event of the batch that holds the
	// decision; "" for a rows report whose decision was in an earlier batch.
	EventID string `json:"event_id,omitempty"`
}

// loggedInfo is what a decision's observers are told beyond its record.
type loggedInfo struct {
	rec          record
	origin       OriginKind
	profileID    string
	filterFields []string
}

// loggedObservers are the functions told of committed batches.
type loggedObservers struct {
	mu  sync.RWMutex
	fns []func(context.Context, []Logged)
	any atomic.Bool
}

// OnLogged registers fn to be told of every decision and every report of
// rows served once the decision log's batch holding them has committed —
// on the log's writer goroutine (or Decide's, with LogConfig.Sync): fn MUST
// return quickly (queue the records and evaluate them elsewhere) and MUST
// NOT call Decide. Rows served under decisions without a grant (open data)
// are reported too while an observer is registered.
func (s *Service) OnLogged(fn func(ctx context.Context, batch []Logged)) {
	s.logged.mu.Lock()
	defer s.logged.mu.Unlock()
	s.logged.fns = append(s.logged.fns, fn)
	s.logged.any.Store(true)
}

// info returns what the observers are told of decision d on req, or nil
// when nobody observes.
func (s *Service) loggedInfo(req Request, d Decision, rec record) *loggedInfo {
	if !s.logged.any.Load() {
		return nil
	}
	in := &loggedInfo{rec: rec, profileID: d.Constraints.DeidProfile, filterFields: req.FilterFields}
	if d.GrantID != "" {
		if e := s.cache.grant(d.GrantID); e != nil {
			in.origin = e.OriginKind
		}
	}
	return in
}

// observeRows queues a report of n rows served under d for the observers
// (when the rows are not already queued with the usage counts).
func (s *Service) observeRows(ctx context.Context, d Decision, n int64) {
	if d.logged == nil || !s.logged.any.Load() {
		return
	}
	s.log.addObserved(ctx, d.logged, n)
}

// tell calls the observers with the records and rows reports of a batch
// that committed; eventID is the batch's access.decisions event.
func (o *loggedObservers) tell(batch []logItem, eventID string) {
	o.mu.RLock()
	fns := o.fns
	o.mu.RUnlock()
	out := make([]Logged, 0, len(batch))
	inBatch := map[string]bool{}
	for _, it := range batch {
		if it.rec != nil && it.info != nil {
			out = append(out, it.info.logged(eventID))
			inBatch[it.rec.ID] = true
		}
	}
	for _, it := range batch {
		if it.rec == nil && it.info != nil {
			l := it.info.logged("")
			if inBatch[l.DecisionID] {
				l.EventID = eventID
			}
			l.RowsReported, l.Rows = true, it.served
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return
	}
	ctx := context.Background()
	for _, fn := range fns {
		fn(ctx, out)
	}
}

func (in *loggedInfo) logged(eventID string) Logged {
	r := in.rec
	return Logged{DecisionID: r.ID, At: r.At, UserID: r.UserID, KeyID: r.KeyID, ResourceID: r.ResourceID, Action: r.Action,
		Purpose: r.Purpose, Channel: Channel(r.Path), Allow: r.Allow, Reason: r.Reason, GrantID: r.GrantID, OriginKind: in.origin,
		ProfileID: in.profileID, FilterFields: in.filterFields, EventID: eventID}
}

// batchEventID is the id of the access.decisions event of batch batchID.
func batchEventID(ctx context.Context, tx *store.Tx, batchID string) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM events WHERE subject_kind = 'decision_batch' AND subject_id = $1`, batchID).Scan(&id)
	return id, err
}
