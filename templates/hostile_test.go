package templates

import (
	stdcontext "context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// hostileRanking answers chats/ratings/ranking with 2,000 agents; 50 of
// them, among the first rows, have 100 KB names (multi-byte, with bidi
// overrides and control characters), about 5 MB in all.
func hostileRanking(t testing.TB) *livechat.Client {
	t.Helper()
	type line struct {
		Name  string  `json:"name"`
		Good  int     `json:"good"`
		Bad   int     `json:"bad"`
		Total int     `json:"total"`
		Score float64 `json:"score"`
	}
	var rows []line
	for i := range 2000 {
		name := fmt.Sprintf("agent-%04d@example.com", i)
		if i%2 == 0 && i < 100 {
			// 2-byte runes, so a cut by bytes would split one.
			name = "\u202eé\x07\x00" + strings.Repeat("é", 50_000)
		}
		rows = append(rows, line{Name: name, Good: 2000 - i, Bad: 1, Total: 2001 - i, Score: 0.99})
	}
	body, err := json.Marshal(map[string]any{"ranking": rows})
	require.NoError(t, err)
	require.Less(t, len(body), 8<<20, "within the client's answer cap")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/chats/ratings/ranking") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := livechat.New(srv.URL+"/api", "login", "key",
		livechat.WithRetry(1, time.Millisecond, time.Millisecond), livechat.WithRateLimit(rate.Inf, 1))
	require.NoError(t, err)
	return c
}

// hostileDigest builds the digest of a job that asks for the chat ranking
// from the hostile upstream.
func hostileDigest(t testing.TB, c *livechat.Client) *digest.Digest {
	t.Helper()
	d, err := digest.Build(stdcontext.Background(), c, digest.Spec{
		Job: "weekly", Location: time.UTC, Period: digest.Period{Kind: digest.LastWeek},
		At: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Reports: []livechat.Report{livechat.ChatRanking},
	})
	require.NoError(t, err)
	require.Empty(t, d.Errors)
	require.Len(t, d.Rankings.Chats, 2000)
	return d
}

// A ranking of 2,000 agents with 100 KB names makes a small message in
// every format, and building and rendering it allocates a bounded amount.
// Before rows and names were capped, the widest name padded every row of
// the text table: a 200 MB email.
func TestHostileUpstreamMakesASmallMessage(t *testing.T) {
	// Not parallel: the heap is measured.
	r := newRenderer(t)
	c := hostileRanking(t)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := hostileDigest(t, c)
	var built runtime.MemStats
	runtime.ReadMemStats(&built)
	email, err := r.Email(d, "")
	require.NoError(t, err)
	slack, err := r.Render(d, FormatSlack)
	require.NoError(t, err)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("build + email + slack allocated %.1f MiB (rendering %.1f MiB); text %d B, html %d B, slack %d B",
		float64(allocated)/(1<<20), float64(after.TotalAlloc-built.TotalAlloc)/(1<<20), len(email.Text), len(email.HTML), len(slack))
	// The answer itself is ~5 MB; reading and decoding it takes about ten
	// times that (54 MiB measured). Rendering adds about 1 MiB; before the
	// caps it was over 600 MiB.
	assert.Less(t, allocated, uint64(96<<20), "bytes allocated")
	assert.Less(t, after.TotalAlloc-built.TotalAlloc, uint64(8<<20), "bytes allocated by rendering")

	assert.Less(t, len(email.Text), 32<<10)
	assert.Less(t, len(email.HTML), 128<<10)
	assert.Less(t, len(slack), 16<<10)
	for name, out := range map[string]string{"text": email.Text, "html": email.HTML, "slack": string(slack)} {
		assert.True(t, utf8.ValidString(out), name)
		more := "and 1950 more" // rows past 50
		if name == "slack" {
			more = "and 1985 more" // Slack lists 15
		}
		assert.Contains(t, out, more, name)
		assert.Contains(t, out, "éé…", "%s: names clipped with …", name)
		assert.NotContains(t, out, "\u202e", name)
		assert.NotContains(t, out, "\x07", name)
		assert.NotContains(t, out, "\x00", name)
	}
	// The JSON keeps the ranking as returned.
	j, err := r.Render(d, FormatJSON)
	require.NoError(t, err)
	var back digest.Digest
	require.NoError(t, json.Unmarshal(j, &back))
	assert.Len(t, back.Rankings.Chats, 2000)
	assert.Equal(t, 50_001, utf8.RuneCountInString(back.Rankings.Chats[0].Agent), "full name, control characters stripped")
}

func BenchmarkHostileUpstream(b *testing.B) {
	r, err := New("")
	require.NoError(b, err)
	c := hostileRanking(b)
	d := hostileDigest(b, c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Email(d, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// An upstream mean of 1e308 over several days overflows the weighted sum:
// the value is null in the JSON (and "—" elsewhere), never a failed render.
func TestOverflowingAverageIsNull(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/chats/first_response_time") {
			http.NotFound(w, r)
			return
		}
		days := map[string]any{}
		for d := 9; d <= 22; d++ {
			days[fmt.Sprintf("2026-11-%02d", d)] = map[string]any{"first_response_time": map[string]any{"count": 10, "seconds": 1e308}}
		}
		_ = json.NewEncoder(w).Encode(days)
	}))
	t.Cleanup(srv.Close)
	c, err := livechat.New(srv.URL+"/api", "login", "key",
		livechat.WithRetry(1, time.Millisecond, time.Millisecond), livechat.WithRateLimit(rate.Inf, 1))
	require.NoError(t, err)
	d, err := digest.Build(stdcontext.Background(), c, digest.Spec{
		Job: "weekly", Location: time.UTC, Period: digest.Period{Kind: digest.LastWeek}, Compare: digest.PreviousPeriod,
		At: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Reports: []livechat.Report{livechat.ChatsFirstResponseTime},
	})
	require.NoError(t, err)
	require.Empty(t, d.Errors)

	r := newRenderer(t)
	for _, f := range Formats {
		out, err := r.Render(d, f)
		require.NoError(t, err, f)
		if f == FormatJSON {
			var back struct {
				Metrics map[string]map[string]any `json:"metrics"`
			}
			require.NoError(t, json.Unmarshal(out, &back))
			v := back.Metrics["chats_first_response_time.seconds"]
			require.Contains(t, v, "current")
			assert.Nil(t, v["current"], "an overflowing mean is null")
			assert.Nil(t, v["change"])
			assert.Equal(t, 70.0, back.Metrics["chats_first_response_time.count"]["current"], "the counts are still there")
		}
	}
	// A hand-made digest with an infinity renders too.
	inf := math.Inf(1)
	d.Metrics["total_chats.chats"] = digest.Value{Current: &inf}
	_, err = r.Render(d, FormatJSON)
	require.NoError(t, err)
}
