package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"livechat-digest/config"
	"livechat-digest/store"
)

// SchedulerOptions configure a Scheduler. Zero values get defaults, except
// Grace.
type SchedulerOptions struct {
	Clock clockwork.Clock // default: the real clock; tests pass a fake one
	// Grace is how old a firing missed while the service was down may be and
	// still be run at start-up. Zero (or negative) runs none, as
	// scheduler.catch_up_grace: 0 means; the config supplies the 6h default.
	Grace time.Duration
	// StopTimeout bounds how long Shutdown waits for running jobs (default 2m).
	StopTimeout time.Duration
	Logger      *slog.Logger
	// Locker, when set, is asked before each firing; only the replica that
	// gets the lock runs it. NewLocker builds one on the run store.
	Locker *Locker
	// Store, when set, is scanned every ReapEvery for runs whose owner died
	// mid-run (an expired lease); this replica takes them over.
	Store     StaleRuns
	ReapEvery time.Duration // default 30s
	// Runs, when set, lets the reconciler run every ReapEvery: every
	// firing of every job due within Grace that no replica ran (see
	// Reconcile). NewScheduler also starts the loop for it.
	Runs RunFirings
	// ClaimErrors, when set, is told of each failed claim of a firing on a
	// store error (by the Locker or the reconciler), for a metric.
	ClaimErrors func(job string)
	// NewStore says serve has not run on the store before this start
	// (store.StartServing): it has no history, so a firing it has no row
	// for may have run on a store that was lost. Start then catches
	// nothing up, and says so.
	NewStore bool
	// ReleaseEvery is how often held alert firings are looked at even
	// when none is due (a silence expired by another process); each is
	// also released at the instant its hold ends (default 15s).
	ReleaseEvery time.Duration
	// MaxRuns is how many runs may work at once, over all jobs and zones
	// (default 32). Many jobs firing in the same minute then wait their
	// turn instead of all holding their goroutines and rendered messages
	// at once: memory stays flat as jobs grow, while the client's rate limit
	// sets the pace anyway.
	MaxRuns int
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
	// slots bounds the runs working at once (MaxRuns) and queues the
	// firings that wait for one.
	slots *runSlots
	// running holds the jobs with a run under way when there is no Locker
	// (which keeps this itself): one run of a job at a time.
	running sync.Map // job name → struct{}
	// zones holds one gocron scheduler per time zone of the jobs, in the
	// order the zones first appear. gocron's DST handling (run a 02:30 the
	// spring-forward gap skipped at 03:30, run a 01:30 that fall-back repeats
	// once) compares wall clocks in the scheduler's location, so a job must
	// be scheduled by a scheduler of its own zone: one UTC scheduler with a
	// CRON_TZ prefix skips the first and runs the second twice.
	zones []gocron.Scheduler

	stopReaper context.CancelFunc
	reaperDone chan struct{}

	// rec is the reconciler's state: the earliest firing of each job it
	// still has to look at.
	rec reconciler
	// retrying holds the failed firings queued or running for another try
	// (retryFailed), so a later tick does not queue them twice.
	retrying sync.Map // firingRef → struct{}

	stopRelease context.CancelFunc
	releaseDone chan struct{}
}

