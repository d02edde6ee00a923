package notify

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/store"
)

var _ Queue = (*store.Store)(nil)

type observed struct {
	mu  sync.Mutex
	got []string
}

func (o *observed) observe(channel, result string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, channel+"/"+result)
}

func (o *observed) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.got)
}

type workerEnv struct {
	w     *Worker
	clock *clockwork.FakeClock
	logs  *syncBuffer
	obs   *observed
}

func newWorkerEnv(t *testing.T, q Queue, senders map[string]Sender, owner string, clock *clockwork.FakeClock) workerEnv {
	t.Helper()
	logger, logs := testLogger()
	obs := &observed{}
	w, err := NewWorker(q, senders, WorkerOptions{
		Owner: owner, Clock: clock, Lease: time.Minute, RetryFor: 30 * time.Minute,
		BaseBackoff: 10 * time.Second, MaxBackoff: 5 * time.Minute, Poll: 15 * time.Second,
		Batch: 10, Logger: logger, Observe: obs.observe,
	})
	require.NoError(t, err)
	return workerEnv{w: w, clock: clock, logs: logs, obs: obs}
}

func smtpSender(t *testing.T, peer *smtpPeer, password string) *SMTP {
	t.Helper()
	user := ""
	if password != "" {
		user = "reports"
	}
	s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: peer.port(), TLS: TLSNone,
		Username: user, Password: password, Timeout: 10 * time.Second})
	require.NoError(t, err)
	return s
}

func slackSender(t *testing.T, peer *slackPeer) *Slack {
	t.Helper()
	s, err := NewSlack(slackToken, peer.apiURL(), peer.srv.Client())
	require.NoError(t, err)
	return s
}

func runOnce(t *testing.T, w *Worker) int {
	t.Helper()
	n, err := w.RunOnce(t.Context())
	require.NoError(t, err)
	return n
}

func TestWorkerSMTPRefusedThenAccepts(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{})
	peer.stop() // refuses connections for a while
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelEmail: smtpSender(t, peer, "")}, "w1", clock)
	id := q.add(t, sampleEmail(), firing)

	require.Equal(t, 1, runOnce(t, env.w))
	d := q.get(id)
	require.Equal(t, store.DeliveryQueued, d.Status)
	assert.Equal(t, 1, d.Attempts)
	assert.Contains(t, d.LastError, "connection refused")
	wait := d.NextAttemptAt.Sub(firing)
	assert.True(t, wait >= 5*time.Second && wait <= 10*time.Second, "first backoff %s", wait)

	peer.start(t) // back, on the same port
	require.Equal(t, 0, runOnce(t, env.w), "not due before its backoff")
	clock.Advance(wait)
	require.Equal(t, 1, runOnce(t, env.w))
	d = q.get(id)
	assert.Equal(t, store.DeliverySent, d.Status)
	assert.Equal(t, 2, d.Attempts)
	require.Len(t, peer.messages(), 1)
	assertSampleEmail(t, peer.messages()[0])
	assert.Equal(t, []string{"email/retry", "email/sent"}, env.obs.list())

	clock.Advance(time.Hour)
	assert.Equal(t, 0, runOnce(t, env.w))
	assert.Len(t, peer.messages(), 1)
}

func TestWorkerSMTP451ThenAccepts(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{failFirst: 3})
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelEmail: smtpSender(t, peer, "")}, "w1", clock)
	id := q.add(t, sampleEmail(), firing)

	for i := 0; i < 10 && q.get(id).Status != store.DeliverySent; i++ {
		runOnce(t, env.w)
		clock.Advance(5 * time.Minute)
	}
	d := q.get(id)
	require.Equal(t, store.DeliverySent, d.Status, "last error: %s", d.LastError)
	assert.Equal(t, 4, d.Attempts)
	assert.Len(t, peer.messages(), 1)
	assert.Equal(t, []string{"email/retry", "email/retry", "email/retry", "email/sent"}, env.obs.list())
}

