package risk

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/store"
)

// Trade is a contract agreed, as the engine records it.
type Trade struct {
	ContractID string
	ProductID  string
	Lineage    []string // the products ProductID is derived from, directly or not (nil: looked up)
	ProviderID string   // participant
	BuyerID    string   // participant
	PriceModel string
	UnitFen    int64 // the agreed price per unit of the model
	AmountFen  int64
	At         time.Time
}

// Order is a negotiation requested, as the engine counts it.
type Order struct {
	NegotiationID string
	ProductID     string
	ProviderID    string
	BuyerID       string
	At            time.Time
}

// ObserveTrade records t in tx (the transaction that agrees its contract),
// runs the trade rules on it — price history and cycle detection included —
// and raises their alerts in tx. The trade joins the graph once tx commits;
// a contract observed before is not observed again. It returns the alerts
// raised or repeated.
func (e *Engine) ObserveTrade(ctx context.Context, tx *store.Tx, t Trade) ([]Alert, error) {
	if t.At.IsZero() {
		t.At = tx.Now()
	}
	if t.Lineage == nil {
		var err error
		if t.Lineage, err = e.lineageOf(ctx, tx, t.ProductID); err != nil {
			return nil, err
		}
	}
	if fresh, err := e.recordTrade(ctx, tx, t); err != nil || !fresh {
		return nil, err
	}
	f := Facts{Kind: KindTrade, Trade: TradeFacts{ContractID: t.ContractID, ProductID: t.ProductID, ProviderID: t.ProviderID,
		BuyerID: t.BuyerID, PriceModel: t.PriceModel, UnitFen: t.UnitFen, AmountFen: t.AmountFen}}
	var err error
	if f.Price, err = e.priceFacts(ctx, tx, t); err != nil {
		return nil, err
	}
	e.mu.Lock()
	if err := e.fresh(ctx, tx); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	f.Trade.Related = e.graph.related(t.ProviderID, t.BuyerID)
	f.Cycle = e.graph.cycle(t, searchLimits{window: e.cfg.CycleWindow, maxDepth: e.cfg.CycleDepth, maxEdges: e.cfg.CycleEdges})
	rules := e.rules
	e.mu.Unlock()
	tx.AfterCommit(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.joined(t)
	})
	return e.run(ctx, tx, rules, &f)
}

// The statements every trade runs.
const (
	insertTrade = `INSERT INTO risk_trades (contract_id, product_id, lineage, provider_id, buyer_id, price_model, unit_fen, amount_fen, at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (contract_id) DO NOTHING`
	priceHistory = `SELECT unit_fen FROM risk_trades WHERE product_id = $1 AND price_model = $2 AND contract_id <> $3
		ORDER BY at DESC LIMIT $4`
)

// prepareHot prepares the statements every trade runs, once, on SQLite,
// where parsing them anew in every transaction was a third of their cost;
// PostgreSQL runs them as given, so that a pooler in front never meets a
// prepared statement.
func (e *Engine) prepareHot(ctx context.Context) error {
	if e.db.Dialect != store.SQLite || e.hot != nil {
		return nil
	}
	e.hot = map[string]*sql.Stmt{}
	for _, q := range []string{insertTrade, priceHistory} {
		st, err := e.db.DB.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("risk: prepare: %w", err)
		}
		e.hot[q] = st
	}
	return nil
}

