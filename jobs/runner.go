package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/store"
	"livechat-digest/templates"
)

// RunStore records runs so that exactly one owner executes each firing.
type RunStore interface {
	// RetryRun claims a firing that nobody holds, or whose run failed.
	RetryRun(ctx context.Context, job string, firingAt time.Time, owner string, now time.Time, lease time.Duration, caughtUp bool) (store.Run, bool, error)
	FinishRun(ctx context.Context, id int64, owner string, now time.Time, status, errMsg string, digest []byte) error
	ExtendRun(ctx context.Context, id int64, owner string, until time.Time) error
}

// Queue takes rendered deliveries; a key already queued is not stored again.
type Queue interface {
	// Record queues ds and stores the alert states and notices in one
	// transaction. A state or notice whose stored version changed since
	// it was read fails the whole call with store.ErrConflict.
	Record(ctx context.Context, ds []store.Delivery, alerts []store.AlertChange, notices ...store.NoticeChange) (int, error)
}

// AlertStore keeps the state of each threshold between runs, what each
// target was told of it, and the silences.
type AlertStore interface {
	Alert(ctx context.Context, job, key string) (store.AlertState, error)
	Notices(ctx context.Context, f store.NoticeFilter) ([]store.Notice, error)
	Silences(ctx context.Context, f store.SilenceFilter) ([]store.Silence, error)
	// Receipts tells what became of the deliveries that announced alerts.
	Receipts(ctx context.Context, keys []string) (map[string]store.Receipt, error)
}

// Store is everything a run writes.
type Store interface {
	RunStore
	Queue
	AlertStore
}

// RunnerOptions configure a Runner. Zero values get defaults.
type RunnerOptions struct {
	Owner string          // this process, unique among replicas
	Clock clockwork.Clock // default: the real clock
	Lease time.Duration   // how long a claimed run is ours without finishing (default 5m)
	From  string          // the email From header
	// Wake is called after deliveries were queued, so the worker sends now.
	Wake   func()
	Logger *slog.Logger
	// Observe, when set, is told how each run ended: "ok", "partial",
	// "failed", "skipped" (another run has the firing) or "quiet" (the
	// digest was held back by the job's send rule).
	Observe func(job, result string, elapsed time.Duration)
	// ObserveAlert, when set, is told of each alert message held back
	// (AlertHeld), and of each held firing released (AlertReleased).
	ObserveAlert func(job, result string)
	// Unsubscribes, when set, leaves the recipients who unsubscribed out
	// of a job's digests when they are queued.
	Unsubscribes Unsubscribes
	// UnsubscribeURL, when set, is the one-click link of a job's digest
	// for one recipient: List-Unsubscribe and the footer link.
	UnsubscribeURL func(job, address string) string
	// Share, when set, gives the runs of one firing the answers they share
	// (see Share); without it every run asks the Runner's fetcher.
	Share Share
	// Holds, when set with Share, tells other replicas which firings this
	// one still has runs of (see FiringHolds).
	Holds FiringHolds
}

// Runner executes runs of jobs.
type Runner struct {
	fetch   digest.Fetcher
	render  *templates.Renderer
	store   Store
	o       RunnerOptions
	firings *firingShares
	renders chan struct{} // runs rendering and queueing now (renderSlot)
}

// renderSlot waits until fewer than GOMAXPROCS runs render and queue, and
// returns the func that ends this run's turn (call it once or more).
func (r *Runner) renderSlot() func() {
	r.renders <- struct{}{}
	var once sync.Once
	return func() { once.Do(func() { <-r.renders }) }
}

