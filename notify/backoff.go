package notify

import (
	"math/rand/v2"
	"time"
)

// Backoff is the wait before attempt number attempts+1 after attempts
// failed ones, from base doubling up to max, with jitter: the project's one
// backoff, used by the delivery worker and by whatever else waits for the
// store or a peer to come back (the scheduler's claim of a firing, `run`
// waiting on a delivery held by another process).
func Backoff(attempts int, base, max time.Duration) time.Duration {
	return backoff(attempts, base, max, rand.Int64N)
}

// backoff is the wait before attempt number attempts+1, after attempts
// failed ones: base·2^(attempts-1) capped at max, then "equal jitter" (a
// random point in the upper half), so replicas that failed together do not
// retry together and the wait never drops below half the nominal step.
// rnd(n) returns a value in [0, n).
func backoff(attempts int, base, max time.Duration, rnd func(int64) int64) time.Duration {
	if base <= 0 {
		base = time.Second
	}
	if max < base {
		max = base
	}
	d := base
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	if d > max || d <= 0 { // d <= 0: overflow
		d = max
	}
	half := d / 2
	if half <= 0 || rnd == nil {
		return d
	}
	j := rnd(int64(d - half + 1))
	if j < 0 {
		j = 0
	}
	return half + time.Duration(j)
}
