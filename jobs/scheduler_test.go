package jobs

import (
	"context"
	"path/filepath"
	"strings"
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

// schedEnv is a Scheduler on a fake clock over a real store and simulator;
// every run the runner finishes or skips is counted.
type schedEnv struct {
	clock *clockwork.FakeClock
	// sched is clock as the scheduler sees it: it knows when gocron's
	// timers are due (see plannedClock).
	sched *plannedClock
	up    *upstream
	st    *store.Store
	r     *Runner
	mu    sync.Mutex
	fires map[string]int // Observe results: ok, partial, failed, skipped
}

func newSchedEnv(t *testing.T, at time.Time) *schedEnv {
	t.Helper()
	return newSchedEnvOn(t, at, openStore(t, filepath.Join(t.TempDir(), "state.db")))
}

// newSchedEnvOn is newSchedEnv on the store st.
func newSchedEnvOn(t *testing.T, at time.Time, st *store.Store) *schedEnv {
	t.Helper()
	e := &schedEnv{clock: clockwork.NewFakeClockAt(at), fires: map[string]int{}}
	e.sched = &plannedClock{FakeClock: e.clock}
	e.up = newUpstream(t, e.clock)
	e.st = st
	r, err := NewRunner(e.up.client(t, testLogin, testKey), newRenderer(t), e.st, RunnerOptions{
		Owner: "replica-1", Clock: e.clock, From: testFrom,
		Observe: func(_, result string, _ time.Duration) {
			e.mu.Lock()
			e.fires[result]++
			e.mu.Unlock()
		},
	})
	require.NoError(t, err)
	e.r = r
	return e
}

func (e *schedEnv) observed() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, v := range e.fires {
		n += v
	}
	return n
}

func (e *schedEnv) runs(t *testing.T, job string) []store.Run {
	t.Helper()
	rs, err := e.st.Runs(context.Background(), job, 0)
	require.NoError(t, err)
	return rs
}

func dailyJob(t testing.TB, name, schedule, zone string) config.Job {
	t.Helper()
	cfg := parseConfig(t, `
jobs:
  - name: `+name+`
    schedule: "`+schedule+`"
    timezone: `+zone+`
    period: yesterday
    compare: none
    reports: [total_chats]
    email: {to: [leads@example.com]}
`)
	return cfg.Jobs[0]
}

// nextRun is the earliest next run the scheduler has planned.
func nextRun(t *testing.T, sc *Scheduler) time.Time {
	t.Helper()
	var first time.Time
	for _, j := range sc.gocronJobs() {
		nr, err := j.NextRun()
		require.NoError(t, err)
		if !nr.IsZero() && (first.IsZero() || nr.Before(first)) {
			first = nr
		}
	}
	return first
}

// stepUntil advances the fake clock from one planned run to the next, each
// time exactly to the planned instant (the task reads the clock for its
// firing), and waits for the run to be recorded, until the next planned run
// is after until. It returns the instants it fired at.
func (e *schedEnv) stepUntil(t *testing.T, sc *Scheduler, until time.Time) []time.Time {
	t.Helper()
	var fired []time.Time
	for range 100 {
		nr := nextRun(t, sc)
		require.False(t, nr.IsZero(), "nothing planned")
		if nr.After(until) {
			return fired
		}
		before := e.observed()
		e.sched.advanceTo(t, nr)
		fired = append(fired, nr)
		// gocron runs the task on its own goroutines: wait for the run to
		// be recorded and the next one planned. Not a timing assertion.
		// The job must also be done in gocron's eyes before the next
		// step: a singleton job still finishing would skip the next firing.
		require.Eventually(t, func() bool {
			if e.observed() <= before {
				return false
			}
			j := sc.gocronJobs()[0]
			next, err := j.NextRun()
			running, rerr := j.IsRunning()
			return err == nil && rerr == nil && next.After(nr) && !running
		}, 10*time.Second, time.Millisecond, "run at %s", nr)
	}
	t.Fatal("too many steps")
	return nil
}

