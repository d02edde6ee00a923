package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"livechat-digest/notify"
	"livechat-digest/store"
)

// ErrFiringTaken is returned by the Locker when another replica owns the
// current firing of a job; gocron then skips the firing on this replica.
var ErrFiringTaken = errors.New("jobs: firing taken by another replica")

// ErrJobRunning is returned by the Locker when the job's previous firing is
// still waiting or running on this replica: one run of a job at a time, so
// gocron skips the firing here (the Scheduler's reconciler runs it later,
// within the catch-up grace), as gocron's singleton mode did.
var ErrJobRunning = errors.New("jobs: the job's previous firing is still running here")

// NewLocker returns a gocron Locker built on the run store: the lock for a
// job is the run row of its current firing, a lease with an expiry, so
// exactly one replica runs each firing and another takes over a firing whose
// owner died (see Scheduler's reaper). The Runner claims the same row again,
// which the store grants to the same owner.
func NewLocker(s Claimer, owner string, clock clockwork.Clock, lease time.Duration) *Locker {
	return &Locker{s: s, owner: owner, clock: clock, lease: lease}
}

// Claimer claims a firing that nobody holds (a failed one stays failed).
type Claimer interface {
	ClaimRun(ctx context.Context, job string, firingAt time.Time, owner string, now time.Time, lease time.Duration, caughtUp bool) (store.Run, bool, error)
}

// Locker is the gocron.Locker of a Scheduler: besides the lock it records
// the firing it claimed and holds a run slot for the task (see NewLocker).
type Locker struct {
	s     Claimer
	owner string
	clock clockwork.Clock
	lease time.Duration
	// claimed holds, per job, the firing this locker claimed last, so the
	// task that gocron runs next uses that very firing even if it starts
	// late enough for its own clock reading to round to another minute.
	claimed sync.Map // job name → time.Time
	// slots, set by the Scheduler, bounds the runs working at once. The
	// lock takes a slot before it claims the firing and gives it back at
	// Unlock, after the task: a firing is claimed (and its lease starts)
	// only when this replica can work on it at once, and a replica that
	// is busy leaves the firing to one that is not.
	slots *runSlots
	// run, set by the Scheduler with slots, runs a firing that waited in
	// the slots' queue, once claimed (see Lock).
	run func(ctx context.Context, job string, firing time.Time)
	// hold, set by the Scheduler, keeps the firing's shared answers from
	// the moment gocron asks for it until Unlock, so the runs of one firing
	// that wait for a slot still find the answers the first ones fetched.
	hold func(ctx context.Context, firing time.Time) (release func())
	// retryFor, log and claimError are set by the Scheduler: how long after
	// its instant a firing whose claim failed on a store error is tried
	// again, where that is said, and the counter told of each failure.
	retryFor   time.Duration
	log        *slog.Logger
	claimError func(job string)
	// pending holds the firings this locker is still trying to claim (a
	// slot wait, a retry), so the Scheduler's reconciler leaves them to it.
	pending sync.Map // firingRef → struct{}
	// running holds the jobs whose lock is taken or being taken: one run
	// of a job at a time on this replica. gocron's singleton mode would do
	// the same with a goroutine and a queue of 1,000 per job, which made a
	// replica's memory grow with its number of jobs.
	running sync.Map // job name → struct{}
}

// firingRef names one firing of one job.
type firingRef struct {
	job string
	at  time.Time
}

// claimRetryBase and claimRetryMax bound the pauses between claims of a
// firing that failed on a store error; claimTimeout bounds one claim, so
// a store that hangs is a failed claim, not a stuck scheduler.
const (
	claimRetryBase = time.Second
	claimRetryMax  = 30 * time.Second
	claimTimeout   = 30 * time.Second
)

// minClaimRetry is the least retryFor: with catch_up_grace 0 a firing whose
// claim failed is still tried again for a minute (a late run of the firing,
// not a catch-up of one missed while down).
const minClaimRetry = time.Minute

// take returns and forgets the firing claimed for job.
func (l *Locker) take(job string) (time.Time, bool) {
	v, ok := l.claimed.LoadAndDelete(job)
	if !ok {
		return time.Time{}, false
	}
	return v.(time.Time), true
}

