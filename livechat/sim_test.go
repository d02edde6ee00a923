package livechat_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
)

const (
	testLogin  = "owner@example.com"
	testAPIKey = "lc-key-7f3a9c1e5b2d4086"
)

// simNow is "today" for the simulator, so default dates and occupancy weeks
// never depend on the wall clock.
var simNow = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)

// env is a client talking to a simulator over real HTTP, mounted under a
// path prefix so a client that builds absolute paths fails.
type env struct {
	client *livechat.Client
	sim    *sim.Server
	srv    *httptest.Server
	logs   *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// reportsOn returns the reports api has, in registry order.
func reportsOn(api livechat.API) []livechat.ReportInfo {
	var out []livechat.ReportInfo
	for _, r := range livechat.ReportsOn(api) {
		info, _ := livechat.Lookup(r)
		out = append(out, info)
	}
	return out
}

// setup starts a simulator and a client with fast retries and no rate
// limit; opts override those.
func setup(t testing.TB, o sim.Options, wrap func(http.Handler) http.Handler, opts ...livechat.Option) *env {
	t.Helper()
	if o.Login == "" {
		o.Login, o.APIKey = testLogin, testAPIKey
	}
	if o.Now == nil {
		o.Now = func() time.Time { return simNow }
	}
	s, err := sim.New(o)
	if err != nil {
		t.Fatalf("sim.New: %v", err)
	}
	var h http.Handler = http.StripPrefix("/api-v2", s)
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	logs := &syncBuffer{}
	base := []livechat.Option{
		livechat.WithHTTPClient(srv.Client()),
		livechat.WithRateLimit(rate.Inf, 1),
		livechat.WithRetry(4, time.Millisecond, 2*time.Second),
		livechat.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	c, err := livechat.New(srv.URL+"/api-v2", testLogin, testAPIKey, append(base, opts...)...)
	if err != nil {
		t.Fatalf("livechat.New: %v", err)
	}
	return &env{client: c, sim: s, srv: srv, logs: logs}
}

func day(s string) livechat.Date {
	d, err := livechat.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// totals reduces an answer to the numbers that add up across buckets (and
// that a filter can only shrink), plus the number of buckets.
func totals(t *testing.T, v any) (sums []float64, n int) {
	t.Helper()
	add := func(xs ...float64) {
		if sums == nil {
			sums = make([]float64, len(xs))
		}
		for i, x := range xs {
			sums[i] += x
		}
		n++
	}
	f := func(i int64) float64 { return float64(i) }
	switch a := v.(type) {
	case livechat.Series[livechat.ChatCount]:
		for _, b := range a.Buckets {
			add(f(b.Value.Chats))
		}
	case livechat.Series[livechat.EngagementCount]:
		for _, b := range a.Buckets {
			add(f(b.Value.AutoInvite), f(b.Value.ManualInvite), f(b.Value.ImmediateStart))
		}
	case livechat.Series[livechat.ChatRatingCount]:
		for _, b := range a.Buckets {
			add(f(b.Value.Good), f(b.Value.Bad), f(b.Value.Chats))
		}
	case livechat.Series[livechat.QueueCount]:
		for _, b := range a.Buckets {
			add(f(b.Value.Queued), f(b.Value.LeftQueue), f(b.Value.EnteredChat))
		}
	case livechat.Series[livechat.WaitTimes]:
		for _, b := range a.Buckets {
			add(f(b.Value.Queued.Count), f(b.Value.LeftQueue.Count), f(b.Value.EnteredChat.Count))
		}
	case livechat.Series[livechat.Duration]:
		for _, b := range a.Buckets {
			add(b.Value.Hours)
		}
	case livechat.Series[livechat.ResponseTime]:
		for _, b := range a.Buckets {
			if (b.Value.Count == 0) != (b.Value.Seconds == nil) {
				t.Errorf("%s %s: count %d with seconds %v", a.Endpoint, b.Key, b.Value.Count, b.Value.Seconds)
			}
			add(f(b.Value.Count))
		}
	case livechat.Series[livechat.GoalCount]:
		for _, b := range a.Buckets {
			add(f(b.Value.Goals))
		}
	case livechat.Series[livechat.GreetingCount]:
		for _, b := range a.Buckets {
			add(f(b.Value.Displayed), f(b.Value.Accepted), f(b.Value.Goals))
		}
	case livechat.Series[livechat.TicketCount]:
		for _, b := range a.Buckets {
			add(f(b.Value.Tickets))
		}
	case livechat.Series[livechat.TicketTime]:
		for _, b := range a.Buckets {
			if (b.Value.Count == 0) != (b.Value.Hours == nil) {
				t.Errorf("%s %s: count %d with hours %v", a.Endpoint, b.Key, b.Value.Count, b.Value.Hours)
			}
			add(f(b.Value.Count))
		}
	case livechat.Series[livechat.TicketSourceCount]:
		for _, b := range a.Buckets {
			add(f(b.Value.ChatWindow), f(b.Value.Mail), f(b.Value.Chat))
		}
	case livechat.Series[livechat.TicketRatingCount]:
		for _, b := range a.Buckets {
			add(f(b.Value.Good), f(b.Value.Bad))
		}
	case livechat.Ranking:
		var good, bad, total float64
		for _, e := range a.Entries {
			if e.Good+e.Bad != e.Total {
				t.Errorf("%s %s: good %d + bad %d != total %d", a.Endpoint, e.Agent, e.Good, e.Bad, e.Total)
			}
			good, bad, total = good+f(e.Good), bad+f(e.Bad), total+f(e.Total)
		}
		return []float64{good, bad, total}, len(a.Entries)
	case livechat.Occupancy:
		var peak float64
		for _, p := range a.Points {
			peak = max(peak, f(p.Max))
		}
		return []float64{peak}, len(a.Points)
	default:
		t.Fatalf("unexpected answer type %T", v)
	}
	return sums, n
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a)) }

// TestReportsAgainstSimulator fetches every report at hour, day and month
// granularity, with and without filters, and checks that the typed answers
// agree with each other: hours add up to their day, days to their months, and
// a filter never adds chats.
func TestReportsAgainstSimulator(t *testing.T) {
	t.Parallel()
	e := setup(t, sim.Options{Seed: 7}, nil, livechat.WithMaxConcurrent(4))
	ctx := t.Context()
	filters := []struct {
		name string
		set  func(*livechat.Query)
	}{
		{"unfiltered", func(*livechat.Query) {}},
		{"group", func(q *livechat.Query) { q.Group = "1" }},
		{"agent", func(q *livechat.Query) { q.Agent = "john.smith@example.com" }},
		{"tags", func(q *livechat.Query) { q.Tags = []string{"sales", "vip"} }},
		{"all filters", func(q *livechat.Query) {
			q.Group, q.Agent, q.Tags = "0", "john.smith@example.com", []string{"billing"}
		}},
	}
	for _, info := range reportsOn(livechat.V2) {
		t.Run(string(info.Report), func(t *testing.T) {
			t.Parallel()
			var unfiltered [3][]float64
			for fi, f := range filters {
				hourQ := livechat.Query{From: day("2026-03-02"), To: day("2026-03-02"), Weekday: "mon", Timezone: "Europe/Warsaw"}
				dayQ := livechat.Query{From: day("2026-03-02"), To: day("2026-03-08"), Weekday: "mon", Timezone: "Europe/Warsaw"}
				monthQ := livechat.Query{From: day("2026-01-10"), To: day("2026-02-28"), Weekday: "mon", GroupBy: livechat.ByMonth, Timezone: "Europe/Warsaw"}
				daysOfMonthsQ := monthQ
				daysOfMonthsQ.GroupBy = livechat.ByDay
				for _, q := range []*livechat.Query{&hourQ, &dayQ, &monthQ, &daysOfMonthsQ} {
					f.set(q)
				}
				fetch := func(q livechat.Query) any {
					t.Helper()
					v, err := e.client.Fetch(ctx, info.Report, q)
					if err != nil {
						t.Fatalf("%s %s: %v", f.name, q.From, err)
					}
					return v
				}
				hours, nh := totals(t, fetch(hourQ))
				days, nd := totals(t, fetch(dayQ))
				switch info.Shape {
				case livechat.ShapeOccupancy:
					if nh != 24 || nd != 24 {
						t.Errorf("%s: %d and %d occupancy points, want the 24 hours of the one Monday", f.name, nh, nd)
					}
					continue
				case livechat.ShapeRanking:
					// A ranking covers its whole range: a week holds its first day.
					for i := range hours {
						if hours[i] > days[i] {
							t.Errorf("%s: one day ranks %v > the week's %v", f.name, hours, days)
						}
					}
				case livechat.ShapeBuckets:
					if nh != 24 || nd != 7 {
						t.Errorf("%s: %d hour and %d day buckets, want 24 and 7", f.name, nh, nd)
					}
					first, _ := totals(t, firstBucket(t, fetch(dayQ)))
					for i := range hours {
						if !near(hours[i], first[i]) {
							t.Errorf("%s: hours add up to %v, the day says %v", f.name, hours, first)
							break
						}
					}
					if info.Accepts(livechat.ParamGroupBy) {
						months, nm := totals(t, fetch(monthQ))
						daysOfMonths, _ := totals(t, fetch(daysOfMonthsQ))
						if nm != 2 {
							t.Errorf("%s: %d month buckets, want 2", f.name, nm)
						}
						for i := range months {
							if !near(months[i], daysOfMonths[i]) {
								t.Errorf("%s: months add up to %v, their days to %v", f.name, months, daysOfMonths)
								break
							}
						}
					}
				}
				if fi == 0 {
					unfiltered = [3][]float64{hours, days}
					if sum(days) == 0 {
						t.Errorf("unfiltered week is all zero: %v", days)
					}
					continue
				}
				for i := range days {
					if days[i] > unfiltered[1][i]+1e-9 || hours[i] > unfiltered[0][i]+1e-9 {
						t.Errorf("%s: filtered %v / %v exceeds unfiltered %v / %v", f.name, hours, days, unfiltered[0], unfiltered[1])
						break
					}
				}
			}
		})
	}
}

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

// firstBucket returns a Series holding only the first bucket of v.
func firstBucket(t *testing.T, v any) any {
	t.Helper()
	switch a := v.(type) {
	case livechat.Series[livechat.ChatCount]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.EngagementCount]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.ChatRatingCount]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.QueueCount]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.WaitTimes]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.Duration]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.ResponseTime]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.GoalCount]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.GreetingCount]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.TicketCount]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.TicketTime]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.TicketSourceCount]:
		a.Buckets = a.Buckets[:1]
		return a
	case livechat.Series[livechat.TicketRatingCount]:
		a.Buckets = a.Buckets[:1]
		return a
	}
	t.Fatalf("no buckets in %T", v)
	return nil
}

