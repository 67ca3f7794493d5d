package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"dataport/internal/exchange"
	"dataport/internal/exchange/risk"
	"dataport/internal/identity"
)

// The risk desk (article 22: warning of abnormal trading), for the
// exchange's staff: alerts by severity in their owner queues, an alert's
// evidence and subjects with acknowledge, close and suspend, and the CEL
// rules, whose expressions are checked as they are saved.

// alertsPerSeverity is how many alerts of one severity the desk lists.
const alertsPerSeverity = 50

// alertGroup is the alerts of one severity.
type alertGroup struct {
	Severity risk.Severity
	Alerts   []risk.Alert
	More     string // the next page of this severity, when there is one
}

// alertsData is the risk desk.
type alertsData struct {
	Nav      tradeNav
	Status   string // open (default), acknowledged, closed or all
	Queue    string
	Queues   []string
	Groups   []alertGroup // most severe first
	Statuses []string
}

// alertsPage lists the alerts in the queue asked for, most severe first.
// Query: status (open by default; "all"), queue, severity with cursor (a
// further page of one severity).
func (s *server) alertsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	ctx, q := r.Context(), r.URL.Query()
	d := alertsData{Nav: s.tradeNavFor(r, "risk"), Status: q.Get("status"), Queue: q.Get("queue"),
		Statuses: []string{string(risk.AlertOpen), string(risk.AlertAcknowledged), string(risk.AlertClosed), "all"}}
	if d.Status == "" {
		d.Status = string(risk.AlertOpen)
	}
	status := risk.AlertStatus(d.Status)
	if d.Status == "all" {
		status = ""
	}
	rules, err := s.acc.Risk.Rules(ctx, p)
	if err != nil {
		return err
	}
	for _, rl := range rules {
		if !slices.Contains(d.Queues, rl.Queue) {
			d.Queues = append(d.Queues, rl.Queue)
		}
	}
	sort.Strings(d.Queues)
	for i := len(risk.Severities) - 1; i >= 0; i-- {
		sev := risk.Severities[i]
		if only := q.Get("severity"); only != "" && only != string(sev) {
			continue
		}
		page, err := s.acc.Risk.Alerts(ctx, p, risk.AlertFilter{Status: status, Queue: d.Queue, Severity: sev, Cursor: q.Get("cursor"),
			Limit: alertsPerSeverity})
		if err != nil {
			return err
		}
		g := alertGroup{Severity: sev, Alerts: page.Items}
		if page.NextCursor != "" {
			g.More = "/exchange/risk?" + url.Values{"status": {d.Status}, "queue": {d.Queue}, "severity": {string(sev)},
				"cursor": {page.NextCursor}}.Encode()
		}
		d.Groups = append(d.Groups, g)
	}
	return s.render(w, r, http.StatusOK, "trade_alerts", d)
}

// alertSubject is a participant or product an alert is about, with what
// staff may do to it from the alert.
type alertSubject struct {
	Kind   string // participant, product, contract
	ID     string
	Name   string
	Link   string
	Status string // the participant's or product's status, for suspension
	Side   string // buyer or provider, for a participant the evidence names as one
}

// Value is the subject as the suspend form sends it ("product:ID").
func (a alertSubject) Value() string { return a.Kind + ":" + a.ID }

// Suspendable says whether the subject can be suspended now.
func (a alertSubject) Suspendable() bool {
	return a.Status == string(exchange.ParticipantAdmitted) || a.Status == string(exchange.ProductListed)
}

// fact is one line of an alert's evidence.
type fact struct{ Name, Value string }

// alertData is an alert's page.
type alertData struct {
	Nav      tradeNav
	A        risk.Alert
	Subjects []alertSubject
	Evidence []fact
	Actors   map[string]string // user ids to names
	Ack      string
	Closing  string
	Target   string
	Reason   string
	Errors   formErrors
}

// Suspendable says whether any subject can be suspended from the alert.
func (d alertData) Suspendable() bool {
	return d.A.Status != risk.AlertClosed && slices.ContainsFunc(d.Subjects, alertSubject.Suspendable)
}

// alertPage shows an alert with its evidence (exchange staff).
func (s *server) alertPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAlert(w, r, http.StatusOK, alertData{})
}

