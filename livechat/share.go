package livechat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultShareLimit is how many bytes of answers all the open Shares of one
// client keep at most (WithShareLimit). One firing of 1,000 jobs over 40
// (filter, period) combinations asks 1,122 distinct questions of a few KiB
// each, about 4 MiB in all (docs/performance.md); the limit is some 15×
// that, and low enough that a runaway cannot take the process's memory.
const DefaultShareLimit = 64 << 20

// entryOverhead is what a kept answer costs besides its body and key: the
// map entry, the entry struct and its channel.
const entryOverhead = 256

// Events of WithShareObserver: how a question asked in a Share was
// answered, and answers the Shares could not keep.
const (
	// AnswerFetched: this process asked the API (the first run of the
	// firing to ask, or the replica holding the question's lease).
	AnswerFetched = "upstream"
	// AnswerShared: another run of the firing in this process had asked
	// already (answered, or still being fetched).
	AnswerShared = "share"
	// AnswerReplica: another replica had fetched it (WithCluster).
	AnswerReplica = "replica"
	// AnswerNotKept: an answer was fetched but not kept, because the open
	// Shares held WithShareLimit bytes already; the next run to ask for it
	// fetches it again (or reads it from the cluster).
	AnswerNotKept = "not_kept"
)

// WithShareLimit bounds the bytes of answers that all the open Shares of
// the client keep, together (default DefaultShareLimit). At the bound an
// answer is still handed to every caller waiting for it, but not kept for
// later ones, which fetch it again; each such answer is reported to
// WithShareObserver as AnswerNotKept.
func WithShareLimit(bytes int64) Option {
	return func(c *Client) error {
		if bytes < 0 {
			return fmt.Errorf("livechat: WithShareLimit: %d must not be negative", bytes)
		}
		c.shareMax = bytes
		return nil
	}
}

// WithShareObserver is told how each question asked in a Share was
// answered (AnswerFetched, AnswerShared, AnswerReplica) and of each answer
// not kept (AnswerNotKept); it feeds metrics. It must be quick and safe for
// concurrent use.
func WithShareObserver(f func(event string)) Option {
	return func(c *Client) error {
		if f == nil {
			return errors.New("livechat: WithShareObserver: nil func")
		}
		c.shareObserve = f
		return nil
	}
}

// Share is the answers shared by every run of one firing: each distinct
// request (shareKey: method, URL, body, credential) is asked once, by the
// first run to need it, and every other run of the firing gets the same
// answer, whether it asks while the request is in flight or minutes later.
// A request that failed after its retries (an *APIError) stays failed for
// the rest of the firing instead of being asked again by every run. A
// cancelled request is not kept: the next asker starts it afresh.
//
// Nothing expires by time: the caller (jobs) opens one Share per firing
// with Firing, hands it to every run of that firing, and Closes it when
// the firing's last run is done, which drops its answers. The next firing
// opens its own and fetches afresh. The bytes kept are bounded over all
// open Shares (WithShareLimit).
//
// With WithCluster the Share also meets the Shares of the same firing in
// other processes: each question is fetched by the one replica holding its
// lease, and the others wait for its answer (see Cluster).
//
// A Share is safe for concurrent use; it satisfies digest.Fetcher.
type Share struct {
	c      *Client
	firing time.Time // the firing it belongs to; zero: no cluster

	mu      sync.Mutex
	closed  bool
	entries map[string]*entry
	kept    int64                    // bytes of kept answers, within c.shareBytes
	waits   map[string]chan struct{} // questions waiting for another replica
	polling bool                     // a poller serves waits
	stop    chan struct{}            // closed by Close: the poller ends
	wg      sync.WaitGroup           // resolvers and the poller
}

// entry is one question of a Share: being resolved, or finished.
type entry struct {
	done     chan struct{} // closed when finished
	finished bool
	body     []byte
	err      error
	waiters  int
	cancel   context.CancelFunc
	// decoded holds the kept answer decoded, per report and query that
	// read it (two reports may read one request): see Share.decode.
	decoded map[string]decoded
}

// decoded is one decoding of a kept answer.
type decoded struct {
	v   any
	err error
}

// Firing opens the Share of the firing at the given instant (jobs passes
// the firing's minute, UTC). Close it when the firing is done.
func (c *Client) Firing(at time.Time) *Share {
	return &Share{c: c, firing: at.UTC(), entries: map[string]*entry{}, waits: map[string]chan struct{}{}, stop: make(chan struct{})}
}

// Fetch is Client.Fetch with the answers of the Share: see Share.
func (s *Share) Fetch(ctx context.Context, r Report, q Query) (any, error) {
	return s.c.fetchReport(ctx, s, r, q)
}

// API returns the Reports API version the Share's client reads.
func (s *Share) API() API { return s.c.api }

// Close drops the Share's answers and stops what it still has under way
// (nothing, once every run of the firing returned). Asking a closed Share
// asks the client directly.
func (s *Share) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for _, e := range s.entries {
		if !e.finished {
			e.cancel()
		}
	}
	s.entries = nil
	s.c.shareBytes.Add(-s.kept)
	s.kept = 0
	close(s.stop)
	s.mu.Unlock()
	s.wg.Wait()
}

