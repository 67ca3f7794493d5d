package trade

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// prepared holds the trade's statements prepared once per connection on
// SQLite, where parsing every statement anew in each transaction was a
// third of a negotiation's cost; PostgreSQL runs them as given, as the
// store's own reads do (a pooler in front never meets a prepared statement).
type prepared struct {
	db *store.DB
	m  sync.Map // query → *sql.Stmt
	n  atomic.Int64
}

// maxPrepared bounds the statements kept: the trade's own and the few
// reads of the exchange's participants and products it makes in its
// transactions (past it, the rest run unprepared).
const maxPrepared = 64

func (p *prepared) stmt(ctx context.Context, query string) *sql.Stmt {
	if p.db.Dialect != store.SQLite {
		return nil
	}
	if st, ok := p.m.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if p.n.Load() >= maxPrepared {
		return nil
	}
	st, err := p.db.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil // running it unprepared reports the error
	}
	if prev, loaded := p.m.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	p.n.Add(1)
	return st
}

// in is tx as a store.Querier whose statements are prepared on SQLite:
// what the trade passes to the exchange's readers inside its transactions.
func (p *prepared) in(tx *store.Tx) store.Querier { return txQuerier{p, tx} }

type txQuerier struct {
	p  *prepared
	tx *store.Tx
}

func (q txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.p.exec(ctx, q.tx, query, args...)
}