func TestWorkerDeliveredThenDropped(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{dropAtRset: true})
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelEmail: smtpSender(t, peer, "")}, "w1", clock)
	id := q.add(t, sampleEmail(), firing)

	require.Equal(t, 1, runOnce(t, env.w))
	assert.Equal(t, store.DeliverySent, q.get(id).Status)
	clock.Advance(time.Hour)
	assert.Equal(t, 0, runOnce(t, env.w))
	assert.Len(t, peer.messages(), 1, "counted delivered, not retried")
	assert.Equal(t, []string{"email/sent"}, env.obs.list())
}

func TestWorkerSlack429HonoursRetryAfter(t *testing.T) {
	t.Parallel()
	peer := newSlackPeer(t, slackReply{status: 429, retryAfter: "1"})
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelSlack: slackSender(t, peer)}, "w1", clock)
	id := q.add(t, sampleSlack(), firing)

	require.Equal(t, 1, runOnce(t, env.w))
	assert.Equal(t, firing.Add(time.Second), q.get(id).NextAttemptAt, "Slack's Retry-After, not our backoff")
	clock.Advance(999 * time.Millisecond)
	assert.Equal(t, 0, runOnce(t, env.w))
	assert.Equal(t, 1, peer.count())
	clock.Advance(time.Millisecond)
	require.Equal(t, 1, runOnce(t, env.w))
	assert.Equal(t, store.DeliverySent, q.get(id).Status)
	assert.Equal(t, 2, peer.count(), "one refused, exactly one posted")
	assert.Equal(t, []string{"slack/retry", "slack/sent"}, env.obs.list())
}

func TestWorkerSlack500TwiceThenOK(t *testing.T) {
	t.Parallel()
	peer := newSlackPeer(t, slackReply{status: 500}, slackReply{status: 502})
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelSlack: slackSender(t, peer)}, "w1", clock)
	id := q.add(t, sampleSlack(), firing)

	for i := 0; i < 10 && q.get(id).Status != store.DeliverySent; i++ {
		runOnce(t, env.w)
		clock.Advance(20 * time.Second) // ≥ the second backoff step
	}
	assert.Equal(t, store.DeliverySent, q.get(id).Status)
	assert.Equal(t, 3, peer.count())
	assert.Equal(t, []string{"slack/retry", "slack/retry", "slack/sent"}, env.obs.list())
}

func TestWorkerPermanentFailure(t *testing.T) {
	t.Parallel()
	peer := newSlackPeer(t, slackReply{status: 200, body: `{"ok":false,"error":"channel_not_found"}`})
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelSlack: slackSender(t, peer)}, "w1", clock)
	id := q.add(t, sampleSlack(), firing)

	require.Equal(t, 1, runOnce(t, env.w))
	d := q.get(id)
	assert.Equal(t, store.DeliveryFailed, d.Status)
	assert.Equal(t, 1, d.Attempts)
	assert.Contains(t, d.LastError, "notify: slack #support: chat.postMessage: channel_not_found")
	clock.Advance(time.Hour)
	assert.Equal(t, 0, runOnce(t, env.w), "not retried")
	assert.Equal(t, 1, peer.count())
	assert.Equal(t, []string{"slack/failed"}, env.obs.list())
	assert.Contains(t, env.logs.String(), "level=ERROR")
}

func TestWorkerOutageLongerThanRetryFor(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{})
	peer.stop()
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelEmail: smtpSender(t, peer, "")}, "w1", clock)
	id := q.add(t, sampleEmail(), firing)

	var lastTry time.Time
	for i := 0; i < 100 && q.get(id).Status == store.DeliveryQueued; i++ {
		if runOnce(t, env.w) > 0 {
			lastTry = clock.Now()
		}
		clock.Advance(time.Minute)
	}
	d := q.get(id)
	require.Equal(t, store.DeliveryFailed, d.Status)
	assert.Contains(t, d.LastError, "gave up after")
	assert.Contains(t, d.LastError, "connection refused")
	assert.False(t, lastTry.Before(firing.Add(30*time.Minute)), "one last try at the end of the window, at %s", lastTry)
	assert.Less(t, lastTry.Sub(firing), 32*time.Minute)
	obs := env.obs.list()
	assert.Equal(t, "email/failed", obs[len(obs)-1])
	assert.Equal(t, d.Attempts, len(obs))
}

