package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// both does fn on every replica at once and waits for them.
func both(t *testing.T, reps []*lcEnv, fn func(e *lcEnv) error) {
	t.Helper()
	var wg sync.WaitGroup
	for _, e := range reps {
		wg.Go(func() { assert.NoError(t, fn(e)) })
	}
	wg.Wait()
}

// runBoth has both replicas run the firing at and send.
func runBoth(t *testing.T, reps []*lcEnv, at time.Time) {
	t.Helper()
	reps[0].to(at)
	both(t, reps, func(e *lcEnv) error {
		_, err := e.runner.Run(context.Background(), e.job, at, false)
		return err
	})
	both(t, reps, func(e *lcEnv) error { return e.worker.Drain(context.Background()) })
}

// TestLifecycleTwoReplicasActiveHoursAndReminders: the Done-when scenarios
// of active hours and reminders with two replicas on one PostgreSQL store,
// both running every firing, releasing and sending at the same instants:
// held at 07:00, one post when the window opens at 08:00 without another
// run, reminders on the first run after each 4 h, and one update plus one
// thread reply when it resolves.
func TestLifecycleTwoReplicasActiveHoursAndReminders(t *testing.T) {
	t.Parallel()
	url := pgURL(t)
	a := newLC(t, url, day(22).Add(-2*time.Hour), `      active_hours: [{times: ["08:00-18:00"]}]
      repeat_every: 4h
`, nil)
	b := newLC(t, url, day(22).Add(-2*time.Hour), "", a)
	reps := []*lcEnv{a, b}

	runBoth(t, reps, day(22).Add(-2*time.Hour)) // 07:00, breaching: held
	assert.Empty(t, a.slack.seen())
	a.to(day(22).Add(-time.Hour)) // 08:00: the window opens
	both(t, reps, func(e *lcEnv) error { _, err := e.sched.ReleaseHeld(context.Background()); return err })
	both(t, reps, func(e *lcEnv) error { return e.worker.Drain(context.Background()) })
	require.Equal(t, []string{"chat.postMessage"}, methods(a.slack.seen()), "released once")
	ts := a.slack.seen()[0].Answered
	assert.Len(t, outboxFiles(t, a.outbox), 1)

	var reminded []int
	for h := 9; h <= 17; h++ {
		before := len(a.slack.seen())
		runBoth(t, reps, day(22).Add(time.Duration(h-9)*time.Hour))
		if len(a.slack.seen()) > before {
			reminded = append(reminded, h)
		}
	}
	assert.Equal(t, []int{12, 16}, reminded, "4 h after the release at 08:00, then 4 h later")
	runBoth(t, reps, day(24))
	calls := a.slack.seen()
	assert.Equal(t, []string{"chat.postMessage", "chat.postMessage thread " + ts, "chat.postMessage thread " + ts,
		"chat.update " + ts, "chat.postMessage thread " + ts}, methods(calls))
	assert.Equal(t, []string{"[FIRING] chat-volume: 2 firing", "[FIRING] chat-volume: 2 still firing",
		"[FIRING] chat-volume: 2 still firing", "[RESOLVED] chat-volume: 2 resolved"}, a.mailSubjects(t))
}

// TestLifecycleTwoReplicasFailingUpdate: a resolve whose update Slack
// refuses is one fallback post, though both replicas send.
func TestLifecycleTwoReplicasFailingUpdate(t *testing.T) {
	t.Parallel()
	url := pgURL(t)
	a := newLC(t, url, day(22), "", nil)
	b := newLC(t, url, day(22), "", a)
	reps := []*lcEnv{a, b}
	a.slack.failUpdate = "cant_update_message"
	runBoth(t, reps, day(22))
	ts := a.slack.seen()[0].Answered
	runBoth(t, reps, day(24))
	assert.Equal(t, []string{"chat.postMessage", "chat.update " + ts, "chat.postMessage"}, methods(a.slack.seen()))
}
