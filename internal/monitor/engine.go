package monitor

import (
	"context"
	"strings"
	"time"

	"dataport/internal/store"
)

// engine evaluates the rules on observations, one at a time, on the
// service's evaluating goroutine: nothing here is shared with requests.
type engine struct {
	s        *Service
	states   map[string]*ruleState // by rule id
	tail     tailer
	events   decisionEvents // decision → its batch event, for rows reported later
	profiles map[string]profileInfo
	pending  []hit         // fired, not yet written
	relay    []Observation // to evaluate on the replica that tails (relay.go), not yet written
	rulesAt  string        // the rules table's count and latest change when the rules were last read (followRules)
}

func newEngine(s *Service) *engine {
	return &engine{s: s, states: map[string]*ruleState{}, events: newDecisionEvents(1 << 16), profiles: map[string]profileInfo{}}
}

// ruleState is a rule's windows and baselines, per group.
type ruleState struct {
	fingerprint string // the correlation they were built under
	groups      map[string]*group
}

// evidenceKept is how much evidence a group keeps for the alert it may raise.
const evidenceKept = 20

// group is one group's state under one rule; which fields are used depends
// on the correlation type.
type group struct {
	last     time.Time // latest match
	evidence evidenceRing

	times []time.Time // count: the latest matches' times, at most threshold (a ring)
	next  int

	values map[string]time.Time // distinct: value → when last seen

	start    time.Time // baseline: the current window's start
	sum      float64   // baseline: the current window's sum
	baseline float64   // baseline: moving average of past windows' sums
	history  int       // baseline: windows seen
	fired    bool      // baseline: fired in the current window

	hours [24]uint32 // hours: matches by hour of day
	total uint32
}

// evidenceRing keeps the latest matches' evidence, at most evidenceKept,
// without allocating per match.
type evidenceRing struct {
	items [evidenceKept]Evidence
	n     int // added in all
}

func (r *evidenceRing) add(e Evidence) {
	r.items[r.n%evidenceKept] = e
	r.n++
}

// list is the kept evidence, oldest first.
func (r *evidenceRing) list() []Evidence {
	k := min(r.n, evidenceKept)
	out := make([]Evidence, 0, k)
	for i := r.n - k; i < r.n; i++ {
		out = append(out, r.items[i%evidenceKept])
	}
	return out
}

// baselineAlpha weighs the latest window in a baseline's moving average.
const baselineAlpha = 0.2

// handle evaluates every rule of o's source on o.
func (e *engine) handle(o *Observation) {
	began := time.Now()
	rules := *e.s.rules.Load()
	e.enrich(o)
	for _, r := range rules {
		if r.applies(o) {
			e.match(r, o)
		}
	}
	e.s.metrics.evaluated.Inc()
	e.s.metrics.latency.Observe(time.Since(began).Seconds())
}

// applies reports whether r is of o's source and its condition holds.
func (r *compiled) applies(o *Observation) bool {
	if r.Source != o.Source {
		return false
	}
	if r.where == nil {
		return true
	}
	v, _, err := r.where.Eval(activation{o})
	return err == nil && v.Value() == true
}

// enrich fills in what the rules read that the observation does not carry:
// the applied profile's quasi-identifiers and k, a rows report's event.
func (e *engine) enrich(o *Observation) {
	if o.Source != SourceDecision {
		return
	}
	if o.RowsReported {
		if o.EventID == "" {
			o.EventID = e.events.get(o.DecisionID)
		}
	} else if o.EventID != "" {
		e.events.put(o.DecisionID, o.EventID)
	}
	if o.ProfileID != "" && o.K == 0 {
		p := e.profile(o.ProfileID)
		o.QuasiIdentifiers, o.K = p.qi, int64(p.k)
	}
}

// profileInfo is a profile's quasi-identifiers and k, as last read.
type profileInfo struct {
	qi   []string
	k    int
	read time.Time
}

// profileTTL is how long a profile's quasi-identifiers are used before they are read again.
const profileTTL = time.Minute

