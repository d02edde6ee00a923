package livechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Cluster is where the Shares of one firing in different processes meet:
// the replicas' common store (store.ClaimAnswer and its siblings, adapted
// by main). Keys are sharing keys; answers and failures are bytes it keeps
// without reading them.
type Cluster interface {
	// Claim returns the stored outcome of question key of the firing
	// (Stored.Done), or leases the question to this process until
	// now+lease (leased: this process fetches it and Puts the outcome; a
	// claim this process holds already is extended), or reports the other
	// holder's lease.
	Claim(ctx context.Context, firing time.Time, key string, now time.Time, lease time.Duration) (a Stored, leased bool, err error)
	// Put stores the outcome of question key of the firing, for good.
	Put(ctx context.Context, firing time.Time, key string, a Stored) error
	// Lookup returns what is stored for the questions keys of the firing;
	// a question nobody asked is missing.
	Lookup(ctx context.Context, firing time.Time, keys []string) ([]Stored, error)
}

// Stored is one question of a firing in a Cluster.
type Stored struct {
	Key string
	// Done: Body is the answer, or Failure the encoded error it failed
	// with after its retries.
	Done    bool
	Body    []byte
	Failure []byte
	// LeaseUntil is when the claim of the replica fetching it runs out.
	LeaseUntil time.Time
}

// defaultClusterLease is how long a replica holds a question it fetches
// before another may take it over; the holder renews it every third, also
// while it waits for the rate limit, so only a dead holder loses it.
const defaultClusterLease = 30 * time.Second

// pollEvery is how often a replica looks for the answers other replicas
// are fetching for it, all of one firing's in one query.
const pollEvery = 250 * time.Millisecond

// WithCluster shares the answers of each firing (Client.Firing) with the
// other processes that use cl: each distinct question of a firing is
// fetched by one replica, which holds a lease on it while it fetches (it
// renews the lease every third of lease); the others wait for its answer,
// looking every 250 ms, and take the question over when its holder's lease
// runs out (it died). A failure after all retries is shared like an
// answer. When cl fails, the replica fetches the question itself rather
// than fail the digest. lease 0 means 30 s.
func WithCluster(cl Cluster, lease time.Duration) Option {
	return func(c *Client) error {
		switch {
		case cl == nil:
			return errors.New("livechat: WithCluster: nil cluster")
		case lease < 0:
			return fmt.Errorf("livechat: WithCluster: lease %s must not be negative", lease)
		case lease == 0:
			lease = defaultClusterLease
		}
		c.cluster, c.clusterLease = cl, lease
		return nil
	}
}

// fromCluster answers question key of the Share's firing through the
// cluster: stored by another replica, fetched here under this replica's
// lease, or waited for while another replica holds it.
func (s *Share) fromCluster(ctx context.Context, key string, req request) ([]byte, string, error) {
	cl := s.c.cluster
	for {
		a, leased, err := cl.Claim(ctx, s.firing, key, time.Now(), s.c.clusterLease)
		switch {
		case ctx.Err() != nil:
			return nil, "", fmt.Errorf("livechat: %s: %w", req.name, ctx.Err())
		case err != nil:
			// Without the store this replica still answers its own runs;
			// other replicas may then ask the same question too.
			s.c.log.Warn("shared answers unreachable; fetching here", "endpoint", req.name, "err", err)
			body, err := s.c.flight(ctx, key, req)
			return body, fetchedSource(err), err
		case a.Done:
			body, err := a.outcome(req.name)
			return body, AnswerReplica, err
		case leased:
			return s.fetchLeased(ctx, key, req)
		}
		if err := s.await(ctx, key); err != nil {
			return nil, "", fmt.Errorf("livechat: %s: %w", req.name, err)
		}
	}
}