// get returns the answer to req (sharing key key) for the firing: kept,
// being fetched by another caller, or fetched now.
func (s *Share) get(ctx context.Context, key string, req request) ([]byte, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.c.flight(ctx, key, req)
	}
	e := s.entries[key]
	if e != nil && e.finished {
		s.mu.Unlock()
		s.c.shareObserve(AnswerShared)
		return e.body, e.err
	}
	if e == nil {
		// The resolver outlives the caller that started it (other runs may
		// be waiting) and is cancelled when its last caller leaves.
		rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		e = &entry{done: make(chan struct{}), cancel: cancel}
		s.entries[key] = e
		s.wg.Add(1)
		go s.resolve(rctx, key, req, e)
	} else {
		s.c.shareObserve(AnswerShared)
	}
	e.waiters++
	s.mu.Unlock()
	defer s.leave(key, e)

	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("livechat: %s: %w", req.name, ctx.Err())
	case <-e.done:
		if ctx.Err() != nil {
			return nil, fmt.Errorf("livechat: %s: %w", req.name, ctx.Err())
		}
		if errors.Is(e.err, context.Canceled) {
			// Close came first; the firing is over for the Share, not for
			// this caller.
			return s.c.flight(ctx, key, req)
		}
		return e.body, e.err
	}
}

// decode returns decodeFn's result for the kept answer of key as read by
// the report and query named by dk, decoding it once for the whole firing:
// a thousand runs of one firing read the same few hundred answers, and
// decoding each for every run made a replica's memory and CPU grow with
// its jobs (docs/performance.md). The runs only read what they are given
// (the digest copies what it aggregates), so one decoded value serves them
// all. An answer that is not kept (over the limit, failed, cancelled) is
// decoded for the caller alone. The decoded value counts against the
// Shares' byte limit as much again as its body; past the limit it is not
// kept either.
func (s *Share) decode(key, dk string, body []byte, decodeFn func([]byte) (any, error)) (any, error) {
	s.mu.Lock()
	e := s.entries[key]
	// The decoding kept must be of the very body kept: a caller may hold
	// the body of an earlier fetch of the question that was not kept.
	kept := e != nil && e.finished && e.err == nil && !s.closed && sameBytes(e.body, body)
	if kept {
		if d, ok := e.decoded[dk]; ok {
			s.mu.Unlock()
			return d.v, d.err
		}
	}
	s.mu.Unlock()
	v, err := decodeFn(body)
	if !kept {
		return v, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.entries[key] != e {
		return v, err
	}
	if _, ok := e.decoded[dk]; !ok {
		size := int64(len(body) + len(dk) + entryOverhead)
		if !s.c.reserveShare(size) {
			return v, err
		}
		s.kept += size
		if e.decoded == nil {
			e.decoded = map[string]decoded{}
		}
		e.decoded[dk] = decoded{v: v, err: err}
	}
	d := e.decoded[dk]
	return d.v, d.err
}

// sameBytes reports whether a and b are the same slice of memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// leave drops a caller of e and cancels its resolution when nobody is left
// to want it, so that a later asker starts afresh.
func (s *Share) leave(key string, e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.waiters--
	if e.waiters == 0 && !e.finished {
		e.cancel()
		if s.entries[key] == e {
			delete(s.entries, key)
		}
	}
}

// resolve finds the answer of e, hands it to its waiters and keeps it for
// the rest of the firing: an answer or a failure after all retries (an
// *APIError), not a cancellation, and only within the byte limit.
func (s *Share) resolve(ctx context.Context, key string, req request, e *entry) {
	defer s.wg.Done()
	defer e.cancel()
	body, source, err := s.answer(ctx, key, req)
	final := err == nil || isFinal(err)
	s.mu.Lock()
	e.body, e.err, e.finished = body, err, true
	kept, notKept := false, false
	if final && ctx.Err() == nil && !s.closed {
		size := int64(len(body) + len(key) + entryOverhead)
		if s.c.reserveShare(size) {
			s.kept += size
			kept = true
		} else {
			notKept = true
		}
	}
	if !kept && s.entries[key] == e {
		delete(s.entries, key)
	}
	s.mu.Unlock()
	// Observed before the waiters wake, so a caller that got the answer
	// finds it counted.
	if source != "" {
		s.c.shareObserve(source)
	}
	if notKept {
		s.c.shareObserve(AnswerNotKept)
	}
	close(e.done)
}

// answer fetches req here, or with a Cluster through the replica that
// holds the question. source says where the answer came from ("" when it
// did not come).
func (s *Share) answer(ctx context.Context, key string, req request) ([]byte, string, error) {
	if s.c.cluster == nil || s.firing.IsZero() {
		body, err := s.c.flight(ctx, key, req)
		return body, fetchedSource(err), err
	}
	return s.fromCluster(ctx, key, req)
}

func fetchedSource(err error) string {
	if err == nil || isFinal(err) {
		return AnswerFetched
	}
	return ""
}

// isFinal reports whether err is the outcome of a request after all its
// tries (it would fail the same way if asked again at once), as opposed to
// a cancellation or a deadline of the caller.
func isFinal(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr)
}

// reserveShare takes size bytes of the client's share limit, if they are
// free.
func (c *Client) reserveShare(size int64) bool {
	for {
		cur := c.shareBytes.Load()
		if cur+size > c.shareMax {
			return false
		}
		if c.shareBytes.CompareAndSwap(cur, cur+size) {
			return true
		}
	}
}
