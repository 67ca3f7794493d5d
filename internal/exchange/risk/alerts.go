package risk

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// AlertStatus is where an alert stands.
type AlertStatus string

// Alerts are raised open; staff acknowledge them (taken in hand) and close
// them with a note. A closed alert no longer gathers repeats: the next one
// raises a new alert.
const (
	AlertOpen         AlertStatus = "open"
	AlertAcknowledged AlertStatus = "acknowledged"
	AlertClosed       AlertStatus = "closed"
)

// AlertSubjects are the records an alert is about.
type AlertSubjects struct {
	ParticipantIDs []string `json:"participant_ids"`
	ProductIDs     []string `json:"product_ids"`
	ContractIDs    []string `json:"contract_ids"`
}

// ActionKind is what staff did from an alert.
type ActionKind string

// The actions from an alert.
const (
	ActionSuspendParticipant ActionKind = "suspend_participant"
	ActionSuspendProduct     ActionKind = "suspend_product"
)

// AlertAction is a step staff took from an alert.
type AlertAction struct {
	Kind     ActionKind `json:"kind" enum:"suspend_participant,suspend_product"`
	TargetID string     `json:"target_id"`
	Reason   string     `json:"reason"`
	ByUserID string     `json:"by_user_id"`
	At       time.Time  `json:"at"`
}

