package api

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"dataport/internal/identity"
	"dataport/internal/monitor"

	"github.com/danielgtaylor/huma/v2"
)

// tagMonitor groups the security monitoring.
const tagMonitor = "Security monitoring"

func init() {
	tags = append(tags, &huma.Tag{Name: tagMonitor, Description: "Security monitoring (article 48): rules kept as data — Sigma-like YAML " +
		"with CEL conditions and a correlation section (count, distinct, baseline, hours) — run off the request path over access " +
		"decisions and the rows they served, sign-in attempts and workflow events, and raise alerts with a severity, evidence (decisions " +
		"and events with their ledger receipts), an owner and a state (new, acknowledged, escalated to an incident, closed as a true or " +
		"false positive). The security officer, the regulator and the auditor see them; the security officer edits rules and works on alerts."})
}

// monitorType is a type of package monitor as reflection names it, alone
// or in a generic type's arguments; its schema is named with the prefix
// Monitor (monitor.Alert is MonitorAlert: the exchange's risk has an Alert).
var monitorType = regexp.MustCompile(`dataport/internal/monitor\.([A-Za-z0-9_]+)`)

// monitorPkg is package monitor's import path.
const monitorPkg = "dataport/internal/monitor"

// monitorSchemaName prefixes package monitor's types in name with Monitor.
func monitorSchemaName(name string) string { return monitorType.ReplaceAllString(name, "Monitor$1") }

// MonitorAlertItem is an alert as the list gives it: evidence is the ids of
// the sealed events it rests on.
type MonitorAlertItem struct {
	ID          string           `json:"id"`
	Rule        string           `json:"rule" doc:"The rule's code, e.g. bulk_download"`
	Severity    monitor.Severity `json:"severity" enum:"low,medium,high,critical"`
	State       monitor.State    `json:"state" enum:"new,acknowledged,escalated,closed_true,closed_false"`
	Subject     string           `json:"subject" doc:"Who or what the alert is about: user:ID, key:ID, grant:ID, address:HASH, anonymous"`
	CreatedAt   time.Time        `json:"created_at"`
	Evidence    []string         `json:"evidence" doc:"The ids of the sealed events the alert rests on (receipts at /api/v1/ledger/receipts/{id})"`
	RuleID      string           `json:"rule_id"`
	Summary     string           `json:"summary"`
	Hits        int              `json:"hits"`
	OwnerUserID string           `json:"owner_user_id,omitempty" required:"false"`
	IncidentID  string           `json:"incident_id,omitempty" required:"false"`
	UpdatedAt   time.Time        `json:"updated_at"`
	LastHitAt   time.Time        `json:"last_hit_at"`
}

func alertItem(a monitor.Alert) MonitorAlertItem {
	return MonitorAlertItem{ID: a.ID, Rule: a.Rule, Severity: a.Severity, State: a.State, Subject: a.Subject, CreatedAt: a.CreatedAt,
		Evidence: a.EventIDs(), RuleID: a.RuleID, Summary: a.Summary, Hits: a.Hits, OwnerUserID: a.OwnerUserID, IncidentID: a.IncidentID,
		UpdatedAt: a.UpdatedAt, LastHitAt: a.LastHitAt}
}

