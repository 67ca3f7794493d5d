// Command attack measures how the real dataport binary holds up when
// hostile requests come in beside ordinary ones (issue 11): it starts the
// demo city with --datastore-sql on, then runs concurrent clients for a
// fixed time —
//
//   - readers: anonymous row reads of an open resource and keyword
//     package_search calls, the requests whose latency is reported;
//   - searchers: package_search with tokenizer traps (q=:, fq=x :, lone
//     brackets and quotes, deep nesting) and datastore_search_sql bypass
//     and resource bombs (parenthesised system tables, quoted randomblob);
//   - uploaders: an XLSX zip bomb (a 2 MB file that inflates to ~2 GB of
//     sheet XML) and a CSV whose one line is 100 MB, under the quarantine
//     setting, each sent by the owning institution's editor.
//
// Every client is on one loopback address, so the demo runs with
// --anon-rate raised: the per-address read limit would otherwise answer
// most reads 429, as it should for one real client.
//
// It samples the server's resident set every 100 ms and prints the readers'
// latency percentiles, the answers hostile requests got, the RSS before,
// at peak and after, and how long SIGINT took to stop the server.
// Figures go in docs/benchmarks.md ("## Hostile load").
//
//	go run ./bench/attack -clients 16 -duration 30s
package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dataport/bench/internal/benchsrv"
)

func main() {
	clients := flag.Int("clients", 16, "concurrent clients in all (at least 5: readers get what the others leave)")
	duration := flag.Duration("duration", 30*time.Second, "length of the measured run")
	binary := flag.String("binary", "", "dataport binary (default: go build ./cmd/dataport)")
	dataDir := flag.String("data", "", "demo data dir (default: a temporary one, removed after)")
	bombMB := flag.Int("bomb-mb", 2048, "inflated size of the XLSX bomb's sheet, in MB")
	lineMB := flag.Int("line-mb", 100, "length of the long CSV line, in MB")
	hostile := flag.Bool("hostile", true, "send the hostile requests (false: every client reads, for comparison)")
	flag.StringVar(&serverArgs, "server-args", "", "more arguments for `dataport demo`, space-separated (e.g. --cpuprofile /tmp/p.out)")
	flag.DurationVar(&think, "think", 0, "pause of each reader between its reads, as a person's (0: read back to back)")
	flag.Parse()
	if err := run(*clients, *duration, *binary, *dataDir, *bombMB, *lineMB, *hostile); err != nil {
		fmt.Fprintln(os.Stderr, "attack:", err)
		os.Exit(1)
	}
}

