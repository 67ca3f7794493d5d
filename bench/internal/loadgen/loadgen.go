// Package loadgen drives and records the HTTP load of the load programs
// under bench/ (soak, replicas): every request is timed and its answer
// classed under a kind (catalog search, row read, upload...), and the
// anonymous reads of the demo city — CKAN package_search, dataset pages, open
// row reads through the native API and CKAN datastore_search — are here once
// for both.
package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is what one kind of request got: how many, their latencies, and the
// answers that count as errors.
type Kind struct {
	N             int
	Status5xx     int       // the server failed
	Unexpected4xx int       // a refusal the client did not expect
	Failed        int       // no answer (connection refused or reset, timeout)
	Latencies     []float64 // milliseconds, every request
	examples      []string  // the first few errors, for the operator
}

// Errors is the count of every failed request of the kind.
func (k *Kind) Errors() int { return k.Status5xx + k.Unexpected4xx + k.Failed }

// Pct is the p-th percentile of the kind's latencies, in milliseconds.
func (k *Kind) Pct(p float64) float64 {
	if len(k.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(k.Latencies)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p/100)]
}

// Recorder collects the requests of concurrent clients by kind. Its zero
// value is not ready: use NewRecorder.
type Recorder struct {
	mu    sync.Mutex
	kinds map[string]*Kind
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{kinds: map[string]*Kind{}} }

// Do sends req, reads the whole answer and records it under kind. An answer
// below 400, or one of the statuses in expected, is a success; another 4xx
// an unexpected refusal; a 5xx a server error. It returns the status (0 when
// no answer came) and the body.
func (r *Recorder) Do(c *http.Client, kind string, req *http.Request, expected ...int) (int, []byte) {
	start := time.Now()
	resp, err := c.Do(req)
	var body []byte
	status := 0
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.kinds[kind]
	if k == nil {
		k = &Kind{}
		r.kinds[kind] = k
	}
	k.N++
	k.Latencies = append(k.Latencies, ms)
	bad := true
	switch {
	case err != nil:
		k.Failed++
	case status < 400 || slices.Contains(expected, status):
		bad = false
	case status >= 500:
		k.Status5xx++
	default:
		k.Unexpected4xx++
	}
	if bad && len(k.examples) < 3 {
		k.examples = append(k.examples, fmt.Sprintf("%s %s: %d %v %.200s", req.Method, req.URL.RequestURI(), status, err, body))
	}
	return status, body
}

// Get is Do for a GET of base+path with an optional bearer token.
func (r *Recorder) Get(c *http.Client, kind, u, token string, expected ...int) (int, []byte) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		panic(err) // the load programs build their URLs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return r.Do(c, kind, req, expected...)
}

// Send is Do for a request with a bearer token and a body: []byte is sent
// as CSV, nil as no body, anything else as JSON.
func (r *Recorder) Send(c *http.Client, kind, method, u, token string, body any, expected ...int) (int, []byte) {
	var payload io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		payload, contentType = bytes.NewReader(b), "text/csv"
	default:
		raw, _ := json.Marshal(body)
		payload, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, u, payload)
	if err != nil {
		panic(err) // the load programs build their URLs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return r.Do(c, kind, req, expected...)
}

// Kinds returns a copy of what was recorded, by kind.
func (r *Recorder) Kinds() map[string]*Kind {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]*Kind, len(r.kinds))
	for name, k := range r.kinds {
		c := *k
		c.Latencies = slices.Clone(k.Latencies)
		out[name] = &c
	}
	return out
}

// Total merges every kind into one.
func (r *Recorder) Total() *Kind {
	var t Kind
	for _, k := range r.Kinds() {
		t.N += k.N
		t.Status5xx += k.Status5xx
		t.Unexpected4xx += k.Unexpected4xx
		t.Failed += k.Failed
		t.Latencies = append(t.Latencies, k.Latencies...)
	}
	return &t
}

