package assess

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"dataport/internal/validate"
)

// codePattern is what an item's code looks like: "A1", "T12", "V3-2".
var codePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,19}$`)

// maxItems bounds each list of items.
const maxItems = 200

// trimmed returns the items with their text trimmed.
func (it Items) trimmed() Items {
	t := strings.TrimSpace
	it = it.clone()
	for i := range it.Assets {
		a := &it.Assets[i]
		a.Code, a.Name, a.Kind, a.Description = t(a.Code), t(a.Name), t(a.Kind), t(a.Description)
	}
	for i := range it.Threats {
		th := &it.Threats[i]
		th.Code, th.Name, th.Source, th.Description = t(th.Code), t(th.Name), t(th.Source), t(th.Description)
	}
	for i := range it.Vulnerabilities {
		v := &it.Vulnerabilities[i]
		v.Code, v.Name, v.Asset, v.Threat, v.Description = t(v.Code), t(v.Name), t(v.Asset), t(v.Threat), t(v.Description)
	}
	for i := range it.Measures {
		m := &it.Measures[i]
		m.Code, m.Name, m.Kind = t(m.Code), t(m.Name), t(m.Kind)
		m.Vulnerabilities = trimAll(m.Vulnerabilities)
	}
	for i := range it.Findings {
		f := &it.Findings[i]
		f.Code, f.Text, f.Treatment = t(f.Code), t(f.Text), t(f.Treatment)
		f.Risks = trimAll(f.Risks)
	}
	return it
}

func (it Items) clone() Items {
	it.Assets, it.Threats, it.Vulnerabilities = slices.Clone(it.Assets), slices.Clone(it.Threats), slices.Clone(it.Vulnerabilities)
	it.Measures, it.Findings = slices.Clone(it.Measures), slices.Clone(it.Findings)
	return it
}

// trimAll trims each string and drops the blank ones.
func trimAll(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// validate records every problem of the items, by field path.
func (it Items) validate(errs *validate.Errors) {
	assets := codes(errs, "items.assets", len(it.Assets), func(i int) string { return it.Assets[i].Code })
	threats := codes(errs, "items.threats", len(it.Threats), func(i int) string { return it.Threats[i].Code })
	vulns := codes(errs, "items.vulnerabilities", len(it.Vulnerabilities), func(i int) string { return it.Vulnerabilities[i].Code })
	codes(errs, "items.measures", len(it.Measures), func(i int) string { return it.Measures[i].Code })
	codes(errs, "items.findings", len(it.Findings), func(i int) string { return it.Findings[i].Code })
	for i, a := range it.Assets {
		f := fmt.Sprintf("items.assets[%d]", i)
		named(errs, f, a.Name, a.Description)
		validate.OneOf(errs, f+".kind", a.Kind, AssetKinds...)
		grade(errs, f+".value", a.Value)
	}
	for i, t := range it.Threats {
		f := fmt.Sprintf("items.threats[%d]", i)
		named(errs, f, t.Name, t.Description)
		validate.OneOf(errs, f+".source", t.Source, ThreatSources...)
		grade(errs, f+".likelihood", t.Likelihood)
	}
	for i, v := range it.Vulnerabilities {
		f := fmt.Sprintf("items.vulnerabilities[%d]", i)
		named(errs, f, v.Name, v.Description)
		refers(errs, f+".asset", v.Asset, assets, "asset")
		refers(errs, f+".threat", v.Threat, threats, "threat")
		grade(errs, f+".severity", v.Severity)
	}
	for i, m := range it.Measures {
		f := fmt.Sprintf("items.measures[%d]", i)
		named(errs, f, m.Name, "")
		validate.OneOf(errs, f+".kind", m.Kind, MeasureKinds...)
		for j, v := range m.Vulnerabilities {
			refers(errs, fmt.Sprintf("%s.vulnerabilities[%d]", f, j), v, vulns, "vulnerability")
		}
	}
	for i, fd := range it.Findings {
		f := fmt.Sprintf("items.findings[%d]", i)
		if errs.Required(f+".text", fd.Text) {
			errs.MaxLen(f+".text", fd.Text, 4000)
		}
		validate.OneOf(errs, f+".treatment", fd.Treatment, Treatments...)
		for j, v := range fd.Risks {
			refers(errs, fmt.Sprintf("%s.risks[%d]", f, j), v, vulns, "vulnerability")
		}
	}
}

// codes checks a list's length and its codes (well formed, each once) and
// returns the set of its codes.
func codes(errs *validate.Errors, field string, n int, code func(int) string) map[string]bool {
	if n > maxItems {
		errs.Add(field, n, validate.CodeTooMany, "may hold at most %d entries", maxItems)
	}
	seen := map[string]bool{}
	for i := range n {
		c, f := code(i), fmt.Sprintf("%s[%d].code", field, i)
		switch {
		case c == "":
			errs.Add(f, c, validate.CodeRequired, "is required")
		case !codePattern.MatchString(c):
			errs.Add(f, c, validate.CodeFormat, "must be a letter then letters, digits or '-' (at most 20), like %s", "A1")
		case seen[c]:
			errs.Add(f, c, validate.CodeDuplicate, "is listed twice")
		}
		seen[c] = true
	}
	return seen
}

func named(errs *validate.Errors, field, name, description string) {
	if errs.Required(field+".name", name) {
		errs.MaxLen(field+".name", name, 200)
	}
	errs.MaxLen(field+".description", description, 2000)
}

func grade(errs *validate.Errors, field string, v int) {
	if v < 1 || v > 5 {
		errs.Add(field, v, validate.CodeRange, "must be between %d and %d", 1, 5)
	}
}

func refers(errs *validate.Errors, field, code string, known map[string]bool, what string) {
	if code == "" {
		errs.Add(field, code, validate.CodeRequired, "is required")
	} else if !known[code] {
		errs.Add(field, code, validate.CodeUnknown, "names no %s of this assessment", what)
	}
}
