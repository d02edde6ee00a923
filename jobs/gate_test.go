package jobs

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/notify"
	"livechat-digest/store"
	"livechat-digest/templates"
)

// twoMetricYAML is lcYAML's job with a third threshold on another metric
// that always breaches, so a silence of total_chats.chats drops two lines
// of a message and keeps one.
var twoMetricYAML = strings.NewReplacer(
	"reports: [total_chats]", "reports: [total_chats, chats_first_response_time]",
	"      - {metric: total_chats.chats, below: 2}\n",
	"      - {metric: total_chats.chats, below: 2}\n      - {metric: chats_first_response_time.count, above: -1}\n",
	"EXTRA", "",
).Replace(lcYAML)

// firingLines counts the new firing lines of total_chats.chats ("Chats")
// and of the first responses ("First responses") in every post.
func firingLines(calls []slackCall) (chats, responses int) {
	for _, c := range calls {
		if c.Method != "chat.postMessage" || c.ThreadTS != "" {
			continue
		}
		chats += strings.Count(c.Blocks, `"text":"Chats"`)
		responses += strings.Count(c.Blocks, `"text":"First responses"`)
	}
	return chats, responses
}

// TestLifecycleDroppedLineIsAnnouncedOnce: a silence drops two of a post's
// three lines at send time, the send then fails, and the silence ends
// before the retry. The retry must not carry the dropped lines: the
// release at the silence's end announces them, once. The same for email.
func TestLifecycleDroppedLineIsAnnouncedOnce(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLCFrom(t, url, day(22), twoMetricYAML, nil)
		e.to(day(22))
		_, err := e.runner.Run(context.Background(), e.job, day(22), false)
		require.NoError(t, err)
		e.silence(t, "total_chats.chats", day(22).Add(time.Hour))
		e.slack.failPosts = 1
		e.send(t)
		require.Equal(t, 1, e.slack.failed, "the post failed once and waits for its retry")
		require.Len(t, outboxFiles(t, e.outbox), 1)

		e.to(day(22).Add(time.Hour)) // the silence ends; the retry is due
		e.release(t)
		e.release(t)
		chats, responses := firingLines(e.slack.seen())
		assert.Equal(t, 2, chats, "each Chats threshold announced once: by the release, not by the retry too")
		assert.Equal(t, 1, responses)
		assert.Equal(t, []string{"chat.postMessage", "chat.postMessage"}, methods(e.slack.seen()))
		post := e.slack.seen()[1].Blocks
		assert.Less(t, strings.Index(post, "below 35"), strings.Index(post, "below 44.5"), "released lines in the config's order")
		mails := outboxFiles(t, e.outbox)
		require.Len(t, mails, 2)
		assert.Equal(t, "[FIRING] chat-volume: 2 firing", mails[1].Subject, "the release mails the two held lines")

		// The Chats alerts resolve (the first responses keep firing): the
		// release's post is updated, the retried one is not.
		released := e.slack.seen()[1].Answered
		e.fire(t, day(24))
		calls := e.slack.seen()
		assert.Equal(t, []string{"chat.postMessage", "chat.postMessage", "chat.update " + released, "chat.postMessage thread " + released}, methods(calls))
		assert.Equal(t, 2, strings.Count(calls[2].Blocks, `"text":"Chats"`))
		assert.NotContains(t, calls[2].Blocks, "First responses")
	})
}

// TestLifecycleResolveOfADroppedLineSaysNothing: the post announcing three
// alerts waits for its retry while two of them resolve; then a silence
// drops those two from the post at send time. People never saw them
// fire there, so the resolve that follows the post says nothing of them:
// no update, no thread reply.
func TestLifecycleResolveOfADroppedLineSaysNothing(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLCFrom(t, url, day(22), twoMetricYAML, nil)
		e.slack.failPosts = 1
		e.fire(t, day(22)) // the post fails once and waits for its retry
		require.Empty(t, e.slack.seen())
		e.to(day(24))
		_, err := e.runner.Run(context.Background(), e.job, day(24), false) // the Chats alerts resolve
		require.NoError(t, err)
		e.silence(t, "total_chats.chats", day(25))
		e.send(t)
		calls := e.slack.seen()
		require.Equal(t, []string{"chat.postMessage"}, methods(calls), "the post went out, and nothing followed it")
		assert.NotContains(t, calls[0].Blocks, `"text":"Chats"`)
		assert.Contains(t, calls[0].Blocks, `"text":"First responses"`)
	})
}

// TestLifecycleResolveKeepsTheSilencedNote: someone silenced the post with
// its buttons (the interactions endpoint stores the silence and notes it on
// the post's delivery); when two of its alerts resolve and the post is
// rewritten, it still says who silenced it until when, and the buttons do
// not come back.
func TestLifecycleResolveKeepsTheSilencedNote(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLCFrom(t, url, day(22), twoMetricYAML, nil)
		e.fire(t, day(22))
		post := e.slack.seen()[0]
		require.Contains(t, post.Blocks, `"action_id":"silence_1h"`)
		now := e.clock.Now()
		until := day(23) // 09:00 tomorrow, UTC
		_, err := e.st.AddSilences(context.Background(), []store.Silence{{Job: e.job.Name, StartsAt: now, EndsAt: until,
			CreatedBy: "<@U0ANN>", Reason: "silenced from Slack", CreatedAt: now}}, store.SlackPost{Channel: "C0ALERTS01", TS: post.Answered})
		require.NoError(t, err)

		e.fire(t, day(24)) // the Chats alerts resolve; first responses still fire
		calls := e.slack.seen()
		require.Equal(t, []string{"chat.postMessage", "chat.update " + post.Answered, "chat.postMessage thread " + post.Answered}, methods(calls))
		assert.Contains(t, calls[1].Blocks, `Silenced by `)
		assert.Contains(t, calls[1].Blocks, `{"type":"user","user_id":"U0ANN"}`)
		assert.Contains(t, calls[1].Blocks, "until 2026-11-23 09:00 UTC")
		assert.NotContains(t, calls[1].Blocks, `"action_id"`, "no buttons while it says it is silenced")
	})
}

