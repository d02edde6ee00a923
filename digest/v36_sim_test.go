package digest

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
)

// simPair is one simulator (one seed) read by a v2 and a v3.6 client.
type simPair struct {
	v2, v36 *livechat.Client
	sim     *sim.Server
}

func newSimPair(t *testing.T, at time.Time, seed int64) simPair {
	t.Helper()
	s, err := sim.New(sim.Options{Seed: seed, Login: "login", APIKey: "key", Now: func() time.Time { return at }})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/sim/", http.StripPrefix("/sim", s))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	opts := []livechat.Option{livechat.WithRetry(1, time.Millisecond, time.Millisecond), livechat.WithRateLimit(rate.Inf, 1)}
	v2, err := livechat.New(srv.URL+"/sim", "login", "key", opts...)
	require.NoError(t, err)
	v36, err := livechat.New(srv.URL+"/sim", "login", "key", append(opts, livechat.WithAPI(livechat.V36))...)
	require.NoError(t, err)
	return simPair{v2: v2, v36: v36, sim: s}
}

// zoneEqual are the reports whose v2 endpoint takes a timezone: only they
// can agree with v3.6 outside UTC (the others count the account's days on
// v2; the simulator's account days are UTC). The README lists both sets.
var zoneEqual = map[livechat.Report]bool{
	livechat.TotalChats: true, livechat.Engagement: true, livechat.ChatRatings: true,
	livechat.QueuedVisitors: true, livechat.QueueWaitingTimes: true, livechat.Availability: true,
	livechat.Greetings: true,
}

// sameValue compares two metric values: equal, or both null. Weighted
// means are computed from different but equal sums on each side (v3.6
// combines the two queue groups from their averages), so they may differ
// in the last bits.
func sameValue(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*a))
}

// TestV36EqualsV2 is the "done when" at the digest level: for one
// seed every metric key both versions have is equal on v2 and v3.6 (and
// the chat ranking), in UTC; in New York and Warsaw, over a week with a
// DST change, for every report whose v2 endpoint takes a timezone. It runs
// unfiltered and with each filter both versions' methods take.
func TestV36EqualsV2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zone    string
		at      time.Time // a Monday: last_week is the week before
		filters Filters
	}{
		{"UTC", time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), Filters{}},
		{"UTC", time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), Filters{Group: "1"}},
		{"UTC", time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), Filters{Agent: "john.smith@example.com"}},
		{"UTC", time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), Filters{Tags: []string{"sales", "vip"}}},
		// Last week holds the spring change: Sun 2026-03-08 in New York,
		// Sun 2026-03-29 in Warsaw; the compare week has none.
		{"America/New_York", time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC), Filters{}},
		{"America/New_York", time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC), Filters{Group: "0"}},
		{"Europe/Warsaw", time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC), Filters{}},
		// The autumn change, Sun 2026-10-25 in Warsaw, in the compare week.
		{"Europe/Warsaw", time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC), Filters{Group: "2"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %+v", tt.zone, tt.at.Format(time.DateOnly), tt.filters), func(t *testing.T) {
			t.Parallel()
			p := newSimPair(t, tt.at, 7)
			loc := mustLoc(t, tt.zone)
			spec := Spec{Job: "eq", Location: loc, Period: Period{Kind: LastWeek}, Compare: PreviousPeriod, At: tt.at, Filters: tt.filters}
			d2, err := Build(t.Context(), p.v2, spec)
			require.NoError(t, err)
			d36, err := Build(t.Context(), p.v36, spec)
			require.NoError(t, err)
			require.Empty(t, d2.Errors)
			require.Empty(t, d36.Errors)

			compared := 0
			for _, m := range Catalogue {
				if !MetricOn(m, livechat.V2) || !MetricOn(m, livechat.V36) {
					continue
				}
				if tt.zone != "UTC" && !zoneEqual[m.Report] {
					continue
				}
				m2, _ := livechat.MethodOf(livechat.V2, m.Report)
				m36, _ := livechat.MethodOf(livechat.V36, m.Report)
				if need := livechat.QueryFilters(spec.query()); need&^m2.Filters != 0 || need&^m36.Filters != 0 {
					continue // one side could not filter: marked, not equal
				}
				a, ok2 := d2.Metrics[m.Key]
				b, ok36 := d36.Metrics[m.Key]
				require.True(t, ok2 && ok36, m.Key)
				assert.True(t, sameValue(a.Current, b.Current), "%s current: v2 %v, v3.6 %v", m.Key, deref(a.Current), deref(b.Current))
				assert.True(t, sameValue(a.Previous, b.Previous), "%s previous: v2 %v, v3.6 %v", m.Key, deref(a.Previous), deref(b.Previous))
				compared++
			}
			assert.Positive(t, compared)
			t.Logf("compared %d keys; v3.6 has %d keys, %d requests", compared, len(d36.Metrics), p.sim.Requests())
			if tt.zone == "UTC" && tt.filters.Agent == "" {
				assert.Equal(t, d2.Rankings.Chats, d36.Rankings.Chats, "chat ranking")
				assert.NotEmpty(t, d36.Rankings.Chats)
			}
			assert.Greater(t, *d36.Metrics["total_chats.chats"].Current, 0.0)
		})
	}
}

