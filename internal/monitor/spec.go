package monitor

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"dataport/internal/validate"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v3"
)

// A rule's body is Sigma-like YAML:
//
//	code: repeated_denials
//	name_zh: 反复被拒绝的访问
//	name_en: Repeated denied reads
//	severity: medium
//	source: decision          # decision | signin | event
//	where: '!allow'           # CEL over the observation (see Variables)
//	correlate:                # optional: without it every match is a hit
//	  type: count             # count | distinct | baseline | hours
//	  group_by: [subject]
//	  window: 10m
//	  threshold: 10
//	suppress: 1h              # further hits within it add to the open alert
//
// Problems are field errors on "body" whose message starts with the line.

// Sources of observations.
const (
	SourceDecision = "decision" // an access decision, or the rows served under one
	SourceSignIn   = "signin"   // a sign-in attempt
	SourceEvent    = "event"    // a workflow event from the events table
)

// Sources lists every source.
var Sources = []string{SourceDecision, SourceSignIn, SourceEvent}

// Correlation types.
const (
	CorrelateCount    = "count"    // matches per group within the window reach threshold
	CorrelateDistinct = "distinct" // distinct values of field per group within the window reach threshold
	CorrelateBaseline = "baseline" // the window's sum of value exceeds factor × the group's own baseline (and min)
	CorrelateHours    = "hours"    // a match at an hour the group has used fewer than min_count times before
)

// Correlations lists every correlation type.
var Correlations = []string{CorrelateCount, CorrelateDistinct, CorrelateBaseline, CorrelateHours}

// Severities lists every severity, least urgent first.
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Duration is a YAML duration: Go's syntax ("90s", "10m", "1h30m") or whole days ("7d").
type Duration time.Duration

// ParseDuration reads s as a Duration.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3650 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 90s, 10m, 1h or 7d", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// Spec is a rule's body, parsed.
type Spec struct {
	Code        string     `yaml:"code"`
	NameZh      string     `yaml:"name_zh"`
	NameEn      string     `yaml:"name_en"`
	Description string     `yaml:"description"`
	Severity    Severity   `yaml:"severity"`
	Enabled     *bool      `yaml:"enabled"` // default true
	Source      string     `yaml:"source"`
	Where       string     `yaml:"where"`
	Correlate   *Correlate `yaml:"correlate"`
	Suppress    Duration   `yaml:"suppress"` // default 1h
}

