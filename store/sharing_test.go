package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClaimAnswerExclusive(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		stores := []*Store{openT(t, url), openT(t, url)}
		const n = 10
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins []string
		)
		for i := range n {
			wg.Go(func() {
				owner := fmt.Sprintf("replica-%d", i)
				a, ok, err := stores[i%2].ClaimAnswer(ctx, t0, "q1", owner, t0, time.Minute)
				assert.NoError(t, err)
				assert.False(t, a.Done)
				if ok {
					mu.Lock()
					wins = append(wins, owner)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Len(t, wins, 1, "exactly one replica must fetch the question")
	})
}

func TestClaimAnswerLifecycle(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, ok, err := s.ClaimAnswer(ctx, t0, "q1", "a", t0, time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, SharedAnswer{Key: "q1", Holder: "a", LeaseUntil: t0.Add(time.Minute).UTC()}, a)

		// b waits while a's lease lasts (also at its last instant).
		for _, now := range []time.Time{t0.Add(time.Second), t0.Add(time.Minute)} {
			got, ok, err := s.ClaimAnswer(ctx, t0, "q1", "b", now, time.Minute)
			require.NoError(t, err)
			assert.False(t, ok)
			assert.Equal(t, "a", got.Holder)
			assert.False(t, got.Done)
		}
		// a extends its claim while it waits for the rate limit.
		got, ok, err := s.ClaimAnswer(ctx, t0, "q1", "a", t0.Add(50*time.Second), time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, t0.Add(110*time.Second).UTC(), got.LeaseUntil)
		_, ok, err = s.ClaimAnswer(ctx, t0, "q1", "b", t0.Add(90*time.Second), time.Minute)
		require.NoError(t, err)
		assert.False(t, ok, "an extended claim holds")

		// a dies: b takes the question over once the lease ran out.
		got, ok, err = s.ClaimAnswer(ctx, t0, "q1", "b", t0.Add(111*time.Second), time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "b", got.Holder)

		require.NoError(t, s.PutAnswer(ctx, t0, "q1", "b", []byte(`{"x":1}`), nil))
		// Done is final: nobody claims it again, however late, and a second
		// outcome (a was only slow) is dropped.
		require.NoError(t, s.PutAnswer(ctx, t0, "q1", "a", nil, []byte(`late failure`)))
		for _, owner := range []string{"a", "b", "c"} {
			got, ok, err = s.ClaimAnswer(ctx, t0, "q1", owner, t0.Add(time.Hour), time.Minute)
			require.NoError(t, err)
			assert.False(t, ok)
			assert.True(t, got.Done)
			assert.Equal(t, `{"x":1}`, string(got.Body))
			assert.Nil(t, got.Failure)
		}

		// A failure is as final as an answer.
		_, ok, err = s.ClaimAnswer(ctx, t0, "q2", "a", t0, time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.PutAnswer(ctx, t0, "q2", "a", nil, []byte(`{"status":503}`)))
		got, ok, err = s.ClaimAnswer(ctx, t0, "q2", "b", t0.Add(time.Hour), time.Minute)
		require.NoError(t, err)
		assert.False(t, ok)
		assert.True(t, got.Done)
		assert.Equal(t, `{"status":503}`, string(got.Failure))

		// The same question in the next firing is a new question.
		next := t0.Add(time.Minute)
		_, ok, err = s.ClaimAnswer(ctx, next, "q1", "c", next, time.Minute)
		require.NoError(t, err)
		assert.True(t, ok)

		_, _, err = s.ClaimAnswer(ctx, t0, "", "a", t0, time.Minute)
		assert.Error(t, err)
		_, _, err = s.ClaimAnswer(ctx, t0, "q", "", t0, time.Minute)
		assert.Error(t, err)
	})
}