func onLocalDay(rs []store.Run, loc *time.Location, y int, m time.Month, d int) []time.Time {
	var out []time.Time
	for _, r := range rs {
		l := r.FiringAt.In(loc)
		if l.Year() == y && l.Month() == m && l.Day() == d {
			out = append(out, l)
		}
	}
	return out
}

func TestSchedulerDST(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	tests := []struct {
		name     string
		schedule string
		start    time.Time // the scheduler starts here, a day before
		until    time.Time
		day      [3]int
		want     time.Time // the one run on day
	}{
		{
			name: "spring forward: 02:30 runs once at 03:30 EDT", schedule: "30 2 * * *",
			start: time.Date(2026, 3, 7, 12, 0, 0, 0, ny), until: time.Date(2026, 3, 9, 12, 0, 0, 0, ny),
			day: [3]int{2026, 3, 8}, want: time.Date(2026, 3, 8, 3, 30, 0, 0, ny),
		},
		{
			name: "spring forward, scheduler started on the gap day before 02:00", schedule: "30 2 * * *",
			start: time.Date(2026, 3, 8, 0, 30, 0, 0, ny), until: time.Date(2026, 3, 9, 12, 0, 0, 0, ny),
			day: [3]int{2026, 3, 8}, want: time.Date(2026, 3, 8, 3, 30, 0, 0, ny),
		},
		{
			name: "fall back: 01:30 runs once, at 01:30 EDT", schedule: "30 1 * * *",
			start: time.Date(2026, 10, 31, 12, 0, 0, 0, ny), until: time.Date(2026, 11, 2, 12, 0, 0, 0, ny),
			day: [3]int{2026, 11, 1}, want: time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSchedEnv(t, tt.start)
			job := dailyJob(t, "nightly", tt.schedule, "America/New_York")
			sc, err := NewScheduler(e.r, []config.Job{job}, SchedulerOptions{Clock: e.sched, Grace: time.Hour})
			require.NoError(t, err)
			require.NoError(t, sc.Start(context.Background()))
			t.Cleanup(func() { _ = sc.Shutdown() })

			fired := e.stepUntil(t, sc, tt.until)
			runs := e.runs(t, job.Name)
			got := onLocalDay(runs, ny, tt.day[0], time.Month(tt.day[1]), tt.day[2])
			require.Len(t, got, 1, "runs on the day: %v (fired at %v)", got, fired)
			assert.True(t, got[0].Equal(tt.want), "ran at %s, want %s", got[0], tt.want.In(ny))
			assert.Len(t, runs, 2, "one run a day: %v", runs)
			for _, r := range runs {
				assert.Equal(t, store.RunOK, r.Status)
				assert.False(t, r.CaughtUp)
			}
		})
	}
}