// assertNoSecret fails if the API key, or the basic-auth token made from
// it, shows up in text an operator can see.
func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	token := base64.StdEncoding.EncodeToString([]byte(testLogin + ":" + testAPIKey))
	for _, secret := range []string{testAPIKey, token} {
		if strings.Contains(text, secret) {
			t.Errorf("%s leaks a secret: %s", where, text)
		}
	}
}

// TestFaults drives every report of both API versions through every fault
// the simulator can inject and checks the outcome, the attempts sent and
// that no secret leaks.
func TestFaults(t *testing.T) {
	t.Parallel()
	q := livechat.Query{From: day("2026-03-02"), To: day("2026-03-08"), Weekday: "tue", Group: "1", Tags: []string{"sales"}}
	tests := []struct {
		name   string
		faults []sim.Fault
		simKey string // the key the simulator wants; default the client's
		// timeout is the client's per-attempt timeout: short where the
		// simulator stalls, long elsewhere so a slow machine cannot add an
		// attempt.
		timeout  time.Duration
		attempts int64
		check    func(t *testing.T, m livechat.Method, err error, elapsed time.Duration)
	}{
		{
			name:     "5xx then ok",
			faults:   []sim.Fault{{Kind: "5xx", First: 2}},
			attempts: 3,
			check:    wantOK,
		},
		{
			name:     "429 with Retry-After then ok",
			faults:   []sim.Fault{{Kind: "429", First: 1, RetryAfter: time.Second}},
			attempts: 2,
			check: func(t *testing.T, m livechat.Method, err error, elapsed time.Duration) {
				wantOK(t, m, err, elapsed)
				if elapsed < time.Second {
					t.Errorf("retried after %v, before the 1s Retry-After", elapsed)
				}
			},
		},
		{
			name:     "429 asking for longer than the retry budget",
			faults:   []sim.Fault{{Kind: "429", Rate: 1, RetryAfter: time.Hour}},
			attempts: 1,
			check: func(t *testing.T, m livechat.Method, err error, _ time.Duration) {
				ae := wantAPIError(t, m, err, 429, 1)
				if ae != nil && ae.RetryAfter != time.Hour {
					t.Errorf("RetryAfter = %v, want 1h", ae.RetryAfter)
				}
			},
		},
		{
			name:     "timeout then ok",
			faults:   []sim.Fault{{Kind: "timeout", First: 1, Delay: time.Minute}},
			timeout:  500 * time.Millisecond,
			attempts: 2,
			check:    wantOK,
		},
		{
			name:     "malformed JSON",
			faults:   []sim.Fault{{Kind: "malformed", First: 1}},
			attempts: 1,
			check: func(t *testing.T, m livechat.Method, err error, _ time.Duration) {
				var de *livechat.DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("err = %v, want a *DecodeError", err)
				}
				if de.Endpoint != m.Name() || !strings.HasPrefix(err.Error(), "livechat: "+m.Name()+": ") {
					t.Errorf("error %q does not name endpoint %s", err, m.Name())
				}
				if de.Excerpt == "" {
					t.Errorf("no excerpt in %v", err)
				}
			},
		},
		{
			name:     "persistent 5xx",
			faults:   []sim.Fault{{Kind: "5xx", Rate: 1}},
			attempts: 4,
			check: func(t *testing.T, m livechat.Method, err error, _ time.Duration) {
				if ae := wantAPIError(t, m, err, 503, 4); ae != nil {
					want := fmt.Sprintf("livechat: %s: upstream 503 after 4 tries", m.Name())
					if m.API == livechat.V36 {
						want = fmt.Sprintf("livechat: %s: upstream 503 service_unavailable %q after 4 tries", m.Name(), "Service unavailable (simulated)")
					}
					if err.Error() != want {
						t.Errorf("message %q, want %q", err, want)
					}
				}
			},
		},
		{
			name:     "persistent timeout",
			faults:   []sim.Fault{{Kind: "timeout", Rate: 1, Delay: time.Minute}},
			timeout:  500 * time.Millisecond,
			attempts: 4,
			check: func(t *testing.T, m livechat.Method, err error, _ time.Duration) {
				wantAPIError(t, m, err, 0, 4)
			},
		},
		{
			name:     "wrong API key",
			simKey:   "lc-key-rotated",
			attempts: 1,
			check: func(t *testing.T, m livechat.Method, err error, _ time.Duration) {
				if !errors.Is(err, livechat.ErrUnauthorized) {
					t.Errorf("err = %v, want ErrUnauthorized", err)
				}
				wantAPIError(t, m, err, 401, 1)
			},
		},
	}
	for _, tt := range tests {
		for _, api := range livechat.APIs {
			t.Run(tt.name+" v"+string(api), func(t *testing.T) {
				t.Parallel()
				runFaultCase(t, api, q, tt.faults, tt.simKey, tt.timeout, tt.attempts, tt.check)
			})
		}
	}
}