// TestWorkerNeverResendsWhatItSent: the send succeeded but recording it
// failed; when the lease runs out and the store hands the delivery back,
// the worker records it instead of sending it again.
func TestWorkerNeverResendsWhatItSent(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{})
	q := newFakeQueue()
	q.markSentErr = 1
	clock := clockwork.NewFakeClockAt(firing)
	senders := map[string]Sender{ChannelEmail: smtpSender(t, peer, "")}
	env := newWorkerEnv(t, q, senders, "w1", clock)
	id := q.add(t, sampleEmail(), firing)

	n, err := env.w.RunOnce(t.Context())
	assert.Equal(t, 1, n)
	require.ErrorContains(t, err, "sent, but mark sent")
	assert.Equal(t, store.DeliverySending, q.get(id).Status)
	assert.Len(t, peer.messages(), 1)

	assert.Equal(t, 0, runOnce(t, env.w), "still leased")
	clock.Advance(time.Minute + time.Second) // lease expired, as after a crash
	require.Equal(t, 1, runOnce(t, env.w))
	d := q.get(id)
	assert.Equal(t, store.DeliverySent, d.Status)
	assert.Equal(t, firing, d.SentAt, "recorded with the time it went out")
	assert.Len(t, peer.messages(), 1, "sent once")
	assert.Contains(t, env.logs.String(), "already sent, not sending again")

	// Another replica, later: nothing to do.
	other := newWorkerEnv(t, q, senders, "w2", clock)
	clock.Advance(time.Hour)
	assert.Equal(t, 0, runOnce(t, other.w))
	assert.Len(t, peer.messages(), 1)
}

// TestWorkerTakesOverAfterCrash: a worker claimed and died before sending;
// another gets the delivery only once the lease is over, and sends it once.
func TestWorkerTakesOverAfterCrash(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{})
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	id := q.add(t, sampleEmail(), firing)
	claimed, err := q.Claim(t.Context(), "crashed", clock.Now(), time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1)

	env := newWorkerEnv(t, q, map[string]Sender{ChannelEmail: smtpSender(t, peer, "")}, "w2", clock)
	assert.Equal(t, 0, runOnce(t, env.w))
	clock.Advance(time.Minute + time.Second)
	require.Equal(t, 1, runOnce(t, env.w))
	clock.Advance(time.Hour)
	assert.Equal(t, 0, runOnce(t, env.w))
	assert.Equal(t, store.DeliverySent, q.get(id).Status)
	assert.Len(t, peer.messages(), 1)
}

// TestWorkerShutdownFinishesSlackPostInFlight: Run's ctx ends while a post
// is at Slack. The post is not cut off (it may already be in the channel):
// it finishes and is recorded as sent, Run returns after that round, and
// the delivery behind it, not started yet, is handed back unsent for the
// Drain that follows, as cmd_serve.go does it.
func TestWorkerShutdownFinishesSlackPostInFlight(t *testing.T) {
	t.Parallel()
	peer := newSlackPeer(t)
	h := peer.holdPosts(t)
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelSlack: slackSender(t, peer)}, "w1", clock)
	var ids []int64
	for _, text := range []string{"first", "second"} { // one target: one after another
		m := sampleSlack()
		m.Slack.Text = text
		ids = append(ids, q.add(t, m, firing))
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- env.w.Run(ctx) }()
	<-h.arrived // "first" is at Slack, its reply held
	cancel()
	h.let()
	require.NoError(t, <-done)

	posts := peer.received()
	require.Len(t, posts, 1, "exactly one post, not cut off and sent again")
	assert.Equal(t, "first", posts[0].Text)
	d := q.get(ids[0])
	assert.Equal(t, store.DeliverySent, d.Status, d.LastError)
	assert.Equal(t, 1, d.Attempts)
	d = q.get(ids[1])
	assert.Equal(t, store.DeliveryQueued, d.Status, "not started after shutdown began")
	assert.Equal(t, 0, d.Attempts, "handing back is not an attempt")
	assert.Equal(t, firing, d.NextAttemptAt, "due at once")
	assert.Equal(t, noteShutdown, d.LastError)
	assert.Equal(t, []string{"slack/sent"}, env.obs.list())

	require.NoError(t, env.w.Drain(t.Context()))
	posts = peer.received()
	require.Len(t, posts, 2)
	assert.Equal(t, "second", posts[1].Text)
	assert.Equal(t, store.DeliverySent, q.get(ids[1]).Status)
}