func TestNextRuns(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	at := func(y int, m time.Month, d, h, min int, loc *time.Location) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	edt := time.FixedZone("EDT", -4*3600)
	est := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name     string
		schedule string
		zone     string
		from     time.Time
		n        int
		want     []time.Time
	}{
		{"weekly in New York", "0 9 * * MON", "America/New_York", at(2026, 11, 20, 0, 0, time.UTC), 3,
			[]time.Time{at(2026, 11, 23, 9, 0, ny), at(2026, 11, 30, 9, 0, ny), at(2026, 12, 7, 9, 0, ny)}},
		{"daily in UTC", "0 9 * * *", "UTC", at(2026, 11, 23, 9, 0, time.UTC), 2,
			[]time.Time{at(2026, 11, 24, 9, 0, time.UTC), at(2026, 11, 25, 9, 0, time.UTC)}},
		{"fall back: 01:30 listed once", "30 1 * * *", "America/New_York", at(2026, 10, 31, 12, 0, ny), 3,
			[]time.Time{at(2026, 11, 1, 1, 30, edt), at(2026, 11, 2, 1, 30, est), at(2026, 11, 3, 1, 30, est)}},
		{"fall back from inside the repeated hour", "30 1 * * *", "America/New_York", at(2026, 11, 1, 1, 45, edt), 1,
			[]time.Time{at(2026, 11, 2, 1, 30, est)}},
		{"spring forward: 02:30 runs at 03:30 EDT", "30 2 * * *", "America/New_York", at(2026, 3, 7, 12, 0, ny), 3,
			[]time.Time{at(2026, 3, 8, 3, 30, edt), at(2026, 3, 9, 2, 30, edt), at(2026, 3, 10, 2, 30, edt)}},
		{"spring forward, listed on the gap day before 02:00", "30 2 * * *", "America/New_York", at(2026, 3, 8, 0, 30, est), 2,
			[]time.Time{at(2026, 3, 8, 3, 30, edt), at(2026, 3, 9, 2, 30, edt)}},
		{"half-hourly across fall back: every real half hour", "*/30 * * * *", "America/New_York", at(2026, 11, 1, 0, 45, edt), 5,
			[]time.Time{at(2026, 11, 1, 1, 0, edt), at(2026, 11, 1, 1, 30, edt), at(2026, 11, 1, 1, 0, est), at(2026, 11, 1, 1, 30, est), at(2026, 11, 1, 2, 0, est)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			job := dailyJob(t, "j", tt.schedule, tt.zone)
			got, err := NextRuns(&job, tt.from, tt.n)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want), "%v", got)
			for i := range got {
				assert.True(t, got[i].Equal(tt.want[i]), "run %d: got %s, want %s", i, got[i], tt.want[i])
				assert.Equal(t, job.Location, got[i].Location(), "shown in the job's zone")
			}
		})
	}
}

func TestNextRunsBadSchedule(t *testing.T) {
	t.Parallel()
	job := dailyJob(t, "j", "0 9 * * *", "UTC")
	job.Schedule = "61 9 * * *"
	_, err := NextRuns(&job, time.Now(), 3)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `jobs: j: schedule "61 9 * * *"`)
}

func TestCatchUp(t *testing.T) {
	t.Parallel()
	nine := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		now     time.Time
		grace   time.Duration
		ranMiss bool // the missed firing ran before the restart
		want    int  // runs recorded
		// newStore: serve has not run on the store before (the old one was
		// lost): its missing row says nothing, so nothing is caught up.
		newStore bool
	}{
		{"missed within grace runs once", nine.Add(time.Hour), 6 * time.Hour, false, 1, false},
		{"missed older than grace does not run", nine.Add(time.Hour), 30 * time.Minute, false, 0, false},
		{"grace zero runs none", nine.Add(time.Minute), 0, false, 0, false},
		{"already run is not run again", nine.Add(time.Hour), 6 * time.Hour, true, 1, false},
		{"a new store catches nothing up", nine.Add(time.Hour), 6 * time.Hour, false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newSchedEnv(t, tt.now)
			job := dailyJob(t, "nightly", "0 9 * * *", "UTC")
			if tt.ranMiss {
				_, err := e.r.Run(ctx, &job, nine, false)
				require.NoError(t, err)
			}
			logger, logs := testLogger(t)
			sc, err := NewScheduler(e.r, []config.Job{job}, SchedulerOptions{Clock: e.clock, Grace: tt.grace,
				NewStore: tt.newStore, Logger: logger})
			require.NoError(t, err)
			require.NoError(t, sc.Start(ctx))
			require.NoError(t, sc.CatchUp(ctx), "a second catch-up")
			assert.Equal(t, tt.newStore, strings.Contains(logs.String(), "serve has not run on this store before"))
			require.NoError(t, sc.Shutdown())

			runs := e.runs(t, job.Name)
			require.Len(t, runs, tt.want)
			if tt.want == 1 {
				assert.True(t, runs[0].FiringAt.Equal(nine))
				assert.Equal(t, store.RunOK, runs[0].Status)
				assert.Equal(t, !tt.ranMiss, runs[0].CaughtUp)
				assert.Equal(t, 1, runs[0].Attempt)
			}
		})
	}
}