// runFaultCase runs one fault case of TestFaults on every report of api.
func runFaultCase(t *testing.T, api livechat.API, q livechat.Query, faults []sim.Fault, simKey string, timeout time.Duration,
	attempts int64, check func(t *testing.T, m livechat.Method, err error, elapsed time.Duration)) {
	t.Helper()
	// The reports run at once, each against its own simulator, so
	// a case costs one Retry-After, not twenty; the checks then
	// run one subtest per report.
	type outcome struct {
		e       *env
		err     error
		elapsed time.Duration
	}
	reports := reportsOn(api)
	out := make([]outcome, len(reports))
	var wg sync.WaitGroup
	for i, info := range reports {
		e := setup(t, sim.Options{Seed: 1, Faults: faults, Login: testLogin, APIKey: cmp.Or(simKey, testAPIKey)}, nil,
			livechat.WithTimeout(cmp.Or(timeout, 10*time.Second)), livechat.WithAPI(api))
		wg.Go(func() {
			start := time.Now()
			_, err := e.client.Fetch(t.Context(), info.Report, q)
			out[i] = outcome{e, err, time.Since(start)}
		})
	}
	wg.Wait()
	for i, info := range reports {
		t.Run(string(info.Report), func(t *testing.T) {
			e, err := out[i].e, out[i].err
			m, _ := livechat.MethodOf(api, info.Report)
			check(t, m, err, out[i].elapsed)
			if got := e.sim.RequestsTo(m.Name()); got != attempts {
				t.Errorf("simulator saw %d requests, want %d", got, attempts)
			}
			if got := e.client.Requests(); got != attempts {
				t.Errorf("client sent %d requests, want %d", got, attempts)
			}
			if err != nil {
				assertNoSecret(t, "error", err.Error())
				assertNoSecret(t, "error detail", fmt.Sprintf("%#v", err))
			}
			assertNoSecret(t, "logs", e.logs.String())
		})
	}
}