func (q txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.p.stmt(ctx, query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return q.p.row(ctx, q.tx, query, args...)
}

// exec runs a write in tx, prepared on SQLite.
func (p *prepared) exec(ctx context.Context, tx *store.Tx, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// row runs a read of one row on q; in a transaction it is prepared on
// SQLite (the store prepares reads outside transactions itself).
func (p *prepared) row(ctx context.Context, q store.Querier, query string, args ...any) *sql.Row {
	if tx, ok := q.(*store.Tx); ok {
		if st := p.stmt(ctx, query); st != nil {
			return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
		}
	}
	return q.QueryRowContext(ctx, query, args...)
}

// The events' subject kinds.
const (
	subjectNegotiation = "exchange_negotiation"
	subjectContract    = "exchange_contract"
	subjectTransfer    = "exchange_transfer"
)

const negotiationColumns = `id, consumer_pid, product_id, offer_id, provider_id, provider_org_id, buyer_id, buyer_org_id, state,
	callback_address, purpose, policy, period_days, contract_id, code, reason, created_at, updated_at`

func scanNegotiation(row interface{ Scan(...any) error }) (Negotiation, error) {
	var n Negotiation
	var policy string
	err := row.Scan(&n.ID, &n.ConsumerPID, &n.ProductID, &n.OfferID, &n.ProviderID, &n.ProviderOrgID, &n.BuyerID, &n.BuyerOrgID,
		&n.State, &n.CallbackAddress, &n.Purpose, &policy, &n.PeriodDays, &n.ContractID, &n.Code, &n.Reason,
		store.ScanTime(&n.CreatedAt), store.ScanTime(&n.UpdatedAt))
	if err != nil {
		return n, err
	}
	return n, json.Unmarshal([]byte(policy), &n.Policy)
}

func (s *Service) getNegotiation(ctx context.Context, q store.Querier, id string) (Negotiation, error) {
	n, err := scanNegotiation(s.sql.row(ctx, q, `SELECT `+negotiationColumns+` FROM trade_negotiations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, notFound("negotiation", id)
	}
	return n, err
}

func queryNegotiations(ctx context.Context, q store.Querier, cond, tail string, args ...any) ([]Negotiation, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+negotiationColumns+` FROM trade_negotiations n WHERE `+cond+` `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("trade: negotiations: %w", err)
	}
	defer rows.Close()
	out := []Negotiation{}
	for rows.Next() {
		n, err := scanNegotiation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (s *Service) insertNegotiation(ctx context.Context, tx *store.Tx, n Negotiation, createdBy string) error {
	policy, err := json.Marshal(n.Policy)
	if err != nil {
		return err
	}
	_, err = s.sql.exec(ctx, tx, `INSERT INTO trade_negotiations (`+negotiationColumns+`, created_by)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)`,
		n.ID, n.ConsumerPID, n.ProductID, n.OfferID, n.ProviderID, n.ProviderOrgID, n.BuyerID, n.BuyerOrgID, n.State,
		n.CallbackAddress, n.Purpose, string(policy), n.PeriodDays, n.ContractID, n.Code, n.Reason,
		store.TS(n.CreatedAt), store.TS(n.UpdatedAt), createdBy)
	if err != nil {
		return fmt.Errorf("trade: insert negotiation: %w", err)
	}
	return nil
}

// moveNegotiation writes state to and n's terms if n is still in state
// from: a concurrent step that got there first makes it ErrState.
func (s *Service) moveNegotiation(ctx context.Context, tx *store.Tx, n Negotiation, from, to State) error {
	policy, err := json.Marshal(n.Policy)
	if err != nil {
		return err
	}
	res, err := s.sql.exec(ctx, tx, `UPDATE trade_negotiations SET state = $1, offer_id = $2, policy = $3, period_days = $4,
		contract_id = $5, code = $6, reason = $7, updated_at = $8 WHERE id = $9 AND state = $10`,
		to, n.OfferID, string(policy), n.PeriodDays, n.ContractID, n.Code, n.Reason, store.TS(n.UpdatedAt), n.ID, from)
	if err != nil {
		return fmt.Errorf("trade: update negotiation: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return refuseWith("trade_state", "the negotiation left state %s meanwhile", from)
	}
	return nil
}

const contractColumns = `c.id, c.negotiation_id, c.product_id, c.product_hash, c.provider_id, c.buyer_id, c.provider_org_id, c.buyer_org_id,
	c.resource_ids, c.purpose, c.policy, c.period_days, c.onward_transfer, c.price, c.amount_fen, c.valid_from, c.valid_until,
	c.delivery, c.hash, c.grant_id, c.status, c.created_at, c.updated_at`

func scanContract(row interface{ Scan(...any) error }) (Contract, error) {
	var c Contract
	var resources, policy, price, delivery string
	err := row.Scan(&c.ID, &c.NegotiationID, &c.ProductID, &c.ProductHash, &c.ProviderID, &c.BuyerID, &c.ProviderOrgID, &c.BuyerOrgID,
		&resources, &c.Purpose, &policy, &c.PeriodDays, &c.OnwardTransfer, &price, &c.AmountFen, store.ScanTime(&c.ValidFrom),
		store.ScanTime(&c.ValidUntil), &delivery, &c.Hash, &c.GrantID, &c.Status, store.ScanTime(&c.CreatedAt), store.ScanTime(&c.UpdatedAt))
	if err != nil {
		return c, err
	}
	for _, f := range []struct {
		raw string
		v   any
	}{{resources, &c.ResourceIDs}, {policy, &c.Policy}, {price, &c.Price}, {delivery, &c.Delivery}} {
		if err := json.Unmarshal([]byte(f.raw), f.v); err != nil {
			return c, fmt.Errorf("trade: contract %s: %w", c.ID, err)
		}
	}
	return c, nil
}

func (s *Service) getContract(ctx context.Context, q store.Querier, id string) (Contract, error) {
	c, err := scanContract(s.sql.row(ctx, q, `SELECT `+contractColumns+` FROM trade_contracts c WHERE c.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("contract", id)
	}
	return c, err
}

func queryContracts(ctx context.Context, q store.Querier, cond, tail string, args ...any) ([]Contract, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+contractColumns+` FROM trade_contracts c WHERE `+cond+` `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("trade: contracts: %w", err)
	}
	defer rows.Close()
	out := []Contract{}
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Service) insertContract(ctx context.Context, tx *store.Tx, c Contract, doc []byte) error {
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	_, err := s.sql.exec(ctx, tx, `INSERT INTO trade_contracts (id, negotiation_id, product_id, product_hash, provider_id, buyer_id,
		provider_org_id, buyer_org_id, resource_ids, purpose, policy, period_days, onward_transfer, price, amount_fen, valid_from,
		valid_until, delivery, hash, grant_id, status, document, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)`,
		c.ID, c.NegotiationID, c.ProductID, c.ProductHash, c.ProviderID, c.BuyerID, c.ProviderOrgID, c.BuyerOrgID,
		js(c.ResourceIDs), c.Purpose, js(c.Policy), c.PeriodDays, c.OnwardTransfer, js(c.Price), c.AmountFen, store.TS(c.ValidFrom),
		store.TS(c.ValidUntil), js(c.Delivery), c.Hash, c.GrantID, c.Status, string(doc), store.TS(c.CreatedAt), store.TS(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("trade: insert contract: %w", err)
	}
	return nil
}

// setContractStatus moves contract c to status to if it is still in one
// of from; otherwise ErrState.
func (s *Service) setContractStatus(ctx context.Context, tx *store.Tx, c *Contract, to string, from ...string) error {
	ph := make([]string, len(from))
	args := []any{to, store.TS(tx.Now()), c.ID}
	for i, f := range from {
		ph[i] = fmt.Sprintf("$%d", len(args)+1)
		args = append(args, f)
	}
	res, err := tx.ExecContext(ctx, `UPDATE trade_contracts SET status = $1, updated_at = $2 WHERE id = $3 AND status IN (`+
		strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return contractRefusal(c.Status, to)
	}
	c.Status, c.UpdatedAt = to, tx.Now()
	return nil
}

func contractRefusal(status, to string) error {
	return refuseWith("trade_contract_state", "a contract that is %s cannot become %s", status, to)
}

const transferColumns = `id, consumer_pid, contract_id, provider_org_id, buyer_org_id, format, state, callback_address, code, reason,
	created_at, updated_at`

func scanTransfer(row interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	err := row.Scan(&t.ID, &t.ConsumerPID, &t.ContractID, &t.ProviderOrgID, &t.BuyerOrgID, &t.Format, &t.State, &t.CallbackAddress,
		&t.Code, &t.Reason, store.ScanTime(&t.CreatedAt), store.ScanTime(&t.UpdatedAt))
	return t, err
}

// transferRow is a transfer with what only the service sees: the user it
// was requested by and its current data address's key.
type transferRow struct {
	Transfer
	createdBy, keyID string
}

func (s *Service) getTransfer(ctx context.Context, q store.Querier, id string) (transferRow, error) {
	var r transferRow
	row := s.sql.row(ctx, q, `SELECT `+transferColumns+`, created_by, key_id FROM trade_transfers WHERE id = $1`, id)
	err := row.Scan(&r.ID, &r.ConsumerPID, &r.ContractID, &r.ProviderOrgID, &r.BuyerOrgID, &r.Format, &r.State, &r.CallbackAddress,
		&r.Code, &r.Reason, store.ScanTime(&r.CreatedAt), store.ScanTime(&r.UpdatedAt), &r.createdBy, &r.keyID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound("transfer", id)
	}
	return r, err
}

func (s *Service) insertTransfer(ctx context.Context, tx *store.Tx, t Transfer, createdBy string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO trade_transfers (`+transferColumns+`, created_by, key_id)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'')`,
		t.ID, t.ConsumerPID, t.ContractID, t.ProviderOrgID, t.BuyerOrgID, t.Format, t.State, t.CallbackAddress, t.Code, t.Reason,
		store.TS(t.CreatedAt), store.TS(t.UpdatedAt), createdBy)
	if err != nil {
		return fmt.Errorf("trade: insert transfer: %w", err)
	}
	return nil
}

// listWhere is the condition of a list of the caller's processes in the
// table of alias a: on side "buyer", "provider" or either (""), in status
// (column statusCol), of a product, after a cursor (each when not empty).
func listWhere(actor identity.Principal, a, side, statusCol, status, productID, cursor string) (*where, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	if side != "" && side != "buyer" && side != "provider" {
		return nil, validate.Errors{{Field: "side", Value: side, Code: validate.CodeOneOf, Message: "must be one of buyer, provider, queue",
			Args: []any{"buyer, provider, queue"}}}
	}
	w := &where{}
	w.sides(actor, side, a)
	w.eq(a+"."+statusCol, status)
	w.eq(a+".product_id", productID)
	w.before(a+".id", cursor)
	return w, nil
}

// where builds a condition for the list queries.
type where struct {
	conds []string
	args  []any
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

func (w *where) eq(col, v string) {
	if v != "" {
		w.conds = append(w.conds, col+" = "+w.arg(v))
	}
}

func (w *where) before(col, cursor string) {
	if cursor != "" {
		w.conds = append(w.conds, col+" < "+w.arg(cursor))
	}
}

// sides limits rows (of table alias a) to the actor's organizations on
// side "buyer", "provider" or either (""); the exchange's and platform
// staff see every row on side "".
func (w *where) sides(actor identity.Principal, side, a string) {
	orgs := actor.OrgIDs()
	if side == "" && (exchange.CanStaff(actor) || actor.IsPlatformStaff()) {
		return
	}
	if len(orgs) == 0 {
		w.conds = append(w.conds, "FALSE")
		return
	}
	in := func(col string) string {
		ph := make([]string, len(orgs))
		for i, o := range orgs {
			ph[i] = w.arg(o)
		}
		return a + "." + col + " IN (" + strings.Join(ph, ", ") + ")"
	}
	switch side {
	case "buyer":
		w.conds = append(w.conds, in("buyer_org_id"))
	case "provider":
		w.conds = append(w.conds, in("provider_org_id"))
	default:
		w.conds = append(w.conds, "("+in("buyer_org_id")+" OR "+in("provider_org_id")+")")
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// limit returns the ORDER BY and LIMIT of a list (newest first): n
// rows, 50 by default, at most 500.
func limit(n int) string {
	if n <= 0 {
		n = 50
	}
	n = min(n, 500)
	return fmt.Sprintf("ORDER BY id DESC LIMIT %d", n)
}
