package risk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
)

// AlertRule is a configurable risk rule: a CEL expression over the facts of
// one kind of observation (see Variables) that raises an alert of its
// severity in its owner queue when true. Alerts of one rule with the same
// dedupe key (a CEL string expression; empty: the kind's default) are one
// alert while it is open or acknowledged: a repeat counts on it.
type AlertRule struct {
	ID        string    `json:"id"`
	Name      string    `json:"name" doc:"A stable key, e.g. circular_trade"`
	Title     string    `json:"title"`
	On        Kind      `json:"on" enum:"trade,order,access_denied,review_failed,source_changed"`
	Expr      string    `json:"expr" doc:"CEL, true raises an alert"`
	Dedupe    string    `json:"dedupe,omitempty" required:"false" doc:"CEL string expression naming what repeats of the alert share"`
	Severity  Severity  `json:"severity" enum:"low,medium,high,critical"`
	Queue     string    `json:"queue" doc:"The owner queue alerts go to"`
	Enabled   bool      `json:"enabled"`
	Builtin   bool      `json:"builtin" doc:"Seeded by dataport; editable like any other"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AlertRuleInput is what exchange staff write to create or change a rule.
type AlertRuleInput struct {
	Name     string   `json:"name" maxLength:"64" doc:"Lowercase letters, digits and underscores; fixed once created"`
	Title    string   `json:"title" maxLength:"200"`
	On       Kind     `json:"on" enum:"trade,order,access_denied,review_failed,source_changed"`
	Expr     string   `json:"expr" maxLength:"4000"`
	Dedupe   string   `json:"dedupe,omitempty" required:"false" maxLength:"1000"`
	Severity Severity `json:"severity" enum:"low,medium,high,critical"`
	Queue    string   `json:"queue" maxLength:"40"`
	Enabled  bool     `json:"enabled"`
}

// compiledRule is a rule ready to run.
type compiledRule struct {
	AlertRule
	cond, key cel.Program // key is nil for the kind's default
}

// ruleEnv is the CEL environment rules compile in: the Facts' groups as
// typed objects, so that a misspelt field is refused at compile time.
var ruleEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[TradeFacts](), reflect.TypeFor[PriceFacts](), reflect.TypeFor[OrderFacts](),
			reflect.TypeFor[CycleFacts](), reflect.TypeFor[DenialFacts](), reflect.TypeFor[ReviewFacts](), reflect.TypeFor[SourceFacts](),
			ext.ParseStructTag("json")),
		cel.Variable("kind", cel.StringType),
		cel.Variable("trade", cel.ObjectType("risk.TradeFacts")),
		cel.Variable("price", cel.ObjectType("risk.PriceFacts")),
		cel.Variable("orders", cel.ObjectType("risk.OrderFacts")),
		cel.Variable("cycle", cel.ObjectType("risk.CycleFacts")),
		cel.Variable("denial", cel.ObjectType("risk.DenialFacts")),
		cel.Variable("review", cel.ObjectType("risk.ReviewFacts")),
		cel.Variable("source", cel.ObjectType("risk.SourceFacts")),
	)
	if err != nil {
		panic(err)
	}
	return env
}()

// activation is how facts are bound to the rules' variables.
func (f *Facts) activation() map[string]any {
	return map[string]any{"kind": string(f.Kind), "trade": f.Trade, "price": f.Price, "orders": f.Orders, "cycle": f.Cycle,
		"denial": f.Denial, "review": f.Review, "source": f.Source}
}

// ruleCost bounds one evaluation of a rule.
const ruleCost = 100000

// compileExpr compiles src, which must yield want, as field.
func compileExpr(field, src string, want *cel.Type) (cel.Program, validate.Errors) {
	var errs validate.Errors
	ast, iss := ruleEnv.Compile(src)
	if iss != nil && iss.Err() != nil {
		errs.Add(field, src, "cel_syntax", "is not a valid CEL expression: %s", strings.TrimSpace(iss.Err().Error()))
		return nil, errs
	}
	if !ast.OutputType().IsExactType(want) {
		errs.Add(field, src, "expression_type", "must yield %s, not %s", want, ast.OutputType())
		return nil, errs
	}
	prg, err := ruleEnv.Program(ast, cel.CostLimit(ruleCost))
	if err != nil {
		errs.Add(field, src, "expression_run", "cannot run: %v", err)
		return nil, errs
	}
	return prg, nil
}

var ruleName = regexp.MustCompile(`^[a-z][a-z0-9_]{2,63}$`)

// queueName is what an owner queue is called.
var queueName = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

func (in *AlertRuleInput) normalize() {
	for _, f := range []*string{&in.Name, &in.Title, &in.Expr, &in.Dedupe, &in.Queue} {
		*f = strings.TrimSpace(*f)
	}
}

// compile checks in and compiles it; problems name the input's fields.
func (in AlertRuleInput) compile() (compiledRule, error) {
	var errs validate.Errors
	if errs.Required("name", in.Name) && !ruleName.MatchString(in.Name) {
		errs.Add("name", in.Name, validate.CodeFormat, "must be 3–64 lowercase letters, digits and underscores, starting with a letter")
	}
	errs.Required("title", in.Title)
	errs.MaxLen("title", in.Title, 200)
	validate.OneOf(&errs, "on", in.On, Kinds...)
	validate.OneOf(&errs, "severity", in.Severity, Severities...)
	if errs.Required("queue", in.Queue) && !queueName.MatchString(in.Queue) {
		errs.Add("queue", in.Queue, validate.CodeFormat, "must be 2–40 lowercase letters, digits and underscores, starting with a letter")
	}
	errs.MaxLen("expr", in.Expr, 4000)
	errs.MaxLen("dedupe", in.Dedupe, 1000)
	r := compiledRule{AlertRule: AlertRule{Name: in.Name, Title: in.Title, On: in.On, Expr: in.Expr, Dedupe: in.Dedupe, Severity: in.Severity,
		Queue: in.Queue, Enabled: in.Enabled}}
	if errs.Required("expr", in.Expr) && !errs.Has("expr") {
		var fe validate.Errors
		r.cond, fe = compileExpr("expr", in.Expr, cel.BoolType)
		errs = append(errs, fe...)
	}
	if in.Dedupe != "" && !errs.Has("dedupe") {
		var fe validate.Errors
		r.key, fe = compileExpr("dedupe", in.Dedupe, cel.StringType)
		errs = append(errs, fe...)
	}
	return r, errs.Err()
}

// input is the rule as it was written.
func (r AlertRule) input() AlertRuleInput {
	return AlertRuleInput{Name: r.Name, Title: r.Title, On: r.On, Expr: r.Expr, Dedupe: r.Dedupe, Severity: r.Severity, Queue: r.Queue, Enabled: r.Enabled}
}

// DefaultRules are the rules seeded on first start (and whenever one of
// their names is missing): the warnings article 22 asks for.
var DefaultRules = []AlertRuleInput{
	{Name: "price_outlier", Title: "成交价格偏离产品历史价格 Price far from the product's history", On: KindTrade, Severity: SeverityMedium,
		Queue: "market", Enabled: true, Expr: `price.history >= 5 && (price.ratio > 3.0 || price.ratio < 1.0 / 3.0)`, Dedupe: `trade.product_id`},
	{Name: "order_burst_buyer", Title: "同一买方短时间内集中下单 A burst of orders by one buyer", On: KindOrder, Severity: SeverityMedium,
		Queue: "market", Enabled: true, Expr: `orders.buyer_recent >= 10`, Dedupe: `orders.buyer_id`},
	{Name: "order_burst_product", Title: "同一产品短时间内集中下单 A burst of orders for one product", On: KindOrder, Severity: SeverityLow,
		Queue: "market", Enabled: true, Expr: `orders.product_recent >= 30`, Dedupe: `orders.product_id`},
	{Name: "circular_trade", Title: "循环交易：产品或其衍生品在关联方之间循环 Circular trade among related parties", On: KindTrade,
		Severity: SeverityHigh, Queue: "market", Enabled: true, Expr: `cycle.found`, Dedupe: `cycle.key`},
	{Name: "usage_exceeded", Title: "买方超出合同约定用量 Buyer exceeding its contract's usage", On: KindDenial, Severity: SeverityMedium,
		Queue: "usage", Enabled: true, Expr: `denial.reason == "over_quota" && denial.origin_kind == "contract"`, Dedupe: `denial.grant_id`},
	{Name: "repeated_review_failures", Title: "挂牌合规审查多次未通过 Repeated review failures", On: KindReview, Severity: SeverityMedium,
		Queue: "listing", Enabled: true, Expr: `review.provider_failures >= 3`, Dedupe: `review.provider_id`},
	{Name: "source_changed_after_listing", Title: "挂牌后变更数据来源声明 Source declaration changed after listing", On: KindSource,
		Severity: SeverityHigh, Queue: "listing", Enabled: true,
		Expr: `source.listed && (source.kind_changed || source.note_changed || source.evidence_changed)`, Dedupe: `source.product_id`},
}

const ruleColumns = `id, name, title, on_kind, expr, dedupe, severity, queue, enabled, builtin, created_at, updated_at`

func scanRule(row interface{ Scan(...any) error }) (AlertRule, error) {
	var r AlertRule
	err := row.Scan(&r.ID, &r.Name, &r.Title, &r.On, &r.Expr, &r.Dedupe, &r.Severity, &r.Queue, &r.Enabled, &r.Builtin,
		store.ScanTime(&r.CreatedAt), store.ScanTime(&r.UpdatedAt))
	return r, err
}

// seedRules writes the default rules whose names are missing.
func (e *Engine) seedRules(ctx context.Context) error {
	return e.db.Transact(ctx, func(tx *store.Tx) error {
		for _, in := range DefaultRules {
			r, err := in.compile()
			if err != nil {
				return fmt.Errorf("risk: default rule %s: %w", in.Name, err)
			}
			r.ID, r.Builtin, r.CreatedAt, r.UpdatedAt = store.NewID(), true, tx.Now(), tx.Now()
			res, err := tx.ExecContext(ctx, `INSERT INTO risk_rules (`+ruleColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
				ON CONFLICT (name) DO NOTHING`, r.ID, r.Name, r.Title, r.On, r.Expr, r.Dedupe, r.Severity, r.Queue, r.Enabled, r.Builtin,
				store.TS(r.CreatedAt), store.TS(r.UpdatedAt))
			if err != nil {
				return fmt.Errorf("risk: seed rule %s: %w", in.Name, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				if err := emitRule(ctx, tx, identity.Principal{}, "created", r.AlertRule); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func emitRule(ctx context.Context, tx *store.Tx, actor identity.Principal, what string, r AlertRule) error {
	return tx.Emit(ctx, store.Event{Type: "exchange.risk_rule." + what, ActorUserID: actor.UserID, SubjectKind: "risk_rule", SubjectID: r.ID},
		map[string]any{"rule_id": r.ID, "name": r.Name, "on": r.On, "expr_sha256": store.SHA256Hex(r.Expr),
			"dedupe_sha256": store.SHA256Hex(r.Dedupe), "severity": r.Severity, "queue": r.Queue, "enabled": r.Enabled})
}

// loadRules reads and compiles every rule. A stored rule that no longer
// compiles (written by another version) is left out and logged.
func (e *Engine) loadRules(ctx context.Context, q store.Querier) ([]compiledRule, error) {
	rules, err := e.listRules(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]compiledRule, 0, len(rules))
	for _, r := range rules {
		c, err := r.input().compile()
		if err != nil {
			e.cfg.Log.WarnContext(ctx, "risk: a stored rule does not compile and is not run", "rule", r.Name, "err", err)
			continue
		}
		c.AlertRule = r
		out = append(out, c)
	}
	return out, nil
}

func (e *Engine) listRules(ctx context.Context, q store.Querier) ([]AlertRule, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleColumns+` FROM risk_rules ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("risk: rules: %w", err)
	}
	defer rows.Close()
	var out []AlertRule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rules lists every rule by name (exchange staff).
func (e *Engine) Rules(ctx context.Context, actor identity.Principal) ([]AlertRule, error) {
	if err := staff(actor); err != nil {
		return nil, err
	}
	rules, err := e.listRules(ctx, e.db)
	if rules == nil {
		rules = []AlertRule{}
	}
	return rules, err
}

// Rule returns one rule (exchange staff).
func (e *Engine) Rule(ctx context.Context, actor identity.Principal, id string) (AlertRule, error) {
	if err := staff(actor); err != nil {
		return AlertRule{}, err
	}
	return e.ruleByID(ctx, e.db, id)
}

func (e *Engine) ruleByID(ctx context.Context, q store.Querier, id string) (AlertRule, error) {
	r, err := scanRule(q.QueryRowContext(ctx, `SELECT `+ruleColumns+` FROM risk_rules WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return AlertRule{}, fmt.Errorf("risk rule %q: %w", id, store.ErrNotFound)
	}
	return r, err
}

// CreateRule adds a rule (exchange staff). A name taken already, or an
// expression that does not compile to what it must yield, is a field error.
func (e *Engine) CreateRule(ctx context.Context, actor identity.Principal, in AlertRuleInput) (AlertRule, error) {
	if err := staff(actor); err != nil {
		return AlertRule{}, err
	}
	in.normalize()
	c, err := in.compile()
	if err != nil {
		return AlertRule{}, err
	}
	err = e.db.Transact(ctx, func(tx *store.Tx) error {
		c.ID, c.CreatedAt, c.UpdatedAt = store.NewID(), tx.Now(), tx.Now()
		_, err := tx.ExecContext(ctx, `INSERT INTO risk_rules (`+ruleColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
			c.ID, c.Name, c.Title, c.On, c.Expr, c.Dedupe, c.Severity, c.Queue, c.Enabled, false, store.TS(c.CreatedAt), store.TS(c.UpdatedAt))
		if store.IsUniqueViolation(err) {
			return validate.Errors{{Field: "name", Value: c.Name, Message: "is the name of another rule", Code: validate.CodeDuplicate}}
		} else if err != nil {
			return fmt.Errorf("risk: create rule: %w", err)
		}
		tx.AfterCommit(e.rulesChanged)
		return emitRule(ctx, tx, actor, "created", c.AlertRule)
	})
	return c.AlertRule, err
}

// UpdateRule replaces a rule's title, kind, expressions, severity, queue
// and whether it runs (exchange staff). Its name stays: a different name
// is a field error.
func (e *Engine) UpdateRule(ctx context.Context, actor identity.Principal, id string, in AlertRuleInput) (AlertRule, error) {
	if err := staff(actor); err != nil {
		return AlertRule{}, err
	}
	in.normalize()
	var out AlertRule
	err := e.db.Transact(ctx, func(tx *store.Tx) error {
		old, err := e.ruleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.Name == "" {
			in.Name = old.Name
		}
		c, err := in.compile()
		if err != nil {
			return err
		}
		if in.Name != old.Name {
			return validate.Errors{{Field: "name", Value: in.Name, Message: "cannot change: a rule keeps its name", Code: "fixed"}}
		}
		c.ID, c.Builtin, c.CreatedAt, c.UpdatedAt = old.ID, old.Builtin, old.CreatedAt, tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE risk_rules SET title = $1, on_kind = $2, expr = $3, dedupe = $4, severity = $5, queue = $6,
			enabled = $7, updated_at = $8 WHERE id = $9`, c.Title, c.On, c.Expr, c.Dedupe, c.Severity, c.Queue, c.Enabled, store.TS(c.UpdatedAt), c.ID); err != nil {
			return fmt.Errorf("risk: update rule: %w", err)
		}
		out = c.AlertRule
		tx.AfterCommit(e.rulesChanged)
		return emitRule(ctx, tx, actor, "updated", c.AlertRule)
	})
	return out, err
}

// staff refuses anyone but exchange staff and platform operators.
func staff(actor identity.Principal) error {
	if actor.IsAnonymous() {
		return identity.ErrUnauthenticated
	}
	if !exchange.CanStaff(actor) {
		return identity.ErrForbidden
	}
	return nil
}

// Variables documents the variables rules may read (exchange staff).
func (e *Engine) Variables(actor identity.Principal) ([]RuleVariable, error) {
	if err := staff(actor); err != nil {
		return nil, err
	}
	return Variables, nil
}
