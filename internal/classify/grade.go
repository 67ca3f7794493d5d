package classify

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"

	"cel.dev/cel-go/cel"
	"sigs.k8s.io/yaml"

	"dataport/internal/catalog"
	"dataport/internal/validate"
)

//go:embed default_rules.yaml
var defaultRulesFile []byte

// Grading is a dataset's grade under GB/T 43697 with the reasons for it.
type Grading struct {
	Class                 catalog.Classification `json:"class"`
	Level                 int                    `json:"level"`
	PersonalInfo          bool                   `json:"personal_information"`
	SensitivePersonalInfo bool                   `json:"sensitive_personal_information"`
	// Persons estimates how many distinct people the data is about.
	Persons int64 `json:"persons"`
	// Reasons are the rules that fired, most severe first.
	Reasons []Reason `json:"reasons"`
	// Rules names the rule set and its content hash ("version@sha256prefix").
	Rules string `json:"rules"`
}

// Reason is one rule that contributed to a grade.
type Reason struct {
	Rule   string                 `json:"rule"`
	Column string                 `json:"column,omitempty"`
	Class  catalog.Classification `json:"class"`
	Level  int                    `json:"level"`
	Text   string                 `json:"text"`
}

// Rule is one grading rule as written in a rule file.
type Rule struct {
	ID     string                 `json:"id"`
	Scope  string                 `json:"scope"` // "column" or "dataset"
	When   string                 `json:"when"`  // CEL expression yielding bool
	Class  catalog.Classification `json:"class"`
	Level  int                    `json:"level"`
	Reason string                 `json:"reason"`
}

// RuleSet is a compiled set of grading rules.
type RuleSet struct {
	Version string `json:"version"`
	Rules   []Rule `json:"rules"`
	hash    string
	progs   []cel.Program
}

// Facts are what the catalog knows about a resource that rules may use.
type Facts struct {
	Subject  string // catalog subject code ("19" geospatial, "14" public safety ...)
	Industry string // GB/T 4754 section
}

var (
	columnEnv = mustEnv(
		cel.Variable("column", cel.StringType), cel.Variable("type", cel.StringType),
		cel.Variable("matches", cel.MapType(cel.StringType, cel.IntType)), cel.Variable("category", cel.StringType),
		cel.Variable("confidence", cel.DoubleType), cel.Variable("distinct", cel.IntType), cel.Variable("rows", cel.IntType),
		cel.Variable("free_text", cel.BoolType), cel.Variable("geo_decimals", cel.IntType), cel.Variable("minors", cel.IntType),
		cel.Variable("pi", cel.BoolType), cel.Variable("embedded", cel.MapType(cel.StringType, cel.IntType)))
	datasetEnv = mustEnv(
		cel.Variable("types", cel.ListType(cel.StringType)), cel.Variable("categories", cel.ListType(cel.StringType)),
		cel.Variable("pi", cel.BoolType), cel.Variable("spi", cel.BoolType), cel.Variable("rows", cel.IntType),
		cel.Variable("persons", cel.IntType), cel.Variable("subject", cel.StringType), cel.Variable("industry", cel.StringType),
		cel.Variable("geo_decimals", cel.IntType))
)

func mustEnv(opts ...cel.EnvOption) *cel.Env {
	env, err := cel.NewEnv(opts...)
	if err != nil {
		panic(err)
	}
	return env
}

// DefaultRules returns the rule set shipped with dataport.
func DefaultRules() *RuleSet {
	rs, err := ParseRules(defaultRulesFile)
	if err != nil {
		panic("classify: default rules: " + err.Error())
	}
	return rs
}

// DefaultRulesFile returns the text of the shipped rule file, to start an operator's own from.
func DefaultRulesFile() []byte { return slices.Clone(defaultRulesFile) }

// ruleCostLimit bounds one evaluation of a rule's condition, in CEL's cost
// units (about one per comprehension step; 100,000 take some 15 ms): a
// rule of nested comprehensions fails with an error naming it instead of
// holding a core for minutes at every scan. The shipped rules cost under 100.
const ruleCostLimit = 100_000

