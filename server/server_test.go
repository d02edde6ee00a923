package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/query"
	"livechat-digest/templates"
)

func TestSlashReportAckThenOneAnswer(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var got query.Command
	var gotAt time.Time
	ans := &fakeAnswerer{report: func(ctx context.Context, c query.Command, at time.Time) (*digest.Digest, error) {
		<-release // the ack must not wait for this
		got, gotAt = c, at
		return weekDigest("report"), nil
	}}
	e := newEnv(t, ans, nil)

	status, ack := e.command(t, "report ratings,chats last week")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ephemeral", ack.ResponseType)
	assert.Contains(t, ack.Text, "Working on it: `report ")
	close(release)

	p := e.hook.next(t)
	e.settle(t)
	assert.Equal(t, int32(1), e.hook.count.Load(), "exactly one answer")
	assert.Equal(t, int32(1), ans.calls.Load())
	assert.Equal(t, "in_channel", p.ResponseType)
	assert.NotEmpty(t, p.Text)
	require.NotEmpty(t, p.Blocks)
	assert.Contains(t, p.raw, "700")
	assert.Contains(t, p.raw, "560")

	assert.Equal(t, query.Report, got.Kind)
	assert.Equal(t, digest.LastWeek, got.Period.Kind)
	assert.True(t, gotAt.Equal(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)), "at comes from Options.Now")
	assert.Equal(t, 1.0, testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultOK)))
}

// The posted blocks are the renderer's, unchanged by the trip through
// slack-go's Blocks.
func TestSlashReportBlocksAsRendered(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
		return weekDigest("report"), nil
	}}
	e := newEnv(t, ans, nil)
	status, _ := e.command(t, "report chats yesterday")
	require.Equal(t, http.StatusOK, status)
	p := e.hook.next(t)

	r, err := templates.New("")
	require.NoError(t, err)
	want, err := r.Slack(weekDigest("report"))
	require.NoError(t, err)
	assert.Equal(t, want.Text, p.Text)
	gotBlocks := "[" + string(bytes.Join(rawBytes(p.Blocks), []byte(","))) + "]"
	assert.JSONEq(t, string(want.Blocks), gotBlocks)
}

func rawBytes[T ~[]byte](xs []T) [][]byte {
	out := make([][]byte, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func TestSlashUnauthorized(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
		return weekDigest("report"), nil
	}}
	e := newEnv(t, ans, nil)
	body := []byte(slashForm("report chats", e.hook.responseURL()).Encode())
	now := time.Now()

	cases := []struct {
		name string
		req  func() *http.Request
	}{
		{"bad signature", func() *http.Request {
			r := signedRequest(t, e.http.URL, testSecret, now, body)
			r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
			return r
		}},
		{"wrong secret", func() *http.Request { return signedRequest(t, e.http.URL, "another-secret", now, body) }},
		{"stale timestamp", func() *http.Request {
			return signedRequest(t, e.http.URL, testSecret, now.Add(-6*time.Minute), body)
		}},
		{"future timestamp", func() *http.Request {
			return signedRequest(t, e.http.URL, testSecret, now.Add(6*time.Minute), body)
		}},
		{"timestamp of another request", func() *http.Request {
			r := signedRequest(t, e.http.URL, testSecret, now, body)
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix()-1, 10))
			return r
		}},
		{"body changed after signing", func() *http.Request {
			r := signedRequest(t, e.http.URL, testSecret, now, body)
			tampered := bytes.Replace(body, []byte("chats"), []byte("tickets"), 1)
			r.Body = nopCloser{bytes.NewReader(tampered)}
			r.ContentLength = int64(len(tampered))
			return r
		}},
		{"missing signature", func() *http.Request {
			r := signedRequest(t, e.http.URL, testSecret, now, body)
			r.Header.Del("X-Slack-Signature")
			return r
		}},
		{"missing timestamp", func() *http.Request {
			r := signedRequest(t, e.http.URL, testSecret, now, body)
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}},
		{"no v0 prefix", func() *http.Request {
			r := signedRequest(t, e.http.URL, testSecret, now, body)
			r.Header.Set("X-Slack-Signature", strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0="))
			return r
		}},
		{"signature not hex", func() *http.Request {
			r := signedRequest(t, e.http.URL, testSecret, now, body)
			r.Header.Set("X-Slack-Signature", "v0=zz")
			return r
		}},
		{"timestamp not a number", func() *http.Request {
			r := signedRequest(t, e.http.URL, testSecret, now, body)
			r.Header.Set("X-Slack-Request-Timestamp", "yesterday")
			return r
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _ := e.send(t, tc.req())
			assert.Equal(t, http.StatusUnauthorized, status)
		})
	}
	e.settle(t)
	assert.Zero(t, ans.calls.Load(), "no work for an unsigned request")
	assert.Zero(t, e.hook.count.Load())
	assert.Equal(t, float64(len(cases)), testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultUnauthorized)))
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func TestSlashBodyTooLarge(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{}
	e := newEnv(t, ans, func(o *Options) { o.MaxBody = 1024 })
	form := slashForm("report chats "+strings.Repeat("x", 2000), e.hook.responseURL())
	status, _ := e.send(t, signedRequest(t, e.http.URL, testSecret, time.Now(), []byte(form.Encode())))
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Zero(t, ans.calls.Load())
}

func TestSlashMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &fakeAnswerer{}, nil)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		req, err := http.NewRequest(m, e.http.URL+"/slack/commands", nil)
		require.NoError(t, err)
		status, _ := e.send(t, req)
		assert.Equal(t, http.StatusMethodNotAllowed, status, m)
	}
}

func TestSlashNotConfigured(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &fakeAnswerer{}, func(o *Options) { o.SigningSecret = "" })
	status, body := e.command(t, "report chats")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, body.Text, "slash commands not configured")
}

func TestSlashHelp(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{}
	e := newEnv(t, ans, nil)
	cases := []struct {
		name, text string
		wantErr    bool
	}{
		{"empty", "", false},
		{"help", "help", false},
		{"HELP", "  HELP ", false},
		{"unknown command", "frobnicate the widgets", true},
		{"unknown report", "report nosuchreport", true},
		{"bad period", "report chats 2026-13-01..2026-13-02", true},
		{"digest without job", "digest", true},
		{"slack mention", "report chats agent=<@U123>", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, m := e.command(t, tc.text)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, "ephemeral", m.ResponseType)
			assert.Contains(t, m.Text, "Usage:")
			assert.Contains(t, m.Text, "Examples:")
			if tc.wantErr {
				_, err := query.Parse(tc.text)
				var qe *query.Error
				require.ErrorAs(t, err, &qe)
				assert.Contains(t, m.Text, strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(qe.Msg))
				assert.NotContains(t, m.Text, "\u200b", "no zero-width spaces")
			} else {
				assert.NotContains(t, m.Text, ":warning:")
			}
		})
	}
	e.settle(t)
	assert.Zero(t, ans.calls.Load())
	assert.Zero(t, e.hook.count.Load())
}

func TestSlashDigest(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{digest: func(_ context.Context, job string, _ time.Time) (*digest.Digest, error) {
		if job != "weekly-support" {
			return nil, fmt.Errorf("%w %q; jobs: weekly-support, frt-watch", ErrUnknownJob, job)
		}
		return weekDigest(job), nil
	}}
	e := newEnv(t, ans, nil)

	t.Run("known job", func(t *testing.T) {
		status, ack := e.command(t, "digest weekly-support")
		require.Equal(t, http.StatusOK, status)
		assert.Contains(t, ack.Text, "Working on it: `digest weekly-support`…")
		p := e.hook.next(t)
		assert.Equal(t, "ephemeral", p.ResponseType, "a job's digest goes to the asker only")
		assert.Contains(t, p.raw, "weekly-support")
		assert.Contains(t, p.raw, "700")
	})
	t.Run("unknown job", func(t *testing.T) {
		status, _ := e.command(t, "digest nosuch")
		require.Equal(t, http.StatusOK, status)
		p := e.hook.next(t)
		assert.Equal(t, "ephemeral", p.ResponseType)
		assert.Contains(t, p.Text, `no such job "nosuch"; jobs: weekly-support, frt-watch`)
		assert.Empty(t, p.Blocks)
	})
}

