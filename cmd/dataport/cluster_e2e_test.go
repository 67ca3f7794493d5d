package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// replica is one `dataport serve` (or the first, `demo`) of a cluster
// sharing one PostgreSQL schema and one data dir, with its own node name
// and search index.
type replica struct {
	node string
	args []string // everything but --addr
	*server
}

// startReplica starts command (serve or demo) as node on the shared store.
func startReplica(t *testing.T, node, command string, shared []string) *replica {
	t.Helper()
	args := append([]string{command, "--node", node, "--search-dir", t.TempDir()}, shared...)
	return &replica{node: node, args: args, server: startWithin(t, 5*time.Minute, args...)}
}

// kill ends the replica with SIGKILL: no shutdown, its lease and locks left
// to lapse.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	r.cmd.Process.Kill()
	r.cmd.Wait()
	r.stopped = true
}

// restart starts the replica again as the same node (serve, whatever it was
// started as first), at a new address.
func (r *replica) restart(t *testing.T) {
	t.Helper()
	args := append([]string{"serve"}, r.args[1:]...)
	r.server = startWithin(t, 2*time.Minute, args...)
}

// metric reads one unlabelled sample from the replica's /metrics (-1 when
// absent).
func (r *replica) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(buf.String())
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestReplicasShareOneDatabase runs three replicas on one PostgreSQL schema
// and one data dir (issue 18): a session and its CSRF token work on every
// replica; a resource published through one is in every replica's search
// within 2 s; the ledger's sequencer moves to another replica within 10 s
// of its holder's SIGKILL; a load whose replica is killed mid-way is run
// again by another and is never half-visible; an anonymous rate limit holds
// for the cluster, not per replica, and so does a monitoring threshold;
// and after it all `dataport ledger verify` passes, with every event sealed
// exactly once.
func TestReplicasShareOneDatabase(t *testing.T) {
	dsn := os.Getenv(storetest.EnvPostgres)
	if dsn == "" {
		t.Skip("replicas share a PostgreSQL database: set " + storetest.EnvPostgres)
	}
	if testing.Short() {
		t.Skip("starts, kills and restarts three servers")
	}
	dbURL := storetest.NewSchema(t, dsn)
	dataDir := t.TempDir()
	const anonRate = 30
	shared := []string{"--data", dataDir, "--db", dbURL, "--anon-rate", strconv.Itoa(anonRate)}
	r1 := startReplica(t, "r1", "demo", shared) // seeds the demo city first
	replicas := []*replica{r1, startReplica(t, "r2", "serve", shared), startReplica(t, "r3", "serve", shared)}
	accounts := r1.accounts(t)

	// One session, one CSRF token, three replicas: the editor signs in on
	// r1, creates on r1 with a form from r1, submits on r2 with a token
	// read on r1; the operator approves on r3. Cookies name the host, not
	// the port, so one jar serves every replica.
	editorName, editorPassword := accountWithSuffix(t, accounts, ".editor")
	editor := newBrowser(t, r1.url)
	editor.login(editorName, editorPassword)
	onR2 := &browser{t: t, base: replicas[1].url, c: editor.c}
	title := "多副本测试公交客流 " + time.Now().Format("150405")
	id := createResource(t, editor, mustGet(t, editor, "/my"), title)
	page := "/resources/" + id
	if status, _, body := onR2.post(page+"/submit", url.Values{"csrf_token": {editor.csrf(page)}}); status != http.StatusSeeOther {
		t.Fatalf("submit on r2 with r1's session and token: %d\n%s", status, excerpt(body))
	}
	operator := newBrowser(t, replicas[2].url)
	operator.login("operator", accounts["operator"])
	review := url.Values{"csrf_token": {operator.csrf(page)}, "decision": {"approve"}, "comment": {"符合目录规范"}}
	if status, _, body := operator.post(page+"/review", review); status != http.StatusSeeOther {
		t.Fatalf("review on r3: %d\n%s", status, excerpt(body))
	}
	published := time.Now()

	// Every replica's own index has it within 2 s of the approval.
	code := regexp.MustCompile(`[A-Z0-9]+-04-\d{5}`).FindString(mustGet(t, editor, page))
	link := `href="/dataset/` + strings.ToLower(code) + `"`
	for _, r := range replicas {
		public := newBrowser(t, r.url)
		found := eventually(30*time.Second, func() bool {
			_, body := public.get("/catalog?q=" + url.QueryEscape(title))
			return strings.Contains(body, link)
		})
		took := time.Since(published)
		t.Logf("published on r3, in %s's search after %v", r.node, took.Round(time.Millisecond))
		if !found || took > 2*time.Second {
			t.Errorf("%s: the resource published on r3 was searchable after %v (found %v), want within 2s", r.node, took, found)
		}
	}

	// The sequencer fails over within 10 s of its holder's SIGKILL, and
	// what the survivors write is sealed.
	leader := sequencer(t, replicas)
	leader.kill(t)
	killed := time.Now()
	var next *replica
	for next == nil && time.Since(killed) < 30*time.Second {
		for _, r := range replicas {
			if r != leader && r.metric(t, "dataport_ledger_sequencing") == 1 {
				next = r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(killed)
	t.Logf("sequencer %s killed; %s took over after %v", leader.node, nodeName(next), took.Round(time.Millisecond))
	if next == nil || took > 10*time.Second {
		t.Fatalf("no replica took the sequencer over within 10s of %s's death (%v)", leader.node, took)
	}
	survivor := &browser{t: t, base: next.url, c: editor.c}
	second := createResource(t, survivor, mustGet(t, survivor, "/my"), title+" 二")
	if !eventually(30*time.Second, func() bool { return next.metric(t, "dataport_ledger_unsealed_events") == 0 }) {
		t.Errorf("events written after the failover were not sealed within 30s (unsealed %v)", next.metric(t, "dataport_ledger_unsealed_events"))
	}
	leader.restart(t) // as the same node: it waits for its old lease to lapse

	// A load whose replica dies mid-way is run again by another.
	token := survivor.apiToken("cluster-e2e")
	const rows = 1_500_000
	loader := replicas[0]
	if loader == next {
		loader = replicas[1]
	}
	onLoader := &browser{t: t, base: loader.url, c: editor.c}
	loadID := uploadThroughUI(t, onLoader, second, "ridership.csv", ridershipCSV(rows))
	others := func() []*replica {
		var out []*replica
		for _, r := range replicas {
			if r != loader {
				out = append(out, r)
			}
		}
		return out
	}()
	if !eventually(2*time.Minute, func() bool {
		st := loadStatus(t, others[0], loadID, token)
		return st.State == "loading" && st.Rows > 0 || st.State == "done"
	}) {
		t.Fatalf("the load never started: %+v", loadStatus(t, others[0], loadID, token))
	}
	if st := loadStatus(t, others[0], loadID, token); st.State == "done" {
		t.Fatalf("the load of %d rows finished before its replica could be killed; make it larger", rows)
	}
	loader.kill(t)
	t.Logf("%s killed while loading %s", loader.node, loadID)
	// Until it is done, no replica shows a version of the resource, and
	// then each shows one with every row: never a part.
	var st loadState
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		for _, r := range others {
			for _, v := range versions(t, r, second, token) {
				if v.Rows != rows {
					t.Fatalf("%s shows version %d with %d rows while the load runs, want none or %d", r.node, v.Version, v.Rows, rows)
				}
			}
		}
		if st = loadStatus(t, others[1], loadID, token); st.State == "done" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st.State != "done" || st.Rows != rows {
		t.Fatalf("load after its replica's death: %+v, want done with %d rows", st, rows)
	}
	for _, r := range others {
		if vs := versions(t, r, second, token); len(vs) != 1 || vs[0].Rows != rows || !vs[0].Current {
			t.Errorf("%s: versions after the load %+v, want one current version of %d rows", r.node, vs, rows)
		}
	}
	loader.restart(t)

	// An anonymous address gets its limit once across the cluster, not
	// once per replica.
	open := openWithData(t, r1, token)
	allowed, refusedOn := 0, map[string]bool{}
	for i := 0; i < 3*anonRate && len(refusedOn) < len(replicas); i++ {
		r := replicas[i%len(replicas)]
		status, _, body := apiGet(t, r.url+"/api/v1/resources/"+open+"/rows?limit=1", "")
		switch status {
		case http.StatusOK:
			if len(refusedOn) > 0 {
				t.Errorf("%s served read %d after another replica refused (limit %d/min)", r.node, i+1, anonRate)
			}
			allowed++
		case http.StatusTooManyRequests:
			refusedOn[r.node] = true
		default:
			t.Fatalf("anonymous read on %s: %d %s", r.node, status, excerpt(body))
		}
	}
	t.Logf("anonymous reads allowed across 3 replicas: %d (limit %d a minute)", allowed, anonRate)
	// A read takes a token; the bucket refills one every 2 s while they run.
	if allowed < anonRate-2 || allowed > anonRate+2 || len(refusedOn) != len(replicas) {
		t.Errorf("%d anonymous reads allowed across the replicas, refused on %v; want about %d in all and then refusals on every replica",
			allowed, refusedOn, anonRate)
	}

	// Failed sign-ins spread over the replicas count toward one monitoring
	// threshold: 10 accounts tried from one address, a few through each
	// replica (none of which sees 10), raise the one credential-stuffing
	// alert, resting on all 10 attempts.
	officer := newBrowser(t, replicas[1].url)
	officer.login("security", accounts["security"])
	securityToken := officer.apiToken("cluster-e2e-security")
	stuffing := func() map[string]int { // alert id → attempts it rests on
		t.Helper()
		status, _, body := apiGet(t, replicas[0].url+"/api/v1/monitor/alerts?rule=credential_stuffing", securityToken)
		var page struct {
			Items []struct {
				ID       string   `json:"id"`
				Evidence []string `json:"evidence"`
			} `json:"items"`
		}
		if status != http.StatusOK || json.Unmarshal([]byte(body), &page) != nil {
			t.Fatalf("alerts: %d %s", status, excerpt(body))
		}
		out := map[string]int{}
		for _, a := range page.Items {
			out[a.ID] = len(a.Evidence)
		}
		return out
	}
	before := stuffing()
	for i := range 10 {
		b := newBrowser(t, replicas[i%len(replicas)].url)
		form := url.Values{"csrf_token": {b.csrf("/login")}, "username": {fmt.Sprintf("cluster-no-such-user-%d", i)}, "password": {"not-the-password"}}
		if status, _, _ := b.post("/login", form); status == http.StatusSeeOther {
			t.Fatalf("signed in as a user that does not exist")
		}
	}
	var raised map[string]int
	eventually(10*time.Second, func() bool {
		raised = stuffing()
		for id := range before {
			delete(raised, id)
		}
		return len(raised) == 1
	})
	for _, attempts := range raised {
		if len(raised) != 1 || attempts != 10 {
			t.Errorf("credential stuffing spread over the replicas raised %v (alert → attempts), want one alert on 10 attempts", raised)
		}
	}
	if len(raised) == 0 {
		t.Errorf("credential stuffing spread over the replicas raised no alert")
	}

	// Every event once in a log that verifies: with the cluster quiet and
	// every event sealed, each has its own log index; then, the replicas
	// stopped (the events of their shutdown wait for the next sequencer),
	// the log verifies against the rows.
	lead := sequencer(t, replicas)
	if !eventually(30*time.Second, func() bool { return lead.metric(t, "dataport_ledger_unsealed_events") == 0 }) {
		t.Errorf("events still unsealed after 30s: %v", lead.metric(t, "dataport_ledger_unsealed_events"))
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var events, indexed, distinct, top int64
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(ledger_index), count(DISTINCT ledger_index), COALESCE(max(ledger_index), -1)
		FROM events WHERE seq <= (SELECT max(seq) FROM events WHERE ledger_index IS NOT NULL)`).Scan(&events, &indexed, &distinct, &top); err != nil {
		t.Fatal(err)
	}
	if events == 0 || events != indexed || indexed != distinct || top != events-1 {
		t.Errorf("events %d, sealed %d, distinct log indices %d, highest index %d: want every event sealed exactly once", events, indexed, distinct, top)
	}
	for _, r := range replicas {
		if r != lead {
			r.stop(t)
		}
	}
	lead.stop(t)
	if out, code := dataportCLI(t, nil, "ledger", "verify", "--data", dataDir, "--db", dbURL); code != 0 {
		t.Errorf("ledger verify after the replicas' deaths: exit %d\n%s", code, out)
	} else if !strings.Contains(out, "OK: the log verifies") {
		t.Errorf("ledger verify:\n%s", out)
	}
}

// sequencer returns the replica that holds the ledger's sequencer lock,
// waiting for one to.
func sequencer(t *testing.T, replicas []*replica) *replica {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, r := range replicas {
			if r.metric(t, "dataport_ledger_sequencing") == 1 {
				return r
			}
		}
	}
	t.Fatal("no replica holds the sequencer lock")
	return nil
}

// openWithData returns the id of a published, unconditionally open
// resource with data.
func openWithData(t *testing.T, r *replica, token string) string {
	t.Helper()
	var list struct {
		Items []struct{ ID string } `json:"items"`
	}
	getJSON(t, r.url+"/api/v1/resources?status=published&open_type=unconditional&limit=50", &list)
	for _, res := range list.Items {
		if len(versions(t, r, res.ID, token)) > 0 {
			return res.ID
		}
	}
	t.Fatal("no published open resource with data")
	return ""
}

func nodeName(r *replica) string {
	if r == nil {
		return "none"
	}
	return r.node
}

// ridershipCSV is n rows of the test resource's items.
func ridershipCSV(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 16)
	b.WriteString("line_no,riders\n")
	for i := range n {
		fmt.Fprintf(&b, "L%07d,%d\n", i, i%5000)
	}
	return b.Bytes()
}

// uploadThroughUI sends a file through the resource's upload form, as a
// browser does, and returns the id of the load it queued.
func uploadThroughUI(t *testing.T, b *browser, resourceID, name string, content []byte) string {
	t.Helper()
	page := "/resources/" + resourceID + "/data"
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf_token", b.csrf(page))
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+"/resources/"+resourceID+"/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.base)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/loads/") {
		t.Fatalf("upload %s: status %d location %q", name, resp.StatusCode, loc)
	}
	return strings.TrimPrefix(loc, "/loads/")
}

type loadState struct {
	State   string `json:"state"`
	Rows    int64  `json:"rows"`
	Message string `json:"message"`
}

func loadStatus(t *testing.T, r *replica, loadID, token string) loadState {
	t.Helper()
	status, _, body := apiGet(t, r.url+"/api/v1/loads/"+loadID, token)
	var st loadState
	if status != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("load %s on %s: %d %s", loadID, r.node, status, excerpt(body))
	}
	return st
}

type versionRow struct {
	Version int   `json:"version"`
	Rows    int64 `json:"rows"`
	Current bool  `json:"current"`
}

func versions(t *testing.T, r *replica, resourceID, token string) []versionRow {
	t.Helper()
	status, _, body := apiGet(t, r.url+"/api/v1/resources/"+resourceID+"/versions", token)
	var out struct {
		Items []versionRow `json:"items"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil {
		t.Fatalf("versions of %s on %s: %d %s", resourceID, r.node, status, excerpt(body))
	}
	return out.Items
}