func wantOK(t *testing.T, m livechat.Method, err error, _ time.Duration) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", m.Name(), err)
	}
}

func wantAPIError(t *testing.T, m livechat.Method, err error, status, tries int) *livechat.APIError {
	t.Helper()
	var ae *livechat.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an *APIError", err)
	}
	if ae.Endpoint != m.Name() || ae.Status != status || ae.Tries != tries {
		t.Errorf("APIError{Endpoint %q, Status %d, Tries %d}, want {%q, %d, %d}", ae.Endpoint, ae.Status, ae.Tries, m.Name(), status, tries)
	}
	if !strings.HasPrefix(err.Error(), "livechat: "+m.Name()+": ") {
		t.Errorf("message %q does not start with the endpoint", err)
	}
	return ae
}

// TestCancel cancels a caller while its request is in flight: it gets the
// context's error, not a transport error, and the request is abandoned.
func TestCancel(t *testing.T) {
	t.Parallel()
	arrived, abandoned := make(chan struct{}), make(chan struct{})
	e := setup(t, sim.Options{Seed: 1}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			<-r.Context().Done()
			close(abandoned)
		})
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := e.client.TicketsSolved(ctx, livechat.Query{From: day("2026-03-02"), To: day("2026-03-08")})
		done <- err
	}()
	<-arrived
	cancel()
	err := <-done
	<-abandoned // the fetch went away with its only caller
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var ae *livechat.APIError
	if errors.As(err, &ae) || !strings.HasPrefix(err.Error(), "livechat: tickets/solved_tickets: ") {
		t.Errorf("err = %v, want the bare context error naming the endpoint", err)
	}
	if e.client.Requests() != 1 {
		t.Errorf("%d attempts after cancel, want 1", e.client.Requests())
	}

	_, err = e.client.TotalChats(ctx, livechat.Query{})
	if !errors.Is(err, context.Canceled) || e.client.Requests() != 1 {
		t.Errorf("already cancelled ctx: err %v after %d requests, want Canceled and no request", err, e.client.Requests())
	}
}