// TestWorkerDrainCutShortFinishesSMTPInFlight: Drain's ctx ends while the
// SMTP server holds its reply to DATA. The message is not cut off: the
// session finishes, the delivery is recorded as sent, nothing new starts,
// and the one behind it stays queued, due at once.
func TestWorkerDrainCutShortFinishesSMTPInFlight(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{})
	h := peer.holdData(t)
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelEmail: smtpSender(t, peer, "")}, "w1", clock)
	var ids []int64
	for _, key := range []string{"first", "second"} {
		m := sampleEmail()
		m.Email.MessageID = MessageID("weekly-support", firing, key, "reports@example.com")
		ids = append(ids, q.add(t, m, firing))
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- env.w.Drain(ctx) }()
	<-h.arrived
	cancel()
	h.let()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrDeliveryFailed)

	got := messageIDs(t, peer)
	assert.Equal(t, []string{"<" + MessageID("weekly-support", firing, "first", "reports@example.com") + ">"}, got, "sent once")
	d := q.get(ids[0])
	assert.Equal(t, store.DeliverySent, d.Status, d.LastError)
	assert.Equal(t, 1, d.Attempts)
	d = q.get(ids[1])
	assert.Equal(t, store.DeliveryQueued, d.Status)
	assert.Equal(t, 0, d.Attempts)
	assert.Equal(t, firing, d.NextAttemptAt)
	assert.Equal(t, noteShutdown, d.LastError)
	assert.Equal(t, []string{"email/sent"}, env.obs.list())
	logs := env.logs.String()
	assert.Regexp(t, `level=DEBUG msg="handed back unsent" .*reason="`+noteShutdown+`"`, logs)
	assert.NotContains(t, logs, "level=ERROR")

	// Cancelled before it starts, Drain claims nothing.
	require.ErrorIs(t, env.w.Drain(ctx), context.Canceled)
	assert.Equal(t, store.DeliveryQueued, q.get(ids[1]).Status)
	assert.Empty(t, q.get(ids[1]).ClaimedBy)
}

func TestWorkerRunWakesOnNotifyAndPoll(t *testing.T) {
	t.Parallel()
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	sent := make(chan string, 4)
	sender := SenderFunc(func(ctx context.Context, m Message) error {
		sent <- m.Slack.Text
		return nil
	})
	env := newWorkerEnv(t, q, map[string]Sender{ChannelSlack: sender}, "w1", clock)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- env.w.Run(ctx) }()

	require.NoError(t, clock.BlockUntilContext(ctx, 1)) // Run waits for its poll
	m := sampleSlack()
	m.Slack.Text = "first"
	q.add(t, m, clock.Now())
	env.w.Notify()
	assert.Equal(t, "first", <-sent)

	require.NoError(t, clock.BlockUntilContext(ctx, 1))
	m.Slack.Text = "second"
	q.add(t, m, clock.Now())
	clock.Advance(15 * time.Second) // the poll, no Notify
	assert.Equal(t, "second", <-sent)

	cancel()
	require.NoError(t, <-done)
}

