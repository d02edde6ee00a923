package ui

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"livechat-digest/digest"
	"livechat-digest/livechat"
	"livechat-digest/templates"
)

type fakeData struct{}

func (fakeData) Overview(context.Context, time.Time) (Overview, error) {
	return Overview{Jobs: []Job{{Name: "weekly-support", Schedule: "0 9 * * MON", Timezone: "UTC"}},
		Queue: []Delivery{{ID: 7, Job: "weekly-support", Target: "email:a@example.com", Status: "failed", LastError: "<b>451</b>"}}}, nil
}

func (fakeData) Job(_ context.Context, name string, _ time.Time) (JobDetail, error) {
	if name != "weekly-support" {
		return JobDetail{}, ErrNoJob
	}
	return JobDetail{Job: Job{Name: name}}, nil
}

// countingPreviewer counts builds per job and holds each until released.
type countingPreviewer struct {
	mu       sync.Mutex
	calls    map[string]int
	release  chan struct{}
	started  chan string
	buildCtx []context.Context
}

func (p *countingPreviewer) Preview(ctx context.Context, job string, at time.Time) (*digest.Digest, error) {
	p.mu.Lock()
	p.calls[job]++
	p.buildCtx = append(p.buildCtx, ctx)
	p.mu.Unlock()
	p.started <- job
	<-p.release
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, _ := livechat.ParseDate("2026-11-16")
	return &digest.Digest{Job: job, Period: digest.DateRange{From: d, To: d}}, nil
}

type requeueFunc func(ctx context.Context, id int64) (int, error)

func (f requeueFunc) Requeue(ctx context.Context, id int64) (int, error) { return f(ctx, id) }

func newTestUI(t *testing.T, o Options) *UI {
	t.Helper()
	r, err := templates.New("")
	require.NoError(t, err)
	o.Secret = "0123456789abcdef0123456789abcdef"
	o.Renderer = r
	if o.Data == nil {
		o.Data = fakeData{}
	}
	if o.Previewer == nil {
		o.Previewer = &countingPreviewer{calls: map[string]int{}, release: closed(), started: make(chan string, 100)}
	}
	if o.Requeuer == nil {
		o.Requeuer = requeueFunc(func(context.Context, int64) (int, error) { return 1, nil })
	}
	u, err := New(o)
	require.NoError(t, err)
	return u
}

func closed() chan struct{} { c := make(chan struct{}); close(c); return c }

// TestPreviewOneBuildPerJob: concurrent requests for one job's preview
// share one build; a reload within previewTTL reuses it; a request that
// goes away does not cancel the build others wait for.
func TestPreviewOneBuildPerJob(t *testing.T) {
	t.Parallel()
	p := &countingPreviewer{calls: map[string]int{}, release: make(chan struct{}), started: make(chan string, 100)}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	pv := newPreviews(p, time.Minute, time.Hour, func() time.Time { return *clock.Load() })

	gone, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	wg.Add(1)
	go func() { defer wg.Done(); _, _, err := pv.get(gone, "a"); errs <- err }()
	<-p.started // the first request's build is under way
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _, err := pv.get(context.Background(), "a"); errs <- err }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); _, _, err := pv.get(context.Background(), "b"); errs <- err }()
	<-p.started // b builds on its own
	cancel()    // the first request goes away (a reload)
	close(p.release)
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if errors.Is(err, context.Canceled) {
			n++
			continue
		}
		assert.NoError(t, err)
	}
	assert.LessOrEqual(t, n, 1, "only the request that went away sees its own end")
	assert.Equal(t, map[string]int{"a": 1, "b": 1}, p.calls, "one build per job")
	// The builds returned digests, not ctx errors (Preview checks its ctx
	// after release): the first request going away did not end them.
	for _, c := range p.buildCtx {
		_, hasDeadline := c.Deadline()
		assert.True(t, hasDeadline, "the build has its own timeout")
	}

	_, _, err := pv.get(context.Background(), "a")
	require.NoError(t, err)
	assert.Equal(t, 1, p.calls["a"], "a reload within the TTL reuses the build")
	later := now.Add(previewTTL)
	clock.Store(&later)
	p.started = make(chan string, 1)
	_, _, err = pv.get(context.Background(), "a")
	require.NoError(t, err)
	assert.Equal(t, 2, p.calls["a"], "a stale preview is built again")
}

