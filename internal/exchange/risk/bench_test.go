package risk

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// market is a synthetic exchange for the benchmark: thousands of
// participants, a tenth of them in related-party groups of two to four;
// products listed by a fifth of them, a fifth of the products derived from
// another (made by one of the busy buyers); trades from a product's
// provider to buyers, one in ten a resale by one of its last buyers (an
// offer allowing onward transfer), the products and buyers following a
// Zipf law (a few popular products, a few busy buyers).
type market struct {
	rng       *rand.Rand
	parts     []string
	relations []exchange.Relation
	products  []string
	provider  map[string]string
	lineage   map[string][]string
	prodZipf  *rand.Zipf
	buyerZipf *rand.Zipf
	buyers    map[string][]string // product → its last buyers, who may resell it
	n         int
}

func newMarket(participants, products int) *market {
	m := &market{rng: rand.New(rand.NewPCG(1, 2)), provider: map[string]string{}, lineage: map[string][]string{},
		buyers: map[string][]string{}}
	for i := range participants {
		m.parts = append(m.parts, fmt.Sprintf("participant-%05d", i))
	}
	related := participants / 10
	for i := 0; i+1 < related; {
		size := 2 + m.rng.IntN(3)
		for j := 1; j < size && i+j < related; j++ {
			m.relations = append(m.relations, exchange.Relation{ParticipantID: m.parts[i*10], OtherID: m.parts[(i+j)*10], Kind: exchange.RelationController})
		}
		i += size
	}
	m.prodZipf = rand.NewZipf(m.rng, 1.1, 4, uint64(products-1))
	m.buyerZipf = rand.NewZipf(m.rng, 1.05, 8, uint64(participants-1))
	for i := range products {
		id := fmt.Sprintf("product-%05d", i)
		m.products = append(m.products, id)
		m.lineage[id], m.provider[id] = []string{}, m.parts[m.rng.IntN(participants/5)]
		if i > 10 && m.rng.IntN(5) == 0 { // made by one of the busy buyers
			parent := m.products[m.rng.IntN(i)]
			m.lineage[id], m.provider[id] = append([]string{parent}, m.lineage[parent]...), m.parts[m.buyerZipf.Uint64()]
		}
	}
	return m
}

// trade is the market's next trade, at.
func (m *market) trade(at time.Time) Trade {
	m.n++
	p := m.products[m.prodZipf.Uint64()]
	seller, buyer := m.provider[p], m.parts[m.buyerZipf.Uint64()]
	if last := m.buyers[p]; len(last) > 0 && m.rng.IntN(10) == 0 { // a resale, where the offer allows onward transfer
		seller = last[m.rng.IntN(len(last))]
	}
	for buyer == seller {
		buyer = m.parts[m.rng.IntN(len(m.parts))]
	}
	if m.buyers[p] = append(m.buyers[p], buyer); len(m.buyers[p]) > 50 {
		m.buyers[p] = m.buyers[p][1:]
	}
	price := int64(10000 + m.rng.IntN(2000))
	if m.rng.IntN(200) == 0 {
		price *= 5 // now and then far from the history
	}
	return Trade{ContractID: fmt.Sprintf("urn:uuid:bench-%07d", m.n), ProductID: p, Lineage: m.lineage[p], ProviderID: seller, BuyerID: buyer,
		PriceModel: "one_off", UnitFen: price, AmountFen: price, At: at}
}

// window is the cycle window (the default): the benchmarks' 100,000
// trades all fall in it, so that every one of them is in the graph and
// may be searched.
const window = 30 * 24 * time.Hour

