package jobs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/config"
	"livechat-digest/livechat"
	"livechat-digest/store"
)

// stallingFetcher blocks every fetch until its context ends, like an
// upstream that hangs; started is closed at the first fetch.
type stallingFetcher struct {
	started chan struct{}
	once    sync.Once
}

func (f *stallingFetcher) Fetch(ctx context.Context, _ livechat.Report, _ livechat.Query) (any, error) {
	f.once.Do(func() { close(f.started) }) // fetches run concurrently
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestRunRenewsItsLeaseAndStopsWhenItIsTaken: while a run builds its digest
// it keeps its lease; when another owner took the firing over anyway (this
// one stalled past its lease), the run stops and queues nothing.
func TestRunRenewsItsLeaseAndStopsWhenItIsTaken(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(at)
	st := openStore(t, filepath.Join(t.TempDir(), "state.db"))
	f := &stallingFetcher{started: make(chan struct{})}
	r, err := NewRunner(f, newRenderer(t), st, RunnerOptions{Owner: "stalled", Clock: clock, From: testFrom, Lease: 30 * time.Second})
	require.NoError(t, err)
	job := weeklyJob(t)

	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := r.Run(context.Background(), job, at, false)
		done <- outcome{res, err}
	}()
	<-f.started
	ctx := context.Background()

	// One renewal: the lease now runs to 10s + 30s.
	require.NoError(t, clock.BlockUntilContext(ctx, 1))
	clock.Advance(10 * time.Second)
	require.Eventually(t, func() bool {
		runs, err := st.Runs(ctx, job.Name, 1)
		return err == nil && len(runs) == 1 && runs[0].LeaseUntil.Equal(at.Add(40*time.Second))
	}, 5*time.Second, 5*time.Millisecond, "the lease was not renewed")

	// Another replica sees the lease expired (its clock is ahead) and takes over.
	_, took, err := st.ClaimRun(ctx, job.Name, at, "rescuer", at.Add(41*time.Second), 30*time.Second, false)
	require.NoError(t, err)
	require.True(t, took)

	// The stalled run's next renewal fails: it stops and queues nothing.
	require.NoError(t, clock.BlockUntilContext(ctx, 1))
	clock.Advance(10 * time.Second)
	out := <-done
	require.NoError(t, out.err)
	assert.True(t, out.res.Skipped)
	ds, err := st.Deliveries(ctx, store.DeliveryFilter{})
	require.NoError(t, err)
	assert.Empty(t, ds)
	runs, err := st.Runs(ctx, job.Name, 1)
	require.NoError(t, err)
	assert.Equal(t, "rescuer", runs[0].Owner)
}

// TestLateTaskRunsTheFiringItsLockClaimed: gocron takes the lock, then
// starts the task; a task that starts 30 s late still runs the firing the
// lock claimed, not the next minute's.
func TestLateTaskRunsTheFiringItsLockClaimed(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t, time.Date(2026, 11, 23, 14, 0, 10, 0, time.UTC))
	job := weeklyJob(t)
	l := NewLocker(e.st, "replica-1", e.clock, time.Minute)
	sc, err := NewScheduler(e.runner, []config.Job{*job}, SchedulerOptions{Clock: e.clock, Locker: l})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sc.Shutdown() })
	ctx := context.Background()

	_, err = l.Lock(ctx, job.Name)
	require.NoError(t, err)
	e.clock.Advance(30 * time.Second) // 14:00:40 rounds to 14:01
	sc.fire(ctx, job)

	runs, err := e.st.Runs(ctx, job.Name, 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), runs[0].FiringAt)
	assert.Equal(t, store.RunOK, runs[0].Status)
}

// groupTracker answers every fetch with an error after noting which job
// (by its group filter) is fetching, and records the most jobs ever
// fetching at the same time. Each fetch holds on until another job starts
// fetching or 50 ms pass, so that jobs free to overlap do overlap.
type groupTracker struct {
	mu      sync.Mutex
	active  map[string]int
	peak    int
	another chan struct{} // closed when a second job is seen fetching
}

func (g *groupTracker) Fetch(ctx context.Context, _ livechat.Report, q livechat.Query) (any, error) {
	g.mu.Lock()
	g.active[q.Group]++
	if len(g.active) > 1 && g.peak < 2 {
		close(g.another)
	}
	g.peak = max(g.peak, len(g.active))
	g.mu.Unlock()
	select {
	case <-g.another:
	case <-time.After(50 * time.Millisecond):
	}
	g.mu.Lock()
	if g.active[q.Group]--; g.active[q.Group] == 0 {
		delete(g.active, q.Group)
	}
	g.mu.Unlock()
	return nil, errors.New("upstream down")
}

// TestMaxRunsBoundsRunsWorkingAtOnce: with MaxRuns 1, jobs fired together
// never fetch at the same time.
func TestMaxRunsBoundsRunsWorkingAtOnce(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t, time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC))
	g := &groupTracker{active: map[string]int{}, another: make(chan struct{})}
	r, err := NewRunner(g, newRenderer(t), e.st, RunnerOptions{Owner: "one", Clock: e.clock, From: testFrom})
	require.NoError(t, err)
	var jobs []config.Job
	for i := range 8 {
		j := *weeklyJob(t)
		j.Name = fmt.Sprintf("weekly-%d", i)
		j.Filters.Group = strconv.Itoa(i)
		jobs = append(jobs, j)
	}
	sc, err := NewScheduler(r, jobs, SchedulerOptions{Clock: e.clock, MaxRuns: 1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sc.Shutdown() })
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() { sc.fire(context.Background(), &jobs[i]) })
	}
	wg.Wait()
	assert.Equal(t, 1, g.peak)
	runs, err := e.st.Runs(context.Background(), "", 100)
	require.NoError(t, err)
	assert.Len(t, runs, 8)
}

