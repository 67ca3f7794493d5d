package web

import (
	"context"
	"errors"
	"time"

	"dataport/internal/ledger"

	"github.com/prometheus/client_golang/prometheus"
)

// ledgerCollector reports the transparency log's size and sequencing lag at
// each scrape, so operators can alert when events stop being sealed.
type ledgerCollector struct {
	ledger                *ledger.Service
	size, unsealed, lag   *prometheus.Desc
	sequencing, scrapeErr *prometheus.Desc
}

func newLedgerCollector(l *ledger.Service) *ledgerCollector {
	return &ledgerCollector{
		ledger:     l,
		size:       prometheus.NewDesc("dataport_ledger_size", "Entries covered by the latest signed checkpoint.", nil, nil),
		unsealed:   prometheus.NewDesc("dataport_ledger_unsealed_events", "Committed events waiting for the sequencer.", nil, nil),
		lag:        prometheus.NewDesc("dataport_ledger_lag_seconds", "How long the oldest waiting event has waited.", nil, nil),
		sequencing: prometheus.NewDesc("dataport_ledger_sequencing", "1 when this process holds the sequencer lock.", nil, nil),
		scrapeErr:  prometheus.NewDesc("dataport_ledger_status_error", "1 when the ledger status could not be read.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *ledgerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.size, c.unsealed, c.lag, c.sequencing, c.scrapeErr} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *ledgerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.ledger.Status(ctx)
	if err != nil && !errors.Is(err, ledger.ErrNoLog) { // before the first checkpoint: size 0, the rest as read
		ch <- prometheus.MustNewConstMetric(c.scrapeErr, prometheus.GaugeValue, 1)
		return
	}
	sequencing := 0.0
	if st.Sequencing {
		sequencing = 1
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeErr, prometheus.GaugeValue, 0)
	ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(st.Size))
	ch <- prometheus.MustNewConstMetric(c.unsealed, prometheus.GaugeValue, float64(st.Unsealed))
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, st.LagSeconds)
	ch <- prometheus.MustNewConstMetric(c.sequencing, prometheus.GaugeValue, sequencing)
}
