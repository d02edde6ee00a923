package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"livechat-digest/unsubscribe"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs user in on srv with a fresh jar and returns the client, its
// session cookie and the CSRF token of the page after sign-in.
func signIn(t *testing.T, srv *httptest.Server, user, pw string) (*http.Client, *http.Cookie, string) {
	t.Helper()
	c := &http.Client{Jar: newJar(t), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(srv.URL + "/login")
	require.NoError(t, err)
	token := csrfField.FindStringSubmatch(readAll(t, res))[1]
	res, err = c.PostForm(srv.URL+"/login", url.Values{"csrf": {token}, "user": {user}, "password": {pw}})
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	var session *http.Cookie
	for _, ck := range res.Cookies() {
		if strings.TrimPrefix(ck.Name, "__Host-") == sessionCookie {
			session = ck
		}
	}
	require.NotNil(t, session)
	res, err = c.Get(srv.URL + "/")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	return c, session, csrfField.FindStringSubmatch(readAll(t, res))[1]
}

// TestCSRFTokenIsTheUsers: the CSRF cookie can be planted by a sibling
// subdomain (cookies do not keep to one host) or over plain http, so a
// token must not pass with someone else's session. Here the attacker got a
// csrf cookie and its token from the sign-in form (anyone can), and from
// its own session, and plants the cookie in the victim's browser: the
// victim's POST with the attacker's token is refused. Before, the token
// was an HMAC of the cookie alone and went through.
func TestCSRFTokenIsTheUsers(t *testing.T) {
	t.Parallel()
	admin, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	require.NoError(t, err)
	mallory, err := bcrypt.GenerateFromPassword([]byte("mpw"), bcrypt.MinCost)
	require.NoError(t, err)
	var requeued atomic.Int64
	u := newTestUI(t, Options{Users: map[string]string{"admin": string(admin), "mallory": string(mallory)},
		Requeuer: requeueFunc(func(_ context.Context, id int64) (int, error) { requeued.Add(1); return 1, nil })})
	srv := httptest.NewServer(u.Handler())
	t.Cleanup(srv.Close)

	// What an attacker can get: a cookie and token pair from the sign-in
	// form, and one from its own session.
	anon := &http.Client{Jar: newJar(t)}
	res, err := anon.Get(srv.URL + "/login")
	require.NoError(t, err)
	formToken := csrfField.FindStringSubmatch(readAll(t, res))[1]
	srvURL, _ := url.Parse(srv.URL)
	formSeed := anon.Jar.Cookies(srvURL)[0].Value
	mc, _, malloryToken := signIn(t, srv, "mallory", "mpw")
	var mallorySeed string
	for _, ck := range mc.Jar.Cookies(srvURL) {
		if ck.Name == csrfCookie {
			mallorySeed = ck.Value
		}
	}
	require.NotEmpty(t, mallorySeed)

	_, session, _ := signIn(t, srv, "admin", "pw")
	post := func(seed, token string) int {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/deliveries/7/requeue", strings.NewReader(url.Values{"csrf": {token}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(session)
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: seed}) // planted
		res, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, http.StatusForbidden, post(formSeed, formToken), "the sign-in form's token")
	assert.Equal(t, http.StatusForbidden, post(mallorySeed, malloryToken), "another user's token")
	assert.Zero(t, requeued.Load())

	// The victim's own page still works with a planted cookie: its token
	// is made from whatever cookie it has.
	victim := &http.Client{Jar: newJar(t), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	victim.Jar.SetCookies(srvURL, []*http.Cookie{session, {Name: csrfCookie, Value: formSeed}})
	res, err = victim.Get(srv.URL + "/")
	require.NoError(t, err)
	token := csrfField.FindStringSubmatch(readAll(t, res))[1]
	res, err = victim.PostForm(srv.URL+"/deliveries/7/requeue", url.Values{"csrf": {token}})
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, int64(1), requeued.Load())
}

