package api

import (
	"context"
	"net/http"

	"dataport/internal/exchange/risk"
	"dataport/internal/identity"

	"github.com/danielgtaylor/huma/v2"
)

// tagRisk groups the exchange's risk warning.
const tagRisk = "Exchange risk"

func init() {
	tags = append(tags, &huma.Tag{Name: tagRisk, Description: "The exchange's risk warning (article 22): rules in CEL over trades, orders, " +
		"reads refused under contracts' grants, failed compliance reviews and source declarations changed after listing, with circular " +
		"trades among related parties found by cycle detection over the trade graph; alerts with severity, evidence (ids and figures) and " +
		"an owner queue, which exchange staff acknowledge, close and suspend participants or products from. Exchange staff and platform " +
		"operators only."})
}

type listAlertsIn struct {
	Status    string `query:"status" enum:"open,acknowledged,closed"`
	Queue     string `query:"queue" doc:"Only the alerts of this owner queue"`
	Severity  string `query:"severity" enum:"low,medium,high,critical"`
	Rule      string `query:"rule" doc:"Only the alerts of the rule with this name"`
	SubjectID string `query:"subject_id" doc:"Only the alerts about this participant, product or contract"`
	Cursor    string `query:"cursor"`
	Limit     int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

type alertOut struct{ Body risk.Alert }

type alertNoteIn struct {
	ID   string `path:"id"`
	Body struct {
		Note string `json:"note,omitempty" required:"false" maxLength:"2000"`
	}
}

type closeAlertIn struct {
	ID   string `path:"id"`
	Body struct {
		Note string `json:"note" maxLength:"2000" doc:"What was found and done"`
	}
}

type suspendFromAlertIn struct {
	ID   string `path:"id"`
	Body risk.SuspendInput
}

type ruleOut struct{ Body risk.AlertRule }

type createRuleIn struct{ Body risk.AlertRuleInput }

type updateRuleIn struct {
	ID   string `path:"id"`
	Body risk.AlertRuleInput
}

type variablesOut struct {
	Body struct {
		Items []risk.RuleVariable `json:"items"`
	}
}

func (h *handlers) riskRoutes(api huma.API) {
	reg := func(id, method, path string, status int, summary, desc string) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: path, Tags: []string{tagRisk}, Summary: summary, Description: desc,
			DefaultStatus: status, Security: bearer}
	}
	rk := h.acc.Risk
	huma.Register(api, reg("list-risk-alerts", http.MethodGet, "/exchange/alerts", 0, "Risk alerts, newest first",
		"Filtered by status, owner queue, severity, rule and the participant, product or contract they are about."),
		func(ctx context.Context, in *listAlertsIn) (*List[risk.Alert], error) {
			page, err := rk.Alerts(ctx, identity.FromContext(ctx), risk.AlertFilter{Status: risk.AlertStatus(in.Status), Queue: in.Queue,
				Severity: risk.Severity(in.Severity), Rule: in.Rule, SubjectID: in.SubjectID, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[risk.Alert]{}
			out.Body.Items, out.Body.NextCursor = page.Items, page.NextCursor
			return out, nil
		})
	huma.Register(api, reg("get-risk-alert", http.MethodGet, "/exchange/alerts/{id}", 0, "One risk alert with its evidence and actions", ""),
		func(ctx context.Context, in *workflowIDIn) (*alertOut, error) {
			return h.alert(ctx)(rk.Alert(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, reg("acknowledge-risk-alert", http.MethodPost, "/exchange/alerts/{id}/acknowledge", 0, "Take an open alert in hand",
		"Moves an open alert to acknowledged, with an optional note; any other status is 409."),
		func(ctx context.Context, in *alertNoteIn) (*alertOut, error) {
			return h.alert(ctx)(rk.AcknowledgeAlert(ctx, identity.FromContext(ctx), in.ID, in.Body.Note))
		})
	huma.Register(api, reg("close-risk-alert", http.MethodPost, "/exchange/alerts/{id}/close", 0, "Close an alert with a note",
		"Closes an open or acknowledged alert; the note (what was found and done) is required. The rule's next hit raises a new alert."),
		func(ctx context.Context, in *closeAlertIn) (*alertOut, error) {
			return h.alert(ctx)(rk.CloseAlert(ctx, identity.FromContext(ctx), in.ID, in.Body.Note))
		})
	huma.Register(api, reg("suspend-from-risk-alert", http.MethodPost, "/exchange/alerts/{id}/suspend", 0,
		"Suspend a participant or product the alert is about",
		"Suspends the participant or product through the exchange (it stops trading, or is taken off the trading hall) and records the "+
			"action on the alert. The target must be one of the alert's subjects (422 otherwise); a closed alert is 409."),
		func(ctx context.Context, in *suspendFromAlertIn) (*alertOut, error) {
			return h.alert(ctx)(rk.SuspendFromAlert(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
	h.riskRuleRoutes(api, reg)
}

func (h *handlers) riskRuleRoutes(api huma.API, reg operation) {
	rk := h.acc.Risk
	huma.Register(api, reg("list-risk-rules", http.MethodGet, "/exchange/risk-rules", 0, "The risk rules, by name",
		"Every rule, the seeded defaults included: price far from the product's history, bursts of orders, circular trades, buyers "+
			"exceeding their contract's usage, repeated review failures, source declarations changed after listing."),
		func(ctx context.Context, _ *struct{}) (*List[risk.AlertRule], error) {
			rules, err := rk.Rules(ctx, identity.FromContext(ctx))
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &List[risk.AlertRule]{}
			out.Body.Items = rules
			return out, nil
		})
	huma.Register(api, reg("list-risk-rule-variables", http.MethodGet, "/exchange/risk-rules/variables", 0,
		"The variables a rule's CEL expressions may read", "Each variable with its CEL type, the kinds of observation that set it, and what it means."),
		func(ctx context.Context, _ *struct{}) (*variablesOut, error) {
			vars, err := rk.Variables(identity.FromContext(ctx))
			if err != nil {
				return nil, h.fail(ctx, err)
			}
			out := &variablesOut{}
			out.Body.Items = vars
			return out, nil
		})
	huma.Register(api, reg("create-risk-rule", http.MethodPost, "/exchange/risk-rules", http.StatusCreated, "Add a risk rule",
		"The expression must compile to a bool over the variables (GET /exchange/risk-rules/variables), the dedupe expression to a string; "+
			"anything else is 422 naming the field and CEL's message. A taken name is 422 too."),
		func(ctx context.Context, in *createRuleIn) (*ruleOut, error) {
			return h.riskRule(ctx)(rk.CreateRule(ctx, identity.FromContext(ctx), in.Body))
		})
	huma.Register(api, reg("get-risk-rule", http.MethodGet, "/exchange/risk-rules/{id}", 0, "One risk rule", ""),
		func(ctx context.Context, in *workflowIDIn) (*ruleOut, error) {
			return h.riskRule(ctx)(rk.Rule(ctx, identity.FromContext(ctx), in.ID))
		})
	huma.Register(api, reg("update-risk-rule", http.MethodPut, "/exchange/risk-rules/{id}", 0, "Change a risk rule",
		"Replaces the rule's title, kind, expressions, severity, owner queue and whether it runs; the name stays. Checked as on creation; "+
			"the engine runs the new rule from the next observation."),
		func(ctx context.Context, in *updateRuleIn) (*ruleOut, error) {
			return h.riskRule(ctx)(rk.UpdateRule(ctx, identity.FromContext(ctx), in.ID, in.Body))
		})
}

func (h *handlers) alert(ctx context.Context) func(risk.Alert, error) (*alertOut, error) {
	return func(a risk.Alert, err error) (*alertOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &alertOut{Body: a}, nil
	}
}

func (h *handlers) riskRule(ctx context.Context) func(risk.AlertRule, error) (*ruleOut, error) {
	return func(r risk.AlertRule, err error) (*ruleOut, error) {
		if err != nil {
			return nil, h.fail(ctx, err)
		}
		return &ruleOut{Body: r}, nil
	}
}
