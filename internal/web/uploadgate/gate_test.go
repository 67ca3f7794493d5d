package uploadgate

import (
	"errors"
	"testing"
	"time"

	"dataport/internal/access"
)

func wait(err error) time.Duration {
	var r *Refusal
	if errors.As(err, &r) {
		return r.RetryAfter()
	}
	return 0
}

func TestParallelAndRate(t *testing.T) {
	g := NewWith(2, 6, 3) // one start every 10 s, three together
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	d1, err := g.Take("editor", now)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := g.Take("editor", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Take("editor", now); !errors.Is(err, ErrBusy) || !errors.Is(err, access.ErrRateLimited) || wait(err) <= 0 {
		t.Fatalf("third at once: %v", err)
	}
	if _, err := g.Take("other", now); err != nil {
		t.Errorf("another account waits for this one's uploads: %v", err)
	}
	d1()
	d1() // ending twice ends once
	d3, err := g.Take("editor", now)
	if err != nil {
		t.Fatalf("after one ended: %v", err)
	}
	d2()
	d3()
	// The burst of three is spent: the next start waits about 10 s.
	_, err = g.Take("editor", now)
	if !errors.Is(err, ErrRate) || !errors.Is(err, access.ErrRateLimited) || wait(err) < 9*time.Second || wait(err) > 12*time.Second {
		t.Fatalf("fourth start within the burst: %v, wait %v", err, wait(err))
	}
	// A refused start costs nothing: 10 s later one may start.
	done, err := g.Take("editor", now.Add(10*time.Second))
	if err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	done()
}

func TestSweepForgetsIdleAccounts(t *testing.T) {
	g := NewWith(2, 60, 1)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range 2048 {
		done, err := g.Take(string(rune('a'+i%26))+time.Duration(i).String(), now.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		done()
	}
	if n := len(g.users); n > 1100 {
		t.Errorf("%d accounts kept after a sweep", n)
	}
}
