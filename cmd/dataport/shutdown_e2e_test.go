package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShutdownEndsStuckRequests: SIGTERM stops the server cleanly and in
// time even with a request stuck in its handler (here reading a body its
// client never finishes sending): after the grace period the request's
// context ends, the handler stops, and the process exits 0.
func TestShutdownEndsStuckRequests(t *testing.T) {
	s := start(t, "serve", "--data", t.TempDir())
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/3/action/package_search HTTP/1.1\r\nHost: portal.test\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"q\": ")
	time.Sleep(500 * time.Millisecond) // the handler is now reading the body
	s.stopped = true
	began := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dataport exited with %v after SIGTERM with a stuck request:\n%s", err, s.stderr)
		}
		t.Logf("stopped %v after SIGTERM", time.Since(began).Round(100*time.Millisecond))
	case <-time.After(25 * time.Second):
		s.cmd.Process.Signal(os.Kill)
		t.Fatalf("dataport did not stop within 25 s of SIGTERM")
	}
}
