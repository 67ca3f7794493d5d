// Package prometheus holds the Prometheus alerting rules shipped for
// dataport itself (dataport-rules.yml) and reads them back, so that tests
// can check every expression with Prometheus's own PromQL parser and every
// metric it names against a running server's /metrics.
package prometheus

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

// Rules is the shipped rules file, as Prometheus loads it.
//
//go:embed dataport-rules.yml
var Rules []byte

// File is a Prometheus rules file (the subset of its fields dataport uses;
// any other field is refused by Parse).
type File struct {
	Groups []Group `json:"groups"`
}

// Group is a group of rules evaluated together.
type Group struct {
	Name     string `json:"name"`
	Interval string `json:"interval,omitempty"`
	Rules    []Rule `json:"rules"`
}

// Rule is an alerting rule.
type Rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// Selector is a series selector in a rule's expression: the metric it
// names and the labels it matches on.
type Selector struct {
	Rule   string
	Metric string
	Labels []string
}

// Severities are the values a rule's severity label takes.
var Severities = []string{"warning", "critical"}

// Parse reads a rules file strictly (an unknown field is an error) and
// checks it: each group named once, each alert named once in CamelCase
// with a PromQL expression Prometheus parses, a valid for duration, a
// severity label and summary and description annotations.
func Parse(b []byte) (File, error) {
	var f File
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return File{}, err
	}
	if len(f.Groups) == 0 {
		return File{}, errors.New("no groups")
	}
	groups, alerts := map[string]bool{}, map[string]bool{}
	var errs []error
	for _, g := range f.Groups {
		if g.Name == "" || groups[g.Name] {
			errs = append(errs, fmt.Errorf("group %q: empty or repeated name", g.Name))
		}
		groups[g.Name] = true
		if len(g.Rules) == 0 {
			errs = append(errs, fmt.Errorf("group %q: no rules", g.Name))
		}
		for _, r := range g.Rules {
			if alerts[r.Alert] {
				errs = append(errs, fmt.Errorf("alert %q: repeated", r.Alert))
			}
			alerts[r.Alert] = true
			if err := r.check(); err != nil {
				errs = append(errs, fmt.Errorf("group %q, alert %q: %w", g.Name, r.Alert, err))
			}
		}
	}
	return f, errors.Join(errs...)
}

func (r Rule) check() error {
	if r.Alert == "" || !strings.HasPrefix(r.Alert, "Dataport") || strings.ContainsAny(r.Alert, " _-") {
		return errors.New("an alert's name is CamelCase and starts with Dataport")
	}
	if _, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr); err != nil {
		return fmt.Errorf("expr: %w", err)
	}
	if r.For != "" {
		if d, err := model.ParseDuration(r.For); err != nil || time.Duration(d) <= 0 {
			return fmt.Errorf("for: %q is not a positive duration", r.For)
		}
	}
	if !slices.Contains(Severities, r.Labels["severity"]) {
		return fmt.Errorf("labels.severity %q is not one of %v", r.Labels["severity"], Severities)
	}
	for _, a := range []string{"summary", "description"} {
		if strings.TrimSpace(r.Annotations[a]) == "" {
			return fmt.Errorf("annotations.%s is empty", a)
		}
	}
	return nil
}

// Selectors returns the series selectors of every rule's expression, in
// the file's order.
func (f File) Selectors() ([]Selector, error) {
	var out []Selector
	p := parser.NewParser(parser.Options{})
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				return nil, fmt.Errorf("alert %q: %w", r.Alert, err)
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok {
					s := Selector{Rule: r.Alert, Metric: vs.Name}
					for _, m := range vs.LabelMatchers {
						if m.Name != model.MetricNameLabel {
							s.Labels = append(s.Labels, m.Name)
						}
					}
					out = append(out, s)
				}
				return nil
			})
		}
	}
	return out, nil
}
