package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/notify"
	"livechat-digest/store"
)

// retryFor gives e a worker whose retry window is d (the lifecycle's
// default is 30 minutes), with the same peers and Gate.
func (e *lcEnv) retryFor(t *testing.T, d time.Duration) {
	t.Helper()
	out, err := notify.NewOutbox(e.outbox)
	require.NoError(t, err)
	sl, err := notify.NewSlack(lcToken, e.slack.srv.URL+"/api/", e.slack.srv.Client())
	require.NoError(t, err)
	observe := func(_, result string) { e.mu.Lock(); e.observed[result]++; e.mu.Unlock() }
	e.worker, err = notify.NewWorker(e.st, map[string]notify.Sender{notify.ChannelEmail: out, notify.ChannelSlack: sl},
		notify.WorkerOptions{Owner: "retry-" + e.job.Name, Clock: e.clock, RetryFor: d, Gate: NewGate(e.st, newRenderer(t), e.clock, observe)})
	require.NoError(t, err)
}

// TestLifecycleResolveWaitsForTheRetriedPost: the firing post is rate
// limited for three days (Retry-After) while the alert resolves. The
// resolve waits for it (the ts must exist first), and then updates it.
func TestLifecycleResolveWaitsForTheRetriedPost(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(22), "", nil)
		e.retryFor(t, 7*24*time.Hour)
		e.slack.failPosts, e.slack.retryAfter = 1, "259200"
		e.fire(t, day(22))
		require.Empty(t, e.slack.seen())
		e.fire(t, day(24)) // resolves; the post is due only on day 25
		assert.Empty(t, e.slack.seen(), "the resolve waits for the post")
		e.to(day(25))
		e.send(t)
		calls := e.slack.seen()
		require.Len(t, calls, 3)
		ts := calls[0].Answered
		assert.Equal(t, []string{"chat.postMessage", "chat.update " + ts, "chat.postMessage thread " + ts}, methods(calls))
	})
}

// TestLifecycleFiringThatFailedForGoodIsNotResolved: the firing post fails
// for good (its retry window ends in an outage); the resolve then has no
// post to update and nothing to close: it sends nothing to Slack, and the
// email, whose firing went out, still gets its resolve.
func TestLifecycleFiringThatFailedForGoodIsNotResolved(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		e := newLC(t, url, day(22), "", nil)
		e.slack.failPosts = 2
		e.fire(t, day(22)) // 503, retried
		e.to(day(24))
		_, err := e.runner.Run(context.Background(), e.job, day(24), false) // resolves, queued behind the post
		require.NoError(t, err)
		err = e.worker.Drain(context.Background()) // the retry fails past the window
		require.ErrorIs(t, err, notify.ErrDeliveryFailed)
		assert.Empty(t, e.slack.seen())
		failed, err := e.st.Deliveries(context.Background(), store.DeliveryFilter{Status: store.DeliveryFailed})
		require.NoError(t, err)
		require.Len(t, failed, 1)
		dropped, err := e.st.Deliveries(context.Background(), store.DeliveryFilter{Status: store.DeliveryDropped})
		require.NoError(t, err)
		require.Len(t, dropped, 1, "the resolve of a post never sent is dropped, not sent or left waiting")
		assert.Equal(t, []string{"[FIRING] chat-volume: 2 firing", "[RESOLVED] chat-volume: 2 resolved"}, e.mailSubjects(t))
	})
}

// TestLifecycleFailedPostIsAnnouncedAgain: the firing post failed for good
// (Slack was down for the whole retry window). Nothing announced the
// firing, so the next run (not the release) announces it again, once; the failed post queued
// again by hand (deliveries retry) says nothing; the resolve updates the
// post that went out.
func TestLifecycleFailedPostIsAnnouncedAgain(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		e := newLC(t, url, day(22), "", nil)
		e.slack.failPosts = 2
		e.fire(t, day(22)) // 503, retried
		e.to(day(22).Add(time.Hour))
		require.ErrorIs(t, e.worker.Drain(ctx), notify.ErrDeliveryFailed, "the retry fails past the window")
		require.Empty(t, e.slack.seen())
		e.release(t)
		e.release(t)
		require.Empty(t, e.slack.seen(), "the release does not retry it: a target that refuses everything would be tried every few seconds")

		e.fire(t, day(22).Add(2*time.Hour)) // still breaching: announced anew
		calls := e.slack.seen()
		require.Equal(t, []string{"chat.postMessage"}, methods(calls))
		ts := calls[0].Answered
		ns, err := e.st.Notices(ctx, store.NoticeFilter{Job: e.job.Name, Status: store.NoticeAnnounced})
		require.NoError(t, err)
		assert.Len(t, ns, 4, "two alerts, two targets: all announced")

		n, err := e.st.RequeueFailed(ctx, store.RequeueFilter{Job: e.job.Name}, e.clock.Now())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		e.send(t)
		assert.Len(t, e.slack.seen(), 1, "the old post, queued again, announces nothing twice")

		e.fire(t, day(24))
		assert.Equal(t, []string{"chat.postMessage", "chat.update " + ts, "chat.postMessage thread " + ts}, methods(e.slack.seen()))
	})
}
