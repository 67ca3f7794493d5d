// Package uploadgate bounds how much one account can upload: a few uploads
// at once, and a rate over time (a token bucket, golang.org/x/time/rate).
// The upload handlers ask it before they read a body, so an account that
// sends files back to back — bombs, or just too many — is answered 429
// with Retry-After at the cost of a header, not of reading megabytes.
//
// On PostgreSQL the gate is shared by every replica on the database
// (ForStore, shared.go): the running uploads are leases in upload_leases
// and the start rate a bucket in rate_buckets, so an account spreading its
// uploads over replicas meets the same limits as on one. With SQLite, which
// one process serves, the gate lives in that process's memory.
package uploadgate

import (
	"errors"
	"sync"
	"time"

	"dataport/internal/access"

	"golang.org/x/time/rate"
)

// Limits of one account.
const (
	Parallel  = 2  // uploads running at once
	PerMinute = 30 // uploads started a minute, in the long run
	Burst     = 10 // uploads that may start together after a quiet spell
)

// Refusals. Both are rate limits (errors.Is(err, access.ErrRateLimited)),
// answered 429 with Retry-After.
var (
	ErrBusy = errors.New("uploads of yours are being loaded; send this one when one of them has finished")
	ErrRate = errors.New("you have started too many uploads in the last minutes; send this one later")
)

// Refusal is a refused upload and how long to wait before the next try.
type Refusal struct {
	Reason error // ErrBusy or ErrRate
	Wait   time.Duration
}

func (r *Refusal) Error() string { return r.Reason.Error() }

// Is makes a refusal both its reason and a rate limit.
func (r *Refusal) Is(target error) bool { return target == r.Reason || target == access.ErrRateLimited }

// RetryAfter is how long to wait before trying again.
func (r *Refusal) RetryAfter() time.Duration { return r.Wait }

// Gate keeps each account's running uploads and start rate.
type Gate struct {
	parallel int
	every    time.Duration
	burst    int

	shared *shared // on PostgreSQL: the replicas' common counts (shared.go)

	mu    sync.Mutex
	users map[string]*account
	takes int
}

type account struct {
	running int
	starts  *rate.Limiter
}

// New returns a gate with the package's limits.
func New() *Gate { return NewWith(Parallel, PerMinute, Burst) }

// NewWith returns a gate allowing parallel uploads at once and perMinute
// starts a minute, burst of them together.
func NewWith(parallel, perMinute, burst int) *Gate {
	return &Gate{parallel: parallel, every: time.Minute / time.Duration(perMinute), burst: burst, users: map[string]*account{}}
}

// Take reserves an upload for user at now. It returns the function that
// ends it, or a *Refusal saying why not and how long to wait.
func (g *Gate) Take(user string, now time.Time) (done func(), err error) {
	if g.shared != nil {
		if done, err := g.shared.take(g, user, now); err != errUnavailable {
			return done, err
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep(now)
	a := g.users[user]
	if a == nil {
		a = &account{starts: rate.NewLimiter(rate.Every(g.every), g.burst)}
		g.users[user] = a
	}
	if a.running >= g.parallel {
		return nil, &Refusal{Reason: ErrBusy, Wait: 5 * time.Second}
	}
	r := a.starts.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return nil, &Refusal{Reason: ErrRate, Wait: d.Round(time.Second) + time.Second}
	}
	a.running++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			a.running--
			g.mu.Unlock()
		})
	}, nil
}

// sweep forgets, now and then, the accounts with nothing running and a full
// bucket: they are as if never seen.
func (g *Gate) sweep(now time.Time) {
	if g.takes++; g.takes%1024 != 0 {
		return
	}
	for u, a := range g.users {
		if a.running == 0 && a.starts.TokensAt(now) >= float64(g.burst) {
			delete(g.users, u)
		}
	}
}
