// Command dataset measures the dataset page with its data: it starts the
// real dataport binary on the demo city, finds the open datasets whose page
// shows a preview and a chart, and has concurrent anonymous clients fetch
// those pages (the first page, a later page, sorted, filtered by words) for
// a while. It reports p50, p90 and p99 latency, requests per second and the
// server's CPU per request. Figures go in docs/benchmarks.md ("## Dataset page").
//
//	go run ./bench/dataset -clients 1 -duration 20s
//	go run ./bench/dataset -clients 4 -duration 20s
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"dataport/bench/internal/benchsrv"
)

func main() {
	clients := flag.Int("clients", 4, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "length of the measured run")
	binary := flag.String("binary", "", "dataport binary (default: go build ./cmd/dataport)")
	flag.Parse()
	if err := run(*clients, *duration, *binary); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(clients int, duration time.Duration, binary string) error {
	if binary == "" {
		var err error
		if binary, err = benchsrv.Build("dataport-dataset-bench"); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "dataset-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := benchsrv.Start(binary, "demo", "--data", dir)
	if err != nil {
		return err
	}
	defer srv.Stop()
	pages, err := datasetPages(srv.URL)
	if err != nil {
		return err
	}
	fmt.Printf("%d dataset pages with a preview and a chart, %d addresses\n", len(pages)/4, len(pages))
	measure(srv, pages, clients, 3*time.Second) // warm up
	cpu0, _ := srv.CPUSeconds()
	lat, n, errs := measure(srv, pages, clients, duration)
	cpu1, _ := srv.CPUSeconds()
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("clients %d: %d requests (%d failed) in %s, %.0f/s, p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, server CPU %.2f ms/request\n",
		clients, n, errs, duration, float64(n)/duration.Seconds(), ms(q(0.5)), ms(q(0.9)), ms(q(0.99)), (cpu1-cpu0)*1000/float64(n))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// datasetPages lists, for every open demo dataset whose page shows a
// preview and a chart, the page itself, its third page, sorted by its
// first column, and filtered by a word.
func datasetPages(base string) ([]string, error) {
	var res struct {
		Result struct{ Results []struct{ Name string } }
	}
	resp, err := http.Get(base + "/api/3/action/package_search?rows=1000")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return nil, err
	}
	var out []string
	for _, r := range res.Result.Results {
		page := base + "/dataset/" + r.Name
		body, err := get(page)
		if err != nil {
			return nil, err
		}
		if !strings.Contains(body, `class="table preview"`) || !strings.Contains(body, `class="chart__svg"`) {
			continue
		}
		first := between(body, `<option value="`, `"`, strings.Index(body, `id="preview-item"`)+80)
		out = append(out, page, page+"?page=3", page+"?sort="+first+"&desc=1", page+"?q=%E5%8C%BA")
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no dataset page with a preview and a chart")
	}
	return out, nil
}

// between is the text of s between open and close after index from.
func between(s, open, close string, from int) string {
	i := strings.Index(s[from:], open)
	if i < 0 {
		return ""
	}
	rest := s[from+i+len(open):]
	return rest[:strings.Index(rest, close)]
}

func get(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	return string(b), err
}

// measure fetches pages round-robin from clients goroutines for d and
// returns every request's latency.
func measure(srv *benchsrv.Server, pages []string, clients int, d time.Duration) ([]time.Duration, int, int) {
	var mu sync.Mutex
	var lat []time.Duration
	failed := 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for i := c; time.Now().Before(deadline); i++ {
				start := time.Now()
				if _, err := get(pages[i%len(pages)]); err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat, failed = append(lat, mine...), failed+bad
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, len(lat), failed
}
