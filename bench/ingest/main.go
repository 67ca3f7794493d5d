// Command ingest measures aggregation and the datastore. Figures go in
// docs/benchmarks.md ("## Aggregation and datastore").
//
//	go run ./bench/ingest -rows 1000000            # reload and first import vs sqlite3 .import, peak RSS
//	go run ./bench/ingest -rows 1000000 -repeat 3  # the three, three times in turn
//	go run ./bench/ingest -rows 10000000 -queries 2000   # and datastore_search latency
//	go run ./bench/ingest -db postgres://...       # the load on PostgreSQL (COPY)
//
// It generates a deterministic CSV of -rows rows and 12 columns, times the
// sqlite3 command-line tool's .import of it (no checks at all), then times
// `dataport import --resource CODE` of the same file into a resource with
// declared items (a reload: every check — encoding and delimiter detection,
// types, code lists, required items, key uniqueness, personal-information
// sampling) and `dataport import --infer --organization ORG --title T` (the
// first import: items inferred from the file, then loaded), each into a
// fresh store, and reports every process's peak RSS. With -queries it then times CKAN datastore_search calls with
// one indexed filter against the loaded table.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
)

func main() {
	rows := flag.Int("rows", 1000000, "rows in the generated CSV")
	dir := flag.String("dir", "", "work directory (default a temporary one, removed afterwards)")
	queries := flag.Int("queries", 0, "datastore_search calls to time after the load (0: none)")
	dsn := flag.String("db", "", "PostgreSQL URL for the dataport load; empty: the embedded SQLite store")
	cpuProfile = flag.String("cpuprofile", "", "write CPU profiles of the dataport imports to FILE.reload and FILE.first (the last run's)")
	logLevel = flag.String("log-level", "warn", "log level of the dataport import it runs (debug shows the load's phases)")
	reuse := flag.String("reuse", "", "catalog code of a resource loaded by an earlier run in -dir: only time the queries")
	repeat := flag.Int("repeat", 1, "how many times to time the three imports, in turn")
	flag.StringVar(&prebuilt, "binary", "", "time this dataport binary (e.g. one built from an earlier commit) instead of building ./cmd/dataport")
	flag.Parse()
	slog.SetLogLoggerLevel(slog.LevelWarn) // the setup's migrations say nothing
	if *reuse != "" {
		if err := searchLatency(filepath.Join(*dir, "data"), *dsn, *reuse, *rows, *queries); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*rows, *dir, *queries, *dsn, *repeat); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var (
	logLevel, cpuProfile *string
	prebuilt             string
)

func run(rows int, dir string, queries int, dsn string, repeat int) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "bench-ingest")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	csvPath := filepath.Join(dir, fmt.Sprintf("bench-%d.csv", rows))
	if _, err := os.Stat(csvPath); err != nil {
		start := time.Now()
		if err := generate(csvPath, rows); err != nil {
			return err
		}
		fmt.Printf("generated %s in %.1fs\n", csvPath, time.Since(start).Seconds())
	}
	st, _ := os.Stat(csvPath)
	fmt.Printf("file: %d rows, 12 columns, %.1f MB\n", rows, float64(st.Size())/1e6)
	binary := prebuilt
	if binary == "" {
		binary = filepath.Join(dir, "dataport")
		if out, err := exec.Command("go", "build", "-o", binary, "./cmd/dataport").CombinedOutput(); err != nil {
			return fmt.Errorf("build dataport: %v\n%s", err, out)
		}
	}
	b := &bench{binary: binary, dir: dir, csv: csvPath, dsn: dsn, rows: rows}
	for i := 1; i <= repeat; i++ {
		fmt.Printf("-- run %d of %d\n", i, repeat)
		var base timing
		if dsn == "" {
			secs, err := sqliteImport(dir, csvPath)
			if err != nil {
				return err
			}
			base = secs
		}
		code, err := b.reload(base)
		if err != nil {
			return err
		}
		// The queries run on the reload's resource before the first import
		// prepares its own store: with -db that is the same schema, emptied.
		if i == repeat && queries > 0 {
			if err := searchLatency(filepath.Join(dir, "data"), dsn, code, rows, queries); err != nil {
				return err
			}
		}
		if err := b.firstImport(base); err != nil {
			return err
		}
	}
	return nil
}

// bench times dataport's imports of one file.
type bench struct {
	binary, dir, csv, dsn string
	rows                  int
}

// reload times `dataport import --resource CODE` into a fresh store's
// resource with declared items, and returns the code.
func (b *bench) reload(base timing) (string, error) {
	dataDir := filepath.Join(b.dir, "data")
	os.RemoveAll(dataDir)
	code, err := prepare(dataDir, b.dsn)
	if err != nil {
		return "", err
	}
	return code, b.timeImport("reload, --resource", "reload", base, "import", "--resource", code, "--data", dataDir)
}

