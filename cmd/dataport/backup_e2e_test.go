package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"dataport/internal/store/storetest"
)

// checkpointLine is how backup and restore print the ledger's checkpoint.
var checkpointLine = regexp.MustCompile(`checkpoint of (\d+) entries, root ([A-Za-z0-9+/=]+)`)

// TestBackupRestoreRoundTrip seeds the demo city, backs it up while the
// server runs and API writes go on, refuses a damaged copy of the archive,
// restores it into an empty data dir (and an empty PostgreSQL schema of another name),
// and checks that the restored server serves the same catalog, rows and
// grants, that its ledger is the backed-up one and that `dataport ledger
// verify` passes on it.
func TestBackupRestoreRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city twice over")
	}
	run := func(t *testing.T, srcDB, dstDB string) {
		srcDir := t.TempDir()
		orig := startDemo(t, srcDir, srcDB)
		token := ledgerToken(t, srcDir, srcDB)
		stopWrites := writeTokens(t, orig.url, token)
		archive := filepath.Join(t.TempDir(), "dataport.tar.gz")
		out, code := dataportCLI(t, nil, withDB([]string{"backup", "--data", srcDir, "--out", archive}, srcDB)...)
		stopWrites()
		backedUp := checkpointLine.FindStringSubmatch(out)
		if code != 0 || backedUp == nil || backedUp[1] == "0" {
			t.Fatalf("backup exited %d without a ledger checkpoint:\n%s", code, out)
		}

		damaged := filepath.Join(t.TempDir(), "damaged.tar.gz")
		raw, err := os.ReadFile(archive)
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)/2] ^= 0x40
		if err := os.WriteFile(damaged, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		nowhere := filepath.Join(t.TempDir(), "restored")
		if out, code := dataportCLI(t, nil, withDB([]string{"restore", damaged, "--data", nowhere}, dstDB)...); code == 0 || !strings.Contains(out, "backup archive is corrupt") {
			t.Errorf("a damaged archive was not refused (exit %d):\n%s", code, out)
		}
		if _, err := os.Stat(nowhere); !os.IsNotExist(err) {
			t.Errorf("a refused restore created %s (%v)", nowhere, err)
		}

		dstDir := filepath.Join(t.TempDir(), "restored")
		out, code = dataportCLI(t, nil, withDB([]string{"restore", archive, "--data", dstDir}, dstDB)...)
		restored := checkpointLine.FindAllStringSubmatch(out, -1)
		if code != 0 || len(restored) != 2 || restored[1][0] != backedUp[0] {
			t.Fatalf("restore exited %d; want the backed-up %q verified:\n%s", code, backedUp[0], out)
		}
		if out, code := dataportCLI(t, nil, withDB([]string{"ledger", "verify", "--data", dstDir}, dstDB)...); code != 0 {
			t.Fatalf("ledger verify of the restored data dir exited %d:\n%s", code, out)
		}
		copyServer := start(t, withDB([]string{"serve", "--data", dstDir}, dstDB)...)
		compareServers(t, orig.url, copyServer.url, token)
		copyServer.stop(t)
		if out, code := dataportCLI(t, nil, withDB([]string{"ledger", "verify", "--data", dstDir}, dstDB)...); code != 0 {
			t.Fatalf("ledger verify after the restored server ran exited %d:\n%s", code, out)
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, "", "") })
	if dsn := os.Getenv(storetest.EnvPostgres); dsn != "" {
		t.Run("postgres", func(t *testing.T) { run(t, storetest.NewSchema(t, dsn), storetest.NewSchema(t, dsn)) })
	}
}

func withDB(args []string, db string) []string {
	if db == "" {
		return args
	}
	return append(args, "--db", db)
}

// startDemo runs `dataport demo` on dataDir (and db) and waits, longer than
// start does, for the seeded city to serve: seeding PostgreSQL on a busy
// machine takes minutes.
func startDemo(t *testing.T, dataDir, db string) *server {
	t.Helper()
	addr := freeAddr(t)
	s := &server{url: "http://" + addr, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	s.cmd = exec.Command(binary, withDB([]string{"demo", "--data", dataDir, "--addr", addr}, db)...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(t) })
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
	}
	t.Fatalf("the demo did not come up:\n%s", s.stderr)
	return nil
}

// writeTokens creates API tokens (each a write with its event) until the
// returned function is called, so the backup runs while events commit and
// the ledger seals them.
func writeTokens(t *testing.T, base, token string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/users/me/tokens", strings.NewReader(`{"name":"backup-load"}`))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// compareServers checks that the restored server (b) answers as the
// original (a) does: the published catalog, the rows of the first open
// resource with rows, and the grants.
func compareServers(t *testing.T, a, b, token string) {
	t.Helper()
	var list struct {
		Items []demoResource `json:"items"`
	}
	catalog := "/api/v1/resources?status=published&limit=200"
	_, _, want := apiGet(t, a+catalog, "")
	if _, _, got := apiGet(t, b+catalog, ""); got != want {
		t.Errorf("the restored catalog differs:\n%s\nwant:\n%s", excerpt(got), excerpt(want))
	}
	if err := json.Unmarshal([]byte(want), &list); err != nil || len(list.Items) == 0 {
		t.Fatalf("catalog: %v, %d resources", err, len(list.Items))
	}
	compared := false
	for _, r := range list.Items {
		rows := "/api/v1/resources/" + r.ID + "/rows?limit=100"
		status, _, want := apiGet(t, a+rows, "")
		if r.OpenType != "unconditional" || status != http.StatusOK || len(want) < 200 {
			continue
		}
		if _, _, got := apiGet(t, b+rows, ""); got != want {
			t.Errorf("rows of %s differ:\n%s\nwant:\n%s", r.Code, excerpt(got), excerpt(want))
		}
		compared = true
		break
	}
	if !compared {
		t.Error("no open resource with rows to compare")
	}
	status, _, want := apiGet(t, a+"/api/v1/grants?limit=200", token)
	if _, _, got := apiGet(t, b+"/api/v1/grants?limit=200", token); status != http.StatusOK || got != want || !strings.Contains(want, `"grantee_id"`) {
		t.Errorf("grants (status %d) differ or are missing:\n%s\nwant:\n%s", status, excerpt(got), excerpt(want))
	}
}
