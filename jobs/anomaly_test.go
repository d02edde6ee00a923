package jobs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/livechat"
	"livechat-digest/store"
)

// anomalyYAML watches yesterday's chats against the same weekday of the 8
// weeks before. z 5: the simulator's own quiet and busy days reach |z| ≈ 4.
const anomalyYAML = `
jobs:
  - name: chat-anomaly
    schedule: "0 9 * * *"
    timezone: UTC
    period: yesterday
    compare: none
    reports: [total_chats]
    thresholds: [{metric: total_chats.chats, anomaly: {weeks: 8, z: 5}}]
    alerts: {email: {to: [oncall@example.com]}}
`

// spike multiplies the simulator's chats of one day: an injected spike.
type spike struct {
	f      digest.Fetcher
	day    livechat.Date
	factor int64
}

func (s spike) Fetch(ctx context.Context, r livechat.Report, q livechat.Query) (any, error) {
	a, err := s.f.Fetch(ctx, r, q)
	v, ok := a.(livechat.Series[livechat.ChatCount])
	if err != nil || !ok {
		return a, err
	}
	v.Buckets = append([]livechat.Bucket[livechat.ChatCount](nil), v.Buckets...)
	for i, b := range v.Buckets {
		if b.Start == s.day {
			v.Buckets[i].Value.Chats *= s.factor
		}
	}
	return v, nil
}

// TestAnomalyFiresOnceAndResolvesOnce runs the job every morning over the
// simulator's history with 4× the chats injected on Tuesday 24 November:
// the alert fires once, on the 25th, with the breach's baseline and z in its
// message, and resolves once, the day after.
func TestAnomalyFiresOnceAndResolvesOnce(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t, day(19))
	e.runner = newRunner(t, spike{f: e.up.client(t, testLogin, testKey), day: livechat.Date{Year: 2026, Month: 11, Day: 24}, factor: 4}, e.st, e.clock, "replica-1")
	cfg := parseConfig(t, anomalyYAML)
	job, ok := cfg.Job("chat-anomaly")
	require.True(t, ok)
	key := "total_chats.chats anomaly weeks=8 z=5"
	require.Equal(t, key, AlertKey(job, Thresholds(job)[0]))

	var fired, resolved []int
	for d := 20; d <= 28; d++ {
		res := e.fireAt(t, job, day(d))
		require.Equal(t, "ok", res.Run.Status, res.Run.Error)
		if len(res.Fired) > 0 {
			fired = append(fired, d)
			require.Len(t, res.Digest.Breaches, 1)
			b := res.Digest.Breaches[0]
			assert.Equal(t, "anomaly", b.Rule)
			assert.Equal(t, 5.0, b.Threshold)
			require.NotNil(t, b.Baseline)
			require.NotNil(t, b.Z)
			assert.Greater(t, *b.Z, 5.0)
			assert.Equal(t, "Tuesday", b.Usual)
		}
		if len(res.Resolved) > 0 {
			resolved = append(resolved, d)
		}
	}
	assert.Equal(t, []int{25}, fired)
	assert.Equal(t, []int{26}, resolved)
	f, r := e.alertCounts(t)
	assert.Equal(t, [2]int{1, 1}, [2]int{f, r}, "one firing and one resolved message")

	var firing string
	for _, m := range outboxFiles(t, e.outbox) {
		if len(m.Subject) > 8 && m.Subject[:8] == "[FIRING]" {
			firing = m.Subject
			raw, err := os.ReadFile(filepath.Join(e.outbox, m.File))
			require.NoError(t, err)
			assert.Contains(t, string(raw), "usual Tuesday")
		}
	}
	assert.Regexp(t, `^\[FIRING\] chat-anomaly: Chats [0-9,]+ — [0-9.]+× the usual Tuesday \(z [0-9.]+, limit 5\)$`, firing)

	st, err := e.st.Alert(context.Background(), job.Name, key)
	require.NoError(t, err)
	assert.False(t, st.Firing)
}

// TestAnomalyReleasedSaysTheRatio: an anomaly that fires while silenced is
// announced when the silence ends by the release, which evaluates nothing;
// its message still says how far from the usual it is, from the score
// stored with the state ("3.4× the usual Tuesday"), not "anomaly 5".
func TestAnomalyReleasedSaysTheRatio(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t, day(24))
	e.runner = newRunner(t, spike{f: e.up.client(t, testLogin, testKey), day: livechat.Date{Year: 2026, Month: 11, Day: 24}, factor: 4}, e.st, e.clock, "replica-1")
	cfg := parseConfig(t, anomalyYAML)
	job, ok := cfg.Job("chat-anomaly")
	require.True(t, ok)
	ctx := context.Background()
	now := e.clock.Now()
	s, err := e.st.AddSilence(ctx, store.Silence{Job: job.Name, StartsAt: now, EndsAt: day(26), CreatedBy: "test", CreatedAt: now})
	require.NoError(t, err)

	res := e.fireAt(t, job, day(25))
	require.Len(t, res.Fired, 1)
	f, _ := e.alertCounts(t)
	require.Zero(t, f, "silenced: held")
	st, err := e.st.Alert(ctx, job.Name, res.Fired[0])
	require.NoError(t, err)
	require.NotNil(t, st.Anomaly, "the score is stored with the state")
	assert.Equal(t, "Tuesday", st.Anomaly.Usual)
	assert.Greater(t, st.Anomaly.Z, 5.0)

	e.clock.Advance(time.Hour)
	_, err = e.st.ExpireSilence(ctx, s.ID, e.clock.Now())
	require.NoError(t, err)
	_, err = e.runner.Release(ctx, job)
	require.NoError(t, err)
	require.NoError(t, e.worker.Drain(ctx))
	var subjects []string
	for _, m := range outboxFiles(t, e.outbox) {
		subjects = append(subjects, m.Subject)
	}
	require.Len(t, subjects, 1)
	assert.Regexp(t, `^\[FIRING\] chat-anomaly: Chats [0-9,]+ — [0-9.]+× the usual Tuesday \(z [0-9.]+, limit 5\)$`, subjects[0])
}
