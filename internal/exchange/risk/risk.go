// Package risk is the exchange's risk warning, which article 22 asks
// for. Configurable rules in CEL run over what happens on the exchange —
// contracts agreed, orders, reads refused under a contract's grant, failed
// compliance reviews, source declarations changed after listing — with
// circular trades found by cycle detection over the trade graph of related
// parties. Alerts carry a severity, evidence (ids and figures, never
// personal data) and an owner queue; exchange staff acknowledge and close
// them, and suspend a participant or a product from them. Every change is
// an event written in its transaction.
package risk

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/store"
)

// Kind is a kind of observation rules run on.
type Kind string

// The kinds of observation.
const (
	KindTrade  Kind = "trade"          // a contract agreed
	KindOrder  Kind = "order"          // a negotiation requested
	KindDenial Kind = "access_denied"  // a read refused under a grant
	KindReview Kind = "review_failed"  // a listing rejected or returned by its compliance review
	KindSource Kind = "source_changed" // a listed product's source declaration changed
)

// Kinds lists every kind.
var Kinds = []Kind{KindTrade, KindOrder, KindDenial, KindReview, KindSource}

// Severity is how urgent an alert is.
type Severity string

// The severities, least urgent first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists every severity, least urgent first.
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Config tunes the engine. Zero fields take the defaults.
type Config struct {
	CycleWindow   time.Duration // trades a circular trade may span (default 30 days)
	CycleDepth    int           // trades in a cycle at most (default 8)
	CycleEdges    int           // trades one search reads at most (default 20,000)
	PriceHistory  int           // earlier trades a price is compared with (default 20)
	BurstWindow   time.Duration // the window orders are counted in (default 10 minutes)
	ReviewWindow  time.Duration // the window failed reviews are counted in (default 90 days)
	RefreshEvery  time.Duration // how often rules, related parties and other processes' trades are read again (default 30 s)
	DenialPause   time.Duration // how long repeats of a denial under one grant are not looked at again (default 1 minute)
	ProductLookup int           // ancestors followed up a product's derivation at most (default 16)
	Log           *slog.Logger  // default slog.Default()
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.CycleWindow, 30*24*time.Hour)
	def(&c.BurstWindow, 10*time.Minute)
	def(&c.ReviewWindow, 90*24*time.Hour)
	def(&c.RefreshEvery, 30*time.Second)
	def(&c.DenialPause, time.Minute)
	for _, n := range []struct {
		p *int
		v int
	}{{&c.CycleDepth, 8}, {&c.CycleEdges, 20000}, {&c.PriceHistory, 20}, {&c.ProductLookup, 16}} {
		if *n.p <= 0 {
			*n.p = n.v
		}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Engine runs the rules on what it observes and keeps the alerts. It is
// safe for concurrent use.
type Engine struct {
	db  *store.DB
	ex  *exchange.Service
	cfg Config

	// The exchange's records the engine reads (its accessors; replaced in
	// the benchmark, whose participants and products are not written
	// through the exchange).
	relationsOf func(ctx context.Context, q store.Querier) ([]exchange.Relation, error)
	productOf   func(ctx context.Context, q store.Querier, id string) (exchange.Product, error)

	pending sync.WaitGroup // denials being looked at

	mu          sync.Mutex // guards what follows
	graph       *graph
	rules       []compiledRule
	refreshedAt time.Time            // rules and relations read
	denials     map[string]time.Time // grant → the denial last looked at
	lineages    map[string][]string  // product → what it derives from, once read
	prices      priceBook            // products' last prices

	hot map[string]*sql.Stmt // the queries every trade runs, prepared on SQLite (written by Load only)
}

// New returns the engine on db, reading participants and products through
// ex. Call Load before it observes anything.
func New(db *store.DB, ex *exchange.Service, cfg Config) *Engine {
	cfg.defaults()
	e := &Engine{db: db, ex: ex, cfg: cfg, graph: newGraph(), denials: map[string]time.Time{},
		lineages: map[string][]string{}, prices: priceBook{n: cfg.PriceHistory, m: map[priceKey][]int64{}}}
	if ex != nil {
		e.relationsOf, e.productOf = ex.Relations, ex.ProductByID
	}
	return e
}

// Load seeds the default rules that are missing and builds the trade graph
// from the trades recorded within the cycle window.
func (e *Engine) Load(ctx context.Context) error {
	if err := e.seedRules(ctx); err != nil {
		return err
	}
	if err := e.prepareHot(ctx); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.graph = newGraph()
	return e.refresh(ctx, e.db)
}

// catchUpOverlap is how far before the latest trade in the graph the
// trades recorded since are read again: a trade committed late by another
// process (its transaction began earlier) is still found.
const catchUpOverlap = 10 * time.Minute

// catchUp adds to the graph the trades recorded since the latest it holds
// (at first, those of the cycle window): those of other processes serving
// the same store (e.mu held). It reads outside any transaction, so that a
// trade not committed yet never enters the graph.
func (e *Engine) catchUp(ctx context.Context) error {
	since := time.Now().Add(-e.cfg.CycleWindow)
	if !e.graph.latest.IsZero() {
		since = e.graph.latest
	}
	since = since.Add(-catchUpOverlap)
	trades, err := storedTrades(ctx, e.db, since)
	if err != nil {
		return err
	}
	for _, t := range trades {
		e.joined(t)
	}
	return nil
}

// joined puts a recorded trade in the graph and its price in the price
// book, once (e.mu held).
func (e *Engine) joined(t Trade) {
	if e.graph.add(t) {
		e.prices.add(t)
		e.lineages[t.ProductID] = t.Lineage
	}
}

// storedTrades reads the trades recorded at or after since, oldest first.
func storedTrades(ctx context.Context, q store.Querier, since time.Time) ([]Trade, error) {
	rows, err := q.QueryContext(ctx, `SELECT contract_id, product_id, lineage, provider_id, buyer_id, price_model, unit_fen, amount_fen, at
		FROM risk_trades WHERE at >= $1`, store.TS(since))
	if err != nil {
		return nil, fmt.Errorf("risk: trades: %w", err)
	}
	defer rows.Close()
	var out []Trade
	for rows.Next() {
		var t Trade
		var lineage string
		if err := rows.Scan(&t.ContractID, &t.ProductID, &lineage, &t.ProviderID, &t.BuyerID, &t.PriceModel, &t.UnitFen, &t.AmountFen,
			store.ScanTime(&t.At)); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(lineage), &t.Lineage); err != nil {
			return nil, fmt.Errorf("risk: trade %s: lineage: %w", t.ContractID, err)
		}
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, rows.Err()
}

// refresh reads the rules, the related parties and the trades other
// processes recorded again (e.mu held).
func (e *Engine) refresh(ctx context.Context, q store.Querier) error {
	rules, err := e.loadRules(ctx, q)
	if err != nil {
		return err
	}
	if err := e.catchUp(ctx); err != nil {
		return err
	}
	if e.relationsOf != nil {
		rels, err := e.relationsOf(ctx, q)
		if err != nil {
			return fmt.Errorf("risk: related parties: %w", err)
		}
		e.graph.setRelations(rels)
	}
	e.rules, e.refreshedAt = rules, time.Now()
	return nil
}

// fresh refreshes what is older than Config.RefreshEvery (e.mu held).
func (e *Engine) fresh(ctx context.Context, q store.Querier) error {
	if time.Since(e.refreshedAt) < e.cfg.RefreshEvery {
		return nil
	}
	return e.refresh(ctx, q)
}

// RelationsChanged makes the next observation read the related parties
// (and the rules) again: the exchange calls it after every change of
// related parties (exchange.Service.OnRelationChange), so a trade placed
// right after a relation is declared is judged with it.
func (e *Engine) RelationsChanged() { e.rulesChanged() }

// rulesChanged makes the next observation read the rules again.
func (e *Engine) rulesChanged() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refreshedAt = time.Time{}
}