// Alert is a rule's warning: what it is about, the evidence (the facts the
// rule saw: ids and figures), its owner queue and where staff stand on it.
type Alert struct {
	ID             string          `json:"id"`
	RuleID         string          `json:"rule_id"`
	Rule           string          `json:"rule" doc:"The rule's name"`
	Title          string          `json:"title" doc:"The rule's title when the alert was raised"`
	Severity       Severity        `json:"severity" enum:"low,medium,high,critical"`
	Queue          string          `json:"queue"`
	Kind           Kind            `json:"kind" enum:"trade,order,access_denied,review_failed,source_changed"`
	DedupeKey      string          `json:"dedupe_key"`
	Subjects       AlertSubjects   `json:"subjects"`
	Evidence       json.RawMessage `json:"evidence" doc:"The facts the rule saw, by variable (see the rules' variables)"`
	Status         AlertStatus     `json:"status" enum:"open,acknowledged,closed"`
	Occurrences    int64           `json:"occurrences" doc:"How often the rule held for the same key while the alert was not closed"`
	Note           string          `json:"note,omitempty" required:"false"`
	Actions        []AlertAction   `json:"actions"`
	AcknowledgedBy string          `json:"acknowledged_by,omitempty" required:"false"`
	AcknowledgedAt *time.Time      `json:"acknowledged_at,omitempty" required:"false"`
	ClosedBy       string          `json:"closed_by,omitempty" required:"false"`
	ClosedAt       *time.Time      `json:"closed_at,omitempty" required:"false"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	LastSeenAt     time.Time       `json:"last_seen_at"`
}

const alertColumns = `id, rule_id, rule_name, title, severity, queue, kind, dedupe_key, participant_ids, product_ids, contract_ids,
	evidence, status, occurrences, note, actions, acknowledged_by, acknowledged_at, closed_by, closed_at, created_at, updated_at, last_seen_at`

func scanAlert(row interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var parts, prods, contracts, evidence, actions string
	var ackAt, closedAt time.Time
	err := row.Scan(&a.ID, &a.RuleID, &a.Rule, &a.Title, &a.Severity, &a.Queue, &a.Kind, &a.DedupeKey, &parts, &prods, &contracts,
		&evidence, &a.Status, &a.Occurrences, &a.Note, &actions, &a.AcknowledgedBy, store.ScanTime(&ackAt), &a.ClosedBy,
		store.ScanTime(&closedAt), store.ScanTime(&a.CreatedAt), store.ScanTime(&a.UpdatedAt), store.ScanTime(&a.LastSeenAt))
	if err != nil {
		return a, err
	}
	for _, f := range []struct {
		raw string
		v   any
	}{{parts, &a.Subjects.ParticipantIDs}, {prods, &a.Subjects.ProductIDs}, {contracts, &a.Subjects.ContractIDs}, {actions, &a.Actions}} {
		if err := json.Unmarshal([]byte(f.raw), f.v); err != nil {
			return a, fmt.Errorf("risk: alert %s: %w", a.ID, err)
		}
	}
	a.Evidence = json.RawMessage(evidence)
	if !ackAt.IsZero() {
		a.AcknowledgedAt = &ackAt
	}
	if !closedAt.IsZero() {
		a.ClosedAt = &closedAt
	}
	return a, nil
}

// evidence is what of f an alert keeps: the variables of its kind.
func (f *Facts) evidence() (subjects AlertSubjects, raw []byte) {
	var v any
	switch f.Kind {
	case KindTrade:
		t := f.Trade
		subjects = AlertSubjects{[]string{t.ProviderID, t.BuyerID}, []string{t.ProductID}, []string{t.ContractID}}
		ev := map[string]any{"trade": t, "price": f.Price}
		if f.Cycle.Found {
			ev["cycle"] = f.Cycle
			for _, p := range f.Cycle.ParticipantIDs {
				subjects.ParticipantIDs = appendNew(subjects.ParticipantIDs, p)
			}
			for _, p := range f.Cycle.ProductIDs {
				subjects.ProductIDs = appendNew(subjects.ProductIDs, p)
			}
			for _, c := range f.Cycle.ContractIDs {
				subjects.ContractIDs = appendNew(subjects.ContractIDs, c)
			}
		}
		v = ev
	case KindOrder:
		o := f.Orders
		subjects, v = AlertSubjects{[]string{o.BuyerID, o.ProviderID}, []string{o.ProductID}, nil}, map[string]any{"orders": o}
	case KindDenial:
		d := f.Denial
		subjects, v = AlertSubjects{nonEmpty(d.BuyerID, d.ProviderID), nonEmpty(d.ProductID), nonEmpty(d.ContractID)}, map[string]any{"denial": d}
	case KindReview:
		r := f.Review
		subjects, v = AlertSubjects{[]string{r.ProviderID}, []string{r.ProductID}, nil}, map[string]any{"review": r}
	case KindSource:
		s := f.Source
		subjects, v = AlertSubjects{[]string{s.ProviderID}, []string{s.ProductID}, nil}, map[string]any{"source": s}
	}
	raw, _ = json.Marshal(v)
	subjects.ParticipantIDs = nonEmpty(subjects.ParticipantIDs...)
	subjects.ProductIDs = nonEmpty(subjects.ProductIDs...)
	subjects.ContractIDs = nonEmpty(subjects.ContractIDs...)
	return subjects, raw
}

// nonEmpty lists the ids that are not empty (never nil).
func nonEmpty(ids ...string) []string {
	out := []string{}
	for _, id := range ids {
		if id != "" {
			out = appendNew(out, id)
		}
	}
	return out
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// raise writes r's alert on f under key, or counts a repeat on the alert
// of r and key that is not closed yet.
func (e *Engine) raise(ctx context.Context, tx *store.Tx, r AlertRule, f *Facts, key string) (Alert, error) {
	subjects, evidence := f.evidence()
	a := Alert{ID: store.NewID(), RuleID: r.ID, Rule: r.Name, Title: r.Title, Severity: r.Severity, Queue: r.Queue, Kind: f.Kind,
		DedupeKey: key, Subjects: subjects, Evidence: evidence, Status: AlertOpen, Occurrences: 1, Actions: []AlertAction{},
		CreatedAt: tx.Now(), UpdatedAt: tx.Now(), LastSeenAt: tx.Now()}
	var id string
	err := tx.QueryRowContext(ctx, `INSERT INTO risk_alerts (`+alertColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,1,'','[]','',NULL,'',NULL,$14,$14,$14)
		ON CONFLICT (rule_id, dedupe_key) WHERE status <> 'closed'
		DO UPDATE SET occurrences = risk_alerts.occurrences + 1, last_seen_at = excluded.last_seen_at, updated_at = excluded.updated_at
		RETURNING id, occurrences`,
		a.ID, a.RuleID, a.Rule, a.Title, a.Severity, a.Queue, a.Kind, a.DedupeKey, jsonText(subjects.ParticipantIDs),
		jsonText(subjects.ProductIDs), jsonText(subjects.ContractIDs), string(evidence), a.Status, store.TS(a.CreatedAt)).Scan(&id, &a.Occurrences)
	if err != nil {
		return Alert{}, fmt.Errorf("risk: raise %s: %w", r.Name, err)
	}
	if a.Occurrences > 1 {
		if a, err = alertByID(ctx, tx, id); err != nil {
			return Alert{}, err
		}
		return a, emitAlert(ctx, tx, identity.Principal{}, "repeated", a, map[string]any{"occurrences": a.Occurrences,
			"evidence_sha256": store.SHA256Hex(string(evidence))})
	}
	return a, emitAlert(ctx, tx, identity.Principal{}, "raised", a, map[string]any{"rule": a.Rule, "severity": a.Severity,
		"queue": a.Queue, "kind": a.Kind, "dedupe_key_sha256": store.SHA256Hex(key), "evidence_sha256": store.SHA256Hex(string(evidence)),
		"participant_ids": subjects.ParticipantIDs, "product_ids": subjects.ProductIDs, "contract_ids": subjects.ContractIDs})
}

