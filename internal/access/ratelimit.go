package access

import (
	"context"
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// limits count the requests of each client key ("ip:…", "u:…", "k:…",
// "g:…") in token buckets, each refilled at its own rate per minute with a
// burst of one minute's worth. On SQLite, whose file one process serves,
// they are the process's own (limiter); on PostgreSQL, every process on the
// database shares them (sharedLimiter, ratelimit_shared.go), so that a
// client spreading its requests over N replicas meets one limit, not N.
type limits interface {
	// allow takes one token from key's bucket (perMinute tokens a minute).
	// It returns zero when the request may proceed, or how long until it
	// may, and the bucket's state afterwards (policy names it). perMinute
	// <= 0 means no limit and returns a zero Rate.
	allow(ctx context.Context, key, policy string, perMinute int, now time.Time) (time.Duration, Rate)
	// sweep forgets buckets that have refilled completely.
	sweep(ctx context.Context, now time.Time)
}

// limiter keeps the buckets in this process's memory. It is sharded so
// that concurrent readers rarely wait on one another.
type limiter struct {
	seed   maphash.Seed
	shards [64]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	rate   float64 // tokens per second
	burst  float64
}

func newLimiter() *limiter {
	l := &limiter{seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = map[string]*bucket{}
	}
	return l
}

// Rate is the state of one rate limit once a request was counted: the
// requests it allows a minute, how many may follow at once, and how long
// until it is full again. The web layer sends it as RateLimit fields.
type Rate struct {
	Policy    string        `json:"policy"`    // whose limit: "key", "user", "address" or "grant"
	Limit     int           `json:"limit"`     // requests a minute, also the most that may come at once
	Remaining int           `json:"remaining"` // requests that may follow at once
	Reset     time.Duration `json:"reset" doc:"Nanoseconds until remaining is back to limit"`
}

// allow takes one token from key's bucket, as limits says.
func (l *limiter) allow(_ context.Context, key, policy string, perMinute int, now time.Time) (time.Duration, Rate) {
	if perMinute <= 0 {
		return 0, Rate{}
	}
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	rate, burst := float64(perMinute)/60, float64(perMinute)
	b := sh.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		sh.buckets[key] = b
	}
	b.rate, b.burst = rate, burst
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	took := b.tokens >= 1
	if took {
		b.tokens--
	}
	return bucketRate(policy, perMinute, b.tokens, took)
}

// bucketRate is the answer to a request that left a bucket of perMinute
// tokens a minute (and as many at once) with tokens, having taken one or
// not: the wait before the next try (none when it took one, else at least
// a second) and the limit's state.
func bucketRate(policy string, perMinute int, tokens float64, took bool) (time.Duration, Rate) {
	rate, burst := float64(perMinute)/60, float64(perMinute)
	var wait time.Duration
	if !took {
		wait = max(time.Duration((1-tokens)/rate*float64(time.Second)), time.Second)
	}
	full := time.Duration((burst - tokens) / rate * float64(time.Second))
	return wait, Rate{Policy: policy, Limit: perMinute, Remaining: int(tokens), Reset: full}
}

// sweep forgets buckets that have refilled completely: they hold no state
// worth keeping, and an attacker cycling addresses must not grow memory.
func (l *limiter) sweep(_ context.Context, now time.Time) {
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for k, b := range sh.buckets {
			if b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst {
				delete(sh.buckets, k)
			}
		}
		sh.mu.Unlock()
	}
}
