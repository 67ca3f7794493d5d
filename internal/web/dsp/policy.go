package dsp

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/access"
)

// Terms are a contract's usage terms as the exchange keeps them: the
// one usage-policy language of access, the period and whether onward
// transfer is allowed. They are written as ODRL rules in the protocol's
// offers and agreements, and read back from a consumer's request.
type Terms struct {
	Policy         access.Policy
	PeriodDays     int
	OnwardTransfer bool
}

// PolicyNS is the namespace of the left operands ODRL has no term for
// (fields, row filter, rows, …): absolute IRIs, so that they mean the same
// in every deployment.
const PolicyNS = "urn:dataport:policy:"

// The left operands. purpose, count and elapsedTime are ODRL's own.
const (
	OperandPurpose        = "purpose"     // isAnyOf the purposes
	OperandCount          = "count"       // lteq the calls over the contract's life
	OperandElapsedTime    = "elapsedTime" // lteq the period, an xsd:duration "P30D"
	OperandActions        = PolicyNS + "actions"
	OperandFields         = PolicyNS + "fields"
	OperandRowFilter      = PolicyNS + "rowFilter"
	OperandDeidProfile    = PolicyNS + "deidProfile"
	OperandRows           = PolicyNS + "rows"
	OperandRowsPerRequest = PolicyNS + "rowsPerRequest"
	OperandRatePerMinute  = PolicyNS + "ratePerMinute"
)

// The ODRL actions used: the permission to use, the prohibition to
// distribute (onward transfer).
const (
	actionUse        = "use"
	actionDistribute = "distribute"
)

// Rules writes t as ODRL rules: one permission to use under a constraint
// per term set, and a prohibition to distribute when onward transfer is
// forbidden. Numbers are strings, as the schema's rightOperand allows no
// JSON number.
func (t Terms) Rules() (permission, prohibition []Rule) {
	p := t.Policy
	var cs []Constraint
	list := func(left, op string, values []string) {
		if len(values) > 0 {
			cs = append(cs, Constraint{LeftOperand: left, Operator: op, RightOperand: slices.Clone(values)})
		}
	}
	atMost := func(left string, n int64) {
		if n > 0 {
			cs = append(cs, Constraint{LeftOperand: left, Operator: "lteq", RightOperand: strconv.FormatInt(n, 10)})
		}
	}
	equals := func(left, v string) {
		if v != "" {
			cs = append(cs, Constraint{LeftOperand: left, Operator: "eq", RightOperand: v})
		}
	}
	list(OperandPurpose, "isAnyOf", p.Purposes)
	actions := make([]string, len(p.Actions))
	for i, a := range p.Actions {
		actions[i] = string(a)
	}
	list(OperandActions, "isPartOf", actions)
	list(OperandFields, "isPartOf", p.Fields)
	equals(OperandRowFilter, p.RowFilter)
	equals(OperandDeidProfile, p.DeidProfile)
	atMost(OperandCount, p.MaxCalls)
	atMost(OperandRows, p.MaxRows)
	atMost(OperandRowsPerRequest, p.RowsPerRequest)
	atMost(OperandRatePerMinute, int64(p.RatePerMinute))
	if t.PeriodDays > 0 {
		cs = append(cs, Constraint{LeftOperand: OperandElapsedTime, Operator: "lteq", RightOperand: "P" + strconv.Itoa(t.PeriodDays) + "D"})
	}
	permission = []Rule{{Action: actionUse, Constraint: cs}}
	if !t.OnwardTransfer {
		prohibition = []Rule{{Action: actionDistribute}}
	}
	return permission, prohibition
}

// TermsError is a policy the provider cannot read into terms: the
// consumer asked for something it does not understand, so it grants nothing.
type TermsError struct{ Reason string }

func (e *TermsError) Error() string { return "dsp: policy: " + e.Reason }

func termsErr(format string, args ...any) error {
	return &TermsError{Reason: fmt.Sprintf(format, args...)}
}

// ParseTerms reads the rules of an offer (as Rules writes them, with
// ODRL's full IRIs accepted for its own terms) back into terms. Anything
// it does not understand — another action, a logical constraint, an
// unknown left operand or operator, a term given twice — is an error, so
// that no request is agreed on terms the provider did not read.
func ParseTerms(p Policy) (Terms, error) {
	t := Terms{OnwardTransfer: true}
	if len(p.Obligation) > 0 {
		return t, termsErr("obligations are not supported")
	}
	for _, r := range p.Prohibition {
		if odrlTerm(r.Action) != actionDistribute || len(r.Constraint) > 0 {
			return t, termsErr("prohibition %q is not supported (only an unconstrained %q)", r.Action, actionDistribute)
		}
		t.OnwardTransfer = false
	}
	seen := map[string]bool{}
	for _, r := range p.Permission {
		if odrlTerm(r.Action) != actionUse {
			return t, termsErr("permission action %q is not supported (only %q)", r.Action, actionUse)
		}
		for _, c := range r.Constraint {
			if err := t.read(c, seen); err != nil {
				return t, err
			}
		}
	}
	return t, nil
}

