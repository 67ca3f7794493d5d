package dispute

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// The documents of an evidence bundle.
const (
	docContract = "contract.json" // the canonical contract, sealed by contract_sha256
	docUsage    = "usage.json"    // the decisions under the delivery grant
	docClaim    = "claim.txt"     // a dispute's claim, sealed by claim_sha256
	docEvidence = "evidence.zip"  // a dispute's attached bundle, sealed by bundle_sha256
)

// maxUsage is the most decisions usage.json lists (the newest are left
// out past it, and the document says so).
const maxUsage = 10000

// ContractEvidence writes the evidence bundle of a contract its caller may
// see (a party, the exchange's staff, platform staff): the canonical
// contract, every event of its negotiation, contract, delivery grant,
// transfers and the decision batches of its usage, each with its receipt,
// and usage.json, the decisions made under the grant. It waits up to 10 s
// for recent events to be sealed (ledger.ErrNotSealed after that).
func (s *Service) ContractEvidence(ctx context.Context, actor identity.Principal, contractID string, w io.Writer) error {
	doc, c, err := s.tr.ContractDocument(ctx, actor, contractID)
	if err != nil {
		return err
	}
	usage, err := s.usage(ctx, c)
	if err != nil {
		return err
	}
	events, err := s.contractEvents(ctx, actor, c)
	if err != nil {
		return err
	}
	return s.led.Bundle(ctx, w, map[string][]byte{docContract: doc, docUsage: usage}, events)
}

// usageDoc is usage.json.
type usageDoc struct {
	ContractID string          `json:"contract_id"`
	GrantID    string          `json:"grant_id"`
	Decisions  []usageDecision `json:"decisions"`
	Truncated  bool            `json:"truncated"` // more decisions exist than are listed
}

// usageDecision is one access decision under the grant: record_hash is
// the hash the decision log keeps, batch_id the sealed batch holding it.
type usageDecision struct {
	ID         string `json:"id"`
	At         string `json:"at"`
	ResourceID string `json:"resource_id"`
	Action     string `json:"action"`
	Allow      bool   `json:"allow"`
	Reason     string `json:"reason"`
	KeyID      string `json:"key_id,omitempty"`
	BatchID    string `json:"batch_id"`
	RecordHash string `json:"record_hash"`
}

