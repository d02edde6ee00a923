package digest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
)

// TestV36PartialPeriod: on v3.6 a partial period's cut day is asked for by
// day up to the elapsed wall-clock time (filters.to), not by the hour,
// whose v3.6 bucket keys are undocumented; per-period reports end there
// too. The current side then equals v2's, which counts the same hours.
func TestV36PartialPeriod(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 24, 9, 23, 30, 0, time.UTC) // 10:23:30 in Warsaw
	s, err := sim.New(sim.Options{Seed: 9, Login: "login", APIKey: "key", Now: func() time.Time { return at }})
	require.NoError(t, err)
	var mu sync.Mutex
	var tos []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			var body struct{ Filters struct{ To string } }
			_ = json.Unmarshal(b, &body)
			mu.Lock()
			tos = append(tos, strings.TrimPrefix(r.URL.Path, "/v3.6/reports/")+" "+body.Filters.To)
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	opts := []livechat.Option{livechat.WithRetry(1, time.Millisecond, time.Millisecond), livechat.WithRateLimit(rate.Inf, 1)}
	v2, err := livechat.New(srv.URL, "login", "key", opts...)
	require.NoError(t, err)
	v36, err := livechat.New(srv.URL, "login", "key", append(opts, livechat.WithAPI(livechat.V36))...)
	require.NoError(t, err)

	spec := Spec{Job: "today", Location: mustLoc(t, "Europe/Warsaw"), Period: Period{Kind: Today}, Compare: PreviousPeriod, At: at}
	// One firing's share: queued_visitors and queue_waiting_times read one
	// request whether or not they overlap in flight.
	sh := v36.Firing(at)
	t.Cleanup(sh.Close)
	d36, err := Build(t.Context(), sh, spec)
	require.NoError(t, err)
	require.Empty(t, d36.Errors)
	d2, err := Build(t.Context(), v2, spec)
	require.NoError(t, err)
	require.Empty(t, d2.Errors)

	mu.Lock()
	defer mu.Unlock()
	cut := map[string]bool{}
	for _, r := range tos {
		if strings.HasSuffix(r, "T10:23:29+01:00") {
			cut[strings.Fields(r)[0]+" "+r[len(r)-25:len(r)-15]] = true
		}
		assert.NotContains(t, r, "T23:59:59", "no request of a cut day runs to its end: %s", r)
	}
	for _, method := range []string{"chats/total_chats", "agents/performance", "customers/unique_visitors", "chats/ranking"} {
		assert.True(t, cut[method+" 2026-11-24"], "%s for today up to 10:23:29: %v", method, tos)
	}
	for _, method := range []string{"chats/total_chats", "agents/performance"} {
		assert.True(t, cut[method+" 2026-11-23"], "%s for yesterday up to 10:23:29: %v", method, tos)
	}
	// 10 bucketed reports × (today, yesterday) + ranking + 2 per-period × 2.
	assert.Len(t, tos, 25)

	assert.Equal(t, "10:23", d36.Until)
	for _, key := range []string{"total_chats.chats", "chat_ratings.good", "availability.hours", "greetings.displayed"} {
		a, b := d2.Metrics[key].Current, d36.Metrics[key].Current
		require.NotNil(t, a, key)
		require.NotNil(t, b, key)
		assert.InDelta(t, *a, *b, 1e-9, "%s: today until 10:23 on v2 and v3.6", key)
	}
}

// TestV2RefusesUntil: a v2 request cannot end at a time of day, and says so
// rather than answering the whole day.
func TestV2RefusesUntil(t *testing.T) {
	t.Parallel()
	c, err := livechat.New("http://127.0.0.1:1", "login", "key")
	require.NoError(t, err)
	_, err = c.Fetch(t.Context(), livechat.TotalChats, livechat.Query{From: livechat.Date{Year: 2026, Month: 11, Day: 24},
		To: livechat.Date{Year: 2026, Month: 11, Day: 24}, Until: 10 * time.Hour})
	assert.ErrorContains(t, err, "needs Reports API v3.6")
}