func TestWorkerDrain(t *testing.T) {
	t.Parallel()
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	dir := t.TempDir()
	outbox, err := NewOutbox(dir)
	require.NoError(t, err)
	peer := newSlackPeer(t, slackReply{status: 200, body: `{"ok":false,"error":"channel_not_found"}`})
	env := newWorkerEnv(t, q, map[string]Sender{ChannelEmail: outbox, ChannelSlack: slackSender(t, peer)}, "w1", clock)

	var ids []int64
	for i := range 25 { // more than one batch
		m := sampleEmail()
		m.Email.MessageID = MessageID("weekly-support", firing, string(rune('a'+i)), "reports@example.com")
		ids = append(ids, q.add(t, m, firing))
	}
	bad := q.add(t, sampleSlack(), firing)

	err = env.w.Drain(t.Context())
	require.ErrorIs(t, err, ErrDeliveryFailed)
	assert.Contains(t, err.Error(), "1 deliveries")
	for _, id := range ids {
		assert.Equal(t, store.DeliverySent, q.get(id).Status)
	}
	assert.Equal(t, store.DeliveryFailed, q.get(bad).Status)
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	assert.Len(t, files, 25)

	require.NoError(t, env.w.Drain(t.Context()), "nothing left")
}

func TestWorkerBadDeliveries(t *testing.T) {
	t.Parallel()
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelSlack: SenderFunc(func(context.Context, Message) error {
		t.Error("nothing should be sent")
		return nil
	})}, "w1", clock)
	noSender := q.add(t, sampleEmail(), firing)
	garbage := q.add(t, sampleSlack(), firing)
	q.mu.Lock()
	q.ds[garbage].Payload = []byte("{not json")
	q.mu.Unlock()

	require.Equal(t, 2, runOnce(t, env.w))
	assert.Equal(t, store.DeliveryFailed, q.get(noSender).Status)
	assert.Contains(t, q.get(noSender).LastError, `no sender for channel "email"`)
	assert.Equal(t, store.DeliveryFailed, q.get(garbage).Status)
	assert.Contains(t, q.get(garbage).LastError, "notify: decode")
}

func TestWorkerKeepsOrderPerTarget(t *testing.T) {
	t.Parallel()
	peer := newSlackPeer(t)
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelSlack: slackSender(t, peer)}, "w1", clock)
	for _, text := range []string{"firing", "resolved"} {
		m := sampleSlack()
		m.Slack.Text = text
		m.Slack.Blocks = nil
		q.add(t, m, firing)
	}
	require.Equal(t, 2, runOnce(t, env.w))
	posts := peer.received()
	require.Len(t, posts, 2)
	assert.Equal(t, "firing", posts[0].Text)
	assert.Equal(t, "resolved", posts[1].Text)
}

// TestWorkerLeaksNoSecret drives failing peers through the worker and
// checks errors, stored error text and every log line.
func TestWorkerLeaksNoSecret(t *testing.T) {
	t.Parallel()
	const password = "pa55-word-never-shown"
	authPeer := newSMTPPeer(t, smtpPeerConfig{user: "reports", pass: "the-right-one"})
	closedPeer := newSMTPPeer(t, smtpPeerConfig{})
	closedPeer.stop()
	// Each answers twice: once to the sender alone, once through the worker.
	authFail := slackReply{status: 200, body: `{"ok":false,"error":"invalid_auth"}`}
	slackAuth := newSlackPeer(t, authFail, authFail)
	serverErr := slackReply{status: 500, body: "token=" + slackToken}
	slack500 := newSlackPeer(t, serverErr, serverErr)

	tests := []struct {
		name   string
		sender Sender
		msg    Message
		secret string
	}{
		{"smtp bad password", smtpSender(t, authPeer, password), sampleEmail(), password},
		{"smtp closed port", smtpSender(t, closedPeer, password), sampleEmail(), password},
		{"slack invalid_auth", slackSender(t, slackAuth), sampleSlack(), slackToken},
		{"slack 500", slackSender(t, slack500), sampleSlack(), slackToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := newFakeQueue()
			clock := clockwork.NewFakeClockAt(firing)
			env := newWorkerEnv(t, q, map[string]Sender{tt.msg.Channel: tt.sender}, "w1", clock)
			id := q.add(t, tt.msg, firing)
			sendErr := tt.sender.Send(t.Context(), tt.msg)
			require.Error(t, sendErr)
			require.Equal(t, 1, runOnce(t, env.w))
			d := q.get(id)
			require.NotEmpty(t, d.LastError)
			require.NotEmpty(t, env.logs.String())
			assertNoSecret(t, tt.secret, sendErr.Error(), d.LastError, env.logs.String())
		})
	}
}

