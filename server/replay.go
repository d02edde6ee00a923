package server

import (
	"sync"
	"time"
)

// signatureWindow is how far from now slack-go accepts a request's
// timestamp, either way: a signed request can be replayed until its
// timestamp is this old.
const signatureWindow = 5 * time.Minute

// DefaultMaxReplays bounds the signatures remembered at once (about 10 MiB).
// Slack would have to send over 200 commands a second for five minutes to
// fill it; beyond that the oldest are forgotten first.
const DefaultMaxReplays = 1 << 16

// replays remembers the signatures of the slash commands this process
// accepted, each until its timestamp leaves the signature window, so that
// the same signed request sent again is recognised. It lives in memory on
// purpose: the ack path must not wait on the store. A replay that reaches
// another replica is not caught; it is still bounded by the 5-minute window.
type replays struct {
	mu   sync.Mutex
	max  int
	seen map[string]time.Time // signature → end of its window
	fifo []replayEntry        // in order of acceptance, for pruning and eviction
}

type replayEntry struct {
	sig     string
	expires time.Time
}

func newReplays(max int) *replays {
	return &replays{max: max, seen: map[string]time.Time{}}
}

// first records sig, whose request is stamped ts, and reports whether it
// was not seen before within its window. now is the real clock, the one
// slack-go checks the window against.
func (r *replays) first(sig string, ts, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Timestamps are within the window of now, so acceptance order is
	// nearly expiry order: pruning from the front finds the expired ones.
	for len(r.fifo) > 0 && (!r.fifo[0].expires.After(now) || len(r.fifo) >= r.max) {
		e := r.fifo[0]
		r.fifo = r.fifo[1:]
		if r.seen[e.sig].Equal(e.expires) {
			delete(r.seen, e.sig)
		}
	}
	if exp, ok := r.seen[sig]; ok && exp.After(now) {
		return false
	}
	exp := ts.Add(signatureWindow)
	r.seen[sig] = exp
	r.fifo = append(r.fifo, replayEntry{sig: sig, expires: exp})
	return true
}

// len is the number of signatures remembered, for tests.
func (r *replays) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}
