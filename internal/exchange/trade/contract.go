package trade

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// Contract statuses: agreed (written at AGREED) → active (delivered at
// FINALIZED) → settled → completed (settled and a transfer completed);
// terminated when its negotiation is terminated before it is active.
const (
	ContractAgreed     = "agreed"
	ContractActive     = "active"
	ContractSettled    = "settled"
	ContractCompleted  = "completed"
	ContractTerminated = "terminated"
)

// ContractVersion names the layout of the canonical contract document.
const ContractVersion = "dataport.exchange.contract/1"

// Contract is the agreement a negotiation reached: its terms are fixed at
// AGREED and sealed in the ledger by the SHA-256 of Canonical().
type Contract struct {
	ID             string                  `json:"id" doc:"The agreement's id, urn:uuid:…"`
	NegotiationID  string                  `json:"negotiation_id"`
	ProductID      string                  `json:"product_id"`
	ProductHash    string                  `json:"product_hash" doc:"SHA-256 of the product's description as listed when agreed"`
	ProviderID     string                  `json:"provider_id"`
	BuyerID        string                  `json:"buyer_id"`
	ProviderOrgID  string                  `json:"provider_org_id"`
	BuyerOrgID     string                  `json:"buyer_org_id"`
	ResourceIDs    []string                `json:"resource_ids" doc:"The catalog resources delivered"`
	Purpose        string                  `json:"purpose"`
	Policy         access.Policy           `json:"policy" doc:"The agreed usage policy"`
	PeriodDays     int                     `json:"period_days"`
	OnwardTransfer bool                    `json:"onward_transfer" doc:"Whether the buyer may pass the data on (false: forbidden)"`
	Price          exchange.Price          `json:"price"`
	AmountFen      int64                   `json:"amount_fen" doc:"The agreed amount in fen: the price for one-off and subscriptions; the ceiling (unit price × the policy's count, 0 without one) per call or row"`
	ValidFrom      time.Time               `json:"valid_from"`
	ValidUntil     time.Time               `json:"valid_until"`
	Delivery       []exchange.DeliveryMode `json:"delivery"`
	Hash           string                  `json:"hash" doc:"SHA-256 (hex) of the canonical contract document, sealed in the ledger"`
	GrantID        string                  `json:"grant_id,omitempty" doc:"The delivery grant, from FINALIZED (none for zone delivery alone)"`
	Status         string                  `json:"status" enum:"agreed,active,settled,completed,terminated"`
	CreatedAt      time.Time               `json:"created_at" doc:"When it was agreed"`
	UpdatedAt      time.Time               `json:"updated_at"`
}

// contractDoc is the canonical document's content: the terms, never the
// status or the grant, which change.
type contractDoc struct {
	Version        string                  `json:"version"`
	ID             string                  `json:"id"`
	NegotiationID  string                  `json:"negotiation_id"`
	ProductID      string                  `json:"product_id"`
	ProductHash    string                  `json:"product_hash"`
	ProviderID     string                  `json:"provider_id"`
	ProviderOrgID  string                  `json:"provider_org_id"`
	BuyerID        string                  `json:"buyer_id"`
	BuyerOrgID     string                  `json:"buyer_org_id"`
	ResourceIDs    []string                `json:"resource_ids"`
	Purpose        string                  `json:"purpose"`
	Policy         access.Policy           `json:"policy"`
	PeriodDays     int                     `json:"period_days"`
	OnwardTransfer bool                    `json:"onward_transfer"`
	Price          exchange.Price          `json:"price"`
	AmountFen      int64                   `json:"amount_fen"`
	ValidFrom      string                  `json:"valid_from"`
	ValidUntil     string                  `json:"valid_until"`
	Delivery       []exchange.DeliveryMode `json:"delivery"`
	AgreedAt       string                  `json:"agreed_at"`
}

