package trade

import (
	"context"
	"net/url"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// TransferInput asks for a transfer under a contract.
type TransferInput struct {
	ContractID      string `json:"contract_id"`
	ConsumerPID     string `json:"consumer_pid,omitempty" doc:"The consumer's process id (\"\": one is made up)"`
	Format          string `json:"format,omitempty" doc:"HttpData-PULL (the default and the only format)"`
	CallbackAddress string `json:"callback_address,omitempty"`
}

// RequestTransfer asks, as an editor or admin of the buyer, for a transfer
// under an active contract with a delivery grant. It is returned in
// REQUESTED; an HttpData-PULL transfer is started by a following
// transaction before RequestTransfer returns (STARTED), after which
// DataAddress hands out where and how to read.
func (s *Service) RequestTransfer(ctx context.Context, actor identity.Principal, in TransferInput) (Transfer, error) {
	if actor.IsAnonymous() {
		return Transfer{}, identity.ErrForbidden
	}
	in.ConsumerPID = strings.TrimSpace(in.ConsumerPID)
	if in.Format == "" {
		in.Format = FormatHTTPPull
	}
	var errs validate.Errors
	errs.Required("contract_id", in.ContractID)
	errs.MaxLen("consumer_pid", in.ConsumerPID, 200)
	validate.OneOf(&errs, "format", in.Format, FormatHTTPPull)
	checkCallback(&errs, in.CallbackAddress)
	if err := errs.Err(); err != nil {
		return Transfer{}, err
	}
	var t Transfer
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		c, err := s.getContract(ctx, tx, in.ContractID)
		if err != nil {
			return err
		}
		if !canSee(actor, c.ProviderOrgID, c.BuyerOrgID) {
			return notFound("contract", in.ContractID)
		}
		if !canAct(actor, c.BuyerOrgID) {
			return identity.ErrForbidden
		}
		if err := deliverable(c, tx.Now()); err != nil {
			return err
		}
		now := tx.Now()
		t = Transfer{ID: newPID(), ConsumerPID: in.ConsumerPID, ContractID: c.ID, ProviderOrgID: c.ProviderOrgID, BuyerOrgID: c.BuyerOrgID,
			Format: in.Format, State: Requested, CallbackAddress: in.CallbackAddress, CreatedAt: now, UpdatedAt: now}
		if t.ConsumerPID == "" {
			t.ConsumerPID = newPID()
		}
		if err := s.insertTransfer(ctx, tx, t, actor.UserID); err != nil {
			return err
		}
		return s.transferred(ctx, tx, actor, &t, "", &c)
	})
	if err != nil {
		return Transfer{}, err
	}
	if _, err := s.transferStep(ctx, identity.System, t.ID, forSystem, Started, "", ""); err != nil {
		s.cfg.Logger.WarnContext(ctx, "trade: starting a transfer failed", "transfer", t.ID, "err", err)
	}
	return t, nil
}

// deliverable refuses a transfer under c unless c is delivered through a
// grant and still running at now.
func deliverable(c Contract, now time.Time) error {
	switch {
	case c.Status != ContractActive && c.Status != ContractSettled && c.Status != ContractCompleted:
		return refuseWith("trade_not_active", "the contract is %s, not active", c.Status)
	case c.GrantID == "":
		return refuseWith("trade_no_grant", "the contract is delivered in a zone, not through the rows API")
	case !now.Before(c.ValidUntil):
		return refuseWith("trade_expired", "the contract ended at %s", c.ValidUntil.Format(time.RFC3339))
	}
	return nil
}

// SuspendTransfer suspends a started transfer (either party); its data
// address stops working at once. ResumeTransfer starts it again, and the
// next DataAddress hands out a new key.
func (s *Service) SuspendTransfer(ctx context.Context, actor identity.Principal, id, code, reason string) (Transfer, error) {
	return s.transferStep(ctx, actor, id, forEither, Suspended, code, reason)
}

// ResumeTransfer starts a suspended transfer again (either party).
func (s *Service) ResumeTransfer(ctx context.Context, actor identity.Principal, id string) (Transfer, error) {
	return s.transferStep(ctx, actor, id, forEither, Started, "", "")
}