// Correlate is a rule's correlation section.
type Correlate struct {
	Type       string   `yaml:"type"`
	GroupBy    []string `yaml:"group_by"`
	Window     Duration `yaml:"window"`
	Threshold  int64    `yaml:"threshold"`   // count, distinct
	Field      string   `yaml:"field"`       // distinct: the variable whose distinct values are counted
	Value      string   `yaml:"value"`       // baseline: the numeric variable summed (default: 1 per match)
	Factor     float64  `yaml:"factor"`      // baseline: how many times the baseline the window must exceed
	Min        float64  `yaml:"min"`         // baseline: the least window sum that alerts
	MinHistory int      `yaml:"min_history"` // baseline: windows of history; hours: earlier matches
	MinCount   int      `yaml:"min_count"`   // hours: earlier matches at the hour that make it usual (default 1)
	Timezone   string   `yaml:"timezone"`    // hours: the zone hours are counted in (default Asia/Shanghai)
}

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{2,63}$`)

// maxBody bounds a rule's YAML.
const maxBody = 16000

// ruleError is a problem with a rule's body at a line (0: the whole body).
func ruleError(errs *validate.Errors, body string, line int, code, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	*errs = append(*errs, validate.FieldError{Field: "body", Value: lineOf(body, line), Message: msg, Code: code, Args: []any{line, fmt.Sprintf(format, args...)}})
}

// lineBreaks makes every line break of a rule's body "\n": YAML also ends
// a line at a lone "\r" (as a browser's form does), so a body keeping one
// would be numbered differently by YAML's errors and by lineOf.
func lineBreaks(body string) string {
	return strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n")
}

// lineOf is line n of body (1-based), or "" when there is none.
func lineOf(body string, n int) string {
	lines := strings.Split(body, "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[n-1], "\r")
}

// Codes of a rule body's problems (Args: the line, the English detail).
const (
	CodeRuleYAML  = "rule_yaml"  // not YAML of a rule
	CodeRuleField = "rule_field" // a field missing or wrong
	CodeRuleCEL   = "rule_cel"   // the where condition does not compile to a bool
)

// ParseSpec reads and checks a rule's body. Every problem is a field error
// on "body" naming its line, counted as in the body with its line breaks
// made "\n" (see lineBreaks).
func ParseSpec(body string) (Spec, error) {
	body = lineBreaks(body)
	var errs validate.Errors
	if strings.TrimSpace(body) == "" {
		errs.Add("body", "", validate.CodeRequired, "is required: the rule's YAML")
		return Spec{}, errs
	}
	if len(body) > maxBody {
		errs.Add("body", len(body), validate.CodeMaxLen, "must be at most %d characters, not %d", maxBody, len(body))
		return Spec{}, errs
	}
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(body), &root); err != nil {
		ruleError(&errs, body, yamlLine(err), CodeRuleYAML, "%s", yamlMessage(err))
		return Spec{}, errs
	}
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		ruleError(&errs, body, 1, CodeRuleYAML, "a rule is a mapping of fields (code, severity, source, where, …)")
		return Spec{}, errs
	}
	var sp Spec
	dec := yaml.NewDecoder(strings.NewReader(body))
	dec.KnownFields(true)
	if err := dec.Decode(&sp); err != nil {
		ruleError(&errs, body, yamlLine(err), CodeRuleYAML, "%s", yamlMessage(err))
		return Spec{}, errs
	}
	sp.check(body, root.Content[0], &errs)
	return sp, errs.Err()
}

var yamlLinePattern = regexp.MustCompile(`line (\d+)`)

// yamlLine is the line a YAML error names, or 0.
func yamlLine(err error) int {
	if m := yamlLinePattern.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// yamlMessage is a YAML error without its "yaml: " prefix and line.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = yamlLinePattern.ReplaceAllString(msg, "")
	return strings.TrimLeft(strings.TrimSpace(msg), ": ")
}

// keyLine finds the line of the value of a dotted key in node m (or of the
// key's mapping when the key is missing, or of the body's first line).
func keyLine(m *yaml.Node, path ...string) int {
	line := m.Line
	for _, k := range path {
		found := false
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == k {
				m, line, found = m.Content[i+1], m.Content[i+1].Line, true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

// check validates sp; m is the body's root mapping, for lines.
func (sp *Spec) check(body string, m *yaml.Node, errs *validate.Errors) {
	bad := func(code string, path []string, format string, args ...any) {
		ruleError(errs, body, keyLine(m, path...), code, format, args...)
	}
	if sp.Code == "" {
		bad(CodeRuleField, nil, "code is required")
	} else if !codePattern.MatchString(sp.Code) {
		bad(CodeRuleField, []string{"code"}, "code must be 3–64 lowercase letters, digits and underscores, starting with a letter")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"name_zh", sp.NameZh, 200}, {"name_en", sp.NameEn, 200}, {"description", sp.Description, 2000}} {
		if f.name != "description" && strings.TrimSpace(f.v) == "" {
			bad(CodeRuleField, nil, "%s is required", f.name)
		} else if len([]rune(f.v)) > f.max {
			bad(CodeRuleField, []string{f.name}, "%s must be at most %d characters", f.name, f.max)
		}
	}
	if !slices.Contains(Severities, sp.Severity) {
		bad(CodeRuleField, []string{"severity"}, "severity must be one of low, medium, high, critical")
	}
	if !slices.Contains(Sources, sp.Source) {
		bad(CodeRuleField, []string{"source"}, "source must be one of decision, signin, event")
	} else if sp.Where != "" {
		if _, err := compileWhere(sp.Where); err != nil {
			bad(CodeRuleCEL, []string{"where"}, "where: %s", err)
		}
	}
	if sp.Suppress < 0 || time.Duration(sp.Suppress) > 30*24*time.Hour {
		bad(CodeRuleField, []string{"suppress"}, "suppress must be between 0 and 30d")
	}
	if sp.Correlate != nil {
		sp.Correlate.check(func(path []string, format string, args ...any) {
			bad(CodeRuleField, append([]string{"correlate"}, path...), format, args...)
		})
	}
}

// check validates a correlation section; bad reports a problem at a key.
func (c *Correlate) check(bad func(path []string, format string, args ...any)) {
	if !slices.Contains(Correlations, c.Type) {
		bad([]string{"type"}, "correlate.type must be one of count, distinct, baseline, hours")
		return
	}
	if len(c.GroupBy) == 0 {
		bad(nil, "correlate.group_by is required: the variables an alert is about (e.g. [subject])")
	}
	for _, g := range c.GroupBy {
		if !isGroupVar(g) {
			bad([]string{"group_by"}, "correlate.group_by: %q is not a text variable (one of %s)", g, strings.Join(groupVars, ", "))
		}
	}
	window := time.Duration(c.Window)
	if c.Type != CorrelateHours && (window < time.Second || window > 30*24*time.Hour) {
		bad([]string{"window"}, "correlate.window must be between 1s and 30d")
	}
	switch c.Type {
	case CorrelateCount, CorrelateDistinct:
		if c.Threshold < 1 || c.Threshold > 1_000_000 {
			bad([]string{"threshold"}, "correlate.threshold must be between 1 and 1000000")
		}
		if c.Type == CorrelateDistinct && !isGroupVar(c.Field) {
			bad([]string{"field"}, "correlate.field must be a text variable whose distinct values are counted (one of %s)", strings.Join(groupVars, ", "))
		}
	case CorrelateBaseline:
		if c.Value != "" && !slices.Contains(numberVars, c.Value) {
			bad([]string{"value"}, "correlate.value must be a number variable (one of %s) or left out to count matches", strings.Join(numberVars, ", "))
		}
		if c.Factor <= 1 || c.Factor > 1e6 {
			bad([]string{"factor"}, "correlate.factor must be more than 1 (how many times its baseline a window must exceed)")
		}
		if c.Min < 0 {
			bad([]string{"min"}, "correlate.min must not be negative")
		}
		if c.MinHistory < 1 || c.MinHistory > 10000 {
			bad([]string{"min_history"}, "correlate.min_history must be between 1 and 10000 windows")
		}
	case CorrelateHours:
		if c.MinHistory < 1 || c.MinHistory > 1_000_000 {
			bad([]string{"min_history"}, "correlate.min_history must be between 1 and 1000000 earlier matches")
		}
		if c.MinCount < 0 || c.MinCount > 1_000_000 {
			bad([]string{"min_count"}, "correlate.min_count must be between 0 and 1000000")
		}
		if c.Timezone != "" {
			if _, err := time.LoadLocation(c.Timezone); err != nil {
				bad([]string{"timezone"}, "correlate.timezone %q is not a time zone (e.g. Asia/Shanghai)", c.Timezone)
			}
		}
	}
}

// compileWhere compiles a where condition, which must yield a bool.
func compileWhere(src string) (cel.Program, error) {
	ast, iss := celEnv.Compile(src)
	if iss != nil && iss.Err() != nil {
		return nil, errors.New(strings.TrimSpace(iss.Err().Error()))
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("must yield a bool, not %s", ast.OutputType())
	}
	return celEnv.Program(ast, cel.CostLimit(whereCost))
}

// whereCost bounds one evaluation of a where condition.
const whereCost = 10000

// enabled is whether the rule runs (default true).
func (sp Spec) enabled() bool { return sp.Enabled == nil || *sp.Enabled }

// suppress is how long further hits add to an open alert (default 1h).
func (sp Spec) suppress() time.Duration {
	if sp.Suppress == 0 {
		return time.Hour
	}
	return time.Duration(sp.Suppress)
}
