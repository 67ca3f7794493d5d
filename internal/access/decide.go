package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// Reasons of decisions: stable codes that clients and tests may rely on.
const (
	ReasonProvider     = "provider"             // the providing institution reads its own data
	ReasonOperator     = "platform_operator"    // platform operators read published data
	ReasonOpen         = "open_unconditional"   // open to everyone
	ReasonGrant        = "grant"                // a grant allows it
	ReasonNotFound     = "not_found"            // no such resource, or hidden from the subject
	ReasonNotPublished = "not_published"        // drafts and retired resources serve no data
	ReasonNoGrant      = "no_grant"             // needs a grant the subject does not hold
	ReasonNotOpen      = "not_open"             // not open to the public
	ReasonDeidRequired = "deid_required"        // cannot be opened without a de-identification profile
	ReasonClassified   = "classification"       // the classification rules forbid this use
	ReasonRateLimited  = "rate_limited"         // too many requests: retry later
	ReasonBadKey       = "bad_key"              // the per-grant API key is unknown, revoked or expired
	ReasonRevoked      = "grant_revoked"        // the grant was revoked
	ReasonExpired      = "grant_expired"        // the grant's validity has ended
	ReasonNotYetValid  = "grant_not_yet_valid"  // the grant's validity has not begun
	ReasonOverQuota    = "over_quota"           // the grant's call or row quota is used up
	ReasonPurpose      = "purpose_mismatch"     // the declared purpose is not one the grant permits
	ReasonAction       = "action_not_permitted" // the grant does not permit this delivery mode
)

// Config tunes the decision point. Zero fields take the defaults.
type Config struct {
	AnonymousRate int // reads per minute per client address for anonymous callers (default 120)
	UserRate      int // reads per minute per signed-in user (default 1200)
	KeyRate       int // reads per minute per API key without a policy rate (default 1200)
	Log           LogConfig
	Rules         Rules        // default PolicyRules{classify.DefaultPolicy}
	Logger        *slog.Logger // default slog.Default()
	// WatchInterval is how often the event feed is read for changes made by
	// other processes (default 200 ms).
	WatchInterval time.Duration
	// Now is the clock decisions are made and logged at (default
	// time.Now); the demo's backdated activity replaces it.
	Now func() time.Time
}

// Service is the decision point on one store: grants cached in memory,
// rate limits, and the decision log.
type Service struct {
	db    *store.DB
	cat   *catalog.Service
	cfg   Config
	rules Rules
	cache *cache
	limit limits // rate limits: the process's own, or shared on PostgreSQL
	log   *decisionLog

	denied denialObservers // told of denials under grants (OnDenied)
	logged loggedObservers // told of committed decision batches (OnLogged)

	loadMu   sync.Mutex
	loaded   bool
	ready    atomic.Bool // loaded, read without the lock on every decision
	watch    watcher
	watching atomic.Bool // Start follows the event feed
}

// NewService returns the decision point with the default configuration.
func NewService(db *store.DB, cat *catalog.Service) *Service { return New(db, cat, Config{}) }

