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