func TestSlashAlerts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		alerts []Alert
		want   []string
	}{
		{"none evaluated", nil, []string{"No alerts firing; no threshold has been evaluated yet."}},
		{"none firing", []Alert{{Job: "weekly-support", Key: "goals.goals below 1", State: "ok", Value: ptr(3)}},
			[]string{"No alerts firing (1 threshold)", " — goals.goals below 1: 3 · ok"}},
		{"two firing", []Alert{
			{Job: "weekly-support", Key: "chat_ratings.satisfaction below 0.8", State: "firing", Since: now.Add(-26 * time.Hour), Value: ptr(0.75), Notice: "announced"},
			{Job: "a-job", Key: "goals.goals below 1", State: "pending", Value: ptr(0)},
			{Job: "frt-watch", Key: "chats_first_response_time.seconds above 90|group=2", State: "firing", Since: now.Add(-(2*time.Hour + 15*time.Minute)), Value: ptr(95.5),
				Notice: "held", Silence: &AlertSilence{ID: 4, Until: now.Add(time.Hour), By: "ann"}},
		}, []string{
			"2 alerts firing (of 3)",
			"frt-watch", " — chats_first_response_time.seconds above 90|group=2: 95.5 s · firing for 2h15m · held · silenced for 1h00m (#4 by ann)",
			"weekly-support", " — chat_ratings.satisfaction below 0.8: 75% · firing for 1d2h · announced",
			"a-job", " — goals.goals below 1: 0 · pending",
		}},
		{"hostile names", []Alert{
			{Job: "<!channel> *x*", Key: "total_chats.chats change_pct_below -20", State: "firing", Since: now.Add(-time.Minute), Notice: "queued",
				Silence: &AlertSilence{ID: 1, Until: now.Add(time.Hour), By: "<!here>"}},
		}, []string{"1 alert firing", "<!channel> *x*", " — total_chats.chats change_pct_below -20: — · firing for 1m · queued · silenced for 1h00m (#1 by <!here>)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ans := &fakeAnswerer{alerts: func(context.Context) ([]Alert, error) { return tc.alerts, nil }}
			e := newEnv(t, ans, nil)
			status, ack := e.command(t, "alerts")
			require.Equal(t, http.StatusOK, status)
			assert.Contains(t, ack.Text, "Working on it: `alerts`…")
			p := e.hook.next(t)
			assert.Equal(t, "in_channel", p.ResponseType)
			// Names and keys are rich text elements, shown as typed: no
			// mrkdwn, no zero-width spaces.
			assert.Contains(t, p.Text, tc.want[0])
			for _, w := range tc.want[1:] {
				quoted, err := json.Marshal(w)
				require.NoError(t, err)
				assert.Contains(t, p.raw, `"text":`+string(quoted))
			}
			assert.NotContains(t, p.raw, "\u200b")
			assert.NotContains(t, p.raw, "​")
			assert.NotContains(t, p.raw, `"mrkdwn"`)
			assert.NotContains(t, p.Text, "<!channel>")
		})
	}
	// Firing first, oldest first; then pending.
	m := alertsMessage(cases[2].alerts, now)
	b, err := json.Marshal(m.Blocks)
	require.NoError(t, err)
	assert.Less(t, strings.Index(string(b), "weekly-support"), strings.Index(string(b), "frt-watch"))
	assert.Less(t, strings.Index(string(b), "frt-watch"), strings.Index(string(b), "a-job"))
}

func TestSlashAnswerError(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
		return nil, errors.New("livechat: chats/total_chats: upstream 503 after 4 tries")
	}}
	e := newEnv(t, ans, nil)
	status, _ := e.command(t, "report chats")
	require.Equal(t, http.StatusOK, status)
	p := e.hook.next(t)
	assert.Equal(t, "ephemeral", p.ResponseType)
	assert.Contains(t, p.Text, "Could not answer `report total_chats last_7_days`: ")
	assert.Contains(t, p.Text, "`livechat: chats/total_chats: upstream 503 after 4 tries`")
	e.settle(t)
	assert.Equal(t, 1.0, testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultError)))
}

