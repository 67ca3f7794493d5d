package monitor

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

// ReceiptPrefix is where a sealed event's receipt is served.
const ReceiptPrefix = "/api/v1/ledger/receipts/"

const alertColumns = `id, rule_id, rule_code, severity, state, subject, summary, figures, hits, owner_user_id, incident_id, note,
	created_at, updated_at, last_hit_at`

func scanAlert(row interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var figures string
	err := row.Scan(&a.ID, &a.RuleID, &a.Rule, &a.Severity, &a.State, &a.Subject, &a.Summary, &figures, &a.Hits, &a.OwnerUserID,
		&a.IncidentID, &a.Note, store.ScanTime(&a.CreatedAt), store.ScanTime(&a.UpdatedAt), store.ScanTime(&a.LastHitAt))
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(figures), &a.Figures); err != nil {
		return a, fmt.Errorf("monitor: alert %s: figures: %w", a.ID, err)
	}
	a.Evidence = []Evidence{}
	return a, nil
}

func alertByID(ctx context.Context, q store.Querier, id string) (Alert, error) {
	a, err := scanAlert(q.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM monitor_alerts WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Alert{}, fmt.Errorf("monitor alert %q: %w", id, store.ErrNotFound)
	} else if err != nil {
		return Alert{}, err
	}
	as := []Alert{a}
	if err := fillEvidence(ctx, q, as); err != nil {
		return Alert{}, err
	}
	return as[0], nil
}

// fillEvidence reads the evidence of alerts, in order.
func fillEvidence(ctx context.Context, q store.Querier, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	at := map[string]int{}
	ph := make([]string, len(alerts))
	args := make([]any, len(alerts))
	for i, a := range alerts {
		at[a.ID], ph[i], args[i] = i, fmt.Sprintf("$%d", i+1), a.ID
	}
	rows, err := q.QueryContext(ctx, `SELECT alert_id, kind, ref_id, event_id, at FROM monitor_evidence WHERE alert_id IN (`+
		strings.Join(ph, ",")+`) ORDER BY alert_id, n`, args...)
	if err != nil {
		return fmt.Errorf("monitor: evidence: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var e Evidence
		if err := rows.Scan(&id, &e.Kind, &e.ID, &e.EventID, store.ScanTime(&e.At)); err != nil {
			return err
		}
		if e.EventID != "" {
			e.Receipt = ReceiptPrefix + e.EventID
		}
		alerts[at[id]].Evidence = append(alerts[at[id]].Evidence, e)
	}
	return rows.Err()
}

// EventIDs lists the distinct sealed events a's evidence rests on, in order.
func (a Alert) EventIDs() []string {
	out := []string{}
	for _, e := range a.Evidence {
		if e.EventID != "" && !slices.Contains(out, e.EventID) {
			out = append(out, e.EventID)
		}
	}
	return out
}

// Alert returns one alert with its evidence (security officer, regulator, auditor).
func (s *Service) Alert(ctx context.Context, actor identity.Principal, id string) (Alert, error) {
	if err := seeing(actor); err != nil {
		return Alert{}, err
	}
	return alertByID(ctx, s.db, id)
}

// ErrBadCursor means a list's cursor was not one this service handed out.
var ErrBadCursor = validate.Errors{{Field: "cursor", Message: "is not a cursor from a previous page", Code: validate.CodeCursor}}

// Alerts lists alerts, newest first, with their evidence; next is the
// cursor of the next page (security officer, regulator, auditor).
func (s *Service) Alerts(ctx context.Context, actor identity.Principal, f AlertFilter) (items []Alert, next string, err error) {
	if err := seeing(actor); err != nil {
		return nil, "", err
	}
	var errs validate.Errors
	if f.State != "" {
		validate.OneOf(&errs, "state", f.State, States...)
	}
	before := ""
	if f.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(b) != 36 {
			return nil, "", ErrBadCursor
		}
		before = string(b)
	}
	if err := errs.Err(); err != nil {
		return nil, "", err
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+alertColumns+` FROM monitor_alerts
		WHERE ($1 = '' OR rule_code = $1) AND ($2 = '' OR state = $2) AND ($3 = '' OR subject = $3) AND ($4 = '' OR id < $4)
		ORDER BY id DESC LIMIT $5`, f.Rule, string(f.State), f.Subject, before, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("monitor: alerts: %w", err)
	}
	items = []Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			rows.Close()
			return nil, "", err
		}
		items = append(items, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(items) > limit {
		items = items[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(items[limit-1].ID))
	}
	return items, next, fillEvidence(ctx, s.db, items)
}

