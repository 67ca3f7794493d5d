// Command soak runs the real dataport binary (the demo city, on PostgreSQL
// with -db or SQLite without) under a realistic mix of work from concurrent
// clients on loopback for a bounded time, and reports the error rate and
// latency by kind of request and whether memory stays flat (issue 18).
//
// Each client loops over a weighted mix:
//
//   - anonymous reads: CKAN package_search, dataset pages, open row reads
//     through the native API and CKAN datastore_search, ledger receipts;
//   - an institution editor's draft (create, update, upload a CSV — a load
//     — submit) that the platform operator approves, which publishes it;
//   - a share request from one institution for another's conditionally
//     shared resource, approved by the provider's admin (a grant).
//
// Every 10 s it samples the server's resident set (/proc) and its
// goroutines (/metrics go_goroutines), and prints the first and last
// minute's means and the peak. Figures go in docs/benchmarks.md ("## Soak").
//
//	go run ./bench/soak -db "$DATAPORT_TEST_POSTGRES" -duration 30m
//	go run ./bench/soak -duration 10m          # SQLite
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dataport/bench/internal/benchsrv"
	"dataport/bench/internal/loadgen"
)

func main() {
	duration := flag.Duration("duration", 30*time.Minute, "length of the soak")
	clients := flag.Int("clients", 16, "concurrent clients")
	think := flag.Duration("think", 50*time.Millisecond, "pause of each client between two steps (0: back to back)")
	dbURL := flag.String("db", "", "PostgreSQL URL: the soak runs in a fresh schema there, dropped after (default: SQLite in the data dir)")
	binary := flag.String("binary", "", "dataport binary (default: go build ./cmd/dataport)")
	flag.Parse()
	if err := run(*duration, *clients, *think, *dbURL, *binary); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// soak is one run: the server, its accounts' tokens and the shared state
// the clients draw on.
type soak struct {
	srv      *benchsrv.Server
	rec      *loadgen.Recorder
	reader   *loadgen.Reader
	c        *http.Client
	operator string
	editors  []institution // institutions whose editor and admin have tokens
	shared   []shareable   // conditionally shared resources of those institutions
	think    time.Duration
	events   atomic.Value // []string: ids of sealed events, for receipts
	drafts   atomic.Int64
}

type institution struct{ id, code, editor, admin string }

type shareable struct {
	id       string
	provider int // index in editors
}

func run(duration time.Duration, clients int, think time.Duration, dbURL, binary string) error {
	dataDir, err := os.MkdirTemp("", "soak")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	store := []string{"--data", dataDir}
	if dbURL != "" {
		dsn, drop, err := benchsrv.FreshSchema(dbURL, "soak_")
		if err != nil {
			return err
		}
		defer drop()
		store = append(store, "--db", dsn)
	}
	if binary == "" {
		if binary, err = benchsrv.Build("dataport-soak"); err != nil {
			return err
		}
	}
	// One loopback address for every client: the per-address anonymous
	// read limit is raised, as bench/attack does.
	srv, err := benchsrv.Start(binary, append([]string{"demo", "--anon-rate", "1000000", "--log-level", "warn"}, store...)...)
	if err != nil {
		return err
	}
	defer srv.Stop()
	s := &soak{srv: srv, rec: loadgen.NewRecorder(), think: think,
		c: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4 * clients}}}
	if err := s.prepare(binary, store); err != nil {
		return err
	}
	fmt.Printf("demo up in %.1fs; %d open resources with rows, %d institutions, %d conditionally shared resources; load average %s\n",
		srv.Ready.Seconds(), len(s.reader.Open), len(s.editors), len(s.shared), loadgen.LoadAverage())
	return s.soak(duration, clients)
}