// Report writes a table of the kinds (requests, requests/s over d, errors
// by class, p50 and p99 latency) and a total line, then the first errors.
func (r *Recorder) Report(w io.Writer, d time.Duration) {
	kinds := r.Kinds()
	names := make([]string, 0, len(kinds))
	for name := range kinds {
		names = append(names, name)
	}
	slices.Sort(names)
	fmt.Fprintf(w, "  %-18s %8s %8s %6s %6s %6s %9s %9s\n", "kind", "requests", "req/s", "5xx", "4xx?", "noansw", "p50 ms", "p99 ms")
	line := func(name string, k *Kind) {
		fmt.Fprintf(w, "  %-18s %8d %8.1f %6d %6d %6d %9.2f %9.2f\n", name, k.N, float64(k.N)/d.Seconds(),
			k.Status5xx, k.Unexpected4xx, k.Failed, k.Pct(50), k.Pct(99))
	}
	for _, name := range names {
		line(name, kinds[name])
	}
	t := r.Total()
	line("all", t)
	fmt.Fprintf(w, "  error rate %.4f%% (%d of %d; 4xx? = a refusal the client did not expect)\n",
		100*float64(t.Errors())/float64(max(t.N, 1)), t.Errors(), t.N)
	for _, name := range names {
		for _, e := range kinds[name].examples {
			fmt.Fprintf(w, "  error %s: %s\n", name, strings.ReplaceAll(e, "\n", " "))
		}
	}
}

// Resource is a published resource of the demo city whose rows anyone may
// read.
type Resource struct {
	ID       string   `json:"id"`
	Code     string   `json:"code"`
	Keywords []string `json:"keywords"`
}

// OpenResources lists the published, unconditionally open resources at
// base whose rows answer an anonymous read.
func OpenResources(c *http.Client, base string) ([]Resource, error) {
	var list struct{ Items []Resource }
	if err := GetJSON(c, base+"/api/v1/resources?status=published&open_type=unconditional&limit=200", &list); err != nil {
		return nil, err
	}
	var out []Resource
	for _, r := range list.Items {
		resp, err := c.Get(base + "/api/v1/resources/" + r.ID + "/rows?limit=1")
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no open resource with rows at %s", base)
	}
	return out, nil
}

// GetJSON decodes the JSON answer of a GET of u, which must be 200.
func GetJSON(c *http.Client, u string, v any) error {
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// Reader sends the anonymous reads of the demo city's open data.
type Reader struct {
	Rec   *Recorder
	C     *http.Client
	Open  []Resource
	words []string
}

// NewReader returns a reader of open, searching by the resources' keywords.
func NewReader(rec *Recorder, c *http.Client, open []Resource) *Reader {
	rd := &Reader{Rec: rec, C: c, Open: open}
	for _, r := range open {
		rd.words = append(rd.words, r.Keywords...)
	}
	if len(rd.words) == 0 {
		rd.words = []string{"公交", "医院", "学校", "企业", "空气"}
	}
	return rd
}

// Search is a CKAN package_search with a keyword and facet counts.
func (rd *Reader) Search(rng *rand.Rand, base string) {
	q := url.Values{"q": {rd.words[rng.IntN(len(rd.words))]}, "rows": {"10"}, "facet.field": {`["organization","res_format","tags"]`}}
	rd.Rec.Get(rd.C, "search", base+"/api/3/action/package_search?"+q.Encode(), "")
}

// DatasetPage is the portal's HTML page of an open resource.
func (rd *Reader) DatasetPage(rng *rand.Rand, base string) {
	r := rd.Open[rng.IntN(len(rd.Open))]
	rd.Rec.Get(rd.C, "dataset_page", base+"/dataset/"+strings.ToLower(r.Code), "")
}

// Rows is a page of an open resource's rows through the native API.
func (rd *Reader) Rows(rng *rand.Rand, base string) {
	r := rd.Open[rng.IntN(len(rd.Open))]
	rd.Rec.Get(rd.C, "rows", base+"/api/v1/resources/"+r.ID+"/rows?limit=20&offset="+strconv.Itoa(rng.IntN(4)*20), "")
}

// DatastoreSearch is a page of an open resource's rows through CKAN's
// datastore_search.
func (rd *Reader) DatastoreSearch(rng *rand.Rand, base string) {
	r := rd.Open[rng.IntN(len(rd.Open))]
	rd.Rec.Get(rd.C, "datastore_search", base+"/api/3/action/datastore_search?resource_id="+r.ID+"&limit=20", "")
}

// ClientFrom returns an HTTP client whose connections come from the
// loopback address 127.0.0.(10+n%240), so that concurrent clients on one
// machine are different addresses to the server (each its own anonymous
// rate-limit bucket), as a crowd of visitors would be.
func ClientFrom(n int, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(10+n%240))}, Timeout: timeout}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 8}}
}

// Goroutines reads go_goroutines from the server's /metrics.
func Goroutines(c *http.Client, base string) (int, error) {
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("no go_goroutines in %s/metrics", base)
}

// LoadAverage is the machine's 1-, 5- and 15-minute load average as
// /proc/loadavg gives it.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
