package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/config"
	"livechat-digest/notify"
	"livechat-digest/store"
)

// The alert lifecycle end to end: the simulator's weekday/weekend numbers
// as the scripted values (see alertYAML), a real store on SQLite and on
// PostgreSQL, an httptest Slack recording chat.postMessage and
// chat.update, email into an outbox, and a fake clock.

const lcToken = "xoxb-lifecycle-token"

// slackCall is one Web API call the peer answered.
type slackCall struct {
	Method   string // chat.postMessage or chat.update
	Channel  string
	TS       string // chat.update: the message updated
	ThreadTS string // chat.postMessage: the thread replied in
	Text     string
	Blocks   string
	// Answered is the ts given to a post.
	Answered string
}

// alertSlack is a Slack Web API peer for alert messages. failUpdate, when
// set, is the error chat.update answers with; the next failPosts posts are
// answered 503, or 429 with retryAfter when set (not recorded in calls,
// counted in failed).
type alertSlack struct {
	srv        *httptest.Server
	mu         sync.Mutex
	calls      []slackCall
	n          int
	failUpdate string
	failPosts  int
	retryAfter string
	failed     int
}

func newAlertSlack(t *testing.T) *alertSlack {
	t.Helper()
	p := &alertSlack{}
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() != nil || r.PostForm.Get("token") != lcToken {
			reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		p.mu.Lock()
		if p.failPosts > 0 {
			p.failPosts--
			p.failed++
			after := p.retryAfter
			p.mu.Unlock()
			if after != "" {
				w.Header().Set("Retry-After", after)
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		p.n++
		ts := fmt.Sprintf("1700000000.%06d", p.n)
		p.calls = append(p.calls, slackCall{Method: "chat.postMessage", Channel: r.PostForm.Get("channel"), ThreadTS: r.PostForm.Get("thread_ts"),
			Text: r.PostForm.Get("text"), Blocks: r.PostForm.Get("blocks"), Answered: ts})
		p.mu.Unlock()
		reply(w, map[string]any{"ok": true, "channel": "C0ALERTS01", "ts": ts})
	})
	mux.HandleFunc("POST /api/chat.update", func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm() != nil || r.PostForm.Get("token") != lcToken {
			reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		p.mu.Lock()
		p.calls = append(p.calls, slackCall{Method: "chat.update", Channel: r.PostForm.Get("channel"), TS: r.PostForm.Get("ts"),
			Text: r.PostForm.Get("text"), Blocks: r.PostForm.Get("blocks")})
		fail := p.failUpdate
		p.mu.Unlock()
		if fail != "" {
			reply(w, map[string]any{"ok": false, "error": fail})
			return
		}
		reply(w, map[string]any{"ok": true, "channel": r.PostForm.Get("channel"), "ts": r.PostForm.Get("ts")})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *alertSlack) seen() []slackCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]slackCall(nil), p.calls...)
}

// lcEnv is one process (runner, worker with the Gate) on a shared store.
type lcEnv struct {
	clock  *clockwork.FakeClock
	up     *upstream
	slack  *alertSlack
	st     *store.Store
	runner *Runner
	worker *notify.Worker
	sched  *Scheduler
	outbox string
	job    *config.Job

	mu       sync.Mutex
	observed map[string]int
}

// lcYAML is alertYAML's job with two thresholds on one metric, both
// breached on weekends, a Slack and an email target; EXTRA is appended to
// its alerts.
const lcYAML = `
slack: {bot_token: ` + lcToken + `}
jobs:
  - name: chat-volume
    schedule: "0 * * * *"
    timezone: UTC
    period: yesterday
    compare: none
    reports: [total_chats]
    thresholds:
      - {metric: total_chats.chats, below: 1, runbook_url: "https://wiki.example.com/rb?a=1&b=<2>"}
      - {metric: total_chats.chats, below: 2}
    alerts:
      slack: {channel: "#alerts"}
      email: {to: [oncall@example.com]}
EXTRA`

// backends runs fn on SQLite and on a PostgreSQL schema of its own.
func backends(t *testing.T, fn func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, pgURL(t))
	})
}