// TestPreviewMissedByAMomentIsNotBuiltTwice: a request that found no
// preview just before another request's build of it finished joins that
// result instead of building it again (CI once saw the race as two builds
// in TestPreviewOneBuildPerJob).
func TestPreviewMissedByAMomentIsNotBuiltTwice(t *testing.T) {
	t.Parallel()
	p := &countingPreviewer{calls: map[string]int{}, release: closed(), started: make(chan string, 10)}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	pv := newPreviews(p, time.Minute, time.Hour, func() time.Time { return now })
	paused, proceed := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	pv.missed = func(string) {
		if first.CompareAndSwap(false, true) { // only the first request waits here
			close(paused)
			<-proceed
		}
	}
	errs := make(chan error, 1)
	go func() { _, _, err := pv.get(context.Background(), "a"); errs <- err }()
	<-paused // it missed the cache; meanwhile another request builds
	_, _, err := pv.get(context.Background(), "a")
	require.NoError(t, err)
	close(proceed)
	require.NoError(t, <-errs)
	assert.Equal(t, map[string]int{"a": 1}, p.calls, "one build")
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	u := newTestUI(t, Options{ProxyUserHeader: "X-User", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}})
	get := func(path string) *http.Response {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = "192.0.2.7:5555"
		req.Header.Set("X-User", "ops")
		rec := httptest.NewRecorder()
		u.Handler().ServeHTTP(rec, req)
		return rec.Result()
	}
	page := get("/")
	assert.Equal(t, http.StatusOK, page.StatusCode)
	assert.Equal(t, pageCSP, page.Header.Get("Content-Security-Policy"))
	assert.Contains(t, pageCSP, "frame-ancestors 'none'")
	assert.NotContains(t, pageCSP, "script-src", "no scripts at all (default-src 'none')")
	assert.Equal(t, "DENY", page.Header.Get("X-Frame-Options"))
	assert.Equal(t, "nosniff", page.Header.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-referrer", page.Header.Get("Referrer-Policy"))

	pv := get("/jobs/weekly-support/preview.html")
	assert.Equal(t, http.StatusOK, pv.StatusCode)
	assert.Equal(t, previewCSP, pv.Header.Get("Content-Security-Policy"))
	assert.Contains(t, previewCSP, "frame-ancestors 'self'")
	assert.Equal(t, "SAMEORIGIN", pv.Header.Get("X-Frame-Options"))

	assert.Equal(t, http.StatusNotFound, get("/jobs/nosuch").StatusCode)
}

// TestSessionCookie: a sign-in sets an HttpOnly, SameSite, Secure cookie
// with the __Host- prefix; a tampered cookie, or a good value planted
// under the name without the prefix, signs nobody in; a POST without the CSRF token is
// refused even with a valid session.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	require.NoError(t, err)
	var requeued atomic.Int64
	u := newTestUI(t, Options{Secure: true, Users: map[string]string{"admin": string(hash)},
		Requeuer: requeueFunc(func(_ context.Context, id int64) (int, error) { requeued.Store(id); return 1, nil })})
	srv := httptest.NewServer(u.Handler())
	t.Cleanup(srv.Close)
	c, session, token := signIn(t, srv, "admin", "pw")
	assert.True(t, session.HttpOnly)
	assert.True(t, session.Secure)
	assert.Equal(t, http.SameSiteLaxMode, session.SameSite)
	// __Host-: the browser takes it only from https, for the whole host
	// and no other, so a sibling subdomain cannot plant one.
	assert.Equal(t, "__Host-"+sessionCookie, session.Name)
	assert.Equal(t, "/", session.Path)
	assert.Empty(t, session.Domain)

	res, err := c.Get(srv.URL + "/")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	body := readAll(t, res)
	assert.Contains(t, body, "&lt;b&gt;451&lt;/b&gt;", "data is escaped")

	res, err = c.PostForm(srv.URL+"/deliveries/7/requeue", url.Values{})
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "no CSRF token")
	assert.Zero(t, requeued.Load())
	res, err = c.PostForm(srv.URL+"/deliveries/7/requeue", url.Values{"csrf": {token}})
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, int64(7), requeued.Load())

	for name, ck := range map[string]*http.Cookie{
		"other user":                 {Name: session.Name, Value: strings.Replace(session.Value, session.Value[:4], "bWFs", 1)},
		"no signature":               {Name: session.Name, Value: session.Value[:strings.LastIndexByte(session.Value, '.')]},
		"garbage":                    {Name: session.Name, Value: "x.y.z"},
		"planted without the prefix": {Name: sessionCookie, Value: session.Value},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
		req.AddCookie(ck)
		res, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		assert.Equal(t, http.StatusSeeOther, res.StatusCode, name)
		assert.Equal(t, "/login", res.Header.Get("Location"), name)
	}
}

