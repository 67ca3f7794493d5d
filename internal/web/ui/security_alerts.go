package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/monitor"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// The security hub and the alerts (告警): open alerts by severity, the
// alerts filtered by rule and state, and an alert's page with its figures,
// its evidence (each with the sealed event and its receipt) and, for the
// security officer, acknowledge, assign, close and "open an incident".

// hubAlerts is how many of the newest open alerts the hub lists.
const hubAlerts = 10

// severityCount is the open alerts of one severity.
type severityCount struct {
	Severity monitor.Severity
	Count    int
}

// securityHubData is the hub.
type securityHubData struct {
	Nav      securityNav
	Open     []severityCount // most severe first
	OpenAll  int
	Newest   []monitor.Alert // the newest new alerts
	Rules    map[string]string
	Subjects map[string]alertSubjectView
	Enabled  int // rules enabled
	AllRules int
}

// securityHub is the security officer's, regulator's and auditor's start
// page: open alerts by severity, the newest new ones, the rules' count and
// the way to incidents.
func (s *server) securityHub(w http.ResponseWriter, r *http.Request) error {
	p, nav, err := securityViewer(r)
	if err != nil {
		return err
	}
	ctx, m := r.Context(), s.acc.Monitor
	nav.Section = "hub"
	d := securityHubData{Nav: nav}
	open, err := m.OpenAlerts(ctx)
	if err != nil {
		return err
	}
	for _, sev := range severityOrder() {
		d.Open = append(d.Open, severityCount{sev, open[sev]})
		d.OpenAll += open[sev]
	}
	if d.Newest, _, err = m.Alerts(ctx, p, monitor.AlertFilter{State: monitor.StateNew, Limit: hubAlerts}); err != nil {
		return err
	}
	rules, err := m.Rules(ctx, p)
	if err != nil {
		return err
	}
	for _, rl := range rules {
		if rl.Enabled {
			d.Enabled++
		}
	}
	d.AllRules, d.Rules, d.Subjects = len(rules), ruleNames(langOf(r), rules), s.subjectViews(ctx, d.Newest)
	return s.render(w, r, http.StatusOK, "security", d)
}

// securityAlertsData is the list of alerts.
type securityAlertsData struct {
	Nav      securityNav
	Rule     string
	State    string
	RuleList []monitor.Rule
	Rules    map[string]string
	Alerts   []monitor.Alert
	Subjects map[string]alertSubjectView
	More     string // the next page
	Errors   formErrors
}

// States are the filter's choices.
func (securityAlertsData) States() []monitor.State { return monitor.States }

// securityAlertsPage lists alerts, newest first. Query: rule (a rule's
// code), state, cursor. A bad state or cursor is shown beside the filter
// (422).
func (s *server) securityAlertsPage(w http.ResponseWriter, r *http.Request) error {
	p, nav, err := securityViewer(r)
	if err != nil {
		return err
	}
	ctx, q, m := r.Context(), r.URL.Query(), s.acc.Monitor
	nav.Section = "alerts"
	d := securityAlertsData{Nav: nav, Rule: q.Get("rule"), State: q.Get("state")}
	if d.RuleList, err = m.Rules(ctx, p); err != nil {
		return err
	}
	d.Rules = ruleNames(langOf(r), d.RuleList)
	status := http.StatusOK
	alerts, next, err := m.Alerts(ctx, p, monitor.AlertFilter{Rule: d.Rule, State: monitor.State(d.State), Cursor: q.Get("cursor")})
	if errs := fieldErrors(err); errs != nil {
		d.Errors, status = newFormErrors(langOf(r), renameTradeFields(errs, map[string]string{"state": "alert_state", "cursor": "alert_state"})),
			http.StatusUnprocessableEntity
	} else if err != nil {
		return err
	}
	d.Alerts, d.Subjects = alerts, s.subjectViews(ctx, alerts)
	if next != "" {
		d.More = "/security/alerts?" + url.Values{"rule": {d.Rule}, "state": {d.State}, "cursor": {next}}.Encode()
	}
	return s.render(w, r, status, "security_alerts", d)
}

// evidenceRow is one piece of an alert's evidence as its page shows it.
type evidenceRow struct {
	monitor.Evidence
	Event   string // the sealed event's page
	Receipt string // its receipt, once sealed
}

// securityAlertData is an alert's page.
type securityAlertData struct {
	Nav      securityNav
	A        monitor.Alert
	RuleName string
	Subject  alertSubjectView
	Figures  []figure
	Evidence []evidenceRow
	Owner    string // the owner's name
	Ack      string // the forms' values after a refusal
	OwnerIn  string
	Verdict  string
	Closing  string
	Errors   formErrors
}

