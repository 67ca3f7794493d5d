package trade

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Settlement records what a contract comes to and who owes what: the
// amount, the exchange's fees on each side and the invoices issued. No
// money moves through the platform.
type Settlement struct {
	ID             string              `json:"id"`
	ContractID     string              `json:"contract_id"`
	Model          exchange.PriceModel `json:"model"`
	UnitFen        int64               `json:"unit_fen" doc:"The price per unit of the model"`
	Units          int64               `json:"units" doc:"Periods, calls or rows charged (1 for one-off)"`
	AmountFen      int64               `json:"amount_fen" doc:"What the buyer owes the provider"`
	BuyerFeeBP     int                 `json:"buyer_fee_bp" doc:"The buyer's fee rate, basis points"`
	ProviderFeeBP  int                 `json:"provider_fee_bp" doc:"The provider's fee rate, basis points"`
	BuyerFeeFen    int64               `json:"buyer_fee_fen"`
	ProviderFeeFen int64               `json:"provider_fee_fen"`
	BuyerPaysFen   int64               `json:"buyer_pays_fen" doc:"Amount plus the buyer's fee"`
	ProviderNetFen int64               `json:"provider_net_fen" doc:"Amount less the provider's fee"`
	Status         string              `json:"status" enum:"settled"`
	Invoices       []Invoice           `json:"invoices"`
	SettledBy      string              `json:"settled_by"`
	CreatedAt      time.Time           `json:"created_at"`
}

// Invoice is an invoice recorded at settlement (issued outside the platform).
type Invoice struct {
	ID          string    `json:"id"`
	Number      string    `json:"number"`
	Kind        string    `json:"kind" enum:"price,buyer_fee,provider_fee"`
	IssuerOrgID string    `json:"issuer_org_id" doc:"Who issues it: the provider's organization, or empty for the exchange"`
	PayerOrgID  string    `json:"payer_org_id"`
	AmountFen   int64     `json:"amount_fen"`
	IssuedAt    time.Time `json:"issued_at"`
}