func TestNewWorkerChecks(t *testing.T) {
	t.Parallel()
	q := newFakeQueue()
	ok := map[string]Sender{ChannelSlack: SenderFunc(func(context.Context, Message) error { return nil })}
	tests := []struct {
		name    string
		q       Queue
		senders map[string]Sender
		opts    WorkerOptions
		want    string
	}{
		{"no queue", nil, ok, WorkerOptions{Owner: "w"}, "queue is nil"},
		{"no senders", q, nil, WorkerOptions{Owner: "w"}, "no senders"},
		{"nil sender", q, map[string]Sender{"slack": nil}, WorkerOptions{Owner: "w"}, `sender "slack" is nil`},
		{"no owner", q, ok, WorkerOptions{}, "owner is empty"},
		{"negative lease", q, ok, WorkerOptions{Owner: "w", Lease: -1}, "lease is negative"},
		{"max below base", q, ok, WorkerOptions{Owner: "w", BaseBackoff: time.Minute, MaxBackoff: time.Second}, "max backoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewWorker(tt.q, tt.senders, tt.opts)
			require.ErrorContains(t, err, tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "notify: "))
		})
	}
	w, err := NewWorker(q, ok, WorkerOptions{Owner: "w"})
	require.NoError(t, err)
	assert.Equal(t, 2*time.Minute, w.opts.Lease)
	assert.Equal(t, time.Minute, w.opts.SendTimeout)
	assert.Equal(t, 30*time.Minute, w.opts.RetryFor)
}

// TestWorkerWithSQLiteStore runs the pipeline against the real store.
func TestWorkerWithSQLiteStore(t *testing.T) {
	t.Parallel()
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	peer := newSlackPeer(t, slackReply{status: 503})
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, st, map[string]Sender{ChannelSlack: slackSender(t, peer)}, "w1", clock)

	payload, err := Encode(sampleSlack())
	require.NoError(t, err)
	n, err := st.Enqueue(t.Context(), []store.Delivery{{
		Key: "weekly-support|2026-11-23T14:00Z|slack:#support", Job: "weekly-support", FiringAt: firing,
		Kind: "digest", Channel: ChannelSlack, Target: "#support", Payload: payload, CreatedAt: firing,
	}})
	require.NoError(t, err)
	require.Equal(t, 1, n)

	require.Equal(t, 1, runOnce(t, env.w))
	clock.Advance(10 * time.Second)
	require.Equal(t, 1, runOnce(t, env.w))
	clock.Advance(time.Hour)
	require.Equal(t, 0, runOnce(t, env.w))

	ds, err := st.Deliveries(t.Context(), store.DeliveryFilter{Job: "weekly-support"})
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.Equal(t, store.DeliverySent, ds[0].Status)
	assert.Equal(t, 2, ds[0].Attempts)
	assert.Equal(t, 2, peer.count())
	assert.True(t, ds[0].SentAt.Equal(firing.Add(10*time.Second)), "sent at %s", ds[0].SentAt)
}

