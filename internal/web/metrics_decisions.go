package web

import (
	"dataport/internal/access"

	"github.com/prometheus/client_golang/prometheus"
)

// decisionLogCollector reports the access decision log's backlog and the
// batches the store refused, at each scrape: a growing backlog holds reads
// back (Decide waits when the queue is full), and lost decisions are reads
// without a record.
type decisionLogCollector struct {
	access                      *access.Service
	queued, capacity            *prometheus.Desc
	failedWrites, lostDecisions *prometheus.Desc
}

func newDecisionLogCollector(s *access.Service) *decisionLogCollector {
	return &decisionLogCollector{
		access:        s,
		queued:        prometheus.NewDesc("dataport_access_log_queued", "Decisions and rows-served counts waiting for the decision log's writer.", nil, nil),
		capacity:      prometheus.NewDesc("dataport_access_log_capacity", "Items the decision log's queue holds before reads wait.", nil, nil),
		failedWrites:  prometheus.NewDesc("dataport_access_log_failed_writes_total", "Decision-log batches the store refused (each retry counts).", nil, nil),
		lostDecisions: prometheus.NewDesc("dataport_access_log_lost_decisions_total", "Decisions dropped after the decision log's last retry.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *decisionLogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queued, c.capacity, c.failedWrites, c.lostDecisions} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *decisionLogCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.access.LogStats()
	ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(st.Queued))
	ch <- prometheus.MustNewConstMetric(c.capacity, prometheus.GaugeValue, float64(st.Capacity))
	ch <- prometheus.MustNewConstMetric(c.failedWrites, prometheus.CounterValue, float64(st.FailedWrites))
	ch <- prometheus.MustNewConstMetric(c.lostDecisions, prometheus.CounterValue, float64(st.LostRecords))
}