const pgBase = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pgURL creates a schema of its own for the test and returns a store URL
// on it. Its stores open at most four connections each: go test runs this
// package beside the store tests and the replica drill on one PostgreSQL
// (max_connections 100), where stores of the default ten each ran it out
// of connections ("too many clients"), and a send that failed on it was
// retried an hour of fake time later (TestLifecycleReminders saw its first
// post at 10:00 instead of 09:00).
func pgURL(t *testing.T) string {
	t.Helper()
	admin, err := sql.Open("pgx", pgBase)
	require.NoError(t, err)
	admin.SetMaxOpenConns(1)
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		t.Skipf("PostgreSQL not reachable at 127.0.0.1:5432: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	_, err = admin.ExecContext(ctx, `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`) })
	return pgBase + "&search_path=" + schema + "&pool_max_conns=4"
}

// newLC builds a process on url at instant at; extra goes into the job's
// alerts. Processes made with the same clock, upstream and Slack peer
// (share) are replicas.
func newLC(t *testing.T, url string, at time.Time, extra string, share *lcEnv) *lcEnv {
	t.Helper()
	return newLCFrom(t, url, at, strings.Replace(lcYAML, "EXTRA", extra, 1), share)
}

// newLCFrom is newLC with the whole config given.
func newLCFrom(t *testing.T, url string, at time.Time, yaml string, share *lcEnv) *lcEnv {
	t.Helper()
	e := &lcEnv{observed: map[string]int{}, outbox: filepath.Join(t.TempDir(), "outbox")}
	if share != nil {
		e.clock, e.up, e.slack, e.outbox = share.clock, share.up, share.slack, share.outbox
	} else {
		e.clock = clockwork.NewFakeClockAt(at)
		e.up = newUpstream(t, e.clock)
		e.slack = newAlertSlack(t)
	}
	st, err := store.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	e.st = st
	observe := func(_, result string) { e.mu.Lock(); e.observed[result]++; e.mu.Unlock() }
	owner := fmt.Sprintf("lc-%p", e)
	r, err := NewRunner(e.up.client(t, testLogin, testKey), newRenderer(t), st,
		RunnerOptions{Owner: owner, Clock: e.clock, From: testFrom, ObserveAlert: observe})
	require.NoError(t, err)
	e.runner = r
	out, err := notify.NewOutbox(e.outbox)
	require.NoError(t, err)
	sl, err := notify.NewSlack(lcToken, e.slack.srv.URL+"/api/", e.slack.srv.Client())
	require.NoError(t, err)
	e.worker, err = notify.NewWorker(st, map[string]notify.Sender{notify.ChannelEmail: out, notify.ChannelSlack: sl},
		notify.WorkerOptions{Owner: owner, Clock: e.clock, Gate: NewGate(st, newRenderer(t), e.clock, observe)})
	require.NoError(t, err)
	if share != nil {
		e.job = share.job
	} else {
		cfg := parseConfig(t, yaml)
		job, ok := cfg.Job("chat-volume")
		require.True(t, ok)
		setBounds(t, e, job)
		e.job = job
	}
	e.sched, err = NewScheduler(e.runner, []config.Job{*e.job}, SchedulerOptions{Clock: e.clock})
	require.NoError(t, err)
	e.sched.jobs = []*config.Job{e.job}
	t.Cleanup(func() { _ = e.sched.shutdownAll() })
	return e
}

// setBounds puts both thresholds between the simulator's quietest weekday
// and busiest weekend day (see alertJob).
func setBounds(t *testing.T, e *lcEnv, job *config.Job) {
	t.Helper()
	value := func(at time.Time) float64 {
		d, err := e.runner.Build(context.Background(), job, at)
		require.NoError(t, err)
		return *d.Metrics["total_chats.chats"].Current
	}
	lowGood, highBad := value(goodDays[0]), value(badDays[0])
	for _, at := range goodDays[1:] {
		lowGood = min(lowGood, value(at))
	}
	for _, at := range badDays[1:] {
		highBad = max(highBad, value(at))
	}
	mid := (lowGood + highBad) / 2
	*job.Thresholds[0].Below = mid
	*job.Thresholds[1].Below = mid + (lowGood-mid)/2
}

// fire runs the job's firing at (moving the clock there) and sends.
func (e *lcEnv) fire(t *testing.T, at time.Time) Result {
	t.Helper()
	e.to(at)
	res, err := e.runner.Run(context.Background(), e.job, at, false)
	require.NoError(t, err)
	e.send(t)
	return res
}

func (e *lcEnv) to(at time.Time) {
	if d := at.Sub(e.clock.Now()); d > 0 {
		e.clock.Advance(d)
	}
}

func (e *lcEnv) send(t *testing.T) {
	t.Helper()
	require.NoError(t, e.worker.Drain(context.Background()))
}

// release has the scheduler release what is due now, and sends it.
func (e *lcEnv) release(t *testing.T) time.Time {
	t.Helper()
	next, err := e.sched.ReleaseHeld(context.Background())
	require.NoError(t, err)
	e.send(t)
	return next
}

func (e *lcEnv) silence(t *testing.T, metric string, until time.Time) store.Silence {
	t.Helper()
	now := e.clock.Now()
	s, err := e.st.AddSilence(context.Background(), store.Silence{Job: e.job.Name, Metric: metric, StartsAt: now, EndsAt: until, CreatedBy: "test", Reason: "incident", CreatedAt: now})
	require.NoError(t, err)
	return s
}

func (e *lcEnv) count(result string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.observed[result]
}

func methods(cs []slackCall) []string {
	var out []string
	for _, c := range cs {
		m := c.Method
		if c.ThreadTS != "" {
			m += " thread " + c.ThreadTS
		}
		if c.TS != "" {
			m += " " + c.TS
		}
		out = append(out, m)
	}
	return out
}

// mailSubjects lists the alert emails' subjects in the order sent.
func (e *lcEnv) mailSubjects(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, m := range outboxFiles(t, e.outbox) {
		out = append(out, m.Subject)
	}
	return out
}

func TestLifecycleSilencedThenExpired(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(20), "", nil)
		e.fire(t, day(20)) // good
		s := e.silence(t, "", day(22).Add(3*time.Hour))
		e.fire(t, day(22)) // bad, silenced: held
		assert.Empty(t, e.slack.seen(), "silenced: no message")
		assert.Empty(t, outboxFiles(t, e.outbox))
		assert.Equal(t, 4, e.count(AlertHeld), "two alerts held for two targets")
		next := e.release(t)
		assert.True(t, next.Equal(s.EndsAt), "the next release is the silence's end, got %s", next)
		assert.Empty(t, e.slack.seen())

		// Expired while firing and never announced: exactly one message
		// per target, at once, without another run.
		e.to(day(22).Add(time.Hour))
		_, err := e.st.ExpireSilence(context.Background(), s.ID, e.clock.Now())
		require.NoError(t, err)
		e.release(t)
		e.release(t)
		calls := e.slack.seen()
		require.Equal(t, []string{"chat.postMessage"}, methods(calls))
		assert.Contains(t, calls[0].Text, "[FIRING] chat-volume")
		assert.Equal(t, 2, strings.Count(calls[0].Blocks, `"text":"Chats"`), "both thresholds in one post")
		assert.Contains(t, calls[0].Blocks, `"action_id":"silence_1h"`)
		assert.Len(t, outboxFiles(t, e.outbox), 1)
		assert.Equal(t, 4, e.count(AlertReleased), "two alerts for two targets")

		e.fire(t, day(23)) // still bad: nothing new
		assert.Len(t, e.slack.seen(), 1)
		assert.Len(t, outboxFiles(t, e.outbox), 1)
	})
}