func TestSlashAnswerTimeout(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{report: func(ctx context.Context, _ query.Command, _ time.Time) (*digest.Digest, error) {
		<-ctx.Done() // an upstream that never answers
		return nil, ctx.Err()
	}}
	e := newEnv(t, ans, func(o *Options) { o.AnswerTimeout = time.Millisecond })
	status, _ := e.command(t, "report chats")
	require.Equal(t, http.StatusOK, status)
	p := e.hook.next(t)
	assert.Equal(t, "ephemeral", p.ResponseType)
	assert.Contains(t, p.Text, "no answer within 1ms")
}

func TestSlashResponseURL(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
		return weekDigest("report"), nil
	}}
	e := newEnv(t, ans, nil)
	for _, u := range []string{"", "https://evil.example/commands/1", e.hook.URL + "/elsewhere", e.hook.URL + "/commands/../elsewhere"} {
		body := []byte(slashForm("report chats", u).Encode())
		status, m := e.send(t, signedRequest(t, e.http.URL, testSecret, time.Now(), body))
		require.Equal(t, http.StatusOK, status, u)
		assert.Equal(t, "ephemeral", m.ResponseType)
		assert.Contains(t, m.Text, "response_url is not a Slack URL", u)
	}
	e.settle(t)
	assert.Zero(t, ans.calls.Load())
	assert.Zero(t, e.hook.count.Load())
}

func TestAllowedResponseURL(t *testing.T) {
	t.Parallel()
	s, err := New(Options{})
	require.NoError(t, err)
	cases := []struct {
		url  string
		want bool
	}{
		{"https://hooks.slack.com/commands/T0001/1234/abcd", true},
		{"https://HOOKS.slack.com/commands/T0001/1234/abcd", true},
		{"http://hooks.slack.com/commands/T0001/1234/abcd", false},
		{"https://hooks.slack.com.evil.example/commands/x", false},
		{"https://hooks.slack.com@evil.example/commands/x", false},
		{"https://user:pw@hooks.slack.com/commands/x", false},
		{"https://hooks.slack.com:8443/commands/x", false},
		{"https://evil.example/https://hooks.slack.com/", false},
		{"//hooks.slack.com/commands/x", false},
		{"hooks.slack.com/commands/x", false},
		{"https:hooks.slack.com/commands", false},
		{"https://127.0.0.1/", false},
		{"", false},
		{"%zz", false},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			assert.Equal(t, tc.want, s.allowedResponseURL(tc.url))
		})
	}
}

func TestSlashAnswerNotPosted(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
		return weekDigest("report"), nil
	}}
	e := newEnv(t, ans, nil)
	e.hook.status = http.StatusInternalServerError
	status, _ := e.command(t, "report chats")
	require.Equal(t, http.StatusOK, status)
	e.hook.next(t)
	e.settle(t)
	assert.Equal(t, int32(1), e.hook.count.Load(), "posted once, not retried")
	assert.Contains(t, e.logs.String(), "slash command answer not posted")
	assert.NotContains(t, e.logs.String(), "abcdefABCDEF", "response_url kept out of logs")
	assert.Equal(t, 1.0, testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultError)))
}

// Wait lets in-flight answers finish; when its context ends first it
// cancels them, and later commands are told to retry.
func TestWaitCancelsInFlightAnswers(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	cancelled := make(chan error, 1)
	ans := &fakeAnswerer{report: func(ctx context.Context, _ query.Command, _ time.Time) (*digest.Digest, error) {
		close(started)
		<-ctx.Done()
		cancelled <- ctx.Err()
		return nil, ctx.Err()
	}}
	e := newEnv(t, ans, nil)
	status, _ := e.command(t, "report chats")
	require.Equal(t, http.StatusOK, status)
	<-started

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.srv.Wait(ctx)
	assert.ErrorIs(t, <-cancelled, context.Canceled)

	status, m := e.command(t, "report chats")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, m.Text, "restarting")
	e.settle(t)
	assert.Zero(t, e.hook.count.Load(), "a cancelled answer posts nothing")
	assert.Equal(t, int32(1), ans.calls.Load())
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		health     func(context.Context) error
		wantStatus int
		wantBody   string
	}{
		{"no check", nil, http.StatusOK, "ok\n"},
		{"store up", func(context.Context) error { return nil }, http.StatusOK, "ok\n"},
		{"store down", func(context.Context) error {
			return errors.New("store: ping postgres://digest:hunter2@db.internal:5432/digest: connection refused")
		}, http.StatusServiceUnavailable, "unhealthy: store unreachable\n"},
		{"store replaced: the reason, not the error", func(context.Context) error {
			return fmt.Errorf("wrapped: %w", &HealthError{Reason: "the store file was deleted",
				Err: errors.New("store at /var/lib/x/state.db: gone")})
		}, http.StatusServiceUnavailable, "unhealthy: the store file was deleted\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, &fakeAnswerer{}, func(o *Options) { o.Health = tc.health })
			resp, err := e.http.Client().Get(e.http.URL + "/healthz")
			require.NoError(t, err)
			defer resp.Body.Close()
			var b bytes.Buffer
			_, err = b.ReadFrom(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.wantStatus, resp.StatusCode)
			assert.Equal(t, tc.wantBody, b.String())
		})
	}
}