type listMonitorAlertsIn struct {
	Rule    string `query:"rule" doc:"Only the alerts of the rule with this code"`
	State   string `query:"state" enum:"new,acknowledged,escalated,closed_true,closed_false"`
	Subject string `query:"subject" doc:"Only the alerts about this subject"`
	Cursor  string `query:"cursor" doc:"next_cursor of the previous page"`
	Limit   int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type monitorAlertOut struct{ Body monitor.Alert }

type monitorNoteIn struct {
	ID   string `path:"id"`
	Body struct {
		Note string `json:"note,omitempty" required:"false" maxLength:"2000"`
	}
}

type monitorAssignIn struct {
	ID   string `path:"id"`
	Body struct {
		OwnerUserID string `json:"owner_user_id" doc:"A security officer's user id"`
	}
}

type monitorCloseIn struct {
	ID   string `path:"id"`
	Body struct {
		Outcome string `json:"outcome" enum:"true_positive,false_positive" doc:"Whether the alert was real"`
		Note    string `json:"note" maxLength:"2000" doc:"What was found and done"`
	}
}

type monitorRuleOut struct{ Body monitor.Rule }

type createMonitorRuleIn struct{ Body monitor.RuleInput }

type updateMonitorRuleIn struct {
	ID   string `path:"id" doc:"The rule's id or code"`
	Body monitor.RuleInput
}

type monitorVariablesOut struct {
	Body struct {
		Items []monitor.Variable `json:"items"`
	}
}

func (h *handlers) monitorRoutes(api huma.API) {
	reg := func(id, method, path string, status int, summary, desc string) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{tagMonitor}, Summary: summary, Description: desc,
			DefaultStatus: status, Security: bearer}
	}
	m := h.acc.Monitor
	huma.Register(api, reg("list-monitor-alerts", http.MethodGet, "/monitor/alerts", 0, "Security alerts, newest first",
		"Filtered by rule code, state and subject. Each item names its rule, severity, state, subject, when it was raised and the ids of "+
			"the sealed events its evidence rests on. The security officer, the regulator and the auditor only."),
		func(ctx context.Context, in *listMonitorAlertsIn) (*List[MonitorAlertItem], error) {
			alerts, next, err := m.Alerts(ctx, identity.FromContext(ctx), monitor.AlertFilter{Rule: in.Rule, State: monitor.State(in.State),
				Subject: in.Subject, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[MonitorAlertItem]{}
			out.Body.Items, out.Body.NextCursor = make([]MonitorAlertItem, len(alerts)), next
			for i, a := range alerts {
				out.Body.Items[i] = alertItem(a)
			}
			return out, nil
		})
	huma.Register(api, reg("get-monitor-alert", http.MethodGet, "/monitor/alerts/{id}", 0, "One security alert with its evidence",
		"Its figures (counts, baselines, thresholds) and evidence: each decision, rows report, failed sign-in or event with the sealed "+
			"event that carries it and the link to its ledger receipt."),
		func(ctx context.Context, in *workflowIDIn) (*monitorAlertOut, error) {
			return answer(h, ctx, monitorAlertBody)(m.Alert(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, reg("acknowledge-monitor-alert", http.MethodPost, "/monitor/alerts/{id}/acknowledge", 0, "Take a new alert in hand",
		"Moves a new alert to acknowledged, with an optional note; it becomes yours unless it has an owner. Any other state is 409."),
		func(ctx context.Context, in *monitorNoteIn) (*monitorAlertOut, error) {
			return answer(h, ctx, monitorAlertBody)(m.Acknowledge(ctx, identity.FromContext(ctx), in.ID, in.Body.Note))
		})
	huma.Register(api, reg("assign-monitor-alert", http.MethodPost, "/monitor/alerts/{id}/assign", 0, "Give an alert an owner",
		"The owner must be an active security officer (422 otherwise); an escalated or closed alert is 409."),
		func(ctx context.Context, in *monitorAssignIn) (*monitorAlertOut, error) {
			return answer(h, ctx, monitorAlertBody)(m.Assign(ctx, identity.FromContext(ctx), in.ID, in.Body.OwnerUserID))
		})
	huma.Register(api, reg("close-monitor-alert", http.MethodPost, "/monitor/alerts/{id}/close", 0, "Close an alert as a true or false positive",
		"Closes a new or acknowledged alert; the note is required. The rule's next hit for the subject raises a new alert."),
		func(ctx context.Context, in *monitorCloseIn) (*monitorAlertOut, error) {
			return answer(h, ctx, monitorAlertBody)(m.Close(ctx, identity.FromContext(ctx), in.ID, in.Body.Outcome == "true_positive", in.Body.Note))
		})
	h.monitorRuleRoutes(api, reg)
}

func (h *handlers) monitorRuleRoutes(api huma.API, reg operation) {
	m := h.acc.Monitor
	huma.Register(api, reg("list-monitor-rules", http.MethodGet, "/monitor/rules", 0, "The monitoring rules, by code",
		"Every rule with its YAML body, the seven shipped defaults included: bulk_download, off_hours, volume_spike, repeated_denials, "+
			"credential_stuffing, lapsed_grant and reid_qi."),
		func(ctx context.Context, _ *struct{}) (*List[monitor.Rule], error) {
			return listOf[monitor.Rule](h, ctx)(m.Rules(ctx, identity.FromContext(ctx)))
		})
	huma.Register(api, reg("list-monitor-rule-variables", http.MethodGet, "/monitor/rules/variables", 0,
		"The variables a rule reads", "Each variable with its CEL type, the sources that set it, and what it means."),
		func(ctx context.Context, _ *struct{}) (*monitorVariablesOut, error) {
			if _, err := m.Rules(ctx, identity.FromContext(ctx)); err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &monitorVariablesOut{}
			out.Body.Items = monitor.Variables
			return out, nil
		})
	huma.Register(api, reg("create-monitor-rule", http.MethodPost, "/monitor/rules", http.StatusCreated, "Add a monitoring rule",
		"The body is the rule's YAML. Anything wrong — YAML, a missing or bad field, a where condition that is not CEL yielding a bool, "+
			"a threshold out of range, a taken code — is 422 on body, the message starting with the line."),
		func(ctx context.Context, in *createMonitorRuleIn) (*monitorRuleOut, error) {
			return answer(h, ctx, monitorRuleBody)(m.CreateRule(ctx, identity.FromContext(ctx), in.Body))
		})
	huma.Register(api, reg("get-monitor-rule", http.MethodGet, "/monitor/rules/{id}", 0, "One monitoring rule", "By id or code."),
		func(ctx context.Context, in *workflowIDIn) (*monitorRuleOut, error) {
			return answer(h, ctx, monitorRuleBody)(m.Rule(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, reg("update-monitor-rule", http.MethodPut, "/monitor/rules/{id}", 0, "Change a monitoring rule",
		"Replaces the rule's YAML, checked as on creation; its code stays. The engine runs the new rule from the next observation; a "+
			"changed correlation starts its windows and baselines afresh."),
		func(ctx context.Context, in *updateMonitorRuleIn) (*monitorRuleOut, error) {
			return answer(h, ctx, monitorRuleBody)(m.UpdateRule(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
}

func monitorAlertBody(a monitor.Alert) *monitorAlertOut { return &monitorAlertOut{Body: a} }
func monitorRuleBody(r monitor.Rule) *monitorRuleOut    { return &monitorRuleOut{Body: r} }
