package web

import (
	"dataport/internal/jobs"

	"github.com/prometheus/client_golang/prometheus"
)

// jobsCollector reports the failed attempts of background work at each
// scrape, by job kind and periodic work's name, so that operators can
// alert when loads, harvests or periodic work fail
// (deploy/prometheus/dataport-rules.yml).
type jobsCollector struct {
	jobs   *jobs.Runner
	failed *prometheus.Desc
}

func newJobsCollector(r *jobs.Runner) *jobsCollector {
	return &jobsCollector{jobs: r, failed: prometheus.NewDesc("dataport_jobs_failed_total",
		"Failed attempts of background work in this process, by job kind and periodic work's name.", []string{"kind", "name"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.failed }

// Collect implements prometheus.Collector.
func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c.jobs.Failures() {
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(f.Failures), f.Kind, f.Name)
	}
}