// read sets the term constraint c states.
func (t *Terms) read(c Constraint, seen map[string]bool) error {
	if c.And != nil || c.Or != nil || c.Xone != nil || c.AndSequence != nil {
		return termsErr("logical constraints are not supported")
	}
	left, op := odrlTerm(c.LeftOperand), odrlTerm(c.Operator)
	if seen[left] {
		return termsErr("%s is constrained twice", c.LeftOperand)
	}
	seen[left] = true
	p := &t.Policy
	var err error
	switch left {
	case OperandPurpose:
		p.Purposes, err = listOperand(c, op, "isAnyOf", "eq")
	case OperandActions:
		var as []string
		as, err = listOperand(c, op, "isPartOf", "eq")
		for _, a := range as {
			p.Actions = append(p.Actions, access.Action(a))
		}
	case OperandFields:
		p.Fields, err = listOperand(c, op, "isPartOf", "eq")
	case OperandRowFilter:
		p.RowFilter, err = stringOperand(c, op)
	case OperandDeidProfile:
		p.DeidProfile, err = stringOperand(c, op)
	case OperandCount:
		p.MaxCalls, err = countOperand(c, op)
	case OperandRows:
		p.MaxRows, err = countOperand(c, op)
	case OperandRowsPerRequest:
		p.RowsPerRequest, err = countOperand(c, op)
	case OperandRatePerMinute:
		var n int64
		n, err = countOperand(c, op)
		p.RatePerMinute = int(n)
	case OperandElapsedTime:
		t.PeriodDays, err = periodOperand(c, op)
	default:
		return termsErr("left operand %q is not supported", c.LeftOperand)
	}
	return err
}

// odrlTerm is an ODRL term as the compact form writes it: the full IRI
// and the odrl: prefix are read as the bare term.
func odrlTerm(s string) string {
	s = strings.TrimPrefix(s, "http://www.w3.org/ns/odrl/2/")
	return strings.TrimPrefix(s, "odrl:")
}

// value is a right operand's text: a string, or a JSON-LD value object.
func value(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case map[string]any:
		s, ok := x["@value"].(string)
		return s, ok
	}
	return "", false
}

func listOperand(c Constraint, op, listOp, oneOp string) ([]string, error) {
	switch op {
	case oneOp:
		s, ok := value(c.RightOperand)
		if !ok || s == "" {
			return nil, termsErr("%s %s needs one value", c.LeftOperand, op)
		}
		return []string{s}, nil
	case listOp:
		items, ok := c.RightOperand.([]any)
		if strs, isStrings := c.RightOperand.([]string); isStrings { // as Rules writes it, before JSON
			items, ok = make([]any, len(strs)), true
			for i, s := range strs {
				items[i] = s
			}
		}
		if !ok || len(items) == 0 {
			return nil, termsErr("%s %s needs a list of values", c.LeftOperand, op)
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, ok := value(it)
			if !ok || s == "" {
				return nil, termsErr("%s %s: every value must be a string", c.LeftOperand, op)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, termsErr("%s: operator %q is not supported (%s or %s)", c.LeftOperand, c.Operator, listOp, oneOp)
}

func stringOperand(c Constraint, op string) (string, error) {
	s, ok := value(c.RightOperand)
	if op != "eq" || !ok || s == "" {
		return "", termsErr("%s needs eq and one value", c.LeftOperand)
	}
	return s, nil
}

func countOperand(c Constraint, op string) (int64, error) {
	s, ok := value(c.RightOperand)
	n, err := strconv.ParseInt(s, 10, 64)
	if op != "lteq" || !ok || err != nil || n <= 0 {
		return 0, termsErr("%s needs lteq and a positive whole number", c.LeftOperand)
	}
	return n, nil
}

var days = regexp.MustCompile(`^P([1-9][0-9]{0,5})D$`)

func periodOperand(c Constraint, op string) (int, error) {
	s, _ := value(c.RightOperand)
	m := days.FindStringSubmatch(s)
	if op != "lteq" || m == nil {
		return 0, termsErr("%s needs lteq and a duration in days (P30D)", c.LeftOperand)
	}
	n, _ := strconv.Atoi(m[1])
	return n, nil
}
