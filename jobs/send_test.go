package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/livechat"
	"livechat-digest/store"
)

// sendYAML is a weekly digest with a send rule and a threshold on chats.
const sendYAML = `
jobs:
  - name: weekly
    schedule: "0 9 * * MON"
    timezone: UTC
    period: last_week
    compare: previous_period
    reports: [total_chats, chats_first_response_time]
    send: SEND
    thresholds: [{metric: total_chats.chats, above: LIMIT}]
    email: {to: [leads@example.com]}
    alerts: {email: {to: [oncall@example.com]}}
`

// digests counts the digest emails in the outbox (not alerts).
func (e *runEnv) digests(t *testing.T) int {
	t.Helper()
	n := 0
	for _, m := range outboxFiles(t, e.outbox) {
		if !strings.HasPrefix(m.Subject, "[FIRING]") && !strings.HasPrefix(m.Subject, "[RESOLVED]") {
			n++
		}
	}
	return n
}

// TestSendRules runs a weekly digest under each send rule over the
// simulator: a held-back digest is recorded as skipped with the reason and
// sends nothing, while its alerts are stepped and sent as always.
func TestSendRules(t *testing.T) {
	t.Parallel()
	monday := day(23) // last week: Nov 16-22, a quiet change (noise) in the simulator
	spikeWeek := livechat.Date{Year: 2026, Month: 11, Day: 18}
	tests := []struct {
		name     string
		send     string
		limit    string // the chats threshold: 1e9 never breaches, 1 always
		spike    bool   // 3× the chats of one day of last week: a real change
		wantSent bool
		wantWhy  string
		alerts   int // firing messages
	}{
		{"always sends a quiet week", "always", "1e9", false, true, "", 0},
		{"changes holds a quiet week back", "changes", "1e9", false, false, "digest not sent (send: changes): no change passed the significance tests and no threshold breaches", 0},
		{"changes sends a real change", "changes", "1e9", true, true, "", 0},
		{"changes sends a breach", "changes", "1", false, true, "", 1},
		{"breaches holds a real change back", "breaches", "1e9", true, false, "digest not sent (send: breaches): no threshold breaches", 0},
		{"breaches sends a breach, and the alert fires", "breaches", "1", false, true, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newRunEnv(t, monday.Add(-time.Hour))
			if tt.spike {
				e.runner = newRunner(t, spike{f: e.up.client(t, testLogin, testKey), day: spikeWeek, factor: 3}, e.st, e.clock, "replica-1")
			}
			cfg := parseConfig(t, strings.NewReplacer("SEND", tt.send, "LIMIT", tt.limit).Replace(sendYAML))
			job, ok := cfg.Job("weekly")
			require.True(t, ok)

			res := e.fireAt(t, job, monday)
			assert.Equal(t, tt.spike, res.Digest.HasChanges(), "the week's changes are real only with the spike")
			if tt.wantSent {
				assert.Equal(t, store.RunOK, res.Run.Status)
				assert.Equal(t, 1, e.digests(t))
			} else {
				assert.Equal(t, store.RunSkipped, res.Run.Status)
				assert.Equal(t, tt.wantWhy, res.Run.Error)
				assert.Zero(t, e.digests(t), "nothing sent")
			}
			// Recorded, not lost: the run is finished with its digest.
			runs, err := e.st.Runs(context.Background(), job.Name, 0)
			require.NoError(t, err)
			require.Len(t, runs, 1)
			assert.Equal(t, res.Run.Status, runs[0].Status)
			assert.Equal(t, res.Run.Error, runs[0].Error)
			assert.NotEmpty(t, runs[0].Digest)

			// Alerts are stepped either way.
			key := AlertKey(job, Thresholds(job)[0])
			st, err := e.st.Alert(context.Background(), job.Name, key)
			require.NoError(t, err)
			assert.Equal(t, monday.UTC(), st.Updated.UTC())
			assert.Equal(t, tt.alerts == 1, st.Firing)
			f, _ := e.alertCounts(t)
			assert.Equal(t, tt.alerts, f)

			// A second run of the firing sends nothing new.
			again, err := e.runner.Run(context.Background(), job, monday, false)
			require.NoError(t, err)
			assert.True(t, again.Skipped)
		})
	}
}

// TestHeldDigestStillResolves: a digest held back by send: breaches still
// steps its alerts, and a resolve goes out although the digest does not.
// Week one (a spike: 3× the chats of one day) breaches and is sent with its
// firing; week two is quiet: no digest, one resolved message.
func TestHeldDigestStillResolves(t *testing.T) {
	t.Parallel()
	week1, week2 := day(23), day(30)
	e := newRunEnv(t, week1.Add(-time.Hour))
	e.runner = newRunner(t, spike{f: e.up.client(t, testLogin, testKey), day: livechat.Date{Year: 2026, Month: 11, Day: 18}, factor: 3}, e.st, e.clock, "replica-1")
	cfg := parseConfig(t, strings.NewReplacer("SEND", "breaches", "LIMIT", "1e9").Replace(sendYAML))
	job, ok := cfg.Job("weekly")
	require.True(t, ok)
	chats := func(at time.Time) float64 {
		d, err := e.runner.Build(context.Background(), job, at)
		require.NoError(t, err)
		return *d.Metrics["total_chats.chats"].Current
	}
	high, low := chats(week1), chats(week2)
	require.Greater(t, high, low)
	t.Logf("chats: %v with the spike, %v the week after", high, low)
	*job.Thresholds[0].Above = (high + low) / 2

	res := e.fireAt(t, job, week1)
	assert.Equal(t, store.RunOK, res.Run.Status)
	assert.Len(t, res.Fired, 1)
	assert.Equal(t, 1, e.digests(t))

	res = e.fireAt(t, job, week2)
	assert.Equal(t, store.RunSkipped, res.Run.Status)
	assert.Equal(t, "digest not sent (send: breaches): no threshold breaches", res.Run.Error)
	assert.Len(t, res.Resolved, 1)
	assert.Equal(t, 1, res.Queued, "the resolve alone")
	assert.Equal(t, 1, e.digests(t), "no second digest")
	f, r := e.alertCounts(t)
	assert.Equal(t, [2]int{1, 1}, [2]int{f, r})
}
