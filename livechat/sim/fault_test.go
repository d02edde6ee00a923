package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFaultKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      Fault
		status     int
		retryAfter string
		badJSON    bool
	}{
		{"5xx", Fault{Kind: Fault5xx, First: 1}, 503, "", false},
		{"429 with retry-after", Fault{Kind: Fault429, First: 1, RetryAfter: 1500 * time.Millisecond}, 429, "2", false},
		{"429 retry-after at least 1s", Fault{Kind: Fault429, First: 1, RetryAfter: time.Millisecond}, 429, "1", false},
		{"429 without retry-after", Fault{Kind: Fault429, First: 1}, 429, "", false},
		{"malformed", Fault{Kind: FaultMalformed, First: 1}, 200, "", true},
		{"short timeout answers", Fault{Kind: FaultTimeout, First: 1, Delay: time.Millisecond}, 200, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{Seed: 1, Faults: []Fault{tc.fault}})
			q := qs("date_from", "2026-11-01", "date_to", "2026-11-03")
			r := e.get(t, "chats/ratings", q)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			if got := r.header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if json.Valid(r.body) == tc.badJSON {
				t.Errorf("valid JSON = %v: %s", !tc.badJSON, r.body)
			}
			again := e.get(t, "chats/ratings", q)
			if again.status != 200 || !json.Valid(again.body) {
				t.Fatalf("second request: %d %s", again.status, again.body)
			}
			if tc.badJSON && !strings.HasPrefix(string(again.body), string(r.body)) {
				t.Errorf("malformed body is not a prefix of the answer")
			}
			if got := e.sim.RequestsTo("chats/ratings"); got != 2 {
				t.Errorf("RequestsTo = %d, want 2", got)
			}
		})
	}
}

// TestTimeoutHonoursContext: a stalled answer ends when the client gives up.
func TestTimeoutHonoursContext(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{Seed: 1, Faults: []Fault{{Kind: FaultTimeout, First: 1, Delay: time.Hour}}},
		{Seed: 1, Latency: time.Hour},
	} {
		e := newEnv(t, o)
		// The stall is an hour, so the outcome does not depend on timing.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := e.try(ctx, "GET", "/reports/chats/goals", func(r *http.Request) {
			r.SetBasicAuth(testLogin, testKey)
			r.Header.Set("X-API-Version", "2")
		})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v, want context.DeadlineExceeded", err)
		}
		e.srv.Close() // waits for the handler: it must have returned
	}
}

// TestFaultCounting: First counts per URL, Endpoint limits, faults are
// checked in order.
func TestFaultCounting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{Seed: 1, Faults: []Fault{
		{Kind: Fault5xx, First: 1},
		{Kind: Fault429, First: 2, Endpoint: "chats/ratings"},
	}})
	steps := []struct {
		ep, query string
		want      int
	}{
		{"chats/ratings", "date_from=2026-11-01", 503},
		{"chats/ratings", "date_from=2026-11-01", 429},
		{"chats/ratings", "date_from=2026-11-01", 200},
		{"chats/ratings", "date_from=2026-11-02", 503}, // another URL counts afresh
		{"chats/ratings", "date_from=2026-11-02", 429},
		{"chats/goals", "date_from=2026-11-01", 503},
		{"chats/goals", "date_from=2026-11-01", 200}, // the 429 fault is for chats/ratings only
	}
	for i, s := range steps {
		if r := e.get(t, s.ep, s.query); r.status != s.want {
			t.Errorf("step %d %s?%s: %d, want %d", i, s.ep, s.query, r.status, s.want)
		}
	}
	if got := e.sim.RequestsTo("chats/ratings"); got != 5 {
		t.Errorf("RequestsTo(chats/ratings) = %d, want 5", got)
	}
}

