// Command search measures the open data portal's search: it loads N
// synthetic published resources (through the catalog service, as
// institutions would), starts the real dataport binary on them, and drives
// CKAN package_search (a keyword plus a facet filter, with facet counts)
// from concurrent clients. It reports p50 and p99 latency, requests per
// second, the server's peak RSS and how long the index took to build.
// Figures go in docs/benchmarks.md ("## Open data portal").
//
//	go run ./bench/search -n 100000 -data /tmp/search-bench   # load once, keep
//	go run ./bench/search -data /tmp/search-bench -skip-load -clients 32 -duration 30s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"dataport/bench/internal/benchsrv"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
)

func main() {
	n := flag.Int("n", 100000, "synthetic resources to load")
	dataDir := flag.String("data", "", "data dir to load into and serve (default: a temporary one, removed after)")
	skipLoad := flag.Bool("skip-load", false, "use the resources already in -data")
	doReindex := flag.Bool("reindex", true, "run `dataport reindex` first and time it (false: the server opens the index as it is)")
	clients := flag.Int("clients", 32, "concurrent clients")
	duration := flag.Duration("duration", 30*time.Second, "length of the measured run")
	binary := flag.String("binary", "", "dataport binary (default: go build ./cmd/dataport)")
	rows := flag.Int("rows", 10, "rows per package_search")
	facets := flag.Bool("facets", true, "ask for facet counts (organization, res_format, tags)")
	unique := flag.Bool("unique", false, "make every query different (a no-op negated tag), so no answer comes from the result cache")
	flag.StringVar(&serverArgs, "server-args", "", "more arguments for `dataport serve`, space-separated (e.g. \"--cpuprofile /tmp/search.pprof\"; read it with pprof -focus ServeHTTP, since it covers the start too)")
	flag.Parse()
	uniqueQueries, reindexFirst = *unique, *doReindex
	if err := run(*n, *dataDir, *skipLoad, *clients, *duration, *binary, *rows, *facets); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n int, dataDir string, skipLoad bool, clients int, duration time.Duration, binary string, rows int, facets bool) error {
	ctx := context.Background()
	if dataDir == "" {
		dir, err := os.MkdirTemp("", "search-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dataDir = dir
	}
	if !skipLoad {
		if err := load(ctx, dataDir, n); err != nil {
			return err
		}
	}
	if binary == "" {
		var err error
		if binary, err = benchsrv.Build("dataport-search-bench"); err != nil {
			return err
		}
	}
	if reindexFirst {
		start := time.Now()
		reindex := exec.Command(binary, "reindex", "--data", dataDir, "--log-level", "warn")
		reindex.Stdout, reindex.Stderr = os.Stdout, os.Stderr
		if err := reindex.Run(); err != nil {
			return fmt.Errorf("reindex: %w", err)
		}
		fmt.Printf("dataport reindex: %.1fs\n", time.Since(start).Seconds())
	}
	srv, err := benchsrv.Start(binary, append([]string{"serve", "--data", dataDir, "--log-level", "warn"}, strings.Fields(serverArgs)...)...)
	if err != nil {
		return err
	}
	defer srv.Stop()
	orgs, err := orgNames(srv.URL)
	if err != nil {
		return err
	}
	fmt.Printf("server up in %.1fs (search index opened and loaded into memory); %d institutions\n", srv.Ready.Seconds(), len(orgs))
	time.Sleep(3 * time.Second)                                  // let the ledger seal the load's events before measuring
	measure(srv.URL, orgs, clients, 3*time.Second, rows, facets) // warm up
	cpuBefore, err := srv.CPUSeconds()
	if err != nil {
		return err
	}
	res := measure(srv.URL, orgs, clients, duration, rows, facets)
	cpuAfter, err := srv.CPUSeconds()
	if err != nil {
		return err
	}
	rss, err := srv.PeakRSS()
	if err != nil {
		return err
	}
	fmt.Printf("package_search (keyword + facet filter%s, rows=%d%s), %d clients for %s:\n", map[bool]string{true: " + facet counts", false: ""}[facets], rows,
		map[bool]string{true: ", every query unique", false: ""}[uniqueQueries], clients, duration)
	fmt.Printf("  requests %d, errors %d, %.0f requests/s\n", res.count, res.errors, float64(res.count)/duration.Seconds())
	fmt.Printf("  latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", res.pct(50), res.pct(90), res.pct(99), res.pct(100))
	fmt.Printf("  mean hits per query %.0f\n", float64(res.hits)/float64(max(res.count, 1)))
	fmt.Printf("  server peak RSS %.0f MB\n", float64(rss)/1024)
	fmt.Printf("  server CPU %.2f ms per request (%.2f cores busy)\n", (cpuAfter-cpuBefore)*1000/float64(max(res.count, 1)), (cpuAfter-cpuBefore)/duration.Seconds())
	return nil
}

// Words the synthetic catalog is made of.
var (
	topics    = []string{"公交", "地铁", "出租车", "停车场", "医院", "诊所", "学校", "幼儿园", "空气质量", "水质", "企业", "个体工商户", "人口", "就业", "养老", "道路", "桥梁", "公园", "图书馆", "博物馆", "旅游景区", "酒店", "食品安全", "药品", "建筑工地", "住房", "社保", "低保", "消防", "气象", "农业", "林地", "河道", "垃圾分类", "充电桩", "共享单车", "快递", "菜市场", "体育场馆", "科技企业"}
	aspects   = []string{"实时", "统计", "名录", "分布", "月报", "年报", "监测", "基本信息", "许可", "检查结果", "预约", "投诉", "评价", "满意度", "运行", "能耗", "排放", "客流", "价格", "服务网点"}
	districts = []string{"东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "通州区", "顺义区", "昌平区", "大兴区", "房山区", "门头沟区", "怀柔区", "平谷区", "密云区", "延庆区"}
	englishOf = map[string]string{"公交": "bus", "地铁": "metro", "医院": "hospital", "学校": "school", "空气质量": "air quality", "企业": "enterprise", "人口": "population", "道路": "road", "公园": "park", "停车场": "parking"}
)

// load creates 20 institutions and n resources through the catalog
// service (create, submit, approve), as the platform's users would.
func load(ctx context.Context, dataDir string, n int) error {
	db, err := store.Open(ctx, store.Config{DataDir: dataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	ids, cat := identity.NewService(db), catalog.NewService(db)
	var orgs []identity.Organization
	for i := range 20 {
		first17 := fmt.Sprintf("121100000000%05d", i+1)
		check, _ := identity.USCCCheckChar(first17)
		o, err := ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindInstitution,
			NameZh: "京华市第" + strconv.Itoa(i+1) + "委员会", NameEn: fmt.Sprintf("Commission %d", i+1),
			USCC: first17 + string(check), Code: fmt.Sprintf("ORG%02d", i+1)})
		if err != nil {
			return err
		}
		orgs = append(orgs, o)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	for i := range n {
		in := synthetic(rng, i)
		r, err := cat.Create(ctx, identity.System, orgs[rng.IntN(len(orgs))].ID, in)
		if err == nil {
			_, err = cat.Submit(ctx, identity.System, r.ID)
		}
		if err == nil {
			_, err = cat.Review(ctx, identity.System, r.ID, catalog.Approve, "")
		}
		if err != nil {
			return fmt.Errorf("resource %d: %w", i, err)
		}
		if (i+1)%10000 == 0 {
			fmt.Printf("loaded %d resources (%.0f/s)\n", i+1, float64(i+1)/time.Since(start).Seconds())
		}
	}
	fmt.Printf("loaded %d resources in %.0fs\n", n, time.Since(start).Seconds())
	return nil
}

func pickOne(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }

func synthetic(rng *rand.Rand, i int) catalog.Input {
	topic, aspect, district := pickOne(rng, topics), pickOne(rng, aspects), pickOne(rng, districts)
	title := district + topic + aspect + "数据"
	in := catalog.Input{TitleZh: title, TitleEn: strings.TrimSpace(englishOf[topic] + " " + strconv.Itoa(i)),
		DescriptionZh: fmt.Sprintf("%s范围内%s的%s信息，包括%s和%s等内容，由主管部门按规定汇聚和更新。", district, topic, aspect, pickOne(rng, topics), pickOne(rng, aspects)),
		Subject:       fmt.Sprintf("%02d", 1+rng.IntN(22)), Keywords: []string{topic, aspect, district},
		UpdateFrequency: catalog.Frequencies[rng.IntN(len(catalog.Frequencies))],
		Classification:  catalog.ClassGeneral, Level: 1 + rng.IntN(2)}
	for _, f := range catalog.Formats {
		if rng.IntN(3) == 0 {
			in.Formats = append(in.Formats, f)
		}
	}
	switch x := rng.IntN(10); {
	case x < 6:
		in.ShareType, in.OpenType = catalog.ShareUnconditional, catalog.OpenUnconditional
	case x < 9:
		in.ShareType, in.OpenType, in.OpenBasis = catalog.ShareUnconditional, catalog.OpenConditional, "需申请并说明用途"
	default:
		in.ShareType, in.ShareBasis, in.OpenType, in.OpenBasis = catalog.ShareConditional, "按需共享", catalog.OpenNone, "涉及个人信息"
		in.Classification = catalog.ClassImportant
	}
	for j := range 3 + rng.IntN(4) {
		in.Items = append(in.Items, catalog.Item{Name: fmt.Sprintf("field_%d", j), LabelZh: pickOne(rng, aspects) + strconv.Itoa(j), Type: catalog.TypeText})
	}
	return in
}

func orgNames(base string) ([]string, error) {
	resp, err := http.Get(base + "/api/3/action/organization_list")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var env struct{ Result []string }
	err = json.NewDecoder(resp.Body).Decode(&env)
	return env.Result, err
}

type results struct {
	count, errors, hits int
	latencies           []float64 // ms
}

func (r results) pct(p float64) float64 {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies)-1) * p / 100)
	return r.latencies[i]
}

