package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/monitor"
	"dataport/internal/validate"
)

// The monitoring rules (监测规则): the list and each rule's YAML, which the
// security officer edits in a plain textarea (no script). A refused body
// is shown again as sent, its problems above it and beside the line they
// name in a numbered copy of the text.

// securityRulesData is the list of rules.
type securityRulesData struct {
	Nav   securityNav
	Rules []monitor.Rule
}

// securityRulesPage lists the rules.
func (s *server) securityRulesPage(w http.ResponseWriter, r *http.Request) error {
	p, nav, err := securityViewer(r)
	if err != nil {
		return err
	}
	rules, err := s.acc.Monitor.Rules(r.Context(), p)
	if err != nil {
		return err
	}
	nav.Section = "rules"
	return s.render(w, r, http.StatusOK, "security_rules", securityRulesData{Nav: nav, Rules: rules})
}

// ruleLine is one line of a rule's body, with the problems that name it.
type ruleLine struct {
	N        int
	Text     string
	Problems []string
}

// securityRuleData is a rule's page: its YAML in the editor, new or
// existing.
type securityRuleData struct {
	Nav    securityNav
	Rule   monitor.Rule // the stored rule; ID "" for a new one
	Body   string       // the editor's text
	Lines  []ruleLine   // the body numbered, shown when a problem names a line
	Errors formErrors
}

// Action is where the editor posts.
func (d securityRuleData) Action() string {
	if d.Rule.ID == "" {
		return "/security/rules"
	}
	return "/security/rules/" + url.PathEscape(d.Rule.ID)
}

// Rows is the editor's height: the body's lines and a few more.
func (d securityRuleData) Rows() int { return min(max(strings.Count(d.Body, "\n")+3, 12), 40) }

// securityRulePage shows a rule: its YAML in the editor for the security
// officer, read-only for the regulator and the auditor.
func (s *server) securityRulePage(w http.ResponseWriter, r *http.Request) error {
	p, _, err := securityViewer(r)
	if err != nil {
		return err
	}
	rl, err := s.acc.Monitor.Rule(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.showSecurityRule(w, r, http.StatusOK, securityRuleData{Rule: rl, Body: rl.Body})
}

// newRuleTemplate is the body a new rule starts from.
const newRuleTemplate = `code: my_rule
name_zh: 
name_en: 
description: 
severity: medium
source: decision
where: '!allow'
correlate:
  type: count
  group_by: [subject]
  window: 10m
  threshold: 10
suppress: 1h
`

// securityNewRuleForm is the editor of a new rule (the security officer).
func (s *server) securityNewRuleForm(w http.ResponseWriter, r *http.Request) error {
	return s.showSecurityRule(w, r, http.StatusOK, securityRuleData{Body: newRuleTemplate})
}

func (s *server) showSecurityRule(w http.ResponseWriter, r *http.Request, status int, d securityRuleData) error {
	_, nav, err := securityViewer(r)
	if err != nil {
		return err
	}
	if d.Rule.ID == "" && !nav.Manage {
		return identity.ErrForbidden
	}
	nav.Section = "rules"
	d.Nav = nav
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "security_rule", d)
}

// securityCreateRule adds a rule (the security officer). Form fields:
// csrf_token, body. A bad body is refused at its line and nothing is added.
func (s *server) securityCreateRule(w http.ResponseWriter, r *http.Request) error {
	return s.saveSecurityRule(w, r, monitor.Rule{}, func(p identity.Principal, in monitor.RuleInput) (monitor.Rule, error) {
		return s.acc.Monitor.CreateRule(r.Context(), p, in)
	})
}

// securityUpdateRule replaces a rule's body (the security officer); a bad
// body is refused at its line and the rule stays as it was.
func (s *server) securityUpdateRule(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	old, err := s.acc.Monitor.Rule(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.saveSecurityRule(w, r, old, func(p identity.Principal, in monitor.RuleInput) (monitor.Rule, error) {
		return s.acc.Monitor.UpdateRule(r.Context(), p, old.ID, in)
	})
}

func (s *server) saveSecurityRule(w http.ResponseWriter, r *http.Request, old monitor.Rule,
	save func(identity.Principal, monitor.RuleInput) (monitor.Rule, error)) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	body := strings.ReplaceAll(r.PostForm.Get("body"), "\r\n", "\n")
	rl, err := save(p, monitor.RuleInput{Body: body})
	if errs := ruleProblems(fieldErrors(err)); errs != nil {
		lang := langOf(r)
		return s.showSecurityRule(w, r, http.StatusUnprocessableEntity, securityRuleData{Rule: old, Body: body,
			Lines: numberedLines(lang, body, errs), Errors: newFormErrors(lang, errs)})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/security/rules/"+url.PathEscape(rl.ID), "security_rule_saved")
}

// ruleProblems gives the rule body's problems (Args: the line, the
// parser's English detail) the UI's codes: rule_line with both, or
// rule_body with the detail when no line is named; code_fixed keeps its own.
func ruleProblems(errs validate.Errors) validate.Errors {
	for i, e := range errs {
		if e.Field != "body" || len(e.Args) != 2 || e.Code == "code_fixed" {
			continue
		}
		if line, ok := e.Args[0].(int); ok && line > 0 {
			errs[i].Code = "rule_line"
		} else {
			errs[i].Code, errs[i].Args = "rule_body", e.Args[1:]
		}
	}
	return errs
}

// numberedLines numbers body's lines and attaches each problem that names
// a line (a rule problem's first argument) to it; nil when none does.
func numberedLines(lang, body string, errs validate.Errors) []ruleLine {
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	out := make([]ruleLine, len(lines))
	for i, l := range lines {
		out[i] = ruleLine{N: i + 1, Text: l}
	}
	named := false
	for _, e := range errs {
		if len(e.Args) == 0 {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(anyString(e.Args[0])))
		if err != nil || n < 1 || n > len(out) {
			continue
		}
		out[n-1].Problems = append(out[n-1].Problems, problemText(lang, e.Code, e.Args, e.Message))
		named = true
	}
	if !named {
		return nil
	}
	return out
}

// anyString is v as text.
func anyString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
