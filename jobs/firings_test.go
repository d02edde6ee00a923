package jobs

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/livechat"
	"livechat-digest/store"
)

// shareLog is a Share that records which firings were opened and closed.
type shareLog struct {
	mu     sync.Mutex
	opened []time.Time
	closed []time.Time
}

type firingFetcher struct{ at time.Time }

func (firingFetcher) Fetch(context.Context, livechat.Report, livechat.Query) (any, error) {
	return nil, nil
}

func (l *shareLog) share(at time.Time) (digest.Fetcher, func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.opened = append(l.opened, at)
	return firingFetcher{at: at}, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.closed = append(l.closed, at)
	}
}

func (l *shareLog) counts() (opened, closed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.opened), len(l.closed)
}

// holdLog is the store's FiringHolds as calls.
type holdLog struct {
	mu       sync.Mutex
	holds    []time.Time // the until of each HoldFiring
	releases []time.Time // the firing of each ReleaseFiring
}

func (h *holdLog) HoldFiring(_ context.Context, _ time.Time, _ string, until time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holds = append(h.holds, until)
	return nil
}

func (h *holdLog) ReleaseFiring(_ context.Context, at time.Time, _ string, _ time.Time) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releases = append(h.releases, at)
	return 0, nil
}

func (h *holdLog) counts() (holds, releases int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.holds), len(h.releases)
}

func newFiringShares(l *shareLog, h FiringHolds, clock clockwork.Clock) *firingShares {
	return &firingShares{share: l.share, holds: h, owner: "me", clock: clock, lease: 3 * time.Minute,
		log: slog.New(slog.DiscardHandler), m: map[time.Time]*openFiring{}}
}

func TestFiringSharesCountHolders(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	l := &shareLog{}
	fs := newFiringShares(l, nil, clock)
	ctx := context.Background()
	nine := clock.Now()

	// Two holders of one firing (seconds apart, the same minute) get one
	// share; the firing stays open until both let go.
	f1, release1 := fs.hold(ctx, nine)
	f2, release2 := fs.hold(ctx, nine.Add(20*time.Second))
	assert.Equal(t, firingFetcher{at: nine}, f1)
	assert.Equal(t, f1, f2)
	release1()
	release1() // a second call is a no-op
	opened, closed := l.counts()
	assert.Equal(t, 1, opened)
	assert.Zero(t, closed, "a holder is left")

	// Another firing is another share, whatever the first is doing.
	f3, release3 := fs.hold(ctx, nine.Add(time.Minute))
	assert.Equal(t, firingFetcher{at: nine.Add(time.Minute)}, f3)
	release2()
	release3()
	opened, closed = l.counts()
	assert.Equal(t, 2, opened)
	assert.Equal(t, 2, closed)

	// Once the firing is done a new holder of it opens it afresh: the
	// firing's answers went with its last holder.
	_, release := fs.hold(ctx, nine)
	release()
	opened, _ = l.counts()
	assert.Equal(t, 3, opened)
}

func TestFiringSharesHoldInTheStore(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	h := &holdLog{}
	fs := newFiringShares(&shareLog{}, h, clock)
	ctx := context.Background()

	_, release1 := fs.hold(ctx, clock.Now())
	_, release2 := fs.hold(ctx, clock.Now())
	holds, releases := h.counts()
	assert.Equal(t, 1, holds, "one hold per firing, not per holder")
	assert.Zero(t, releases)

	// The hold is renewed every third of the lease while the firing lasts.
	require.NoError(t, clock.BlockUntilContext(ctx, 1))
	clock.Advance(time.Minute)
	require.Eventually(t, func() bool { n, _ := h.counts(); return n == 2 }, 10*time.Second, time.Millisecond)
	h.mu.Lock()
	assert.Equal(t, clock.Now().Add(3*time.Minute), h.holds[1])
	h.mu.Unlock()

	release1()
	_, releases = h.counts()
	assert.Zero(t, releases)
	release2()
	holds, releases = h.counts()
	assert.Equal(t, 1, releases, "the last holder releases the firing in the store")
	clock.Advance(time.Hour)
	n, _ := h.counts()
	assert.Equal(t, holds, n, "no heartbeat after the release")
}

// TestLockerHoldsTheFiringWhileWaitingForASlot: the runs of one firing that
// wait in the queue for a run slot keep the firing open, so its answers are
// still there when their turn comes.
func TestLockerHoldsTheFiringWhileWaitingForASlot(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	l := &shareLog{}
	fs := newFiringShares(l, nil, clock)
	locker := NewLocker(claimAll{}, "me", clock, time.Minute)
	locker.slots = newRunSlots(1)
	running, finish := make(chan string, 1), make(chan struct{})
	locker.run = func(_ context.Context, job string, _ time.Time) { running <- job; <-finish }
	locker.hold = func(ctx context.Context, at time.Time) func() { _, r := fs.hold(ctx, at); return r }
	ctx := context.Background()

	first, err := locker.Lock(ctx, "a")
	require.NoError(t, err)
	_, err = locker.Lock(ctx, "b")
	require.ErrorIs(t, err, errQueued, "no slot is free")
	fs.mu.Lock()
	holders := fs.m[FiringKey(clock.Now())].holders
	fs.mu.Unlock()
	assert.Equal(t, 2, holders, "the queued firing holds the firing")

	require.NoError(t, first.Unlock(ctx))
	assert.Equal(t, "b", <-running)
	_, closed := l.counts()
	assert.Zero(t, closed, "the firing stays open while the queued run is still going")
	close(finish)
	require.Eventually(t, func() bool { _, closed := l.counts(); return closed == 1 }, 10*time.Second, time.Millisecond)
	opened, _ := l.counts()
	assert.Equal(t, 1, opened)
}