func run(clients int, duration time.Duration, binary, dataDir string, bombMB, lineMB int, hostile bool) error {
	if clients < 5 {
		return errors.New("-clients must be at least 5")
	}
	if dataDir == "" {
		dir, err := os.MkdirTemp("", "attack-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dataDir = dir
	}
	if binary == "" {
		var err error
		if binary, err = benchsrv.Build("dataport-attack-bench"); err != nil {
			return err
		}
	}
	args := append([]string{"demo", "--data", dataDir, "--datastore-sql", "--anon-rate", "10000000", "--log-level", "error"}, strings.Fields(serverArgs)...)
	srv, err := benchsrv.Start(binary, args...)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			srv.Stop()
		}
	}()
	fmt.Printf("demo up in %.1fs\n", srv.Ready.Seconds())
	t, err := findTargets(srv.URL)
	if err != nil {
		return err
	}
	if t.token, err = token(binary, dataDir, t.editor); err != nil {
		return err
	}
	if err := setQuarantine(srv.URL, t); err != nil {
		return err
	}
	bomb, err := xlsxBomb(bombMB, t.header)
	if err != nil {
		return err
	}
	fmt.Printf("XLSX bomb: %.1f MB compressed, %d MB of XML inflated\n", float64(len(bomb))/1e6, bombMB)
	fmt.Printf("reads: resource %s; uploads: resource %s as %s (quarantine on)\n", t.read, t.upload, t.editor)
	time.Sleep(2 * time.Second) // let the ledger seal the seeding's events
	warm := &attack{base: srv.URL, t: t}
	warm.readers(4, 3*time.Second)

	before, _ := srv.RSS()
	peak := atomic.Int64{}
	peak.Store(int64(before))
	sampling := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-sampling:
				return
			case <-tick.C:
				if rss, err := srv.RSS(); err == nil && int64(rss) > peak.Load() {
					peak.Store(int64(rss))
				}
			}
		}
	})

	r := &attack{base: srv.URL, t: t, bomb: bomb, lineMB: lineMB, answers: map[string]int{}, samples: map[string]string{}}
	searchers, uploaders := max(clients/5, 1), max(clients/8, 1)
	if !hostile {
		searchers, uploaders = 0, 0
	}
	readers := clients - searchers - 2*uploaders
	var wg sync.WaitGroup
	deadline := time.Now().Add(duration)
	for range searchers {
		wg.Go(func() { r.hostileSearches(deadline) })
	}
	for range uploaders {
		wg.Go(func() { r.uploads(deadline, "bomb") })
		wg.Go(func() { r.uploads(deadline, "line") })
	}
	res := r.readers(readers, duration)
	wg.Wait()
	time.Sleep(2 * time.Second) // what is still running after the clients have gone
	close(sampling)
	sampled.Wait()
	after, _ := srv.RSS()
	cpu, _ := srv.CPUSeconds()
	took, killed := srv.Stop()
	stopped = true

	fmt.Printf("%d clients for %s: %d readers (pause %s between reads), %d hostile searchers, %d bomb and %d long-line uploaders\n",
		clients, duration, readers, think, searchers, uploaders, uploaders)
	fmt.Printf("normal reads: %d, errors %d, %.0f/s; p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		len(res.lat), res.errors, float64(len(res.lat))/duration.Seconds(), res.pct(50), res.pct(90), res.pct(99), res.pct(100))
	fmt.Printf("  rows API p50 %.2f ms, p99 %.2f ms; package_search p50 %.2f ms, p99 %.2f ms\n",
		pct(res.rows, 50), pct(res.rows, 99), pct(res.search, 50), pct(res.search, 99))
	if res.first != "" {
		fmt.Println("  first read error:", res.first)
	}
	fmt.Println("hostile requests (kind status: count; first answer):")
	keys := make([]string, 0, len(r.answers))
	for k := range r.answers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Printf("  %-28s %6d  %s\n", k, r.answers[k], r.samples[k])
	}
	fmt.Printf("server RSS: before %.0f MB, peak %.0f MB, 2 s after the clients stopped %.0f MB\n",
		float64(before)/1024, float64(peak.Load())/1024, float64(after)/1024)
	fmt.Printf("server CPU %.1f s in all; SIGINT to exit %.1f s (killed: %v)\n", cpu, took.Seconds(), killed)
	return nil
}

// targets are what the clients use: an open resource to read, one of the
// editor's resources to upload to, and the editor's API token.
type targets struct {
	read, upload, editor, token string
	header                      []string // the upload target's item names
}

// findTargets picks, among the demo's published packages, one whose rows an
// anonymous caller can read and another with data to upload to.
func findTargets(base string) (targets, error) {
	var t targets
	var search struct {
		Result struct {
			Results []struct {
				ID           string `json:"id"`
				Organization struct {
					ID string `json:"id"`
				} `json:"organization"`
			} `json:"results"`
		} `json:"result"`
	}
	if err := getJSON(base+"/api/3/action/package_search?rows=200", "", &search); err != nil {
		return t, err
	}
	for _, p := range search.Result.Results {
		resp, err := http.Get(base + "/api/v1/resources/" + p.ID + "/rows?limit=1")
		if err != nil {
			return t, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			continue
		}
		if t.read == "" {
			t.read = p.ID
			continue
		}
		var org struct {
			Code string `json:"code"`
		}
		if err := getJSON(base+"/api/v1/organizations/"+p.Organization.ID, "", &org); err != nil || org.Code == "" {
			continue
		}
		var res struct {
			Items []struct {
				Name string `json:"name"`
			} `json:"items"`
		}
		if err := getJSON(base+"/api/v1/resources/"+p.ID, "", &res); err != nil || len(res.Items) == 0 {
			continue
		}
		for _, it := range res.Items {
			t.header = append(t.header, it.Name)
		}
		t.upload, t.editor = p.ID, strings.ToLower(org.Code)+".editor"
		return t, nil
	}
	return t, errors.New("the demo has no two open resources with rows")
}

