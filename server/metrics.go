package server

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// DefaultWatchEvery is WatchQueue's interval when it is given none.
const DefaultWatchEvery = 15 * time.Second

// Metrics are the service's Prometheus collectors, all named
// livechat_digest_*. Their methods match the observer funcs of the LiveChat
// client, the jobs runner and the notify worker, so main passes them as
// method values. Labels are bounded: endpoints, job names, channel kinds,
// statuses and result words, never user input. A nil *Metrics does nothing.
type Metrics struct {
	upstreamRequests *prometheus.CounterVec
	upstreamDuration *prometheus.HistogramVec
	jobs             *jobCollector // runs, claim errors and run time per job
	deliveries       *prometheus.CounterVec
	queueDepth       *prometheus.GaugeVec
	queueErrors      prometheus.Counter
	alertsFiring     prometheus.Gauge
	slashCommands    *prometheus.CounterVec
	lifecycle        *prometheus.CounterVec // see lifecycle_metrics.go
	alertMessages    *prometheus.CounterVec
	interactions     *prometheus.CounterVec
	firingAnswers    *prometheus.CounterVec
	answersNotKept   prometheus.Counter
}

// NewMetrics registers the collectors with reg. Give each server its own
// registry: registering twice in one panics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		upstreamRequests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "livechat_digest_upstream_requests_total",
			Help: "LiveChat Reports API attempts by endpoint and status class (2xx…5xx, or none when no answer came).",
		}, []string{"endpoint", "code"}),
		upstreamDuration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "livechat_digest_upstream_request_duration_seconds",
			Help:    "Time of one LiveChat Reports API attempt.",
			Buckets: prometheus.DefBuckets,
		}, []string{"endpoint"}),
		deliveries: f.NewCounterVec(prometheus.CounterOpts{
			Name: "livechat_digest_deliveries_total",
			Help: "Delivery attempts by channel kind and result.",
		}, []string{"channel", "result"}),
		queueDepth: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "livechat_digest_delivery_queue",
			Help: "Deliveries in the store by status.",
		}, []string{"status"}),
		queueErrors: f.NewCounter(prometheus.CounterOpts{
			Name: "livechat_digest_delivery_queue_read_errors_total",
			Help: "Failed reads of the delivery queue depth; the gauge keeps its last value.",
		}),
		alertsFiring: f.NewGauge(prometheus.GaugeOpts{
			Name: "livechat_digest_alerts_firing",
			Help: "Thresholds firing now, over all jobs.",
		}),
		slashCommands: f.NewCounterVec(prometheus.CounterOpts{
			Name: "livechat_digest_slash_commands_total",
			Help: "Slash commands by result: ok, help, unauthorized, error, replayed, busy.",
		}, []string{"result"}),
	}
	m.alertMessages = f.NewCounterVec(prometheus.CounterOpts{
		Name: "livechat_digest_alert_messages_total",
		Help: "Alert news by result: held (a firing or due reminder held back by a silence or active hours when queued), silenced (an alert dropped at send time by a silence added since), released (a held firing announced when its hold ended).",
	}, []string{"result"})
	for _, r := range []string{"held", "silenced", "released"} {
		m.alertMessages.WithLabelValues(r)
	}
	m.interactions = f.NewCounterVec(prometheus.CounterOpts{
		Name: "livechat_digest_slack_interactions_total",
		Help: "Slack button presses by result: silenced, ignored, unauthorized, replayed, error.",
	}, []string{"result"})
	for _, r := range []string{ResultSilenced, ResultIgnored, ResultUnauthorized, ResultReplayed, ResultError} {
		m.interactions.WithLabelValues(r)
	}
	m.jobs = newJobCollector()
	if reg != nil {
		reg.MustRegister(m.jobs)
	}
	m.registerShareMetrics(f)
	// Every result exists from the start, so rate() sees the first one.
	m.lifecycle = newLifecycleCounter(f)
	for _, r := range []string{ResultOK, ResultHelp, ResultUnauthorized, ResultError, ResultReplayed, ResultBusy} {
		m.slashCommands.WithLabelValues(r)
	}
	return m
}

// Upstream records one LiveChat attempt; it is the client's observer.
// status 0 means no HTTP answer (timeout, connection refused).
func (m *Metrics) Upstream(endpoint string, status int, elapsed time.Duration) {
	if m == nil {
		return
	}
	m.upstreamRequests.WithLabelValues(endpoint, statusClass(status)).Inc()
	m.upstreamDuration.WithLabelValues(endpoint).Observe(elapsed.Seconds())
}

// statusClass keeps the code label to six values.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "none"
	}
	return strconv.Itoa(status/100) + "xx"
}

// JobRun records how a job run ended ("ok", "partial", "failed", …) and how
// long it took; it is the jobs runner's observer.
func (m *Metrics) JobRun(job, result string, elapsed time.Duration) {
	if m == nil {
		return
	}
	m.jobs.run(job, result, elapsed)
}

// ForJobs creates the per-job series of each job at zero (firing claim
// errors, and job runs by result), so /metrics lists every job from the
// start and a rate over them sees the first increase.
func (m *Metrics) ForJobs(jobs []string) {
	if m == nil {
		return
	}
	m.jobs.add(jobs)
}

// FiringClaimError counts a claim of job's firing that failed on a store
// error; it is the scheduler's observer.
func (m *Metrics) FiringClaimError(job string) {
	if m == nil {
		return
	}
	m.jobs.claimError(job)
}

// Delivery records one delivery attempt's result for a channel kind
// ("email", "slack"); it is the notify worker's observer.
func (m *Metrics) Delivery(channel, result string) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(channel, result).Inc()
}

// SetQueueDepth sets the queue gauge for each status given; statuses not
// given keep their value.
func (m *Metrics) SetQueueDepth(byStatus map[string]int) {
	if m == nil {
		return
	}
	for status, n := range byStatus {
		m.queueDepth.WithLabelValues(status).Set(float64(n))
	}
}

// WatchQueue reads the queue depth from src at once and then every `every`
// (DefaultWatchEvery when not positive) until ctx ends. The caller runs it
// in a goroutine and waits for it to return.
func (m *Metrics) WatchQueue(ctx context.Context, src interface {
	QueueDepth(ctx context.Context) (map[string]int, error)
}, every time.Duration) {
	if m == nil || src == nil {
		return
	}
	if every <= 0 {
		every = DefaultWatchEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		depth, err := src.QueueDepth(ctx)
		switch {
		case ctx.Err() != nil:
			return // an error caused by shutdown is not a failed read
		case err == nil:
			m.SetQueueDepth(depth)
		default:
			m.queueErrors.Inc()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SetAlertsFiring sets how many thresholds are firing.
func (m *Metrics) SetAlertsFiring(n int) {
	if m == nil {
		return
	}
	m.alertsFiring.Set(float64(n))
}

// SlashCommand counts a slash command by result: ResultOK, ResultHelp,
// ResultUnauthorized or ResultError.
func (m *Metrics) SlashCommand(result string) {
	if m == nil {
		return
	}
	m.slashCommands.WithLabelValues(result).Inc()
}

// AlertMessage counts one alert news result ("held", "silenced",
// "released"); it is the jobs runner's and gate's alert observer. The job
// is not a label: silences come and go per job, the totals are what to
// watch.
func (m *Metrics) AlertMessage(job, result string) {
	if m == nil {
		return
	}
	m.alertMessages.WithLabelValues(result).Inc()
}

// Interaction counts a POST /slack/interactions by result.
func (m *Metrics) Interaction(result string) {
	if m == nil {
		return
	}
	m.interactions.WithLabelValues(result).Inc()
}
