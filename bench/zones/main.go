// Command zones measures what a public data zone adds to an aggregate
// query: it starts the real dataport binary on the demo city (SQLite, or
// PostgreSQL with -db), loads a synthetic person-level file of -rows rows
// into the health zone's resource with `dataport import` (values drawn from
// the resource's own items and code lists), then, -runs times each, sends
// the zone.operator's aggregate statements through the zones API (POST
// /api/v1/zones/ZONE-HEALTH/queries, waiting for the result) and runs the
// same SQL directly on the store, on the version table the import created.
// It reports the median and each run's wall time of both, the zone's own
// compute time (the query's meter) and the ratio. Figures go in
// docs/benchmarks.md ("## Public data zones").
//
//	go run ./bench/zones -rows 10000000
//	go run ./bench/zones -rows 10000000 -db postgres://postgres@127.0.0.1:5432/test?sslmode=disable
package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"dataport/bench/internal/benchsrv"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// statements are the zone.operator's queries; %s is the resource.
var statements = []string{
	`SELECT district, COUNT(*) AS visits, SUM(cost) AS total_cost FROM "%s" GROUP BY district`,
	`SELECT district, sex, COUNT(*) AS visits, SUM(cost) AS total_cost FROM "%s" WHERE age >= 60 GROUP BY district, sex`,
}

func main() {
	rows := flag.Int("rows", 1_000_000, "rows to load into the health zone's resource")
	db := flag.String("db", "", "PostgreSQL URL (a fresh schema is made in it); empty: SQLite")
	runs := flag.Int("runs", 3, "runs of each statement on each path")
	binary := flag.String("binary", "", "dataport binary (default: go build ./cmd/dataport)")
	flag.Parse()
	if err := run(*rows, *db, *runs, *binary); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	binary, dir, db string
	srv             *benchsrv.Server
	token           string
	resource        string
}

