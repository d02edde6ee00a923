package jobs

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"livechat-digest/config"
	"livechat-digest/store"
)

// RunFirings lists the firings of a job in [from, to] that have a run row;
// *store.Store provides it.
type RunFirings interface {
	RunFirings(ctx context.Context, job string, from, to time.Time) ([]time.Time, error)
	// FailedRuns lists the failed runs of firings at or after since that
	// no later firing of their job superseded (store.FailedRuns).
	FailedRuns(ctx context.Context, since time.Time) ([]store.Run, error)
}

// reconcileSettle is how long after its instant a firing is left to the
// schedule before the reconciler takes it for one no replica ran: gocron's
// tick may come late, and the claim takes a moment.
const reconcileSettle = time.Minute

// reconciler keeps, per job, where Reconcile's walk through the schedule
// resumes. It starts before the firing the start-up catch-up runs (so one
// whose claim failed there is tried again), or at start-up when there is
// none (or the store is new): firings missed while no replica ran are the catch-up's to decide
// (the last one only), not the reconciler's. It moves past firings found
// recorded, since a run row is never deleted, so each tick walks only the
// few firings it has not settled.
type reconciler struct {
	mu     sync.Mutex
	cursor map[string]cursor
}

// cursor is the instant after which a job's firings are still to be
// looked at; firing says it is itself a firing of the job, so the walk can
// go on from it directly (see walkFirings).
type cursor struct {
	after  time.Time
	firing bool
}

func (rc *reconciler) start(sc *Scheduler, now time.Time) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.cursor = make(map[string]cursor, len(sc.jobs))
	for _, job := range sc.jobs {
		c := cursor{after: now}
		if sc.o.Grace > 0 && !sc.o.NewStore {
			if last, ok, err := LastFiring(job, now, sc.o.Grace); err == nil && ok {
				c.after = last.Add(-time.Nanosecond)
			}
		}
		rc.cursor[job.Name] = c
	}
}