// TestLifecycleUpdateButtonsSilenceWhatStillFires: when some alerts of a
// post resolve, the rewritten post's buttons silence the alerts that still
// fire in it, not the ones that just resolved.
func TestLifecycleUpdateButtonsSilenceWhatStillFires(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLCFrom(t, url, day(22), twoMetricYAML, nil)
		e.fire(t, day(22))
		e.fire(t, day(24)) // the Chats alerts resolve; first responses still fire
		calls := e.slack.seen()
		require.Equal(t, "chat.update", calls[1].Method)
		assert.Contains(t, calls[1].Blocks, `"value":"{\"job\":\"chat-volume\",\"metrics\":[\"chats_first_response_time.count\"]}"`)
		assert.NotContains(t, calls[1].Blocks, `total_chats.chats\"]`)
		assert.Contains(t, calls[1].Blocks, "period 2026-11-23", "each line with the run's period")
	})
}

// TestGateLeavesDroppedLinesOutOfTheUpdate: the update of a post from
// which the gate dropped an alert (it never showed there) lists only the
// post's other alerts, even when the queued update still names it.
func TestGateLeavesDroppedLinesOutOfTheUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	now := day(24)
	_, err = st.Record(ctx, []store.Delivery{{Key: "post", Job: "j", Kind: kindAlert, Channel: "slack", Target: "slack:#alerts", CreatedAt: now}}, nil)
	require.NoError(t, err)
	claimed, err := st.Claim(ctx, "w", now, time.Minute, 1)
	require.NoError(t, err)
	require.NoError(t, st.HoldNotices(ctx, "post", []string{"a"}))
	require.NoError(t, st.MarkSentReceipt(ctx, claimed[0].ID, "w", now, "C1", "1.000100"))

	v := 80.0
	ev := func(metric string) templates.AlertEvent {
		return templates.AlertEvent{Job: "j", Metric: metric, Rule: "below 100", Value: &v, Threshold: 100, State: templates.StateResolved}
	}
	meta := alertMeta{Job: "j", Kind: metaUpdate, Target: "slack:#alerts", Ref: "post",
		Lines: []metaLine{{Kind: lineResolved, Key: "b", Metric: "chats_first_response_time.count", Ref: "post", Event: ev("chats_first_response_time.count")}},
		Post:  []metaPostLine{{Key: "a", Event: ev("total_chats.chats"), Resolved: true}, {Key: "b", Event: ev("chats_first_response_time.count"), Resolved: true}}}
	r := newRenderer(t)
	m, err := renderSlack(r, "#alerts", meta)
	require.NoError(t, err)
	require.Contains(t, string(m.SlackUpdate.Blocks), `"text":"Chats"`)
	out, drop, err := NewGate(st, r, clockwork.NewFakeClockAt(now), nil).Check(ctx, store.Delivery{Key: "update"}, m)
	require.NoError(t, err)
	require.Empty(t, drop)
	assert.NotContains(t, string(out.SlackUpdate.Blocks), `"text":"Chats"`)
	assert.Contains(t, string(out.SlackUpdate.Blocks), `"text":"First responses"`)
	assert.Equal(t, "1.000100", out.SlackUpdate.TS)
	assert.Equal(t, "C1", out.SlackUpdate.UpdateChannel)
}

// TestLifecycleReleasedPostPassesTheGate: a released firing has no period;
// its message must still reach the gate (it once failed to decode and was
// sent unchecked): silenced again before it is sent, it is dropped.
func TestLifecycleReleasedPostPassesTheGate(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(22), "", nil)
		s := e.silence(t, "", day(22).Add(3*time.Hour))
		e.fire(t, day(22)) // held
		e.to(day(22).Add(time.Hour))
		_, err := e.st.ExpireSilence(context.Background(), s.ID, e.clock.Now())
		require.NoError(t, err)
		_, err = e.sched.ReleaseHeld(context.Background()) // queued, not sent yet
		require.NoError(t, err)
		e.silence(t, "", day(22).Add(5*time.Hour))
		e.send(t)
		assert.Empty(t, e.slack.seen(), "silenced again before it was sent: dropped")
		assert.Empty(t, outboxFiles(t, e.outbox))
		assert.Equal(t, 4, e.count(AlertSilenced))
	})
}

// TestGateRefusesMetaItCannotRead: an alert message whose Meta does not
// read back is not sent unchecked; it fails for good, naming job and
// target.
func TestGateRefusesMetaItCannotRead(t *testing.T) {
	t.Parallel()
	g := NewGate(nil, newRenderer(t), clockwork.NewFakeClockAt(day(22)), nil)
	for _, meta := range []string{`{"job":1}`, `{"kind":"post"}`} {
		_, _, err := g.Check(context.Background(), store.Delivery{Job: "frt", Target: "slack:#alerts"},
			notify.Message{Channel: notify.ChannelSlack, Meta: []byte(meta)})
		require.Error(t, err, meta)
		assert.False(t, notify.IsRetryable(err))
		assert.Contains(t, err.Error(), "jobs: frt: gate slack:#alerts")
	}
}