func TestLifecycleActiveHours(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(22).Add(-2*time.Hour), `      active_hours: [{times: ["08:00-18:00"]}]
`, nil)
		seven := day(22).Add(-2 * time.Hour)
		e.fire(t, seven) // bad at 07:00: held
		assert.Empty(t, e.slack.seen())
		next := e.release(t)
		assert.True(t, next.Equal(day(22).Add(-time.Hour)), "released at 08:00, got %s", next)
		assert.Empty(t, e.slack.seen())

		// The window opens at 08:00: the scheduler's release loop sends
		// one message without another run.
		ctx, cancel := context.WithCancel(context.Background())
		e.sched.releaseDone = make(chan struct{})
		go e.sched.releaseLoop(ctx)
		defer func() { cancel(); <-e.sched.releaseDone }()
		require.NoError(t, e.clock.BlockUntilContext(ctx, 1))
		e.clock.Advance(time.Hour)
		require.Eventually(t, func() bool {
			e.send(t)
			return len(e.slack.seen()) == 1
		}, 10*time.Second, 5*time.Millisecond)
		assert.Len(t, outboxFiles(t, e.outbox), 1)
	})
}

func TestLifecycleResolveAfterSilenceUpdatesThePost(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(22), "", nil)
		e.fire(t, day(22)) // bad: announced
		calls := e.slack.seen()
		require.Len(t, calls, 1)
		ts := calls[0].Answered
		e.silence(t, "", day(25))
		e.fire(t, day(24)) // good: resolves, silence or not
		calls = e.slack.seen()
		assert.Equal(t, []string{"chat.postMessage", "chat.update " + ts, "chat.postMessage thread " + ts}, methods(calls))
		assert.Equal(t, "C0ALERTS01", calls[1].Channel, "the update goes to the channel ID Slack answered with")
		assert.Contains(t, calls[1].Blocks, "lasted 2d")
		assert.Contains(t, calls[2].Text, "2 resolved")
		assert.Equal(t, []string{"[FIRING] chat-volume: 2 firing", "[RESOLVED] chat-volume: 2 resolved"}, e.mailSubjects(t))
	})
}

func TestLifecycleFailingUpdateFallsBack(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(22), "", nil)
		e.slack.failUpdate = "message_not_found"
		e.fire(t, day(22))
		ts := e.slack.seen()[0].Answered
		e.fire(t, day(24))
		calls := e.slack.seen()
		assert.Equal(t, []string{"chat.postMessage", "chat.update " + ts, "chat.postMessage"}, methods(calls), "one fallback post, no thread reply")
		assert.Contains(t, calls[2].Text, "[RESOLVED] chat-volume")
	})
}