func TestSharedAnswers(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var keys []string
		for i := range 1200 { // more than one query's worth of keys
			keys = append(keys, fmt.Sprintf("q%04d", i))
		}
		for i, k := range keys[:600] {
			_, ok, err := s.ClaimAnswer(ctx, t0, k, "a", t0, time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			if i%2 == 0 {
				require.NoError(t, s.PutAnswer(ctx, t0, k, "a", []byte(k), nil))
			}
		}
		_, _, err := s.ClaimAnswer(ctx, t0.Add(time.Minute), keys[1], "a", t0, time.Minute)
		require.NoError(t, err)

		got, err := s.SharedAnswers(ctx, t0, keys)
		require.NoError(t, err)
		require.Len(t, got, 600, "keys nobody asked for are missing")
		slices.SortFunc(got, func(a, b SharedAnswer) int { return strings.Compare(a.Key, b.Key) })
		for i, a := range got {
			assert.Equal(t, keys[i], a.Key)
			assert.Equal(t, i%2 == 0, a.Done, a.Key)
			if a.Done {
				assert.Equal(t, a.Key, string(a.Body))
			} else {
				assert.Equal(t, "a", a.Holder)
				assert.Nil(t, a.Body)
			}
		}
		none, err := s.SharedAnswers(ctx, t0, nil)
		require.NoError(t, err)
		assert.Empty(t, none)
	})
}

// TestFiringHolds pins when a firing's answers go: when the last live hold
// is released and no run of the firing is still running, not before.
func TestFiringHolds(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		a, b := openT(t, url), openT(t, url)
		answer := func(firing time.Time, key string) {
			t.Helper()
			_, ok, err := a.ClaimAnswer(ctx, firing, key, "a", firing, time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			require.NoError(t, a.PutAnswer(ctx, firing, key, "a", []byte("body"), nil))
		}
		count := func(firing time.Time) int {
			t.Helper()
			got, err := a.SharedAnswers(ctx, firing, []string{"q1", "q2"})
			require.NoError(t, err)
			return len(got)
		}
		next := t0.Add(time.Minute)
		require.NoError(t, a.HoldFiring(ctx, t0, "a", t0.Add(time.Minute)))
		require.NoError(t, b.HoldFiring(ctx, t0, "b", t0.Add(time.Minute)))
		require.NoError(t, a.HoldFiring(ctx, next, "a", t0.Add(time.Minute)))
		answer(t0, "q1")
		answer(t0, "q2")
		answer(next, "q1")

		// b still holds t0: a's release keeps the answers.
		n, err := a.ReleaseFiring(ctx, t0, "a", t0.Add(time.Second))
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.Equal(t, 2, count(t0))

		// A run of the firing still running (its replica may have died and
		// another will take it over) keeps them too.
		run, ok, err := b.ClaimRun(ctx, "weekly", t0, "b", t0, time.Minute, false)
		require.NoError(t, err)
		require.True(t, ok)
		n, err = b.ReleaseFiring(ctx, t0, "b", t0.Add(2*time.Second))
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.Equal(t, 2, count(t0))

		// The run finishes; the sweep deletes the firing's answers, and
		// only this firing's.
		require.NoError(t, b.FinishRun(ctx, run.ID, "b", t0.Add(3*time.Second), RunOK, "", nil))
		n, err = b.SweepAnswers(ctx, t0.Add(4*time.Second), t0.Add(-time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		assert.Zero(t, count(t0))
		assert.Equal(t, 1, count(next), "a still holds the next firing")

		// A hold whose replica died (lease ran out) keeps nothing once
		// swept; releasing the last live hold deletes at once.
		require.NoError(t, b.HoldFiring(ctx, next, "b", t0.Add(2*time.Minute)))
		n, err = a.SweepAnswers(ctx, t0.Add(90*time.Second), t0.Add(-time.Hour))
		require.NoError(t, err)
		assert.Zero(t, n, "b's hold is live")
		n, err = b.ReleaseFiring(ctx, next, "b", t0.Add(90*time.Second))
		require.NoError(t, err)
		assert.Equal(t, 1, n, "a's hold ran out at t0+1m")
		assert.Zero(t, count(next))

		// Answers older than the cutoff go whatever holds them.
		answer(t0, "q1")
		require.NoError(t, a.HoldFiring(ctx, t0, "a", t0.Add(time.Hour)))
		n, err = a.SweepAnswers(ctx, t0.Add(time.Minute), t0.Add(time.Second))
		require.NoError(t, err)
		assert.Equal(t, 1, n)
	})
}