// TestWorkerSentIsBounded: a delivery that went out but could not be
// recorded is remembered so it is not sent again; one that another worker
// took over never comes back to be forgotten, so the memory is capped and
// the oldest entries go first.
func TestWorkerSentIsBounded(t *testing.T) {
	t.Parallel()
	w, err := NewWorker(newFakeQueue(), map[string]Sender{ChannelSlack: SenderFunc(func(context.Context, Message) error {
		return nil
	})}, WorkerOptions{Owner: "w1", Clock: clockwork.NewFakeClockAt(firing)})
	require.NoError(t, err)
	const extra = 5
	for i := range int64(maxRemembered + extra) {
		// Newer ids went out earlier, so age, not id, must pick who goes.
		w.remember(maxRemembered+extra-i, firing.Add(time.Duration(i)*time.Second), Receipt{})
	}
	w.mu.Lock()
	n := len(w.sent)
	w.mu.Unlock()
	assert.Equal(t, maxRemembered, n)
	for id := int64(maxRemembered + 1); id <= maxRemembered+extra; id++ {
		_, _, ok := w.alreadySent(store.Delivery{ID: id})
		assert.False(t, ok, "the oldest, %d, went", id)
	}
	for _, id := range []int64{1, maxRemembered} {
		_, _, ok := w.alreadySent(store.Delivery{ID: id})
		assert.True(t, ok, "%d kept", id)
	}
	w.remember(1, firing.Add(time.Hour), Receipt{}) // already there: nothing goes
	w.mu.Lock()
	assert.Len(t, w.sent, maxRemembered)
	w.mu.Unlock()
	w.forget(1)
	_, _, ok := w.alreadySent(store.Delivery{ID: 1})
	assert.False(t, ok)
}