// prepare creates API tokens for the operator and the institutions' editors
// and admins (with the CLI, as an operator would), and lists what the
// clients will read and request.
func (s *soak) prepare(binary string, store []string) error {
	token := func(user string) (string, error) {
		out, err := exec.Command(binary, append([]string{"token", "create", "--user", user, "--name", "soak"}, store...)...).Output()
		return strings.TrimSpace(string(out)), err
	}
	var err error
	if s.operator, err = token("operator"); err != nil {
		return fmt.Errorf("operator token: %w", err)
	}
	var orgs struct {
		Items []struct{ ID, Kind, Code string }
	}
	if err := loadgen.GetJSON(s.c, s.srv.URL+"/api/v1/organizations?limit=200", &orgs); err != nil {
		return err
	}
	for _, o := range orgs.Items {
		if o.Kind != "institution" {
			continue
		}
		code := strings.ToLower(o.Code)
		editor, err1 := token(code + ".editor")
		admin, err2 := token(code + ".admin")
		if err1 == nil && err2 == nil { // institutions with demo accounts
			s.editors = append(s.editors, institution{id: o.ID, code: code, editor: editor, admin: admin})
		}
	}
	if len(s.editors) < 2 {
		return fmt.Errorf("%d institutions with an editor and an admin in the demo", len(s.editors))
	}
	var cond struct {
		Items []struct {
			ID             string
			OrganizationID string `json:"organization_id"`
		}
	}
	if err := loadgen.GetJSON(s.c, s.srv.URL+"/api/v1/resources?status=published&share_type=conditional&classification=general&limit=200", &cond); err != nil {
		return err
	}
	for _, r := range cond.Items {
		for i, e := range s.editors {
			if e.id == r.OrganizationID {
				s.shared = append(s.shared, shareable{id: r.ID, provider: i})
			}
		}
	}
	open, err := loadgen.OpenResources(s.c, s.srv.URL)
	if err != nil {
		return err
	}
	s.reader = loadgen.NewReader(s.rec, s.c, open)
	s.refreshEvents()
	return nil
}

// refreshEvents lists the newest events (as the operator) and keeps the ids
// of those the ledger has sealed, whose receipts the clients read.
func (s *soak) refreshEvents() {
	_, body := s.rec.Get(s.c, "ledger_events", s.srv.URL+"/api/v1/ledger/events?limit=100", s.operator)
	var list struct {
		Items []struct {
			ID    string
			Index *int64
		}
	}
	json.Unmarshal(body, &list)
	var ids []string
	for _, e := range list.Items {
		if e.Index != nil {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) > 0 {
		s.events.Store(ids)
	}
}

// sample is the server's state at one moment of the soak.
type sample struct {
	at         time.Duration
	rssKiB     int
	goroutines int
}

func (s *soak) soak(duration time.Duration, clients int) error {
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.client(c, deadline)
		}()
	}
	var samples []sample
	for tick := time.NewTicker(10 * time.Second); time.Now().Before(deadline); <-tick.C {
		rss, err := s.srv.RSS()
		if err != nil {
			return fmt.Errorf("the server is gone: %w", err)
		}
		g, _ := loadgen.Goroutines(s.c, s.srv.URL)
		samples = append(samples, sample{time.Since(start), rss, g})
		s.refreshEvents()
	}
	wg.Wait()
	elapsed := time.Since(start)
	peak, _ := s.srv.PeakRSS()
	fmt.Printf("soak: %d clients for %s (think %s), %d drafts published; load average %s at the end\n",
		clients, elapsed.Round(time.Second), s.think, s.drafts.Load(), loadgen.LoadAverage())
	s.rec.Report(os.Stdout, elapsed)
	printMemory(samples, peak)
	return nil
}

// printMemory prints the resident set and goroutines minute by minute, and
// the first minute's mean beside the last minute's.
func printMemory(samples []sample, peakKiB int) {
	if len(samples) == 0 {
		return
	}
	type minute struct{ rss, g, n int }
	var minutes []minute
	for _, sm := range samples {
		m := int(sm.at / time.Minute)
		for len(minutes) <= m {
			minutes = append(minutes, minute{})
		}
		minutes[m].rss += sm.rssKiB
		minutes[m].g += sm.goroutines
		minutes[m].n++
	}
	var line []string
	maxG := 0
	for i, m := range minutes {
		if m.n > 0 {
			line = append(line, fmt.Sprintf("%d:%.0fMB/%dg", i, float64(m.rss)/float64(m.n)/1024, m.g/m.n))
		}
	}
	for _, sm := range samples {
		maxG = max(maxG, sm.goroutines)
	}
	first, last := minutes[0], minutes[len(minutes)-1]
	fmt.Printf("  server RSS peak %.0f MB; mean RSS first minute %.0f MB, last minute %.0f MB; goroutines first minute %d, last minute %d, max %d\n",
		float64(peakKiB)/1024, float64(first.rss)/float64(first.n)/1024, float64(last.rss)/float64(last.n)/1024, first.g/first.n, last.g/last.n, maxG)
	fmt.Printf("  by minute (mean RSS / goroutines): %s\n", strings.Join(line, " "))
}

