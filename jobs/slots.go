package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// runSlots bounds the runs working at once on this replica (MaxRuns) and
// keeps the firings that wait for a slot as values in a queue, not as
// goroutines: a thousand jobs firing in one minute would otherwise park a
// thousand gocron goroutines in Lock, each with its stack, and the memory
// of a replica would grow with its number of jobs (docs/performance.md).
type runSlots struct {
	ch chan struct{}
	mu sync.Mutex
	// queue holds, in the order they came, the funcs to start once a slot
	// is free; each is started on a goroutine of its own with the slot
	// taken for it, and gives it back (give) when it is done.
	queue []func()
	// started counts the queued funcs that are running, for wait.
	started int
}

func newRunSlots(n int) *runSlots { return &runSlots{ch: make(chan struct{}, n)} }

// tryTake takes a free slot if there is one.
func (s *runSlots) tryTake() bool {
	select {
	case s.ch <- struct{}{}:
		return true
	default:
		return false
	}
}

// take waits for a free slot; false when ctx ends first.
func (s *runSlots) take(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false // a free slot must not win the race against shutdown
	}
	select {
	case s.ch <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// give gives a slot back and starts the first queued func, if any, in it.
func (s *runSlots) give() {
	<-s.ch
	s.pump()
}

// later queues fn to be started, with a slot taken for it, once a slot is
// free (at once if one is).
func (s *runSlots) later(fn func()) {
	s.mu.Lock()
	s.queue = append(s.queue, fn)
	s.mu.Unlock()
	s.pump()
}

// pump starts queued funcs while slots are free. Every give and every
// later ends in a pump, under mu, so a func queued while the last slot
// was given back is started by one of the two.
func (s *runSlots) pump() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) > 0 && s.tryTake() {
		fn := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.started++
		go func() {
			defer func() {
				s.mu.Lock()
				s.started--
				s.mu.Unlock()
			}()
			fn()
		}()
	}
}

// waiting returns how many funcs wait in the queue.
func (s *runSlots) waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// busy returns how many slots are taken.
func (s *runSlots) busy() int { return len(s.ch) }

// wait waits, at most d on clock, until no queued func is left, running
// or waiting; false if d ran out first.
func (s *runSlots) wait(clock clockwork.Clock, d time.Duration) bool {
	timeout := clock.After(d)
	for {
		s.mu.Lock()
		idle := s.started == 0 && len(s.queue) == 0
		s.mu.Unlock()
		if idle {
			return true
		}
		select {
		case <-timeout:
			return false
		// A func left queued starts when a running one gives its slot; a
		// few milliseconds of real time between looks, whatever clock.
		case <-time.After(5 * time.Millisecond):
		}
	}
}
