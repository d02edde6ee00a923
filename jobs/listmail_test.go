package jobs

import (
	"bytes"
	"context"
	"net/mail"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/notify"
	"livechat-digest/store"
)

// firingYAML has a digest to two recipients and an alert that fires on the
// first run.
const firingYAML = `
jobs:
  - name: weekly-support
    schedule: "0 9 * * MON"
    timezone: America/New_York
    period: last_7_days
    reports: [total_chats]
    thresholds: [{metric: total_chats.chats, above: 0}]
    email: {to: [leads@example.com, boss@example.com]}
    alerts: {email: {to: [oncall@example.com]}}
`

// receivedHeaders runs one firing of firingYAML through a real go-smtp
// server and returns the headers of every message it received, keyed by
// recipient.
func receivedHeaders(t *testing.T, e *runEnv) map[string]mail.Header {
	t.Helper()
	ctx := context.Background()
	cfg := parseConfig(t, firingYAML)
	job, ok := cfg.Job("weekly-support")
	require.True(t, ok)
	res, err := e.runner.Run(ctx, job, e.clock.Now(), false)
	require.NoError(t, err)
	require.NotEmpty(t, res.Fired, "the alert fires")
	require.NoError(t, e.worker.Drain(ctx))

	e.peer.mu.Lock()
	raw := slices.Clone(e.peer.msgs)
	e.peer.mu.Unlock()
	out := map[string]mail.Header{}
	for _, b := range raw {
		m, err := mail.ReadMessage(bytes.NewReader(b))
		require.NoError(t, err)
		out[m.Header.Get("To")] = m.Header
	}
	return out
}

// TestEmailHeadersForFilters: every message is marked auto-generated with a
// Message-ID in the From domain; digests are list mail (List-Id), alerts
// are not.
func TestEmailHeadersForFilters(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t, mondayNY, newSMTPPeer(t))
	got := receivedHeaders(t, e)
	require.Len(t, got, 3, "two digests and one alert")
	for to, h := range got {
		assert.Equal(t, "auto-generated", h.Get("Auto-Submitted"), to)
		assert.True(t, strings.HasSuffix(h.Get("Message-Id"), "@example.com>"), "%s: Message-ID %q", to, h.Get("Message-Id"))
	}
	for _, to := range []string{"<leads@example.com>", "<boss@example.com>"} {
		require.Contains(t, got, to)
		assert.Equal(t, "<weekly-support.digest.example.com>", got[to].Get("List-Id"), to)
	}
	alert := got["<oncall@example.com>"]
	require.NotNil(t, alert)
	assert.Empty(t, alert.Get("List-Id"), "an alert is not list mail")
	assert.Empty(t, alert.Get("List-Unsubscribe"))
}

// TestUnsubscribeAppliedAtQueueAndSendTime: a recipient who unsubscribed
// before the run is not queued; one who unsubscribes after the digest was
// queued but before it went out is dropped by the worker.
func TestUnsubscribeAppliedAtQueueAndSendTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	peer := newSMTPPeer(t)
	e := newRunEnv(t, mondayNY, peer)
	e.runner.o.Unsubscribes = e.st
	e.runner.o.UnsubscribeURL = func(job, address string) string {
		return "https://digest.example.com/unsubscribe?t=" + job + "-" + strings.ReplaceAll(address, "@", "-")
	}
	w, err := notify.NewWorker(e.st, map[string]notify.Sender{notify.ChannelEmail: peer.sender(t)},
		notify.WorkerOptions{Owner: "replica-1", Clock: e.clock, Unsubscribes: e.st})
	require.NoError(t, err)

	_, err = e.st.Unsubscribe(ctx, "weekly-support", "Oncall@example.com", mondayNY)
	require.NoError(t, err) // an alert recipient: alerts are not list mail, still sent
	_, err = e.st.Unsubscribe(ctx, "weekly-support", "LEADS@example.com", mondayNY)
	require.NoError(t, err)
	cfg := parseConfig(t, firingYAML)
	job, _ := cfg.Job("weekly-support")
	res, err := e.runner.Run(ctx, job, e.clock.Now(), false)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Queued, "boss's digest and the alert; leads left out at queue time")

	// boss unsubscribes after queueing, before sending.
	_, err = e.st.Unsubscribe(ctx, "weekly-support", "boss@example.com", mondayNY)
	require.NoError(t, err)
	require.NoError(t, w.Drain(ctx))

	got := map[string]mail.Header{}
	peer.mu.Lock()
	for _, b := range peer.msgs {
		m, err := mail.ReadMessage(bytes.NewReader(b))
		require.NoError(t, err)
		got[m.Header.Get("To")] = m.Header
	}
	peer.mu.Unlock()
	assert.Len(t, got, 1)
	assert.Contains(t, got, "<oncall@example.com>", "alerts still go out")
	ds, err := e.st.Deliveries(ctx, store.DeliveryFilter{Job: "weekly-support"})
	require.NoError(t, err)
	for _, d := range ds {
		if d.Target == "email:boss@example.com" {
			assert.Equal(t, store.DeliveryDropped, d.Status)
			assert.Contains(t, d.LastError, "unsubscribed")
		}
	}
}

// TestDigestCarriesUnsubscribeLink: with a link maker, each digest has its
// recipient's List-Unsubscribe, List-Unsubscribe-Post and a footer link.
func TestDigestCarriesUnsubscribeLink(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t, mondayNY, newSMTPPeer(t))
	e.runner.o.UnsubscribeURL = func(job, address string) string {
		return "https://digest.example.com/unsubscribe?t=" + job + "." + strings.ReplaceAll(address, "@", "_")
	}
	got := receivedHeaders(t, e)
	for _, to := range []string{"leads@example.com", "boss@example.com"} {
		h := got["<"+to+">"]
		require.NotNil(t, h, to)
		assert.Equal(t, "<https://digest.example.com/unsubscribe?t=weekly-support."+strings.ReplaceAll(to, "@", "_")+">", h.Get("List-Unsubscribe"))
		assert.Equal(t, "List-Unsubscribe=One-Click", h.Get("List-Unsubscribe-Post"))
	}
	assert.Empty(t, got["<oncall@example.com>"].Get("List-Unsubscribe"), "not on alerts")
	e.peer.mu.Lock()
	defer e.peer.mu.Unlock()
	for _, b := range e.peer.msgs {
		if bytes.Contains(b, []byte("To: <leads@example.com>")) {
			flat := strings.ReplaceAll(string(b), "=\r\n", "")
			assert.Contains(t, flat, "Unsubscribe from this digest")
			assert.Contains(t, flat, "weekly-support.leads_example.com")
		}
	}
}
