package server

import (
	"bytes"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"
)

// TestJobCollectorIsClientGolang pins the per-job series to what
// client_golang's own vectors expose for the same events: the same
// samples, bucket for bucket, including values on a bucket's bound, past
// the last bound, and results outside the usual five.
func TestJobCollectorIsClientGolang(t *testing.T) {
	t.Parallel()
	ref := prometheus.NewRegistry()
	runs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "livechat_digest_job_runs_total",
		Help: "Job runs by job and result."}, []string{"job", "result"})
	claims := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "livechat_digest_firing_claim_errors_total",
		Help: "Claims of a firing that failed on a store error (each is retried until its catch-up grace ends), by job."}, []string{"job"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "livechat_digest_job_run_duration_seconds",
		Help: "Time of one job run, fetch to enqueue.", Buckets: prometheus.ExponentialBuckets(0.1, 2, 15)}, []string{"job"})
	ref.MustRegister(runs, claims, dur)

	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)

	jobs := []string{"weekly", "daily", "never-ran"}
	m.ForJobs(jobs)
	for _, j := range jobs {
		claims.WithLabelValues(j)
		for _, r := range []string{"ok", "partial", "failed", "skipped", "quiet"} {
			runs.WithLabelValues(j, r)
		}
	}
	events := []struct {
		job, result string
		d           time.Duration
	}{
		{"weekly", "ok", 0},
		{"weekly", "ok", 100 * time.Millisecond}, // on the first bound
		{"weekly", "partial", 150 * time.Millisecond},
		{"weekly", "failed", 3 * time.Hour}, // past the last bound
		{"daily", "quiet", 1638400 * time.Millisecond},
		{"daily", "something-new", 7 * time.Second},
		{"not-configured", "ok", time.Second}, // a job outside ForJobs still counts
	}
	for _, e := range events {
		m.JobRun(e.job, e.result, e.d)
		runs.WithLabelValues(e.job, e.result).Inc()
		dur.WithLabelValues(e.job).Observe(e.d.Seconds())
	}
	m.FiringClaimError("daily")
	m.FiringClaimError("daily")
	claims.WithLabelValues("daily").Add(2)
	// A job seen only at a run has its five results and claims too.
	claims.WithLabelValues("not-configured")
	for _, r := range []string{"partial", "failed", "skipped", "quiet"} {
		runs.WithLabelValues("not-configured", r)
	}

	want := gatherText(t, ref)
	require.NoError(t, testutil.GatherAndCompare(reg, bytes.NewReader(want),
		"livechat_digest_job_runs_total", "livechat_digest_firing_claim_errors_total", "livechat_digest_job_run_duration_seconds"))
}

func gatherText(t *testing.T, g prometheus.Gatherer) []byte {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	var b bytes.Buffer
	for _, mf := range mfs {
		_, err := expfmt.MetricFamilyToText(&b, mf)
		require.NoError(t, err)
	}
	return b.Bytes()
}

// BenchmarkForJobs measures what the per-job series of 1,000 jobs keep on
// the heap (B/op of one Metrics with them, after a run of each job).
//
//	go test -run '^$' -bench ForJobs -benchmem ./server/
func BenchmarkForJobs(b *testing.B) {
	jobs := make([]string, 1000)
	for i := range jobs {
		jobs[i] = "job-" + string(rune('a'+i%26)) + time.Duration(i).String()
	}
	for b.Loop() {
		m := NewMetrics(prometheus.NewRegistry())
		m.ForJobs(jobs)
		for _, j := range jobs {
			m.JobRun(j, "ok", time.Second)
		}
	}
}