// Reconcile runs, once each and recorded as caught up, the firings of
// every job that are due (at least reconcileSettle old), no older than the
// grace and have no run row: every such firing, not only the last one, so
// a minutely job's 10:00 lost to a store error is still run at 10:05. Each
// replica runs it on its reaper's tick; the run store grants each firing
// to one. A firing this replica's Locker is still trying to claim is left
// to it. Then it tries again the failed firings within the grace that a
// later firing of their job has not superseded (retryFailed). Without
// Runs, or with a zero grace, it does nothing.
func (sc *Scheduler) Reconcile(ctx context.Context) error {
	if sc.o.Runs == nil || sc.o.Grace <= 0 {
		return nil
	}
	sc.rec.mu.Lock() // one reconcile at a time: the loop, or a test
	defer sc.rec.mu.Unlock()
	now := sc.o.Clock.Now()
	to := now.Add(-reconcileSettle)
	held := sc.runner.holdFirings()
	defer held.release()
	var errs []error
	for _, job := range sc.jobs {
		if ctx.Err() != nil {
			break
		}
		cur, ok := sc.rec.cursor[job.Name]
		if !ok {
			continue // Start has not run
		}
		// due: the firings after the cursor up to to that are still
		// within the grace; past is the last firing passed over as older.
		var due []time.Time
		past := cur
		err := walkFirings(job, cur.after, cur.firing, func(t time.Time) bool {
			if t.After(to) {
				return false
			}
			if t.After(now.Add(-sc.o.Grace)) {
				due = append(due, t)
			} else {
				past = cursor{after: t, firing: true}
			}
			return true
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(due) == 0 {
			sc.rec.cursor[job.Name] = past
			continue
		}
		have, err := sc.o.Runs.RunFirings(ctx, job.Name, FiringKey(due[0]), FiringKey(due[len(due)-1]))
		if err != nil {
			sc.claimError(job.Name)
			errs = append(errs, err)
			continue
		}
		// The cursor moves past every firing that has a run row now, up
		// to the first one that still has none.
		next := cursor{after: due[len(due)-1], firing: true}
		prev := past
		for _, f := range due {
			if !slices.ContainsFunc(have, FiringKey(f).Equal) &&
				!sc.reconcileOne(ctx, job, FiringKey(f), held, &errs) && next.after.After(prev.after) {
				next = prev
			}
			prev = cursor{after: f, firing: true}
			if ctx.Err() != nil {
				if next.after.After(prev.after) {
					next = prev // the rest were not looked at
				}
				break
			}
		}
		sc.rec.cursor[job.Name] = next
	}
	if ctx.Err() == nil {
		if err := sc.retryFailed(ctx, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// retryFailed runs again, for each job, the newest firing within the
// grace whose run failed (nothing was sent: LiveChat or the store was down
// at the firing) and that no later firing of the job superseded (ran, or
// is running: store.FailedRuns). Only the newest: it reads the same or
// newer numbers than the older failures, which an outage must not turn
// into a burst of stale digests. Each waits, after its last failure, as
// long as that failure came after the firing, between failedRetryMin and
// failedRetryMax: an outage of minutes costs a retry a minute or two
// later, one of hours a retry about every half hour, not one every tick.
//
// The retries wait for run slots in the slots' queue like scheduled
// firings and run there, not on the reconciler's goroutine, so a thousand
// of them neither hold up the takeover of dead replicas' runs nor run one
// after another. The run store grants each retry to one replica.
func (sc *Scheduler) retryFailed(ctx context.Context, now time.Time) error {
	failed, err := sc.o.Runs.FailedRuns(ctx, now.Add(-sc.o.Grace))
	if err != nil {
		return err
	}
	newest := map[string]store.Run{}
	for _, run := range failed { // oldest first: each job's newest stays
		newest[run.Job] = run
	}
	for _, run := range newest {
		job := sc.job(run.Job)
		if job == nil || now.Before(run.FinishedAt.Add(failedRetryWait(run))) {
			continue
		}
		if sc.o.Locker != nil {
			if sc.o.Locker.claiming(job.Name, run.FiringAt) {
				continue
			}
			if _, busy := sc.o.Locker.running.Load(job.Name); busy {
				continue // one run of a job at a time; its later firing may supersede this one
			}
		}
		ref := firingRef{job: job.Name, at: run.FiringAt}
		if _, queued := sc.retrying.LoadOrStore(ref, struct{}{}); queued {
			continue
		}
		release := sc.runner.holdFiring(ctx, run.FiringAt)
		sc.slots.later(func() {
			defer sc.slots.give()
			defer sc.retrying.Delete(ref)
			defer release()
			if ctx.Err() != nil {
				return // shutting down: the next start, or another replica, tries it
			}
			sc.o.Logger.Warn("trying a failed firing again", "job", run.Job, "firing", run.FiringAt.Format(time.RFC3339),
				"failed_at", run.FinishedAt.Format(time.RFC3339), "failure", run.Error)
			// Like a scheduled run, it is finished at shutdown.
			if _, err := sc.runner.Run(context.WithoutCancel(ctx), job, run.FiringAt, run.CaughtUp); err != nil {
				sc.o.Logger.Error("a failed firing failed again", "job", run.Job, "firing", run.FiringAt.Format(time.RFC3339), "err", err)
			}
		})
	}
	return nil
}

// failedRetryMin and failedRetryMax bound the wait before a failed firing
// is tried again (see retryFailed).
const (
	failedRetryMin = time.Minute
	failedRetryMax = 30 * time.Minute
)

// failedRetryWait is how long after its failure run is tried again.
func failedRetryWait(run store.Run) time.Duration {
	return min(max(run.FinishedAt.Sub(run.FiringAt), failedRetryMin), failedRetryMax)
}

// reconcileOne runs job's firing f, which has no run row, unless this
// replica's Locker is still claiming it, and reports whether it has a run
// row now (run here, or taken by another replica meanwhile).
func (sc *Scheduler) reconcileOne(ctx context.Context, job *config.Job, f time.Time, held *heldFirings, errs *[]error) bool {
	if sc.o.Locker != nil && sc.o.Locker.claiming(job.Name, f) {
		return false
	}
	held.add(ctx, f)
	if !sc.takeSlot(ctx) {
		return false // shutting down
	}
	defer sc.giveSlot()
	sc.o.Logger.Warn("running a firing that no replica ran", "job", job.Name, "firing", f.Format(time.RFC3339))
	// Like a scheduled run, it is finished at shutdown.
	res, err := sc.runner.Run(context.WithoutCancel(ctx), job, f, true)
	if err != nil {
		*errs = append(*errs, err)
	}
	if res.Run.ID == 0 {
		sc.claimError(job.Name) // not claimed: a store error; tried again next time
		return false
	}
	return true
}

func (sc *Scheduler) claimError(job string) {
	if sc.o.ClaimErrors != nil {
		sc.o.ClaimErrors(job)
	}
}
