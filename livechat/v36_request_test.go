package livechat

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func newV36(t testing.TB, base string, opts ...Option) *Client {
	t.Helper()
	c, err := New(base, "acc-123", "pat-secret", append([]Option{WithAPI(V36)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBuildV36 checks the JSON body of each kind of request: from and to
// with each day's own offset (a DST week in Warsaw and New York), filters
// by the method's table, the unreplied property, no distribution where
// there are no buckets.
func TestBuildV36(t *testing.T) {
	t.Parallel()
	c := newV36(t, "https://api.example.com/")
	warsawDST := Query{From: date("2026-03-23"), To: date("2026-03-29"), Timezone: "Europe/Warsaw", GroupBy: ByDay}
	nyDST := Query{From: date("2026-11-01"), To: date("2026-11-01"), Timezone: "America/New_York"}
	filtered := Query{From: date("2026-03-02"), To: date("2026-03-08"), Group: "2", Agent: "a@example.com", Tags: []string{"sales", "", "vip"}}
	tests := []struct {
		name   string
		report Report
		q      Query
		url    string
		body   string
	}{
		{"warsaw week across the spring change", TotalChats, warsawDST, "https://api.example.com/v3.6/reports/chats/total_chats",
			`{"distribution":"day","timezone":"Europe/Warsaw","filters":{"from":"2026-03-23T00:00:00+01:00","to":"2026-03-29T23:59:59+02:00"}}`},
		{"new york day of the autumn change", ChatRatings, nyDST, "https://api.example.com/v3.6/reports/chats/ratings",
			`{"distribution":"day","timezone":"America/New_York","filters":{"from":"2026-11-01T00:00:00-04:00","to":"2026-11-01T23:59:59-05:00"}}`},
		// Santiago's clock jumps from midnight to 01:00 (Go's time.Date
		// puts that midnight at 23:00 the day before), and falls back from
		// midnight to 23:00, so its last hour of the day comes twice.
		{"santiago: a day starting at 01:00", TotalChats, Query{From: date("2026-09-06"), To: date("2026-09-06"), Timezone: "America/Santiago"},
			"https://api.example.com/v3.6/reports/chats/total_chats",
			`{"distribution":"day","timezone":"America/Santiago","filters":{"from":"2026-09-06T01:00:00-03:00","to":"2026-09-06T23:59:59-03:00"}}`},
		{"santiago: a day of 25 hours", TotalChats, Query{From: date("2026-04-04"), To: date("2026-04-04"), Timezone: "America/Santiago"},
			"https://api.example.com/v3.6/reports/chats/total_chats",
			`{"distribution":"day","timezone":"America/Santiago","filters":{"from":"2026-04-04T00:00:00-03:00","to":"2026-04-04T23:59:59-04:00"}}`},
		{"utc by default", Engagement, Query{From: date("2026-03-02"), To: date("2026-03-02")}, "https://api.example.com/v3.6/reports/chats/engagement",
			`{"distribution":"day","filters":{"from":"2026-03-02T00:00:00Z","to":"2026-03-02T23:59:59Z"}}`},
		{"all three filters on a chats report", ChatsFirstResponseTime, filtered, "https://api.example.com/v3.6/reports/chats/first_response_time",
			`{"distribution":"day","filters":{"from":"2026-03-02T00:00:00Z","to":"2026-03-08T23:59:59Z","groups":{"values":[2]},"agents":{"values":["a@example.com"]},"tags":{"values":["sales","vip"]}}}`},
		{"agents report takes no tags", Availability, filtered, "https://api.example.com/v3.6/reports/agents/availability",
			`{"distribution":"day","filters":{"from":"2026-03-02T00:00:00Z","to":"2026-03-08T23:59:59Z","groups":{"values":[2]},"agents":{"values":["a@example.com"]}}}`},
		{"performance: no distribution", ChattingTime, warsawDST, "https://api.example.com/v3.6/reports/agents/performance",
			`{"timezone":"Europe/Warsaw","filters":{"from":"2026-03-23T00:00:00+01:00","to":"2026-03-29T23:59:59+02:00"}}`},
		{"unique visitors: only from and to, still in the zone", UniqueVisitors, Query{From: warsawDST.From, To: warsawDST.To, Timezone: "Europe/Warsaw", Group: "1", Tags: []string{"x"}},
			"https://api.example.com/v3.6/reports/customers/unique_visitors",
			`{"filters":{"from":"2026-03-23T00:00:00+01:00","to":"2026-03-29T23:59:59+02:00"}}`},
		{"not replied: total chats of unreplied chats", NotReplied, Query{From: date("2026-03-02"), To: date("2026-03-02"), Group: "0"}, "https://api.example.com/v3.6/reports/chats/total_chats",
			`{"distribution":"day","filters":{"from":"2026-03-02T00:00:00Z","to":"2026-03-02T23:59:59Z","groups":{"values":[0]},"properties":{"routing":{"unreplied":{"values":[true]}}}}}`},
		{"ranking: no distribution", ChatRanking, Query{From: date("2026-03-02"), To: date("2026-03-08")}, "https://api.example.com/v3.6/reports/chats/ranking",
			`{"filters":{"from":"2026-03-02T00:00:00Z","to":"2026-03-08T23:59:59Z"}}`},
		{"greetings from greetings_conversion", Greetings, Query{From: date("2026-03-02"), To: date("2026-03-02"), Group: "1"}, "https://api.example.com/v3.6/reports/chats/greetings_conversion",
			`{"distribution":"day","filters":{"from":"2026-03-02T00:00:00Z","to":"2026-03-02T23:59:59Z","groups":{"values":[1]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := c.build(v36(t, tt.report), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if r.method != http.MethodPost || r.url != tt.url || string(r.body) != tt.body {
				t.Errorf("got %s %s\n%s\nwant POST %s\n%s", r.method, r.url, r.body, tt.url, tt.body)
			}
		})
	}
}

func TestBuildV36Rejects(t *testing.T) {
	t.Parallel()
	c := newV36(t, "https://api.example.com/")
	tests := []struct {
		name   string
		report Report
		q      Query
	}{
		{"no range", TotalChats, Query{}},
		{"reversed", TotalChats, Query{From: date("2026-03-08"), To: date("2026-03-02")}},
		{"hour buckets (key format unverified)", TotalChats, Query{From: date("2026-03-02"), To: date("2026-03-02"), GroupBy: ByHour}},
		{"month on a ranking", ChatRanking, Query{From: date("2026-03-02"), To: date("2026-03-02"), GroupBy: ByMonth}},
		{"unknown zone", TotalChats, Query{From: date("2026-03-02"), To: date("2026-03-02"), Timezone: "Mars/Olympus"}},
		{"group not a number", TotalChats, Query{From: date("2026-03-02"), To: date("2026-03-02"), Group: "sales"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := v36(t, tt.report)
			if _, err := c.build(m, tt.q); err == nil || !strings.HasPrefix(err.Error(), "livechat: "+m.Name()+": ") {
				t.Errorf("build = %v, want an error naming %s", err, m.Name())
			}
		})
	}
}

// TestV36Headers checks what goes on the wire: POST with a JSON body, a
// personal access token as basic auth with the account ID, an OAuth token
// as Bearer, and no X-API-Version.
func TestV36Headers(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, path, auth, ctype, version string
		body                               []byte
	}
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("X-API-Version"), b})
		mu.Unlock()
		w.Write([]byte(`{"records":{"2026-03-02":{"total":3}}}`))
	}))
	t.Cleanup(srv.Close)
	q := Query{From: date("2026-03-02"), To: date("2026-03-02")}
	pat := newV36(t, srv.URL+"/prefix", WithHTTPClient(srv.Client()))
	bearer, err := New(srv.URL+"/prefix", "", "", WithAPI(V36), WithBearer("dal:oauth-token"), WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Client{pat, bearer} {
		s, err := c.TotalChats(t.Context(), q)
		if err != nil || len(s.Buckets) != 1 || s.Buckets[0].Value.Chats != 3 {
			t.Fatalf("answer %+v, %v", s, err)
		}
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("acc-123:pat-secret"))
	for i, want := range []string{basic, "Bearer dal:oauth-token"} {
		g := got[i]
		if g.method != http.MethodPost || g.path != "/prefix/v3.6/reports/chats/total_chats" || g.auth != want ||
			g.ctype != "application/json" || g.version != "" || !bytes.HasPrefix(g.body, []byte(`{"distribution":"day"`)) {
			t.Errorf("request %d: %+v (want auth %q)", i, g, want)
		}
	}
}

func TestNewRejectsV36Credentials(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		login, key string
		opts       []Option
	}{
		{"v3.6 without a token", "acc", "", []Option{WithAPI(V36)}},
		{"bearer on v2", "", "", []Option{WithBearer("t")}},
		{"bearer and a token", "acc", "pat", []Option{WithAPI(V36), WithBearer("t")}},
		{"unknown version", "a", "b", []Option{WithAPI("3.5")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New("https://api.example.com", tt.login, tt.key, tt.opts...); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

// v36Server answers every request with the next of answers (the last one
// repeats) and counts requests.
type v36Server struct {
	srv     *httptest.Server
	n       atomic.Int64
	regions []string
	mu      sync.Mutex
}

type answer struct {
	status int
	header map[string]string
	body   string
}

func newV36Server(t *testing.T, answers ...answer) *v36Server {
	s := &v36Server{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(s.n.Add(1)) - 1
		s.mu.Lock()
		s.regions = append(s.regions, r.Header.Get("X-Region"))
		s.mu.Unlock()
		a := answers[min(i, len(answers)-1)]
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		w.Write([]byte(a.body))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

const okTotal = `{"records":{"2026-03-02":{"total":3}}}`

// TestV36Errors checks the typed errors built from {"error": {"type",
// "message"}} and the retry decision that follows the type, whatever the
// status.
func TestV36Errors(t *testing.T) {
	t.Parallel()
	errBody := func(typ, msg string) string {
		return `{"error":{"type":"` + typ + `","message":"` + msg + `"}}`
	}
	tests := []struct {
		name         string
		answers      []answer
		wantType     string
		wantStatus   int
		tries        int
		unauthorized bool
	}{
		{"authentication is not retried", []answer{{401, nil, errBody("authentication", "Invalid access token")}}, "authentication", 401, 1, true},
		{"authorization is unauthorized", []answer{{403, nil, errBody("authorization", "Authorization error")}}, "authorization", 403, 1, true},
		{"validation is not retried", []answer{{400, nil, errBody("validation", "Wrong format of request")}}, "validation", 400, 1, false},
		{"too_many_requests on a 400 is retried", []answer{{400, nil, errBody("too_many_requests", "Too many requests")}}, "too_many_requests", 400, 3, false},
		{"service_unavailable on a 4xx is retried", []answer{{418, nil, errBody("service_unavailable", "x")}}, "service_unavailable", 418, 3, false},
		{"internal 500 retried", []answer{{500, nil, errBody("internal", "Internal server error")}}, "internal", 500, 3, false},
		{"license_expired", []answer{{402, nil, errBody("license_expired", "License expired")}}, "license_expired", 402, 1, false},
		{"a hostile type is dropped", []answer{{400, nil, errBody("bad type\\nwith newline", "m")}}, "", 400, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newV36Server(t, tt.answers...)
			c := newV36(t, s.srv.URL, WithHTTPClient(s.srv.Client()), WithRetry(3, time.Millisecond, 5*time.Millisecond), WithRateLimit(rate.Inf, 1))
			_, err := c.TotalChats(t.Context(), Query{From: date("2026-03-02"), To: date("2026-03-02")})
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if ae.Type != tt.wantType || ae.Status != tt.wantStatus || ae.Tries != tt.tries || ae.Endpoint != "v3.6/chats/total_chats" {
				t.Errorf("APIError %+v, want type %q status %d tries %d", ae, tt.wantType, tt.wantStatus, tt.tries)
			}
			if errors.Is(err, ErrUnauthorized) != tt.unauthorized {
				t.Errorf("errors.Is(ErrUnauthorized) = %v", !tt.unauthorized)
			}
			if tt.wantType != "" && !strings.Contains(err.Error(), tt.wantType) {
				t.Errorf("message %q does not name the type", err)
			}
		})
	}
}

// TestV36ErrorRedactsToken: a message that echoes the token loses it.
func TestV36ErrorRedactsToken(t *testing.T) {
	t.Parallel()
	s := newV36Server(t, answer{401, nil, `{"error":{"type":"authentication","message":"token pat-secret is wrong"}}`})
	c := newV36(t, s.srv.URL, WithHTTPClient(s.srv.Client()))
	_, err := c.TotalChats(t.Context(), Query{From: date("2026-03-02"), To: date("2026-03-02")})
	if err == nil || strings.Contains(err.Error(), "pat-secret") || !strings.Contains(err.Error(), redacted) {
		t.Errorf("err = %v", err)
	}
}

// TestV36RetryAfter: a too_many_requests answer's Retry-After is the wait.
func TestV36RetryAfter(t *testing.T) {
	t.Parallel()
	s := newV36Server(t, answer{429, map[string]string{"Retry-After": "1"}, `{"error":{"type":"too_many_requests","message":"Too many requests"}}`}, answer{200, nil, okTotal})
	c := newV36(t, s.srv.URL, WithHTTPClient(s.srv.Client()), WithRetry(3, time.Millisecond, 2*time.Second))
	start := time.Now()
	if _, err := c.TotalChats(t.Context(), Query{From: date("2026-03-02"), To: date("2026-03-02")}); err != nil {
		t.Fatal(err)
	}
	if s.n.Load() != 2 {
		t.Errorf("%d requests, want 2", s.n.Load())
	}
	if time.Since(start) < time.Second {
		t.Errorf("retried before Retry-After")
	}
}

// TestV36MisdirectedRequest: the client asks the region the error names,
// once, and keeps it for later requests.
func TestV36MisdirectedRequest(t *testing.T) {
	t.Parallel()
	mis := answer{421, nil, `{"error":{"type":"misdirected_request","message":"Wrong region","data":{"region":"fra"}}}`}
	s := newV36Server(t, mis, answer{200, nil, okTotal})
	c := newV36(t, s.srv.URL, WithHTTPClient(s.srv.Client()))
	q := Query{From: date("2026-03-02"), To: date("2026-03-02")}
	if _, err := c.TotalChats(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ChatRatings(t.Context(), q); err == nil {
		// The server answers total_chats' shape to every request; ratings
		// decodes it as an empty day, which is fine too.
		_ = err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if want := []string{"", "fra", "fra"}; strings.Join(s.regions, ",") != strings.Join(want, ",") {
		t.Errorf("X-Region per request %q, want %q", s.regions, want)
	}

	// Misdirected again to the same region: no endless loop.
	s2 := newV36Server(t, mis)
	c2 := newV36(t, s2.srv.URL, WithHTTPClient(s2.srv.Client()))
	if _, err := c2.TotalChats(t.Context(), q); err == nil {
		t.Fatal("want an error")
	}
	if s2.n.Load() != 2 {
		t.Errorf("%d requests, want 2 (the first and one to fra)", s2.n.Load())
	}
}

// TestV36MisdirectedRequestOnce: the one request in the region an error
// names is not a retry: a client without retries (check's) makes it too,
// and a peer naming another region each time gets one move per request,
// however many tries the client has.
func TestV36MisdirectedRequestOnce(t *testing.T) {
	t.Parallel()
	mis := func(region string) answer {
		return answer{421, nil, `{"error":{"type":"misdirected_request","message":"Wrong region","data":{"region":"` + region + `"}}}`}
	}
	q := Query{From: date("2026-03-02"), To: date("2026-03-02")}

	s := newV36Server(t, mis("fra"), answer{200, nil, okTotal})
	c := newV36(t, s.srv.URL, WithHTTPClient(s.srv.Client()), WithRetry(1, time.Millisecond, time.Millisecond))
	if _, err := c.TotalChats(t.Context(), q); err != nil {
		t.Fatalf("without retries: %v", err)
	}
	if s.n.Load() != 2 {
		t.Errorf("%d requests, want 2 (the first and one to fra)", s.n.Load())
	}

	s2 := newV36Server(t, mis("fra"), mis("dal"), mis("fra"), mis("dal"), answer{200, nil, okTotal})
	c2 := newV36(t, s2.srv.URL, WithHTTPClient(s2.srv.Client()), WithRetry(4, time.Millisecond, time.Millisecond))
	_, err := c2.TotalChats(t.Context(), q)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Type != "misdirected_request" {
		t.Fatalf("err = %v, want the misdirected_request error", err)
	}
	if s2.n.Load() != 2 {
		t.Errorf("%d requests, want 2: one move to the region named, not a tour of regions", s2.n.Load())
	}
}

// TestLifecycleHeaders: a Deprecation header is handed on for every answer
// and logged once, with its date.
func TestLifecycleHeaders(t *testing.T) {
	t.Parallel()
	s := newV36Server(t, answer{200, map[string]string{"Deprecation": "2026-09-30"}, okTotal})
	var logs bytes.Buffer
	var mu sync.Mutex
	var seen []Lifecycle
	c := newV36(t, s.srv.URL, WithHTTPClient(s.srv.Client()),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		WithLifecycle(func(_ context.Context, l Lifecycle) { mu.Lock(); seen = append(seen, l); mu.Unlock() }))
	for _, r := range []Report{TotalChats, NotReplied} {
		if _, err := c.Fetch(t.Context(), r, Query{From: date("2026-03-02"), To: date("2026-03-02")}); err != nil {
			t.Fatal(err)
		}
	}
	want := Lifecycle{API: V36, Header: HeaderDeprecation, Value: "2026-09-30", Date: date("2026-09-30")}
	if len(seen) != 2 || seen[0] != want || seen[1] != want {
		t.Errorf("seen %+v", seen)
	}
	if n := strings.Count(logs.String(), "going away"); n != 1 || !strings.Contains(logs.String(), "date=2026-09-30") {
		t.Errorf("logged %d times:\n%s", n, logs.String())
	}
}

// TestLifecycleValueRedacted: a lifecycle header that echoes the token
// (a debugging peer) reaches neither the log nor the store through the
// value handed on.
func TestLifecycleValueRedacted(t *testing.T) {
	t.Parallel()
	s := newV36Server(t, answer{200, map[string]string{"Legacy": "until pat-secret-token-value"}, okTotal})
	var logs bytes.Buffer
	var mu sync.Mutex
	var seen []Lifecycle
	c, err := New(s.srv.URL, "acc-123", "pat-secret-token-value", WithAPI(V36), WithHTTPClient(s.srv.Client()),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		WithLifecycle(func(_ context.Context, l Lifecycle) { mu.Lock(); seen = append(seen, l); mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.TotalChats(t.Context(), Query{From: date("2026-03-02"), To: date("2026-03-02")}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || strings.Contains(seen[0].Value, "secret") || !strings.Contains(seen[0].Value, redacted) {
		t.Errorf("handed on %+v", seen)
	}
	if strings.Contains(logs.String(), "secret") {
		t.Errorf("logged the token:\n%s", logs.String())
	}
}

// TestShareKey: the key covers method, URL, body and credential, and does
// not contain the credential.
func TestShareKey(t *testing.T) {
	t.Parallel()
	a := newV36(t, "https://api.example.com/")
	b, err := New("https://api.example.com/", "acc-123", "other-pat", WithAPI(V36))
	if err != nil {
		t.Fatal(err)
	}
	q := Query{From: date("2026-03-02"), To: date("2026-03-08")}
	req := func(c *Client, r Report, q Query) request {
		t.Helper()
		x, err := c.build(v36(t, r), q)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	base := a.shareKey(req(a, TotalChats, q))
	if a.shareKey(req(a, TotalChats, q)) != base {
		t.Error("same request, different key")
	}
	q2 := q
	q2.Group = "1"
	for name, k := range map[string]string{
		"other body":       a.shareKey(req(a, TotalChats, q2)),
		"other credential": b.shareKey(req(b, TotalChats, q)),
		"other method":     a.shareKey(request{method: http.MethodGet, url: req(a, TotalChats, q).url, body: req(a, TotalChats, q).body}),
		"other url":        a.shareKey(req(a, ChatRatings, q)),
		"unreplied filter": a.shareKey(req(a, NotReplied, q)),
	} {
		if k == base {
			t.Errorf("%s: same key", name)
		}
	}
	if a.shareKey(req(a, QueuedVisitors, q)) != a.shareKey(req(a, QueueWaitingTimes, q)) {
		t.Error("queued_visitors and queue_waiting_times read one v3.6 request, but their keys differ")
	}
	for _, secret := range []string{"pat-secret", base64.StdEncoding.EncodeToString([]byte("acc-123:pat-secret"))} {
		if strings.Contains(base, secret) || strings.Contains(a.credKey, secret) {
			t.Errorf("key holds the credential")
		}
	}
}

// TestLifecycleLogBounded: an upstream sending a new lifecycle value on
// every answer is logged for the first 16 values only; every answer is
// still handed on.
func TestLifecycleLogBounded(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Legacy", fmt.Sprintf("2027-01-%02d", n.Add(1)))
		w.Write([]byte(okTotal))
	}))
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	var handed atomic.Int64
	c := newV36(t, srv.URL, WithHTTPClient(srv.Client()), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		WithLifecycle(func(context.Context, Lifecycle) { handed.Add(1) }))
	for range 20 {
		if _, err := c.TotalChats(t.Context(), Query{From: date("2026-03-02"), To: date("2026-03-02")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Count(logs.String(), "going away"); got != maxLifecycleNoted {
		t.Errorf("logged %d times, want %d", got, maxLifecycleNoted)
	}
	if handed.Load() != 20 {
		t.Errorf("handed on %d, want 20", handed.Load())
	}
}

// TestV36TooManyRequestsByType: a too_many_requests error on a status other
// than 429 is a rate limit all the same: its Retry-After is read, and one
// longer than the retry budget ends the tries with the wait in the error.
func TestV36TooManyRequestsByType(t *testing.T) {
	t.Parallel()
	s := newV36Server(t, answer{400, map[string]string{"Retry-After": "3600"}, `{"error":{"type":"too_many_requests","message":"Too many requests"}}`})
	c := newV36(t, s.srv.URL, WithHTTPClient(s.srv.Client()), WithRetry(3, time.Millisecond, 2*time.Second))
	_, err := c.TotalChats(t.Context(), Query{From: date("2026-03-02"), To: date("2026-03-02")})
	var ae *APIError
	if !errors.As(err, &ae) || ae.RetryAfter != time.Hour || ae.Tries != 1 {
		t.Fatalf("err = %v (%+v), want one try and RetryAfter 1h", err, ae)
	}
}

// TestRetryAfterOnUnavailable: a Retry-After on any answer worth another
// try is honoured (reference §6: honour it if it appears), not only on a
// rate limit: a 503 asking for an hour ends the tries with the wait in the
// error instead of three more tries within seconds; on both versions.
func TestRetryAfterOnUnavailable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		api  API
		body string
	}{
		{V36, `{"error":{"type":"service_unavailable","message":"Service unavailable"}}`},
		{V2, `{"error":"service unavailable"}`},
	} {
		t.Run(string(tt.api), func(t *testing.T) {
			t.Parallel()
			s := newV36Server(t, answer{503, map[string]string{"Retry-After": "3600"}, tt.body}, answer{200, nil, okTotal})
			c, err := New(s.srv.URL, "acc-123", "pat-secret", WithAPI(tt.api), WithHTTPClient(s.srv.Client()),
				WithRetry(4, time.Millisecond, 2*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.TotalChats(t.Context(), Query{From: date("2026-03-02"), To: date("2026-03-02")})
			var ae *APIError
			if !errors.As(err, &ae) || ae.RetryAfter != time.Hour || ae.Tries != 1 || ae.Status != 503 {
				t.Fatalf("err = %v (%+v), want one try and RetryAfter 1h", err, ae)
			}
		})
	}
}

// TestBuildV36Until: a range that ends at a time of day (a partial
// period's last day) ends one second before that wall-clock time, in the
// zone with that day's offset; an Until that is no time of day, or that
// ends the range before it starts, is refused; v2 cannot ask for it.
func TestBuildV36Until(t *testing.T) {
	t.Parallel()
	c := newV36(t, "https://api.example.com/")
	day := Query{From: date("2026-03-29"), To: date("2026-03-29"), Timezone: "Europe/Warsaw"}
	for _, tt := range []struct {
		until time.Duration
		to    string
	}{
		{10 * time.Hour, "2026-03-29T09:59:59+02:00"},
		{10*time.Hour + 30*time.Minute + 15*time.Second, "2026-03-29T10:30:14+02:00"},
		{time.Second, "2026-03-29T00:00:00+01:00"},
		{23*time.Hour + 59*time.Minute + 59*time.Second, "2026-03-29T23:59:58+02:00"},
	} {
		q := day
		q.Until = tt.until
		r, err := c.build(v36(t, TotalChats), q)
		if err != nil {
			t.Fatalf("until %s: %v", tt.until, err)
		}
		want := `"from":"2026-03-29T00:00:00+01:00","to":"` + tt.to + `"`
		if !strings.Contains(string(r.body), want) {
			t.Errorf("until %s: body %s, want %s", tt.until, r.body, want)
		}
	}
	week := Query{From: date("2026-03-23"), To: date("2026-03-29"), Timezone: "Europe/Warsaw", Until: 10 * time.Hour}
	if r, err := c.build(v36(t, ChattingTime), week); err != nil || !strings.Contains(string(r.body), `"from":"2026-03-23T00:00:00+01:00","to":"2026-03-29T09:59:59+02:00"`) {
		t.Errorf("a week to a time of day: %s, %v", r.body, err)
	}
	for _, bad := range []time.Duration{-time.Second, 24 * time.Hour, 25 * time.Hour} {
		q := day
		q.Until = bad
		if _, err := c.build(v36(t, TotalChats), q); err == nil {
			t.Errorf("until %s accepted", bad)
		}
	}
	v2, err := New("https://api.example.com/", "me", "key")
	if err != nil {
		t.Fatal(err)
	}
	q := day
	q.Until = 10 * time.Hour
	if _, err := v2.build(Method{API: V2, Report: TotalChats, Endpoint: "chats/total_chats"}, q); err == nil {
		t.Error("v2 took a range ending at a time of day")
	}
}