// token creates an API token for user against the store, as an operator would.
func token(binary, dataDir, user string) (string, error) {
	out, err := exec.Command(binary, "token", "create", "--data", dataDir, "--user", user, "--name", "attack-bench", "--log-level", "error").Output()
	if err != nil {
		return "", fmt.Errorf("token create: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func setQuarantine(base string, t targets) error {
	var st map[string]any
	if err := getJSON(base+"/api/v1/resources/"+t.upload+"/datastore/settings", t.token, &st); err != nil {
		return err
	}
	delete(st, "$schema")
	st["on_error"] = "quarantine"
	body, _ := json.Marshal(st)
	req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/resources/"+t.upload+"/datastore/settings", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+t.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		return fmt.Errorf("set quarantine: %s: %s", resp.Status, b)
	}
	return nil
}

func getJSON(u, token string, v any) error {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

type attack struct {
	base    string
	t       targets
	bomb    []byte
	lineMB  int
	mu      sync.Mutex
	answers map[string]int    // "kind status" → count
	samples map[string]string // "kind status" → the start of the first body
}

func (r *attack) count(kind string, status int, body []byte, err error) {
	key := fmt.Sprintf("%s %d", kind, status)
	if err != nil {
		key = kind + " error: " + firstWords(err.Error())
	}
	r.mu.Lock()
	if r.answers[key]++; r.samples[key] == "" {
		r.samples[key] = strings.ToValidUTF8(string(body[:min(len(body), 160)]), "?")
	}
	r.mu.Unlock()
}

func firstWords(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// think is the pause of each reader between reads; serverArgs are added
// to the demo's command line.
var (
	think      time.Duration
	serverArgs string
)

type results struct {
	lat    []float64 // ms
	rows   []float64 // ms, of the row reads alone
	search []float64 // ms, of the package_search calls alone
	errors int
	first  string // the first error, to say what went wrong
}

func (r results) pct(p float64) float64 { return pct(r.lat, p) }

// pct is the p-th percentile of sorted.
func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(int(float64(len(sorted))*p/100), len(sorted)-1)]
}

// readers runs n clients of normal reads for d and returns their latencies.
func (r *attack) readers(n int, d time.Duration) results {
	var mu sync.Mutex
	var all results
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	words := []string{"交通", "医院", "学校", "企业", "空气质量", "公交", "人口", "养老"}
	for i := range n {
		wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			var mine results
			for time.Now().Before(deadline) {
				time.Sleep(think)
				u := r.base + "/api/v1/resources/" + r.t.read + "/rows?limit=20&offset=" + fmt.Sprint(rng.IntN(50))
				search := rng.IntN(2) == 0
				if search {
					u = r.base + "/api/3/action/package_search?rows=10&q=" + url.QueryEscape(words[rng.IntN(len(words))])
				}
				start := time.Now()
				resp, err := client.Get(u)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = errors.New(u + ": " + resp.Status)
					}
				}
				if err != nil {
					if mine.errors++; mine.first == "" {
						mine.first = err.Error()
					}
					continue
				}
				ms := float64(time.Since(start).Microseconds()) / 1000
				mine.lat = append(mine.lat, ms)
				if search {
					mine.search = append(mine.search, ms)
				} else {
					mine.rows = append(mine.rows, ms)
				}
			}
			mu.Lock()
			all.lat, all.errors = append(all.lat, mine.lat...), all.errors+mine.errors
			all.rows, all.search = append(all.rows, mine.rows...), append(all.search, mine.search...)
			if all.first == "" {
				all.first = mine.first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all.lat)
	slices.Sort(all.rows)
	slices.Sort(all.search)
	return all
}

// searchTraps are q and fq values that once sent the CKAN tokenizer into a
// loop, and other shapes a tokenizer can stumble on.
var searchTraps = []url.Values{
	{"q": {":"}}, {"fq": {"x :"}}, {"q": {"::::"}}, {"q": {"a:"}}, {"q": {":b"}}, {"fq": {"tags:"}},
	{"q": {"\""}}, {"q": {"(((((("}}, {"q": {"[* TO"}}, {"q": {"title:[a TO"}}, {"fq": {"-"}}, {"q": {"\\"}},
	{"q": {strings.Repeat("(", 5000)}}, {"q": {strings.Repeat("a:", 3000)}}, {"q": {"\xff\xfe:"}},
}

// sqlTraps read outside the request or exhaust the server if the guard lets them.
var sqlTraps = []string{
	`SELECT DISTINCT u.username,u.password_hash FROM (users) u, "%s" LIMIT 2`,
	`SELECT "randomblob"(900000000) FROM "%s" LIMIT 1`,
	`SELECT * FROM "pragma_table_info"('users'), "%s"`,
	`SELECT name FROM sqlite_master, "%s"`,
	`SELECT count(*) FROM "%[1]s" a, "%[1]s" b, "%[1]s" c, "%[1]s" d`,
}

