// Package monitor is the platform's security monitoring (art. 48): rules
// kept as data run incrementally over what happens — access decisions and
// the rows they served, sign-ins, workflow events — and raise alerts with
// a severity, evidence (decisions and events, sealed in the ledger), an
// owner and a state; an alert can become an incident (package incident).
//
// Observations reach one evaluating goroutine through a bounded queue,
// after the decision log's batch or the sign-in committed: nothing is
// evaluated on the request path, and a full queue drops observations
// (counted) rather than slow a request. The engine keeps per-rule,
// per-subject windows and baselines in memory; it never rescans tables.
package monitor

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// Severity is how urgent an alert is.
type Severity string

// The severities, least urgent first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// State is where an alert stands.
type State string

// The states of an alert.
const (
	StateNew           State = "new"
	StateAcknowledged  State = "acknowledged"
	StateEscalated     State = "escalated"    // it became an incident
	StateTruePositive  State = "closed_true"  // closed: it was real
	StateFalsePositive State = "closed_false" // closed: it was not
)

// States lists every state.
var States = []State{StateNew, StateAcknowledged, StateEscalated, StateTruePositive, StateFalsePositive}

// Open reports whether an alert in state s still waits for someone (new or acknowledged).
func (s State) Open() bool { return s == StateNew || s == StateAcknowledged }

// Evidence is one thing an alert rests on.
type Evidence struct {
	Kind    string    `json:"kind" enum:"decision,rows,signin,event"` // "decision", "rows" (rows served under a decision), "signin", "event"
	ID      string    `json:"id"`                                     // the decision's id, the event's id
	EventID string    `json:"event_id"`                               // the sealed event that carries it (a decision's access.decisions batch event)
	At      time.Time `json:"at"`
	Receipt string    `json:"receipt,omitempty" required:"false" doc:"Where the sealed event's receipt is served"`
}

// Alert is what a rule raised.
type Alert struct {
	ID          string         `json:"id"`
	RuleID      string         `json:"rule_id"`
	Rule        string         `json:"rule"` // the rule's code, e.g. "bulk_download"
	Severity    Severity       `json:"severity" enum:"low,medium,high,critical"`
	State       State          `json:"state" enum:"new,acknowledged,escalated,closed_true,closed_false"`
	Subject     string         `json:"subject"` // "user:ID", "key:ID", "grant:ID", "address:HASH", …
	Summary     string         `json:"summary"`
	Figures     map[string]any `json:"figures,omitempty"` // counts, baselines, thresholds
	Hits        int            `json:"hits"`
	OwnerUserID string         `json:"owner_user_id,omitempty" required:"false"`
	IncidentID  string         `json:"incident_id,omitempty" required:"false"`
	Note        string         `json:"note,omitempty" required:"false"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	LastHitAt   time.Time      `json:"last_hit_at"`
	Evidence    []Evidence     `json:"evidence"`
}

// AlertFilter selects alerts.
type AlertFilter struct {
	Rule    string // a rule's code
	State   State
	Subject string
	Cursor  string
	Limit   int // 1–200, default 50
}

// Rule is a monitoring rule, kept as data.
type Rule struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	NameZh    string    `json:"name_zh"`
	NameEn    string    `json:"name_en"`
	Severity  Severity  `json:"severity" enum:"low,medium,high,critical"`
	Source    string    `json:"source" enum:"decision,signin,event"`
	Enabled   bool      `json:"enabled"`
	Default   bool      `json:"default"` // shipped with dataport
	Body      string    `json:"body"`    // the rule's YAML
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty" required:"false"`
}

// Config tunes the service. Zero fields take the defaults.
type Config struct {
	QueueSize   int           // observations waiting at most; more are dropped and counted (default 65536)
	EvidenceCap int           // evidence rows one alert keeps at most (default 50)
	EventPoll   time.Duration // how often the events table is read for workflow events (default 1 s)
	Log         *slog.Logger  // default slog.Default()
	// Profile returns a de-identification profile's quasi-identifiers and
	// k, for decisions that applied one (nil: none are known).
	Profile func(ctx context.Context, id string) (quasiIdentifiers []string, k int, err error)
	// Now is the clock alerts are written with (default time.Now); tests
	// and benchmarks replace it.
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.QueueSize <= 0 {
		c.QueueSize = 65536
	}
	if c.EvidenceCap <= 0 {
		c.EvidenceCap = 50
	}
	if c.EventPoll <= 0 {
		c.EventPoll = time.Second
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Service evaluates the rules and keeps the alerts. It is safe for
// concurrent use; Observe never blocks.
type Service struct {
	db      *store.DB
	cfg     Config
	metrics *metrics

	queue   chan item
	stop    chan struct{}
	done    chan struct{}
	started atomic.Bool
	closing sync.Once

	rules  atomic.Pointer[[]*compiled] // the enabled rules, reloaded after every change
	engine *engine                     // owned by the evaluating goroutine
}

// item is an observation, or a flush request.
type item struct {
	obs     Observation
	flushed chan struct{}
}

// New returns the service on db. Call Load, then Start.
func New(db *store.DB, cfg Config) *Service {
	cfg.defaults()
	s := &Service{db: db, cfg: cfg, metrics: newMetrics(), queue: make(chan item, cfg.QueueSize), stop: make(chan struct{}),
		done: make(chan struct{})}
	s.rules.Store(&[]*compiled{})
	s.engine = newEngine(s)
	return s
}

// CanSee says whether p sees alerts: the security officer, the regulator, the auditor.
func CanSee(p identity.Principal) bool {
	return p.Has(identity.PlatformSecurity) || p.Has(identity.PlatformRegulator) || p.Has(identity.PlatformAuditor)
}

// CanManage says whether p edits rules and moves alerts: the security officer.
func CanManage(p identity.Principal) bool { return p.Has(identity.PlatformSecurity) }

// seeing refuses whoever may not see alerts and rules.
func seeing(p identity.Principal) error {
	if p.IsAnonymous() {
		return identity.ErrUnauthenticated
	}
	if !CanSee(p) {
		return identity.ErrForbidden
	}
	return nil
}

// managing refuses whoever may not change them.
func managing(p identity.Principal) error {
	if p.IsAnonymous() {
		return identity.ErrUnauthenticated
	}
	if !CanManage(p) {
		return identity.ErrForbidden
	}
	return nil
}

// Load seeds the default rules that are missing and reads the rules.
func (s *Service) Load(ctx context.Context) error {
	if err := s.seedRules(ctx); err != nil {
		return err
	}
	return s.reloadRules(ctx)
}

// Start runs the evaluating goroutine and the events tail until Stop.
func (s *Service) Start(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return nil
	}
	if err := s.engine.tail.init(ctx, s.db); err != nil {
		return err
	}
	go s.run()
	return nil
}

// Stop evaluates what is queued, writes its alerts, saves the events
// cursor and stops the evaluating goroutine.
func (s *Service) Stop() {
	s.closing.Do(func() {
		close(s.stop)
		if s.started.Load() {
			<-s.done
		}
	})
}

// Observe queues o for evaluation. It never blocks: when the queue is
// full the observation is dropped and dataport_monitor_dropped_total counts it.
func (s *Service) Observe(o Observation) {
	select {
	case s.queue <- item{obs: o}:
	default:
		s.metrics.dropped.Inc()
	}
}

// Flush waits until everything observed before it is evaluated and its
// alerts written (tests, the demo).
func (s *Service) Flush(ctx context.Context) error {
	if !s.started.Load() {
		return nil
	}
	done := make(chan struct{})
	select {
	case s.queue <- item{flushed: done}:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return nil
	}
}