// OpenAlerts counts the alerts not yet escalated or closed, by severity.
func (s *Service) OpenAlerts(ctx context.Context) (map[Severity]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT severity, COUNT(*) FROM monitor_alerts WHERE state IN ('new', 'acknowledged') GROUP BY severity`)
	if err != nil {
		return nil, fmt.Errorf("monitor: open alerts: %w", err)
	}
	defer rows.Close()
	out := map[Severity]int{}
	for rows.Next() {
		var sev Severity
		var n int
		if err := rows.Scan(&sev, &n); err != nil {
			return nil, err
		}
		out[sev] = n
	}
	return out, rows.Err()
}

// hit is one firing of a rule for a subject, to be written as an alert.
type hit struct {
	rule     *compiled
	subject  string
	summary  string
	figures  map[string]any
	evidence []Evidence
	at       time.Time
}

// raise writes h: a further hit on the rule's open alert for the subject
// last hit within the rule's suppress window (its evidence added, up to
// Config.EvidenceCap), else a new alert. It returns the alert's id and
// whether it is new.
func (s *Service) raise(ctx context.Context, tx *store.Tx, h hit) (string, bool, error) {
	now := tx.Now()
	var id string
	var hits, kept int
	err := tx.QueryRowContext(ctx, `SELECT a.id, a.hits, (SELECT COUNT(*) FROM monitor_evidence e WHERE e.alert_id = a.id)
		FROM monitor_alerts a WHERE a.rule_id = $1 AND a.subject = $2 AND a.state IN ('new', 'acknowledged') AND a.last_hit_at >= $3
		ORDER BY a.last_hit_at DESC LIMIT 1`, h.rule.ID, h.subject, store.TS(now.Add(-h.rule.spec.suppress()))).Scan(&id, &hits, &kept)
	figures, _ := json.Marshal(h.figures)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		id = store.NewID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_alerts (`+alertColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,1,'','','',$9,$9,$9)`,
			id, h.rule.ID, h.rule.Code, h.rule.Severity, StateNew, h.subject, h.summary, string(figures), store.TS(now)); err != nil {
			return "", false, fmt.Errorf("monitor: raise %s: %w", h.rule.Code, err)
		}
	case err != nil:
		return "", false, fmt.Errorf("monitor: raise %s: %w", h.rule.Code, err)
	default:
		if _, err := tx.ExecContext(ctx, `UPDATE monitor_alerts SET hits = hits + 1, summary = $1, figures = $2, last_hit_at = $3, updated_at = $3
			WHERE id = $4`, h.summary, string(figures), store.TS(now), id); err != nil {
			return "", false, fmt.Errorf("monitor: hit %s: %w", h.rule.Code, err)
		}
	}
	added, err := s.addEvidence(ctx, tx, id, kept, h.evidence)
	if err != nil {
		return "", false, err
	}
	payload := map[string]any{"alert_id": id, "rule_id": h.rule.ID, "rule": h.rule.Code, "severity": h.rule.Severity,
		"subject_sha256": store.SHA256Hex(h.subject), "hits": hits + 1, "evidence_event_ids": added, "figures_sha256": store.SHA256Hex(string(figures))}
	what := "hit"
	if hits == 0 {
		what = "raised"
	}
	err = tx.Emit(ctx, store.Event{Type: "monitor.alert." + what, ActorUserID: identity.System.UserID, SubjectKind: "monitor_alert", SubjectID: id}, payload)
	return id, hits == 0, err
}

// addEvidence adds evidence to alert id, which keeps kept already, up to
// the cap; it returns the sealed events added.
func (s *Service) addEvidence(ctx context.Context, tx *store.Tx, id string, kept int, evidence []Evidence) ([]string, error) {
	events := []string{}
	for _, e := range evidence {
		if kept >= s.cfg.EvidenceCap {
			break
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_evidence (alert_id, n, kind, ref_id, event_id, at) VALUES ($1,$2,$3,$4,$5,$6)`,
			id, kept, e.Kind, e.ID, e.EventID, store.TS(e.At)); err != nil {
			return nil, fmt.Errorf("monitor: evidence: %w", err)
		}
		kept++
		if e.EventID != "" && !slices.Contains(events, e.EventID) {
			events = append(events, e.EventID)
		}
	}
	return events, nil
}

// Acknowledge takes a new alert in hand (security officer), with an
// optional note; it becomes the actor's unless it has an owner.
func (s *Service) Acknowledge(ctx context.Context, actor identity.Principal, id, note string) (Alert, error) {
	if err := managing(actor); err != nil {
		return Alert{}, err
	}
	note = strings.TrimSpace(note)
	var errs validate.Errors
	errs.MaxLen("note", note, 2000)
	if err := errs.Err(); err != nil {
		return Alert{}, err
	}
	return s.change(ctx, actor, id, func(tx *store.Tx, a *Alert) error {
		if a.State != StateNew {
			return stateRefusal("alert_not_new", "the alert is %s: only a new alert is acknowledged", a.State)
		}
		a.State = StateAcknowledged
		if a.OwnerUserID == "" {
			a.OwnerUserID = actor.UserID
		}
		if note != "" {
			a.Note = note
		}
		return s.write(ctx, tx, actor, "acknowledged", a, map[string]any{"owner_user_id": a.OwnerUserID, "note_sha256": store.SHA256Hex(note)})
	})
}