// TestDeadline: a caller's deadline ends retries of a stalling upstream with
// context.DeadlineExceeded.
func TestDeadline(t *testing.T) {
	t.Parallel()
	e := setup(t, sim.Options{Seed: 1, Faults: []sim.Fault{{Kind: "timeout", Rate: 1, Delay: time.Minute}}}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := e.client.Goals(ctx, livechat.Query{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

// TestRateLimitAndConcurrency sends distinct requests at once and checks
// the limiter spaces them and the cap bounds those in flight.
func TestRateLimitAndConcurrency(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var inFlight, peak int
	count := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			mu.Unlock()
			h.ServeHTTP(w, r)
			mu.Lock()
			inFlight--
			mu.Unlock()
		})
	}
	e := setup(t, sim.Options{Seed: 1, Latency: 20 * time.Millisecond}, count,
		livechat.WithRateLimit(50, 1), livechat.WithMaxConcurrent(2))
	const n = 8
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		d := day("2026-03-01").AddDays(i)
		wg.Go(func() {
			_, errs[i] = e.client.TotalChats(t.Context(), livechat.Query{From: d, To: d})
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	// 50/s with burst 1: the 8th request waits at least 7 × 20ms.
	if elapsed < 7*20*time.Millisecond {
		t.Errorf("%d requests took %v: the rate limit did not hold", n, elapsed)
	}
	if peak > 2 || e.sim.Requests() != n {
		t.Errorf("peak %d in flight over %d requests, want at most 2 over %d", peak, e.sim.Requests(), n)
	}
}
