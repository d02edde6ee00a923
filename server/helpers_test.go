package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/livechat"
	"livechat-digest/query"
	"livechat-digest/templates"
)

// testSecret is a signing secret shaped like Slack's (32 hex digits).
const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// signature is what Slack sends in X-Slack-Signature: "v0=" and the hex
// HMAC-SHA256, keyed with the signing secret, of "v0:TIMESTAMP:BODY".
func signature(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + strconv.FormatInt(ts, 10) + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// signedRequest builds a slash-command POST signed as Slack signs it, at
// the instant ts (the real clock: slack-go checks the window with
// time.Since).
func signedRequest(t testing.TB, base, secret string, ts time.Time, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/slack/commands", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", signature(secret, ts.Unix(), body))
	return req
}

// slashForm is the form Slack posts for `/livechat TEXT`.
func slashForm(text, responseURL string) url.Values {
	return url.Values{
		"token":        {"legacy-verification-token"},
		"team_id":      {"T0001"},
		"team_domain":  {"example"},
		"channel_id":   {"C2147483705"},
		"channel_name": {"support"},
		"user_id":      {"U2147483697"},
		"user_name":    {"steve"},
		"command":      {"/livechat"},
		"text":         {text},
		"response_url": {responseURL},
		"trigger_id":   {"13345224609.738474920.8088930838d88f008e0"},
		"api_app_id":   {"A123456"},
	}
}

// fakeAnswerer is our own Answerer interface filled with funcs; unset funcs
// fail the answer. It counts every call.
type fakeAnswerer struct {
	report func(ctx context.Context, c query.Command, at time.Time) (*digest.Digest, error)
	digest func(ctx context.Context, job string, at time.Time) (*digest.Digest, error)
	alerts func(ctx context.Context) ([]Alert, error)
	calls  atomic.Int32
}

func (f *fakeAnswerer) Report(ctx context.Context, c query.Command, at time.Time) (*digest.Digest, error) {
	f.calls.Add(1)
	if f.report == nil {
		return nil, errTest("no report answer")
	}
	return f.report(ctx, c, at)
}

func (f *fakeAnswerer) Digest(ctx context.Context, job string, at time.Time) (*digest.Digest, error) {
	f.calls.Add(1)
	if f.digest == nil {
		return nil, errTest("no digest answer")
	}
	return f.digest(ctx, job, at)
}

func (f *fakeAnswerer) Alerts(ctx context.Context) ([]Alert, error) {
	f.calls.Add(1)
	if f.alerts == nil {
		return nil, errTest("no alerts answer")
	}
	return f.alerts(ctx)
}

type errTest string

func (e errTest) Error() string { return string(e) }

func ptr(x float64) *float64 { return &x }

// weekDigest is a hand-made digest: 700 chats this week, 560 the week before.
func weekDigest(job string) *digest.Digest {
	from := livechat.Date{Year: 2026, Month: time.November, Day: 16}
	prev := digest.DateRange{From: from.AddDays(-7), To: from.AddDays(-1)}
	return &digest.Digest{
		Job: job, Timezone: "Europe/Warsaw",
		Period:  digest.DateRange{From: from, To: from.AddDays(6)},
		Compare: &prev,
		Metrics: map[string]digest.Value{
			"total_chats.chats": {Current: ptr(700), Previous: ptr(560), Change: ptr(140), ChangePct: ptr(25)},
		},
	}
}

// hook is Slack's side of response_url: an httptest server that records
// every JSON body posted to it.
type hook struct {
	*httptest.Server
	posts  chan []byte
	count  atomic.Int32
	status int
}

func newHook(t testing.TB, status int) *hook {
	h := &hook{posts: make(chan []byte, 2048), status: status}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.count.Add(1)
		h.posts <- b
		w.WriteHeader(h.status)
	}))
	t.Cleanup(h.Close)
	return h
}

// responseURL is a response_url under the hook, shaped like Slack's.
func (h *hook) responseURL() string { return h.URL + "/commands/T0001/1234567890/abcdefABCDEF" }

// next returns the next posted message, decoded.
func (h *hook) next(t *testing.T) posted {
	t.Helper()
	select {
	case b := <-h.posts:
		var p posted
		require.NoError(t, json.Unmarshal(b, &p), string(b))
		p.raw = string(b)
		return p
	case <-time.After(30 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("nothing was posted to response_url")
		return posted{}
	}
}

type posted struct {
	ResponseType string            `json:"response_type"`
	Text         string            `json:"text"`
	Blocks       []json.RawMessage `json:"blocks"`
	raw          string
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a Server behind a real TCP httptest server, with its response_url
// peer, captured logs and its own metrics registry.
type env struct {
	srv     *Server
	http    *httptest.Server
	hook    *hook
	ans     *fakeAnswerer
	logs    *lockedBuffer
	reg     *prometheus.Registry
	metrics *Metrics
	// triggers numbers the commands sent, for their trigger_id.
	triggers atomic.Int64
}

func newEnv(t testing.TB, ans *fakeAnswerer, mod func(*Options)) *env {
	t.Helper()
	r, err := templates.New("")
	require.NoError(t, err)
	e := &env{hook: newHook(t, http.StatusOK), ans: ans, logs: &lockedBuffer{}, reg: prometheus.NewRegistry()}
	e.metrics = NewMetrics(e.reg)
	o := Options{
		SigningSecret:     testSecret,
		Answerer:          ans,
		Renderer:          r,
		HTTPClient:        &http.Client{Timeout: 10 * time.Second},
		ResponseURLPrefix: e.hook.URL + "/commands/",
		Metrics:           e.metrics,
		Gatherer:          e.reg,
		Logger:            slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:               func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) },
	}
	if mod != nil {
		mod(&o)
	}
	e.srv, err = New(o)
	require.NoError(t, err)
	e.http = httptest.NewServer(e.srv.Handler())
	t.Cleanup(func() {
		e.http.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.srv.Wait(ctx)
	})
	return e
}

// command posts `/livechat text`, signed now, and returns the status and body.
// Each command has its own trigger_id, as Slack's do, so two commands with
// the same text in one second are not a replay.
func (e *env) command(t *testing.T, text string) (int, ephemeral) {
	t.Helper()
	form := slashForm(text, e.hook.responseURL())
	form.Set("trigger_id", "13345224609."+strconv.FormatInt(e.triggers.Add(1), 10))
	return e.send(t, signedRequest(t, e.http.URL, testSecret, time.Now(), []byte(form.Encode())))
}

func (e *env) send(t *testing.T, req *http.Request) (int, ephemeral) {
	t.Helper()
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m ephemeral
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(b, &m), string(b))
	} else {
		m.Text = string(b)
	}
	return resp.StatusCode, m
}

// settle waits until every answer is posted (Wait), so counts are final.
func (e *env) settle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e.srv.Wait(ctx)
	require.NoError(t, ctx.Err(), "answers did not finish")
}