// claimAll grants every claim.
type claimAll struct{}

func (claimAll) ClaimRun(_ context.Context, job string, at time.Time, owner string, _ time.Time, _ time.Duration, _ bool) (store.Run, bool, error) {
	return store.Run{Job: job, FiringAt: at, Owner: owner}, true, nil
}

const sharingYAML = `
jobs:
  - {name: team-a, schedule: "0 9 * * *", timezone: UTC, period: last_7_days, compare: none, reports: [total_chats], email: {to: [a@example.com]}}
  - {name: team-b, schedule: "0 9 * * *", timezone: UTC, period: last_7_days, compare: none, reports: [total_chats], email: {to: [b@example.com]}}
  - {name: team-c, schedule: "0 9 * * *", timezone: UTC, period: last_7_days, compare: none, reports: [total_chats], email: {to: [c@example.com]}}
`

// TestRunsOfOneFiringShareAnswers is the firing that outlasts any cache: a
// slow rate limit holds the first run's request, a second run of the
// firing asks meanwhile, a third asks ten minutes (of the fake clock)
// later while other runs of the firing still wait for a slot: LiveChat is
// asked once. The next firing asks again.
func TestRunsOfOneFiringShareAnswers(t *testing.T) {
	t.Parallel()
	firing := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(firing)
	up := newUpstream(t, clock)
	gate := make(chan struct{})
	slow := func(ctx context.Context, _ time.Time) (time.Duration, error) {
		select {
		case <-gate:
			return 0, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	shared := make(chan struct{}, 10)
	c, err := livechat.New(up.srv.URL+testPrefix, testLogin, testKey, livechat.WithHTTPClient(up.srv.Client()),
		livechat.WithSharedRateLimit(slow), livechat.WithRetry(1, time.Millisecond, time.Millisecond),
		livechat.WithShareObserver(func(ev string) {
			if ev == livechat.AnswerShared {
				shared <- struct{}{}
			}
		}))
	require.NoError(t, err)
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	r, err := NewRunner(c, newRenderer(t), st, RunnerOptions{Owner: "me", Clock: clock, From: testFrom,
		Share: func(at time.Time) (digest.Fetcher, func()) { s := c.Firing(at); return s, s.Close }})
	require.NoError(t, err)
	cfg := parseConfig(t, sharingYAML)
	ctx := t.Context()

	// Runs of the firing still waiting for a slot hold it, as the Locker
	// does for them.
	waiting := r.holdFiring(ctx, firing)
	run := func(job int, at time.Time) {
		t.Helper()
		res, err := r.Run(ctx, &cfg.Jobs[job], at, false)
		require.NoError(t, err)
		require.Equal(t, store.RunOK, res.Run.Status, res.Run.Error)
	}
	var wg sync.WaitGroup
	wg.Go(func() { run(0, firing) })
	wg.Go(func() { run(1, firing) })
	<-shared // the second run joined the first one's request, held by the limiter
	close(gate)
	wg.Wait()
	assert.Equal(t, int64(1), up.hits.Load())

	clock.Advance(10 * time.Minute)
	run(2, firing)
	assert.Equal(t, int64(1), up.hits.Load(), "a run ten minutes into the firing gets the firing's answer")
	waiting()

	run(0, firing.Add(24*time.Hour))
	assert.Equal(t, int64(2), up.hits.Load(), "the next firing asks afresh")
}

// TestLockerOneRunOfAJobAtATime: a job's next firing that comes while its
// lock is still held is skipped on this replica (as gocron's singleton
// mode did, without its per-job goroutine and queue); another job is not
// held back, and the job locks again once unlocked.
func TestLockerOneRunOfAJobAtATime(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	locker := NewLocker(claimAll{}, "me", clock, time.Minute)
	ctx := context.Background()
	first, err := locker.Lock(ctx, "a")
	require.NoError(t, err)
	clock.Advance(time.Minute)
	_, err = locker.Lock(ctx, "a")
	require.ErrorIs(t, err, ErrJobRunning)
	other, err := locker.Lock(ctx, "b")
	require.NoError(t, err)
	require.NoError(t, other.Unlock(ctx))
	require.NoError(t, first.Unlock(ctx))
	again, err := locker.Lock(ctx, "a")
	require.NoError(t, err)
	require.NoError(t, again.Unlock(ctx))
}
