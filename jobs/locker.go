package jobs

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"livechat-digest/store"
)

// ErrFiringTaken is returned by the Locker when another replica owns the
// current firing of a job; gocron then skips the firing on this replica.
var ErrFiringTaken = errors.New("jobs: firing taken by another replica")

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
	slots chan struct{}
	// hold, set by the Scheduler, keeps the firing's shared answers from
	// the moment gocron asks for it until Unlock, so the runs of one firing
	// that wait for a slot still find the answers the first ones fetched.
	hold func(ctx context.Context, firing time.Time) (release func())
}

// take returns and forgets the firing claimed for job.
func (l *Locker) take(job string) (time.Time, bool) {
	v, ok := l.claimed.LoadAndDelete(job)
	if !ok {
		return time.Time{}, false
	}
	return v.(time.Time), true
}

// Lock claims the current firing of job for this owner; see NewLocker.
func (l *Locker) Lock(ctx context.Context, job string) (gocron.Lock, error) {
	firing := FiringKey(l.clock.Now()) // before any wait: the scheduled firing
	unhold := func() {}
	if l.hold != nil {
		unhold = l.hold(ctx, firing)
	}
	release := unhold
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
			release = func() { <-l.slots; unhold() }
		case <-ctx.Done():
			unhold()
			return nil, ctx.Err()
		}
	}
	_, ok, err := l.s.ClaimRun(ctx, job, firing, l.owner, l.clock.Now(), l.lease, false)
	if err != nil || !ok {
		release()
		if err != nil {
			return nil, err
		}
		return nil, ErrFiringTaken
	}
	l.claimed.Store(job, firing)
	return &slotLock{release: release}, nil
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