// Canonical returns the contract's canonical JSON document: its terms as
// one JSON object with keys sorted at every level, no insignificant
// space, no HTML escaping, times in RFC 3339 UTC with microseconds (the
// JSON Canonicalization Scheme of RFC 8785 for this document, whose
// numbers are all integers). Its SHA-256 is Hash; anyone holding the
// document can recompute it.
func (c Contract) Canonical() []byte {
	doc := contractDoc{Version: ContractVersion, ID: c.ID, NegotiationID: c.NegotiationID, ProductID: c.ProductID,
		ProductHash: c.ProductHash, ProviderID: c.ProviderID, ProviderOrgID: c.ProviderOrgID, BuyerID: c.BuyerID,
		BuyerOrgID: c.BuyerOrgID, ResourceIDs: nonNil(c.ResourceIDs), Purpose: c.Purpose, Policy: c.Policy,
		PeriodDays: c.PeriodDays, OnwardTransfer: c.OnwardTransfer, Price: c.Price, AmountFen: c.AmountFen,
		ValidFrom: canonicalTime(c.ValidFrom), ValidUntil: canonicalTime(c.ValidUntil), Delivery: nonNil(c.Delivery),
		AgreedAt: canonicalTime(c.CreatedAt)}
	raw, err := json.Marshal(doc)
	if err != nil {
		panic("trade: contract document: " + err.Error()) // plain data: cannot fail
	}
	// Decode into generic values and encode again: maps encode with
	// sorted keys, which fixes the order of nested objects too.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic("trade: contract document: " + err.Error())
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("trade: contract document: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ComputeHash returns the hex SHA-256 of the contract's canonical document.
func (c Contract) ComputeHash() string {
	sum := sha256.Sum256(c.Canonical())
	return hex.EncodeToString(sum[:])
}

func canonicalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// amount is what a contract on product p under policy pol for period
// days comes to: the price for one-off; the price per started period for
// subscriptions; the ceiling unit × count for per-call and per-row prices
// (0 when the policy sets no count: settled on use alone).
func amount(price exchange.Price, pol access.Policy, period int) int64 {
	switch price.Model {
	case exchange.PriceSubscription:
		per := max(price.PeriodDays, 1)
		return price.AmountFen * int64((period+per-1)/per)
	case exchange.PricePerCall:
		return price.AmountFen * pol.MaxCalls
	case exchange.PricePerRow:
		return price.AmountFen * pol.MaxRows
	}
	return price.AmountFen
}

// newContract writes the contract of negotiation n (whose ContractID is
// set) over product p in tx with its "exchange.contract.agreed" event.
func (s *Service) newContract(ctx context.Context, tx *store.Tx, actor identity.Principal, n *Negotiation, p exchange.Product) (Contract, error) {
	now := tx.Now()
	c := Contract{ID: n.ContractID, NegotiationID: n.ID, ProductID: p.ID, ProductHash: p.Hash, ProviderID: n.ProviderID, BuyerID: n.BuyerID,
		ProviderOrgID: n.ProviderOrgID, BuyerOrgID: n.BuyerOrgID, ResourceIDs: nonNil(p.ResourceIDs), Purpose: n.Purpose, Policy: n.Policy,
		PeriodDays: n.PeriodDays, OnwardTransfer: p.Offer.OnwardTransfer, Price: p.Price, AmountFen: amount(p.Price, n.Policy, n.PeriodDays),
		ValidFrom: now, ValidUntil: now.AddDate(0, 0, n.PeriodDays), Delivery: nonNil(p.Delivery), Status: ContractAgreed,
		CreatedAt: now, UpdatedAt: now}
	doc := c.Canonical()
	c.Hash = sha256Hex(doc)
	if err := s.insertContract(ctx, tx, c, doc); err != nil {
		return Contract{}, err
	}
	return c, tx.Emit(ctx, store.Event{Type: "exchange.contract.agreed", ActorUserID: actor.UserID, SubjectKind: subjectContract, SubjectID: c.ID},
		map[string]any{"negotiation_id": n.ID, "product_id": p.ID, "product_hash": p.Hash, "provider_id": c.ProviderID,
			"buyer_id": c.BuyerID, "amount_fen": c.AmountFen, "contract_sha256": c.Hash})
}

// deliver creates the contract's delivery grant in tx: the buyer's
// organization may read the product's resources under the agreed policy,
// with the actions its delivery modes allow, until the contract ends. A
// contract delivered in a zone alone gets no grant (zones authorise their
// own computations); its delivery is recorded in the activation event.
func (s *Service) deliver(ctx context.Context, tx *store.Tx, actor identity.Principal, c *Contract) error {
	actions := deliveryActions(c.Delivery, c.Policy.Actions)
	if len(actions) > 0 && len(c.ResourceIDs) > 0 {
		pol := c.Policy
		pol.Actions = actions
		if len(pol.Purposes) == 0 {
			pol.Purposes = []string{c.Purpose}
		}
		g, err := s.acc.CreateGrant(ctx, tx, actor, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: c.BuyerOrgID,
			ResourceIDs: c.ResourceIDs, Purpose: c.Purpose, Policy: pol, ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil,
			OriginKind: access.OriginContract, OriginID: c.ID})
		if err != nil {
			return err
		}
		c.GrantID = g.ID
	}
	c.Status, c.UpdatedAt = ContractActive, tx.Now()
	if _, err := s.sql.exec(ctx, tx, `UPDATE trade_contracts SET status = $1, grant_id = $2, updated_at = $3 WHERE id = $4`,
		c.Status, c.GrantID, store.TS(c.UpdatedAt), c.ID); err != nil {
		return err
	}
	return tx.Emit(ctx, store.Event{Type: "exchange.contract.activated", ActorUserID: actor.UserID, SubjectKind: subjectContract, SubjectID: c.ID},
		map[string]any{"grant_id": c.GrantID, "delivery": c.Delivery, "contract_sha256": c.Hash})
}

// deliveryActions are the access actions the delivery modes allow, within
// the agreed policy's actions when it names any: a file download, the row
// API. A zone's computations are authorised by the zone, not here.
func deliveryActions(modes []exchange.DeliveryMode, agreed []access.Action) []access.Action {
	var out []access.Action
	add := func(a access.Action) {
		if (len(agreed) == 0 || contains(agreed, a)) && !contains(out, a) {
			out = append(out, a)
		}
	}
	for _, m := range modes {
		switch m {
		case exchange.DeliveryFile:
			add(access.ActionDownload)
		case exchange.DeliveryAPI:
			add(access.ActionRead)
		}
	}
	return out
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ContractByID returns a contract without a permission check (for the
// dispute, risk and protocol layers, which check their callers).
func (s *Service) ContractByID(ctx context.Context, q store.Querier, id string) (Contract, error) {
	return s.getContract(ctx, q, id)
}

// Contract returns a contract its parties (and the exchange's staff) may
// see; to anyone else it does not exist.
func (s *Service) Contract(ctx context.Context, actor identity.Principal, id string) (Contract, error) {
	c, err := s.getContract(ctx, s.db, id)
	if err != nil {
		return Contract{}, err
	}
	if !canSee(actor, c.ProviderOrgID, c.BuyerOrgID) {
		return Contract{}, notFound("contract", id)
	}
	return c, nil
}

// ContractDocument returns the canonical JSON document of a contract its
// caller may see, as it was hashed and sealed, with the contract.
func (s *Service) ContractDocument(ctx context.Context, actor identity.Principal, id string) ([]byte, Contract, error) {
	c, err := s.Contract(ctx, actor, id)
	if err != nil {
		return nil, Contract{}, err
	}
	var doc string
	if err := s.db.QueryRowContext(ctx, `SELECT document FROM trade_contracts WHERE id = $1`, id).Scan(&doc); err != nil {
		return nil, Contract{}, err
	}
	return []byte(doc), c, nil
}

// ContractFilter selects contracts; zero fields match every contract the
// caller may see.
type ContractFilter struct {
	Side      string // "buyer", "provider" or "" (both) — for the caller's organizations
	Status    string
	ProductID string
	Cursor    string // the last id of the previous page
	Limit     int    // 1–500, default 50
}

// Contracts lists the contracts of the caller's organizations (every
// contract for the exchange's staff), newest first.
func (s *Service) Contracts(ctx context.Context, actor identity.Principal, f ContractFilter) ([]Contract, error) {
	w, err := listWhere(actor, "c", f.Side, "status", f.Status, f.ProductID, f.Cursor)
	if err != nil {
		return nil, err
	}
	return queryContracts(ctx, s.db, w.sql(), limit(f.Limit), w.args...)
}

// AgreedEventID returns the id of the event that sealed contract id's hash
// (exchange.contract.agreed): its ledger receipt proves the contract.
func (s *Service) AgreedEventID(ctx context.Context, id string) (string, error) {
	var ev string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM events WHERE subject_kind = $1 AND subject_id = $2 AND type = $3 ORDER BY seq LIMIT 1`,
		subjectContract, id, "exchange.contract.agreed").Scan(&ev)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("agreement event of contract", id)
	}
	return ev, err
}