// client runs one client's loop until deadline.
func (s *soak) client(c int, deadline time.Time) {
	rng := rand.New(rand.NewPCG(uint64(c), 18))
	base := s.srv.URL
	for time.Now().Before(deadline) {
		switch x := rng.IntN(100); {
		case x < 28:
			s.reader.Search(rng, base)
		case x < 43:
			s.reader.DatasetPage(rng, base)
		case x < 60:
			s.reader.Rows(rng, base)
		case x < 71:
			s.reader.DatastoreSearch(rng, base)
		case x < 81:
			s.receipt(rng)
		case x < 87:
			s.rec.Get(s.c, "resource_list", base+"/api/v1/resources?status=published&limit=20&q="+
				[]string{"公交", "医院", "学校", "企业", "压测"}[rng.IntN(5)], "")
		case x < 96:
			s.draft(rng, c)
		default:
			s.share(rng, c)
		}
		time.Sleep(s.think)
	}
}

func (s *soak) receipt(rng *rand.Rand) {
	ids, _ := s.events.Load().([]string)
	if len(ids) == 0 {
		return
	}
	// 409: the event waits for the sequencer or a checkpoint (not an error).
	s.rec.Get(s.c, "receipt", s.srv.URL+"/api/v1/ledger/receipts/"+ids[rng.IntN(len(ids))], "", http.StatusConflict)
}

// draft is an editor's resource from draft to publication: create, update,
// upload rows (half the time), submit; the operator approves.
func (s *soak) draft(rng *rand.Rand, c int) {
	inst := s.editors[c%len(s.editors)]
	base := s.srv.URL + "/api/v1/resources"
	n := s.drafts.Add(1)
	in := map[string]any{"organization_id": inst.id, "title_zh": fmt.Sprintf("压测站点客流 %d-%d", c, n),
		"description_zh": "压测用的站点客流数据，按站点统计。", "subject": "04", "industry": "G", "keywords": []string{"压测", "客流"},
		"formats": []string{"CSV"}, "update_frequency": "daily", "share_type": "unconditional", "open_type": "unconditional",
		"classification": "general", "level": 1, "items": []map[string]any{
			{"name": "station", "label_zh": "站点", "type": "text", "key": true, "required": true},
			{"name": "riders", "label_zh": "客流量", "type": "integer"}}}
	status, body := s.rec.Send(s.c, "create", http.MethodPost, base, inst.editor, in)
	var r struct{ ID string }
	if status != http.StatusCreated || json.Unmarshal(body, &r) != nil {
		return
	}
	in["description_zh"] = "压测用的站点客流数据，按站点和日期统计，每日更新。"
	delete(in, "organization_id")
	if status, _ := s.rec.Send(s.c, "update", http.MethodPut, base+"/"+r.ID, inst.editor, in); status != http.StatusOK {
		return
	}
	if rng.IntN(2) == 0 {
		var csv strings.Builder
		csv.WriteString("station,riders\n")
		for i := range 200 + rng.IntN(800) {
			csv.WriteString("S" + strconv.Itoa(i) + "," + strconv.Itoa(rng.IntN(100000)) + "\n")
		}
		if status, _ := s.rec.Send(s.c, "upload", http.MethodPost, base+"/"+r.ID+"/data", inst.editor, []byte(csv.String())); status != http.StatusCreated {
			return
		}
	}
	if status, _ := s.rec.Send(s.c, "submit", http.MethodPost, base+"/"+r.ID+"/submit", inst.editor, nil); status != http.StatusOK {
		return
	}
	s.rec.Send(s.c, "publish", http.MethodPost, base+"/"+r.ID+"/review", s.operator, map[string]string{"decision": "approve"})
}

// share is one institution's request for another's conditionally shared
// resource, approved by the provider's admin (which creates a grant).
func (s *soak) share(rng *rand.Rand, c int) {
	if len(s.shared) == 0 {
		return
	}
	target := s.shared[rng.IntN(len(s.shared))]
	requester := (target.provider + 1 + c%(len(s.editors)-1)) % len(s.editors)
	in := map[string]any{"resource_id": target.id, "requester_org_id": s.editors[requester].id, "purpose": "客流与人口关联统计分析",
		"legal_basis": "《京华市统计条例》第十二条", "duration_days": 30}
	status, body := s.rec.Send(s.c, "share_request", http.MethodPost, s.srv.URL+"/api/v1/share-requests", s.editors[requester].editor, in)
	var req struct {
		ID     string
		Status string
	}
	if status != http.StatusCreated || json.Unmarshal(body, &req) != nil {
		return
	}
	s.rec.Send(s.c, "share_approve", http.MethodPost, s.srv.URL+"/api/v1/share-requests/"+req.ID+"/review", s.editors[target.provider].admin,
		map[string]string{"decision": "approve"})
}