// ParseRules reads a rule file (YAML or JSON) and compiles its conditions.
// Every problem is reported, rule by rule, as validate.Errors.
func ParseRules(data []byte) (*RuleSet, error) {
	var rs RuleSet
	if err := yaml.UnmarshalStrict(data, &rs); err != nil {
		return nil, validate.Errors{{Field: "rules", Message: "cannot read the rule file: " + err.Error()}}
	}
	var errs validate.Errors
	if len(rs.Rules) == 0 {
		errs.Add("rules", nil, "at_least_one", "a rule set needs at least one rule")
	}
	seen := map[string]bool{}
	for i, r := range rs.Rules {
		at := fmt.Sprintf("rules[%d]", i)
		if r.ID == "" || seen[r.ID] {
			errs.Add(at+".id", r.ID, "unique", "must be present and unique")
		}
		seen[r.ID] = true
		validate.OneOf(&errs, at+".scope", r.Scope, "column", "dataset")
		validate.OneOf(&errs, at+".class", r.Class, catalog.Classifications...)
		if r.Level < 1 || r.Level > 4 {
			errs.Add(at+".level", r.Level, validate.CodeRange, "must be between %d and %d", 1, 4)
		}
		errs.Required(at+".reason", r.Reason)
		env := datasetEnv
		if r.Scope == "column" {
			env = columnEnv
		}
		ast, iss := env.Compile(r.When)
		if iss.Err() != nil {
			errs.Add(at+".when", r.When, "expression", "%v", iss.Err())
			continue
		}
		if ast.OutputType() != cel.BoolType {
			errs.Add(at+".when", r.When, "expression_bool", "must yield a bool, not %v", ast.OutputType())
			continue
		}
		prg, err := env.Program(ast, cel.CostLimit(ruleCostLimit))
		if err != nil {
			errs.Add(at+".when", r.When, "expression", "%v", err)
			continue
		}
		rs.progs = append(rs.progs, prg)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	rs.hash = hex.EncodeToString(sum[:6])
	return &rs, nil
}

// ID names the rule set: its version and a hash of its text.
func (rs *RuleSet) ID() string { return rs.Version + "@" + rs.hash }

// personTypes identify people; the distinct count of the strongest one
// present estimates how many people a dataset is about.
var personTypes = []Type{ResidentID, Passport, Mobile, Email, BankCard, LicensePlate, PersonName}

// Grade applies the rules to a scan result and the resource's facts.
// Evaluation errors (a rule that fails at run time) are returned, not skipped.
func (rs *RuleSet) Grade(res Result, f Facts) (Grading, error) {
	g := Grading{Class: catalog.ClassGeneral, Level: 1, Rules: rs.ID()}
	ds := datasetFacts(res, f, &g)
	for i, r := range rs.Rules {
		if r.Scope == "dataset" {
			if err := rs.fire(i, ds, "", &g); err != nil {
				return g, err
			}
			continue
		}
		for _, c := range res.Columns {
			if err := rs.fire(i, columnFacts(c, res.Rows, g.PersonalInfo), c.Name, &g); err != nil {
				return g, err
			}
		}
	}
	sort.SliceStable(g.Reasons, func(a, b int) bool { return severity(g.Reasons[a]) > severity(g.Reasons[b]) })
	return g, nil
}

func (rs *RuleSet) fire(i int, vars map[string]any, column string, g *Grading) error {
	r := rs.Rules[i]
	out, _, err := rs.progs[i].Eval(vars)
	if err != nil {
		return fmt.Errorf("classify: rule %s: %w", r.ID, err)
	}
	if ok, _ := out.Value().(bool); !ok {
		return nil
	}
	reason := Reason{Rule: r.ID, Column: column, Class: r.Class, Level: r.Level, Text: r.Reason}
	g.Reasons = append(g.Reasons, reason)
	if severity(reason) > severity(Reason{Class: g.Class, Level: g.Level}) {
		g.Class, g.Level = r.Class, r.Level
	}
	return nil
}

// severity orders grades: class first, then level.
func severity(r Reason) int { return slices.Index(catalog.Classifications, r.Class)*10 + r.Level }

// Severity orders grades (higher is stricter), for comparing a computed
// grade with a declared or overridden one.
func Severity(c catalog.Classification, level int) int {
	return severity(Reason{Class: c, Level: level})
}

func columnFacts(c Column, rows int, pi bool) map[string]any {
	t := ""
	if c.Detected != nil {
		t = string(*c.Detected)
	}
	m := make(map[string]int64, len(c.Matches))
	for k, v := range c.Matches {
		m[string(k)] = int64(v)
	}
	emb := make(map[string]int64, len(c.Embedded))
	for k, v := range c.Embedded {
		emb[string(k)] = int64(v)
	}
	return map[string]any{"column": c.Name, "type": t, "matches": m, "category": string(c.Category),
		"confidence": c.Confidence, "distinct": c.Distinct, "rows": int64(rows), "free_text": c.FreeText,
		"geo_decimals": int64(c.GeoDecimals), "minors": int64(c.Minors), "pi": pi, "embedded": emb}
}

// datasetFacts sums the columns up and fills g's personal-information flags and persons.
func datasetFacts(res Result, f Facts, g *Grading) map[string]any {
	types, cats := []string{}, []string{}
	geo := int64(0)
	for _, c := range res.Columns {
		if c.Detected != nil {
			types = appendNew(types, string(*c.Detected))
		}
		for t := range c.Embedded {
			types = appendNew(types, string(t))
		}
		if c.Category != "" {
			cats = appendNew(cats, string(c.Category))
		}
		if c.GeoDecimals > 0 && c.Detected != nil && *c.Detected == GeoCoord {
			geo = max(geo, int64(c.GeoDecimals))
		}
	}
	slices.Sort(types)
	slices.Sort(cats)
	for _, t := range types {
		g.PersonalInfo = g.PersonalInfo || Type(t).PersonalInfo()
		g.SensitivePersonalInfo = g.SensitivePersonalInfo || Type(t).Sensitive()
	}
	// A sensitive category (from a header such as 诊断 or 收入) makes personal
	// information sensitive; on its own, in data about no one, it does not.
	if g.PersonalInfo && len(cats) > 0 {
		g.SensitivePersonalInfo = true
	}
	g.Persons = persons(res, g.PersonalInfo)
	return map[string]any{"types": types, "categories": cats, "pi": g.PersonalInfo, "spi": g.SensitivePersonalInfo,
		"rows": int64(res.Rows), "persons": g.Persons, "subject": f.Subject, "industry": f.Industry, "geo_decimals": geo}
}

func persons(res Result, pi bool) int64 {
	for _, t := range personTypes {
		best := int64(-1)
		for _, c := range res.Columns {
			if c.Detected != nil && *c.Detected == t {
				best = max(best, c.Distinct)
			}
		}
		if best >= 0 {
			return best
		}
	}
	if pi {
		return int64(res.Rows)
	}
	return 0
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