// TestPasswordChangeEndsSessions: a session is signed with the user's
// hash too, so changing the password in the config (after a leak, say)
// signs out every session made with the old one, on every replica, instead
// of leaving them valid for up to 12 hours.
func TestPasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	old, err := bcrypt.GenerateFromPassword([]byte("leaked"), bcrypt.MinCost)
	require.NoError(t, err)
	u := newTestUI(t, Options{Users: map[string]string{"admin": string(old)}})
	srv := httptest.NewServer(u.Handler())
	t.Cleanup(srv.Close)
	_, session, _ := signIn(t, srv, "admin", "leaked")

	get := func(h http.Handler) int {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(session)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	assert.Equal(t, http.StatusOK, get(u.Handler()), "the session works")
	same := newTestUI(t, Options{Users: map[string]string{"admin": string(old)}})
	assert.Equal(t, http.StatusOK, get(same.Handler()), "on another replica with the same config too")

	changed, err := bcrypt.GenerateFromPassword([]byte("new"), bcrypt.MinCost)
	require.NoError(t, err)
	after := newTestUI(t, Options{Users: map[string]string{"admin": string(changed)}})
	assert.Equal(t, http.StatusSeeOther, get(after.Handler()), "the old session signs nobody in")
}

// TestSignInsRunOneAtATime: a bcrypt check costs tens of milliseconds of
// CPU on purpose; a flood of sign-in attempts may use at most one core for
// them, so the scheduler and slash-command acks keep the rest. An attempt
// while one is being checked is told to try again (429) without a check.
// Before, every attempt ran its own check at once.
func TestSignInsRunOneAtATime(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	require.NoError(t, err)
	u := newTestUI(t, Options{Users: map[string]string{"admin": string(hash)}})
	entered, release := make(chan struct{}), make(chan struct{})
	var checks atomic.Int32
	u.compare = func(h, pw []byte) error {
		checks.Add(1)
		entered <- struct{}{}
		<-release
		return bcrypt.CompareHashAndPassword(h, pw)
	}
	srv := httptest.NewServer(u.Handler())
	t.Cleanup(srv.Close)
	attempt := func(c *http.Client, csrf string) *http.Response {
		res, err := c.PostForm(srv.URL+"/login", url.Values{"csrf": {csrf}, "user": {"admin"}, "password": {"guess"}})
		require.NoError(t, err)
		return res
	}
	newClient := func() (*http.Client, string) {
		c := &http.Client{Jar: newJar(t)}
		res, err := c.Get(srv.URL + "/login")
		require.NoError(t, err)
		return c, csrfField.FindStringSubmatch(readAll(t, res))[1]
	}
	first, firstCSRF := newClient()
	done := make(chan int, 1)
	go func() { res := attempt(first, firstCSRF); _ = res.Body.Close(); done <- res.StatusCode }()
	<-entered // the first check is under way

	for range 5 {
		c, csrf := newClient()
		res := attempt(c, csrf)
		body := readAll(t, res)
		assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
		assert.Equal(t, "1", res.Header.Get("Retry-After"))
		assert.Contains(t, body, "Too many sign-in attempts at once")
	}
	assert.Equal(t, int32(1), checks.Load(), "the refused attempts ran no check")
	close(release)
	assert.Equal(t, http.StatusUnauthorized, <-done)

	c, csrf := newClient()
	go func() { <-entered }()
	res := attempt(c, csrf)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "the slot is free again")
}

type unsubFunc func(ctx context.Context, job, address string, now time.Time) (bool, error)

func (f unsubFunc) Unsubscribe(ctx context.Context, job, address string, now time.Time) (bool, error) {
	return f(ctx, job, address, now)
}

