package livechat

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"livechat-digest/livechat/sim"
)

// shareEnv is a client of the simulator mounted under a prefix, counting
// the requests that reach it, answering 503 while fail is set, and
// recording the share events.
type shareEnv struct {
	c      *Client
	hits   atomic.Int64
	mu     sync.Mutex
	fail   bool
	events map[string]int
	shared chan struct{} // one send per AnswerShared event
}

func newShareEnv(t *testing.T, opts ...Option) *shareEnv {
	t.Helper()
	s, err := sim.New(sim.Options{Seed: 3, Login: "me", APIKey: "k", Now: func() time.Time { return date("2026-03-20").In(time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	e := &shareEnv{events: map[string]int{}, shared: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.StripPrefix("/api-v2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		e.mu.Lock()
		fail := e.fail
		e.mu.Unlock()
		if fail {
			http.Error(w, `{"error":"down"}`, http.StatusServiceUnavailable)
			return
		}
		s.ServeHTTP(w, r)
	})))
	t.Cleanup(srv.Close)
	opts = append([]Option{WithHTTPClient(srv.Client()), WithRetry(1, time.Millisecond, time.Millisecond),
		WithShareObserver(func(ev string) {
			e.mu.Lock()
			e.events[ev]++
			e.mu.Unlock()
			if ev == AnswerShared {
				e.shared <- struct{}{}
			}
		})}, opts...)
	e.c, err = New(srv.URL+"/api-v2", "me", "k", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *shareEnv) setFail(v bool) { e.mu.Lock(); e.fail = v; e.mu.Unlock() }

func (e *shareEnv) event(ev string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.events[ev]
}

var week = Query{From: date("2026-03-02"), To: date("2026-03-08"), Group: "1", GroupBy: ByDay}

// TestShareAsksOncePerFiring: within a firing a question is asked once,
// whether the second asker comes while it is in flight or long after; a
// different question is asked on its own; the next firing asks afresh.
func TestShareAsksOncePerFiring(t *testing.T) {
	t.Parallel()
	e := newShareEnv(t)
	ctx := t.Context()
	nine := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	f := e.c.Firing(nine)
	first, err := f.Fetch(ctx, ChatRatings, week)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.Fetch(ctx, ChatRatings, week)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.hits.Load(); n != 1 {
		t.Fatalf("requests for one question of one firing: %d, want 1", n)
	}
	if first.(Series[ChatRatingCount]).Buckets[0] != again.(Series[ChatRatingCount]).Buckets[0] {
		t.Error("the shared answer differs")
	}
	other := week
	other.Group = "2"
	if _, err := f.Fetch(ctx, ChatRatings, other); err != nil {
		t.Fatal(err)
	}
	if n := e.hits.Load(); n != 2 {
		t.Fatalf("another filter is another question: %d requests, want 2", n)
	}
	f.Close()

	next := e.c.Firing(nine.Add(time.Minute))
	if _, err := next.Fetch(ctx, ChatRatings, week); err != nil {
		t.Fatal(err)
	}
	next.Close()
	if n := e.hits.Load(); n != 3 {
		t.Fatalf("the next firing asks afresh: %d requests, want 3", n)
	}
	if got := [3]int{e.event(AnswerFetched), e.event(AnswerShared), e.event(AnswerNotKept)}; got != [3]int{3, 1, 0} {
		t.Errorf("events fetched/shared/not kept = %v, want [3 1 0]", got)
	}
	if e.c.shareBytes.Load() != 0 {
		t.Errorf("closed shares still count %d bytes", e.c.shareBytes.Load())
	}
}

// TestShareWaitersGetTheOneFetch: callers that ask while the question is
// held back by a slow rate limit all get the one fetch.
func TestShareWaitersGetTheOneFetch(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	var reserved atomic.Int64
	slow := func(ctx context.Context, _ time.Time) (time.Duration, error) {
		reserved.Add(1)
		select {
		case <-gate:
			return 0, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	e := newShareEnv(t, WithSharedRateLimit(slow))
	f := e.c.Firing(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC))
	defer f.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			_, err := f.Fetch(t.Context(), ChatRatings, week)
			errs <- err
		})
	}
	for range 9 { // the other nine joined the first one's fetch
		<-e.shared
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, r := e.hits.Load(), reserved.Load(); n != 1 || r != 1 {
		t.Fatalf("requests %d, reservations %d; want 1 and 1", n, r)
	}
}

// TestShareKeepsFailuresNotCancellations: a question that failed after its
// retries is failed for the rest of the firing, asked once; one whose
// asker gave up is asked again by the next.
func TestShareKeepsFailuresNotCancellations(t *testing.T) {
	t.Parallel()
	e := newShareEnv(t)
	f := e.c.Firing(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC))
	defer f.Close()
	e.setFail(true)
	_, err1 := f.Fetch(t.Context(), ChatRatings, week)
	e.setFail(false) // mended, but not for this firing
	_, err2 := f.Fetch(t.Context(), ChatRatings, week)
	var apiErr *APIError
	if !errors.As(err1, &apiErr) || apiErr.Status != 503 {
		t.Fatalf("first: %v, want a 503 APIError", err1)
	}
	if !errors.As(err2, &apiErr) || apiErr.Status != 503 {
		t.Fatalf("second: %v, want the same 503", err2)
	}
	if n := e.hits.Load(); n != 1 {
		t.Fatalf("a failed question was asked %d times, want 1", n)
	}

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.Fetch(cancelled, TotalChats, week); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := f.Fetch(t.Context(), TotalChats, week); err != nil {
		t.Fatalf("after a cancelled asker: %v", err)
	}
	if n := e.hits.Load(); n != 2 {
		t.Fatalf("requests: %d, want 2", n)
	}
}

// TestShareLimit: at the bound an answer is handed out but not kept, and
// asked again by the next run; it is counted.
func TestShareLimit(t *testing.T) {
	t.Parallel()
	e := newShareEnv(t, WithShareLimit(100)) // less than any answer
	f := e.c.Firing(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC))
	defer f.Close()
	for range 2 {
		if _, err := f.Fetch(t.Context(), ChatRatings, week); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.hits.Load(); n != 2 {
		t.Fatalf("requests: %d, want 2 (nothing kept)", n)
	}
	if n := e.event(AnswerNotKept); n != 2 {
		t.Errorf("not kept: %d, want 2", n)
	}
	if e.c.shareBytes.Load() != 0 {
		t.Errorf("kept %d bytes over the limit", e.c.shareBytes.Load())
	}
}

// TestClientFetchKeepsNothing: without a share (a slash command, report)
// a request is shared only while it is in flight.
func TestClientFetchKeepsNothing(t *testing.T) {
	t.Parallel()
	e := newShareEnv(t)
	for range 2 {
		if _, err := e.c.Fetch(t.Context(), ChatRatings, week); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.hits.Load(); n != 2 {
		t.Fatalf("requests: %d, want 2", n)
	}
}

// TestSharedRateLimitFallsBack: when the shared rate cannot be reserved the
// request is paced by the client's own limiter, not failed.
func TestSharedRateLimitFallsBack(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	broken := func(context.Context, time.Time) (time.Duration, error) {
		calls.Add(1)
		return 0, errors.New("store down")
	}
	e := newShareEnv(t, WithSharedRateLimit(broken))
	if _, err := e.c.Fetch(t.Context(), ChatRatings, week); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 || e.c.ReserveFailures() != 1 || e.hits.Load() != 1 {
		t.Errorf("reserve calls %d, failures %d, requests %d; want 1 each", calls.Load(), e.c.ReserveFailures(), e.hits.Load())
	}
}

// TestShareDecodesOncePerFiring: the runs of a firing get one decoded value
// per kept answer, not a decoding each (1,000 runs decoding the same few
// hundred answers made memory grow with the jobs); an answer not kept, or
// asked outside a share, is decoded for each caller.
func TestShareDecodesOncePerFiring(t *testing.T) {
	t.Parallel()
	first := func(v any) *Bucket[ChatRatingCount] { return &v.(Series[ChatRatingCount]).Buckets[0] }
	fetch2 := func(t *testing.T, f interface {
		Fetch(context.Context, Report, Query) (any, error)
	}) (any, any) {
		t.Helper()
		a, err := f.Fetch(t.Context(), ChatRatings, week)
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.Fetch(t.Context(), ChatRatings, week)
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}

	e := newShareEnv(t)
	f := e.c.Firing(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC))
	a, b := fetch2(t, f)
	if first(a) != first(b) {
		t.Error("two runs of a firing got two decodings of one answer")
	}
	withDecoded := e.c.shareBytes.Load()
	f.Close()
	if e.c.shareBytes.Load() != 0 {
		t.Errorf("closed share still counts %d bytes", e.c.shareBytes.Load())
	}

	a, b = fetch2(t, e.c)
	if first(a) == first(b) {
		t.Error("outside a share the callers share a decoding")
	}

	// Room for the answer, not for its decoding as well: the answer is
	// kept, each caller decodes it.
	small := newShareEnv(t, WithShareLimit(withDecoded-1))
	g := small.c.Firing(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC))
	defer g.Close()
	a, b = fetch2(t, g)
	if first(a) == first(b) {
		t.Error("a decoding past the limit was kept")
	}
	if n := small.hits.Load(); n != 1 {
		t.Errorf("requests: %d, want 1 (the answer is kept)", n)
	}
}