// Open says whether the alert still waits for someone.
func (d securityAlertData) Open() bool { return d.A.State.Open() }

// IncidentForm is the incidents part's form for an incident from the alert.
func (d securityAlertData) IncidentForm() string {
	return "/security/incidents/new?alert=" + url.QueryEscape(d.A.ID)
}

// IncidentPage is the page of the incident the alert became.
func (d securityAlertData) IncidentPage() string {
	return "/security/incidents/" + url.PathEscape(d.A.IncidentID)
}

// securityAlertPage shows an alert with its evidence.
func (s *server) securityAlertPage(w http.ResponseWriter, r *http.Request) error {
	return s.showSecurityAlert(w, r, http.StatusOK, securityAlertData{Verdict: "true"})
}

func (s *server) showSecurityAlert(w http.ResponseWriter, r *http.Request, status int, d securityAlertData) error {
	p, nav, err := securityViewer(r)
	if err != nil {
		return err
	}
	ctx, m := r.Context(), s.acc.Monitor
	nav.Section = "alerts"
	a, err := m.Alert(ctx, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	d.Nav, d.A, d.Figures = nav, a, figures(a.Figures)
	if rl, err := m.Rule(ctx, p, a.RuleID); err == nil {
		d.RuleName = pick(langOf(r), rl.NameZh, rl.NameEn)
	}
	d.Subject = s.subjectViews(ctx, []monitor.Alert{a})[a.Subject]
	for _, e := range a.Evidence {
		row := evidenceRow{Evidence: e}
		if e.EventID != "" {
			row.Event = "/audit/events/" + url.PathEscape(e.EventID)
			row.Receipt = row.Event + "/receipt.json"
		}
		d.Evidence = append(d.Evidence, row)
	}
	if a.OwnerUserID != "" {
		names, _ := s.identity.Usernames(ctx, []string{a.OwnerUserID})
		d.Owner = names[a.OwnerUserID]
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "security_alert", d)
}

// secStep names a step on an alert.
type secStep int

const (
	secAcknowledge secStep = iota
	secAssign
	secClose
)

// securityAlertStep takes a step on an alert (the security officer). Form
// fields: csrf_token; ack_note (acknowledge, optional); owner, a security
// officer's username (assign); verdict ("true" or "false") and close_note
// (close). A problem shows the page again with it beside its input (422)
// and changes nothing.
func (s *server) securityAlertStep(step secStep) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := requireUser(r)
		if err != nil {
			return err
		}
		ctx, id, m, f := r.Context(), r.PathValue("id"), s.acc.Monitor, r.PostForm
		d := securityAlertData{Ack: f.Get("ack_note"), OwnerIn: strings.TrimSpace(f.Get("owner")), Verdict: f.Get("verdict"), Closing: f.Get("close_note")}
		var done string
		switch step {
		case secAcknowledge:
			_, err = m.Acknowledge(ctx, p, id, d.Ack)
			done = "security_acknowledged"
		case secAssign:
			err = s.assignAlert(r, p, id, d.OwnerIn)
			done = "security_assigned"
		case secClose:
			if d.Verdict != "true" && d.Verdict != "false" {
				err = validate.Errors{{Field: "verdict", Value: d.Verdict, Message: "must be one of the choices offered", Code: validate.CodeOneOf}}
				break
			}
			_, err = m.Close(ctx, p, id, d.Verdict == "true", d.Closing)
			done = "security_closed"
		}
		if errs := fieldErrors(err); errs != nil {
			note := map[secStep]string{secAcknowledge: "ack_note", secClose: "close_note"}[step]
			d.Errors = newFormErrors(langOf(r), renameTradeFields(errs, map[string]string{"note": note, "owner_user_id": "owner"}))
			return s.showSecurityAlert(w, r, http.StatusUnprocessableEntity, d)
		} else if err != nil {
			return err
		}
		return seeOther(w, r, alertPath(id), done)
	}
}

// assignAlert gives alert id to the security officer named username.
func (s *server) assignAlert(r *http.Request, p identity.Principal, id, username string) error {
	ownerID := ""
	if username != "" {
		u, err := s.identity.UserByName(r.Context(), username)
		if errors.Is(err, store.ErrNotFound) {
			return validate.Errors{{Field: "owner", Value: username, Message: "is not an active security officer", Code: "not_security_officer"}}
		} else if err != nil {
			return err
		}
		ownerID = u.ID
	}
	_, err := s.acc.Monitor.Assign(r.Context(), p, id, ownerID)
	return err
}
