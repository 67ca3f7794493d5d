// Command replicas measures how dataport's reads scale with replicas (issue
// 18): it seeds the demo city once into one PostgreSQL schema and one data
// dir, then runs 1, 2 and 3 `dataport serve` processes on them (each with
// its own --node and --search-dir, as pods behind a load balancer would),
// and for each count drives anonymous CKAN package_search and open row
// reads (/api/v1/resources/{id}/rows) round-robin across the replicas from
// concurrent clients, each from its own loopback address. It reports requests/s, p50 and p99 per kind, and the
// CPU each replica used. Figures go in docs/benchmarks.md ("## Replicas").
//
//	go run ./bench/replicas -db "$DATAPORT_TEST_POSTGRES" -clients 16 -duration 30s
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dataport/bench/internal/benchsrv"
	"dataport/bench/internal/loadgen"
)

func main() {
	dbURL := flag.String("db", os.Getenv("DATAPORT_TEST_POSTGRES"), "PostgreSQL URL (a fresh schema is made there and dropped after)")
	counts := flag.String("replicas", "1,2,3", "replica counts to measure, in order (replicas are added, never restarted)")
	clients := flag.Int("clients", 16, "concurrent clients")
	duration := flag.Duration("duration", 30*time.Second, "measured run per replica count")
	binary := flag.String("binary", "", "dataport binary (default: go build ./cmd/dataport)")
	flag.BoolVar(&oneAddress, "one-address", false, "send every client's requests from one loopback address (127.0.0.10), as from behind one NAT")
	flag.StringVar(&serverArgs, "server-args", "", "more arguments for every replica's `dataport serve`, space-separated; NODE is replaced by the replica's name "+
		"(e.g. \"--cpuprofile /tmp/NODE.pprof\")")
	procs := flag.Int("replica-procs", 0, "GOMAXPROCS of each replica (0: every core); 1 shows each replica adding a core until the machine's are used")
	flag.Parse()
	replicaProcs = *procs
	if *dbURL == "" {
		fmt.Fprintln(os.Stderr, "replicas: -db is required (replicas share one PostgreSQL database)")
		os.Exit(2)
	}
	if err := run(*dbURL, *counts, *clients, *duration, *binary); err != nil {
		fmt.Fprintln(os.Stderr, "replicas:", err)
		os.Exit(1)
	}
}

// serverArgs are added to each replica's command line; oneAddress puts
// every client on one address.
var (
	serverArgs   string
	oneAddress   bool
	replicaProcs int
)

func run(dbURL, counts string, clients int, duration time.Duration, binary string) error {
	dataDir, err := os.MkdirTemp("", "replicas-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	dsn, drop, err := benchsrv.FreshSchema(dbURL, "replicas_")
	if err != nil {
		return err
	}
	defer drop()
	if binary == "" {
		if binary, err = benchsrv.Build("dataport-replicas-bench"); err != nil {
			return err
		}
	}
	store := []string{"--data", dataDir, "--db", dsn, "--log-level", "warn"}
	seed, err := benchsrv.Start(binary, append([]string{"demo"}, store...)...)
	if err != nil {
		return err
	}
	seed.Stop()
	fmt.Printf("demo seeded in %.1fs; load average %s\n", seed.Ready.Seconds(), loadgen.LoadAverage())

	if replicaProcs > 0 {
		os.Setenv("GOMAXPROCS", strconv.Itoa(replicaProcs)) // inherited by the replicas, started after this
	}
	var replicas []*benchsrv.Server
	defer func() {
		for _, r := range replicas {
			r.Stop()
		}
	}()
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * clients}}
	var open []loadgen.Resource
	crowd := make([]*http.Client, clients) // each client its own loopback address
	for i := range crowd {
		crowd[i] = loadgen.ClientFrom(map[bool]int{false: i, true: 0}[oneAddress], 30*time.Second)
	}
	for _, field := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			return fmt.Errorf("-replicas: %q is not a count", field)
		}
		for len(replicas) < n {
			node := "r" + strconv.Itoa(len(replicas)+1)
			// Each client reads far more than a person: the per-address
			// anonymous read limit is raised.
			r, err := benchsrv.Start(binary, append([]string{"serve", "--node", node, "--search-dir", filepath.Join(dataDir, "search-"+node),
				"--anon-rate", "1000000"}, append(store, strings.Fields(strings.ReplaceAll(serverArgs, "NODE", node))...)...)...)
			if err != nil {
				return fmt.Errorf("replica %s: %w", node, err)
			}
			replicas = append(replicas, r)
			fmt.Printf("replica %s up in %.1fs\n", node, r.Ready.Seconds())
		}
		if open == nil {
			if open, err = loadgen.OpenResources(c, replicas[0].URL); err != nil {
				return err
			}
		}
		idle := cpuSeconds(replicas[:n]) // what the replicas do on their own
		time.Sleep(10 * time.Second)
		idleAfter := cpuSeconds(replicas[:n])
		measure(replicas[:n], crowd, open, 5*time.Second) // warm up
		cpu, machine := cpuSeconds(replicas[:n]), loadgen.ReadCPU()
		rec := measure(replicas[:n], crowd, open, duration)
		after, machineAfter := cpuSeconds(replicas[:n]), loadgen.ReadCPU()
		fmt.Printf("%d replica(s), %d clients for %s, load average %s:\n", n, clients, duration, loadgen.LoadAverage())
		rec.Report(os.Stdout, duration)
		var busy, still []string
		total := 0.0
		for i := range after {
			busy = append(busy, fmt.Sprintf("r%d %.2f", i+1, (after[i]-cpu[i])/duration.Seconds()))
			still = append(still, fmt.Sprintf("r%d %.3f", i+1, (idleAfter[i]-idle[i])/10))
			total += after[i] - cpu[i]
		}
		fmt.Printf("  cores busy per replica: %s; server CPU %.2f ms per request\n", strings.Join(busy, ", "), total*1000/float64(max(rec.Total().N, 1)))
		fmt.Printf("  cores busy per replica with no clients (10 s before): %s\n", strings.Join(still, ", "))
		busyCores, cores, pg, self := machineAfter.Since(machine, duration.Seconds())
		fmt.Printf("  machine: %.2f of %.0f cores busy: replicas %.2f, PostgreSQL %.2f, this load generator %.2f, the rest %.2f\n",
			busyCores, cores, total/duration.Seconds(), pg, self, busyCores-total/duration.Seconds()-pg-self)
	}
	return nil
}

// measure runs one goroutine per client that sends, back to back, a
// package_search or an open row read (half each) to the replicas in turn,
// for d.
func measure(replicas []*benchsrv.Server, clients []*http.Client, open []loadgen.Resource, d time.Duration) *loadgen.Recorder {
	rec := loadgen.NewRecorder()
	var next atomic.Uint64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			reader := loadgen.NewReader(rec, clients[i], open)
			for time.Now().Before(deadline) {
				base := replicas[next.Add(1)%uint64(len(replicas))].URL
				if rng.IntN(2) == 0 {
					reader.Search(rng, base)
				} else {
					reader.Rows(rng, base)
				}
			}
		}()
	}
	wg.Wait()
	return rec
}

func cpuSeconds(replicas []*benchsrv.Server) []float64 {
	out := make([]float64, len(replicas))
	for i, r := range replicas {
		out[i], _ = r.CPUSeconds()
	}
	return out
}