func (e *engine) profile(id string) profileInfo {
	p, ok := e.profiles[id]
	if (ok && time.Since(p.read) < profileTTL) || e.s.cfg.Profile == nil {
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	qi, k, err := e.s.cfg.Profile(ctx, id)
	if err != nil {
		e.s.cfg.Log.Warn("monitor: profile not read", "profile", id, "err", err)
	}
	p = profileInfo{qi: qi, k: k, read: time.Now()}
	e.profiles[id] = p
	return p
}

// match applies r's correlation to o, which matched its condition.
func (e *engine) match(r *compiled, o *Observation) {
	c := r.spec.Correlate
	if c == nil {
		e.fire(r, o.Subject, o, map[string]any{}, []Evidence{evidenceOf(o)})
		return
	}
	key, subject, ok := groupKey(c.GroupBy, o)
	if !ok {
		return
	}
	st := e.state(r)
	g := st.groups[key]
	if g == nil {
		g = &group{}
		st.groups[key] = g
	}
	g.last = o.At
	if c.Type == CorrelateBaseline && !g.start.IsZero() && o.At.Truncate(time.Duration(c.Window)).After(g.start) {
		g.evidence = evidenceRing{} // a baseline alert rests on its window's matches
	}
	g.evidence.add(evidenceOf(o))
	var figures map[string]any
	switch c.Type {
	case CorrelateCount:
		figures = g.count(c, o.At)
	case CorrelateDistinct:
		figures = g.distinct(c, o)
	case CorrelateBaseline:
		figures = g.rise(c, o)
	case CorrelateHours:
		figures = g.hour(c, r.loc, o.At)
	}
	if figures != nil {
		e.fire(r, subject, o, figures, g.evidence.list())
		g.evidence = evidenceRing{}
	}
}

// state is r's state, started afresh when its correlation changed — but
// for its time zone: an hours rule's counts are kept by hour of day, and a
// new zone reads them shifted (the end-to-end test relies on it to make a
// use fall outside the usual hours without moving the server's clock).
func (e *engine) state(r *compiled) *ruleState {
	st := e.states[r.ID]
	if st == nil || st.fingerprint != r.fingerprint {
		st = &ruleState{fingerprint: r.fingerprint, groups: map[string]*group{}}
		e.states[r.ID] = st
	}
	return st
}

// groupKey is o's group under group_by and the alert subject naming it;
// ok is false when o lacks one of the variables.
func groupKey(by []string, o *Observation) (key, subject string, ok bool) {
	if len(by) == 1 {
		v := o.text(by[0])
		return v, subjectLabel(by[0], v), v != ""
	}
	keys := make([]string, len(by))
	labels := make([]string, len(by))
	for i, name := range by {
		v := o.text(name)
		if v == "" {
			return "", "", false
		}
		keys[i], labels[i] = v, subjectLabel(name, v)
	}
	return strings.Join(keys, "\x00"), strings.Join(labels, " "), true
}

// subjectLabel names a group value as alerts' subjects do: "grant:ID", "address:HASH", …
func subjectLabel(name, v string) string {
	switch name {
	case "subject":
		return v
	case "address_hash":
		return "address:" + v
	case "username_hash":
		return "username:" + v
	}
	return strings.TrimSuffix(name, "_id") + ":" + v
}

// count: the threshold-th latest match falls within the window.
func (g *group) count(c *Correlate, at time.Time) map[string]any {
	n := int(c.Threshold)
	if len(g.times) < n {
		g.times = append(g.times, at)
	} else {
		g.times[g.next] = at
		g.next = (g.next + 1) % n
	}
	if len(g.times) < n {
		return nil
	}
	oldest := g.times[g.next%n]
	if at.Sub(oldest) > time.Duration(c.Window) {
		return nil
	}
	g.times, g.next = g.times[:0], 0
	return map[string]any{"count": n, "threshold": c.Threshold, "window": time.Duration(c.Window).String(), "first_at": oldest, "last_at": at}
}

// distinct: the values of field seen within the window reach the threshold.
func (g *group) distinct(c *Correlate, o *Observation) map[string]any {
	v := o.text(c.Field)
	if v == "" {
		return nil
	}
	if g.values == nil {
		g.values = map[string]time.Time{}
	}
	g.values[v] = o.At
	if int64(len(g.values)) < c.Threshold {
		return nil
	}
	from := o.At.Add(-time.Duration(c.Window))
	for k, t := range g.values {
		if t.Before(from) {
			delete(g.values, k)
		}
	}
	n := int64(len(g.values))
	if n < c.Threshold {
		return nil
	}
	g.values = nil
	return map[string]any{"distinct": n, "field": c.Field, "threshold": c.Threshold, "window": time.Duration(c.Window).String()}
}

// rise: the current window's sum exceeds factor × the group's baseline and
// min, once the group has min_history windows behind it; once per window.
func (g *group) rise(c *Correlate, o *Observation) map[string]any {
	w := time.Duration(c.Window)
	start := o.At.Truncate(w)
	switch {
	case g.start.IsZero():
		g.start = start
	case start.After(g.start):
		g.roll(start, w)
	}
	g.sum += o.number(c.Value)
	limit := max(c.Factor*g.baseline, c.Min)
	if g.fired || g.history < c.MinHistory || g.sum <= limit {
		return nil
	}
	g.fired = true
	value := c.Value
	if value == "" {
		value = "matches"
	}
	return map[string]any{"value": value, "window_sum": g.sum, "baseline": g.baseline, "factor": c.Factor, "min": c.Min,
		"window": w.String(), "window_start": g.start, "history_windows": g.history}
}

// roll closes the current window (and the empty ones after it) into the baseline.
func (g *group) roll(start time.Time, w time.Duration) {
	if g.history == 0 {
		g.baseline = g.sum
	} else {
		g.baseline = baselineAlpha*g.sum + (1-baselineAlpha)*g.baseline
	}
	gap := int(start.Sub(g.start) / w)
	for i := 1; i < min(gap, 64); i++ {
		g.baseline *= 1 - baselineAlpha
	}
	g.history = min(g.history+gap, 1<<20)
	g.start, g.sum, g.fired = start, 0, false
}

// hour: a match at an hour the group has matched at fewer than min_count
// times, once it has min_history matches behind it.
func (g *group) hour(c *Correlate, loc *time.Location, at time.Time) map[string]any {
	h := at.In(loc).Hour()
	seen := g.hours[h]
	var figures map[string]any
	if int(g.total) >= c.MinHistory && int(seen) < max(c.MinCount, 1) {
		usual := []int{}
		for i, n := range g.hours {
			if int(n) >= max(c.MinCount, 1) {
				usual = append(usual, i)
			}
		}
		figures = map[string]any{"hour": h, "uses_at_hour": seen, "history": g.total, "usual_hours": usual, "timezone": loc.String()}
	}
	g.hours[h]++
	if g.total++; g.total >= 1<<20 {
		g.total = 0
		for i := range g.hours {
			g.hours[i] /= 2
			g.total += g.hours[i]
		}
	}
	return figures
}

// evidenceOf is what an alert keeps of o.
func evidenceOf(o *Observation) Evidence {
	switch {
	case o.Source == SourceDecision && o.RowsReported:
		return Evidence{Kind: "rows", ID: o.DecisionID, EventID: o.EventID, At: o.At}
	case o.Source == SourceDecision:
		return Evidence{Kind: "decision", ID: o.DecisionID, EventID: o.EventID, At: o.At}
	case o.Source == SourceSignIn:
		return Evidence{Kind: "signin", ID: o.EventID, EventID: o.EventID, At: o.At}
	}
	return Evidence{Kind: "event", ID: o.EventID, EventID: o.EventID, At: o.At}
}

// fire queues an alert of r about subject.
func (e *engine) fire(r *compiled, subject string, o *Observation, figures map[string]any, evidence []Evidence) {
	if subject == "" {
		subject = "anonymous"
	}
	summary := r.NameEn + ": " + subject
	e.pending = append(e.pending, hit{rule: r, subject: subject, summary: summary, figures: figures, evidence: evidence, at: o.At})
}

// writePending writes the fired hits in one transaction.
func (e *engine) writePending() {
	e.writeRelay()
	if len(e.pending) == 0 {
		return
	}
	hits := e.pending
	e.pending = nil
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var raised []hit
	err := e.s.db.Transact(ctx, func(tx *store.Tx) error {
		raised = raised[:0]
		for _, h := range hits {
			_, isNew, err := e.s.raise(ctx, tx, h)
			if err != nil {
				return err
			}
			if isNew {
				raised = append(raised, h)
			}
		}
		return nil
	})
	if err != nil {
		e.s.cfg.Log.Error("monitor: alerts not written", "hits", len(hits), "err", err)
		return
	}
	for _, h := range raised {
		e.s.metrics.alerts.WithLabelValues(h.rule.Code, string(h.rule.Severity)).Inc()
	}
}

// sweep forgets groups idle long enough that they could not fire.
func (e *engine) sweep(now time.Time) {
	rules := map[string]*compiled{}
	for _, r := range *e.s.rules.Load() {
		rules[r.ID] = r
	}
	for id, st := range e.states {
		r := rules[id]
		if r == nil || r.spec.Correlate == nil {
			delete(e.states, id)
			continue
		}
		keep := 2 * time.Duration(r.spec.Correlate.Window)
		switch r.spec.Correlate.Type {
		case CorrelateBaseline:
			keep = max(64*time.Duration(r.spec.Correlate.Window), 24*time.Hour)
		case CorrelateHours:
			keep = 90 * 24 * time.Hour
		}
		for k, g := range st.groups {
			if now.Sub(g.last) > keep {
				delete(st.groups, k)
			}
		}
	}
}

// decisionEvents remembers the batch event of the latest decisions, so that
// rows reported in a later batch than their decision carry its receipt.
type decisionEvents struct {
	m    map[string]string
	ring []string
	next int
}

func newDecisionEvents(n int) decisionEvents {
	return decisionEvents{m: make(map[string]string, n), ring: make([]string, n)}
}

func (d *decisionEvents) put(decision, event string) {
	if old := d.ring[d.next]; old != "" {
		delete(d.m, old)
	}
	d.ring[d.next], d.m[decision] = decision, event
	d.next = (d.next + 1) % len(d.ring)
}

func (d *decisionEvents) get(decision string) string { return d.m[decision] }