// CompleteTransfer marks a started transfer completed (either party); its
// data address stops working. A settled contract is then completed.
func (s *Service) CompleteTransfer(ctx context.Context, actor identity.Principal, id string) (Transfer, error) {
	return s.transferStep(ctx, actor, id, forEither, Completed, "", "")
}

// TerminateTransfer ends a transfer that is not final (either party),
// with a code and a reason (both optional); its data address stops working.
func (s *Service) TerminateTransfer(ctx context.Context, actor identity.Principal, id, code, reason string) (Transfer, error) {
	return s.transferStep(ctx, actor, id, forEither, Terminated, code, reason)
}

// transferStep moves transfer id to state to for actor acting as who.
func (s *Service) transferStep(ctx context.Context, actor identity.Principal, id string, who party, to State, code, reason string) (Transfer, error) {
	code, reason = strings.TrimSpace(code), strings.TrimSpace(reason)
	var errs validate.Errors
	errs.MaxLen("code", code, 100)
	errs.MaxLen("reason", reason, 1000)
	if err := errs.Err(); err != nil {
		return Transfer{}, err
	}
	var t transferRow
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = s.actOnTransfer(ctx, tx, actor, id, who); err != nil {
			return err
		}
		if err := refuseStep(transferSteps, "transfer", t.State, to); err != nil {
			return err
		}
		c, err := s.getContract(ctx, tx, t.ContractID)
		if err != nil {
			return err
		}
		from, oldKey := t.State, t.keyID
		t.State, t.UpdatedAt, t.keyID = to, tx.Now(), ""
		if to == Suspended || to == Terminated {
			t.Code, t.Reason = code, reason
		}
		res, err := tx.ExecContext(ctx, `UPDATE trade_transfers SET state = $1, code = $2, reason = $3, key_id = '', updated_at = $4
			WHERE id = $5 AND state = $6`, t.State, t.Code, t.Reason, store.TS(t.UpdatedAt), t.ID, from)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return refuseWith("trade_state", "the transfer left state %s meanwhile", from)
		}
		if oldKey != "" {
			if _, err := s.acc.RevokeKeyIn(ctx, tx, actor.UserID, c.GrantID, oldKey); err != nil {
				return err
			}
		}
		if err := s.transferred(ctx, tx, actor, &t.Transfer, from, &c); err != nil {
			return err
		}
		if to == Completed && c.Status == ContractSettled {
			return s.completeContract(ctx, tx, actor, &c)
		}
		return nil
	})
	if err != nil {
		return Transfer{}, err
	}
	return t.Transfer, nil
}

// actOnTransfer returns transfer id for actor to act on as who (see lockable).
func (s *Service) actOnTransfer(ctx context.Context, q store.Querier, actor identity.Principal, id string, who party) (transferRow, error) {
	t, err := s.getTransfer(ctx, q, id)
	if err != nil || who == forSystem {
		return t, err
	}
	if !canSee(actor, t.ProviderOrgID, t.BuyerOrgID) {
		return t, notFound("transfer", id)
	}
	buyer, provider := canAct(actor, t.BuyerOrgID), canAct(actor, t.ProviderOrgID)
	if (who == forBuyer && !buyer) || (who == forProvider && !provider) || (who == forEither && !buyer && !provider) {
		return t, identity.ErrForbidden
	}
	return t, nil
}

// transferred emits the event of t's arrival in its state and calls the hooks.
func (s *Service) transferred(ctx context.Context, tx *store.Tx, actor identity.Principal, t *Transfer, from State, c *Contract) error {
	payload := map[string]any{"contract_id": t.ContractID, "format": t.Format, "from": from, "to": t.State,
		"consumer_pid_sha256": store.SHA256Hex(t.ConsumerPID)}
	if t.State == Terminated || t.State == Suspended {
		payload["code"], payload["reason_sha256"] = t.Code, store.SHA256Hex(t.Reason)
	}
	ev := store.Event{Type: "exchange.transfer." + strings.ToLower(string(t.State)), ActorUserID: actor.UserID,
		ActorOrgID: actingOrg(actor, t.BuyerOrgID, t.ProviderOrgID), SubjectKind: subjectTransfer, SubjectID: t.ID}
	if err := tx.Emit(ctx, ev, payload); err != nil {
		return err
	}
	snapshot := *t
	return s.changed(ctx, tx, Change{Transfer: &snapshot, Contract: c, From: from, To: t.State})
}