// unsubData is fakeData with an unsubscription whose address is hostile.
type unsubData struct{ fakeData }

func (unsubData) Overview(context.Context, time.Time) (Overview, error) {
	return Overview{Jobs: []Job{{Name: "weekly-support"}},
		Unsubscribed: []Unsubscribed{{Job: "weekly-support", Address: `"><script>x</script>@example.com`}}}, nil
}

type resubscribeFunc func(ctx context.Context, job, address string) (bool, error)

func (f resubscribeFunc) Resubscribe(ctx context.Context, job, address string) (bool, error) {
	return f(ctx, job, address)
}

// TestResubscribeButton: each unsubscription on the front page has a
// Re-subscribe button, which needs the session's CSRF token and passes the
// job and address as listed; without a Resubscriber there is neither
// button nor route.
func TestResubscribeButton(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	require.NoError(t, err)
	var mu sync.Mutex
	var got [][2]string
	u := newTestUI(t, Options{Users: map[string]string{"admin": string(hash)}, Data: unsubData{},
		Resubscriber: resubscribeFunc(func(_ context.Context, job, address string) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, [2]string{job, address})
			return true, nil
		})})
	srv := httptest.NewServer(u.Handler())
	t.Cleanup(srv.Close)
	c, _, token := signIn(t, srv, "admin", "pw")

	res, err := c.Get(srv.URL + "/")
	require.NoError(t, err)
	body := readAll(t, res)
	assert.Contains(t, body, `action="/unsubscribes/resubscribe"`)
	assert.Contains(t, body, `value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;@example.com"`, "the address is escaped")
	assert.NotContains(t, body, "<script>x")

	form := url.Values{"job": {"weekly-support"}, "address": {`"><script>x</script>@example.com`}}
	res, err = c.PostForm(srv.URL+"/unsubscribes/resubscribe", form)
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "no CSRF token")
	form.Set("csrf", token)
	res, err = c.PostForm(srv.URL+"/unsubscribes/resubscribe", form)
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/?resubscribed=1#notice", res.Header.Get("Location"))
	long := strings.Repeat("a", maxFormField)
	for _, tc := range []struct {
		job, address string
		status       int
	}{
		{"weekly-support", "", http.StatusBadRequest},
		{"", "a@example.com", http.StatusBadRequest},
		{long, long, http.StatusSeeOther}, // at the bound
		{long + "a", "a@example.com", http.StatusBadRequest},
		{"weekly-support", long + "a", http.StatusBadRequest},
	} {
		form.Set("job", tc.job)
		form.Set("address", tc.address)
		res, err = c.PostForm(srv.URL+"/unsubscribes/resubscribe", form)
		require.NoError(t, err)
		_ = res.Body.Close()
		assert.Equal(t, tc.status, res.StatusCode, "job %d bytes, address %d bytes", len(tc.job), len(tc.address))
	}
	mu.Lock()
	assert.Equal(t, [][2]string{{"weekly-support", `"><script>x</script>@example.com`}, {long, long}}, got)
	mu.Unlock()

	res, err = c.Get(srv.URL + "/?resubscribed=1")
	require.NoError(t, err)
	assert.Contains(t, readAll(t, res), "Re-subscribed: the address gets the job")

	plain := newTestUI(t, Options{Users: map[string]string{"admin": string(hash)}, Data: unsubData{}})
	psrv := httptest.NewServer(plain.Handler())
	t.Cleanup(psrv.Close)
	pc, _, ptoken := signIn(t, psrv, "admin", "pw")
	res, err = pc.Get(psrv.URL + "/")
	require.NoError(t, err)
	assert.NotContains(t, readAll(t, res), "Re-subscribe")
	res, err = pc.PostForm(psrv.URL+"/unsubscribes/resubscribe", url.Values{"csrf": {ptoken}, "job": {"j"}, "address": {"a@example.com"}})
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.NotEqual(t, http.StatusSeeOther, res.StatusCode, "no route without a Resubscriber")
}
