package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataport/internal/store"
)

// The crash tests kill the server with SIGKILL at seeded random moments
// (the seed is logged; DATAPORT_CRASH_SEED replays a run) while it loads
// uploads and approves share requests, and restart PostgreSQL under a
// running server; afterwards nothing acknowledged is lost, nothing
// half-done is visible and the ledger verifies. Kills during ledger appends
// alone are TestLedgerSealsEveryEventOnceAcrossSIGKILL's; the ledger is
// checked here too, after these kills.

// crashSeed returns the random seed of a crash test, logged so that a
// failure can be replayed with DATAPORT_CRASH_SEED.
func crashSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DATAPORT_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("DATAPORT_CRASH_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (replay with DATAPORT_CRASH_SEED=%d)", seed, seed)
	return seed
}

// crashDemo seeds the demo city into dataDir (and dbURL) with the origin
// ledgerServe uses, then stops it; seeding on a busy machine takes minutes.
func crashDemo(t *testing.T, dataDir, dbURL string) {
	t.Helper()
	addr := freeAddr(t)
	args := []string{"demo", "--data", dataDir, "--addr", addr, "--ledger-origin", "e2e.dataport.test/ledger", "--log-level", "warn"}
	if dbURL != "" {
		args = append(args, "--db", dbURL)
	}
	cmd := exec.Command(binary, args...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Signal(os.Interrupt)
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
	}
	t.Fatalf("the demo did not start within 5 minutes:\n%s", stderr)
}

// crashCall sends a JSON (or, for []byte, CSV) request with a bearer token
// and returns the status (0 when the server died) and the body. It is safe
// in goroutines: it never fails the test.
func crashCall(method, u, token string, body any) (int, []byte) {
	var payload io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		payload, contentType = bytes.NewReader(b), "text/csv"
	default:
		raw, _ := json.Marshal(b)
		payload = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, u, payload)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// crashUser returns an API token of a demo account and its first
// institution.
func crashUser(t *testing.T, p *ledgerProc, dataDir, dbURL, user string) (token, orgID string) {
	t.Helper()
	args := []string{"token", "create", "--user", user, "--data", dataDir}
	if dbURL != "" {
		args = append(args, "--db", dbURL)
	}
	out, code := dataportCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("token create --user %s: %s", user, out)
	}
	token = strings.TrimSpace(out)
	status, body := crashCall(http.MethodGet, p.url+"/api/v1/users/me", token, nil)
	var me struct {
		Memberships []struct {
			OrganizationID string `json:"organization_id"`
		}
	}
	if status != http.StatusOK || json.Unmarshal(body, &me) != nil || len(me.Memberships) == 0 {
		t.Fatalf("GET /users/me as %s: %d %s", user, status, body)
	}
	return token, me.Memberships[0].OrganizationID
}

// upload is one file sent to a resource; rows is unique among a resource's
// uploads, so a version's row count names the file it came from.
type upload struct {
	resource string
	rows     int64
	done     bool // the server answered 201
	cut      bool // the server died before it answered
}

// approval is one share request and whether its approval was answered 200.
type approval struct {
	id   string
	done bool // the server answered 200
	cut  bool // the server died before it answered
}