// Assign makes ownerUserID, a security officer, the owner of an alert not
// yet escalated or closed (security officer).
func (s *Service) Assign(ctx context.Context, actor identity.Principal, id, ownerUserID string) (Alert, error) {
	if err := managing(actor); err != nil {
		return Alert{}, err
	}
	ownerUserID = strings.TrimSpace(ownerUserID)
	var errs validate.Errors
	if errs.Required("owner_user_id", ownerUserID) {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_platform_roles r JOIN users u ON u.id = r.user_id
			WHERE r.user_id = $1 AND r.role = $2 AND u.disabled = $3`, ownerUserID, string(identity.PlatformSecurity), false).Scan(&n); err != nil {
			return Alert{}, err
		}
		if n == 0 {
			errs.Add("owner_user_id", ownerUserID, "not_security_officer", "is not an active security officer")
		}
	}
	if err := errs.Err(); err != nil {
		return Alert{}, err
	}
	return s.change(ctx, actor, id, func(tx *store.Tx, a *Alert) error {
		if !a.State.Open() {
			return stateRefusal("alert_settled", "the alert is %s: only a new or acknowledged alert is assigned", a.State)
		}
		a.OwnerUserID = ownerUserID
		return s.write(ctx, tx, actor, "assigned", a, map[string]any{"owner_user_id": ownerUserID})
	})
}

// Close closes a new or acknowledged alert as a true or a false positive
// with a note saying what was found (security officer).
func (s *Service) Close(ctx context.Context, actor identity.Principal, id string, truePositive bool, note string) (Alert, error) {
	if err := managing(actor); err != nil {
		return Alert{}, err
	}
	note = strings.TrimSpace(note)
	var errs validate.Errors
	errs.Required("note", note)
	errs.MaxLen("note", note, 2000)
	if err := errs.Err(); err != nil {
		return Alert{}, err
	}
	return s.change(ctx, actor, id, func(tx *store.Tx, a *Alert) error {
		if !a.State.Open() {
			return stateRefusal("alert_settled", "the alert is %s: only a new or acknowledged alert is closed", a.State)
		}
		a.State, a.Note = StateFalsePositive, note
		if truePositive {
			a.State = StateTruePositive
		}
		return s.write(ctx, tx, actor, "closed", a, map[string]any{"note_sha256": store.SHA256Hex(note)})
	})
}

// Escalate marks alert id escalated to incident incidentID, in tx (the
// incident's creation). The alert must be new or acknowledged; actor must
// be the security officer.
func (s *Service) Escalate(ctx context.Context, tx *store.Tx, actor identity.Principal, alertID, incidentID string) (Alert, error) {
	if err := managing(actor); err != nil {
		return Alert{}, err
	}
	var errs validate.Errors
	errs.Required("incident_id", incidentID)
	if err := errs.Err(); err != nil {
		return Alert{}, err
	}
	a, err := alertByID(ctx, tx, alertID)
	if err != nil {
		return Alert{}, err
	}
	if !a.State.Open() {
		return Alert{}, stateRefusal("alert_settled", "the alert is %s: only a new or acknowledged alert is escalated", a.State)
	}
	a.State, a.IncidentID = StateEscalated, incidentID
	if a.OwnerUserID == "" {
		a.OwnerUserID = actor.UserID
	}
	if err := s.write(ctx, tx, actor, "escalated", &a, map[string]any{"incident_id": incidentID}); err != nil {
		return Alert{}, err
	}
	return a, nil
}

// write stores a's state, owner, incident and note, and emits the event.
func (s *Service) write(ctx context.Context, tx *store.Tx, actor identity.Principal, what string, a *Alert, payload map[string]any) error {
	a.UpdatedAt = tx.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE monitor_alerts SET state = $1, owner_user_id = $2, incident_id = $3, note = $4, updated_at = $5
		WHERE id = $6`, a.State, a.OwnerUserID, a.IncidentID, a.Note, store.TS(a.UpdatedAt), a.ID); err != nil {
		return fmt.Errorf("monitor: alert %s: %w", what, err)
	}
	payload["alert_id"], payload["rule"], payload["state"] = a.ID, a.Rule, a.State
	tx.AfterCommit(s.metrics.openChanged)
	return tx.Emit(ctx, store.Event{Type: "monitor.alert." + what, ActorUserID: actor.UserID, SubjectKind: "monitor_alert", SubjectID: a.ID}, payload)
}

// change runs fn on alert id in a transaction, as the security officer.
func (s *Service) change(ctx context.Context, actor identity.Principal, id string, fn func(tx *store.Tx, a *Alert) error) (Alert, error) {
	if err := managing(actor); err != nil {
		return Alert{}, err
	}
	var out Alert
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := alertByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(tx, &a); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}

// stateRefusal is a change the alert's state does not allow (409).
func stateRefusal(code, format string, args ...any) error {
	return validate.Refuse(catalog.ErrState, code, format, args...)
}