func (r *attack) hostileSearches(deadline time.Time) {
	client := &http.Client{Timeout: 60 * time.Second}
	for i := 0; time.Now().Before(deadline); i++ {
		var u, kind string
		if i%3 == 2 {
			stmt := sqlTraps[(i/3)%len(sqlTraps)]
			u = r.base + "/api/3/action/datastore_search_sql?sql=" + url.QueryEscape(strings.ReplaceAll(stmt, "%s", r.t.read))
			u = strings.ReplaceAll(u, url.QueryEscape("%[1]s"), r.t.read)
			kind = "datastore_search_sql"
		} else {
			u = r.base + "/api/3/action/package_search?" + searchTraps[i%len(searchTraps)].Encode()
			kind = "package_search trap"
		}
		status, body, err := answer(client.Get(u))
		r.count(kind, status, body, err)
	}
}

// answer reads a response's status and up to 4 KB of its body.
func answer(resp *http.Response, err error) (int, []byte, error) {
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, body, nil
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (r *attack) uploads(deadline time.Time, kind string) {
	client := &http.Client{Timeout: 120 * time.Second}
	for time.Now().Before(deadline) {
		var body io.Reader
		var ctype string
		switch kind {
		case "bomb":
			body, ctype = bytes.NewReader(r.bomb), xlsxType
		default:
			body, ctype = longLine(r.lineMB, r.t.header), "text/csv"
		}
		req, _ := http.NewRequest(http.MethodPost, r.base+"/api/v1/resources/"+r.t.upload+"/data", body)
		req.Header.Set("Authorization", "Bearer "+r.t.token)
		req.Header.Set("Content-Type", ctype)
		status, b, err := answer(client.Do(req))
		r.count("upload "+kind, status, b, err)
	}
}

// longLine streams a CSV with the upload target's header and one record
// whose first field is mb megabytes long, without holding it in memory.
func longLine(mb int, header []string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		_, err := io.WriteString(pw, strings.Join(header, ",")+"\n")
		for i := 0; i < mb && err == nil; i++ {
			_, err = pw.Write(chunk)
		}
		if err == nil {
			_, err = io.WriteString(pw, strings.Repeat(",", len(header)-1)+"\n")
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// xlsxBomb builds a well-formed XLSX with the upload target's header row,
// then rows and a shared-string table that together inflate to mb
// megabytes (half each): the shapes that make a reader hold or walk
// gigabytes for a file of a few megabytes.
func xlsxBomb(mb int, header []string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	rels := `xmlns="http://schemas.openxmlformats.org/package/2006/relationships"`
	office := "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	parts := [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships ` + rels + `>` +
			`<Relationship Id="rId1" Type="` + office + `officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook ` + ns + ` xmlns:r="` + strings.TrimSuffix(office, "/") + `">` +
			`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships ` + rels + `>` +
			`<Relationship Id="rId1" Type="` + office + `worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + office + `sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
	}
	for _, p := range parts {
		w, err := zw.Create(p[0])
		if err != nil {
			return nil, err
		}
		io.WriteString(w, p[1])
	}
	repeat := func(w io.Writer, unit []byte, size int) error {
		for written := 0; written < size; written += len(unit) {
			if _, err := w.Write(unit); err != nil {
				return err
			}
		}
		return nil
	}
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return nil, err
	}
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet `+ns+`><sheetData><row>`)
	for _, h := range header {
		io.WriteString(w, `<c t="inlineStr"><is><t>`+h+`</t></is></c>`)
	}
	io.WriteString(w, `</row>`)
	row := "<row>" + strings.Repeat(`<c t="s"><v>0</v></c>`, len(header)) + "</row>"
	if err := repeat(w, []byte(strings.Repeat(row, 64)), mb<<19); err != nil {
		return nil, err
	}
	io.WriteString(w, `</sheetData></worksheet>`)
	if w, err = zw.Create("xl/sharedStrings.xml"); err != nil {
		return nil, err
	}
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><sst `+ns+`>`)
	if err := repeat(w, []byte(strings.Repeat("<si><t>"+strings.Repeat("a", 1000)+"</t></si>", 64)), mb<<19); err != nil {
		return nil, err
	}
	io.WriteString(w, `</sst>`)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
