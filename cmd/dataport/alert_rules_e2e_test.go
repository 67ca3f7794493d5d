package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	promrules "dataport/deploy/prometheus"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// synthesized are the series Prometheus makes itself for each target.
var synthesized = []string{"up"}

// TestShippedAlertRulesNameExportedMetrics: every metric the shipped
// Prometheus alerting rules (deploy/prometheus/dataport-rules.yml) select is
// exported by the real binary's /metrics — a histogram's or summary's
// _count, _sum and _bucket by its family — with every label the rules
// match on, so that no shipped alert watches a series that never exists.
func TestShippedAlertRulesNameExportedMetrics(t *testing.T) {
	s := start(t, "serve", "--data", t.TempDir())
	for _, path := range []string{"/healthz", "/catalog", "/no-such-page"} { // fills the request histogram
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	f, err := promrules.Parse(promrules.Rules)
	if err != nil {
		t.Fatal(err)
	}
	sels, err := f.Selectors()
	if err != nil {
		t.Fatal(err)
	}
	if len(sels) < 10 {
		t.Fatalf("only %d selectors in the shipped rules", len(sels))
	}
	for _, sel := range sels {
		if slices.Contains(synthesized, sel.Metric) {
			continue
		}
		fam := family(families, sel.Metric)
		if fam == nil {
			t.Errorf("%s selects %s, which /metrics does not export", sel.Rule, sel.Metric)
			continue
		}
		for _, l := range sel.Labels {
			if !hasLabel(fam, l) {
				t.Errorf("%s matches %s on label %q, which no exported series carries", sel.Rule, sel.Metric, l)
			}
		}
	}
}

// family finds the family a series name belongs to: itself, or for a
// histogram's or summary's _count, _sum and _bucket series, their family.
func family(families map[string]*dto.MetricFamily, name string) *dto.MetricFamily {
	if f, ok := families[name]; ok {
		return f
	}
	for _, suffix := range []string{"_count", "_sum", "_bucket"} {
		base, ok := strings.CutSuffix(name, suffix)
		if f := families[base]; ok && f != nil && (f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
			return f
		}
	}
	return nil
}

func hasLabel(f *dto.MetricFamily, name string) bool {
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if l.GetName() == name {
				return true
			}
		}
	}
	return false
}