func (s *server) showAlert(w http.ResponseWriter, r *http.Request, status int, d alertData) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	a, err := s.acc.Risk.Alert(ctx, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d.Nav, d.A, d.Evidence = s.tradeNavFor(r, "risk"), a, facts(a.Evidence)
	sides := map[string]string{}
	for _, f := range d.Evidence {
		for _, side := range []string{"buyer", "provider"} {
			if strings.HasSuffix(f.Name, "."+side+"_id") {
				sides[f.Value] = side
			}
		}
	}
	for _, id := range a.Subjects.ParticipantIDs {
		sub := alertSubject{Kind: "participant", ID: id, Name: id, Link: "/exchange/participants/" + url.PathEscape(id), Side: sides[id]}
		if pt, err := s.acc.Exchange.Participant(ctx, p, id); err == nil {
			sub.Name, sub.Status = pt.Name, string(pt.Status)
		}
		d.Subjects = append(d.Subjects, sub)
	}
	for _, id := range a.Subjects.ProductIDs {
		sub := alertSubject{Kind: "product", ID: id, Name: id, Link: "/exchange/products/" + url.PathEscape(id)}
		if pr, err := s.acc.Exchange.Product(ctx, p, id); err == nil {
			sub.Name, sub.Status = pr.Title, string(pr.Status)
		}
		d.Subjects = append(d.Subjects, sub)
	}
	for _, id := range a.Subjects.ContractIDs {
		d.Subjects = append(d.Subjects, alertSubject{Kind: "contract", ID: id, Name: shortID(id), Link: "/exchange/contracts/" + url.PathEscape(id)})
	}
	ids := []string{a.AcknowledgedBy, a.ClosedBy}
	for _, act := range a.Actions {
		ids = append(ids, act.ByUserID)
	}
	d.Actors, _ = s.identity.Usernames(ctx, ids)
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "trade_alert", d)
}

// facts flattens an alert's evidence into lines "cycle.length: 3", the
// empty values left out, in the order the engine wrote them.
func facts(raw json.RawMessage) []fact {
	var out []fact
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(strings.TrimPrefix(prefix+"."+k, "."), x[k])
			}
		case []any:
			var parts []string
			for _, e := range x {
				parts = append(parts, fmt.Sprint(e))
			}
			if len(parts) > 0 {
				out = append(out, fact{prefix, strings.Join(parts, ", ")})
			}
		case nil:
		case string:
			if x != "" {
				out = append(out, fact{prefix, x})
			}
		case bool:
			if x {
				out = append(out, fact{prefix, "true"})
			}
		default:
			if s := fmt.Sprint(x); s != "0" {
				out = append(out, fact{prefix, s})
			}
		}
	}
	var v any
	if dec.Decode(&v) == nil {
		walk("", v)
	}
	return out
}

// alertStepKind names a step the alert's page offers.
type alertStepKind int

const (
	alertAcknowledge alertStepKind = iota
	alertClose
	alertSuspend
)

// alertStep takes a step on the alert (exchange staff). Form fields:
// csrf_token, ack_note (acknowledge, optional) or close_note (close), or
// suspend_target ("participant:ID" or "product:ID") and suspend_reason. A
// problem shows the page again with it beside its input (422) and changes
// nothing.
func (s *server) alertStep(kind alertStepKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := requireUser(r)
		if err != nil {
			return err
		}
		ctx, id, rk := r.Context(), r.PathValue("id"), s.acc.Risk
		ack, closing := r.PostForm.Get("ack_note"), r.PostForm.Get("close_note")
		target, reason := r.PostForm.Get("suspend_target"), r.PostForm.Get("suspend_reason")
		var done, noteKey string
		switch kind {
		case alertAcknowledge:
			_, err = rk.AcknowledgeAlert(ctx, p, id, ack)
			done, noteKey = "risk_acknowledged", "ack_note"
		case alertClose:
			_, err = rk.CloseAlert(ctx, p, id, closing)
			done, noteKey = "risk_closed", "close_note"
		case alertSuspend:
			what, targetID, _ := strings.Cut(target, ":")
			_, err = rk.SuspendFromAlert(ctx, p, id, risk.SuspendInput{Target: what, TargetID: targetID, Reason: reason})
			done = "risk_suspended"
		}
		if errs := fieldErrors(err); errs != nil {
			renames := map[string]string{"note": noteKey, "target": "suspend_target", "target_id": "suspend_target", "reason": "suspend_reason"}
			return s.showAlert(w, r, http.StatusUnprocessableEntity, alertData{Ack: ack, Closing: closing, Target: target, Reason: reason,
				Errors: newFormErrors(langOf(r), renameTradeFields(errs, renames))})
		} else if err != nil {
			return err
		}
		return seeOther(w, r, "/exchange/risk/alerts/"+url.PathEscape(id), done)
	}
}