// firstImport times `dataport import --infer --organization ORG --title T`
// into a fresh store: the items are inferred from the file.
func (b *bench) firstImport(base timing) error {
	dataDir := filepath.Join(b.dir, "data-first")
	os.RemoveAll(dataDir)
	org, err := prepareOrganization(dataDir, b.dsn)
	if err != nil {
		return err
	}
	return b.timeImport("first import, --infer", "first", base, "import", "--infer", "--organization", org, "--title", firstTitle, "--data", dataDir)
}

// firstTitle is the title of the resource the first import creates.
const firstTitle = "基准测试首次导入"

// timeImport times one dataport import; profile names its CPU profile
// (-cpuprofile FILE writes FILE.profile).
func (b *bench) timeImport(what, profile string, base timing, args ...string) error {
	args = append(args, "--quiet", "--log-level", *logLevel, b.csv)
	if b.dsn != "" {
		args = append(args, "--db", b.dsn)
	}
	if *cpuProfile != "" {
		args = append(args, "--cpuprofile", *cpuProfile+"."+profile)
	}
	t, err := timed(b.binary, args...)
	if err != nil {
		return fmt.Errorf("dataport %s: %v\n%s", what, err, t.out)
	}
	ratio := ""
	if base.secs > 0 {
		ratio = fmt.Sprintf(", %.2fx sqlite3 .import (CPU %.2fx)", t.secs/base.secs, t.cpu/base.cpu)
	}
	fmt.Printf("dataport import (%s, %s): %.2fs (CPU %.2fs)%s, %.0f rows/s, peak RSS %d MB\n  %s", what, dialectName(b.dsn), t.secs, t.cpu,
		ratio, float64(b.rows)/t.secs, t.rss>>10, t.out)
	return nil
}

func dialectName(dsn string) string {
	if dsn == "" {
		return "SQLite"
	}
	return "PostgreSQL"
}

// timing is one timed command: wall and CPU (user + system) seconds, peak RSS
// in KiB, and its output.
type timing struct {
	secs, cpu float64
	rss       int64
	out       string
}

// timed runs a command and returns its timing. CPU time is given beside
// wall time because other processes on a shared machine lengthen the wall
// time of a pipelined load (two busy goroutines) more than that of the
// single-threaded sqlite3.
func timed(name string, args ...string) (timing, error) {
	// Start each timed command without the previous one's writes still
	// being flushed to disk underneath it.
	syscall.Sync()
	cmd := exec.Command(name, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t := timing{secs: time.Since(start).Seconds(), out: string(out)}
	if cmd.ProcessState != nil {
		if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			t.rss = u.Maxrss
			t.cpu = time.Duration(u.Utime.Nano() + u.Stime.Nano()).Seconds()
		}
	}
	return t, err
}

// sqliteImport times the sqlite3 CLI's .import into a fresh file.
func sqliteImport(dir, csvPath string) (timing, error) {
	db := filepath.Join(dir, "cli.db")
	os.Remove(db)
	t, err := timed("sqlite3", db, "-cmd", "PRAGMA journal_mode=WAL", "-cmd", ".mode csv", ".import "+csvPath+" t")
	if err != nil {
		return t, fmt.Errorf("sqlite3 .import (apt-get install -y sqlite3): %v\n%s", err, t.out)
	}
	v, _ := exec.Command("sqlite3", "--version").Output()
	fmt.Printf("sqlite3 .import (%s): %.2fs (CPU %.2fs), peak RSS %d MB\n", strings.Fields(string(v))[0], t.secs, t.cpu, t.rss>>10)
	return t, nil
}

var districts = []string{"110101", "110102", "110105", "110106", "110107", "110108", "110112", "110113", "110114", "110115"}

// items are the 12 columns: a key, text, a code, integers, decimals, a date,
// a datetime and a boolean.
func items() []catalog.Item {
	return []catalog.Item{
		{Name: "record_id", LabelZh: "记录编号", Type: catalog.TypeText, Length: 12, Required: true, Key: true},
		{Name: "unit_name", LabelZh: "单位名称", Type: catalog.TypeText, Length: 50, Required: true},
		{Name: "district", LabelZh: "所在区", Type: catalog.TypeCode, CodeList: districtCodes()},
		{Name: "staff", LabelZh: "从业人数", Type: catalog.TypeInteger},
		{Name: "visits", LabelZh: "服务人次", Type: catalog.TypeInteger},
		{Name: "score", LabelZh: "评分", Type: catalog.TypeInteger},
		{Name: "revenue", LabelZh: "营业收入（万元）", Type: catalog.TypeDecimal, Precision: 2},
		{Name: "area", LabelZh: "面积（平方米）", Type: catalog.TypeDecimal, Precision: 1},
		{Name: "opened", LabelZh: "开业日期", Type: catalog.TypeDate},
		{Name: "checked_at", LabelZh: "检查时间", Type: catalog.TypeDatetime},
		{Name: "certified", LabelZh: "是否认证", Type: catalog.TypeBoolean},
		{Name: "note", LabelZh: "备注", Type: catalog.TypeText, Length: 100},
	}
}

func districtCodes() []catalog.Code {
	out := make([]catalog.Code, len(districts))
	for i, d := range districts {
		out[i] = catalog.Code{Code: d, Label: d}
	}
	return out
}

