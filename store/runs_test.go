package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClaimRunExclusive(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		// Two Stores on one database, as two replicas would have.
		stores := []*Store{openT(t, url), openT(t, url)}
		const n = 20
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins []string
		)
		for i := range n {
			wg.Go(func() {
				owner := fmt.Sprintf("replica-%d", i)
				run, ok, err := stores[i%2].ClaimRun(ctx, "weekly", t0, owner, t0, time.Minute, false)
				assert.NoError(t, err)
				assert.Equal(t, "weekly", run.Job)
				if ok {
					mu.Lock()
					wins = append(wins, owner)
					mu.Unlock()
					assert.Equal(t, owner, run.Owner)
				}
			})
		}
		wg.Wait()
		require.Len(t, wins, 1, "exactly one replica must own the firing")

		run, err := stores[0].LastRun(ctx, "weekly")
		require.NoError(t, err)
		assert.Equal(t, wins[0], run.Owner)
		assert.Equal(t, RunRunning, run.Status)
		assert.Equal(t, 1, run.Attempt)
		assert.Equal(t, t0.UTC(), run.FiringAt)
		assert.Equal(t, t0.Add(time.Minute).UTC(), run.LeaseUntil)
		assert.Equal(t, t0.UTC(), run.StartedAt)
		assert.True(t, run.FinishedAt.IsZero())
	})
}

func TestClaimRunLease(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		run, ok, err := s.ClaimRun(ctx, "weekly", t0, "a", t0, time.Minute, true)
		require.NoError(t, err)
		require.True(t, ok)
		assert.True(t, run.CaughtUp)

		// Lease still valid (also at its last instant): b is refused.
		for _, now := range []time.Time{t0.Add(30 * time.Second), t0.Add(time.Minute)} {
			got, ok, err := s.ClaimRun(ctx, "weekly", t0, "b", now, time.Minute, false)
			require.NoError(t, err)
			assert.False(t, ok)
			assert.Equal(t, "a", got.Owner)
		}

		// a heartbeats, pushing the lease out; then dies.
		require.NoError(t, s.ExtendRun(ctx, run.ID, "a", t0.Add(2*time.Minute)))
		_, ok, err = s.ClaimRun(ctx, "weekly", t0, "b", t0.Add(90*time.Second), time.Minute, false)
		require.NoError(t, err)
		assert.False(t, ok, "an extended lease must hold")

		taken, ok, err := s.ClaimRun(ctx, "weekly", t0, "b", t0.Add(3*time.Minute), time.Minute, false)
		require.NoError(t, err)
		require.True(t, ok, "an expired lease of a running firing is taken over")
		assert.Equal(t, run.ID, taken.ID)
		assert.Equal(t, "b", taken.Owner)
		assert.Equal(t, 2, taken.Attempt)
		assert.Equal(t, t0.Add(4*time.Minute).UTC(), taken.LeaseUntil)
		assert.True(t, taken.CaughtUp, "takeover keeps how the firing came about")

		// The old owner is out.
		assert.ErrorIs(t, s.ExtendRun(ctx, run.ID, "a", t0.Add(time.Hour)), ErrLeaseLost)
		assert.ErrorIs(t, s.FinishRun(ctx, run.ID, "a", t0, RunOK, "", nil), ErrLeaseLost)

		require.NoError(t, s.FinishRun(ctx, run.ID, "b", t0.Add(200*time.Second), RunPartial, "tickets_new: 503", []byte(`{}`)))
		// Finished firings are never run again, however old the lease.
		got, ok, err := s.ClaimRun(ctx, "weekly", t0, "c", t0.Add(24*time.Hour), time.Minute, false)
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Equal(t, RunPartial, got.Status)
		assert.Equal(t, "tickets_new: 503", got.Error)
		assert.Equal(t, `{}`, string(got.Digest))
		assert.Equal(t, t0.Add(200*time.Second).UTC(), got.FinishedAt)
		assert.ErrorIs(t, s.ExtendRun(ctx, run.ID, "b", t0.Add(time.Hour)), ErrLeaseLost)
		assert.ErrorIs(t, s.FinishRun(ctx, run.ID, "b", t0, RunOK, "", nil), ErrLeaseLost)
	})
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.LastRun(ctx, "nope")
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, s.ExtendRun(ctx, 424242, "a", t0), ErrNotFound)
		assert.ErrorIs(t, s.FinishRun(ctx, 424242, "a", t0, RunOK, "", nil), ErrNotFound)
		run, _, err := s.ClaimRun(ctx, "j", t0, "a", t0, time.Minute, false)
		require.NoError(t, err)
		err = s.FinishRun(ctx, run.ID, "a", t0, RunRunning, "", nil)
		assert.ErrorContains(t, err, "invalid status")
		_, _, err = s.ClaimRun(ctx, "", t0, "a", t0, time.Minute, false)
		assert.Error(t, err)
	})
}

