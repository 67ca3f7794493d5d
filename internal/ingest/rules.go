package ingest

import (
	"fmt"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/validate"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// QualityRule is a configurable quality rule of one item: a CEL expression that
// must be true for every non-empty value. It sees `value` (the item's
// converted value: int, double, string, bool or timestamp) and `row` (every
// item of the record by name), and may call gb11643(s) (resident identity
// card number checksum) and gb32100(s) (unified social credit code
// checksum), besides CEL's own functions such as matches() and size().
// Example: `value >= 0 && value <= 150`, `gb11643(value)`.
type QualityRule struct {
	Item    string `json:"item"`
	Expr    string `json:"expr"`
	Message string `json:"message,omitempty" required:"false" doc:"the reason shown for a failing value; default: the expression"`
}

// Rules are compiled rules, ready to check records.
type Rules struct {
	byItem  [][]compiledRule
	names   []string
	needRow bool
}

type compiledRule struct {
	prg    cel.Program
	reason string
}

// ruleEnv is the CEL environment rules compile in.
var ruleEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable("value", cel.DynType),
		cel.Variable("row", cel.MapType(cel.StringType, cel.DynType)),
		cel.Function("gb11643", cel.Overload("gb11643_string", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(checkBinding(classify.ValidResidentID)))),
		cel.Function("gb32100", cel.Overload("gb32100_string", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(checkBinding(func(s string) bool { return identity.CheckUSCC(s) == nil })))),
	)
	if err != nil {
		panic(err)
	}
	return env
}()

func checkBinding(valid func(string) bool) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		s, ok := v.Value().(string)
		return types.Bool(ok && valid(s))
	}
}

// CompileRules checks and compiles rules against items; problems are
// validate.Errors located at rules[i].item or rules[i].expr.
func CompileRules(items []catalog.Item, rules []QualityRule) (*Rules, error) {
	r := &Rules{byItem: make([][]compiledRule, len(items)), names: make([]string, len(items))}
	index := map[string]int{}
	for i, it := range items {
		index[it.Name], r.names[i] = i, it.Name
	}
	var errs validate.Errors
	for k, rule := range rules {
		at := fmt.Sprintf("rules[%d]", k)
		i, ok := index[rule.Item]
		if !ok {
			errs.Add(at+".item", rule.Item, "not_item", "is not an item of the resource")
			continue
		}
		ast, iss := ruleEnv.Compile(rule.Expr)
		if iss != nil && iss.Err() != nil {
			errs.Add(at+".expr", rule.Expr, "cel_syntax", "is not a valid CEL expression: %s", strings.TrimSpace(iss.Err().Error()))
			continue
		}
		if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
			errs.Add(at+".expr", rule.Expr, "expression_bool", "must be true or false, not %s", t)
			continue
		}
		prg, err := ruleEnv.Program(ast, cel.CostLimit(100000))
		if err != nil {
			errs.Add(at+".expr", rule.Expr, "expression_run", "cannot run: %v", err)
			continue
		}
		reason := rule.Message
		if reason == "" {
			reason = "fails the quality rule " + rule.Expr
		}
		r.byItem[i] = append(r.byItem[i], compiledRule{prg: prg, reason: reason})
		r.needRow = r.needRow || strings.Contains(rule.Expr, "row")
	}
	return r, errs.Err()
}

// Empty reports whether there is no rule to check.
func (r *Rules) Empty() bool {
	for _, list := range r.byItem {
		if len(list) > 0 {
			return false
		}
	}
	return true
}

// Check evaluates the rules on one converted record, appending an Error for
// each failing value. A rule that cannot be evaluated on a value fails it.
func (r *Rules) Check(row int64, m *Mapping, vals []any, errs []RowError) []RowError {
	if r == nil || r.Empty() {
		return errs
	}
	var rowMap map[string]any
	if r.needRow {
		rowMap = make(map[string]any, len(vals))
		for i, v := range vals {
			rowMap[r.names[i]] = celValue(v)
		}
	}
	for i, list := range r.byItem {
		if len(list) == 0 || vals[i] == nil {
			continue
		}
		act := map[string]any{"value": celValue(vals[i]), "row": rowMap}
		for _, c := range list {
			out, _, err := c.prg.Eval(act)
			if err == nil && out == types.True {
				continue
			}
			col, raw := r.names[i], FormatValue(m.Items[i].Type, vals[i])
			if j := m.Column[i]; j >= 0 {
				col = m.Header[j]
			}
			reason := c.reason
			if err != nil {
				reason += " (" + err.Error() + ")"
			}
			errs = append(errs, RowError{Row: row, Column: col, Value: clip(raw), Reason: reason})
			vals[i] = nil
			break
		}
	}
	return errs
}

func celValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return types.Timestamp{Time: t}
	}
	if v == nil {
		return types.NullValue
	}
	return v
}