func generate(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	labels := make([]string, 12)
	for i, it := range items() {
		labels[i] = it.LabelZh
	}
	w.WriteString(strings.Join(labels, ",") + "\n")
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := 1; k <= n; k++ {
		d := base.AddDate(0, 0, k%1500)
		fmt.Fprintf(w, "R%010d,京华市第%d服务中心,%s,%d,%d,%d,%d.%02d,%d.%d,%s,%s %02d:%02d:00,%s,\"备注，第%d条\"\n",
			k, k%9973, districts[k%10], k%500, k*7%100000, k%101, k%1000000, k%100, k%5000, k%10, d.Format("2006-01-02"),
			d.Format("2006-01-02"), k%24, k%60, []string{"是", "否"}[k%2], k%1000)
	}
	return w.Flush()
}

// prepareOrganization creates the store and an institution, and returns
// the institution's id.
func prepareOrganization(dataDir, dsn string) (string, error) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dataDir, URL: dsn})
	if err != nil {
		return "", err
	}
	defer db.Close()
	if dsn != "" {
		db.Exec(`DELETE FROM resources WHERE title_zh IN ('基准测试数据', $1)`, firstTitle)
	}
	org, err := identity.NewService(db).CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator,
		NameZh: "基准测试机构", Code: fmt.Sprintf("BENCH%d", time.Now().UnixNano()%100000)})
	return org.ID, err
}

// prepare creates the store, an institution and the resource to load, and
// returns the resource's code. The score item is indexed for filtering.
func prepare(dataDir, dsn string) (string, error) {
	orgID, err := prepareOrganization(dataDir, dsn)
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dataDir, URL: dsn})
	if err != nil {
		return "", err
	}
	defer db.Close()
	cat := catalog.NewService(db)
	r, err := cat.Create(ctx, identity.System, orgID, catalog.Input{TitleZh: "基准测试数据", DescriptionZh: "基准测试", Subject: "20",
		Items: items(), UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
		Classification: catalog.ClassGeneral, Level: 1})
	if err != nil {
		return "", err
	}
	ds := datastore.New(datastore.Config{DB: db, Catalog: cat})
	if _, err := ds.SetSettings(ctx, identity.System, r.ID, datastore.LoadSettings{OnError: datastore.Refuse, KeepVersions: 2,
		Indexes: []string{"score"}}); err != nil {
		return "", err
	}
	return r.Code, nil
}

// searchLatency times the datastore queries of CKAN datastore_search calls, each with one indexed
// filter (the key, or the indexed score), as an anonymous reader of the
// published resource, through the access decision point.
func searchLatency(dataDir, dsn, code string, rows, n int) error {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dataDir, URL: dsn})
	if err != nil {
		return err
	}
	defer db.Close()
	cat := catalog.NewService(db)
	r, err := cat.GetByCode(ctx, identity.System, code)
	if err != nil {
		return err
	}
	op := identity.Principal{UserID: "bench", PlatformRoles: []identity.PlatformRole{identity.PlatformOperator}}
	if r.Status != catalog.StatusPublished {
		if _, err := cat.Submit(ctx, identity.System, r.ID); err != nil {
			return err
		}
		if _, err := cat.Review(ctx, op, r.ID, catalog.Approve, ""); err != nil {
			return err
		}
	}
	acc := access.New(db, cat, access.Config{AnonymousRate: 1 << 30})
	defer acc.Close()
	ds := datastore.New(datastore.Config{DB: db, Catalog: cat, Access: acc})
	rnd := rand.New(rand.NewPCG(1, 2))
	// The query CKAN's datastore_search builds from {"filters": {item: value}}:
	// limit 100 with the total.
	eq := func(item, value string) datastore.Query {
		return datastore.Query{Limit: 100, Total: true, Filters: []datastore.Filter{{Item: item, Op: datastore.OpEq, Values: []string{value}}}}
	}
	for _, test := range []struct {
		name  string
		query func() datastore.Query
	}{
		{"key equality (1 row)", func() datastore.Query { return eq("record_id", fmt.Sprintf("R%010d", rnd.IntN(rows)+1)) }},
		{"indexed score equality (~1% of rows, limit 100, total)", func() datastore.Query { return eq("score", fmt.Sprint(rnd.IntN(101))) }},
	} {
		var times []float64
		for i := 0; i < n; i++ {
			start := time.Now()
			page, err := ds.Search(ctx, identity.Anonymous, r.ID, "ckan.datastore_search", test.query())
			if err != nil {
				return fmt.Errorf("%s: %w", test.name, err)
			}
			times = append(times, time.Since(start).Seconds()*1000)
			if i == 0 {
				b, _ := json.Marshal(map[string]any{"total": page.Total, "estimated": page.TotalEstimated})
				fmt.Printf("  first answer: %s\n", b)
			}
		}
		slices.Sort(times)
		fmt.Printf("datastore_search %s on %d rows (%s): p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d calls\n", test.name, rows,
			dialectName(dsn), times[len(times)/2], times[len(times)*99/100], times[len(times)-1], n)
	}
	return nil
}