// TestCrashKillDuringLoadsAndApprovals kills the server with SIGKILL at
// random moments while institutions upload files into resources and a
// provider approves share requests. After a restart every load is either
// whole (a ready version whose table holds all its file's rows, and the
// current one among them) or not visible at all, every upload answered 201
// is there, every approval is whole (request granted with exactly one
// grant and one sealed event) or not made, retries then succeed, and the
// ledger holds every event exactly once and verifies.
func TestCrashKillDuringLoadsAndApprovals(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo and kills the server repeatedly")
	}
	ledgerStores(t, func(t *testing.T, dataDir, dbURL string) {
		seed := crashSeed(t)
		rng := rand.New(rand.NewPCG(seed, 18))
		crashDemo(t, dataDir, dbURL)
		db := ledgerStore(t, dataDir, dbURL)

		p := ledgerServe(t, dataDir, dbURL)
		editor, editorOrg := crashUser(t, p, dataDir, dbURL, "tjj.editor")
		res, providerCode := findResource(t, &server{url: p.url}, "share_type=conditional&classification=general", "TJJ")
		admin, _ := crashUser(t, p, dataDir, dbURL, providerCode+".admin")
		resources := crashResources(t, p, editor, editorOrg, 2) // the upload gate runs two at once
		// fileRequest files a share request for res as the editor's institution.
		fileRequest := func(base string) (string, int) {
			status, body := crashCall(http.MethodPost, base+"/api/v1/share-requests", editor, map[string]any{"resource_id": res.ID,
				"requester_org_id": editorOrg, "purpose": "交通与人口关联统计", "legal_basis": "《京华市统计条例》第十二条", "duration_days": 30})
			var r struct{ ID string }
			if status == http.StatusCreated && json.Unmarshal(body, &r) == nil {
				return r.ID, status
			}
			return "", status
		}
		var requests []*approval

		var uploads []*upload
		var mu sync.Mutex
		var uploadSeq atomic.Int64     // makes every file's row count unique
		var largeInFlight atomic.Int64 // large uploads sent and not yet answered
		for round := range 4 {
			if round > 0 {
				p = ledgerServe(t, dataDir, dbURL)
			}
			var dead atomic.Bool
			var wg sync.WaitGroup
			for i, id := range resources { // one uploader per resource, back to back
				wg.Add(1)
				go func() {
					defer wg.Done()
					urng := rand.New(rand.NewPCG(seed, uint64(10*round+i)))
					for !dead.Load() {
						// Small files load within a round, large ones are cut by the kill.
						u := &upload{resource: id, rows: []int64{500, 150000}[urng.IntN(2)] + uploadSeq.Add(1)}
						mu.Lock()
						uploads = append(uploads, u)
						mu.Unlock()
						large := u.rows > 1000
						if large {
							largeInFlight.Add(1)
						}
						status, _ := crashCall(http.MethodPost, p.url+"/api/v1/resources/"+id+"/data", editor, crashCSV(u.rows))
						if large {
							largeInFlight.Add(-1)
						}
						u.done, u.cut = status == http.StatusCreated, status == 0
						switch {
						case status == http.StatusTooManyRequests: // the upload gate: try again shortly
							time.Sleep(500 * time.Millisecond)
						case status != 0 && !u.done:
							t.Errorf("upload of %d rows: %d", u.rows, status)
							return
						}
					}
				}()
			}
			wg.Add(1)
			go func() { // requests are filed and approved by the provider one after another
				defer wg.Done()
				for !dead.Load() {
					id, status := fileRequest(p.url)
					if id == "" {
						if status != 0 {
							t.Errorf("share request: %d", status)
						}
						return
					}
					a := &approval{id: id}
					mu.Lock()
					requests = append(requests, a)
					mu.Unlock()
					status, body := crashCall(http.MethodPost, p.url+"/api/v1/share-requests/"+a.id+"/review", admin, map[string]string{"decision": "approve"})
					a.done, a.cut = status == http.StatusOK, status == 0
					if status != 0 && !a.done {
						t.Errorf("approve %s: %d %s", a.id, status, body)
					}
				}
			}()
			delay := time.Duration(300+rng.IntN(2500)) * time.Millisecond
			time.Sleep(delay)
			// On a fast machine a random moment may fall between uploads:
			// the kill waits (up to 10 s) for a large one to be under way.
			for wait := time.Now().Add(10 * time.Second); time.Now().Before(wait); time.Sleep(10 * time.Millisecond) {
				if largeInFlight.Load() > 0 {
					time.Sleep(time.Duration(50+rng.IntN(200)) * time.Millisecond)
					break
				}
			}
			dead.Store(true)
			p.cmd.Process.Kill()
			p.cmd.Wait()
			wg.Wait()
			t.Logf("round %d: SIGKILL after %s; %d of %d uploads and %d of %d approvals answered so far", round, delay,
				countDone(uploads), len(uploads), countApproved(requests), len(requests))
		}
		cutUploads, cutApprovals := 0, 0
		for _, u := range uploads {
			if u.cut {
				cutUploads++
			}
		}
		for _, a := range requests {
			if a.cut {
				cutApprovals++
			}
		}
		t.Logf("the kills cut %d uploads and %d approvals before their answer", cutUploads, cutApprovals)
		if cutUploads == 0 {
			t.Errorf("no kill landed during an upload: the test checked nothing about interrupted loads")
		}

		p = ledgerServe(t, dataDir, dbURL)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("the server after the kills said:\n%s", p.stderr)
			}
		})
		crashCheckLoads(t, db, uploads)
		crashCheckApprovals(t, db, p, editor, requests, false)
		for _, id := range resources { // an interrupted load is retried to done
			rows := 500 + uploadSeq.Add(1)
			// On PostgreSQL the upload gate counts a killed server's running
			// uploads until their leases expire (30 s): 429 until then.
			var status int
			var body []byte
			for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(time.Second) {
				status, body = crashCall(http.MethodPost, p.url+"/api/v1/resources/"+id+"/data", editor, crashCSV(rows))
				if status != http.StatusTooManyRequests || time.Now().After(deadline) {
					break
				}
			}
			if status != http.StatusCreated {
				t.Fatalf("upload after the kills: %d %s", status, body)
			}
			uploads = append(uploads, &upload{resource: id, rows: rows, done: true})
		}
		for _, a := range requests {
			if !a.done {
				status, body := crashCall(http.MethodPost, p.url+"/api/v1/share-requests/"+a.id+"/review", admin, map[string]string{"decision": "approve"})
				a.done = status == http.StatusOK || status == http.StatusConflict
				if !a.done {
					t.Errorf("approve %s after the kills: %d %s", a.id, status, body)
				}
			}
		}
		crashCheckLoads(t, db, uploads)
		crashCheckApprovals(t, db, p, editor, requests, true)
		crashCheckLedger(t, db, p, dataDir, dbURL)
	})
}

