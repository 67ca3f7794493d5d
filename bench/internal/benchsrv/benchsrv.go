// Package benchsrv starts the real dataport binary for the benchmark
// programs under bench/ and reads what the kernel says about it (peak and
// current resident set, CPU time).
package benchsrv

import (
	"bufio"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver FreshSchema uses

	"dataport/bench/internal/loadgen"
)

// Server is a running dataport process.
type Server struct {
	Cmd   *exec.Cmd
	URL   string
	Ready time.Duration // from start to the first /readyz answer
}

// Build compiles ./cmd/dataport into the temporary directory under name.
func Build(name string) (string, error) {
	binary := filepath.Join(os.TempDir(), name)
	build := exec.Command("go", "build", "-o", binary, "./cmd/dataport")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	return binary, nil
}

// Start runs binary with args plus --addr on a free loopback port and waits
// (up to ten minutes: demo seeding and index loading take a while) until
// /readyz answers 200.
func Start(binary string, args ...string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{URL: "http://" + addr}
	s.Cmd = exec.Command(binary, append(args, "--addr", addr)...)
	s.Cmd.Stderr = os.Stderr
	start := time.Now()
	if err := s.Cmd.Start(); err != nil {
		return nil, err
	}
	for time.Since(start) < 10*time.Minute {
		if resp, err := http.Get(s.URL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.Ready = time.Since(start)
				return s, nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("the server did not start")
}

// Stop sends SIGINT and waits up to 30 s before killing the process. It
// reports how long the shutdown took and whether it had to kill.
func (s *Server) Stop() (time.Duration, bool) {
	start := time.Now()
	s.Cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.Cmd.Wait(); close(done) }()
	select {
	case <-done:
		return time.Since(start), false
	case <-time.After(30 * time.Second):
		s.Cmd.Process.Kill()
		<-done
		return time.Since(start), true
	}
}

// PeakRSS is the server's high-water resident set, in KiB (VmHWM).
func (s *Server) PeakRSS() (int, error) { return s.status("VmHWM:") }

// RSS is the server's resident set now, in KiB (VmRSS).
func (s *Server) RSS() (int, error) { return s.status("VmRSS:") }

func (s *Server) status(key string) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.Cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no %s in /proc status", key)
}

// CPUSeconds is the CPU time the server has used (user + system).
func (s *Server) CPUSeconds() (float64, error) {
	path := fmt.Sprintf("/proc/%d/stat", s.Cmd.Process.Pid)
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	return loadgen.ProcessCPU(path), nil
}

// FreshSchema creates a new schema (named prefix + random) in the database at dsn and returns a DSN
// that uses it, and a function that drops it.
func FreshSchema(dsn, prefix string) (string, func(), error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	schema := prefix + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	drop := func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}
	u, err := url.Parse(dsn)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
