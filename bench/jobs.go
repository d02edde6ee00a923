package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"livechat-digest/jobs"
	"livechat-digest/store"
	"livechat-digest/templates"
)

// jobsResult is what one (b) child measured.
type jobsResult struct {
	Jobs           int
	Filters        int
	WallMS         float64
	Requests       int // upstream requests the simulator answered
	Distinct       int // distinct request URLs among them
	OK             int // runs that built, rendered and queued their digest
	Queued         int
	BaselineRSSKiB int64 // VmRSS after setup, before firing (includes the in-process simulator)
	PeakRSSKiB     int64 // VmHWM at the end
	PeakGoroutines int64
	MaxRuns        int // runs allowed at once; 0 = unbounded, as the scheduler fires today
}

// fireJobs is (b): n jobs, all 20 reports with comparison, spread over
// `filters` distinct filter sets, all fired for the same minute at once, as
// the scheduler fires them (one goroutine per job), through the jobs
// runner: fetch, digest, render, queue into a SQLite store.
//
// maxRuns > 0 lets at most that many runs work at once, the others waiting
// their turn, which is what gocron.WithLimitConcurrentJobs(maxRuns,
// gocron.LimitModeWait) on the scheduler would do.
func fireJobs(ctx context.Context, n, filters, maxRuns int, latency time.Duration) (jobsResult, error) {
	up, err := startUpstream(latency)
	if err != nil {
		return jobsResult{}, err
	}
	defer up.close()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - {name: job-%04d, schedule: \"0 9 * * MON\", filters: {group: %d}, email: {to: [team-%04d@example.com]}}\n",
			i, i%filters+1, i)
	}
	cfg, err := userConfig(up.URL, []byte(b.String()))
	if err != nil {
		return jobsResult{}, err
	}
	c, err := client(cfg, false)
	if err != nil {
		return jobsResult{}, err
	}
	dir, err := os.MkdirTemp("", "lcd-bench-")
	if err != nil {
		return jobsResult{}, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "state.db"))
	if err != nil {
		return jobsResult{}, err
	}
	defer st.Close()
	r, err := templates.New("")
	if err != nil {
		return jobsResult{}, err
	}
	runner, err := jobs.NewRunner(c, r, st, jobs.RunnerOptions{Owner: "bench", From: cfg.Email.From,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return jobsResult{}, err
	}

	runtime.GC()
	res := jobsResult{Jobs: n, Filters: filters, MaxRuns: maxRuns, BaselineRSSKiB: rss()}
	slots := make(chan struct{}, n)
	if maxRuns > 0 {
		slots = make(chan struct{}, maxRuns)
	}
	var peakG atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if g := int64(runtime.NumGoroutine()); g > peakG.Load() {
				peakG.Store(g)
			}
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
		}
	}()

	firing := time.Now().UTC().Truncate(time.Minute)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		ok, qd int
	)
	start := time.Now()
	for i := range cfg.Jobs {
		job := &cfg.Jobs[i]
		wg.Go(func() {
			slots <- struct{}{}
			out, err := runner.Run(ctx, job, firing, false)
			<-slots
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case out.Skipped || out.Run.Status != store.RunOK:
				errs = append(errs, fmt.Errorf("%s: %s %s", job.Name, out.Run.Status, out.Run.Error))
			default:
				ok++
				qd += out.Queued
			}
		})
	}
	wg.Wait()
	res.WallMS = float64(time.Since(start)) / float64(time.Millisecond)
	close(stopSampling)
	<-sampled
	res.Requests, res.Distinct = up.counts()
	res.OK, res.Queued = ok, qd
	res.PeakRSSKiB = peakRSS()
	res.PeakGoroutines = peakG.Load()
	if len(errs) > 0 {
		return res, fmt.Errorf("%d of %d runs failed, first: %w", len(errs), n, errs[0])
	}
	return res, nil
}

func benchJobs(ctx context.Context, w io.Writer, ns []int, filters, maxRuns int, latency time.Duration) error {
	fmt.Fprintf(w, "### (b) Many jobs firing at once (%d distinct filter sets, all 20 reports with comparison, each size in a fresh process)\n\n", filters)
	fmt.Fprintln(w, "| jobs | runs at once | wall time | upstream requests | distinct (report, range, filter) requests | runs ok / messages queued | RSS before firing | peak RSS (VmHWM) | peak goroutines |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, limit := range []int{0, maxRuns} {
		for _, n := range ns {
			res, err := runChild(ctx, n, filters, limit, latency)
			if err != nil {
				return err
			}
			at := "all"
			if limit > 0 {
				at = fmt.Sprint(limit)
			}
			fmt.Fprintf(w, "| %d | %s | %.1f s | **%d** | %d | %d / %d | %.1f MiB | **%.1f MiB** | %d |\n", res.Jobs, at, res.WallMS/1000,
				res.Requests, res.Distinct, res.OK, res.Queued, float64(res.BaselineRSSKiB)/1024, float64(res.PeakRSSKiB)/1024, res.PeakGoroutines)
		}
	}
	fmt.Fprintln(w)
	return nil
}
