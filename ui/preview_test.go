package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// weeklyData is one weekly job whose next run is Monday 09:00 in New York.
type weeklyData struct{ fakeData }

func (weeklyData) Job(_ context.Context, name string, _ time.Time) (JobDetail, error) {
	if name != "weekly-support" {
		return JobDetail{}, ErrNoJob
	}
	ny, _ := time.LoadLocation("America/New_York")
	return JobDetail{Job: Job{Name: name, Schedule: "0 9 * * MON", Timezone: "America/New_York",
		Next: []time.Time{time.Date(2026, 11, 30, 9, 0, 0, 0, ny)}}, NextCovers: "2026-11-23 – 2026-11-29"}, nil
}

// weekPreviewer builds last week as of a Sunday: the week before the one
// the next run sends.
type weekPreviewer struct{}

func (weekPreviewer) Preview(_ context.Context, job string, _ time.Time) (*digest.Digest, error) {
	from, _ := livechat.ParseDate("2026-11-16")
	return &digest.Digest{Job: job, Timezone: "America/New_York",
		Period:  digest.DateRange{From: from, To: from.AddDays(6)},
		Compare: &digest.DateRange{From: from.AddDays(-7), To: from.AddDays(-1)}}, nil
}

// proxied is a request from a trusted proxy naming user ops.
func proxied(method, path string) *http.Request {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = "192.0.2.7:5555"
	req.Header.Set("X-User", "ops")
	return req
}

var proxyOptions = Options{ProxyUserHeader: "X-User", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}

// TestPreviewSaysWhatItCovers: the preview is built as if the job ran now,
// which for last_week on a Sunday is the week the last run sent, not the
// week the next run sends. The page says both periods, in the job's zone,
// so nobody takes one for the other.
func TestPreviewSaysWhatItCovers(t *testing.T) {
	t.Parallel()
	o := proxyOptions
	o.Data, o.Previewer = weeklyData{}, weekPreviewer{}
	o.Now = func() time.Time { return time.Date(2026, 11, 29, 15, 32, 0, 0, time.UTC) }
	u := newTestUI(t, o)
	rec := httptest.NewRecorder()
	u.Handler().ServeHTTP(rec, proxied(http.MethodGet, "/jobs/weekly-support"))
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, `id="preview-what"`)
	assert.Contains(t, body, "if it ran now, at 2026-11-29 10:32 EST: the period <b>2026-11-16 – 2026-11-22</b>, compared with 2026-11-09 – 2026-11-15.")
	assert.Contains(t, body, "Its next scheduled run, 2026-11-30 09:00 EST, covers <b>2026-11-23 – 2026-11-29</b>")
}

// blockingPreviewer builds only when released, and counts its builds.
type blockingPreviewer struct {
	release chan struct{}
	builds  atomic.Int32
	done    chan struct{}
}

func (p *blockingPreviewer) Preview(ctx context.Context, job string, at time.Time) (*digest.Digest, error) {
	p.builds.Add(1)
	defer func() { p.done <- struct{}{} }()
	select {
	case <-p.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return weekPreviewer{}.Preview(ctx, job, at)
}

// TestSlowPreviewAnswersInTime: a build slower than the HTTP server's
// write timeout (a slow upstream, a rate limit shared with firing jobs)
// leaves the page saying it is under way, within the page's wait, instead
// of the server cutting the connection with no answer; the build goes on
// and a reload shows it. Before, the page waited for the build (up to
// 90 s) and serve's 30 s write timeout cut it off: an empty reply.
func TestSlowPreviewAnswersInTime(t *testing.T) {
	t.Parallel()
	p := &blockingPreviewer{release: make(chan struct{}), done: make(chan struct{}, 10)}
	o := proxyOptions
	o.Data, o.Previewer = weeklyData{}, p
	o.PreviewWait = 10 * time.Millisecond
	u := newTestUI(t, o)
	srv := httptest.NewUnstartedServer(u.Handler())
	srv.Config.WriteTimeout = 5 * time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-p.release:
		default:
			close(p.release)
		}
	})
	c := &http.Client{Timeout: 30 * time.Second} // a hang guard
	get := func(path string) (int, string, http.Header) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("X-User", "ops")
		res, err := c.Do(req)
		require.NoError(t, err, "the page answers")
		return res.StatusCode, readAll(t, res), res.Header
	}
	// httptest's address is loopback: trust it as the proxy.
	u.o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

	code, body, _ := get("/jobs/weekly-support")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `id="preview-pending"`)
	assert.NotContains(t, body, `<iframe`)
	code, body, h := get("/jobs/weekly-support/preview.html")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "5", h.Get("Retry-After"))
	assert.Contains(t, body, "still being built")
	assert.Equal(t, int32(1), p.builds.Load(), "the page and its frame wait for one build")

	close(p.release)
	<-p.done
	code, body, _ = get("/jobs/weekly-support")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `id="preview-what"`)
	assert.Equal(t, int32(1), p.builds.Load(), "the finished build is shown")
}

// TestSlowBuildIsReusedAfterItFinishes: previewTTL runs from when a build
// finished, not from when it started, so a build slower than the TTL is
// still shown on the next reload instead of starting another one (which
// would again be stale when done: the page would never show a preview).
func TestSlowBuildIsReusedAfterItFinishes(t *testing.T) {
	t.Parallel()
	p := &blockingPreviewer{release: make(chan struct{}), done: make(chan struct{}, 10)}
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	var now atomic.Pointer[time.Time]
	now.Store(&start)
	pv := newPreviews(p, time.Hour, time.Millisecond, func() time.Time { return *now.Load() })

	_, _, err := pv.get(t.Context(), "a")
	require.ErrorIs(t, err, errPreviewPending)
	finished := start.Add(3 * previewTTL) // the build took three TTLs
	now.Store(&finished)
	close(p.release)
	<-p.done
	reload := finished.Add(previewTTL / 2)
	now.Store(&reload)
	require.Eventually(t, func() bool {
		d, at, err := pv.get(t.Context(), "a")
		return err == nil && d != nil && at.Equal(start)
	}, 10*time.Second, time.Millisecond)
	assert.Equal(t, int32(1), p.builds.Load(), "no second build")
}
