package digest

import (
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

// TestBuildSimulatorConsistency builds digests from the project simulator
// and checks that one day computed on its own (where availability and
// chatting_time come back as hour buckets in minutes) equals that day's
// entry in a week's digest (day buckets): hours add up into their day, and
// per-day values aggregate the same way as whole periods.
func TestBuildSimulatorConsistency(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	c := simClient(t, at)
	loc := mustLoc(t, "Europe/Warsaw")

	week, err := Build(t.Context(), c, Spec{Job: "week", Location: loc, Period: Period{Kind: LastWeek}, Compare: PreviousPeriod, At: at})
	require.NoError(t, err)
	assert.Empty(t, week.Errors)
	assert.Len(t, week.Metrics, len(catalogueOn(livechat.V2)))

	day := week.Period.From.AddDays(2)
	one, err := Build(t.Context(), c, Spec{Job: "day", Location: loc, Period: Period{Kind: Explicit, From: day, To: day}, Compare: NoCompare, At: at})
	require.NoError(t, err)
	assert.Empty(t, one.Errors)
	for _, m := range catalogueOn(livechat.V2) {
		got := one.Metrics[m.Key].Current
		want := week.Daily[m.Key].Current[2]
		if want == nil {
			assert.Nil(t, got, m.Key)
			continue
		}
		if assert.NotNil(t, got, m.Key) {
			assert.InDelta(t, *want, *got, 1e-6, m.Key)
		}
	}
	assert.Greater(t, *week.Metrics["availability.hours"].Current, 0.0)
}

// TestBuildLongestPeriod builds the longest explicit period, compared with
// the equally long period before it, from the simulator, which (like the
// API) refuses a request spanning more than MaxPeriodDays: every report must
// still answer, so no request may span the current and compare ranges
// together when they exceed the limit.
func TestBuildLongestPeriod(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	c := simClient(t, at)

	for _, compare := range []CompareMode{PreviousPeriod, SameWeekdayLastWeek} {
		t.Run(string(compare), func(t *testing.T) {
			t.Parallel()
			p, err := ParsePeriod("2024-11-22..2026-11-22")
			require.NoError(t, err)
			require.Equal(t, MaxPeriodDays, p.Range(at, time.UTC).Days())
			d, err := Build(t.Context(), c, Spec{Job: "two-years", Location: time.UTC, Period: p, Compare: compare, At: at})
			require.NoError(t, err)
			assert.Empty(t, d.Errors)
			assert.Len(t, d.Metrics, len(catalogueOn(livechat.V2)))
			chats := d.Metrics["total_chats.chats"]
			require.NotNil(t, chats.Current)
			require.NotNil(t, chats.Previous)
			assert.Greater(t, *chats.Current, 0.0)
			require.NotNil(t, d.Metrics["agents_occupancy.peak"].Current)
		})
	}
}

// simClient is the real client talking to the simulator over HTTP, mounted
// under a prefix, with the simulator's clock at at.
func simClient(t *testing.T, at time.Time) *livechat.Client {
	t.Helper()
	s, err := sim.New(sim.Options{Seed: 7, Login: "login", APIKey: "key", Now: func() time.Time { return at }})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/sim/", http.StripPrefix("/sim", s))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := livechat.New(srv.URL+"/sim", "login", "key",
		livechat.WithRetry(1, time.Millisecond, time.Millisecond), livechat.WithRateLimit(rate.Inf, 1))
	require.NoError(t, err)
	return c
}