func countDone(uploads []*upload) (n int) {
	for _, u := range uploads {
		if u.done {
			n++
		}
	}
	return n
}

func countApproved(requests []*approval) (n int) {
	for _, a := range requests {
		if a.done {
			n++
		}
	}
	return n
}

// crashResources creates n draft resources of the editor's institution
// (a station and a count per row) to upload into.
func crashResources(t *testing.T, p *ledgerProc, token, orgID string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		status, body := crashCall(http.MethodPost, p.url+"/api/v1/resources", token, map[string]any{"organization_id": orgID,
			"title_zh": fmt.Sprintf("崩溃测试站点客流 %d", i), "description_zh": "崩溃测试用的站点客流数据。", "subject": "04", "industry": "G",
			"keywords": []string{"崩溃测试"}, "formats": []string{"CSV"}, "update_frequency": "daily", "share_type": "unconditional",
			"open_type": "unconditional", "classification": "general", "level": 1, "items": []map[string]any{
				{"name": "station", "label_zh": "站点", "type": "text", "key": true, "required": true},
				{"name": "riders", "label_zh": "客流量", "type": "integer"}}})
		var r struct{ ID string }
		if status != http.StatusCreated || json.Unmarshal(body, &r) != nil {
			t.Fatalf("create resource: %d %s", status, body)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// crashCSV is a file of n rows.
func crashCSV(n int64) []byte {
	var b bytes.Buffer
	b.WriteString("station,riders\n")
	for i := range n {
		fmt.Fprintf(&b, "S%d,%d\n", i, i%9973)
	}
	return b.Bytes()
}

// crashCheckLoads checks that every version of the uploads' resources that
// is not pruned holds in its table exactly the rows of one uploaded file,
// that the current version is one of them with its table's count, and that
// every upload answered 201 has its version.
func crashCheckLoads(t *testing.T, db *store.DB, uploads []*upload) {
	t.Helper()
	ctx := context.Background()
	sent := map[string]map[int64]bool{} // resource → uploaded row counts
	for _, u := range uploads {
		if sent[u.resource] == nil {
			sent[u.resource] = map[int64]bool{}
		}
		sent[u.resource][u.rows] = true
	}
	versions := map[string]map[int64]bool{} // resource → row counts of its versions
	for resource, files := range sent {
		versions[resource] = map[int64]bool{}
		rows, err := db.QueryContext(ctx, `SELECT version, status, table_name, row_count FROM datastore_versions WHERE resource_id = $1`, resource)
		if err != nil {
			t.Fatal(err)
		}
		type version struct {
			n             int
			status, table string
			rows          int64
		}
		var vs []version
		for rows.Next() {
			var v version
			if err := rows.Scan(&v.n, &v.status, &v.table, &v.rows); err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		rows.Close()
		for _, v := range vs {
			versions[resource][v.rows] = true
			if !files[v.rows] {
				t.Errorf("resource %s version %d has %d rows, the size of no uploaded file", resource, v.n, v.rows)
			}
			if v.status == "pruned" {
				continue
			}
			var n int64
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM "`+v.table+`"`).Scan(&n); err != nil || n != v.rows {
				t.Errorf("resource %s version %d (%s): table holds %d rows (%v), the version says %d", resource, v.n, v.status, n, err, v.rows)
			}
		}
		var current int
		var table string
		var count int64
		err = db.QueryRowContext(ctx, `SELECT version, table_name, row_count FROM datastore_current WHERE resource_id = $1`, resource).Scan(&current, &table, &count)
		if err == nil {
			var n int64
			db.QueryRowContext(ctx, `SELECT count(*) FROM "`+table+`"`).Scan(&n)
			if n != count || !files[count] {
				t.Errorf("resource %s: current version %d's table holds %d rows, current says %d", resource, current, n, count)
			}
		}
	}
	for _, u := range uploads {
		if u.done && !versions[u.resource][u.rows] {
			t.Errorf("the upload of %d rows into %s was answered 201 but has no version", u.rows, u.resource)
		}
	}
}

// crashCheckApprovals checks that each share request is either granted,
// with exactly one grant and one share_request.granted event, or still
// waits with neither; that every approval answered 200 is granted; and, when
// all is set, that every request is granted.
func crashCheckApprovals(t *testing.T, db *store.DB, p *ledgerProc, token string, requests []*approval, all bool) {
	t.Helper()
	ctx := context.Background()
	for _, a := range requests {
		status, body := crashCall(http.MethodGet, p.url+"/api/v1/share-requests/"+a.id, token, nil)
		var r struct {
			Status  string
			GrantID string `json:"grant_id"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &r) != nil {
			t.Fatalf("GET share request %s: %d %s", a.id, status, body)
		}
		var grants, events int
		db.QueryRowContext(ctx, `SELECT count(*) FROM grants WHERE origin_kind = 'share_request' AND origin_id = $1`, a.id).Scan(&grants)
		db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE type = 'share_request.granted' AND subject_id = $1`, a.id).Scan(&events)
		switch {
		case r.Status == "granted" && (grants != 1 || events != 1 || r.GrantID == ""):
			t.Errorf("request %s granted with %d grants, %d granted events, grant id %q", a.id, grants, events, r.GrantID)
		case r.Status == "provider_review" && (grants != 0 || events != 0):
			t.Errorf("request %s waits for review yet has %d grants and %d granted events", a.id, grants, events)
		case r.Status != "granted" && r.Status != "provider_review":
			t.Errorf("request %s is %s", a.id, r.Status)
		case r.Status != "granted" && (a.done || all):
			t.Errorf("request %s: approval answered, yet it is %s", a.id, r.Status)
		}
	}
}

// crashCheckLedger waits until every event is sealed, checks that the log
// holds each exactly once at the index its row records, stops the server
// and runs `dataport ledger verify` on the data dir and database.
func crashCheckLedger(t *testing.T, db *store.DB, p *ledgerProc, dataDir, dbURL string) {
	t.Helper()
	ctx := context.Background()
	var total int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	size := ledgerWaitCheckpoint(t, db, p.url, total)
	ids := ledgerEntryIDs(t, p.url, size)
	at := make(map[string]int64, len(ids))
	for i, id := range ids {
		if _, twice := at[id]; twice {
			t.Errorf("event %s is in the log twice", id)
		}
		at[id] = int64(i)
	}
	var wrong int64
	db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE ledger_index IS NULL OR ledger_index >= $1`, size).Scan(&wrong)
	if wrong != 0 || int64(len(at)) != total {
		t.Errorf("%d events, %d distinct in a log of %d; %d rows without an index in it", total, len(at), size, wrong)
	}
	p.stop(t)
	if out, code := dataportCLI(t, nil, append([]string{"ledger", "verify"}, storeFlags(dataDir, dbURL)...)...); code != 0 {
		t.Errorf("ledger verify after the kills: exit %d\n%s", code, out)
	}
	t.Logf("%d events sealed exactly once", total)
}

// privatePostgres is a PostgreSQL 15 cluster of the test's own, which it may
// restart without disturbing the shared server other tests use.
type privatePostgres struct {
	dir, port string
}

const pgBin = "/usr/lib/postgresql/15/bin"

// startPrivatePostgres initialises and starts a cluster as user postgres, or
// skips the test when that cannot be done here.
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run PostgreSQL's initdb and pg_ctl as user postgres")
	}
	if _, err := os.Stat(filepath.Join(pgBin, "pg_ctl")); err != nil {
		t.Skipf("no PostgreSQL 15 binaries: %v", err)
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		t.Skip("no runuser to act as user postgres")
	}
	dir, err := os.MkdirTemp("", "dataport-pg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
		t.Skipf("no user postgres: %v %s", err, out)
	}
	addr := freeAddr(t)
	pg := &privatePostgres{dir: dir, port: addr[strings.LastIndex(addr, ":")+1:]}
	pg.ctl(t, "initdb", "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync")
	pg.ctl(t, "pg_ctl", "start", "-w", "-D", filepath.Join(dir, "data"), "-l", filepath.Join(dir, "log"),
		"-o", "-p "+pg.port+" -k "+dir+" -c listen_addresses=127.0.0.1 -c fsync=off")
	t.Cleanup(func() {
		exec.Command("runuser", "-u", "postgres", "--", filepath.Join(pgBin, "pg_ctl"), "stop", "-m", "immediate", "-D", filepath.Join(dir, "data")).Run()
	})
	return pg
}

// ctl runs a PostgreSQL program as user postgres.
func (pg *privatePostgres) ctl(t *testing.T, program string, args ...string) {
	t.Helper()
	out, err := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(pgBin, program)}, args...)...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.dir, "log"))
		t.Fatalf("%s %v: %v\n%s\n%s", program, args, err, out, log)
	}
}

