package ui

// Quality rules from common templates (POST /resources/{id}/data/rules,
// form fields: csrf_token, rule_item, rule_template, rule_min, rule_max,
// rule_length): the editor picks an item and what its values must be, and
// the CEL rule is written for them and added to the loading settings,
// before anyone writes CEL by hand.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"dataport/internal/ingest"
	"dataport/internal/validate"
)

// ruleTemplates are the templates, in the order the form offers them.
var ruleTemplates = []string{"range", "not_negative", "max_length", "resident_id", "uscc", "mobile", "email", "postcode"}

// ruleFromTemplate writes the CEL rule of template for item; min, max and
// length are the template's numbers as typed.
func ruleFromTemplate(item, template, min, max, length string) (ingest.QualityRule, validate.Errors) {
	var errs validate.Errors
	number := func(field, s string) float64 {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			errs.Add(field, s, validate.CodeNumber, "must be a number")
		}
		return f
	}
	r := ingest.QualityRule{Item: item}
	switch template {
	case "range":
		lo, hi := number("rule_min", min), number("rule_max", max)
		r.Expr = fmt.Sprintf("double(value) >= %s && double(value) <= %s", celNumber(lo), celNumber(hi))
	case "not_negative":
		r.Expr = "double(value) >= 0.0"
	case "max_length":
		n, err := strconv.Atoi(strings.TrimSpace(length))
		if err != nil || n < 1 {
			errs.Add("rule_length", length, validate.CodeInteger, "must be a whole number")
		}
		r.Expr = fmt.Sprintf("size(string(value)) <= %d", n)
	case "resident_id":
		r.Expr = "gb11643(string(value))"
	case "uscc":
		r.Expr = "gb32100(string(value))"
	case "mobile":
		r.Expr = `string(value).matches('^1[3-9][0-9]{9}$')`
	case "email":
		r.Expr = `string(value).matches('^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$')`
	case "postcode":
		r.Expr = `string(value).matches('^[0-9]{6}$')`
	default:
		errs.Add("rule_template", template, validate.CodeOneOf, "must be one of the templates offered")
	}
	return r, errs
}

// celNumber writes f as a CEL double literal.
func celNumber(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// addTemplateRule adds a rule made from a template to the resource's
// loading settings, or shows the data page with the problem.
func (s *server) addTemplateRule(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	res, err := s.catalog.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	st, err := s.datastore.Settings(r.Context(), p, res.ID)
	if err != nil {
		return err
	}
	f := r.PostForm
	rule, errs := ruleFromTemplate(f.Get("rule_item"), f.Get("rule_template"), f.Get("rule_min"), f.Get("rule_max"), f.Get("rule_length"))
	if len(errs) == 0 {
		rule.Message = codeLabel(langOf(r), "ruletemplate", f.Get("rule_template"))
		st.Rules = append(st.Rules, rule)
		_, err = s.datastore.SetSettings(r.Context(), p, res.ID, st)
		if errs = fieldErrors(err); err != nil && errs == nil {
			return err
		}
	}
	if len(errs) > 0 {
		page, err := s.loadDataPage(r.Context(), p, res)
		if err != nil {
			return err
		}
		page.Errors = newFormErrors(langOf(r), errs)
		return s.render(w, r, http.StatusUnprocessableEntity, "data", page)
	}
	return seeOther(w, r, "/resources/"+res.ID+"/data", "rule_added")
}