// Transfer returns a transfer its parties (and the exchange's staff) may
// see; to anyone else it does not exist.
func (s *Service) Transfer(ctx context.Context, actor identity.Principal, id string) (Transfer, error) {
	t, err := s.getTransfer(ctx, s.db, id)
	if err != nil {
		return Transfer{}, err
	}
	if !canSee(actor, t.ProviderOrgID, t.BuyerOrgID) {
		return Transfer{}, notFound("transfer", id)
	}
	return t.Transfer, nil
}

// TransferByID returns a transfer without a permission check (for the
// protocol layer, which checks its caller).
func (s *Service) TransferByID(ctx context.Context, q store.Querier, id string) (Transfer, error) {
	t, err := s.getTransfer(ctx, q, id)
	return t.Transfer, err
}

// Transfers lists the transfers under a contract the caller may see,
// newest first.
func (s *Service) Transfers(ctx context.Context, actor identity.Principal, contractID string) ([]Transfer, error) {
	if _, err := s.Contract(ctx, actor, contractID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+transferColumns+` FROM trade_transfers WHERE contract_id = $1 ORDER BY id DESC LIMIT 200`,
		contractID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Transfer{}
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// AddressFor is DataAddress for actor, an editor or admin of the buyer.
func (s *Service) AddressFor(ctx context.Context, actor identity.Principal, transferID string) (DataAddress, error) {
	if _, err := s.actOnTransfer(ctx, s.db, actor, transferID, forBuyer); err != nil {
		return DataAddress{}, err
	}
	return s.DataAddress(ctx, transferID)
}

// DataAddress hands out where and how to read a started transfer: the rows
// API URL of the contract's resources and a fresh per-grant API key that
// works for KeyTTL (never past the contract's end). The transfer's earlier
// key is revoked in the same transaction; only the key's hash is stored.
// It checks no caller: the protocol layer and AddressFor do.
func (s *Service) DataAddress(ctx context.Context, transferID string) (DataAddress, error) {
	var out DataAddress
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		t, err := s.getTransfer(ctx, tx, transferID)
		if err != nil {
			return err
		}
		if t.State != Started {
			return refuseWith("trade_state", "a transfer in state %s has no data address", t.State)
		}
		c, err := s.getContract(ctx, tx, t.ContractID)
		if err != nil {
			return err
		}
		if err := deliverable(c, tx.Now()); err != nil {
			return err
		}
		expires := tx.Now().Add(s.cfg.KeyTTL)
		if c.ValidUntil.Before(expires) {
			expires = c.ValidUntil
		}
		secret, key, err := s.acc.IssueKey(ctx, tx, t.createdBy, c.GrantID, "transfer "+t.ID, expires)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE trade_transfers SET key_id = $1 WHERE id = $2 AND state = $3 AND key_id = $4`,
			key.ID, t.ID, Started, t.keyID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return refuseWith("trade_state", "the transfer changed meanwhile")
		}
		if t.keyID != "" {
			if _, err := s.acc.RevokeKeyIn(ctx, tx, t.createdBy, c.GrantID, t.keyID); err != nil {
				return err
			}
		}
		out = DataAddress{Token: secret, Header: KeyHeader, ExpiresAt: *key.ExpiresAt}
		for _, rid := range c.ResourceIDs {
			out.Endpoints = append(out.Endpoints, s.rowsURL(rid))
		}
		out.Endpoint = out.Endpoints[0]
		return tx.Emit(ctx, store.Event{Type: "exchange.transfer.address_issued", ActorUserID: t.createdBy, SubjectKind: subjectTransfer,
			SubjectID: t.ID}, map[string]any{"contract_id": c.ID, "grant_id": c.GrantID, "key_id": key.ID, "expires_at": key.ExpiresAt})
	})
	if err != nil {
		return DataAddress{}, err
	}
	return out, nil
}

// rowsURL is the native rows API URL of resource id.
func (s *Service) rowsURL(id string) string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/api/v1/resources/" + url.PathEscape(id) + "/rows"
}