// secretFree is the shared assertion: nothing the service wrote contains
// the signing secret.
func secretFree(t *testing.T, secret string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		assert.NotContains(t, s, secret)
	}
}

func TestNoSecretInLogs(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
		return nil, errors.New("livechat: chats/total_chats: 401 unauthorized")
	}}
	e := newEnv(t, ans, nil)
	e.hook.status = http.StatusNotFound
	body := []byte(slashForm("report chats", e.hook.responseURL()).Encode())

	var answers []string
	for _, req := range []*http.Request{
		signedRequest(t, e.http.URL, "wrong-"+testSecret, time.Now(), body),
		signedRequest(t, e.http.URL, testSecret, time.Now().Add(-10*time.Minute), body),
		signedRequest(t, e.http.URL, testSecret, time.Now(), body), // answer fails, post fails
	} {
		_, m := e.send(t, req)
		answers = append(answers, m.Text)
	}
	p := e.hook.next(t)
	e.settle(t)
	logs := e.logs.String()
	require.Contains(t, logs, "slash command refused")
	require.Contains(t, logs, "slash command answer failed")
	secretFree(t, testSecret, append(answers, logs, p.raw)...)
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &fakeAnswerer{}, nil)
	m := e.metrics
	m.Upstream("chats/ratings", 200, 120*time.Millisecond)
	m.Upstream("chats/ratings", 503, time.Second)
	m.Upstream("chats/ratings", 0, 10*time.Second)
	m.JobRun("weekly-support", "ok", 3*time.Minute)
	m.Delivery("email", "sent")
	m.SetQueueDepth(map[string]int{"queued": 2, "sent": 7})
	m.SetAlertsFiring(3)
	m.SlashCommand(ResultHelp)

	assert.Equal(t, 1.0, testutil.ToFloat64(m.upstreamRequests.WithLabelValues("chats/ratings", "5xx")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.upstreamRequests.WithLabelValues("chats/ratings", "none")))
	assert.Equal(t, 7.0, testutil.ToFloat64(m.queueDepth.WithLabelValues("sent")))
	require.NoError(t, testutil.GatherAndCompare(e.reg, strings.NewReader(`
# HELP livechat_digest_alerts_firing Thresholds firing now, over all jobs.
# TYPE livechat_digest_alerts_firing gauge
livechat_digest_alerts_firing 3
# HELP livechat_digest_slash_commands_total Slash commands by result: ok, help, unauthorized, error, replayed, busy.
# TYPE livechat_digest_slash_commands_total counter
livechat_digest_slash_commands_total{result="busy"} 0
livechat_digest_slash_commands_total{result="error"} 0
livechat_digest_slash_commands_total{result="help"} 1
livechat_digest_slash_commands_total{result="ok"} 0
livechat_digest_slash_commands_total{result="replayed"} 0
livechat_digest_slash_commands_total{result="unauthorized"} 0
`), "livechat_digest_alerts_firing", "livechat_digest_slash_commands_total"))

	resp, err := e.http.Client().Get(e.http.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	require.NoError(t, err)
	for _, family := range []string{
		"livechat_digest_upstream_requests_total",
		"livechat_digest_upstream_request_duration_seconds_bucket",
		"livechat_digest_job_runs_total",
		"livechat_digest_job_run_duration_seconds_bucket",
		"livechat_digest_deliveries_total",
		"livechat_digest_delivery_queue",
		"livechat_digest_alerts_firing",
		"livechat_digest_slash_commands_total",
	} {
		assert.Contains(t, b.String(), "\n"+family, family)
	}
	assert.Contains(t, b.String(), `livechat_digest_job_runs_total{job="weekly-support",result="ok"} 1`)
}