// New returns the decision point. Call Close to write the decisions still
// queued; call Start to follow changes made by other processes.
func New(db *store.DB, cat *catalog.Service, cfg Config) *Service {
	if cfg.AnonymousRate == 0 {
		cfg.AnonymousRate = 120
	}
	if cfg.UserRate == 0 {
		cfg.UserRate = 1200
	}
	if cfg.KeyRate == 0 {
		cfg.KeyRate = 1200
	}
	if cfg.Rules == nil {
		cfg.Rules = PolicyRules{Policy: classify.DefaultPolicy}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.WatchInterval <= 0 {
		cfg.WatchInterval = 200 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{db: db, cat: cat, cfg: cfg, rules: cfg.Rules, cache: newCache(), limit: newLimits(db, cfg.Logger),
		log: newDecisionLog(db, cfg.Log, cfg.Logger)}
	s.log.observers = &s.logged
	return s
}

// Close writes every queued decision and stops the log writer.
func (s *Service) Close() { s.log.close() }

// Flush waits until every decision made so far is written.
func (s *Service) Flush(ctx context.Context) error { return s.log.flush(ctx) }

func (s *Service) ensureLoaded(ctx context.Context) error {
	if s.ready.Load() {
		return nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	if s.loaded {
		return nil
	}
	defer func() { s.ready.Store(s.loaded) }()
	if err := s.watch.init(ctx, s.db); err != nil {
		return err
	}
	if err := s.loadAll(ctx); err != nil {
		return err
	}
	s.loaded = true
	return nil
}

// Decide answers req. It denies unless something grants: the resource's own
// institution and platform operators may read published data; anyone may
// read a published, unconditionally open resource (through its
// de-identification profile when the rules ask for one); anyone else needs
// an active grant whose policy the request satisfies. Every decision, allow
// or deny, is logged before Decide returns it.
func (s *Service) Decide(ctx context.Context, req Request) (Decision, error) {
	if err := s.ensureLoaded(ctx); err != nil {
		return Decision{}, err
	}
	client := ClientFrom(ctx)
	if req.ClientIP == "" {
		req.ClientIP = client.IP
	}
	if req.ClientKey == "" {
		req.ClientKey = client.Key
	}
	now := s.cfg.Now().UTC()
	d, keyID, err := s.decide(ctx, req, now)
	if err != nil {
		return Decision{}, err
	}
	d.ID, d.ResourceID = store.NewID(), req.ResourceID
	rec := record{ID: d.ID, At: now, UserID: req.Subject.UserID, KeyID: keyID, ResourceID: req.ResourceID,
		Action: req.Action, Purpose: req.Purpose, Path: string(req.Channel), Allow: d.Allow, Reason: d.Reason, GrantID: d.GrantID,
		callCounted: d.callCounted}
	d.logged = s.loggedInfo(req, d, rec)
	if err := s.log.add(ctx, rec, d.logged); err != nil {
		return Decision{}, err
	}
	track(ctx, d)
	s.tellDenied(ctx, d, rec)
	return d, nil
}

// decide makes the decision without logging it; keyID is the API key used.
func (s *Service) decide(ctx context.Context, req Request, now time.Time) (Decision, string, error) {
	var key *keyEntry
	if req.ClientKey != "" {
		k, ok := s.lookupKey(req.ClientKey, now)
		if !ok {
			return deny(ReasonBadKey, "the API key is unknown, revoked or expired"), "", nil
		}
		key = &k
	}
	rate, limited := s.rateLimit(ctx, req, key, now)
	if limited.Reason != "" {
		limited.Rates = []Rate{rate}
		return limited, keyID(key), nil
	}
	d, id, err := s.decideResource(ctx, req, key, now)
	if rate.Limit > 0 {
		d.Rates = append([]Rate{rate}, d.Rates...)
	}
	return d, id, err
}

// decideResource decides req once the client's rate limit let it through.
func (s *Service) decideResource(ctx context.Context, req Request, key *keyEntry, now time.Time) (Decision, string, error) {
	r, err := s.resource(ctx, req.ResourceID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && key == nil && !catalog.CanView(req.Subject, r)) {
		return deny(ReasonNotFound, "no such resource, or it is not visible to you"), keyID(key), nil
	} else if err != nil {
		return Decision{}, "", err
	}
	if key != nil {
		d, err := s.decideKey(ctx, req, r, *key, now)
		return d, key.ID, err
	}
	d, err := s.decideSubject(ctx, req, r, now)
	return d, "", err
}

func keyID(k *keyEntry) string {
	if k == nil {
		return ""
	}
	return k.ID
}

// rateLimit applies the client's rate: per API key, per signed-in user, or
// per address for anonymous callers. It returns the limit's state and,
// when the request is over it, the denial (else a zero Decision).
func (s *Service) rateLimit(ctx context.Context, req Request, key *keyEntry, now time.Time) (Rate, Decision) {
	var bucket, policy string
	var rate int
	switch {
	case key != nil:
		bucket, policy, rate = "k:"+key.ID, "key", s.cfg.KeyRate
	case req.Subject.IsAnonymous():
		bucket, policy, rate = "ip:"+req.ClientIP, "address", s.cfg.AnonymousRate
	default:
		bucket, policy, rate = "u:"+req.Subject.UserID, "user", s.cfg.UserRate
	}
	wait, state := s.limit.allow(ctx, bucket, policy, rate, now)
	if wait > 0 {
		d := deny(ReasonRateLimited, "too many requests: try again later")
		d.RetryAfter = wait
		return state, d
	}
	return state, Decision{}
}

// decideSubject decides for a person (or nobody) without an API key.
func (s *Service) decideSubject(ctx context.Context, req Request, r catalog.Resource, now time.Time) (Decision, error) {
	if product, ok := req.Channel.sampleOf(); ok {
		return s.decideSample(ctx, req, r, product, now)
	}
	switch {
	case req.Subject.AtLeast(r.OrganizationID, identity.RoleEditor):
		// A plain member of the institution reads as any other reader does:
		// its own data is its editors' and admins' to read unconstrained.
		return Decision{Allow: true, Reason: ReasonProvider, Message: "the providing institution's editors and admins read its own data"}, nil
	case r.Status != catalog.StatusPublished:
		return deny(ReasonNotPublished, "the resource is not published"), nil
	case catalog.CanReview(req.Subject):
		return Decision{Allow: true, Reason: ReasonOperator, Message: "platform operators read published data"}, nil
	}
	s.cache.mu.RLock()
	candidates := s.cache.candidates(r.ID, s.cache.subjectKeys(req.Subject))
	s.cache.mu.RUnlock()
	grantDecision, found, err := s.decideGrants(ctx, req, r, candidates, now)
	if err != nil || (found && grantDecision.Allow) {
		return grantDecision, err
	}
	if r.OpenType == catalog.OpenUnconditional && req.Action != ActionCompute {
		rq, err := s.requirement(ctx, r, classify.UseOpen, pathOf(req))
		if err != nil {
			return Decision{}, err
		}
		if rq.Allowed {
			return Decision{Allow: true, Reason: ReasonOpen, Message: "the resource is open to everyone",
				Constraints: Constraints{DeidProfile: rq.ProfileID}}, nil
		}
		if !found {
			return deny(ReasonDeidRequired, strings.Join(rq.Reasons, "; ")), nil
		}
	}
	switch {
	case found:
		return grantDecision, nil
	case r.OpenType == catalog.OpenConditional:
		return deny(ReasonNoGrant, "the resource is open on application: apply for access first"), nil
	case r.ShareType != catalog.ShareNone && isInstitution(req.Subject):
		return deny(ReasonNoGrant, "the resource is shared on request: request sharing first"), nil
	}
	return deny(ReasonNotOpen, "the resource is not open to the public"), nil
}

// decideSample decides a read of exchange product's sample: only that
// product's sample grant counts (created by the exchange for a product in
// review or listed), for any signed-in subject, under its policy (fields,
// de-identification profile, rows per request); the subject's own rights
// do not widen it, so the provider sees the sample buyers see.
func (s *Service) decideSample(ctx context.Context, req Request, r catalog.Resource, product string, now time.Time) (Decision, error) {
	if req.Subject.IsAnonymous() {
		return deny(ReasonNoGrant, "sign in to see a product's sample"), nil
	}
	if r.Status != catalog.StatusPublished {
		return deny(ReasonNotPublished, "the resource is not published"), nil
	}
	s.cache.mu.RLock()
	candidates := slices.DeleteFunc(s.cache.candidates(r.ID, []string{granteeKey(GranteeGroup, SampleGrantee(product))}),
		func(e *grantEntry) bool { return e.OriginKind != OriginExchangeSample || e.OriginID != product })
	s.cache.mu.RUnlock()
	d, found, err := s.decideGrants(ctx, req, r, candidates, now)
	if err != nil || found {
		return d, err
	}
	return deny(ReasonNoGrant, "the product offers no sample of this resource"), nil
}

// isInstitution is a rough test used only to word a denial: does p belong
// to any organization at all (institutions request sharing, others apply).
func isInstitution(p identity.Principal) bool { return len(p.Memberships) > 0 }

// decideKey decides for a machine client with a per-grant API key: only
// that grant counts, whoever the key's holder is.
func (s *Service) decideKey(ctx context.Context, req Request, r catalog.Resource, k keyEntry, now time.Time) (Decision, error) {
	e := s.cache.grant(k.GrantID)
	if e == nil || !slices.Contains(e.ResourceIDs, r.ID) {
		return deny(ReasonNoGrant, "the API key's grant does not cover this resource"), nil
	}
	if r.Status != catalog.StatusPublished {
		return deny(ReasonNotPublished, "the resource is not published"), nil
	}
	d, _, err := s.decideGrants(ctx, req, r, []*grantEntry{e}, now)
	return d, err
}

// denialRank orders grant denials: the most telling one is reported.
var denialRank = map[string]int{ReasonClassified: 8, ReasonRateLimited: 7, ReasonOverQuota: 6, ReasonPurpose: 5, ReasonAction: 4,
	ReasonNotYetValid: 3, ReasonExpired: 2, ReasonRevoked: 1}

// decideGrants returns the first allow among candidates, or the most
// telling denial; found is false when there are no candidates.
func (s *Service) decideGrants(ctx context.Context, req Request, r catalog.Resource, candidates []*grantEntry, now time.Time) (Decision, bool, error) {
	var best Decision
	for _, e := range candidates {
		d, err := s.evalGrant(ctx, req, r, e, now)
		if err != nil || d.Allow {
			return d, true, err
		}
		if best.Reason == "" || denialRank[d.Reason] > denialRank[best.Reason] {
			best = d
		}
	}
	return best, len(candidates) > 0, nil
}

// evalGrant checks one grant's policy and the classification rules against
// req, and counts the call when it allows.
func (s *Service) evalGrant(ctx context.Context, req Request, r catalog.Resource, e *grantEntry, now time.Time) (Decision, error) {
	p := e.Policy
	var d Decision
	var grantRate []Rate // the grant's own rate limit, when it has one
	rq, err := s.requirement(ctx, r, useOf(e.OriginKind), pathOf(req))
	if err != nil {
		return Decision{}, err
	}
	switch e.StatusAt(now) {
	case GrantRevoked:
		d = deny(ReasonRevoked, "your grant was revoked")
	case GrantExpired:
		d = deny(ReasonExpired, "your grant has expired")
	case GrantPending:
		d = deny(ReasonNotYetValid, "your grant is not valid yet")
	}
	switch {
	case d.Reason != "":
	case !p.Permits(req.Action):
		d = deny(ReasonAction, "your grant does not permit "+string(req.Action))
	case !rq.Allowed:
		d = deny(ReasonClassified, strings.Join(rq.Reasons, "; "))
	case req.Purpose != "" && req.Purpose != e.Purpose && !slices.Contains(p.Purposes, req.Purpose):
		d = deny(ReasonPurpose, "your grant does not permit this purpose")
	case p.MaxRows > 0 && e.rows.Load() >= p.MaxRows:
		d = deny(ReasonOverQuota, "your grant's row quota is used up")
	case p.RatePerMinute > 0:
		wait, state := s.limit.allow(ctx, "g:"+e.ID, "grant", p.RatePerMinute, now)
		if wait > 0 {
			d = deny(ReasonRateLimited, "too many requests under this grant: try again later")
			d.RetryAfter = wait
		}
		grantRate = []Rate{state}
	}
	var callCounted bool // in the store, by takeCallShared
	if d.Reason == "" {
		var took bool
		if took, callCounted, err = s.takeCall(ctx, e, p.MaxCalls); err != nil {
			return Decision{}, err
		} else if !took {
			d = deny(ReasonOverQuota, "your grant's call quota is used up")
		}
	}
	var reserved int64
	if d.Reason == "" && p.MaxRows > 0 {
		if reserved, err = s.takeRows(ctx, e, p.MaxRows, rowsWanted(req, p)); err != nil || (reserved == 0 && req.Rows > 0) {
			s.untakeCall(ctx, e, callCounted) // the call taken above is not made
		}
		if err != nil {
			return Decision{}, err
		}
		if reserved == 0 && req.Rows > 0 {
			d = deny(ReasonOverQuota, "your grant's row quota is used up")
		}
	}
	d.GrantID, d.Rates = e.ID, grantRate
	if !d.Allow && d.Reason != "" {
		e.denied.Add(1)
		return d, nil
	}
	c := Constraints{Fields: p.Fields, RowFilter: p.RowFilter, DeidProfile: p.DeidProfile, MaxRows: p.RowsPerRequest,
		Actions: p.Actions}
	if c.DeidProfile == "" {
		c.DeidProfile = rq.ProfileID // a profile covering the path applies on every use
	}
	if e.ValidUntil != nil {
		c.Expires = *e.ValidUntil
	}
	d = Decision{Allow: true, Reason: ReasonGrant, Message: "allowed by grant " + e.ID, GrantID: e.ID,
		Constraints: c, Rates: grantRate, filter: e.filters[r.ID], callCounted: callCounted}
	if p.MaxRows > 0 {
		d.Constraints.RowsLeft = max(p.MaxRows-e.rows.Load(), 0) + reserved
		d.Rows, d.quota = reserved, &reservation{}
	}
	return d, nil
}

// rowsWanted is what a request under policy p may reserve of the grant's
// row quota: the rows it asked for, capped by the rows per request.
func rowsWanted(req Request, p Policy) int64 {
	if p.RowsPerRequest > 0 {
		return min(req.Rows, p.RowsPerRequest)
	}
	return req.Rows
}

// takeCall counts one call against a quota of max (0: none); false when the
// quota is used up. Concurrent callers never overshoot it.
func takeCall(e *grantEntry, max int64) bool {
	for {
		n := e.calls.Load()
		if max > 0 && n >= max {
			return false
		}
		if e.calls.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// lookupKey returns the key whose secret is secret, unless it is unknown,
// revoked or expired at now.
func (s *Service) lookupKey(secret string, now time.Time) (keyEntry, bool) {
	sum := sha256.Sum256([]byte(secret))
	h := hex.EncodeToString(sum[:])
	s.cache.mu.RLock()
	defer s.cache.mu.RUnlock()
	k, ok := s.cache.keys[h]
	if ok && !k.Expires.IsZero() && !now.Before(k.Expires) {
		return keyEntry{}, false
	}
	return k, ok
}

// RecordRows counts n rows served under decision d against its grant's
// usage, and gives back to the grant's row quota what Decide reserved for
// the response beyond n. Data paths call it once after serving under a
// decision (see Decider); a second call for the same decision is refused.
func (s *Service) RecordRows(ctx context.Context, d Decision, n int64) error {
	if d.GrantID == "" {
		s.observeRows(ctx, d, n) // open data: reported to the observers only
		return nil
	}
	if d.quota != nil {
		if !d.quota.settled.CompareAndSwap(false, true) {
			return fmt.Errorf("access: the rows served under decision %s were already recorded", d.ID)
		}
		trackServed(ctx, d.ID, n)
		s.observeRows(ctx, d, n)
		return s.settleRows(ctx, d.GrantID, d.Rows, n)
	}
	if n <= 0 {
		s.observeRows(ctx, d, n)
		return nil
	}
	// Without a total quota nothing was reserved: the count is batched
	// with the decision log, also when the request's context has ended (a
	// client that went away mid-export was still served those rows).
	if e := s.cache.grant(d.GrantID); e != nil {
		e.rows.Add(n)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	return s.log.addRows(ctx, d.GrantID, n, d.logged)
}

func deny(reason, message string) Decision {
	return Decision{Allow: false, Reason: reason, Message: message}
}