// NewScheduler registers every job of jobs with gocron. Nothing runs before
// Start.
func NewScheduler(r *Runner, jobs []config.Job, o SchedulerOptions) (*Scheduler, error) {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
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
	if o.MaxRuns <= 0 {
		o.MaxRuns = 32
	}
	if o.ReleaseEvery <= 0 {
		o.ReleaseEvery = 15 * time.Second
	}
	sc := &Scheduler{runner: r, o: o, slots: newRunSlots(o.MaxRuns)}
	if o.Locker != nil {
		o.Locker.slots = sc.slots
		o.Locker.run = func(ctx context.Context, name string, firing time.Time) {
			if job := sc.job(name); job != nil {
				sc.run(ctx, job, firing)
			}
		}
		o.Locker.hold = r.holdFiring
		o.Locker.retryFor, o.Locker.log, o.Locker.claimError = o.Grace, o.Logger, o.ClaimErrors
	}
	byZone := map[string]gocron.Scheduler{}
	for i := range jobs {
		job := &jobs[i]
		sc.jobs = append(sc.jobs, job)
		if job.Location == nil {
			_ = sc.shutdownAll()
			return nil, fmt.Errorf("jobs: %s: no time zone", job.Name)
		}
		s, ok := byZone[job.Location.String()]
		if !ok {
			var err error
			if s, err = sc.newZone(job.Location); err != nil {
				_ = sc.shutdownAll()
				return nil, err
			}
			byZone[job.Location.String()] = s
			sc.zones = append(sc.zones, s)
		}
		first, err := NextRuns(job, o.Clock.Now(), 1)
		if err != nil {
			_ = sc.shutdownAll()
			return nil, err
		}
		opts := []gocron.JobOption{
			gocron.WithName(job.Name),
			gocron.WithDaylightSavingsTimePolicy(gocron.DaylightSavingsTimeRunAfterTransition),
		}
		if len(first) == 1 {
			// gocron moves a firing out of the spring-forward gap only when
			// the firing before it was on an earlier day, so a scheduler
			// started on the gap day before the gap would skip that day.
			// Starting it at our own first firing (NextRuns follows the same
			// rules) closes the hole; should Start come after that instant,
			// CatchUp runs the firing and gocron plans the next one from it.
			opts = append(opts, gocron.WithStartAt(gocron.WithStartDateTimePast(first[0])))
		}
		_, err = s.NewJob(gocron.CronJob(crontab(job), false), gocron.NewTask(sc.fire, job), opts...)
		if err != nil {
			_ = sc.shutdownAll()
			return nil, fmt.Errorf("jobs: %s: schedule %q: %w", job.Name, job.Schedule, err)
		}
	}
	return sc, nil
}

// newZone returns a gocron scheduler whose location is loc (see zones).
func (sc *Scheduler) newZone(loc *time.Location) (gocron.Scheduler, error) {
	opts := []gocron.SchedulerOption{
		gocron.WithClock(sc.o.Clock),
		gocron.WithLocation(loc),
		gocron.WithStopTimeout(sc.o.StopTimeout),
		gocron.WithLogger(sc.o.Logger.With("subsystem", "gocron", "zone", loc.String())),
	}
	if sc.o.Locker != nil {
		opts = append(opts, gocron.WithDistributedLocker(sc.o.Locker))
	}
	s, err := gocron.NewScheduler(opts...)
	if err != nil {
		return nil, fmt.Errorf("jobs: scheduler %s: %w", loc, err)
	}
	return s, nil
}