// exec runs a write of tx, prepared when it is one of the hot queries.
func (e *Engine) exec(ctx context.Context, tx *store.Tx, query string, args ...any) (sql.Result, error) {
	if st := e.hot[query]; st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// query runs a read of tx, prepared when it is one of the hot queries.
func (e *Engine) query(ctx context.Context, tx *store.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := e.hot[query]; st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// recordTrade writes t; fresh is false when its contract was recorded before.
func (e *Engine) recordTrade(ctx context.Context, tx *store.Tx, t Trade) (fresh bool, err error) {
	lineage, _ := json.Marshal(t.Lineage)
	res, err := e.exec(ctx, tx, insertTrade, t.ContractID, t.ProductID, string(lineage), t.ProviderID, t.BuyerID, t.PriceModel, t.UnitFen, t.AmountFen, store.TS(t.At))
	if err != nil {
		return false, fmt.Errorf("risk: record trade: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// lineageOf is every product id derives from, following DerivedFrom up to
// Config.ProductLookup products; remembered once read.
func (e *Engine) lineageOf(ctx context.Context, q store.Querier, id string) ([]string, error) {
	e.mu.Lock()
	known, ok := e.lineages[id]
	e.mu.Unlock()
	if ok || e.productOf == nil {
		return known, nil
	}
	out := []string{}
	queue, seen := []string{id}, map[string]bool{id: true}
	for len(queue) > 0 && len(seen) <= e.cfg.ProductLookup {
		p, err := e.productOf(ctx, q, queue[0])
		queue = queue[1:]
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("risk: product lineage: %w", err)
		}
		for _, parent := range p.DerivedFrom {
			if !seen[parent] {
				seen[parent] = true
				out, queue = append(out, parent), append(queue, parent)
			}
		}
	}
	e.mu.Lock()
	e.lineages[id] = out
	e.mu.Unlock()
	return out, nil
}

// ObserveOrder counts o in tx (the transaction that requests its
// negotiation) and runs the order rules (bursts of orders).
func (e *Engine) ObserveOrder(ctx context.Context, tx *store.Tx, o Order) ([]Alert, error) {
	if o.At.IsZero() {
		o.At = tx.Now()
	}
	if err := e.signal(ctx, tx, KindOrder, o.BuyerID, o.ProductID, o.NegotiationID, o.At); err != nil {
		return nil, err
	}
	f := Facts{Kind: KindOrder, Orders: OrderFacts{NegotiationID: o.NegotiationID, ProductID: o.ProductID, ProviderID: o.ProviderID,
		BuyerID: o.BuyerID, WindowMinutes: int64(e.cfg.BurstWindow / time.Minute)}}
	since := o.At.Add(-e.cfg.BurstWindow)
	var err error
	if f.Orders.BuyerRecent, f.Orders.ProductRecent, err = e.counts(ctx, tx, KindOrder, o.BuyerID, o.ProductID, since); err != nil {
		return nil, err
	}
	return e.runKind(ctx, tx, &f)
}

// signal records something counted in windows: an order, a failed review.
func (e *Engine) signal(ctx context.Context, tx *store.Tx, kind Kind, participantID, productID, refID string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO risk_signals (id, kind, participant_id, product_id, ref_id, at) VALUES ($1,$2,$3,$4,$5,$6)`,
		store.NewID(), kind, participantID, productID, refID, store.TS(at))
	if err != nil {
		return fmt.Errorf("risk: record %s: %w", kind, err)
	}
	return nil
}

// counts are the signals of kind since a time, of a participant and of a product.
func (e *Engine) counts(ctx context.Context, tx *store.Tx, kind Kind, participantID, productID string, since time.Time) (byParticipant, byProduct int64, err error) {
	err = tx.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM risk_signals WHERE kind = $1 AND participant_id = $2 AND at >= $4),
		(SELECT count(*) FROM risk_signals WHERE kind = $1 AND product_id = $3 AND at >= $4)`,
		kind, participantID, productID, store.TS(since)).Scan(&byParticipant, &byProduct)
	if err != nil {
		err = fmt.Errorf("risk: count %s: %w", kind, err)
	}
	return byParticipant, byProduct, err
}

// OnReviewFailed counts a listing rejected or returned by its compliance
// review and runs the review rules; the exchange's core calls it in the
// transaction of the decision (register it with ex.OnReviewFailed).
func (e *Engine) OnReviewFailed(ctx context.Context, tx *store.Tx, p exchange.Product, _ string) error {
	if err := e.signal(ctx, tx, KindReview, p.ProviderID, p.ID, p.ID, tx.Now()); err != nil {
		return err
	}
	f := Facts{Kind: KindReview, Review: ReviewFacts{ProductID: p.ID, ProviderID: p.ProviderID,
		WindowDays: int64(e.cfg.ReviewWindow / (24 * time.Hour))}}
	var err error
	f.Review.ProviderFailures, f.Review.ProductFailures, err = e.counts(ctx, tx, KindReview, p.ProviderID, p.ID, tx.Now().Add(-e.cfg.ReviewWindow))
	if err != nil {
		return err
	}
	_, err = e.runKind(ctx, tx, &f)
	return err
}

// OnSourceChange runs the source rules on a change to a product's source
// declaration; the exchange's core calls it in the transaction of the
// change (register it with ex.OnSourceChange).
func (e *Engine) OnSourceChange(ctx context.Context, tx *store.Tx, before, after exchange.Product) error {
	f := Facts{Kind: KindSource, Source: SourceFacts{ProductID: after.ID, ProviderID: after.ProviderID,
		Listed: before.ListedAt != nil || before.Status == exchange.ProductListed || before.Status == exchange.ProductSuspended,
		Before: string(before.Source), After: string(after.Source), KindChanged: before.Source != after.Source,
		NoteChanged: before.SourceNote != after.SourceNote, EvidenceChanged: !sameDocuments(before.SourceEvidence, after.SourceEvidence)}}
	_, err := e.runKind(ctx, tx, &f)
	return err
}

// sameDocuments reports whether a and b hold the same files (by hash).
func sameDocuments(a, b []exchange.Document) bool {
	hashes := func(docs []exchange.Document) []string {
		out := make([]string, len(docs))
		for i, d := range docs {
			out[i] = d.SHA256
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(hashes(a), hashes(b))
}

// OnAccessDenied runs the denial rules on a read refused under a grant
// (register it with access's OnDenied). Repeats under one grant within
// Config.DenialPause are not looked at again, so that a client hammering a
// used-up quota costs nothing; the first is looked at in the background,
// in a transaction of its own (the read may be decided inside another
// transaction), and a failure is logged: the denial stands either way.
func (e *Engine) OnAccessDenied(ctx context.Context, d access.Denial) {
	if !e.firstDenial(d.GrantID, d.At) {
		return
	}
	e.pending.Add(1)
	go func() {
		defer e.pending.Done()
		if err := e.observeDenial(context.WithoutCancel(ctx), d); err != nil {
			e.cfg.Log.ErrorContext(ctx, "risk: a denial was not looked at", "grant", d.GrantID, "err", err)
		}
	}()
}

// Close waits until the denials being looked at are done.
func (e *Engine) Close() { e.pending.Wait() }

func (e *Engine) observeDenial(ctx context.Context, d access.Denial) error {
	return e.db.Transact(ctx, func(tx *store.Tx) error {
		f := Facts{Kind: KindDenial, Denial: DenialFacts{Reason: d.Reason, OriginKind: string(d.OriginKind), GrantID: d.GrantID,
			ResourceID: d.ResourceID}}
		if d.OriginKind == access.OriginContract {
			f.Denial.ContractID = d.OriginID
			err := tx.QueryRowContext(ctx, `SELECT product_id, provider_id, buyer_id FROM risk_trades WHERE contract_id = $1`, d.OriginID).
				Scan(&f.Denial.ProductID, &f.Denial.ProviderID, &f.Denial.BuyerID)
			if err != nil && !isNoRows(err) {
				return err
			}
		}
		_, err := e.runKind(ctx, tx, &f)
		return err
	})
}

// firstDenial reports whether a denial under grant at is the first within
// Config.DenialPause, and remembers it.
func (e *Engine) firstDenial(grant string, at time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if last, ok := e.denials[grant]; ok && at.Sub(last) < e.cfg.DenialPause {
		return false
	}
	if len(e.denials) > 100000 { // forget the oldest pauses wholesale
		clear(e.denials)
	}
	e.denials[grant] = at
	return true
}

// runKind runs the current rules of f's kind.
func (e *Engine) runKind(ctx context.Context, tx *store.Tx, f *Facts) ([]Alert, error) {
	e.mu.Lock()
	err := e.fresh(ctx, tx)
	rules := e.rules
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return e.run(ctx, tx, rules, f)
}

// run evaluates the enabled rules of f's kind and raises the alerts of
// those that hold. A rule that fails to evaluate (a runtime error such as
// a division by zero) is logged and skipped: it never stops the change.
func (e *Engine) run(ctx context.Context, tx *store.Tx, rules []compiledRule, f *Facts) ([]Alert, error) {
	var act map[string]any
	var out []Alert
	for i := range rules {
		r := &rules[i]
		if !r.Enabled || r.On != f.Kind {
			continue
		}
		if act == nil {
			act = f.activation()
		}
		v, _, err := r.cond.ContextEval(ctx, act)
		if err != nil {
			e.cfg.Log.WarnContext(ctx, "risk: a rule failed to evaluate", "rule", r.Name, "err", err)
			continue
		}
		if hold, _ := v.Value().(bool); !hold {
			continue
		}
		key, err := r.dedupeKey(ctx, act, f)
		if err != nil {
			e.cfg.Log.WarnContext(ctx, "risk: a rule's dedupe key failed to evaluate", "rule", r.Name, "err", err)
			continue
		}
		a, err := e.raise(ctx, tx, r.AlertRule, f, key)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// dedupeKey names what repeats of r's alert share: its dedupe expression's
// value, or the observation's default (the contract, the negotiation, the
// grant or the product).
func (r *compiledRule) dedupeKey(ctx context.Context, act map[string]any, f *Facts) (string, error) {
	if r.key != nil {
		v, _, err := r.key.ContextEval(ctx, act)
		if err != nil {
			return "", err
		}
		s, _ := v.Value().(string)
		return s, nil
	}
	switch f.Kind {
	case KindTrade:
		return f.Trade.ContractID, nil
	case KindOrder:
		return f.Orders.NegotiationID, nil
	case KindDenial:
		return f.Denial.GrantID, nil
	case KindReview:
		return f.Review.ProductID, nil
	}
	return f.Source.ProductID, nil
}