// measure runs clients goroutines, each sending package_search requests
// back to back (a keyword and a facet filter, varied) for d.
func measure(base string, orgs []string, clients int, d time.Duration, rows int, facets bool) results {
	var mu sync.Mutex
	var all results
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	transport := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			var mine results
			for time.Now().Before(deadline) {
				q := query(rng, orgs, rows, facets)
				start := time.Now()
				hits, err := search(client, base, q)
				ms := float64(time.Since(start).Microseconds()) / 1000
				mine.count++
				mine.latencies = append(mine.latencies, ms)
				mine.hits += hits
				if err != nil {
					mine.errors++
				}
			}
			mu.Lock()
			all.count += mine.count
			all.errors += mine.errors
			all.hits += mine.hits
			all.latencies = append(all.latencies, mine.latencies...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all.latencies)
	return all
}

// uniqueQueries adds a different no-op condition to every query;
// reindexFirst rebuilds the index before serving; serverArgs are added to
// the server's command line.
var (
	uniqueQueries, reindexFirst bool
	serverArgs                  string
)

func query(rng *rand.Rand, orgs []string, rows int, facets bool) url.Values {
	q := url.Values{"q": {pickOne(rng, topics)}, "rows": {strconv.Itoa(rows)}}
	switch rng.IntN(4) {
	case 0:
		q.Set("fq", "organization:"+pickOne(rng, orgs))
	case 1:
		q.Set("fq", "res_format:"+pickOne(rng, catalog.Formats))
	case 2:
		q.Set("fq", "tags:"+pickOne(rng, districts))
	default:
		q.Set("fq", "license_id:open-unconditional")
	}
	if facets {
		q.Set("facet.field", `["organization","res_format","tags"]`)
	}
	if uniqueQueries {
		q.Set("fq", q.Get("fq")+" -tags:x"+strconv.FormatUint(rng.Uint64(), 36))
	}
	return q
}

func search(client *http.Client, base string, q url.Values) (int, error) {
	resp, err := client.Get(base + "/api/3/action/package_search?" + q.Encode())
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	// The client reads the whole answer but parses only the count, so that
	// its own CPU (on the same two cores) stays small beside the server's.
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	i := bytes.Index(body, []byte(`"count":`))
	if i < 0 || !bytes.Contains(body, []byte(`"success":true`)) {
		return 0, fmt.Errorf("not a package_search result")
	}
	rest := body[i+len(`"count":`):]
	j := bytes.IndexAny(rest, ",}")
	return strconv.Atoi(string(bytes.TrimSpace(rest[:j])))
}
