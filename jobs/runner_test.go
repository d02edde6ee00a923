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

	"livechat-digest/config"
	"livechat-digest/notify"
	"livechat-digest/store"
)

// mondayNY is a Monday 09:00 in New York, the firing of weeklyYAML.
var mondayNY = time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)

const weeklyYAML = `
jobs:
  - name: weekly-support
    schedule: "0 9 * * MON"
    timezone: America/New_York
    period: last_7_days
    reports: [total_chats, chats_first_response_time]
    thresholds: [{metric: total_chats.chats, above: 100000000}]
    email: {to: [leads@example.com, boss@example.com]}
    alerts: {email: {to: [oncall@example.com]}}
`

func TestFiringKey(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"exact", base, base},
		{"29s late", base.Add(29 * time.Second), base},
		{"29s early", base.Add(-29 * time.Second), base},
		{"29.999s late", base.Add(29*time.Second + 999*time.Millisecond), base},
		{"30s late rounds up", base.Add(30 * time.Second), base.Add(time.Minute)},
		{"31s early rounds down", base.Add(-31 * time.Second), base.Add(-time.Minute)},
		{"nanoseconds dropped", base.Add(time.Nanosecond), base},
		{"local zone becomes UTC", base.In(ny).Add(10 * time.Second), base},
		{"fall-back EDT 01:30", time.Date(2026, 11, 1, 1, 30, 5, 0, ny), time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
		{"fall-back EST 01:30 is another instant", time.Date(2026, 11, 1, 1, 30, 5, 0, ny).Add(time.Hour), time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FiringKey(tt.in)
			assert.True(t, got.Equal(tt.want), "FiringKey(%s) = %s, want %s", tt.in, got, tt.want)
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

// runEnv is one process's parts: a runner and a worker on one store file.
type runEnv struct {
	clock  *clockwork.FakeClock
	up     *upstream
	dbPath string
	outbox string
	st     *store.Store
	runner *Runner
	worker *notify.Worker
	sent   *countingSender
	// peer, when set, receives email over SMTP instead of the outbox.
	peer *smtpPeer
}

// newRunEnv sends email to the outbox, or to peer when one is given.
func newRunEnv(t *testing.T, at time.Time, peer ...*smtpPeer) *runEnv {
	t.Helper()
	dir := t.TempDir()
	e := &runEnv{clock: clockwork.NewFakeClockAt(at), dbPath: filepath.Join(dir, "state.db"), outbox: filepath.Join(dir, "outbox")}
	if len(peer) > 0 {
		e.peer = peer[0]
	}
	e.up = newUpstream(t, e.clock)
	e.open(t, "replica-1")
	return e
}

// open (re)opens the store file and builds a runner and a worker on it as
// a process called owner would.
func (e *runEnv) open(t *testing.T, owner string) {
	t.Helper()
	e.st = openStore(t, e.dbPath)
	e.runner = newRunner(t, e.up.client(t, testLogin, testKey), e.st, e.clock, owner)
	if e.peer == nil {
		e.worker, e.sent = outboxWorker(t, e.st, e.outbox, owner, e.clock)
		return
	}
	w, err := notify.NewWorker(e.st, map[string]notify.Sender{notify.ChannelEmail: e.peer.sender(t)},
		notify.WorkerOptions{Owner: owner, Clock: e.clock})
	require.NoError(t, err)
	e.worker, e.sent = w, nil
}

// restart drops the process's parts without sending anything and opens new
// ones, as a killed and restarted process would.
func (e *runEnv) restart(t *testing.T, owner string) {
	t.Helper()
	require.NoError(t, e.st.Close())
	e.open(t, owner)
}

func (e *runEnv) deliveries(t *testing.T) []store.Delivery {
	t.Helper()
	ds, err := e.st.Deliveries(context.Background(), store.DeliveryFilter{})
	require.NoError(t, err)
	return ds
}

func weeklyJob(t *testing.T) *config.Job {
	t.Helper()
	cfg := parseConfig(t, weeklyYAML)
	job, ok := cfg.Job("weekly-support")
	require.True(t, ok)
	return job
}

func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRunEnv(t, mondayNY.Add(20*time.Second))
	job := weeklyJob(t)

	// The scheduler's now is a few seconds past the firing: same key.
	res, err := e.runner.Run(ctx, job, e.clock.Now(), false)
	require.NoError(t, err)
	require.False(t, res.Skipped)
	assert.Equal(t, 2, res.Queued)
	assert.Equal(t, store.RunOK, res.Run.Status)
	assert.True(t, res.Run.FiringAt.Equal(mondayNY))
	assert.Empty(t, res.Fired)
	require.NotNil(t, res.Digest)
	assert.Equal(t, "America/New_York", res.Digest.Timezone)

	require.NoError(t, e.worker.Drain(ctx))
	files := outboxFiles(t, e.outbox)
	require.Len(t, files, 2)
	wantIDs := map[string]bool{
		"<" + notify.MessageID(job.Name, mondayNY, "email:leads@example.com", testFrom) + ">": true,
		"<" + notify.MessageID(job.Name, mondayNY, "email:boss@example.com", testFrom) + ">":  true,
	}
	for _, f := range files {
		assert.True(t, wantIDs[f.MessageID], "unexpected Message-Id %q in %s", f.MessageID, f.File)
		assert.NotEmpty(t, f.Subject)
		assert.NotContains(t, f.Subject, "[FIRING]")
	}
	assert.NotEqual(t, files[0].To, files[1].To, "one message per recipient")

	runs, err := e.st.Runs(ctx, job.Name, 0)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, store.RunOK, runs[0].Status)
	assert.NotEmpty(t, runs[0].Digest, "the digest JSON is recorded")

	// The same firing again, from a clock a little earlier: skipped.
	res, err = e.runner.Run(ctx, job, mondayNY.Add(-25*time.Second), false)
	require.NoError(t, err)
	assert.True(t, res.Skipped)
	assert.Zero(t, res.Queued)
	assert.Len(t, e.deliveries(t), 2)
	require.NoError(t, e.worker.Drain(ctx))
	assert.Len(t, outboxFiles(t, e.outbox), 2)
	for id, n := range e.sent.counts() {
		assert.Equal(t, 1, n, "sent %s", id)
	}
}

func TestRunFailsWhenNoReportAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		breakIt func(e *runEnv) *Runner // returns the runner to use while broken
	}{
		{"upstream 5xx on every endpoint", func(e *runEnv) *Runner {
			e.up.fail(failAll)
			return e.runner
		}},
		{"wrong credentials", func(e *runEnv) *Runner {
			r, err := NewRunner(e.up.client(t, testLogin, "not-the-key"), newRenderer(t), e.st,
				RunnerOptions{Owner: "replica-1", Clock: e.clock, From: testFrom})
			require.NoError(t, err)
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newRunEnv(t, mondayNY)
			job := weeklyJob(t)
			broken := tt.breakIt(e)

			res, err := broken.Run(ctx, job, mondayNY, false)
			require.Error(t, err)
			assert.False(t, res.Skipped)
			assert.Equal(t, store.RunFailed, res.Run.Status)
			assert.NotContains(t, err.Error(), testKey)
			assert.NotContains(t, err.Error(), "not-the-key")
			runs, rerr := e.st.Runs(ctx, job.Name, 0)
			require.NoError(t, rerr)
			require.Len(t, runs, 1)
			assert.Equal(t, store.RunFailed, runs[0].Status)
			assert.Contains(t, runs[0].Error, "no report answered")
			assert.Contains(t, runs[0].Error, "weekly-support")
			assert.NotContains(t, runs[0].Error, "not-the-key")
			assert.Empty(t, e.deliveries(t), "nothing is queued for a digest that was not built")

			// Upstream recovers: the failed firing may be run again.
			e.up.fail(nil)
			res, err = e.runner.Run(ctx, job, mondayNY, false)
			require.NoError(t, err)
			assert.False(t, res.Skipped)
			assert.Equal(t, 2, res.Queued)
			require.NoError(t, e.worker.Drain(ctx))
			assert.Len(t, outboxFiles(t, e.outbox), 2)
			runs, err = e.st.Runs(ctx, job.Name, 0)
			require.NoError(t, err)
			require.Len(t, runs, 1)
			assert.Equal(t, store.RunOK, runs[0].Status)
			assert.Empty(t, runs[0].Error)
		})
	}
}