func TestByTarget(t *testing.T) {
	t.Parallel()
	slack := func(id int64, channel, rowTarget string) store.Delivery {
		m := sampleSlack()
		m.Slack.Channel = channel
		b, err := Encode(m)
		require.NoError(t, err)
		return store.Delivery{ID: id, Channel: ChannelSlack, Target: rowTarget, Payload: b}
	}
	email := func(id int64, rowChannel string, to ...string) store.Delivery {
		m := sampleEmail()
		m.Email.To = to
		b, err := Encode(m)
		require.NoError(t, err)
		return store.Delivery{ID: id, Channel: rowChannel, Target: "email:" + strings.Join(to, ","), Payload: b}
	}
	garbage := func(id int64) store.Delivery {
		return store.Delivery{ID: id, Channel: ChannelSlack, Target: "slack:#alerts", Payload: []byte("{")}
	}
	tests := []struct {
		name  string
		claim []store.Delivery // in the order the store claimed them
		want  [][]int64
	}{
		{"one target, claimed out of order", []store.Delivery{
			slack(3, "#alerts", "slack:#alerts"), slack(1, "#alerts", "slack:#alerts"), slack(2, "#alerts", "slack:#alerts"),
		}, [][]int64{{1, 2, 3}}},
		{"row targets differ, destination the same", []store.Delivery{
			slack(5, "#alerts", "slack:#alerts|queue firing"), slack(4, "#alerts", "slack:#alerts"),
		}, [][]int64{{4, 5}}},
		{"outbox and email rows to one address", []store.Delivery{
			email(2, "outbox", "a@example.com"), email(1, ChannelEmail, "a@example.com"),
		}, [][]int64{{1, 2}}},
		{"targets apart, by lowest id", []store.Delivery{
			slack(4, "#b", "slack:#b"), email(9, ChannelEmail, "a@example.com"), slack(2, "#a", "slack:#a"),
			slack(3, "#b", "slack:#b"), slack(1, "#a", "slack:#a"),
		}, [][]int64{{1, 2}, {3, 4}, {9}}},
		{"same name on slack and email apart", []store.Delivery{
			slack(2, "a@example.com", "slack:a@example.com"), email(1, ChannelEmail, "a@example.com"),
		}, [][]int64{{1}, {2}}},
		{"undecodable alone", []store.Delivery{
			slack(3, "#alerts", "slack:#alerts"), garbage(2), slack(1, "#alerts", "slack:#alerts"),
		}, [][]int64{{1, 3}, {2}}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got [][]int64
			for _, g := range byTarget(tt.claim) {
				var ids []int64
				for _, c := range g {
					ids = append(ids, c.d.ID)
					assert.Equal(t, c.decodeErr == nil, c.msg.Channel != "", "decoded with the row")
				}
				got = append(got, ids)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestWorkerSendsOneTargetInIDOrder: the store claims by next attempt time,
// so a "firing" that was retried can be claimed after the "resolved"
// enqueued behind it, and rows may label the same channel differently (as
// alert rows did before their Target became the destination). The posts
// still reach Slack in enqueue order.
func TestWorkerSendsOneTargetInIDOrder(t *testing.T) {
	t.Parallel()
	peer := newSlackPeer(t)
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	// Concurrency 1: were the three split into groups, their order would
	// be the claim's, not left to chance.
	w, err := NewWorker(q, map[string]Sender{ChannelSlack: slackSender(t, peer)},
		WorkerOptions{Owner: "w1", Clock: clock, Concurrency: 1})
	require.NoError(t, err)
	rows := []struct {
		text, target string
		due          time.Duration
	}{
		{"cpu firing", "slack:#alerts", 0}, // retried once, due now
		{"cpu resolved", "slack:#alerts", -time.Minute},
		{"queue firing", "slack:#alerts|queue firing", -2 * time.Minute},
	}
	for _, r := range rows {
		m := sampleSlack()
		m.Slack.Channel, m.Slack.Text, m.Slack.Blocks = "#alerts", r.text, nil
		id := q.add(t, m, firing.Add(-time.Hour))
		q.mu.Lock()
		q.ds[id].Kind, q.ds[id].Target, q.ds[id].NextAttemptAt = "alert", r.target, firing.Add(r.due)
		q.mu.Unlock()
	}

	require.Equal(t, 3, runOnce(t, w))
	var got []string
	for _, p := range peer.received() {
		assert.Equal(t, "#alerts", p.Channel)
		got = append(got, p.Text)
	}
	assert.Equal(t, []string{"cpu firing", "cpu resolved", "queue firing"}, got)
}

// TestWorkerRequeuedFailedGetsAFreshWindow: a delivery that failed after
// its retry window and was re-queued (at serve start, or by `deliveries
// retry`) is retried for a whole new window, not given up on the first
// failure because its creation lies more than RetryFor back.
func TestWorkerRequeuedFailedGetsAFreshWindow(t *testing.T) {
	t.Parallel()
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	peer := newSlackPeer(t, slackReply{status: 503}, slackReply{status: 503}, slackReply{status: 503})
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, st, map[string]Sender{ChannelSlack: slackSender(t, peer)}, "w1", clock)
	payload, err := Encode(sampleSlack())
	require.NoError(t, err)
	_, err = st.Enqueue(t.Context(), []store.Delivery{{
		Key: "weekly-support|2026-11-23T14:00Z|slack:#support", Job: "weekly-support", FiringAt: firing,
		Kind: "digest", Channel: ChannelSlack, Target: "#support", Payload: payload, CreatedAt: firing,
	}})
	require.NoError(t, err)
	list := func() store.Delivery {
		ds, err := st.Deliveries(t.Context(), store.DeliveryFilter{Job: "weekly-support"})
		require.NoError(t, err)
		require.Len(t, ds, 1)
		return ds[0]
	}

	require.Equal(t, 1, runOnce(t, env.w)) // 503: retry
	clock.Advance(31 * time.Minute)
	require.Equal(t, 1, runOnce(t, env.w)) // 503 after the window: failed
	require.Equal(t, store.DeliveryFailed, list().Status)

	restart := clock.Now().Add(2 * time.Hour)
	clock.Advance(2 * time.Hour)
	n, err := st.RequeueFailed(t.Context(), store.RequeueFilter{}, restart)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, runOnce(t, env.w)) // 503 again, 2 h after creation
	d := list()
	assert.Equal(t, store.DeliveryQueued, d.Status, "a re-queued delivery is retried, not failed at its first try: %s", d.LastError)
	clock.Advance(d.NextAttemptAt.Sub(clock.Now()))
	require.Equal(t, 1, runOnce(t, env.w)) // the peer answers now
	assert.Equal(t, store.DeliverySent, list().Status)
	assert.Equal(t, 4, peer.count())
}
