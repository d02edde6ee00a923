package livechat

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"livechat-digest/livechat/sim"
)

func TestBuildURL(t *testing.T) {
	t.Parallel()
	c, err := New("https://api.example.com/prefix", "me@example.com", "key")
	if err != nil {
		t.Fatal(err)
	}
	full := Query{
		From: date("2026-03-02"), To: date("2026-03-08"), Timezone: "Europe/Warsaw", GroupBy: ByDay,
		Group: "2", Agent: "john@example.com", Tags: []string{"sales", "", "vip"}, Goal: "71", Greeting: "9", Weekday: "mon",
	}
	tests := []struct {
		name   string
		report Report
		q      Query
		want   string // the whole URL
	}{
		{"every argument total_chats takes", TotalChats, full,
			"https://api.example.com/prefix/reports/chats/total_chats?agent=john%40example.com&date_from=2026-03-02&date_to=2026-03-08&group=2&group_by=day&tag%5B%5D=sales&tag%5B%5D=vip&timezone=Europe%2FWarsaw"},
		{"ranking drops zone, agent and group_by", ChatRanking, full,
			"https://api.example.com/prefix/reports/chats/ratings/ranking?date_from=2026-03-02&date_to=2026-03-08&group=2&tag%5B%5D=sales&tag%5B%5D=vip"},
		{"greetings takes goal and greeting", Greetings, full,
			"https://api.example.com/prefix/reports/chats/greetings?date_from=2026-03-02&date_to=2026-03-08&goal=71&greeting=9&group=2&group_by=day&tag%5B%5D=sales&tag%5B%5D=vip&timezone=Europe%2FWarsaw"},
		{"occupancy takes weekday", AgentsOccupancy, full,
			"https://api.example.com/prefix/reports/chats/agents_occupancy?date_from=2026-03-02&date_to=2026-03-08&weekday=mon"},
		{"availability has no tags", Availability, full,
			"https://api.example.com/prefix/reports/availability?agent=john%40example.com&date_from=2026-03-02&date_to=2026-03-08&group=2&timezone=Europe%2FWarsaw"},
		{"zero query sends nothing", TicketsSolved, Query{},
			"https://api.example.com/prefix/reports/tickets/solved_tickets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.buildURL(mustInfo(t, tt.report), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("buildURL\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestBuildURLRejects(t *testing.T) {
	t.Parallel()
	c, err := New("https://api.example.com", "me@example.com", "key")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		report Report
		q      Query
	}{
		{"to before from", TotalChats, Query{From: date("2026-03-02"), To: date("2026-03-01")}},
		{"unknown group_by", TotalChats, Query{GroupBy: "week"}},
		{"long weekday", AgentsOccupancy, Query{Weekday: "monday"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			info := mustInfo(t, tt.report)
			if _, err := c.buildURL(info, tt.q); err == nil || !strings.HasPrefix(err.Error(), "livechat: "+info.Endpoint+": ") {
				t.Errorf("buildURL = %v, want an error naming %s", err, info.Endpoint)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	const secret = "pa55w0rd-in-url"
	tests := []struct {
		name  string
		base  string
		login string
		key   string
		opt   Option
	}{
		{"relative URL", "api.example.com", "me", "k", nil},
		{"ftp URL", "ftp://api.example.com", "me", "k", nil},
		{"credentials in URL", "https://me:" + secret + "@api.example.com", "me", "k", nil},
		{"unparsable URL with credentials", "https://me:" + secret + "@api example.com/%zz", "me", "k", nil},
		{"query in URL", "https://api.example.com/?x=1", "me", "k", nil},
		{"no login", "https://api.example.com", "", "k", nil},
		{"no key", "https://api.example.com", "me", "", nil},
		{"nil HTTP client", "https://api.example.com", "me", "k", WithHTTPClient(nil)},
		{"zero rate", "https://api.example.com", "me", "k", WithRateLimit(0, 1)},
		{"zero burst", "https://api.example.com", "me", "k", WithRateLimit(1, 0)},
		{"zero concurrency", "https://api.example.com", "me", "k", WithMaxConcurrent(0)},
		{"zero tries", "https://api.example.com", "me", "k", WithRetry(0, time.Millisecond, time.Second)},
		{"base above max", "https://api.example.com", "me", "k", WithRetry(3, time.Minute, time.Second)},
		{"zero delay", "https://api.example.com", "me", "k", WithRetry(3, 0, time.Second)},
		{"zero timeout", "https://api.example.com", "me", "k", WithTimeout(0)},
		{"nil observer", "https://api.example.com", "me", "k", WithObserver(nil)},
		{"nil logger", "https://api.example.com", "me", "k", WithLogger(nil)},
		{"negative share limit", "https://api.example.com", "me", "k", WithShareLimit(-1)},
		{"nil share observer", "https://api.example.com", "me", "k", WithShareObserver(nil)},
		{"nil shared rate", "https://api.example.com", "me", "k", WithSharedRateLimit(nil)},
		{"nil cluster", "https://api.example.com", "me", "k", WithCluster(nil, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []Option
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			c, err := New(tt.base, tt.login, tt.key, opts...)
			if err == nil || c != nil {
				t.Fatalf("New = %v, %v; want an error", c, err)
			}
			if !strings.HasPrefix(err.Error(), "livechat: ") || strings.Contains(err.Error(), secret) {
				t.Errorf("error %q: want a livechat error without the URL's password", err)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"99999999999999", maxRetryAfter, true},
		{"Mon, 02 Mar 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Mon, 02 Mar 2026 09:00:00 GMT", 0, true},
		{"Mon, 02 Mar 2027 10:00:00 GMT", maxRetryAfter, true},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestRequestHeaders checks what goes on the wire with a hand-written peer:
// the prefixed path, basic auth and the API version.
func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		w.Write([]byte(`{"2026-03-02":{"chats":3}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/api-v2/", "me@example.com", "k3y", WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.TotalChats(t.Context(), Query{From: date("2026-03-02"), To: date("2026-03-03"), Tags: []string{"a b"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Buckets) != 1 || s.Buckets[0].Value.Chats != 3 {
		t.Errorf("answer %+v", s)
	}
	if got.URL.Path != "/api-v2/reports/chats/total_chats" {
		t.Errorf("path %q", got.URL.Path)
	}
	if v := got.URL.Query()["tag[]"]; len(v) != 1 || v[0] != "a b" {
		t.Errorf("tag[] = %q", v)
	}
	if u, p, ok := got.BasicAuth(); !ok || u != "me@example.com" || p != "k3y" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	if v := got.Header.Get("X-API-Version"); v != "2" {
		t.Errorf("X-API-Version %q", v)
	}
}

// TestTransportErrorsLeakNoSecret points the client at a closed server and a
// server that hangs up, and checks the error names the endpoint, carries no
// key and counts every try.
func TestTransportErrorsLeakNoSecret(t *testing.T) {
	t.Parallel()
	const key = "transport-secret-key"
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(hangup.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for name, base := range map[string]string{"hang up": hangup.URL, "refused": closed.URL} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var observed []int
			var mu sync.Mutex
			c, err := New(base, "me@example.com", key,
				WithRetry(3, time.Millisecond, time.Millisecond),
				WithObserver(func(ep string, status int, _ time.Duration) {
					mu.Lock()
					observed = append(observed, status)
					mu.Unlock()
				}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ChatRatings(t.Context(), Query{})
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != 0 || ae.Tries != 3 || ae.Endpoint != "chats/ratings" {
				t.Fatalf("err = %#v, want an APIError with status 0 after 3 tries", err)
			}
			if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "://") {
				t.Errorf("error %q leaks the key or the URL", err)
			}
			if c.Requests() != 3 || len(observed) != 3 || observed[0] != 0 {
				t.Errorf("requests %d, observed %v; want 3 attempts with status 0", c.Requests(), observed)
			}
		})
	}
}

// TestCoalescing holds the simulator's answer until N identical calls are
// waiting, then checks they shared one request, and that a caller who gives
// up neither cancels the others nor gets their answer.
func TestCoalescing(t *testing.T) {
	t.Parallel()
	s, err := sim.New(sim.Options{Seed: 3, Login: "me", APIKey: "k", Now: func() time.Time { return date("2026-03-20").In(time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	srv := httptest.NewServer(http.StripPrefix("/api-v2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-gate
		s.ServeHTTP(w, r)
	})))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/api-v2", "me", "k", WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	q := Query{From: date("2026-03-02"), To: date("2026-03-08"), Group: "1"}
	req, err := c.build(Method{API: V2, Report: ChatRatings, Endpoint: "chats/ratings"}, q)
	if err != nil {
		t.Fatal(err)
	}
	u := c.shareKey(req)

	const n = 10
	leaverCtx, leave := context.WithCancel(t.Context())
	results := make([]Series[ChatRatingCount], n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		ctx := t.Context()
		if i == 0 {
			ctx = leaverCtx
		}
		wg.Go(func() { results[i], errs[i] = c.ChatRatings(ctx, q) })
	}
	waitFor(t, func() bool { return c.waiting(u) == n })
	leave()
	waitFor(t, func() bool { return c.waiting(u) == n-1 })
	close(gate)
	wg.Wait()

	if !errors.Is(errs[0], context.Canceled) {
		t.Errorf("leaver got %v, want context.Canceled", errs[0])
	}
	for i := 1; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if len(results[i].Buckets) != 7 || results[i].Buckets[3] != results[1].Buckets[3] {
			t.Errorf("caller %d got a different answer", i)
		}
	}
	if s.Requests() != 1 || c.Requests() != 1 {
		t.Errorf("%d requests reached the simulator, %d sent; want 1", s.Requests(), c.Requests())
	}
	if c.waiting(u) != 0 {
		t.Errorf("flight not cleaned up")
	}
}

// waiting returns the callers waiting for the fetch of sharing key u.
func (c *Client) waiting(u string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.flights[u]; f != nil {
		return f.waiters
	}
	return 0
}

// waitFor yields until cond holds. The bound only catches a hang; the
// condition normally holds within microseconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		runtime.Gosched()
	}
}
