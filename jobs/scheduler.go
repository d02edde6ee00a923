package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"livechat-digest/config"
	"livechat-digest/store"
)

// SchedulerOptions configure a Scheduler. Zero values get defaults.
type SchedulerOptions struct {
	Clock clockwork.Clock // default: the real clock; tests pass a fake one
	// Grace is how old a firing missed while the service was down may be and
	// still be run at start-up (default 6h).
	Grace time.Duration
	// StopTimeout bounds how long Shutdown waits for running jobs (default 2m).
	StopTimeout time.Duration
	Logger      *slog.Logger
	// Locker, when set, is asked before each firing; only the replica that
	// gets the lock runs it. NewLocker builds one on the run store.
	Locker gocron.Locker
	// Store, when set, is scanned every ReapEvery for runs whose owner died
	// mid-run (an expired lease); this replica takes them over.
	Store     StaleRuns
	ReapEvery time.Duration // default 30s
}

// StaleRuns lists runs whose lease expired while they were running.
type StaleRuns interface {
	StaleRuns(ctx context.Context, now time.Time) ([]store.Run, error)
}

// Scheduler fires each job on its cron schedule in its own time zone.
type Scheduler struct {
	runner *Runner
	jobs   []*config.Job
	o      SchedulerOptions
	s      gocron.Scheduler

	stopReaper context.CancelFunc
	reaperDone chan struct{}
}

