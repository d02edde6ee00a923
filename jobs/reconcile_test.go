package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/config"
	"livechat-digest/store"
)

// claimCounter counts the failed claims the scheduler reports, per job.
type claimCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *claimCounter) observe(job string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[job]++
}

func (c *claimCounter) get(job string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[job]
}

// runOf returns job's run of firing at, if it has one that finished.
func (e *schedEnv) finished(t *testing.T, job string, at time.Time) (store.Run, bool) {
	t.Helper()
	for _, r := range e.runs(t, job) {
		if r.FiringAt.Equal(at) && r.Status != store.RunRunning {
			return r, true
		}
	}
	return store.Run{}, false
}

// advanceUntil moves the fake clock on by step until cond holds (each
// step lets whatever waits on the clock run). It fails after 10 s of real
// time, which only a lost firing takes.
func (e *schedEnv) advanceUntil(t *testing.T, step time.Duration, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, func() bool {
		if cond() {
			return true
		}
		e.clock.Advance(step)
		return false
	}, 10*time.Second, 2*time.Millisecond, what)
}

// storeErrorAtTheFiring holds the store unwritable (lock) across the 10:00
// and 10:01 firings of a minutely job, then lets it go (unlock): the
// scheduler must still run both firings, once each, and send each one's
// message once. 10:00 is the Locker's own claim, retried with backoff;
// 10:01 is skipped by gocron while 10:00's claim is retried (one run of a
// job at a time) and run by the reconciler.
func storeErrorAtTheFiring(t *testing.T, st *store.Store, lock func(), unlock func()) {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 11, 24, 9, 59, 30, 0, time.UTC)
	ten := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	e := newSchedEnvOn(t, start, st)
	job := dailyJob(t, "minutely", "* * * * *", "UTC")
	logger, logs := testLogger(t)
	var claims claimCounter
	sc, err := NewScheduler(e.r, []config.Job{job}, SchedulerOptions{Clock: e.sched, Grace: time.Hour,
		Locker: NewLocker(st, "replica-1", e.clock, 5*time.Minute), Store: st, Runs: st,
		ReapEvery: 30 * time.Second, ClaimErrors: claims.observe, Logger: logger})
	require.NoError(t, err)
	// The 09:59 firing is caught up at start (within the grace).
	require.NoError(t, sc.Start(ctx))
	t.Cleanup(func() { _ = sc.Shutdown() })

	lock()
	e.sched.advanceTo(t, ten)
	require.Eventually(t, func() bool { return claims.get(job.Name) >= 1 }, 10*time.Second, time.Millisecond,
		"the failed claim is counted")
	// Still down at 10:01: that firing is skipped by gocron, its claim of
	// 10:00 still retrying.
	e.advanceUntil(t, 5*time.Second, "10:01", func() bool { return !e.clock.Now().Before(ten.Add(time.Minute + 10*time.Second)) })
	unlock()

	e.advanceUntil(t, 5*time.Second, "both firings run", func() bool {
		_, a := e.finished(t, job.Name, ten)
		_, b := e.finished(t, job.Name, ten.Add(time.Minute))
		return a && b
	})
	r0, _ := e.finished(t, job.Name, ten)
	assert.Equal(t, store.RunOK, r0.Status)
	assert.False(t, r0.CaughtUp, "10:00 is the scheduled run, claimed late")
	r1, _ := e.finished(t, job.Name, ten.Add(time.Minute))
	assert.Equal(t, store.RunOK, r1.Status)
	assert.True(t, r1.CaughtUp, "10:01 was run by the reconciler")
	assert.Contains(t, logs.String(), "claiming a firing failed on a store error; retrying")
	assert.Contains(t, logs.String(), "running a firing that no replica ran")

	require.NoError(t, sc.Shutdown())
	w, sent := outboxWorker(t, st, filepath.Join(t.TempDir(), "outbox"), "replica-1", e.clock)
	require.NoError(t, w.Drain(ctx))
	for _, at := range []time.Time{ten, ten.Add(time.Minute)} {
		ds, err := st.Deliveries(ctx, store.DeliveryFilter{Job: job.Name, FiringAt: at})
		require.NoError(t, err)
		require.Len(t, ds, 1, "one message for %s", at)
		assert.Equal(t, store.DeliverySent, ds[0].Status)
	}
	for id, n := range sent.counts() {
		assert.Equal(t, 1, n, "%s sent %d times", id, n)
	}
}