func TestLifecycleReminders(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(22), "      repeat_every: 4h\n", nil)
		var got []int
		for h := 0; h <= 9; h++ { // 09:00 … 18:00, all bad
			before := len(e.slack.seen())
			e.fire(t, day(22).Add(time.Duration(h)*time.Hour))
			if len(e.slack.seen()) > before {
				got = append(got, 9+h)
			}
		}
		assert.Equal(t, []int{9, 13, 17}, got, "the post, then a reminder on the first run after each 4h")
		calls := e.slack.seen()
		ts := calls[0].Answered
		assert.Equal(t, []string{"chat.postMessage", "chat.postMessage thread " + ts, "chat.postMessage thread " + ts}, methods(calls))
		assert.Contains(t, calls[1].Blocks, "firing for 4h")
		assert.Equal(t, "C0ALERTS01", calls[1].Channel, "the reply goes to the channel ID the post landed in")
		subjects := e.mailSubjects(t)
		assert.Equal(t, []string{"[FIRING] chat-volume: 2 firing", "[FIRING] chat-volume: 2 still firing", "[FIRING] chat-volume: 2 still firing"}, subjects)
	})
}

func TestLifecycleSilencedAfterQueuedIsDropped(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(22), "", nil)
		e.to(day(22))
		_, err := e.runner.Run(context.Background(), e.job, day(22), false) // queued, not sent yet
		require.NoError(t, err)
		s := e.silence(t, e.job.Thresholds[0].Metric, day(23))
		e.send(t)
		assert.Empty(t, e.slack.seen(), "queued before the silence: dropped at send time")
		assert.Empty(t, outboxFiles(t, e.outbox))
		assert.Equal(t, 4, e.count(AlertSilenced), "two lines for two targets")
		dropped, err := e.st.Deliveries(context.Background(), store.DeliveryFilter{Status: store.DeliveryDropped})
		require.NoError(t, err)
		assert.Len(t, dropped, 2)

		e.to(day(22).Add(time.Hour))
		_, err = e.st.ExpireSilence(context.Background(), s.ID, e.clock.Now())
		require.NoError(t, err)
		e.release(t)
		assert.Equal(t, []string{"chat.postMessage"}, methods(e.slack.seen()), "the silence's end announces it once")
		assert.Len(t, outboxFiles(t, e.outbox), 1)
	})
}

// TestLifecycleResolvedWhileHeldSendsNothing: silenced, never announced,
// resolved meanwhile: nothing at all, also after the silence.
func TestLifecycleResolvedWhileHeldSendsNothing(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(22), "", nil)
		s := e.silence(t, "", day(25))
		e.fire(t, day(22))
		e.fire(t, day(24))
		e.to(day(24).Add(time.Hour))
		_, err := e.st.ExpireSilence(context.Background(), s.ID, e.clock.Now())
		require.NoError(t, err)
		e.release(t)
		assert.Empty(t, e.slack.seen())
		assert.Empty(t, outboxFiles(t, e.outbox))
	})
}

// TestLifecycleTwoReplicas: two processes on one PostgreSQL store run the
// same firings and release at the same instant; every message goes out
// once.
func TestLifecycleTwoReplicas(t *testing.T) {
	t.Parallel()
	url := pgURL(t)
	a := newLC(t, url, day(22), "      repeat_every: 4h\n", nil)
	b := newLC(t, url, day(22), "", a)
	s := a.silence(t, "", day(22).Add(2*time.Hour))
	a.to(day(22))
	var wg sync.WaitGroup
	for _, e := range []*lcEnv{a, b} {
		wg.Go(func() {
			_, err := e.runner.Run(context.Background(), e.job, day(22), false)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	a.to(s.EndsAt)
	for _, e := range []*lcEnv{a, b} {
		wg.Go(func() {
			_, err := e.sched.ReleaseHeld(context.Background())
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	for _, e := range []*lcEnv{a, b} {
		wg.Go(func() { assert.NoError(t, e.worker.Drain(context.Background())) })
	}
	wg.Wait()
	require.Equal(t, []string{"chat.postMessage"}, methods(a.slack.seen()), "released once")
	ts := a.slack.seen()[0].Answered
	a.to(day(24))
	for _, e := range []*lcEnv{a, b} {
		wg.Go(func() {
			_, err := e.runner.Run(context.Background(), e.job, day(24), false)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	for _, e := range []*lcEnv{a, b} {
		wg.Go(func() { assert.NoError(t, e.worker.Drain(context.Background())) })
	}
	wg.Wait()
	assert.Equal(t, []string{"chat.postMessage", "chat.update " + ts, "chat.postMessage thread " + ts}, methods(a.slack.seen()))
	assert.Len(t, outboxFiles(t, a.outbox), 2)
}