// NewScheduler registers every job of jobs with gocron. Nothing runs before
// Start.
func NewScheduler(r *Runner, jobs []config.Job, o SchedulerOptions) (*Scheduler, error) {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Grace <= 0 {
		o.Grace = 6 * time.Hour
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 2 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ReapEvery <= 0 {
		o.ReapEvery = 30 * time.Second
	}
	opts := []gocron.SchedulerOption{
		gocron.WithClock(o.Clock),
		gocron.WithLocation(time.UTC),
		gocron.WithStopTimeout(o.StopTimeout),
		gocron.WithLogger(o.Logger.With("component", "gocron")),
	}
	if o.Locker != nil {
		opts = append(opts, gocron.WithDistributedLocker(o.Locker))
	}
	s, err := gocron.NewScheduler(opts...)
	if err != nil {
		return nil, fmt.Errorf("jobs: scheduler: %w", err)
	}
	sc := &Scheduler{runner: r, o: o, s: s}
	for i := range jobs {
		job := &jobs[i]
		sc.jobs = append(sc.jobs, job)
		_, err := s.NewJob(
			gocron.CronJob(crontab(job), false),
			gocron.NewTask(sc.fire, job),
			gocron.WithName(job.Name),
			gocron.WithSingletonMode(gocron.LimitModeReschedule),
			gocron.WithDaylightSavingsTimePolicy(gocron.DaylightSavingsTimeRunAfterTransition),
		)
		if err != nil {
			_ = s.Shutdown()
			return nil, fmt.Errorf("jobs: %s: schedule %q: %w", job.Name, job.Schedule, err)
		}
	}
	return sc, nil
}

func crontab(j *config.Job) string { return "CRON_TZ=" + j.Location.String() + " " + j.Schedule }

// fire is the gocron task of one job. gocron does not pass the scheduled
// instant, so it is the clock's now rounded to the minute (FiringKey).
func (sc *Scheduler) fire(ctx context.Context, job *config.Job) {
	if _, err := sc.runner.Run(ctx, job, sc.o.Clock.Now(), false); err != nil {
		sc.o.Logger.Error("run failed", "job", job.Name, "err", err)
	}
}

// Start runs, once each, the firings missed while the service was down that
// are no older than the grace, then starts the schedule.
func (sc *Scheduler) Start(ctx context.Context) error {
	if err := sc.CatchUp(ctx); err != nil {
		return err
	}
	sc.s.Start()
	if sc.o.Store != nil {
		rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		sc.stopReaper, sc.reaperDone = cancel, make(chan struct{})
		go sc.reap(rctx)
	}
	return nil
}

// reap takes over, every ReapEvery, the runs whose owner died mid-run. The
// run store grants an expired lease to one replica only.
func (sc *Scheduler) reap(ctx context.Context) {
	defer close(sc.reaperDone)
	t := sc.o.Clock.NewTicker(sc.o.ReapEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
		if err := sc.Reap(ctx); err != nil {
			sc.o.Logger.Warn("reaping stale runs failed", "err", err)
		}
	}
}

// Reap re-runs, once, each run whose lease expired while it was running.
func (sc *Scheduler) Reap(ctx context.Context) error {
	stale, err := sc.o.Store.StaleRuns(ctx, sc.o.Clock.Now())
	if err != nil {
		return err
	}
	var errs []error
	for _, run := range stale {
		job := sc.job(run.Job)
		if job == nil {
			continue // a job removed from the config since
		}
		sc.o.Logger.Info("taking over a run whose owner stopped", "job", run.Job, "firing", run.FiringAt.Format(time.RFC3339), "owner", run.Owner)
		if _, err := sc.runner.Run(ctx, job, run.FiringAt, run.CaughtUp); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (sc *Scheduler) job(name string) *config.Job {
	for _, j := range sc.jobs {
		if j.Name == name {
			return j
		}
	}
	return nil
}

// CatchUp runs each job's most recent scheduled firing if it lies within the
// grace and has no run recorded. A firing that ran (or is running on another
// replica) is skipped by the run store, so CatchUp is safe to repeat.
func (sc *Scheduler) CatchUp(ctx context.Context) error {
	now := sc.o.Clock.Now()
	var errs []error
	for _, job := range sc.jobs {
		last, ok, err := LastFiring(job, now, sc.o.Grace)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok || FiringKey(last).After(now) {
			continue
		}
		if _, err := sc.runner.Run(ctx, job, last, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Shutdown stops firing new runs and waits for running ones (bounded by the
// stop timeout).
func (sc *Scheduler) Shutdown() error {
	if sc.stopReaper != nil {
		sc.stopReaper()
		<-sc.reaperDone
	}
	if err := sc.s.Shutdown(); err != nil {
		return fmt.Errorf("jobs: scheduler shutdown: %w", err)
	}
	return nil
}

// NextRuns returns the next n firings of job after from, in the job's zone.
// Two firings with the same wall-clock label (a fall-back hour) count once,
// as the scheduler runs them once.
func NextRuns(job *config.Job, from time.Time, n int) ([]time.Time, error) {
	c := gocron.NewDefaultCron(false)
	if err := c.IsValid(crontab(job), job.Location, from); err != nil {
		return nil, fmt.Errorf("jobs: %s: schedule %q: %w", job.Name, job.Schedule, err)
	}
	var out []time.Time
	t := from
	for len(out) < n {
		next := c.Next(t)
		if next.IsZero() {
			break
		}
		next = next.In(job.Location)
		if len(out) == 0 || !sameLabel(out[len(out)-1], next) {
			out = append(out, next)
		}
		t = next
	}
	return out, nil
}

// LastFiring returns job's latest scheduled firing in (now-grace, now].
func LastFiring(job *config.Job, now time.Time, grace time.Duration) (time.Time, bool, error) {
	c := gocron.NewDefaultCron(false)
	from := now.Add(-grace)
	if err := c.IsValid(crontab(job), job.Location, from); err != nil {
		return time.Time{}, false, fmt.Errorf("jobs: %s: schedule %q: %w", job.Name, job.Schedule, err)
	}
	var last time.Time
	for t := from; ; {
		next := c.Next(t)
		if next.IsZero() || next.After(now) {
			break
		}
		last, t = next, next
	}
	return last, !last.IsZero(), nil
}

func sameLabel(a, b time.Time) bool {
	return a.Format("2006-01-02 15:04") == b.Format("2006-01-02 15:04")
}