// reapEnv has a run of job "nightly" left running by a dead owner and one of
// "hourly" held by a live one.
func TestReap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 9, 20, 0, 0, time.UTC)
	dead := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	live := time.Date(2026, 11, 24, 9, 15, 0, 0, time.UTC)

	for _, loop := range []bool{false, true} {
		name := "Reap"
		if loop {
			name = "reaper loop"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newSchedEnv(t, now)
			nightly := dailyJob(t, "nightly", "0 9 * * *", "UTC")
			hourly := dailyJob(t, "hourly", "15 * * * *", "UTC")
			_, ok, err := e.st.ClaimRun(ctx, nightly.Name, dead, "dead-replica", dead, 5*time.Minute, false)
			require.NoError(t, err)
			require.True(t, ok)
			_, ok, err = e.st.ClaimRun(ctx, hourly.Name, live, "live-replica", now.Add(-time.Minute), 5*time.Minute, false)
			require.NoError(t, err)
			require.True(t, ok)

			sc, err := NewScheduler(e.r, []config.Job{nightly, hourly}, SchedulerOptions{Clock: e.clock, Store: e.st, ReapEvery: 30 * time.Second})
			require.NoError(t, err)
			if loop {
				// Grace 0: Start catches nothing up, so only the reaper runs.
				require.NoError(t, sc.Start(ctx))
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				// Four, not three: Start also arms the release loop's timer, and
				// three waiters could be that one and the job timers before the
				// reaper's ticker exists; Advance would then pass it by.
				require.NoError(t, e.clock.BlockUntilContext(cctx, 4), "two job timers, the reaper's ticker and the release loop's timer")
				e.clock.Advance(30 * time.Second)
				require.Eventually(t, func() bool { return e.observed() >= 1 }, 10*time.Second, time.Millisecond)
				require.NoError(t, sc.Shutdown())
			} else {
				require.NoError(t, sc.Reap(ctx))
				require.NoError(t, sc.Reap(ctx), "a second reap finds nothing")
			}

			runs := e.runs(t, nightly.Name)
			require.Len(t, runs, 1)
			assert.Equal(t, store.RunOK, runs[0].Status)
			assert.Equal(t, "replica-1", runs[0].Owner)
			assert.Equal(t, 2, runs[0].Attempt)
			assert.True(t, runs[0].FiringAt.Equal(dead))

			ds, err := e.st.Deliveries(ctx, store.DeliveryFilter{Job: nightly.Name})
			require.NoError(t, err)
			require.Len(t, ds, 1, "the taken-over run's digest is queued once")
			w, sent := outboxWorker(t, e.st, filepath.Join(t.TempDir(), "outbox"), "replica-1", e.clock)
			require.NoError(t, w.Drain(ctx))
			require.NoError(t, w.Drain(ctx))
			assert.Len(t, sent.counts(), 1)

			held := e.runs(t, hourly.Name)
			require.Len(t, held, 1)
			assert.Equal(t, store.RunRunning, held[0].Status, "a live lease is left alone")
			assert.Equal(t, "live-replica", held[0].Owner)
			assert.Equal(t, 1, e.observed(), "one run: the dead one")
		})
	}
}

func TestLocker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 9, 0, 10, 0, time.UTC)
	e := newSchedEnv(t, now)
	job := dailyJob(t, "nightly", "0 9 * * *", "UTC")
	l1 := NewLocker(e.st, "replica-1", e.clock, 5*time.Minute)
	l2 := NewLocker(e.st, "replica-2", e.clock, 5*time.Minute)

	lock, err := l1.Lock(ctx, job.Name)
	require.NoError(t, err)
	_, err = l2.Lock(ctx, job.Name)
	require.ErrorIs(t, err, ErrFiringTaken)

	// The holder's runner claims the same firing again and runs it.
	res, err := e.r.Run(ctx, &job, e.clock.Now(), false)
	require.NoError(t, err)
	assert.False(t, res.Skipped)
	assert.Equal(t, 1, res.Queued)
	assert.Equal(t, 1, res.Run.Attempt)
	require.NoError(t, lock.Unlock(ctx))

	// The other replica's runner, had it run anyway, finds the firing done.
	r2, err := NewRunner(e.up.client(t, testLogin, testKey), newRenderer(t), e.st, RunnerOptions{Owner: "replica-2", Clock: e.clock})
	require.NoError(t, err)
	res, err = r2.Run(ctx, &job, e.clock.Now(), false)
	require.NoError(t, err)
	assert.True(t, res.Skipped)

	// A finished firing cannot be locked again, not even by its owner.
	_, err = l1.Lock(ctx, job.Name)
	require.ErrorIs(t, err, ErrFiringTaken)
	// The next minute is another firing.
	e.clock.Advance(time.Minute)
	_, err = l2.Lock(ctx, job.Name)
	require.NoError(t, err)
}