func TestRunPartialDigestStillSends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRunEnv(t, mondayNY)
	job := weeklyJob(t)
	e.up.fail(func(ep string) bool { return ep == "chats/first_response_time" })
	res, err := e.runner.Run(ctx, job, mondayNY, false)
	require.NoError(t, err)
	assert.Equal(t, store.RunPartial, res.Run.Status)
	assert.Equal(t, 2, res.Queued)
	runs, err := e.st.Runs(ctx, job.Name, 0)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, store.RunPartial, runs[0].Status)
	assert.True(t, strings.HasPrefix(runs[0].Error, "chats_first_response_time: "), runs[0].Error)
}

// A process killed after queueing and before sending: the next process (a
// different owner) sends each delivery exactly once.
func TestKilledBetweenQueueingAndSending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRunEnv(t, mondayNY)
	job := weeklyJob(t)
	res, err := e.runner.Run(ctx, job, mondayNY, false)
	require.NoError(t, err)
	require.Equal(t, 2, res.Queued)

	e.restart(t, "replica-2")
	// The restarted process's scheduler may fire the same firing again.
	res, err = e.runner.Run(ctx, job, mondayNY, false)
	require.NoError(t, err)
	assert.True(t, res.Skipped)

	require.NoError(t, e.worker.Drain(ctx))
	require.NoError(t, e.worker.Drain(ctx))
	assert.Len(t, outboxFiles(t, e.outbox), 2)
	counts := e.sent.counts()
	assert.Len(t, counts, 2)
	for id, n := range counts {
		assert.Equal(t, 1, n, "sent %s", id)
	}
	for _, d := range e.deliveries(t) {
		assert.Equal(t, store.DeliverySent, d.Status, d.Key)
		assert.Equal(t, "replica-2", d.ClaimedBy, d.Key)
	}
}

// A worker that claimed a delivery and died without recording anything:
// the delivery goes out once, after its lease ran out.
func TestDeliveryOfDeadWorkerResentAfterLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRunEnv(t, mondayNY)
	job := weeklyJob(t)
	_, err := e.runner.Run(ctx, job, mondayNY, false)
	require.NoError(t, err)

	claimed, err := e.st.Claim(ctx, "dead-worker", e.clock.Now(), 2*time.Minute, 1)
	require.NoError(t, err)
	require.Len(t, claimed, 1)

	require.NoError(t, e.worker.Drain(ctx))
	assert.Len(t, outboxFiles(t, e.outbox), 1, "the other delivery goes out; the claimed one waits")

	e.clock.Advance(time.Minute)
	require.NoError(t, e.worker.Drain(ctx))
	assert.Len(t, outboxFiles(t, e.outbox), 1, "the lease still holds")

	e.clock.Advance(90 * time.Second)
	require.NoError(t, e.worker.Drain(ctx))
	require.NoError(t, e.worker.Drain(ctx))
	assert.Len(t, outboxFiles(t, e.outbox), 2)
	counts := e.sent.counts()
	assert.Len(t, counts, 2)
	for id, n := range counts {
		assert.Equal(t, 1, n, "sent %s", id)
	}
	wantID := notify.MessageID(job.Name, mondayNY, claimed[0].Target, testFrom)
	assert.Equal(t, 1, counts[wantID], "the dead worker's delivery, sent once")
}