// usage returns usage.json of c: the decisions logged under its grant,
// oldest first, after the decision log has written what it holds.
func (s *Service) usage(ctx context.Context, c trade.Contract) ([]byte, error) {
	doc := usageDoc{ContractID: c.ID, GrantID: c.GrantID, Decisions: []usageDecision{}}
	if c.GrantID != "" {
		if s.cfg.Access != nil {
			if err := s.cfg.Access.Flush(ctx); err != nil {
				return nil, err
			}
		}
		var err error
		if doc.Decisions, doc.Truncated, err = grantDecisions(ctx, s.db, c.GrantID); err != nil {
			return nil, err
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// grantDecisions reads the decision log of a grant. The log is the access
// package's table; only identifiers and verdicts are read, never data.
func grantDecisions(ctx context.Context, q store.Querier, grantID string) ([]usageDecision, bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, at, resource_id, action, allow, reason, key_id, batch_id, record_hash
		FROM access_decisions WHERE grant_id = $1 ORDER BY id LIMIT `+fmt.Sprint(maxUsage+1), grantID)
	if err != nil {
		return nil, false, fmt.Errorf("dispute: usage: %w", err)
	}
	defer rows.Close()
	out := []usageDecision{}
	for rows.Next() {
		var u usageDecision
		var at time.Time
		if err := rows.Scan(&u.ID, store.ScanTime(&at), &u.ResourceID, &u.Action, &u.Allow, &u.Reason, &u.KeyID, &u.BatchID, &u.RecordHash); err != nil {
			return nil, false, err
		}
		u.At = store.TS(at)
		out = append(out, u)
	}
	if len(out) > maxUsage {
		return out[:maxUsage], true, rows.Err()
	}
	return out, false, rows.Err()
}

// contractEvents returns every event about c's negotiation, contract,
// grant, transfers, and the decision batches that hold its grant's
// decisions.
func (s *Service) contractEvents(ctx context.Context, actor identity.Principal, c trade.Contract) ([]store.Event, error) {
	subjects := []string{c.NegotiationID, c.ID}
	if c.GrantID != "" {
		subjects = append(subjects, c.GrantID)
		batches, err := store.Strings(ctx, s.db, `SELECT DISTINCT batch_id FROM access_decisions WHERE grant_id = $1`, c.GrantID)
		if err != nil {
			return nil, fmt.Errorf("dispute: usage batches: %w", err)
		}
		subjects = append(subjects, batches...)
	}
	transfers, err := s.tr.Transfers(ctx, actor, c.ID)
	if err != nil {
		return nil, err
	}
	for _, t := range transfers {
		subjects = append(subjects, t.ID)
	}
	var out []store.Event
	for _, id := range subjects {
		evs, err := s.eventsAbout(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	return out, nil
}

// eventsAbout returns every event whose subject is id.
func (s *Service) eventsAbout(ctx context.Context, id string) ([]store.Event, error) {
	var out []store.Event
	var before int64
	for {
		page, err := s.db.Events(ctx, store.EventFilter{SubjectID: id, BeforeSeq: before, Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 1000 {
			return out, nil
		}
		before = page[len(page)-1].Seq
	}
}

// attach builds the evidence bundle of dispute d (the contract's evidence,
// the claim and the opening event), keeps it as a blob and seals its hash
// with an "exchange.dispute.evidence_attached" event. A dispute keeps the
// first bundle attached.
func (s *Service) attach(ctx context.Context, actor identity.Principal, d *Dispute) error {
	doc, c, err := s.tr.ContractDocument(ctx, actor, d.ContractID)
	if err != nil {
		return err
	}
	events, err := s.contractEvents(ctx, actor, c)
	if err != nil {
		return err
	}
	own, err := s.eventsAbout(ctx, d.ID)
	if err != nil {
		return err
	}
	opened, err := openedPayload(own)
	if err != nil {
		return err
	}
	usage, err := s.blobs.get(opened.UsageSHA256)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	docs := map[string][]byte{docContract: doc, docUsage: usage, docClaim: []byte(d.Claim)}
	if err := s.led.Bundle(ctx, &buf, docs, append(events, own...)); err != nil {
		return err
	}
	sum, err := s.blobs.put(buf.Bytes())
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		set, err := setEvidence(ctx, tx, d.ID, sum, int64(buf.Len()))
		if err != nil || !set {
			return err // attached meanwhile: that one stands
		}
		d.EvidenceSHA256, d.EvidenceSize = sum, int64(buf.Len())
		return tx.Emit(ctx, store.Event{Type: "exchange.dispute.evidence_attached", ActorUserID: actor.UserID, SubjectKind: subjectKind,
			SubjectID: d.ID}, map[string]any{"contract_id": d.ContractID, "bundle_sha256": sum, "size": buf.Len(), "events": len(events) + len(own)})
	})
}

// opened is what attach reads back from a dispute's opening event.
type opened struct {
	UsageSHA256 string `json:"usage_sha256"`
}

func openedPayload(evs []store.Event) (opened, error) {
	for _, ev := range evs {
		if ev.Type == eventType(StatusOpen) {
			var o opened
			return o, json.Unmarshal(ev.Payload, &o)
		}
	}
	return opened{}, fmt.Errorf("dispute: no opening event: %w", store.ErrNotFound)
}

// Bundle writes the record of a dispute its caller may see as an evidence
// bundle: every event of the dispute with its receipt, the attached
// evidence bundle (evidence.zip, sealed by bundle_sha256), the claim and
// the reasons of every step (steps/NN-status.txt, sealed by
// reasons_sha256). A dispute whose evidence is not attached yet is
// attached first.
func (s *Service) Bundle(ctx context.Context, actor identity.Principal, id string, w io.Writer) error {
	d, err := s.Dispute(ctx, actor, id)
	if err != nil {
		return err
	}
	if d.EvidenceSHA256 == "" {
		if err := s.attach(ctx, actor, &d); err != nil {
			return err
		}
	}
	evidence, err := s.blobs.get(d.EvidenceSHA256)
	if err != nil {
		return err
	}
	docs := map[string][]byte{docEvidence: evidence, docClaim: []byte(d.Claim)}
	for _, st := range d.Steps {
		if st.Reasons != "" {
			docs[fmt.Sprintf("steps/%02d-%s.txt", st.Seq, st.To)] = []byte(st.Reasons)
		}
	}
	own, err := s.eventsAbout(ctx, d.ID)
	if err != nil {
		return err
	}
	return s.led.Bundle(ctx, w, docs, own)
}

// Evidence returns the evidence bundle attached to a dispute its caller
// may see, attaching it first if it is not yet.
func (s *Service) Evidence(ctx context.Context, actor identity.Principal, id string) ([]byte, Dispute, error) {
	d, err := s.Dispute(ctx, actor, id)
	if err != nil {
		return nil, Dispute{}, err
	}
	if d.EvidenceSHA256 == "" {
		if err := s.attach(ctx, actor, &d); err != nil {
			return nil, Dispute{}, err
		}
	}
	b, err := s.blobs.get(d.EvidenceSHA256)
	return b, d, err
}

// blobs keeps files named by their SHA-256 under dir/blobs/dispute.
type blobs struct{ dir string }

func (b blobs) path(sum string) string {
	return filepath.Join(b.dir, "blobs", "dispute", sum[:2], sum)
}

// put writes body once (a file of that hash is never rewritten) and
// returns its SHA-256.
func (b blobs) put(body []byte) (string, error) {
	if b.dir == "" {
		return "", fmt.Errorf("dispute: no data dir for evidence")
	}
	sum := sha256Hex(body)
	dst := b.path(sum)
	if _, err := os.Stat(dst); err == nil {
		return sum, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "put-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return sum, os.Rename(tmp.Name(), dst)
}

// get reads a blob back, checking it is still the one of that hash.
func (b blobs) get(sum string) ([]byte, error) {
	if len(sum) != 64 {
		return nil, fmt.Errorf("dispute: blob %q: %w", sum, store.ErrNotFound)
	}
	body, err := os.ReadFile(b.path(sum))
	if err != nil {
		return nil, fmt.Errorf("dispute: blob %s: %w", sum, err)
	}
	if sha256Hex(body) != sum {
		return nil, fmt.Errorf("dispute: blob %s was changed on disk", sum)
	}
	return body, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