// Two replicas with their own schedulers and lockers on one store: exactly
// one runs the firing.
func TestSchedulersShareOneFiring(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newSchedEnv(t, time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC))
	job := dailyJob(t, "nightly", "0 9 * * *", "UTC")
	r2, err := NewRunner(e.up.client(t, testLogin, testKey), newRenderer(t), e.st, RunnerOptions{
		Owner: "replica-2", Clock: e.clock,
		Observe: func(_, result string, _ time.Duration) {
			e.mu.Lock()
			e.fires[result]++
			e.mu.Unlock()
		},
	})
	require.NoError(t, err)
	var scs []*Scheduler
	for i, r := range []*Runner{e.r, r2} {
		owner := []string{"replica-1", "replica-2"}[i]
		sc, err := NewScheduler(r, []config.Job{job}, SchedulerOptions{Clock: e.clock,
			Locker: NewLocker(e.st, owner, e.clock, 5*time.Minute)})
		require.NoError(t, err)
		require.NoError(t, sc.Start(ctx))
		t.Cleanup(func() { _ = sc.Shutdown() })
		scs = append(scs, sc)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, e.clock.BlockUntilContext(cctx, 2))
	e.clock.Advance(time.Hour)
	nine := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	require.Eventually(t, func() bool {
		for _, sc := range scs {
			nr, err := sc.gocronJobs()[0].NextRun()
			if err != nil || !nr.After(nine) {
				return false
			}
		}
		return e.observed() >= 1
	}, 10*time.Second, time.Millisecond)
	for _, sc := range scs {
		require.NoError(t, sc.Shutdown()) // waits for a running task
	}
	runs := e.runs(t, job.Name)
	require.Len(t, runs, 1)
	assert.Equal(t, store.RunOK, runs[0].Status)
	assert.Equal(t, 1, runs[0].Attempt)
	assert.Equal(t, 1, e.observed(), "the replica without the lock does not even try")
	ds, err := e.st.Deliveries(ctx, store.DeliveryFilter{})
	require.NoError(t, err)
	assert.Len(t, ds, 1)
}

// Catch-up picks the firing the scheduler would have made on a DST day: the
// first 01:30 of a fall-back night (not its repeat), and 03:30 for a 02:30
// that the spring-forward gap skipped.
func TestCatchUpDST(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	edt := time.FixedZone("EDT", -4*3600)
	est := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name     string
		schedule string
		ran      []time.Time // firings run before the restart
		now      time.Time
		want     []time.Time // firings recorded after it
	}{
		{"fall back, restarted inside the repeated hour", "30 1 * * *",
			[]time.Time{time.Date(2026, 11, 1, 1, 30, 0, 0, edt)}, time.Date(2026, 11, 1, 1, 45, 0, 0, est),
			[]time.Time{time.Date(2026, 11, 1, 1, 30, 0, 0, edt)}},
		{"fall back, the first 01:30 missed", "30 1 * * *",
			nil, time.Date(2026, 11, 1, 1, 45, 0, 0, est),
			[]time.Time{time.Date(2026, 11, 1, 1, 30, 0, 0, edt)}},
		{"spring forward, the moved 02:30 missed", "30 2 * * *",
			nil, time.Date(2026, 3, 8, 4, 0, 0, 0, edt),
			[]time.Time{time.Date(2026, 3, 8, 3, 30, 0, 0, edt)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newSchedEnv(t, tt.now)
			job := dailyJob(t, "nightly", tt.schedule, "America/New_York")
			for _, at := range tt.ran {
				_, err := e.r.Run(ctx, &job, at, false)
				require.NoError(t, err)
			}
			sc, err := NewScheduler(e.r, []config.Job{job}, SchedulerOptions{Clock: e.clock, Grace: 6 * time.Hour})
			require.NoError(t, err)
			require.NoError(t, sc.CatchUp(ctx))
			runs := e.runs(t, job.Name)
			require.Len(t, runs, len(tt.want), "%v", runs)
			for i, r := range runs {
				assert.True(t, r.FiringAt.Equal(tt.want[i]), "ran %s, want %s", r.FiringAt.In(ny), tt.want[i])
			}
		})
	}
}