// TestLockHoldsASlotUntilUnlock: with the Locker, a replica claims a firing
// only when it has a free slot, and keeps the slot until gocron unlocks
// after the task. A firing that finds no free slot is queued, claims
// nothing meanwhile (another replica with a free slot may take it), and is
// claimed and run as the firing it was scheduled for once a slot is free;
// one queued when shutdown has begun is dropped, claiming nothing.
func TestLockHoldsASlotUntilUnlock(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t, time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC))
	a, b, c := *weeklyJob(t), *weeklyJob(t), *weeklyJob(t)
	a.Name, b.Name, c.Name = "a", "b", "c"
	l := NewLocker(e.st, "replica-1", e.clock, time.Minute)
	sc, err := NewScheduler(e.runner, []config.Job{a, b, c}, SchedulerOptions{Clock: e.clock, Locker: l, MaxRuns: 1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sc.Shutdown() })
	ctx := context.Background()
	firing := FiringKey(e.clock.Now())

	lockA, err := l.Lock(ctx, "a")
	require.NoError(t, err)
	_, err = l.Lock(ctx, "b")
	require.ErrorIs(t, err, errQueued, "no slot is free: the firing waits in the queue")
	shutting, cancel := context.WithCancel(ctx)
	cancel()
	_, err = l.Lock(shutting, "c")
	require.ErrorIs(t, err, errQueued)
	assert.True(t, l.claiming("b", firing), "the reconciler leaves a queued firing to the locker")
	_, err = l.Lock(ctx, "b")
	require.ErrorIs(t, err, ErrJobRunning, "one run of a job at a time, queued ones included")
	e.clock.Advance(2 * time.Minute) // the queued firing keeps its instant
	runs, err := e.st.Runs(ctx, "b", 1)
	require.NoError(t, err)
	assert.Empty(t, runs, "a queued firing claims nothing")
	assert.Equal(t, 1, sc.slots.busy())

	require.NoError(t, lockA.Unlock(ctx))
	require.NoError(t, lockA.Unlock(ctx)) // twice is harmless
	require.Eventually(t, func() bool {
		runs := e.runs(t, "b")
		return len(runs) == 1 && runs[0].Status == store.RunOK && sc.slots.busy() == 0 && sc.slots.waiting() == 0
	}, 10*time.Second, time.Millisecond)
	assert.True(t, e.runs(t, "b")[0].FiringAt.Equal(firing), "run as the firing it was scheduled for")
	assert.False(t, l.claiming("b", firing))
	assert.Empty(t, e.runs(t, "c"), "queued at shutdown: dropped, for the next start to catch up")
	lockB, err := l.Lock(ctx, "b")
	require.NoError(t, err, "the job is free again")
	require.NoError(t, lockB.Unlock(ctx))
}

// TestQueuedFiringsAreValuesNotGoroutines: 120 jobs firing together on one
// slot wait as queued values; the goroutines gocron started for them end,
// and every firing still runs once. Before the queue each waited in Lock
// as a goroutine of its own, so a replica's memory grew with its jobs.
func TestQueuedFiringsAreValuesNotGoroutines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRunEnv(t, time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC))
	var jobs []config.Job
	for i := range 120 {
		j := *weeklyJob(t)
		j.Name = fmt.Sprintf("weekly-%d", i)
		jobs = append(jobs, j)
	}
	l := NewLocker(e.st, "replica-1", e.clock, time.Minute)
	sc, err := NewScheduler(e.runner, jobs, SchedulerOptions{Clock: e.clock, Locker: l, MaxRuns: 1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sc.Shutdown() })

	before := runtime.NumGoroutine()
	first, err := l.Lock(ctx, jobs[0].Name)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for _, j := range jobs[1:] {
		wg.Go(func() {
			_, err := l.Lock(ctx, j.Name) // as gocron's goroutine per firing calls it
			assert.ErrorIs(t, err, errQueued)
		})
	}
	wg.Wait()
	assert.Equal(t, len(jobs)-1, sc.slots.waiting())
	assert.Less(t, runtime.NumGoroutine()-before, 40, "the waiting firings hold no goroutines")

	require.NoError(t, first.Unlock(ctx))
	require.Eventually(t, func() bool { return sc.slots.waiting() == 0 && sc.slots.busy() == 0 },
		2*time.Minute, time.Millisecond)
	runs, err := e.st.Runs(ctx, "", 1000)
	require.NoError(t, err)
	ok := 0
	for _, r := range runs {
		if r.Status == store.RunOK {
			ok++
		}
	}
	assert.Equal(t, len(jobs), len(runs), "one run row per firing")
	assert.Equal(t, len(jobs)-1, ok, "every queued firing ran (the first one was only locked)")
}

func (e *runEnv) runs(t *testing.T, job string) []store.Run {
	t.Helper()
	rs, err := e.st.Runs(context.Background(), job, 0)
	require.NoError(t, err)
	return rs
}