func run(rows int, db string, runs int, binary string) error {
	if binary == "" {
		var err error
		if binary, err = benchsrv.Build("dataport-zones-bench"); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "zones-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{binary: binary, dir: dir}
	if db != "" {
		dsn, drop, err := benchsrv.FreshSchema(db, "zbench_")
		if err != nil {
			return err
		}
		defer drop()
		b.db = dsn
	}
	args := []string{"demo", "--data", dir, "--log-level", "error"}
	if b.db != "" {
		args = append(args, "--db", b.db)
	}
	if b.srv, err = benchsrv.Start(binary, args...); err != nil {
		return err
	}
	defer b.srv.Stop()
	fmt.Printf("demo ready in %s\n", b.srv.Ready.Round(time.Millisecond))
	if b.token, err = b.cli("token", "create", "--user", "zone.operator", "--name", "zones-bench"); err != nil {
		return err
	}
	var zone struct {
		ResourceIDs []string `json:"resource_ids"`
		Members     []struct {
			ResourceID string `json:"resource_id"`
			Code       string `json:"code"`
		} `json:"members"`
	}
	if err := b.get("/api/v1/zones/ZONE-HEALTH", &zone); err != nil {
		return err
	}
	if len(zone.Members) == 0 {
		return fmt.Errorf("the health zone has no resources")
	}
	b.resource = zone.Members[0].ResourceID
	file := filepath.Join(dir, "visits.csv")
	if err := b.writeFile(file, zone.Members[0].ResourceID, rows); err != nil {
		return err
	}
	start := time.Now()
	out, err := b.cli("import", file, "--resource", zone.Members[0].Code)
	if err != nil {
		return err
	}
	var imported struct{ Rows, Version int }
	if err := json.Unmarshal([]byte(lastLine(out)), &imported); err != nil {
		return fmt.Errorf("import said %q: %w", out, err)
	}
	fmt.Printf("loaded %d rows (version %d) in %s\n", imported.Rows, imported.Version, time.Since(start).Round(time.Second))
	direct, table, err := b.direct(imported.Version)
	if err != nil {
		return err
	}
	defer direct.Close()

	fmt.Printf("\n| statement | store | rows | direct SQL median (runs) | zone median, HTTP (runs) | zone compute (meter) | zone/direct |\n|---|---|---|---|---|---|---|\n")
	for _, st := range statements {
		text := fmt.Sprintf(st, b.resource)
		var plain, zoned, compute []time.Duration
		for i := 0; i < runs; i++ {
			d, err := timeDirect(direct, strings.ReplaceAll(text, `"`+b.resource+`"`, `"`+table+`"`))
			if err != nil {
				return err
			}
			plain = append(plain, d)
			z, c, err := b.zone(text)
			if err != nil {
				return err
			}
			zoned, compute = append(zoned, z), append(compute, c)
		}
		store := "SQLite"
		if b.db != "" {
			store = "PostgreSQL"
		}
		fmt.Printf("| `%s` | %s | %d | %s (%s) | %s (%s) | %s | **%.2f×** |\n", strings.ReplaceAll(text, b.resource, "…"), store, imported.Rows,
			ms(median(plain)), list(plain), ms(median(zoned)), list(zoned), ms(median(compute)),
			float64(median(zoned))/float64(median(plain)))
	}
	return nil
}

// zone posts text to the health zone and waits for its result (polling
// while the answer is 202): the wall time and the compute time the
// query's meter reports.
func (b *bench) zone(text string) (time.Duration, time.Duration, error) {
	body, _ := json.Marshal(map[string]any{"sql": text, "mechanism": "sdc"})
	req, _ := http.NewRequest("POST", b.srv.URL+"/api/v1/zones/ZONE-HEALTH/queries?wait=120", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return 0, 0, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var q struct {
		ID     string
		Status string
		Reason string
		Meter  struct {
			ComputeMS int64 `json:"compute_ms"`
		}
	}
	if (resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted) || json.Unmarshal(raw, &q) != nil {
		return 0, 0, fmt.Errorf("zone query: %s: %s", resp.Status, raw)
	}
	for q.Status == "queued" || q.Status == "running" {
		time.Sleep(100 * time.Millisecond)
		if err := b.get("/api/v1/zones/ZONE-HEALTH/queries/"+q.ID, &q); err != nil {
			return 0, 0, err
		}
	}
	wall := time.Since(start)
	if q.Status != "released" && q.Status != "review" {
		return 0, 0, fmt.Errorf("zone query %s: %s", q.Status, q.Reason)
	}
	return wall, time.Duration(q.Meter.ComputeMS) * time.Millisecond, nil
}

// direct opens the store itself and returns the name of the version table
// of the health resource's version v.
func (b *bench) direct(v int) (*sql.DB, string, error) {
	driver, dsn := "sqlite", "file:"+filepath.Join(b.dir, "dataport.db")+"?mode=ro&_pragma=busy_timeout(5000)"
	if b.db != "" {
		driver, dsn = "pgx", b.db
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, "", err
	}
	var table string
	q := `SELECT table_name FROM datastore_versions WHERE resource_id = $1 AND version = $2`
	if err := db.QueryRow(q, b.resource, v).Scan(&table); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("version table: %w", err)
	}
	return db, table, nil
}

// timeDirect runs text to its last row.
func timeDirect(db *sql.DB, text string) (time.Duration, error) {
	start := time.Now()
	rows, err := db.Query(text)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", text, err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// item is what the generator needs of a resource's item.
type item struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Key      bool   `json:"key"`
	CodeList []struct {
		Code string `json:"code"`
	} `json:"code_list"`
}

// writeFile writes n rows for the resource's items: keys numbered,
// code-listed text drawn from the code list (skewed), ages 0–99, costs
// log-normal, other text short words.
func (b *bench) writeFile(path, resourceID string, n int) error {
	var res struct{ Items []item }
	if err := b.get("/api/v1/resources/"+resourceID, &res); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	names := make([]string, len(res.Items))
	for i, it := range res.Items {
		names[i] = it.Name
	}
	fmt.Fprintln(w, strings.Join(names, ","))
	r := rand.New(rand.NewPCG(16, 2026))
	for row := 0; row < n; row++ {
		for i, it := range res.Items {
			if i > 0 {
				w.WriteByte(',')
			}
			switch {
			case it.Key:
				fmt.Fprintf(w, "P%010d", row)
			case len(it.CodeList) > 0:
				k := int(math.Min(float64(len(it.CodeList)-1), r.ExpFloat64()*float64(len(it.CodeList))/3))
				w.WriteString(it.CodeList[k].Code)
			case it.Type == "integer":
				fmt.Fprintf(w, "%d", r.IntN(100))
			case it.Type == "decimal":
				fmt.Fprintf(w, "%.2f", math.Min(50000, math.Exp(5.5+r.NormFloat64())))
			case it.Type == "date":
				fmt.Fprintf(w, "2025-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28))
			default:
				fmt.Fprintf(w, "w%d", r.IntN(1000))
			}
		}
		w.WriteByte('\n')
	}
	return w.Flush()
}

// cli runs a dataport command on the bench's store and returns its output.
func (b *bench) cli(args ...string) (string, error) {
	args = append(args, "--data", b.dir, "--log-level", "error")
	if b.db != "" {
		args = append(args, "--db", b.db)
	}
	cmd := exec.Command(b.binary, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("dataport %s: %w", args[0], err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (b *bench) get(path string, out any) error {
	req, _ := http.NewRequest("GET", b.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, raw)
	}
	return json.Unmarshal(raw, out)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func list(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond))
	}
	return strings.Join(parts, ", ")
}