// shutdownAll stops every gocron scheduler at once (each waits up to the
// stop timeout for its running jobs) and reports the errors.
func (sc *Scheduler) shutdownAll() error {
	errs := make([]error, len(sc.zones))
	var wg sync.WaitGroup
	for i, s := range sc.zones {
		wg.Go(func() { errs[i] = s.Shutdown() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func crontab(j *config.Job) string { return "CRON_TZ=" + j.Location.String() + " " + j.Schedule }

// fire is the gocron task of one job. gocron does not pass the scheduled
// instant, so it is the clock's now rounded to the minute (FiringKey).
// gocron cancels the task's context as soon as Shutdown begins, before it
// waits for running tasks; a run in flight is finished instead (Shutdown
// waits up to StopTimeout), so a digest being built at SIGTERM is still sent
// rather than recorded as failed.
func (sc *Scheduler) fire(ctx context.Context, job *config.Job) {
	var firing time.Time
	locked := false
	if sc.o.Locker != nil {
		if firing, locked = sc.o.Locker.take(job.Name); !locked {
			// gocron runs the task only after a successful Lock, which
			// records the firing; a miss means two jobs share a name.
			sc.o.Logger.Error("no firing recorded by the lock; skipping", "job", job.Name)
			return
		}
	}
	if !locked {
		// Without the Locker (which took a slot with the firing, and keeps
		// one run of a job at a time), take one here. The firing is fixed
		// first, so a run that waits for a slot still runs the firing it
		// was scheduled for.
		firing = FiringKey(sc.o.Clock.Now())
		if _, busy := sc.running.LoadOrStore(job.Name, struct{}{}); busy {
			sc.o.Logger.Debug("previous firing still running; skipping", "job", job.Name, "firing", firing.Format(time.RFC3339))
			return
		}
		defer sc.running.Delete(job.Name)
		defer sc.runner.holdFiring(ctx, firing)()
		if !sc.takeSlot(ctx) {
			return // shutting down before this run started
		}
		defer sc.giveSlot()
	}
	sc.run(ctx, job, firing)
}

// run runs job's scheduled firing, holding its lock and a slot.
func (sc *Scheduler) run(ctx context.Context, job *config.Job, firing time.Time) {
	if _, err := sc.runner.Run(context.WithoutCancel(ctx), job, firing, false); err != nil {
		sc.o.Logger.Error("run failed", "job", job.Name, "err", err)
	}
}

// Start starts the schedule, then runs, once each, the firings missed while
// the service was down that are no older than the grace. The schedule comes
// first so that a firing due while catch-up runs is not lost (gocron skips
// a start time already past); a firing both would run is claimed once. The
// error names catch-up runs that failed (LiveChat down at start-up); the
// schedule runs regardless.
func (sc *Scheduler) Start(ctx context.Context) error {
	// Catch-up looks only at firings up to the instant read before the
	// schedule starts, and gocron plans only firings after its own, later
	// reading: no firing is left to both.
	now := sc.o.Clock.Now()
	for _, s := range sc.zones {
		s.Start()
	}
	sc.rec.start(sc, now)
	if sc.o.NewStore && sc.o.Grace > 0 {
		sc.o.Logger.Info("serve has not run on this store before (a first start, or the store was lost and created again): it has no history, so firings missed before now are not caught up and a lost store never sends its last firing again")
	}
	err := sc.catchUp(ctx, now)
	lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	sc.stopRelease, sc.releaseDone = stop, make(chan struct{})
	go sc.releaseLoop(lctx)
	if sc.o.Store != nil || sc.o.Runs != nil {
		rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		sc.stopReaper, sc.reaperDone = cancel, make(chan struct{})
		go sc.reap(rctx)
	}
	return err
}

// reap takes over, every ReapEvery, the runs whose owner died mid-run, and
// then runs the firings no replica ran (Reconcile). The run store grants an
// expired lease, or a firing, to one replica only.
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
		if sc.o.Store != nil {
			if err := sc.Reap(ctx); err != nil {
				sc.o.Logger.Warn("reaping stale runs failed", "err", err)
			}
		}
		if err := sc.Reconcile(ctx); err != nil {
			sc.o.Logger.Warn("reconciling firings failed", "err", err)
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
	held := sc.runner.holdFirings()
	defer held.release()
	for _, run := range stale {
		if ctx.Err() != nil {
			break // shutting down: leave the rest to another replica or the next start
		}
		job := sc.job(run.Job)
		if job == nil {
			continue // a job removed from the config since
		}
		held.add(ctx, run.FiringAt)
		if !sc.takeSlot(ctx) {
			break
		}
		sc.o.Logger.Info("taking over a run whose owner stopped", "job", run.Job, "firing", run.FiringAt.Format(time.RFC3339), "owner", run.Owner)
		// Like a scheduled run, a taken-over run is finished at shutdown.
		_, err := sc.runner.Run(context.WithoutCancel(ctx), job, run.FiringAt, run.CaughtUp)
		sc.giveSlot()
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// takeSlot waits for one of the MaxRuns slots; false when ctx ends first.
func (sc *Scheduler) takeSlot(ctx context.Context) bool { return sc.slots.take(ctx) }

func (sc *Scheduler) giveSlot() { sc.slots.give() }

func (sc *Scheduler) job(name string) *config.Job {
	for _, j := range sc.jobs {
		if j.Name == name {
			return j
		}
	}
	return nil
}

// CatchUp runs each job's most recent scheduled firing if it lies within the
// grace and has no run recorded (none on a new store, see NewStore). A firing that ran (or is running on another
// replica) is skipped by the run store, so CatchUp is safe to repeat.
func (sc *Scheduler) CatchUp(ctx context.Context) error {
	return sc.catchUp(ctx, sc.o.Clock.Now())
}

func (sc *Scheduler) catchUp(ctx context.Context, now time.Time) error {
	if sc.o.Grace <= 0 || sc.o.NewStore {
		return nil
	}
	var errs []error
	held := sc.runner.holdFirings()
	defer held.release()
	for _, job := range sc.jobs {
		last, ok, err := LastFiring(job, now, sc.o.Grace)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok || FiringKey(last).After(now) {
			continue
		}
		held.add(ctx, last)
		if _, err := sc.runner.Run(ctx, job, last, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Shutdown stops firing new runs and waits for running ones (bounded by the
// stop timeout).
func (sc *Scheduler) Shutdown() error {
	// The reaper and every zone stop together, each bounded by the stop
	// timeout, so stopping takes at most about one stop timeout.
	deadline := sc.o.Clock.Now().Add(sc.o.StopTimeout)
	var errs []error
	if sc.stopRelease != nil {
		sc.stopRelease()
		<-sc.releaseDone // a release is a few store calls: no bound needed
	}
	if sc.stopReaper != nil {
		sc.stopReaper()
		defer func() {
			select {
			case <-sc.reaperDone:
			case <-sc.o.Clock.After(sc.o.StopTimeout):
				sc.o.Logger.Warn("a taken-over run is still going at shutdown; its lease will expire and another replica will finish it")
			}
		}()
	}
	if err := sc.shutdownAll(); err != nil {
		errs = append(errs, err)
	}
	// gocron has cancelled the jobs' contexts: the firings still queued
	// for a slot end as soon as they start, and those running are
	// finished, like gocron's own, within the same stop timeout.
	if !sc.slots.wait(sc.o.Clock, max(0, deadline.Sub(sc.o.Clock.Now()))) {
		errs = append(errs, errors.New("runs that waited for a slot were still running at the stop timeout"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("jobs: scheduler shutdown: %w", err)
	}
	return nil
}

// NextRuns returns the next n firings of job after from, in the job's zone,
// as the scheduler runs them (see firings): a wall-clock time that a
// fall-back hour repeats is listed once, and one that the spring-forward gap
// skips is listed at the same distance after the gap (02:30 → 03:30).
func NextRuns(job *config.Job, from time.Time, n int) ([]time.Time, error) {
	var out []time.Time
	err := firings(job, from, func(t time.Time) bool {
		out = append(out, t)
		return len(out) < n
	})
	return out, err
}

// LastFiring returns job's latest scheduled firing in (now-grace, now], as
// the scheduler runs them (see NextRuns).
func LastFiring(job *config.Job, now time.Time, grace time.Duration) (time.Time, bool, error) {
	var last time.Time
	err := firings(job, now.Add(-grace), func(t time.Time) bool {
		if t.After(now) {
			return false
		}
		last = t
		return true
	})
	return last, !last.IsZero(), err
}

// firings calls yield with job's firings after from, in order and in the
// job's zone, until yield returns false. They are the firings gocron's
// scheduler makes for a cron job in a scheduler of the job's zone with
// DaylightSavingsTimeRunAfterTransition (cronJob.next in gocron v2.21): raw
// cron times, less a repeat of the previous firing's wall-clock time, plus
// the time of a day whose firing fell in the spring-forward gap, moved past
// the gap. The walk starts two days before from, so that a firing the gap
// moved is found whatever hour from has.
func firings(job *config.Job, from time.Time, yield func(time.Time) bool) error {
	return walkFirings(job, from, false, yield)
}

// walkFirings is firings; with fromFiring, from is itself one of job's
// firings (one a walk yielded), and the walk goes on from it directly
// instead of from two days before: a long-running reconciler walks only
// the firings it has not seen.
func walkFirings(job *config.Job, from time.Time, fromFiring bool, yield func(time.Time) bool) error {
	c := gocron.NewDefaultCron(false)
	if job.Location == nil {
		return fmt.Errorf("jobs: %s: no time zone", job.Name)
	}
	if err := c.IsValid(crontab(job), job.Location, from); err != nil {
		return fmt.Errorf("jobs: %s: schedule %q: %w", job.Name, job.Schedule, err)
	}
	t := from.In(job.Location)
	if !fromFiring {
		t = t.AddDate(0, 0, -2)
	}
	for range maxFiringSteps {
		next := nextFiring(c, t)
		if next.IsZero() {
			return nil
		}
		if next.After(from) && !yield(next) {
			return nil
		}
		t = next
	}
	return nil
}

// maxFiringSteps bounds a walk through the schedule: a minute-by-minute
// cron over a long grace must not loop for ever.
const maxFiringSteps = 100_000

// nextFiring is gocron's cronJob.next with DaylightSavingsTimeRunAfterTransition
// for a scheduler whose location is last's.
func nextFiring(c gocron.Cron, last time.Time) time.Time {
	next := c.Next(last)
	if next.IsZero() {
		return next
	}
	if sameWall(last, next) {
		// A fall-back hour repeats last's wall-clock time: run it once.
		return c.Next(next)
	}
	loc := last.Location()
	for day := last.AddDate(0, 0, 1); day.Before(next); day = day.AddDate(0, 0, 1) {
		want := time.Date(day.Year(), day.Month(), day.Day(), next.Hour(), next.Minute(), next.Second(), 0, loc)
		if sameClock(want, next) {
			continue
		}
		// want fell in a gap: time.Date picked another offset. Move it to the
		// same distance after the gap as the wall-clock time asked for.
		offset := time.Duration(next.Hour()-want.Hour())*time.Hour +
			time.Duration(next.Minute()-want.Minute())*time.Minute +
			time.Duration(next.Second()-want.Second())*time.Second
		if offset > 0 {
			want = want.Add(offset)
		}
		if want.After(last) && want.Before(next) {
			return want
		}
	}
	return next
}

func sameClock(a, b time.Time) bool {
	return a.Hour() == b.Hour() && a.Minute() == b.Minute() && a.Second() == b.Second()
}

func sameWall(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay() && sameClock(a, b)
}

// releaseLoop releases held alert firings (ReleaseHeld) at the instant the
// first hold ends, and every ReleaseEvery in any case, until ctx ends.
func (sc *Scheduler) releaseLoop(ctx context.Context) {
	defer close(sc.releaseDone)
	for {
		next, err := sc.ReleaseHeld(ctx)
		if err != nil && ctx.Err() == nil {
			sc.o.Logger.Warn("releasing held alerts failed", "err", err)
		}
		wait := sc.o.ReleaseEvery
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(sc.o.Clock.Now()), 0))
		}
		t := sc.o.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.Chan():
		}
	}
}

// ReleaseHeld announces the held alert firings of every job whose hold
// has ended (Runner.Release) and returns the instant the next hold ends
// (zero when none is held).
func (sc *Scheduler) ReleaseHeld(ctx context.Context) (time.Time, error) {
	var next time.Time
	var errs []error
	for _, job := range sc.jobs {
		if job.Alerts == nil {
			continue
		}
		at, err := sc.runner.Release(ctx, job)
		if err != nil {
			errs = append(errs, err)
		}
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next, errors.Join(errs...)
}