// A catch-up run that fails (LiveChat down at start-up) is reported, and the
// schedule runs all the same.
func TestStartSchedulesEvenWhenCatchUpFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	nine := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	e := newSchedEnv(t, nine.Add(time.Hour))
	job := dailyJob(t, "nightly", "0 9 * * *", "UTC")
	sc, err := NewScheduler(e.r, []config.Job{job}, SchedulerOptions{Clock: e.sched, Grace: 6 * time.Hour})
	require.NoError(t, err)
	e.up.fail(failAll)
	err = sc.Start(ctx)
	t.Cleanup(func() { _ = sc.Shutdown() })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nightly")
	e.up.fail(nil)

	fired := e.stepUntil(t, sc, nine.Add(25*time.Hour))
	require.Len(t, fired, 1)
	runs := e.runs(t, job.Name)
	require.Len(t, runs, 2)
	assert.True(t, runs[0].FiringAt.Equal(nine.AddDate(0, 0, 1)))
	assert.Equal(t, store.RunOK, runs[0].Status)
	assert.Equal(t, store.RunFailed, runs[1].Status, "the failed catch-up stays failed, retryable")
	assert.True(t, runs[1].CaughtUp)
}

// advancingFetcher moves the fake clock forward by d at its first fetch, as
// a slow run would take that long.
type advancingFetcher struct {
	inner interface {
		Fetch(context.Context, livechat.Report, livechat.Query) (any, error)
	}
	clock *clockwork.FakeClock
	d     time.Duration
	once  sync.Once
}

func (f *advancingFetcher) Fetch(ctx context.Context, r livechat.Report, q livechat.Query) (any, error) {
	f.once.Do(func() { f.clock.Advance(f.d) })
	return f.inner.Fetch(ctx, r, q)
}

// TestFiringDueDuringCatchUpIsNotLost: the service starts at 08:59 and a
// catch-up run takes two minutes; the 09:00 firing of another job still runs
// (the schedule starts before catch-up, so gocron has it planned).
func TestFiringDueDuringCatchUpIsNotLost(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 24, 8, 59, 0, 0, time.UTC)
	e := newSchedEnv(t, start)
	slow := &advancingFetcher{inner: e.up.client(t, testLogin, testKey), clock: e.clock, d: 2 * time.Minute}
	r, err := NewRunner(slow, newRenderer(t), e.st, RunnerOptions{Owner: "replica-1", Clock: e.clock, From: testFrom})
	require.NoError(t, err)
	missed := dailyJob(t, "missed", "0 8 * * *", "UTC") // 08:00 was missed: caught up at start
	nine := dailyJob(t, "nine", "0 9 * * *", "UTC")     // due while catch-up runs
	sc, err := NewScheduler(r, []config.Job{missed, nine}, SchedulerOptions{Clock: e.clock, Grace: 6 * time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sc.Shutdown() })
	require.NoError(t, sc.Start(context.Background()))
	require.Len(t, e.runs(t, "missed"), 1)
	// gocron runs the task on its own goroutine; wait for it to be recorded
	// (not a timing assertion).
	require.Eventually(t, func() bool { return len(e.runs(t, "nine")) == 1 }, 10*time.Second, 5*time.Millisecond,
		"the firing due during catch-up was lost")
}
