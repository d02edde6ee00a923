package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSilencer records requests and answers with a fixed end.
type fakeSilencer struct {
	mu   sync.Mutex
	reqs []SilenceRequest
	err  error
	list []string
}

func (f *fakeSilencer) Silence(_ context.Context, r SilenceRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, r)
	return "2026-11-24 11:00 CET", f.err
}

func (f *fakeSilencer) Silences(context.Context) ([]string, error) { return f.list, f.err }

func TestSlashSilence(t *testing.T) {
	t.Parallel()
	fs := &fakeSilencer{list: []string{"#3 frt-watch until 2026-11-24 11:00 CET by <@U1>: *incident*"}}
	e := newEnv(t, &fakeAnswerer{}, func(o *Options) { o.Silencer = fs })
	status, ack := e.command(t, "silence frt-watch/chats_first_response_time.seconds 2h incident *42*")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, ack.Text, "Working on it")
	p := e.hook.next(t)
	assert.Equal(t, "in_channel", p.ResponseType)
	assert.Contains(t, p.Text, "silenced *frt-watch/chats")
	assert.Contains(t, p.Text, "until 2026-11-24 11:00 CET")
	assert.NotContains(t, p.Text, "*42*", "the reason is escaped")
	require.Len(t, fs.reqs, 1)
	assert.True(t, strings.HasPrefix(fs.reqs[0].Key, "v0="), "the request's signature names it: %q", fs.reqs[0].Key)
	fs.reqs[0].Key = ""
	assert.Equal(t, SilenceRequest{Job: "frt-watch", Metrics: []string{"chats_first_response_time.seconds"}, For: 2 * time.Hour,
		By: "<@U2147483697>", Reason: "incident *42*"}, fs.reqs[0])

	status, _ = e.command(t, "silences")
	require.Equal(t, http.StatusOK, status)
	p = e.hook.next(t)
	assert.Contains(t, p.Text, "1 silence in force")
	assert.NotContains(t, p.Text, "*incident*")

	fs.err = errors.New("no such job")
	status, _ = e.command(t, "silence nope 1h")
	require.Equal(t, http.StatusOK, status)
	p = e.hook.next(t)
	assert.Equal(t, "ephemeral", p.ResponseType)
	assert.Contains(t, p.Text, "no such job")

	status, ack = e.command(t, "silence frt-watch forever")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, ack.Text, "duration")
}

func TestInteractionRefusedWithoutSignature(t *testing.T) {
	t.Parallel()
	fs := &fakeSilencer{}
	e := newEnv(t, &fakeAnswerer{}, func(o *Options) { o.Silencer = fs })
	req := signedRequest(t, e.http.URL, "wrong-secret", time.Now(), []byte("payload=%7B%7D"))
	req.URL.Path = "/slack/interactions"
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Empty(t, fs.reqs)

	// Signed but not ours (a payload without our buttons): ignored.
	req = signedRequest(t, e.http.URL, testSecret, time.Now(), []byte("payload=%7B%22type%22%3A%22block_actions%22%7D"))
	req.URL.Path = "/slack/interactions"
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Empty(t, fs.reqs)
}

func TestAlertAndInteractionMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.AlertMessage("frt-watch", "held")
	m.AlertMessage("frt-watch", "held")
	m.AlertMessage("weekly", "released")
	m.Interaction(ResultSilenced)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP livechat_digest_slack_interactions_total Slack button presses by result: silenced, ignored, unauthorized, replayed, error.
# TYPE livechat_digest_slack_interactions_total counter
livechat_digest_slack_interactions_total{result="error"} 0
livechat_digest_slack_interactions_total{result="ignored"} 0
livechat_digest_slack_interactions_total{result="replayed"} 0
livechat_digest_slack_interactions_total{result="silenced"} 1
livechat_digest_slack_interactions_total{result="unauthorized"} 0
`), "livechat_digest_slack_interactions_total"))
	assert.Equal(t, 2.0, testutil.ToFloat64(m.alertMessages.WithLabelValues("held")))
	assert.Equal(t, 0.0, testutil.ToFloat64(m.alertMessages.WithLabelValues("silenced")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.alertMessages.WithLabelValues("released")))
	var nilM *Metrics
	nilM.AlertMessage("j", "held")
	nilM.Interaction(ResultIgnored)
}

// pressSilence1h is U1's signed press of the "Silence 1h" button of job's
// alert post in channel C1.
func pressSilence1h(t *testing.T, e *env, job string) *http.Request {
	t.Helper()
	payload := `{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C1"},"container":{"message_ts":"1.000100"},` +
		`"response_url":"` + e.hook.URL + `/commands/T0001/1/x","actions":[{"type":"button","block_id":"b1","action_id":"silence_1h","value":"{\"job\":\"` + job + `\"}"}]}`
	req := signedRequest(t, e.http.URL, testSecret, time.Now(), []byte("payload="+url.QueryEscape(payload)))
	req.URL.Path = "/slack/interactions"
	return req
}

// TestInteractionErrorReachesThePresser: Slack shows nothing of the HTTP
// answer to a button press, so a silence that could not be made is told
// through response_url, to the presser only, and the message stays as it
// was.
func TestInteractionErrorReachesThePresser(t *testing.T) {
	t.Parallel()
	fs := &fakeSilencer{err: errors.New("unknown job \"gone\"")}
	e := newEnv(t, &fakeAnswerer{}, func(o *Options) { o.Silencer = fs })
	req := pressSilence1h(t, e, "gone")
	status, _ := e.send(t, req)
	require.Equal(t, http.StatusOK, status)
	p := e.hook.next(t)
	assert.Equal(t, "ephemeral", p.ResponseType)
	assert.Contains(t, p.Text, "Could not silence")
	assert.Contains(t, p.Text, "unknown job")
	assert.NotContains(t, p.raw, `"replace_original":true`)
	require.Len(t, fs.reqs, 1)
	assert.Equal(t, SilenceRequest{Job: "gone", For: time.Hour, By: "<@U1>", Reason: "silenced from Slack", Channel: "C1", TS: "1.000100",
		Key: req.Header.Get("X-Slack-Signature")}, fs.reqs[0])
}

// TestReplayCarriedOutElsewhereIsIgnored: when the Silencer says another
// replica carried the request out already (ErrReplayed), a button press is
// acknowledged and a silence command's ack stands, and neither posts
// anything: the replica that carried it out answers. Each is counted as a
// replay.
func TestReplayCarriedOutElsewhereIsIgnored(t *testing.T) {
	t.Parallel()
	fs := &fakeSilencer{err: fmt.Errorf("store says: %w", ErrReplayed)}
	e := newEnv(t, &fakeAnswerer{}, func(o *Options) { o.Silencer = fs })
	req := pressSilence1h(t, e, "frt")
	status, _ := e.send(t, req)
	require.Equal(t, http.StatusOK, status)
	status, ack := e.command(t, "silence frt 1h")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, ack.Text, "Working on it")
	e.settle(t)

	assert.Zero(t, e.hook.count.Load(), "nothing posted")
	require.Len(t, fs.reqs, 2)
	assert.Equal(t, req.Header.Get("X-Slack-Signature"), fs.reqs[0].Key)
	assert.NotEmpty(t, fs.reqs[1].Key)
	assert.NotEqual(t, fs.reqs[0].Key, fs.reqs[1].Key)
	assert.Equal(t, 1.0, testutil.ToFloat64(e.metrics.interactions.WithLabelValues(ResultReplayed)))
	assert.Equal(t, 1.0, testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultReplayed)))
	assert.Zero(t, testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultError)))
}
