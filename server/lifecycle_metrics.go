package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

func newLifecycleCounter(f promauto.Factory) *prometheus.CounterVec {
	return f.NewCounterVec(prometheus.CounterOpts{
		Name: "livechat_digest_upstream_lifecycle_headers_total",
		Help: "LiveChat Reports API answers carrying a Legacy or Deprecation header (the version read is going away), by API version and header.",
	}, []string{"api", "header"})
}

// Lifecycle counts one LiveChat answer that carried a Legacy or
// Deprecation header for Reports API version api. Labels outside those
// words are counted as "other", so upstream text never becomes a label.
func (m *Metrics) Lifecycle(api, header string) {
	if m == nil {
		return
	}
	if api != "2" && api != "3.6" {
		api = "other"
	}
	if header != "Legacy" && header != "Deprecation" {
		header = "other"
	}
	m.lifecycle.WithLabelValues(api, header).Inc()
}