// Lock claims the current firing of job for this owner; see NewLocker.
//
// When no run slot is free, the firing waits for one as a value in the
// Scheduler's queue, not as this goroutine: Lock returns errQueued (gocron
// skips the task) and the queued firing is claimed and run by the
// Scheduler once a slot is free, still as the firing it was scheduled
// for, and holding that firing's shared answers meanwhile.
//
// Another owner holding the firing is normal (ErrFiringTaken, quiet). A
// store error is not: the firing would be lost, since gocron skips a firing
// whose lock fails and runs the job next at its next firing. So Lock logs
// it, counts it and claims again with a growing pause (notify.Backoff)
// until it gets an answer or the firing is older than the catch-up grace;
// ctx ending (shutdown) stops it. While it waits, gocron skips the job's
// later firings (one run of a job at a time); the Scheduler's reconciler
// runs those.
func (l *Locker) Lock(ctx context.Context, job string) (gocron.Lock, error) {
	firing := FiringKey(l.clock.Now()) // before any wait: the scheduled firing
	if _, busy := l.running.LoadOrStore(job, struct{}{}); busy {
		return nil, ErrJobRunning
	}
	ref := firingRef{job: job, at: firing}
	l.pending.Store(ref, struct{}{})
	hold := func() {}
	if l.hold != nil {
		hold = l.hold(ctx, firing)
	}
	// unhold lets the firing and the job go, on every way out but a lock
	// taken, whose Unlock does it.
	unhold := func() { hold(); l.running.Delete(job) }
	if l.slots != nil && !l.slots.tryTake() {
		l.slots.later(func() { l.runQueued(ctx, ref, unhold) })
		return nil, errQueued
	}
	defer l.pending.Delete(ref)
	lock, err := l.claim(ctx, ref, unhold, l.slots != nil)
	if err == nil {
		l.claimed.Store(job, firing)
	}
	return lock, err
}

// errQueued tells gocron to skip the task: the firing waits in the
// Scheduler's queue for a run slot (see Lock).
var errQueued = errors.New("jobs: the firing waits for a run slot")

// runQueued claims and runs a firing that waited in the queue for a run
// slot; it starts with the slot taken for it.
func (l *Locker) runQueued(ctx context.Context, ref firingRef, unhold func()) {
	defer l.pending.Delete(ref)
	if ctx.Err() != nil { // shutting down: the next start catches it up
		l.slots.give()
		unhold()
		return
	}
	lock, err := l.claim(ctx, ref, unhold, true)
	if err != nil {
		return // taken by another replica, shutting down, or logged by claim
	}
	defer func() { _ = lock.Unlock(ctx) }()
	l.run(ctx, ref.job, ref.at)
}

// claim claims the firing ref, retrying on store errors (see Lock). With
// slots, each attempt holds a run slot, the first one the slot the caller
// took when haveSlot says so. On every way out but a lock taken it calls
// unhold; the lock's Unlock calls it and gives the slot back.
func (l *Locker) claim(ctx context.Context, ref firingRef, unhold func(), haveSlot bool) (gocron.Lock, error) {
	job, firing := ref.job, ref.at
	for attempt := 1; ; attempt++ {
		release := unhold
		if l.slots != nil {
			if !haveSlot && !l.slots.take(ctx) {
				unhold()
				return nil, ctx.Err()
			}
			haveSlot = false
			release = func() { l.slots.give(); unhold() }
		}
		cctx, cancel := context.WithTimeout(ctx, claimTimeout)
		_, ok, err := l.s.ClaimRun(cctx, job, firing, l.owner, l.clock.Now(), l.lease, false)
		cancel()
		switch {
		case err == nil && ok:
			return &slotLock{release: release}, nil
		case err == nil:
			release()
			return nil, ErrFiringTaken
		}
		// Give the slot back while waiting: other firings may go on.
		if l.slots != nil {
			l.slots.give()
		}
		if ctx.Err() != nil {
			unhold()
			return nil, ctx.Err() // shutting down: the next start catches it up
		}
		if l.claimError != nil {
			l.claimError(job)
		}
		now := l.clock.Now()
		deadline := firing.Add(max(l.retryFor, minClaimRetry))
		if !now.Before(deadline) {
			l.logger().Error("could not claim a firing before its catch-up grace ran out; it does not run",
				"job", job, "firing", firing.Format(time.RFC3339), "attempts", attempt, "err", err)
			unhold()
			return nil, err
		}
		wait := min(notify.Backoff(attempt, claimRetryBase, claimRetryMax), deadline.Sub(now))
		l.logger().Warn("claiming a firing failed on a store error; retrying",
			"job", job, "firing", firing.Format(time.RFC3339), "attempt", attempt, "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			unhold()
			return nil, ctx.Err()
		case <-l.clock.After(wait):
		}
	}
}

// claiming reports whether this locker is still trying to claim job's
// firing at.
func (l *Locker) claiming(job string, at time.Time) bool {
	_, ok := l.pending.Load(firingRef{job: job, at: at})
	return ok
}

func (l *Locker) logger() *slog.Logger {
	if l.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.log
}

// slotLock leaves the run row in place: the Runner marks it finished, and a
// finished row is what stops a late replica from running the firing again.
// Unlock only gives back the slot the lock took.
type slotLock struct {
	once    sync.Once
	release func()
}

func (s *slotLock) Unlock(context.Context) error {
	s.once.Do(s.release)
	return nil
}
