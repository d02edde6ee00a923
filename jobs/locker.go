package jobs

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"
)

// ErrFiringTaken is returned by the Locker when another replica owns the
// current firing of a job; gocron then skips the firing on this replica.
var ErrFiringTaken = errors.New("jobs: firing taken by another replica")

// NewLocker returns a gocron.Locker built on the run store: the lock for a
// job is the run row of its current firing, a lease with an expiry, so
// exactly one replica runs each firing and another takes over a firing whose
// owner died (see Scheduler's reaper). The Runner claims the same row again,
// which the store grants to the same owner.
func NewLocker(s RunStore, owner string, clock clockwork.Clock, lease time.Duration) gocron.Locker {
	return &locker{s: s, owner: owner, clock: clock, lease: lease}
}

type locker struct {
	s     RunStore
	owner string
	clock clockwork.Clock
	lease time.Duration
	// claimed holds, per job, the firing this locker claimed last, so the
	// task that gocron runs next uses that very firing even if it starts
	// late enough for its own clock reading to round to another minute.
	claimed sync.Map // job name → time.Time
}

// take returns and forgets the firing claimed for job.
func (l *locker) take(job string) (time.Time, bool) {
	v, ok := l.claimed.LoadAndDelete(job)
	if !ok {
		return time.Time{}, false
	}
	return v.(time.Time), true
}

func (l *locker) Lock(ctx context.Context, job string) (gocron.Lock, error) {
	now := l.clock.Now()
	firing := FiringKey(now)
	_, ok, err := l.s.ClaimRun(ctx, job, firing, l.owner, now, l.lease, false)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrFiringTaken
	}
	l.claimed.Store(job, firing)
	return noUnlock{}, nil
}

// noUnlock leaves the run row in place: the Runner marks it finished, and a
// finished row is what stops a late replica from running the firing again.
type noUnlock struct{}

func (noUnlock) Unlock(context.Context) error { return nil }