// fetchLeased fetches a question this replica holds, renewing the lease
// until the outcome is stored.
func (s *Share) fetchLeased(ctx context.Context, key string, req request) ([]byte, string, error) {
	cl, lease := s.c.cluster, s.c.clusterLease
	hctx, stop := context.WithCancel(ctx)
	var renewing sync.WaitGroup
	renewing.Go(func() {
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
			}
			// A lost lease (another replica took over after a stall) is
			// not worth stopping for: the request is under way, and the
			// first outcome stored wins.
			_, _, _ = cl.Claim(hctx, s.firing, key, time.Now(), lease)
		}
	})
	body, err := s.c.flight(ctx, key, req)
	stop()
	renewing.Wait()
	if err != nil && !isFinal(err) {
		// Cancelled: the lease runs out and another replica asks.
		return nil, "", err
	}
	a := Stored{Done: true, Body: body}
	if err != nil {
		a.Body, a.Failure = nil, encodeFailure(err)
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lease)
	defer cancel()
	if perr := cl.Put(pctx, s.firing, key, a); perr != nil {
		// The others wait out the lease and ask themselves.
		s.c.log.Warn("storing a shared answer failed", "endpoint", req.name, "err", perr)
	}
	return body, AnswerFetched, err
}

// await returns when question key may have changed in the cluster: its
// answer is stored, its holder's lease ran out, or its row went; or ctx
// ends. All the questions the Share waits for are looked up together by
// one poller.
func (s *Share) await(ctx context.Context, key string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return context.Canceled
	}
	ch, ok := s.waits[key]
	if !ok {
		ch = make(chan struct{})
		s.waits[key] = ch
	}
	if !s.polling {
		s.polling = true
		s.wg.Add(1)
		go s.poll(context.WithoutCancel(ctx))
	}
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// poll looks the waited-for questions up every pollEvery and wakes the
// waiters of those that changed, until none is left or the Share closes.
func (s *Share) poll(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		keys := make([]string, 0, len(s.waits))
		for k := range s.waits {
			keys = append(keys, k)
		}
		if len(keys) == 0 {
			s.polling = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()

		lctx, cancel := context.WithTimeout(ctx, 10*pollEvery)
		got, err := s.c.cluster.Lookup(lctx, s.firing, keys)
		cancel()
		now := time.Now()
		wake := map[string]bool{}
		if err != nil {
			// Let the waiters claim again: a failing store sends them to
			// fetch for themselves.
			for _, k := range keys {
				wake[k] = true
			}
		} else {
			for _, k := range keys {
				wake[k] = true // gone: claim afresh
			}
			for _, a := range got {
				wake[a.Key] = a.Done || a.LeaseUntil.Before(now)
			}
		}
		s.mu.Lock()
		for k, w := range wake {
			if ch, ok := s.waits[k]; ok && w {
				close(ch)
				delete(s.waits, k)
			}
		}
		s.mu.Unlock()
	}
}

// failure is an *APIError as a Cluster keeps it.
type failure struct {
	Endpoint     string `json:"endpoint"`
	Status       int    `json:"status"`
	Type         string `json:"type,omitempty"`
	Message      string `json:"message,omitempty"`
	Excerpt      string `json:"excerpt,omitempty"`
	Tries        int    `json:"tries"`
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
	Err          string `json:"err,omitempty"`
}

// encodeFailure encodes the *APIError in err. Its texts are already free of
// secrets (redacted where the error was made).
func encodeFailure(err error) []byte {
	var e *APIError
	if !errors.As(err, &e) {
		return nil
	}
	f := failure{Endpoint: e.Endpoint, Status: e.Status, Type: e.Type, Message: e.Message, Excerpt: e.Excerpt,
		Tries: e.Tries, RetryAfterMS: e.RetryAfter.Milliseconds()}
	if e.Err != nil {
		f.Err = e.Err.Error()
	}
	b, _ := json.Marshal(f) // strings and numbers always marshal
	return b
}

// outcome is the answer or the error a Stored holds.
func (a Stored) outcome(endpoint string) ([]byte, error) {
	if a.Failure == nil {
		return a.Body, nil
	}
	var f failure
	if err := json.Unmarshal(a.Failure, &f); err != nil {
		return nil, &APIError{Endpoint: endpoint, Tries: 1, Err: errors.New("failed on another replica (its error could not be read)")}
	}
	e := &APIError{Endpoint: f.Endpoint, Status: f.Status, Type: f.Type, Message: f.Message, Excerpt: f.Excerpt,
		Tries: f.Tries, RetryAfter: time.Duration(f.RetryAfterMS) * time.Millisecond}
	if f.Err != "" {
		e.Err = errors.New(f.Err)
	}
	return nil, e
}