func emitAlert(ctx context.Context, tx *store.Tx, actor identity.Principal, what string, a Alert, payload map[string]any) error {
	payload["alert_id"], payload["rule_id"] = a.ID, a.RuleID
	return tx.Emit(ctx, store.Event{Type: "exchange.alert." + what, ActorUserID: actor.UserID, SubjectKind: "risk_alert", SubjectID: a.ID}, payload)
}

func alertByID(ctx context.Context, q store.Querier, id string) (Alert, error) {
	a, err := scanAlert(q.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM risk_alerts WHERE id = $1`, id))
	if isNoRows(err) {
		return Alert{}, fmt.Errorf("risk alert %q: %w", id, store.ErrNotFound)
	}
	return a, err
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Alert returns one alert (exchange staff).
func (e *Engine) Alert(ctx context.Context, actor identity.Principal, id string) (Alert, error) {
	if err := staff(actor); err != nil {
		return Alert{}, err
	}
	return alertByID(ctx, e.db, id)
}

// AlertFilter selects alerts; zero fields match every alert.
type AlertFilter struct {
	Status    AlertStatus
	Queue     string
	Severity  Severity
	Rule      string // the rule's name
	SubjectID string // a participant, product or contract the alert is about
	Cursor    string
	Limit     int // 1–100, default 20
}

// AlertPage is a page of alerts, newest first.
type AlertPage struct {
	Items      []Alert
	NextCursor string
}

// ErrBadCursor means a list's cursor was not one this engine handed out.
var ErrBadCursor = validate.Errors{{Field: "cursor", Message: "is not a cursor from a previous page", Code: validate.CodeCursor}}

// Alerts lists alerts newest first (exchange staff).
func (e *Engine) Alerts(ctx context.Context, actor identity.Principal, f AlertFilter) (AlertPage, error) {
	if err := staff(actor); err != nil {
		return AlertPage{}, err
	}
	before := ""
	if f.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(b) != 36 {
			return AlertPage{}, ErrBadCursor
		}
		before = string(b)
	}
	limit := f.Limit
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	subject := ""
	if f.SubjectID != "" {
		subject = "%" + jsonText(f.SubjectID) + "%"
	}
	rows, err := e.db.QueryContext(ctx, `SELECT `+alertColumns+` FROM risk_alerts
		WHERE ($1 = '' OR status = $1) AND ($2 = '' OR queue = $2) AND ($3 = '' OR severity = $3) AND ($4 = '' OR rule_name = $4)
		AND ($5 = '' OR participant_ids LIKE $5 OR product_ids LIKE $5 OR contract_ids LIKE $5) AND ($6 = '' OR id < $6)
		ORDER BY id DESC LIMIT $7`, f.Status, f.Queue, f.Severity, f.Rule, subject, before, limit+1)
	if err != nil {
		return AlertPage{}, fmt.Errorf("risk: alerts: %w", err)
	}
	defer rows.Close()
	page := AlertPage{Items: []Alert{}}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return AlertPage{}, err
		}
		page.Items = append(page.Items, a)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(page.Items[limit-1].ID))
	}
	return page, rows.Err()
}

// AcknowledgeAlert takes an open alert in hand (exchange staff), with an
// optional note.
func (e *Engine) AcknowledgeAlert(ctx context.Context, actor identity.Principal, id, note string) (Alert, error) {
	note = strings.TrimSpace(note)
	var errs validate.Errors
	errs.MaxLen("note", note, 2000)
	if err := errs.Err(); err != nil {
		return Alert{}, err
	}
	return e.changeAlert(ctx, actor, id, func(tx *store.Tx, a *Alert) error {
		if a.Status != AlertOpen {
			return stateRefusal("alert_not_open", "the alert is %s: only an open alert is acknowledged", a.Status)
		}
		now := tx.Now()
		a.Status, a.AcknowledgedBy, a.AcknowledgedAt = AlertAcknowledged, actor.UserID, &now
		if note != "" {
			a.Note = note
		}
		if _, err := tx.ExecContext(ctx, `UPDATE risk_alerts SET status = $1, acknowledged_by = $2, acknowledged_at = $3, note = $4, updated_at = $3
			WHERE id = $5`, a.Status, a.AcknowledgedBy, store.TS(now), a.Note, a.ID); err != nil {
			return err
		}
		return emitAlert(ctx, tx, actor, "acknowledged", *a, map[string]any{"note_sha256": store.SHA256Hex(note)})
	})
}

// CloseAlert closes an open or acknowledged alert with a note saying what was
// found and done (exchange staff).
func (e *Engine) CloseAlert(ctx context.Context, actor identity.Principal, id, note string) (Alert, error) {
	note = strings.TrimSpace(note)
	var errs validate.Errors
	errs.Required("note", note)
	errs.MaxLen("note", note, 2000)
	if err := errs.Err(); err != nil {
		return Alert{}, err
	}
	return e.changeAlert(ctx, actor, id, func(tx *store.Tx, a *Alert) error {
		if a.Status == AlertClosed {
			return stateRefusal("alert_closed", "the alert is closed already")
		}
		now := tx.Now()
		a.Status, a.ClosedBy, a.ClosedAt, a.Note = AlertClosed, actor.UserID, &now, note
		if _, err := tx.ExecContext(ctx, `UPDATE risk_alerts SET status = $1, closed_by = $2, closed_at = $3, note = $4, updated_at = $3
			WHERE id = $5`, a.Status, a.ClosedBy, store.TS(now), note, a.ID); err != nil {
			return err
		}
		return emitAlert(ctx, tx, actor, "closed", *a, map[string]any{"note_sha256": store.SHA256Hex(note)})
	})
}

// SuspendInput is what staff give to suspend a participant or a product
// from an alert.
type SuspendInput struct {
	Target   string `json:"target" enum:"participant,product" doc:"What to suspend"`
	TargetID string `json:"target_id" doc:"One of the alert's participants or products"`
	Reason   string `json:"reason" maxLength:"500"`
}

// SuspendFromAlert suspends one of the alert's participants or products through
// the exchange's core (exchange staff) and records it on the alert. The
// target must be among the alert's subjects; a closed alert is 409.
func (e *Engine) SuspendFromAlert(ctx context.Context, actor identity.Principal, id string, in SuspendInput) (Alert, error) {
	if err := staff(actor); err != nil {
		return Alert{}, err
	}
	in.Reason, in.TargetID = strings.TrimSpace(in.Reason), strings.TrimSpace(in.TargetID)
	a, err := alertByID(ctx, e.db, id)
	if err != nil {
		return Alert{}, err
	}
	var errs validate.Errors
	validate.OneOf(&errs, "target", in.Target, "participant", "product")
	errs.Required("reason", in.Reason)
	errs.MaxLen("reason", in.Reason, 500)
	among := a.Subjects.ParticipantIDs
	if in.Target == "product" {
		among = a.Subjects.ProductIDs
	}
	if errs.Required("target_id", in.TargetID) && !errs.Has("target") && !slices.Contains(among, in.TargetID) {
		errs.Add("target_id", in.TargetID, "not_subject", "is not a %s this alert is about", in.Target)
	}
	if err := errs.Err(); err != nil {
		return Alert{}, err
	}
	if a.Status == AlertClosed {
		return Alert{}, stateRefusal("alert_closed", "the alert is closed")
	}
	kind := ActionSuspendParticipant
	if in.Target == "product" {
		kind = ActionSuspendProduct
		_, err = e.ex.SuspendProduct(ctx, actor, in.TargetID, in.Reason)
	} else {
		_, err = e.ex.SuspendParticipant(ctx, actor, in.TargetID, in.Reason)
	}
	if err != nil {
		return Alert{}, err
	}
	return e.changeAlert(ctx, actor, id, func(tx *store.Tx, a *Alert) error {
		act := AlertAction{Kind: kind, TargetID: in.TargetID, Reason: in.Reason, ByUserID: actor.UserID, At: tx.Now()}
		a.Actions = append(a.Actions, act)
		if _, err := tx.ExecContext(ctx, `UPDATE risk_alerts SET actions = $1, updated_at = $2 WHERE id = $3`,
			jsonText(a.Actions), store.TS(tx.Now()), a.ID); err != nil {
			return err
		}
		return emitAlert(ctx, tx, actor, "action", *a, map[string]any{"action": kind, "target_id": in.TargetID,
			"reason_sha256": store.SHA256Hex(in.Reason)})
	})
}

// changeAlert runs change on alert id in a transaction, as staff.
func (e *Engine) changeAlert(ctx context.Context, actor identity.Principal, id string, change func(tx *store.Tx, a *Alert) error) (Alert, error) {
	if err := staff(actor); err != nil {
		return Alert{}, err
	}
	var out Alert
	err := e.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := alertByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := change(tx, &a); err != nil {
			return err
		}
		a.UpdatedAt, out = tx.Now(), a
		return nil
	})
	return out, err
}

// stateRefusal is a change the alert's state does not allow (409).
func stateRefusal(code, format string, args ...any) error {
	return validate.Refuse(catalog.ErrState, code, format, args...)
}