// seed writes n trades spread over the span before end.
func (m *market) seed(tb testing.TB, db *store.DB, n int, span time.Duration, end time.Time) {
	tb.Helper()
	ctx := context.Background()
	step := span / time.Duration(n)
	err := db.Transact(ctx, func(tx *store.Tx) error {
		for i := range n {
			t := m.trade(end.Add(-time.Duration(n-i) * step))
			lineage, _ := json.Marshal(t.Lineage)
			if _, err := tx.ExecContext(ctx, `INSERT INTO risk_trades (contract_id, product_id, lineage, provider_id, buyer_id, price_model,
				unit_fen, amount_fen, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, t.ContractID, t.ProductID, string(lineage), t.ProviderID, t.BuyerID,
				t.PriceModel, t.UnitFen, t.AmountFen, store.TS(t.At)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkObserveTrade measures the risk rules' cost per trade with
// 100,000 trades in the graph, all within the cycle window (3,000
// participants, 2,000 products): each operation is one transaction that
// records a contract and runs every trade rule on it — the price history,
// cycle detection over the window, the CEL rules and the alerts they
// raise — then commits. It reports the
// p50 and p99 of the whole transaction and of ObserveTrade alone, and the
// alerts raised. RISK_BENCH_DB=postgres runs it on PostgreSQL.
func BenchmarkObserveTrade(b *testing.B) {
	dialect := store.SQLite
	if os.Getenv("RISK_BENCH_DB") == "postgres" {
		dialect = store.Postgres
	}
	db := storetest.Open(b, dialect)
	ctx := context.Background()
	m := newMarket(3000, 2000)
	now := time.Now().UTC()
	m.seed(b, db, 100000, window, now)
	e := New(db, nil, Config{CycleWindow: window})
	e.relationsOf = func(context.Context, store.Querier) ([]exchange.Relation, error) { return m.relations, nil }
	started := time.Now()
	if err := e.Load(ctx); err != nil {
		b.Fatal(err)
	}
	if n := len(e.graph.known); n != 100000 {
		b.Fatalf("the graph holds %d trades, want 100,000", n)
	}
	b.Logf("loaded 100,000 trades in %v", time.Since(started))
	whole, observe := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	alerts, cycles := 0, 0
	cpu := cpuTime()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := m.trade(now.Add(time.Duration(i) * time.Second))
		start := time.Now()
		err := db.Transact(ctx, func(tx *store.Tx) error {
			s := time.Now()
			raised, err := e.ObserveTrade(ctx, tx, t)
			observe = append(observe, time.Since(s))
			alerts += len(raised)
			for _, a := range raised {
				if a.Rule == "circular_trade" {
					cycles++
				}
			}
			return err
		})
		whole = append(whole, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu)/time.Microsecond)/float64(len(whole)), "cpu-µs/trade")
	for _, s := range []struct {
		name string
		d    []time.Duration
	}{{"tx", whole}, {"observe", observe}} {
		slices.Sort(s.d)
		b.ReportMetric(ms(s.d[len(s.d)/2]), s.name+"-p50-ms")
		b.ReportMetric(ms(s.d[len(s.d)*99/100]), s.name+"-p99-ms")
	}
	b.ReportMetric(float64(alerts)/float64(len(whole)), "alerts/trade")
	b.ReportMetric(float64(cycles)/float64(len(whole)), "cycles/trade")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCycleSearch measures cycle detection alone, in memory: the
// search a new trade starts over the graph of the benchmark market's
// 100,000 trades within the window, p50 and p99.
func BenchmarkCycleSearch(b *testing.B) {
	m := newMarket(3000, 2000)
	g := newGraph()
	now := time.Now()
	step := window / 100000
	for i := range 100000 {
		g.add(m.trade(now.Add(-time.Duration(100000-i) * step)))
	}
	g.setRelations(m.relations)
	lim := searchLimits{window: window, maxDepth: 8, maxEdges: 20000}
	took := make([]time.Duration, 0, b.N)
	found := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := m.trade(now.Add(time.Duration(i) * time.Second))
		start := time.Now()
		if g.cycle(t, lim).Found {
			found++
		}
		took = append(took, time.Since(start))
		g.add(t)
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2])/1e3, "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100])/1e3, "p99-µs")
	b.ReportMetric(float64(found)/float64(len(took)), "cycles/trade")
}

// BenchmarkCycleSearchBound measures the worst a search may cost: one
// product family of 100,000 resales among 3,000 participants within the
// window, and trades that close no cycle, so that every search reads
// edges until its bound (Config.CycleEdges, 20,000) stops it: the seller
// has never bought.
func BenchmarkCycleSearchBound(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	g := newGraph()
	now := time.Now()
	part := func() string { return fmt.Sprintf("participant-%05d", rng.IntN(3000)) }
	for i := range 100000 {
		g.add(Trade{ContractID: fmt.Sprint(i), ProductID: "p", ProviderID: part(), BuyerID: part(), At: now.Add(-time.Duration(i) * time.Second)})
	}
	g.add(Trade{ContractID: "first", ProductID: "p", ProviderID: "seller", BuyerID: part(), At: now}) // sells, never buys
	g.setRelations(nil)
	lim := searchLimits{window: window, maxDepth: 8, maxEdges: 20000}
	truncated := 0
	b.ResetTimer()
	for b.Loop() {
		if g.cycle(Trade{ContractID: "x", ProductID: "p", ProviderID: "seller", BuyerID: part(), At: now}, lim).Truncated {
			truncated++
		}
	}
	b.ReportMetric(float64(truncated)/float64(b.N), "truncated/search")
}