func (pg *privatePostgres) url() string {
	return "postgres://postgres@127.0.0.1:" + pg.port + "/postgres?sslmode=disable"
}

// TestCrashPostgresRestart runs the server on a private PostgreSQL cluster
// under a stream of writes and restarts the cluster twice (fast, then
// immediate: a crash and recovery): each time the server is ready again,
// writes succeed, every write answered 201 is kept, and the ledger holds
// every event once and verifies.
func TestCrashPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs and restarts a PostgreSQL cluster")
	}
	pg := startPrivatePostgres(t)
	dataDir := t.TempDir()
	token := ledgerToken(t, dataDir, pg.url())
	p := ledgerServe(t, dataDir, pg.url())
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dataDir, URL: pg.url()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var mu sync.Mutex
	kept := map[string]bool{} // token names answered 201
	var failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("pg-restart-%d-%d", w, i)
				if status, _ := crashCall(http.MethodPost, p.url+"/api/v1/users/me/tokens", token, map[string]string{"name": name}); status == http.StatusCreated {
					mu.Lock()
					kept[name] = true
					mu.Unlock()
				} else {
					failed.Add(1)
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	for _, mode := range []string{"fast", "immediate"} {
		time.Sleep(2 * time.Second)
		start := time.Now()
		pg.ctl(t, "pg_ctl", "restart", "-w", "-m", mode, "-D", filepath.Join(pg.dir, "data"), "-l", filepath.Join(pg.dir, "log"),
			"-o", "-p "+pg.port+" -k "+pg.dir+" -c listen_addresses=127.0.0.1 -c fsync=off")
		back := time.Since(start)
		if !eventually(60*time.Second, func() bool { return httpStatus(p.url+"/readyz") == http.StatusOK }) {
			t.Fatalf("readyz not 200 within 60 s of a %s restart:\n%s", mode, p.stderr)
		}
		before := len(keptCopy(&mu, kept))
		if !eventually(30*time.Second, func() bool { return len(keptCopy(&mu, kept)) > before }) {
			t.Fatalf("no write succeeded within 30 s of a %s restart:\n%s", mode, p.stderr)
		}
		t.Logf("%s restart took %s; ready and writing again %s after it began; %d writes refused so far", mode, back.Round(time.Millisecond),
			time.Since(start).Round(time.Millisecond), failed.Load())
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	status, body := crashCall(http.MethodGet, p.url+"/api/v1/users/me/tokens", token, nil)
	var list struct{ Items []struct{ Name string } }
	if status != http.StatusOK || json.Unmarshal(body, &list) != nil {
		t.Fatalf("list tokens: %d %s", status, body)
	}
	have := map[string]bool{}
	for _, tk := range list.Items {
		have[tk.Name] = true
	}
	for name := range kept {
		if !have[name] {
			t.Errorf("token %s was answered 201 but is gone after the restarts", name)
		}
	}
	t.Logf("%d writes kept across a fast and an immediate restart, %d refused while the database was down", len(kept), failed.Load())
	crashCheckLedger(t, db, p, dataDir, pg.url())
}

func keptCopy(mu *sync.Mutex, m map[string]bool) map[string]bool {
	mu.Lock()
	defer mu.Unlock()
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func httpStatus(u string) int {
	resp, err := http.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