// Rating is the buyer's rating of a contract's product.
type Rating struct {
	ContractID string    `json:"contract_id"`
	ProductID  string    `json:"product_id"`
	BuyerID    string    `json:"buyer_id"`
	Stars      int       `json:"stars" minimum:"1" maximum:"5"`
	Comment    string    `json:"comment"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// fee is amount × bp / 10,000, rounded half up (a negative rate: none).
func fee(amount int64, bp int) int64 {
	if bp <= 0 || amount <= 0 {
		return 0
	}
	return (amount*int64(bp) + 5000) / 10000
}

// units returns what settlement charges for contract c: one-off 1, a
// subscription's started periods, and for per-call and per-row prices
// the calls or rows used under its grant so far (capped by the policy's
// count, if any).
func (s *Service) units(ctx context.Context, c Contract) (int64, error) {
	switch c.Price.Model {
	case exchange.PriceSubscription:
		per := max(c.Price.PeriodDays, 1)
		return int64((c.PeriodDays + per - 1) / per), nil
	case exchange.PricePerCall, exchange.PricePerRow:
	default:
		return 1, nil
	}
	if c.GrantID == "" {
		return 0, nil
	}
	gs, err := s.acc.GrantsByOrigin(ctx, access.OriginContract, c.ID)
	if err != nil {
		return 0, err
	}
	var used int64
	for _, g := range gs {
		if c.Price.Model == exchange.PricePerCall {
			used += g.Usage.Calls
		} else {
			used += g.Usage.Rows
		}
	}
	ceiling := c.Policy.MaxCalls
	if c.Price.Model == exchange.PricePerRow {
		ceiling = c.Policy.MaxRows
	}
	if ceiling > 0 && used > ceiling {
		used = ceiling
	}
	return used, nil
}

// Settle records the settlement of an active contract, for an editor or
// admin of the provider or the exchange's staff: the amount (per-call and
// per-row prices on the use so far), fees by the configured rates and
// the invoices. The contract becomes settled (completed, if a transfer
// under it was completed).
func (s *Service) Settle(ctx context.Context, actor identity.Principal, contractID string) (Settlement, error) {
	c, err := s.Contract(ctx, actor, contractID)
	if err != nil {
		return Settlement{}, err
	}
	if !canAct(actor, c.ProviderOrgID) && !exchange.CanStaff(actor) {
		return Settlement{}, identity.ErrForbidden
	}
	units, err := s.units(ctx, c)
	if err != nil {
		return Settlement{}, err
	}
	st := Settlement{ID: store.NewID(), ContractID: c.ID, Model: c.Price.Model, UnitFen: c.Price.AmountFen, Units: units,
		AmountFen: c.Price.AmountFen * units, BuyerFeeBP: max(s.cfg.FeeRates[exchange.RoleBuyer], 0),
		ProviderFeeBP: max(s.cfg.FeeRates[exchange.RoleProvider], 0), Status: ContractSettled, SettledBy: actor.UserID}
	st.BuyerFeeFen, st.ProviderFeeFen = fee(st.AmountFen, st.BuyerFeeBP), fee(st.AmountFen, st.ProviderFeeBP)
	st.BuyerPaysFen, st.ProviderNetFen = st.AmountFen+st.BuyerFeeFen, st.AmountFen-st.ProviderFeeFen
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		st.CreatedAt = tx.Now()
		from := c.Status
		to := ContractSettled
		if done, err := s.transferCompleted(ctx, tx, c.ID); err != nil {
			return err
		} else if done {
			to = ContractCompleted
		}
		if err := s.setContractStatus(ctx, tx, &c, to, ContractActive); err != nil {
			return err
		}
		if err := insertSettlement(ctx, tx, &st, c); err != nil {
			return err
		}
		if err := tx.Emit(ctx, store.Event{Type: "exchange.contract.settled", ActorUserID: actor.UserID,
			ActorOrgID: actingOrg(actor, c.BuyerOrgID, c.ProviderOrgID), SubjectKind: subjectContract, SubjectID: c.ID},
			map[string]any{"settlement_id": st.ID, "amount_fen": st.AmountFen, "units": st.Units, "buyer_fee_fen": st.BuyerFeeFen,
				"provider_fee_fen": st.ProviderFeeFen, "invoice_ids": invoiceIDs(st.Invoices), "contract_sha256": c.Hash}); err != nil {
			return err
		}
		if err := s.changed(ctx, tx, Change{Contract: &c, From: State(from), To: State(ContractSettled)}); err != nil {
			return err
		}
		if to == ContractCompleted {
			return s.contractCompleted(ctx, tx, actor, &c, ContractSettled)
		}
		return nil
	})
	if err != nil {
		return Settlement{}, err
	}
	return st, nil
}

func invoiceIDs(inv []Invoice) []string {
	out := make([]string, len(inv))
	for i, v := range inv {
		out[i] = v.ID
	}
	return out
}

// insertSettlement writes st and its invoices (those with an amount).
func insertSettlement(ctx context.Context, tx *store.Tx, st *Settlement, c Contract) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO trade_settlements (id, contract_id, model, unit_fen, units, amount_fen, buyer_fee_bp,
		provider_fee_bp, buyer_fee_fen, provider_fee_fen, status, settled_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		st.ID, st.ContractID, st.Model, st.UnitFen, st.Units, st.AmountFen, st.BuyerFeeBP, st.ProviderFeeBP, st.BuyerFeeFen,
		st.ProviderFeeFen, st.Status, st.SettledBy, store.TS(st.CreatedAt))
	if store.IsUniqueViolation(err) {
		return validate.Refuse(store.ErrConflict, "already_settled", "the contract is already settled")
	} else if err != nil {
		return fmt.Errorf("trade: insert settlement: %w", err)
	}
	st.Invoices = []Invoice{}
	for _, inv := range []Invoice{
		{Kind: "price", IssuerOrgID: c.ProviderOrgID, PayerOrgID: c.BuyerOrgID, AmountFen: st.AmountFen},
		{Kind: "buyer_fee", PayerOrgID: c.BuyerOrgID, AmountFen: st.BuyerFeeFen},
		{Kind: "provider_fee", PayerOrgID: c.ProviderOrgID, AmountFen: st.ProviderFeeFen},
	} {
		if inv.AmountFen <= 0 {
			continue
		}
		inv.ID, inv.IssuedAt = store.NewID(), st.CreatedAt
		inv.Number = "DP" + st.CreatedAt.Format("20060102") + "-" + strings.ToUpper(inv.ID[len(inv.ID)-10:])
		if _, err := tx.ExecContext(ctx, `INSERT INTO trade_invoices (id, settlement_id, number, kind, issuer_org_id, payer_org_id,
			amount_fen, issued_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, inv.ID, st.ID, inv.Number, inv.Kind, inv.IssuerOrgID, inv.PayerOrgID,
			inv.AmountFen, store.TS(inv.IssuedAt)); err != nil {
			return fmt.Errorf("trade: insert invoice: %w", err)
		}
		st.Invoices = append(st.Invoices, inv)
	}
	return nil
}