// rulesData is the list of risk rules.
type rulesData struct {
	Nav   tradeNav
	Rules []risk.AlertRule
}

// rulesPage lists the risk rules (exchange staff).
func (s *server) rulesPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	rules, err := s.acc.Risk.Rules(r.Context(), p)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "trade_rules", rulesData{Nav: s.tradeNavFor(r, "risk"), Rules: rules})
}

// ruleData is a rule's form, new or existing.
type ruleData struct {
	Nav       tradeNav
	ID        string // "" for a new rule
	In        risk.AlertRuleInput
	Variables []risk.RuleVariable
	Errors    formErrors
}

// Kinds, Severities are the form's choices.
func (ruleData) Kinds() []risk.Kind          { return risk.Kinds }
func (ruleData) Severities() []risk.Severity { return risk.Severities }

// Action is where the form posts.
func (d ruleData) Action() string {
	if d.ID == "" {
		return "/exchange/risk/rules"
	}
	return "/exchange/risk/rules/" + url.PathEscape(d.ID)
}

// rulePage shows a rule's form (exchange staff).
func (s *server) rulePage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	rl, err := s.acc.Risk.Rule(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	in := risk.AlertRuleInput{Name: rl.Name, Title: rl.Title, On: rl.On, Expr: rl.Expr, Dedupe: rl.Dedupe, Severity: rl.Severity, Queue: rl.Queue,
		Enabled: rl.Enabled}
	return s.showRule(w, r, http.StatusOK, ruleData{ID: rl.ID, In: in})
}

// newRuleForm is the form of a new rule (exchange staff).
func (s *server) newRuleForm(w http.ResponseWriter, r *http.Request) error {
	return s.showRule(w, r, http.StatusOK, ruleData{In: risk.AlertRuleInput{On: risk.KindTrade, Severity: risk.SeverityMedium, Queue: "market",
		Enabled: true}})
}

func (s *server) showRule(w http.ResponseWriter, r *http.Request, status int, d ruleData) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if d.Variables, err = s.acc.Risk.Variables(p); err != nil {
		return err
	}
	d.Nav = s.tradeNavFor(r, "risk")
	return s.render(w, r, status, "trade_rule", d)
}

// ruleInput reads a rule's form. Form fields: csrf_token, rule_name,
// rule_title, rule_on, rule_expr, rule_dedupe, rule_severity, rule_queue,
// rule_enabled (a checkbox).
func ruleInput(r *http.Request) risk.AlertRuleInput {
	f := r.PostForm
	return risk.AlertRuleInput{Name: f.Get("rule_name"), Title: f.Get("rule_title"), On: risk.Kind(f.Get("rule_on")), Expr: f.Get("rule_expr"),
		Dedupe: f.Get("rule_dedupe"), Severity: risk.Severity(f.Get("rule_severity")), Queue: f.Get("rule_queue"),
		Enabled: f.Get("rule_enabled") != ""}
}

// ruleRenames maps a rule's fields to the form's inputs.
var ruleRenames = map[string]string{"name": "rule_name", "title": "rule_title", "on": "rule_on", "expr": "rule_expr", "dedupe": "rule_dedupe",
	"severity": "rule_severity", "queue": "rule_queue"}

// createRule adds a rule (exchange staff); a bad expression is refused at
// its field and nothing is added.
func (s *server) createRule(w http.ResponseWriter, r *http.Request) error {
	return s.saveRule(w, r, "", func(p identity.Principal, in risk.AlertRuleInput) (risk.AlertRule, error) {
		return s.acc.Risk.CreateRule(r.Context(), p, in)
	})
}

// updateRule changes a rule (exchange staff); a bad expression is refused
// at its field and the rule stays as it was.
func (s *server) updateRule(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return s.saveRule(w, r, id, func(p identity.Principal, in risk.AlertRuleInput) (risk.AlertRule, error) {
		return s.acc.Risk.UpdateRule(r.Context(), p, id, in)
	})
}

func (s *server) saveRule(w http.ResponseWriter, r *http.Request, id string, save func(identity.Principal, risk.AlertRuleInput) (risk.AlertRule, error)) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	in := ruleInput(r)
	rl, err := save(p, in)
	if errs := fieldErrors(err); errs != nil {
		return s.showRule(w, r, http.StatusUnprocessableEntity, ruleData{ID: id, In: in,
			Errors: newFormErrors(langOf(r), renameTradeFields(errs, ruleRenames))})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/exchange/risk/rules/"+url.PathEscape(rl.ID), "risk_rule_saved")
}