// NewRunner returns a Runner that fetches with f, renders with r and records
// in s.
func NewRunner(f digest.Fetcher, r *templates.Renderer, s Store, o RunnerOptions) (*Runner, error) {
	if f == nil || r == nil || s == nil {
		return nil, errors.New("jobs: runner needs a fetcher, a renderer and a store")
	}
	if o.Owner == "" {
		return nil, errors.New("jobs: runner needs an owner name")
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Lease <= 0 {
		o.Lease = 5 * time.Minute
	}
	if o.Wake == nil {
		o.Wake = func() {}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	renders := make(chan struct{}, runtime.GOMAXPROCS(0))
	fs := &firingShares{share: o.Share, fetch: f, holds: o.Holds, owner: o.Owner, clock: o.Clock, lease: o.Lease,
		log: o.Logger.With("component", "jobs"), m: map[time.Time]*openFiring{}}
	return &Runner{fetch: f, render: r, store: s, o: o, firings: fs, renders: renders}, nil
}

// Result says what one run did.
type Result struct {
	Run      store.Run
	Skipped  bool // another run owns or finished this firing: nothing was done
	Digest   *digest.Digest
	Queued   int // deliveries newly queued
	Fired    []string
	Resolved []string
}

// FiringKey is the instant a firing is known by: UTC, rounded to the minute,
// so that replicas whose clocks differ by seconds agree on it.
func FiringKey(t time.Time) time.Time { return t.UTC().Round(time.Minute) }

// Spec returns the digest specification of job for a firing at at.
func Spec(job *config.Job, at time.Time) digest.Spec {
	return digest.Spec{
		Job:        job.Name,
		Location:   job.Location,
		Period:     job.Period,
		Compare:    job.Compare,
		At:         at,
		Filters:    digest.Filters{Group: job.Filters.Group, Agent: job.Filters.Agent, Tags: job.Filters.Tags},
		Reports:    job.Reports,
		API:        job.API,
		Thresholds: Thresholds(job),
		Insight:    job.Insight,
		Breakdown:  breakdown(job),
	}
}

// Thresholds converts a job's configured thresholds to digest thresholds, in
// the same order.
func Thresholds(job *config.Job) []digest.Threshold {
	out := make([]digest.Threshold, 0, len(job.Thresholds))
	for _, t := range job.Thresholds {
		switch {
		case t.Above != nil:
			out = append(out, digest.Threshold{Metric: t.Metric, Op: digest.Above, Value: *t.Above})
		case t.Below != nil:
			out = append(out, digest.Threshold{Metric: t.Metric, Op: digest.Below, Value: *t.Below})
		case t.ChangePctAbove != nil:
			out = append(out, digest.Threshold{Metric: t.Metric, Op: digest.ChangePctAbove, Value: *t.ChangePctAbove})
		case t.ChangePctBelow != nil:
			out = append(out, digest.Threshold{Metric: t.Metric, Op: digest.ChangePctBelow, Value: *t.ChangePctBelow})
		case t.Anomaly != nil:
			out = append(out, digest.Threshold{Metric: t.Metric, Op: digest.Anomaly, Value: t.Anomaly.Z, Weeks: t.Anomaly.Weeks})
		}
	}
	return out
}

// Build computes job's digest as if it fired at at, without recording or
// sending anything (run --dry-run, the slash command's digest JOB).
func (r *Runner) Build(ctx context.Context, job *config.Job, at time.Time) (*digest.Digest, error) {
	return r.build(ctx, r.fetch, job, at)
}

func (r *Runner) build(ctx context.Context, f digest.Fetcher, job *config.Job, at time.Time) (*digest.Digest, error) {
	d, err := digest.Build(ctx, f, Spec(job, at))
	if err != nil {
		return nil, fmt.Errorf("jobs: %s: %w", job.Name, err)
	}
	return d, nil
}

// Run executes job for the firing at firing: it claims the firing, builds the
// digest, steps the alert states and queues every message. A firing that is
// already claimed or done is skipped, which is what makes a second run of the
// same firing send nothing. If the digest cannot be built at all nothing is
// queued and the run is recorded as failed with the reason.
func (r *Runner) Run(ctx context.Context, job *config.Job, firing time.Time, caughtUp bool) (Result, error) {
	start := r.o.Clock.Now()
	firing = FiringKey(firing)
	log := r.o.Logger.With("job", job.Name, "firing", firing.Format(time.RFC3339))
	run, claimed, err := r.store.RetryRun(ctx, job.Name, firing, r.o.Owner, start, r.o.Lease, caughtUp)
	if err != nil {
		return Result{}, fmt.Errorf("jobs: %s: claim: %w", job.Name, err)
	}
	if !claimed {
		log.Debug("firing already taken", "status", run.Status, "owner", run.Owner)
		r.observe(job.Name, "skipped", start)
		return Result{Run: run, Skipped: true}, nil
	}
	fetch, release := r.firings.hold(ctx, firing)
	defer release()
	// Once claimed, the run is finished and recorded even if shutdown begins:
	// a half-recorded run would be taken over and built again.
	wctx := context.WithoutCancel(ctx)
	res := Result{Run: run}
	fail := func(err error) (Result, error) {
		r.finish(wctx, log, run, store.RunFailed, err.Error(), nil)
		res.Run.Status, res.Run.Error = store.RunFailed, err.Error()
		r.observe(job.Name, store.RunFailed, start)
		return res, err
	}
	// The lease is renewed while the digest is built; if another replica
	// took the firing over meanwhile (this one stalled past its lease), the
	// build stops and this run queues nothing.
	bctx, cancelBuild := context.WithCancel(ctx)
	lost, stopLease := r.keepLease(wctx, run, cancelBuild)
	d, err := r.build(bctx, fetch, job, firing)
	stopLease()
	cancelBuild()
	if lost() {
		log.Warn("lease lost to another owner; leaving the firing to it")
		r.observe(job.Name, "skipped", start)
		return Result{Run: run, Skipped: true}, nil
	}
	if err != nil {
		return fail(err)
	}
	res.Digest = d
	// Messages and the alert transitions they announce are saved together:
	// a crash before the commit re-runs the firing, which steps the same
	// transitions and queues the same keys; after it, nothing is redone.
	// Another run of the job that stepped an alert meanwhile makes the save
	// fail with a conflict: read the states again and step from them.
	held, why := holdDigest(job, d)
	// Rendering is CPU work and the rendered messages (the email's HTML
	// and chart) are the largest thing a run holds, so at most GOMAXPROCS
	// runs render and queue at once, and each lets its messages go as soon
	// as they are queued: a firing of many jobs neither renders faster nor
	// grows memory with the runs that wait for their answers.
	doneRendering := r.renderSlot()
	defer doneRendering()
	var digestDs []store.Delivery
	if !held {
		if digestDs, err = r.digestDeliveries(wctx, job, firing, d); err != nil {
			return fail(err)
		}
	}
	for attempt := 1; ; attempt++ {
		res.Fired, res.Resolved = nil, nil
		alertDs, changes, notices, err := r.alertDeliveries(wctx, job, firing, d, &res)
		if err != nil {
			return fail(err)
		}
		res.Queued, err = r.store.Record(wctx, append(slices.Clone(digestDs), alertDs...), changes, notices...)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrConflict) || attempt == 3 {
			return fail(fmt.Errorf("jobs: %s: queue: %w", job.Name, err))
		}
		log.Debug("alert state changed by another run; stepping again", "attempt", attempt)
	}
	digestDs = nil // queued: the store has them now
	doneRendering()
	status, msg := store.RunOK, ""
	if len(d.Errors) > 0 {
		status = store.RunPartial
		parts := make([]string, 0, len(d.Errors))
		for _, e := range d.Errors {
			parts = append(parts, e.Report+": "+e.Error)
		}
		msg = strings.Join(parts, "; ")
	}
	if held {
		status, msg = store.RunSkipped, strings.TrimSuffix(why+"; "+msg, "; ")
	}
	body, _ := json.Marshal(d)
	r.finish(wctx, log, run, status, msg, body)
	res.Run.Status, res.Run.Error = status, msg
	r.observe(job.Name, observed(status), start)
	if res.Queued > 0 {
		r.o.Wake()
	}
	log.Info("run done", "status", status, "queued", res.Queued, "caught_up", caughtUp)
	return res, nil
}

// keepLease renews run's lease every third of the lease until stop is
// called. When the store says the lease is lost, it calls cancel and lost
// reports true from then on.
func (r *Runner) keepLease(ctx context.Context, run store.Run, cancel context.CancelFunc) (lost func() bool, stop func()) {
	var gone atomic.Bool
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := r.o.Clock.NewTicker(r.o.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.Chan():
			}
			err := r.store.ExtendRun(ctx, run.ID, r.o.Owner, r.o.Clock.Now().Add(r.o.Lease))
			if errors.Is(err, store.ErrLeaseLost) {
				gone.Store(true)
				cancel()
				return
			}
			if err != nil {
				r.o.Logger.Warn("renewing run lease failed", "job", run.Job, "err", err)
			}
		}
	}()
	return gone.Load, func() { close(done); <-finished }
}

func (r *Runner) finish(ctx context.Context, log *slog.Logger, run store.Run, status, msg string, body []byte) {
	if err := r.store.FinishRun(ctx, run.ID, r.o.Owner, r.o.Clock.Now(), status, msg, body); err != nil {
		// The lease expires and another owner re-runs the firing; its
		// deliveries are keyed, so nothing is sent twice.
		log.Warn("recording run failed", "err", err)
	}
}

func (r *Runner) observe(job, result string, start time.Time) {
	if r.o.Observe != nil {
		r.o.Observe(job, result, r.o.Clock.Since(start))
	}
}
