package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnsubscribes(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		added, err := s.Unsubscribe(ctx, "weekly-support", " Boss@Example.com ", at)
		require.NoError(t, err)
		assert.True(t, added)
		added, err = s.Unsubscribe(ctx, "weekly-support", "boss@example.com", at.Add(time.Hour))
		require.NoError(t, err)
		assert.False(t, added, "twice is once")
		_, err = s.Unsubscribe(ctx, "other", "boss@example.com", at)
		require.NoError(t, err)

		set, err := s.Unsubscribed(ctx, "weekly-support")
		require.NoError(t, err)
		assert.Equal(t, map[string]bool{"boss@example.com": true}, set)
		for addr, want := range map[string]bool{"BOSS@example.com": true, "leads@example.com": false} {
			got, err := s.IsUnsubscribed(ctx, "weekly-support", addr)
			require.NoError(t, err)
			assert.Equal(t, want, got, addr)
		}
		all, err := s.Unsubscribes(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, Unsubscription{Job: "other", Address: "boss@example.com", CreatedAt: at}, all[0])
		assert.True(t, all[1].CreatedAt.Equal(at), "the first instant is kept")

		_, err = s.Unsubscribe(ctx, "", "x@example.com", at)
		assert.Error(t, err)
	})
}

// TestResubscribe: an unsubscription is forgotten for its job only, the
// address matched as Unsubscribe stores it, and may be made again.
func TestResubscribe(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		for _, job := range []string{"weekly-support", "other"} {
			_, err := s.Unsubscribe(ctx, job, "boss@example.com", at)
			require.NoError(t, err)
		}
		found, err := s.Resubscribe(ctx, "weekly-support", " BOSS@example.com")
		require.NoError(t, err)
		assert.True(t, found)
		found, err = s.Resubscribe(ctx, "weekly-support", "boss@example.com")
		require.NoError(t, err)
		assert.False(t, found, "nothing left to forget")
		for job, want := range map[string]bool{"weekly-support": false, "other": true} {
			got, err := s.IsUnsubscribed(ctx, job, "boss@example.com")
			require.NoError(t, err)
			assert.Equal(t, want, got, job)
		}
		added, err := s.Unsubscribe(ctx, "weekly-support", "boss@example.com", at.Add(time.Hour))
		require.NoError(t, err)
		assert.True(t, added, "unsubscribing again is new")
	})
}