// TestFaultRate: about Rate of the requests fail, in the same pattern for
// the same seed and request sequence.
func TestFaultRate(t *testing.T) {
	t.Parallel()
	pattern := func(seed int64) string {
		e := newEnv(t, Options{Seed: seed, Faults: []Fault{{Kind: Fault5xx, Rate: 0.3}}})
		var b strings.Builder
		for i := range 400 {
			day := fmt.Sprintf("2026-11-%02d", 1+i%20) // 20 URLs, 20 requests each
			if e.get(t, "chats/goals", "date_from="+day+"&date_to="+day).status == 503 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := pattern(1), pattern(1), pattern(2)
	if a != b {
		t.Error("same seed, different failure pattern")
	}
	if a == c {
		t.Error("seeds 1 and 2 fail the same requests")
	}
	if n := strings.Count(a, "x"); n < 80 || n > 160 {
		t.Errorf("%d of 400 failed, want about 120", n)
	}
}

func TestParseFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		want    []Fault
		wantErr string
	}{
		{"", nil, ""},
		{"5xx:0.1,429:0.05:retry=2s,timeout:0.02:delay=40s,malformed:first=1", []Fault{
			{Kind: "5xx", Rate: 0.1},
			{Kind: "429", Rate: 0.05, RetryAfter: 2 * time.Second},
			{Kind: "timeout", Rate: 0.02, Delay: 40 * time.Second},
			{Kind: "malformed", First: 1},
		}, ""},
		{"5xx:first=2:endpoint=chats/ratings", []Fault{{Kind: "5xx", First: 2, Endpoint: "chats/ratings"}}, ""},
		{" 429:rate=0.5 ", []Fault{{Kind: "429", Rate: 0.5}}, ""},
		{"boom:0.1", nil, "kind"},
		{"5xx", nil, "needs a rate"},
		{"5xx:1.5", nil, "within 0..1"},
		{"5xx:NaN", nil, "within 0..1"},
		{"5xx:first=-1", nil, "negative"},
		{"5xx:first=x", nil, "bad first"},
		{"5xx:0.1:retry=2s", nil, "only to 429"},
		{"429:0.1:delay=2s", nil, "only to timeout"},
		{"429:0.1:retry=soon", nil, "bad retry"},
		{"5xx:0.1:endpoint=chats/nope", nil, "unknown endpoint"},
		{"5xx:0.1:colour=red", nil, "unknown field"},
		{"5xx:0.1,", nil, "kind"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseFaults(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "sim: ") {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]Options{
		"no login":      {APIKey: "k"},
		"no key":        {Login: "l"},
		"bad fault":     {Login: "l", APIKey: "k", Faults: []Fault{{Kind: "5xx"}}},
		"negative wait": {Login: "l", APIKey: "k", Latency: -time.Second},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzParseFaults(f *testing.F) {
	f.Add("5xx:0.1,429:0.05:retry=2s,timeout:0.02:delay=40s,malformed:first=1")
	f.Add("5xx:first=2:endpoint=chats/ratings")
	f.Fuzz(func(t *testing.T, spec string) {
		faults, err := ParseFaults(spec)
		if err != nil {
			return
		}
		if _, err := New(Options{Login: "l", APIKey: "k", Faults: faults}); err != nil {
			t.Errorf("ParseFaults(%q) accepted what New rejects: %v", spec, err)
		}
	})
}

// FuzzQuery feeds arbitrary query strings to every endpoint's argument
// parsing, and answers those that pass when their range is short.
func FuzzQuery(f *testing.F) {
	f.Add("date_from=2026-11-01&date_to=2026-11-01&timezone=Asia/Kolkata&group_by=hour", uint8(0))
	f.Add("date_from=2026-02-01&date_to=2026-04-01&group_by=month&group=1&tag[]=vip&tag[]=x&agent=anna.kowalska@example.com", uint8(3))
	f.Add("weekday=sun&date_from=2026-01-01", uint8(10))
	f.Add("date_from=0000-01-01&date_to=0001-12-31", uint8(5))
	f.Add("timezone=../../etc/passwd", uint8(1))
	s, err := New(Options{Seed: 1, Login: "l", APIKey: "k"})
	if err != nil {
		f.Fatal(err)
	}
	names := make([]string, 0, len(endpoints))
	for n := range endpoints {
		names = append(names, n)
	}
	slices.Sort(names)
	f.Fuzz(func(t *testing.T, raw string, which uint8) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		ep := endpoints[names[int(which)%len(names)]]
		q, err := s.parseQuery(ep, v, testNow)
		if err != nil {
			if !errors.Is(err, errArg) {
				t.Errorf("error %v is not an argument error", err)
			}
			return
		}
		if q.from > q.to || q.to-q.from >= maxDays {
			t.Errorf("accepted range %d..%d", q.from, q.to)
		}
		if q.to-q.from <= 40 {
			if b := s.answer(ep, &q, testNow); !json.Valid(b) {
				t.Errorf("invalid JSON for %q: %.200s", raw, b)
			}
		}
	})
}