func TestMetricsNilSafe(t *testing.T) {
	t.Parallel()
	var m *Metrics
	m.Upstream("chats/ratings", 200, time.Second)
	m.JobRun("j", "ok", time.Second)
	m.Delivery("email", "sent")
	m.SetQueueDepth(map[string]int{"queued": 1})
	m.SetAlertsFiring(1)
	m.SlashCommand(ResultOK)
	m.WatchQueue(context.Background(), queueFunc(func(context.Context) (map[string]int, error) {
		t.Fatal("a nil Metrics reads nothing")
		return nil, nil
	}), time.Second)
}

func TestMetricsTwoInstances(t *testing.T) {
	t.Parallel()
	// Each server has its own registry; two never collide.
	NewMetrics(prometheus.NewRegistry())
	NewMetrics(prometheus.NewRegistry())
}

type queueFunc func(ctx context.Context) (map[string]int, error)

func (f queueFunc) QueueDepth(ctx context.Context) (map[string]int, error) { return f(ctx) }

func TestWatchQueue(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	// The first read happens at once, the second fails, the third ends the
	// loop (ticks are a nanosecond apart, so nothing waits on the clock).
	m.WatchQueue(ctx, queueFunc(func(context.Context) (map[string]int, error) {
		calls++
		switch calls {
		case 1:
			return map[string]int{"queued": 4, "failed": 1}, nil
		case 2:
			return nil, errors.New("store: queue depth: database is locked")
		}
		cancel()
		return nil, context.Canceled
	}), time.Nanosecond)
	assert.Equal(t, 3, calls)
	assert.Equal(t, 4.0, testutil.ToFloat64(m.queueDepth.WithLabelValues("queued")), "a failed read keeps the last value")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.queueDepth.WithLabelValues("failed")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.queueErrors))
}

func TestAge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "under a second"},
		{0, "under a second"},
		{45 * time.Second, "45s"},
		{59 * time.Minute, "59m"},
		{2*time.Hour + 15*time.Minute, "2h15m"},
		{2*time.Hour + 5*time.Minute, "2h05m"},
		{26 * time.Hour, "1d2h"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			assert.Equal(t, tc.want, age(tc.d))
		})
	}
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	r, err := templates.New("")
	require.NoError(t, err)
	cases := []struct {
		name string
		o    Options
	}{
		{"secret without answerer", Options{SigningSecret: "s", Renderer: r}},
		{"secret without renderer", Options{SigningSecret: "s", Answerer: &fakeAnswerer{}}},
		{"negative body", Options{MaxBody: -1}},
		{"negative timeout", Options{AnswerTimeout: -time.Second}},
		{"prefix not a URL", Options{ResponseURLPrefix: "hooks.slack.com"}},
		{"prefix ftp", Options{ResponseURLPrefix: "ftp://hooks.slack.com/"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.o)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "server: "), err.Error())
		})
	}
	s, err := New(Options{})
	require.NoError(t, err)
	assert.NotSame(t, http.DefaultClient, s.o.HTTPClient)
	assert.Equal(t, 10*time.Second, s.o.HTTPClient.Timeout)
	assert.Equal(t, int64(DefaultMaxBody), s.o.MaxBody)
	assert.Equal(t, DefaultAnswerTimeout, s.o.AnswerTimeout)
}

// A transport error names the response_url; it is logged without it.
func TestSlashAnswerPeerGone(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	ans := &fakeAnswerer{alerts: func(context.Context) ([]Alert, error) {
		<-release
		return nil, nil
	}}
	e := newEnv(t, ans, nil)
	status, _ := e.command(t, "alerts")
	require.Equal(t, http.StatusOK, status)
	e.hook.Close() // Slack's side goes away before the answer is ready
	close(release)
	e.settle(t)
	logs := e.logs.String()
	assert.Contains(t, logs, "slash command answer not posted")
	assert.NotContains(t, logs, "abcdefABCDEF")
	assert.NotContains(t, logs, e.hook.URL)
	assert.Equal(t, 1.0, testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultError)))
}