func TestRunsList(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for i := range 5 {
			at := t0.Add(time.Duration(i) * time.Hour)
			r, ok, err := s.ClaimRun(ctx, "hourly", at, "a", at, time.Minute, false)
			require.NoError(t, err)
			require.True(t, ok)
			require.NoError(t, s.FinishRun(ctx, r.ID, "a", at.Add(time.Second), RunOK, "", nil))
		}
		_, _, err := s.ClaimRun(ctx, "other", t0, "a", t0, time.Minute, false)
		require.NoError(t, err)

		runs, err := s.Runs(ctx, "hourly", 3)
		require.NoError(t, err)
		require.Len(t, runs, 3)
		for i, r := range runs {
			assert.Equal(t, t0.Add(time.Duration(4-i)*time.Hour).UTC(), r.FiringAt)
		}
		all, err := s.Runs(ctx, "", 0)
		require.NoError(t, err)
		assert.Len(t, all, 6)
		last, err := s.LastRun(ctx, "hourly")
		require.NoError(t, err)
		assert.Equal(t, t0.Add(4*time.Hour).UTC(), last.FiringAt)
		none, err := s.Runs(ctx, "nope", 10)
		require.NoError(t, err)
		assert.Empty(t, none)
	})
}

func TestFailedRunIsRetriedOnlyOnRequest(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		r, ok, err := s.ClaimRun(ctx, "weekly", t0, "a", t0, time.Minute, false)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.FinishRun(ctx, r.ID, "a", t0, RunFailed, "upstream down", nil))

		// The scheduler's lock on another replica leaves it failed.
		got, ok, err := s.ClaimRun(ctx, "weekly", t0, "b", t0.Add(time.Second), time.Minute, false)
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Equal(t, RunFailed, got.Status)

		// An explicit re-run takes it again, as a new attempt.
		got, ok, err = s.RetryRun(ctx, "weekly", t0, "c", t0.Add(2*time.Second), time.Minute, false)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, RunRunning, got.Status)
		assert.Equal(t, "c", got.Owner)
		assert.Equal(t, 2, got.Attempt)
		assert.Empty(t, got.Error)

		// A run that succeeded is never taken again, not even by RetryRun.
		require.NoError(t, s.FinishRun(ctx, got.ID, "c", t0, RunOK, "", nil))
		_, ok, err = s.RetryRun(ctx, "weekly", t0, "d", t0.Add(3*time.Second), time.Minute, false)
		require.NoError(t, err)
		assert.False(t, ok)
	})
}

