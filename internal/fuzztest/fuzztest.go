// Package fuzztest holds what the fuzz targets of the parsers of outside
// input share.
package fuzztest

import (
	"testing"
	"time"
)

// Hang is how long a parser may take on one input before a fuzz target
// counts it as hanging: far beyond any input the targets generate.
const Hang = 3 * time.Second

// Within runs fn and fails the test when it has not returned within Hang:
// a parser of outside input must never loop, whatever it is given.
func Within(t testing.TB, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	timer := time.NewTimer(Hang)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("%s has not returned after %v", what, Hang)
	}
}
