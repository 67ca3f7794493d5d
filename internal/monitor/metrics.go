package monitor

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the monitor's Prometheus metrics; the web layer registers
// them (Service.Collector) on /metrics.
type metrics struct {
	alerts    *prometheus.CounterVec // raised, by rule and severity
	evaluated prometheus.Counter
	dropped   prometheus.Counter
	relayed   prometheus.Counter
	latency   prometheus.Histogram
}

func newMetrics() *metrics {
	return &metrics{
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dataport_monitor_alerts_total",
			Help: "Alerts raised by the security monitoring rules (new alerts, not further hits)."}, []string{"rule", "severity"}),
		evaluated: prometheus.NewCounter(prometheus.CounterOpts{Name: "dataport_monitor_observations_total",
			Help: "Observations (decisions, rows served, sign-ins, events) the monitoring rules were evaluated on."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "dataport_monitor_dropped_total",
			Help: "Observations dropped because the monitor's queue was full, or because they could not be relayed to the replica that evaluates them (not evaluated)."}),
		relayed: prometheus.NewCounter(prometheus.CounterOpts{Name: "dataport_monitor_relayed_total",
			Help: "Observations relayed to the replica that evaluates the rules (a rule's condition held for them)."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "dataport_monitor_evaluation_seconds",
			Help:    "Time to evaluate every rule on one observation (writing alerts excluded).",
			Buckets: []float64{1e-6, 2.5e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 1e-3, 1e-2}}),
	}
}

// openChanged is called after an alert's state changed; the open-alerts
// gauge is read from the store at each scrape, so there is nothing to do.
func (m *metrics) openChanged() {}

// Collector returns the monitor's metrics for a Prometheus registry:
// dataport_monitor_alerts_total{rule,severity}, dataport_monitor_open_alerts{severity}
// (read from the store at each scrape), dataport_monitor_evaluation_seconds,
// dataport_monitor_observations_total, dataport_monitor_dropped_total,
// dataport_monitor_relayed_total and dataport_monitor_queue_length.
func (s *Service) Collector() prometheus.Collector {
	return collector{s: s, open: prometheus.NewDesc("dataport_monitor_open_alerts", "Alerts new or acknowledged, by severity.", []string{"severity"}, nil),
		queue: prometheus.NewDesc("dataport_monitor_queue_length", "Observations waiting for evaluation.", nil, nil)}
}

type collector struct {
	s           *Service
	open, queue *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	m := c.s.metrics
	m.alerts.Describe(ch)
	for _, x := range []prometheus.Collector{m.evaluated, m.dropped, m.relayed, m.latency} {
		x.Describe(ch)
	}
	ch <- c.open
	ch <- c.queue
}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	m := c.s.metrics
	m.alerts.Collect(ch)
	for _, x := range []prometheus.Collector{m.evaluated, m.dropped, m.relayed, m.latency} {
		x.Collect(ch)
	}
	ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(len(c.s.queue)))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	open, err := c.s.OpenAlerts(ctx)
	if err != nil {
		return
	}
	for _, sev := range Severities {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(open[sev]), string(sev))
	}
}