func TestRunFirings(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		base := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
		for _, m := range []int{0, 2, 3, 5} {
			_, ok, err := s.ClaimRun(ctx, "minutely", base.Add(time.Duration(m)*time.Minute), "a", base, time.Minute, false)
			require.NoError(t, err)
			require.True(t, ok)
		}
		_, _, err := s.ClaimRun(ctx, "other", base.Add(time.Minute), "a", base, time.Minute, false)
		require.NoError(t, err)

		got, err := s.RunFirings(ctx, "minutely", base.Add(time.Minute), base.Add(3*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, []time.Time{base.Add(2 * time.Minute), base.Add(3 * time.Minute)}, got, "both ends included, other jobs not")
		got, err = s.RunFirings(ctx, "minutely", base.Add(-time.Hour), base.Add(time.Hour))
		require.NoError(t, err)
		assert.Len(t, got, 4)
		got, err = s.RunFirings(ctx, "nobody", base, base.Add(time.Hour))
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

// TestFailedRuns: a failed firing is listed until a later firing of its
// job runs (ok, partly, held back, or running now), not one older than
// since, not a running or finished one, and not another job's later
// success.
func TestFailedRuns(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		base := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
		at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
		finish := func(job string, m int, status string) { t.Helper(); addRun(t, s, job, at(m), status, nil) }
		finish("a", 0, RunFailed)  // superseded by 1
		finish("a", 1, RunOK)      //
		finish("a", 2, RunFailed)  // superseded by 3 while it runs
		finish("a", 3, RunRunning) //
		finish("a", 4, RunFailed)  // listed
		finish("b", 0, RunFailed)  // older than since
		finish("b", 2, RunFailed)  // superseded by 3, held back
		finish("b", 3, RunSkipped) //
		finish("c", 2, RunFailed)  // superseded by 5, partly sent
		finish("c", 5, RunPartial) //
		finish("d", 2, RunFailed)  // listed: a's successes are not d's

		got, err := s.FailedRuns(ctx, at(1))
		require.NoError(t, err)
		var names []string
		for _, r := range got {
			names = append(names, fmt.Sprintf("%s %s %s", r.Job, r.FiringAt.Format("15:04"), r.Error))
		}
		assert.Equal(t, []string{"d 10:02 why failed", "a 10:04 why failed"}, names)
		got, err = s.FailedRuns(ctx, at(5))
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

// TestLastRunsAndUnsentByJob: the operator page's two queries for all jobs
// agree with the per-job ones they replace.
func TestLastRunsAndUnsentByJob(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, f := range []struct {
			job    string
			firing time.Time
			status string
		}{
			{"weekly", t0, RunOK},
			{"weekly", t0.Add(time.Hour), RunFailed},
			{"daily", t0.Add(-time.Hour), RunOK},
			{"daily", t0.Add(24 * time.Hour), RunOK},
			{"daily", t0, RunPartial},
			{"new", t0, RunRunning},
		} {
			addRun(t, s, f.job, f.firing, f.status, []byte(`{"job":"`+f.job+`"}`))
		}
		last, err := s.LastRuns(ctx, []string{"weekly", "daily", "new", "never-ran", `o'quote"`})
		require.NoError(t, err)
		require.Len(t, last, 3, "a job without runs has none")
		for _, job := range []string{"weekly", "daily", "new"} {
			want, err := s.LastRun(ctx, job)
			require.NoError(t, err)
			want.Digest = nil // not read for the page
			assert.Equal(t, want, last[job], job)
		}
		assert.Equal(t, RunFailed, last["weekly"].Status)
		only, err := s.LastRuns(ctx, []string{"daily"})
		require.NoError(t, err)
		assert.Equal(t, map[string]Run{"daily": last["daily"]}, only, "only the jobs asked for")
		assert.Equal(t, t0.Add(24*time.Hour).UTC(), last["daily"].FiringAt)

		var ds []Delivery
		for i, job := range []string{"weekly", "weekly", "weekly", "daily", "daily"} {
			d := delivery(fmt.Sprintf("%s|%d", job, i), t0)
			d.Job = job
			ds = append(ds, d)
		}
		_, err = s.Enqueue(ctx, ds)
		require.NoError(t, err)
		claimed, err := s.Claim(ctx, "w", t0, time.Minute, 10)
		require.NoError(t, err)
		for _, d := range claimed {
			switch d.Key {
			case "weekly|0", "daily|3":
				require.NoError(t, s.MarkSent(ctx, d.ID, "w", t0))
			case "weekly|1":
				require.NoError(t, s.MarkFailed(ctx, d.ID, "w", 1, "boom"))
			}
		}
		unsent, err := s.UnsentByJob(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"weekly": 2, "daily": 1}, unsent, "failed and sending count; sent does not")
	})
}

// addRun claims job's firing as owner "a" at the firing instant and, unless
// status is RunRunning, finishes it with status, the error "why STATUS" and
// digest.
func addRun(t *testing.T, s *Store, job string, firing time.Time, status string, digest []byte) {
	t.Helper()
	ctx := context.Background()
	r, ok, err := s.ClaimRun(ctx, job, firing, "a", firing, time.Minute, false)
	require.NoError(t, err)
	require.True(t, ok)
	if status != RunRunning {
		require.NoError(t, s.FinishRun(ctx, r.ID, "a", firing, status, "why "+status, digest))
	}
}