// TestStoreErrorAtTheFiringInstantSQLite: another process holds SQLite's
// write lock across the firings (busy_timeout short, so a claim fails
// rather than waits).
func TestStoreErrorAtTheFiringInstantSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(context.Background(), "sqlite:"+path+"?_pragma=busy_timeout(100)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(100)")
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	conn, err := other.Conn(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	storeErrorAtTheFiring(t, st,
		func() {
			_, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
			require.NoError(t, err)
		},
		func() {
			_, err := conn.ExecContext(context.Background(), "ROLLBACK")
			require.NoError(t, err)
		})
}

// pgBaseURL is the PostgreSQL every test machine runs (trust auth).
const pgBaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// TestStoreErrorAtTheFiringInstantPostgres: the store's connections are
// dropped (pg_terminate_backend) across the firings. Another session holds
// the runs table locked so each claim waits in PostgreSQL, and every
// connection of the store found waiting is terminated: the claim fails
// with the connection gone, as when the database restarts.
func TestStoreErrorAtTheFiringInstantPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, err := sql.Open("pgx", pgBaseURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	admin.SetMaxOpenConns(2)
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := admin.PingContext(pctx); err != nil {
		t.Skipf("PostgreSQL not reachable at 127.0.0.1:5432 db test user postgres: %v", err)
	}
	schema := fmt.Sprintf("t_jobs_%d", time.Now().UnixNano())
	_, err = admin.ExecContext(ctx, `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`) })
	app := "lcd_" + schema
	st, err := store.Open(ctx, pgBaseURL+"&search_path="+schema+"&application_name="+app+"&pool_max_conns=4") // see pgURL
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })

	blocker, err := admin.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = blocker.Close() })
	stop := make(chan struct{})
	killed := make(chan struct{})
	storeErrorAtTheFiring(t, st,
		func() {
			_, err := blocker.ExecContext(ctx, `BEGIN; LOCK TABLE `+schema+`.runs IN EXCLUSIVE MODE`)
			require.NoError(t, err)
			go func() {
				defer close(killed)
				for {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond): // polls PostgreSQL, asserts nothing
					}
					_, _ = admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
						WHERE application_name = $1 AND wait_event_type = 'Lock'`, app)
				}
			}()
		},
		func() {
			close(stop)
			<-killed
			_, err := blocker.ExecContext(ctx, `COMMIT`)
			require.NoError(t, err)
		})
}

// TestReconcileRunsEveryMissedFiring: every firing within the grace that
// has no run row is run, caught up, not only the last one; not a firing
// from before the start-up other than the one catch-up runs, nor one older
// than the grace, nor one the Locker is still claiming, nor one younger
// than the settle time.
func TestReconcileRunsEveryMissedFiring(t *testing.T) {
	t.Parallel()
	at := func(h, m int) time.Time { return time.Date(2026, 11, 24, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name  string
		grace time.Duration
		want  []string // after the first reconcile, with 10:04 still claimed by the Locker
	}{
		// 09:58 is the catch-up's (the last firing at start); 09:57 is
		// before it. 09:59 and 10:00 were lost; 10:06 is too young.
		{"grace 1h", time.Hour, []string{"09:58 caught up", "09:59 caught up", "10:00 caught up", "10:01", "10:02", "10:03", "10:05 caught up"}},
		{"grace 5m", 5 * time.Minute, []string{"10:01", "10:02", "10:03", "10:05 caught up"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			start := time.Date(2026, 11, 24, 9, 58, 30, 0, time.UTC)
			e := newSchedEnv(t, start)
			job := dailyJob(t, "minutely", "* * * * *", "UTC")
			l := NewLocker(e.st, "replica-1", e.clock, 5*time.Minute)
			sc, err := NewScheduler(e.r, []config.Job{job}, SchedulerOptions{Clock: e.clock, Grace: tt.grace, Runs: e.st, Locker: l})
			require.NoError(t, err)
			sc.rec.start(sc, start) // as Start does, without the schedule: the runs below are made by hand
			for _, f := range []time.Time{at(10, 1), at(10, 2), at(10, 3)} {
				_, err := e.r.Run(ctx, &job, f, false)
				require.NoError(t, err)
			}
			l.pending.Store(firingRef{job: job.Name, at: at(10, 4)}, struct{}{}) // the Locker is still at it
			e.clock.Advance(at(10, 6).Add(30 * time.Second).Sub(e.clock.Now()))
			firings := func() []string {
				var out []string
				for _, r := range e.runs(t, job.Name) {
					s := r.FiringAt.Format("15:04")
					if r.CaughtUp {
						s += " caught up"
					}
					out = append(out, s)
				}
				slices.Sort(out)
				return out
			}

			require.NoError(t, sc.Reconcile(ctx))
			assert.Equal(t, tt.want, firings())

			l.pending.Delete(firingRef{job: job.Name, at: at(10, 4)})
			require.NoError(t, sc.Reconcile(ctx))
			assert.Contains(t, firings(), "10:04 caught up", "the Locker gave it up: the reconciler runs it")
			n := len(firings())
			require.NoError(t, sc.Reconcile(ctx))
			assert.Len(t, firings(), n, "nothing left")
		})
	}
}

// testLogger logs at debug into a buffer safe for concurrent use.
func testLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	t.Helper()
	var b logBuffer
	return slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})), &b
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestReconcileRetriesAFailedFiring: LiveChat down at a daily firing fails
// its run, and nothing is sent. The reconciler tries the firing again after
// a pause as long as the outage so far (at least a minute, at most half an
// hour), one try per pause, until it runs; then it leaves it alone. A
// failed firing older than the grace is not tried again.
func TestReconcileRetriesAFailedFiring(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ten := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	e := newSchedEnv(t, ten)
	job := dailyJob(t, "daily", "0 10 * * *", "UTC")
	sc, err := NewScheduler(e.r, []config.Job{job}, SchedulerOptions{Clock: e.clock, Grace: time.Hour, Runs: e.st})
	require.NoError(t, err)
	sc.rec.start(sc, ten)
	results := func(result string) int {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.fires[result]
	}
	e.up.fail(failAll)
	_, err = e.r.Run(ctx, &job, ten, false)
	require.Error(t, err)
	require.Equal(t, 1, results(store.RunFailed))

	// (minutes after 10:00 to reconcile at, failed runs so far after it)
	steps := []struct {
		at     time.Duration
		failed int
	}{
		{30 * time.Second, 1}, // the first pause is a minute
		{time.Minute, 2},      // tried: fails at 10:01, a minute after the firing
		{90 * time.Second, 2}, //
		{2 * time.Minute, 3},  // fails at 10:02: two minutes
		{3 * time.Minute, 3},  //
		{4 * time.Minute, 4},  // fails at 10:04: four minutes
		{7 * time.Minute, 4},  //
	}
	for _, s := range steps {
		e.clock.Advance(ten.Add(s.at).Sub(e.clock.Now()))
		reconcileAndSettle(t, sc)
		require.Equal(t, s.failed, results(store.RunFailed), "at 10:00 + %s", s.at)
	}
	e.up.fail(nil) // LiveChat is back
	e.clock.Advance(ten.Add(8 * time.Minute).Sub(e.clock.Now()))
	reconcileAndSettle(t, sc)
	assert.Equal(t, 1, results(store.RunOK), "tried at 10:08 and run")
	runs := e.runs(t, job.Name)
	require.Len(t, runs, 1)
	assert.Equal(t, store.RunOK, runs[0].Status)
	assert.Equal(t, 1, runs[0].Attempt, "the same owner's tries are one attempt")
	before := e.observed()
	e.clock.Advance(40 * time.Minute)
	reconcileAndSettle(t, sc)
	assert.Equal(t, before, e.observed(), "nothing more to try")

	// The next day's firing fails and stays down past the grace (1h).
	e.up.fail(failAll)
	next := ten.AddDate(0, 0, 1)
	e.clock.Advance(next.Sub(e.clock.Now()))
	_, err = e.r.Run(ctx, &job, next, false)
	require.Error(t, err)
	e.clock.Advance(next.Add(time.Hour + time.Minute).Sub(e.clock.Now()))
	e.up.fail(nil)
	reconcileAndSettle(t, sc)
	assert.Equal(t, store.RunFailed, e.runs(t, job.Name)[0].Status, "older than the grace: left failed")
}

// reconcileAndSettle reconciles and waits until the retries it queued are
// done (they run in the run slots, not on the reconciler's goroutine).
func reconcileAndSettle(t *testing.T, sc *Scheduler) {
	t.Helper()
	_ = sc.Reconcile(context.Background()) // a run of a firing that failed again is logged, not returned
	require.Eventually(t, func() bool {
		n := 0
		sc.retrying.Range(func(any, any) bool { n++; return true })
		return n == 0 && sc.slots.busy() == 0 && sc.slots.waiting() == 0
	}, 10*time.Second, time.Millisecond)
}

// TestReconcileRetriesOnlyTheNewestFailure: an hourly job whose 09:00,
// 10:00 and 11:00 firings failed in an outage sends one digest when
// LiveChat is back, the 11:00 one: the older ones read no newer numbers,
// and an outage must not become a burst of stale digests. A failed firing
// whose job has a later firing running is left alone.
func TestReconcileRetriesOnlyTheNewestFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := func(h, m int) time.Time { return time.Date(2026, 11, 24, h, m, 0, 0, time.UTC) }
	e := newSchedEnv(t, at(9, 0))
	job := dailyJob(t, "hourly", "0 * * * *", "UTC")
	sc, err := NewScheduler(e.r, []config.Job{job}, SchedulerOptions{Clock: e.clock, Grace: 6 * time.Hour, Runs: e.st})
	require.NoError(t, err)
	sc.rec.start(sc, at(9, 0))
	e.up.fail(failAll)
	for _, h := range []int{9, 10, 11} {
		e.clock.Advance(at(h, 0).Sub(e.clock.Now()))
		_, err := e.r.Run(ctx, &job, at(h, 0), false)
		require.Error(t, err)
	}
	e.up.fail(nil)
	e.clock.Advance(at(11, 40).Sub(e.clock.Now()))
	reconcileAndSettle(t, sc)
	status := map[string]string{}
	for _, r := range e.runs(t, job.Name) {
		status[r.FiringAt.Format("15:04")] = r.Status
	}
	assert.Equal(t, map[string]string{"09:00": store.RunFailed, "10:00": store.RunFailed, "11:00": store.RunOK}, status)

	// 12:00 fails, 13:00 is running (on any replica): 12:00 is left to it.
	e.up.fail(failAll)
	e.clock.Advance(at(12, 0).Sub(e.clock.Now()))
	_, err = e.r.Run(ctx, &job, at(12, 0), false)
	require.Error(t, err)
	e.up.fail(nil)
	_, ok, err := e.st.ClaimRun(ctx, job.Name, at(13, 0), "replica-2", at(13, 0), time.Hour, false)
	require.NoError(t, err)
	require.True(t, ok)
	e.clock.Advance(at(13, 10).Sub(e.clock.Now()))
	reconcileAndSettle(t, sc)
	for _, r := range e.runs(t, job.Name) {
		if r.FiringAt.Equal(at(12, 0)) {
			assert.Equal(t, store.RunFailed, r.Status, "a later firing is running")
		}
	}
}

func TestFailedRetryWait(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct{ failedAfter, want time.Duration }{
		{0, time.Minute},
		{20 * time.Second, time.Minute},
		{time.Minute, time.Minute},
		{90 * time.Second, 90 * time.Second},
		{10 * time.Minute, 10 * time.Minute},
		{30 * time.Minute, 30 * time.Minute},
		{5 * time.Hour, 30 * time.Minute},
	} {
		got := failedRetryWait(store.Run{FiringAt: at, FinishedAt: at.Add(tt.failedAfter)})
		assert.Equal(t, tt.want, got, "failed %s after the firing", tt.failedAfter)
	}
}