// TestV36EqualsV2WhereMidnightIsSkipped: in zones whose clock jumps from
// midnight to 01:00 (Santiago, Havana, Azores), a range that starts on
// that day starts at 01:00, and one that ends the day before ends at its
// last second: the v3.6 request must not reach into the day before (whose
// record in the answer made every report fail), and both versions count
// the same days. A partial day on that day reads as well.
func TestV36EqualsV2WhereMidnightIsSkipped(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ zone, gap, period string }{
		// The compared week starts on the day of the change.
		{"America/Santiago", "2026-09-06", "2026-09-13..2026-09-19"},
		{"America/Havana", "2026-03-08", "2026-03-15..2026-03-21"},
		{"Atlantic/Azores", "2026-03-29", "2026-04-05..2026-04-11"},
		// The current week ends on Santiago's 25-hour day, whose 23:00
		// comes twice (livechat's TestBuildV36 pins that to).
		{"America/Santiago", "2026-04-04", "2026-03-29..2026-04-04"},
	} {
		t.Run(tt.zone+" "+tt.gap, func(t *testing.T) {
			t.Parallel()
			loc := mustLoc(t, tt.zone)
			gap, err := livechat.ParseDate(tt.gap)
			require.NoError(t, err)
			p, err := ParsePeriod(tt.period)
			require.NoError(t, err)
			at := gap.AddDays(20).In(loc)
			pair := newSimPair(t, at, 7)
			spec := Spec{Job: "gap", Location: loc, Period: p, Compare: PreviousPeriod, At: at}
			d2, err := Build(t.Context(), pair.v2, spec)
			require.NoError(t, err)
			d36, err := Build(t.Context(), pair.v36, spec)
			require.NoError(t, err)
			require.Empty(t, d2.Errors)
			require.Empty(t, d36.Errors)
			for _, m := range Catalogue {
				if !zoneEqual[m.Report] || !MetricOn(m, livechat.V2) || !MetricOn(m, livechat.V36) {
					continue
				}
				a, b := d2.Metrics[m.Key], d36.Metrics[m.Key]
				assert.True(t, sameValue(a.Previous, b.Previous), "%s previous: v2 %v, v3.6 %v", m.Key, deref(a.Previous), deref(b.Previous))
				assert.True(t, sameValue(a.Current, b.Current), "%s current: v2 %v, v3.6 %v", m.Key, deref(a.Current), deref(b.Current))
			}

			// Today on that day, at 10:00 there.
			at = time.Date(gap.Year, gap.Month, gap.Day, 10, 0, 0, 0, loc)
			pair = newSimPair(t, at, 7)
			d, err := Build(t.Context(), pair.v36, Spec{Job: "today", Location: loc, Period: Period{Kind: Today}, Compare: PreviousPeriod, At: at})
			require.NoError(t, err)
			assert.Empty(t, d.Errors)
		})
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// BenchmarkBuildByAPI builds the same week-over-week digest through v2 and
// through v3.6 against the simulator with 20 ms of latency per answer, side
// by side: requests per digest and wall time (a fresh firing share per
// digest, so each digest makes all its requests).
func BenchmarkBuildByAPI(b *testing.B) {
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	s, err := sim.New(sim.Options{Seed: 7, Login: "login", APIKey: "key", Latency: 20 * time.Millisecond, Now: func() time.Time { return at }})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)
	for _, api := range livechat.APIs {
		b.Run("v"+string(api), func(b *testing.B) {
			c, err := livechat.New(srv.URL, "login", "key", livechat.WithAPI(api), livechat.WithRateLimit(rate.Inf, 1), livechat.WithMaxConcurrent(32))
			if err != nil {
				b.Fatal(err)
			}
			spec := Spec{Job: "bench", Location: time.UTC, Period: Period{Kind: LastWeek}, Compare: PreviousPeriod, At: at}
			for b.Loop() {
				// A share per digest, as a firing has: what one digest asks
				// twice is one request, and nothing carries over.
				sh := c.Firing(at)
				if _, err := Build(b.Context(), sh, spec); err != nil {
					b.Fatal(err)
				}
				sh.Close()
			}
			b.ReportMetric(float64(c.Requests())/float64(b.N), "requests/op")
		})
	}
}
