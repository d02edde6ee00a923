package livechat

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"livechat-digest/livechat/sim"
)

// cacheEnv is a client with a response cache whose clock the test moves,
// talking to the simulator, and an answer of 503 when fail is set.
type cacheEnv struct {
	c    *Client
	sim  *sim.Server
	mu   sync.Mutex
	now  time.Time
	fail bool
}

func newCacheEnv(t *testing.T, ttl time.Duration) *cacheEnv {
	t.Helper()
	s, err := sim.New(sim.Options{Seed: 3, Login: "me", APIKey: "k", Now: func() time.Time { return date("2026-03-20").In(time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	e := &cacheEnv{sim: s, now: time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(http.StripPrefix("/api-v2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	e.c, err = New(srv.URL+"/api-v2", "me", "k", WithHTTPClient(srv.Client()), WithCache(ttl),
		WithRetry(1, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	e.c.cache.now = func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
	return e
}

func (e *cacheEnv) advance(d time.Duration) { e.mu.Lock(); e.now = e.now.Add(d); e.mu.Unlock() }
func (e *cacheEnv) setFail(v bool)          { e.mu.Lock(); e.fail = v; e.mu.Unlock() }

// TestCacheSharesAnswersWithinTTL is the "many jobs in one minute" case:
// identical requests that are not in flight together are made once per
// ttl; a different range or filter is a different request.
func TestCacheSharesAnswersWithinTTL(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, time.Minute)
	q := Query{From: date("2026-03-02"), To: date("2026-03-08"), Group: "1"}
	first, err := e.c.ChatRatings(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		e.advance(10 * time.Second)
		got, err := e.c.ChatRatings(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Buckets) != len(first.Buckets) || got.Buckets[2] != first.Buckets[2] {
			t.Fatal("a cached answer differs from the fetched one")
		}
	}
	if got := e.sim.Requests(); got != 1 {
		t.Fatalf("%d requests within the ttl, want 1", got)
	}

	other := q
	other.Group = "2"
	if _, err := e.c.ChatRatings(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	other = q
	other.To = date("2026-03-09")
	if _, err := e.c.ChatRatings(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Requests(); got != 3 {
		t.Fatalf("%d requests, want 3: another filter or range is another request", got)
	}

	e.advance(10 * time.Second) // 60s after the first fetch: expired
	if _, err := e.c.ChatRatings(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	if got := e.sim.Requests(); got != 4 {
		t.Fatalf("%d requests, want 4: an expired answer is fetched again", got)
	}
}

// TestCacheKeepsNoErrors: a failed request is not remembered, so the next
// caller tries again.
func TestCacheKeepsNoErrors(t *testing.T) {
	t.Parallel()
	e := newCacheEnv(t, time.Minute)
	q := Query{From: date("2026-03-02"), To: date("2026-03-08")}
	e.setFail(true)
	if _, err := e.c.TotalChats(t.Context(), q); err == nil {
		t.Fatal("want an error from a 503")
	}
	e.setFail(false)
	if _, err := e.c.TotalChats(t.Context(), q); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if got := e.c.Requests(); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
}

func TestCacheBounds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)
	rc := &responseCache{ttl: time.Minute, now: func() time.Time { return now }, m: map[string]cacheEntry{}}
	half := make([]byte, cacheMaxBytes/2)
	rc.put("a", half)
	rc.put("b", half)
	rc.put("c", []byte("x")) // full: not kept
	if _, ok := rc.get("c"); ok {
		t.Error("an answer beyond the bound was kept")
	}
	rc.put("a", half) // replacing an entry does not count it twice
	if rc.bytes != cacheMaxBytes {
		t.Errorf("bytes = %d, want %d", rc.bytes, cacheMaxBytes)
	}
	now = now.Add(time.Minute)
	rc.put("c", []byte("x")) // the expired answers make room
	if _, ok := rc.get("c"); !ok || rc.bytes != 1 || len(rc.m) != 1 {
		t.Errorf("expired answers not dropped: %d bytes in %d entries", rc.bytes, len(rc.m))
	}
	var nilCache *responseCache
	nilCache.put("a", half)
	if _, ok := nilCache.get("a"); ok {
		t.Error("a nil cache answered")
	}
}