// transferCompleted reports whether a transfer under contract id was completed.
func (s *Service) transferCompleted(ctx context.Context, q store.Querier, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM trade_transfers WHERE contract_id = $1 AND state = $2`, id, Completed).Scan(&n)
	return n > 0, err
}

// completeContract moves a settled contract whose transfer completed to completed.
func (s *Service) completeContract(ctx context.Context, tx *store.Tx, actor identity.Principal, c *Contract) error {
	if err := s.setContractStatus(ctx, tx, c, ContractCompleted, ContractSettled); err != nil {
		return err
	}
	return s.contractCompleted(ctx, tx, actor, c, ContractSettled)
}

// contractCompleted emits the completion of c and calls the hooks.
func (s *Service) contractCompleted(ctx context.Context, tx *store.Tx, actor identity.Principal, c *Contract, from string) error {
	if err := tx.Emit(ctx, store.Event{Type: "exchange.contract.completed", ActorUserID: actor.UserID, SubjectKind: subjectContract,
		SubjectID: c.ID}, map[string]any{"contract_sha256": c.Hash}); err != nil {
		return err
	}
	return s.changed(ctx, tx, Change{Contract: c, From: State(from), To: State(ContractCompleted)})
}

// Settlement returns a contract's settlement, for whoever may see the contract.
func (s *Service) Settlement(ctx context.Context, actor identity.Principal, contractID string) (Settlement, error) {
	if _, err := s.Contract(ctx, actor, contractID); err != nil {
		return Settlement{}, err
	}
	var st Settlement
	err := s.db.QueryRowContext(ctx, `SELECT id, contract_id, model, unit_fen, units, amount_fen, buyer_fee_bp, provider_fee_bp,
		buyer_fee_fen, provider_fee_fen, status, settled_by, created_at FROM trade_settlements WHERE contract_id = $1`, contractID).Scan(
		&st.ID, &st.ContractID, &st.Model, &st.UnitFen, &st.Units, &st.AmountFen, &st.BuyerFeeBP, &st.ProviderFeeBP, &st.BuyerFeeFen,
		&st.ProviderFeeFen, &st.Status, &st.SettledBy, store.ScanTime(&st.CreatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return st, notFound("settlement of contract", contractID)
	} else if err != nil {
		return st, err
	}
	st.BuyerPaysFen, st.ProviderNetFen = st.AmountFen+st.BuyerFeeFen, st.AmountFen-st.ProviderFeeFen
	rows, err := s.db.QueryContext(ctx, `SELECT id, number, kind, issuer_org_id, payer_org_id, amount_fen, issued_at FROM trade_invoices
		WHERE settlement_id = $1 ORDER BY id`, st.ID)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	st.Invoices = []Invoice{}
	for rows.Next() {
		var inv Invoice
		if err := rows.Scan(&inv.ID, &inv.Number, &inv.Kind, &inv.IssuerOrgID, &inv.PayerOrgID, &inv.AmountFen, store.ScanTime(&inv.IssuedAt)); err != nil {
			return st, err
		}
		st.Invoices = append(st.Invoices, inv)
	}
	return st, rows.Err()
}

// Rate records the buyer's rating of a contract (1–5 stars and a comment
// of up to 2,000 characters), by an editor or admin of the buyer, once
// the contract is settled or a transfer under it completed; one per
// contract. The event carries the comment's hash.
func (s *Service) Rate(ctx context.Context, actor identity.Principal, contractID string, stars int, comment string) (Rating, error) {
	comment = strings.TrimSpace(comment)
	var errs validate.Errors
	if stars < 1 || stars > 5 {
		errs.Add("stars", stars, validate.CodeRange, "must be between %d and %d", 1, 5)
	}
	errs.MaxLen("comment", comment, 2000)
	if err := errs.Err(); err != nil {
		return Rating{}, err
	}
	c, err := s.Contract(ctx, actor, contractID)
	if err != nil {
		return Rating{}, err
	}
	if !canAct(actor, c.BuyerOrgID) {
		return Rating{}, identity.ErrForbidden
	}
	r := Rating{ContractID: c.ID, ProductID: c.ProductID, BuyerID: c.BuyerID, Stars: stars, Comment: comment, CreatedBy: actor.UserID}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		done := c.Status == ContractSettled || c.Status == ContractCompleted
		if !done {
			var err error
			if done, err = s.transferCompleted(ctx, tx, c.ID); err != nil {
				return err
			}
		}
		if !done {
			return refuseWith("trade_not_completed", "a contract can be rated once it is settled or a transfer under it completed")
		}
		r.CreatedAt = tx.Now()
		_, err := tx.ExecContext(ctx, `INSERT INTO trade_ratings (contract_id, product_id, buyer_id, stars, comment, created_by, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, r.ContractID, r.ProductID, r.BuyerID, r.Stars, r.Comment, r.CreatedBy, store.TS(r.CreatedAt))
		if store.IsUniqueViolation(err) {
			return validate.Refuse(store.ErrConflict, "already_rated", "the contract is already rated")
		} else if err != nil {
			return err
		}
		if err := tx.Emit(ctx, store.Event{Type: "exchange.contract.rated", ActorUserID: actor.UserID, ActorOrgID: c.BuyerOrgID,
			SubjectKind: subjectContract, SubjectID: c.ID}, map[string]any{"product_id": c.ProductID, "stars": stars,
			"comment_sha256": store.SHA256Hex(comment), "contract_sha256": c.Hash}); err != nil {
			return err
		}
		return s.changed(ctx, tx, Change{Contract: &c, From: State(c.Status), To: "rated"})
	})
	if err != nil {
		return Rating{}, err
	}
	return r, nil
}

// Rating returns a contract's rating, for whoever may see the contract.
func (s *Service) Rating(ctx context.Context, actor identity.Principal, contractID string) (Rating, error) {
	if _, err := s.Contract(ctx, actor, contractID); err != nil {
		return Rating{}, err
	}
	var r Rating
	err := s.db.QueryRowContext(ctx, `SELECT contract_id, product_id, buyer_id, stars, comment, created_by, created_at FROM trade_ratings
		WHERE contract_id = $1`, contractID).Scan(&r.ContractID, &r.ProductID, &r.BuyerID, &r.Stars, &r.Comment, &r.CreatedBy,
		store.ScanTime(&r.CreatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound("rating of contract", contractID)
	}
	return r, err
}
