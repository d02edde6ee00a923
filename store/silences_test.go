package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSilences(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.AddSilence(ctx, Silence{Job: "frt", StartsAt: t0, EndsAt: t0, CreatedAt: t0})
		assert.Error(t, err, "an end at the start is refused")

		a, err := s.AddSilence(ctx, Silence{Job: "frt", Metric: "chats_first_response_time.seconds",
			StartsAt: t0, EndsAt: t0.Add(2 * time.Hour), CreatedBy: "U1 (ann)", Reason: "incident 42", CreatedAt: t0})
		require.NoError(t, err)
		assert.NotZero(t, a.ID)
		assert.Equal(t, t0.Add(2*time.Hour).UTC(), a.EndsAt)
		b, err := s.AddSilence(ctx, Silence{Job: "weekly", StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedAt: t0})
		require.NoError(t, err)
		assert.Greater(t, b.ID, a.ID)

		all, err := s.Silences(ctx, SilenceFilter{})
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, b.ID, all[0].ID, "newest first")
		assert.Equal(t, a, all[1])

		active, err := s.Silences(ctx, SilenceFilter{EndsAfter: t0.Add(90 * time.Minute)})
		require.NoError(t, err)
		require.Len(t, active, 1)
		assert.Equal(t, a.ID, active[0].ID)
		mine, err := s.Silences(ctx, SilenceFilter{Job: "weekly", Limit: 1})
		require.NoError(t, err)
		require.Len(t, mine, 1)
		assert.Equal(t, b.ID, mine[0].ID)

		// Expiry ends the silence now and keeps the row.
		got, err := s.ExpireSilence(ctx, a.ID, t0.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, t0.Add(time.Minute).UTC(), got.EndsAt)
		_, err = s.ExpireSilence(ctx, a.ID, t0.Add(2*time.Minute))
		assert.ErrorIs(t, err, ErrExpired)
		_, err = s.ExpireSilence(ctx, 9999, t0)
		assert.ErrorIs(t, err, ErrNotFound)
		active, err = s.Silences(ctx, SilenceFilter{EndsAfter: t0.Add(2 * time.Minute)})
		require.NoError(t, err)
		require.Len(t, active, 1)
		assert.Equal(t, b.ID, active[0].ID)

		// A silence expired before it started ends at its start.
		c, err := s.AddSilence(ctx, Silence{Job: "weekly", StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(3 * time.Hour), CreatedAt: t0})
		require.NoError(t, err)
		got, err = s.ExpireSilence(ctx, c.ID, t0)
		require.NoError(t, err)
		assert.Equal(t, got.StartsAt, got.EndsAt)
	})
}

// TestAddSilencesNotesThePost: a button press stores every metric's
// silence in one transaction and notes on the delivery that sent the post
// who silenced it until when; an invalid silence stores none of them.
func TestAddSilencesNotesThePost(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.Record(ctx, []Delivery{delivery("post", t0), delivery("other", t0)}, nil)
		require.NoError(t, err)
		claimed, err := s.Claim(ctx, "w", t0, time.Minute, 10)
		require.NoError(t, err)
		for i, d := range claimed {
			require.NoError(t, s.MarkSentReceipt(ctx, d.ID, "w", t0, "C1", []string{"1.000100", "1.000200"}[i]))
		}
		rs, err := s.Receipts(ctx, []string{"post"})
		require.NoError(t, err)
		ts := rs["post"].SlackTS
		until := t0.Add(time.Hour)
		one := Silence{Job: "frt", Metric: "a", StartsAt: t0, EndsAt: until, CreatedBy: "<@U1>", CreatedAt: t0}
		two := one
		two.Metric = "b"
		bad := one
		bad.EndsAt = t0

		_, err = s.AddSilences(ctx, []Silence{one, bad}, SlackPost{Channel: "C1", TS: ts})
		require.Error(t, err)
		ss, err := s.Silences(ctx, SilenceFilter{})
		require.NoError(t, err)
		assert.Empty(t, ss, "all or nothing")

		got, err := s.AddSilences(ctx, []Silence{one, two}, SlackPost{Channel: "C1", TS: ts})
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, "b", got[1].Metric)
		rs, err = s.Receipts(ctx, []string{"post", "other"})
		require.NoError(t, err)
		assert.Equal(t, "<@U1>", rs["post"].SilencedBy)
		assert.Equal(t, until.UTC(), rs["post"].SilencedUntil)
		assert.Empty(t, rs["other"].SilencedBy)
		assert.True(t, rs["other"].SilencedUntil.IsZero())

		_, err = s.AddSilences(ctx, []Silence{one}, SlackPost{Channel: "C1", TS: "9.999"})
		assert.NoError(t, err, "a post no delivery sent is no error")
	})
}

// TestAddSilencesOnce: one signed request (a button press, a silence
// command) replayed to several replicas at once adds its silences once; the
// others find the key. A request whose silences failed leaves no key, so
// Slack's retry of it still works.
func TestAddSilencesOnce(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		replicas := []*Store{openT(t, url), openT(t, url)}
		until := t0.Add(time.Hour)
		one := Silence{Job: "frt", Metric: "a", StartsAt: t0, EndsAt: until, CreatedBy: "<@U1>", CreatedAt: t0}
		two := one
		two.Metric = "b"

		const tries = 8
		errs := make([]error, tries)
		var wg sync.WaitGroup
		for i := range tries {
			wg.Go(func() {
				_, errs[i] = replicas[i%2].AddSilencesOnce(ctx, "v0=sig-1", []Silence{one, two}, SlackPost{})
			})
		}
		wg.Wait()
		added := 0
		for _, err := range errs {
			if err == nil {
				added++
				continue
			}
			assert.ErrorIs(t, err, ErrSeenRequest)
		}
		assert.Equal(t, 1, added, "one of the copies adds")
		ss, err := replicas[0].Silences(ctx, SilenceFilter{})
		require.NoError(t, err)
		assert.Len(t, ss, 2, "both metrics, once")

		bad := one
		bad.EndsAt = t0
		_, err = replicas[1].AddSilencesOnce(ctx, "v0=sig-2", []Silence{bad}, SlackPost{})
		require.Error(t, err)
		assert.NotErrorIs(t, err, ErrSeenRequest)
		_, err = replicas[0].AddSilencesOnce(ctx, "v0=sig-2", []Silence{one}, SlackPost{})
		require.NoError(t, err, "the failed request left no key behind")

		for range 2 {
			_, err = replicas[0].AddSilencesOnce(ctx, "", []Silence{one}, SlackPost{})
			require.NoError(t, err, "no key: no check")
		}
		ss, err = replicas[0].Silences(ctx, SilenceFilter{})
		require.NoError(t, err)
		assert.Len(t, ss, 5)

		// A key is kept for SeenRequestsKept, then the next addition
		// deletes it.
		later := one
		later.CreatedAt = t0.Add(SeenRequestsKept)
		_, err = replicas[1].AddSilencesOnce(ctx, "v0=sig-1", []Silence{later}, SlackPost{})
		assert.ErrorIs(t, err, ErrSeenRequest, "kept for SeenRequestsKept")
		later.CreatedAt = t0.Add(SeenRequestsKept + time.Millisecond)
		_, err = replicas[1].AddSilencesOnce(ctx, "v0=sig-3", []Silence{later}, SlackPost{})
		require.NoError(t, err)
		_, err = replicas[0].AddSilencesOnce(ctx, "v0=sig-1", []Silence{later}, SlackPost{})
		require.NoError(t, err, "forgotten after SeenRequestsKept")
	})
}
