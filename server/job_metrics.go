package server

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// jobRunResults are the results every job's runs counter shows from the
// start (see Metrics.ForJobs); a result outside them still counts.
var jobRunResults = [...]string{"ok", "partial", "failed", "skipped", "quiet"}

// jobRunBuckets are the run-duration histogram's upper bounds: 0.1 s …
// about 27 min, since a run with retries and a slow API takes minutes, far
// beyond DefBuckets' 10 s.
var jobRunBuckets = prometheus.ExponentialBuckets(0.1, 2, jobRunBucketCount)

const jobRunBucketCount = 15

// jobCollector holds the per-job series (runs by result, firing claim
// errors, run duration) as plain numbers and turns them into samples only
// when /metrics is scraped. A CounterVec or HistogramVec child costs about
// 300 bytes per label pair and a kilobyte per histogram, kept for the life
// of the process; with a thousand jobs that was a few MiB of heap, doubled
// by the GC's headroom, that grew with the number of jobs (issue 14's
// memory figure). Here a job costs one small struct.
type jobCollector struct {
	runsDesc, claimsDesc, durationDesc *prometheus.Desc

	mu   sync.Mutex
	jobs map[string]*jobSeries
}

// jobSeries is one job's numbers.
type jobSeries struct {
	runs     [len(jobRunResults)]uint64 // by jobRunResults
	other    map[string]uint64          // results outside jobRunResults, if any
	claims   uint64
	count    uint64
	sum      float64
	buckets  [jobRunBucketCount]uint64 // observations per bucket of jobRunBuckets, not cumulative
	observed bool                      // the histogram shows once the job has run
}

func newJobCollector() *jobCollector {
	return &jobCollector{
		runsDesc: prometheus.NewDesc("livechat_digest_job_runs_total",
			"Job runs by job and result.", []string{"job", "result"}, nil),
		claimsDesc: prometheus.NewDesc("livechat_digest_firing_claim_errors_total",
			"Claims of a firing that failed on a store error (each is retried until its catch-up grace ends), by job.", []string{"job"}, nil),
		durationDesc: prometheus.NewDesc("livechat_digest_job_run_duration_seconds",
			"Time of one job run, fetch to enqueue.", []string{"job"}, nil),
		jobs: map[string]*jobSeries{},
	}
}

// series is job's numbers, made on first use; c.mu is held.
func (c *jobCollector) series(job string) *jobSeries {
	s := c.jobs[job]
	if s == nil {
		s = &jobSeries{}
		c.jobs[job] = s
	}
	return s
}

func (c *jobCollector) add(jobs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, j := range jobs {
		c.series(j)
	}
}

func (c *jobCollector) run(job, result string, elapsed time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.series(job)
	if i := slices.Index(jobRunResults[:], result); i >= 0 {
		s.runs[i]++
	} else {
		if s.other == nil {
			s.other = map[string]uint64{}
		}
		s.other[result]++
	}
	v := elapsed.Seconds()
	s.count++
	s.sum += v
	s.observed = true
	// As client_golang does: the first bucket whose upper bound is at
	// least v; beyond the last one only +Inf (the count) has it.
	if i := sort.SearchFloat64s(jobRunBuckets, v); i < len(s.buckets) {
		s.buckets[i]++
	}
}

func (c *jobCollector) claimError(job string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.series(job).claims++
}

// Describe implements prometheus.Collector.
func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.runsDesc
	ch <- c.claimsDesc
	ch <- c.durationDesc
}

// Collect implements prometheus.Collector. The samples are made under the
// lock but sent after it, so a slow scrape never holds up a run's count.
func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	var out []prometheus.Metric
	c.mu.Lock()
	for job, s := range c.jobs {
		for i, r := range jobRunResults {
			out = append(out, prometheus.MustNewConstMetric(c.runsDesc, prometheus.CounterValue, float64(s.runs[i]), job, r))
		}
		for r, n := range s.other {
			out = append(out, prometheus.MustNewConstMetric(c.runsDesc, prometheus.CounterValue, float64(n), job, r))
		}
		out = append(out, prometheus.MustNewConstMetric(c.claimsDesc, prometheus.CounterValue, float64(s.claims), job))
		if s.observed {
			cum := make(map[float64]uint64, len(jobRunBuckets))
			var n uint64
			for i, b := range jobRunBuckets {
				n += s.buckets[i]
				cum[b] = n
			}
			out = append(out, prometheus.MustNewConstHistogram(c.durationDesc, s.count, s.sum, cum, job))
		}
	}
	c.mu.Unlock()
	for _, m := range out {
		ch <- m
	}
}