// TestEveryAnswerCarriesTheSecurityHeaders: errors, refusals, 404s, 405s,
// redirects and the unsubscribe pages carry them as the pages do; only the
// framed preview has its own CSP. A GET of an unsubscribe link changes
// nothing, whatever the token.
func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	t.Parallel()
	signer, err := unsubscribe.NewSigner("0123456789abcdef0123456789abcdef")
	require.NoError(t, err)
	var unsubscribed atomic.Int32
	o := proxyOptions
	o.Unsubscribe = &UnsubscribeOptions{Signer: signer, Store: unsubFunc(func(context.Context, string, string, time.Time) (bool, error) {
		unsubscribed.Add(1)
		return true, nil
	})}
	u := newTestUI(t, o)
	good := url.QueryEscape(signer.Token("weekly-support", "a@example.com"))
	for _, tc := range []struct {
		method, path, remote string
		status               int
	}{
		{http.MethodGet, "/", "192.0.2.7:1", http.StatusOK},
		{http.MethodGet, "/", "198.51.100.1:1", http.StatusForbidden}, // the header from an untrusted address
		{http.MethodGet, "/nosuch/path", "192.0.2.7:1", http.StatusNotFound},
		{http.MethodGet, "/jobs/nosuch", "192.0.2.7:1", http.StatusNotFound},
		{http.MethodGet, "/deliveries/7/requeue", "192.0.2.7:1", http.StatusMethodNotAllowed},
		{http.MethodPost, "/deliveries/7/requeue", "192.0.2.7:1", http.StatusForbidden}, // no CSRF token
		{http.MethodPost, "/deliveries/x/requeue", "192.0.2.7:1", http.StatusForbidden},
		{http.MethodGet, "/unsubscribe?t=" + good, "198.51.100.1:1", http.StatusOK},
		{http.MethodGet, "/unsubscribe?t=" + good + "x", "198.51.100.1:1", http.StatusBadRequest},
		{http.MethodGet, "/unsubscribe", "198.51.100.1:1", http.StatusBadRequest},
		{http.MethodPost, "/unsubscribe?t=" + good, "198.51.100.1:1", http.StatusBadRequest}, // no List-Unsubscribe=One-Click
		{http.MethodGet, "/static/ui.css", "198.51.100.1:1", http.StatusOK},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.RemoteAddr = tc.remote
		req.Header.Set("X-User", "ops")
		rec := httptest.NewRecorder()
		u.Handler().ServeHTTP(rec, req)
		name := tc.method + " " + tc.path
		assert.Equal(t, tc.status, rec.Code, name)
		h := rec.Result().Header
		assert.Equal(t, pageCSP, h.Get("Content-Security-Policy"), name)
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), name)
		assert.Equal(t, "DENY", h.Get("X-Frame-Options"), name)
		assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"), name)
	}
	assert.Zero(t, unsubscribed.Load(), "no GET (and no POST without One-Click) unsubscribed anyone")
}

// TestUnknownNameCostsAsMuchAsAWrongPassword: the password of a name that
// is not configured is checked against a hash of the configured cost, so
// the time a refusal takes does not tell which names exist. Before, it
// was a fixed cost-10 hash: next to cost-12 users, a wrong name was
// refused four times faster than a wrong password.
func TestUnknownNameCostsAsMuchAsAWrongPassword(t *testing.T) {
	t.Parallel()
	const cost = bcrypt.MinCost + 2
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), cost)
	require.NoError(t, err)
	u := newTestUI(t, Options{Users: map[string]string{"admin": string(hash)}})
	var costs []int
	u.compare = func(h, pw []byte) error {
		c, err := bcrypt.Cost(h)
		require.NoError(t, err)
		costs = append(costs, c)
		return bcrypt.CompareHashAndPassword(h, pw)
	}
	srv := httptest.NewServer(u.Handler())
	t.Cleanup(srv.Close)
	for _, name := range []string{"admin", "root"} {
		c := &http.Client{Jar: newJar(t)}
		res, err := c.Get(srv.URL + "/login")
		require.NoError(t, err)
		token := csrfField.FindStringSubmatch(readAll(t, res))[1]
		res, err = c.PostForm(srv.URL+"/login", url.Values{"csrf": {token}, "user": {name}, "password": {"pw"}})
		require.NoError(t, err)
		_ = res.Body.Close()
		if name == "root" {
			assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "an unknown name with a configured user's password is refused")
		}
	}
	assert.Equal(t, []int{cost, cost}, costs)
}
