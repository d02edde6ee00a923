package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPruneKeepsUnfinishedWorkAndRuns(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		old, recent := t0, t0.Add(40*24*time.Hour)
		cutoff := t0.Add(30 * 24 * time.Hour)

		_, err := s.Enqueue(ctx, []Delivery{delivery("sent-old", old), delivery("sent-new", old), delivery("queued-old", old), delivery("failed-old", old)})
		require.NoError(t, err)
		claimed, err := s.Claim(ctx, "w", old, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, claimed, 4)
		for _, d := range claimed {
			switch d.Key {
			case "sent-old":
				require.NoError(t, s.MarkSent(ctx, d.ID, "w", old))
			case "sent-new":
				require.NoError(t, s.MarkSent(ctx, d.ID, "w", recent))
			case "queued-old":
				require.NoError(t, s.MarkRetry(ctx, d.ID, "w", 1, old, "smtp down"))
			case "failed-old":
				require.NoError(t, s.MarkFailed(ctx, d.ID, "w", 5, "smtp down"))
			}
		}
		r, ok, err := s.ClaimRun(ctx, "weekly", old, "w", old, time.Minute, false)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.FinishRun(ctx, r.ID, "w", old, RunOK, "", []byte(`{"job":"weekly"}`)))

		nd, nr, err := s.Prune(ctx, cutoff)
		require.NoError(t, err)
		assert.Equal(t, 1, nd)
		assert.Equal(t, 1, nr)
		ds, err := s.Deliveries(ctx, DeliveryFilter{})
		require.NoError(t, err)
		var keys []string
		for _, d := range ds {
			keys = append(keys, d.Key)
		}
		assert.ElementsMatch(t, []string{"sent-new", "queued-old", "failed-old"}, keys)
		run, err := s.LastRun(ctx, "weekly")
		require.NoError(t, err)
		assert.Equal(t, RunOK, run.Status)
		assert.Empty(t, run.Digest)
		// The firing is still known: it is not run again.
		_, ok, err = s.ClaimRun(ctx, "weekly", old, "x", recent, time.Minute, false)
		require.NoError(t, err)
		assert.False(t, ok)
	})
}

// TestPruneKeepsTheAnnouncingPost: an alert that fires longer than the
// retention still has the receipt of the post that announced it, so its
// resolve can update that post; a sent delivery no notice names goes.
func TestPruneKeepsTheAnnouncingPost(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		old := t0
		n := Notice{Job: "frt", Key: "x above 1", Target: "slack:#a", Since: old, Status: NoticeQueued, Delivery: "post", NotifiedAt: old}
		_, err := s.Record(ctx, []Delivery{delivery("post", old), delivery("digest", old)}, nil, NoticeChange{Notice: n})
		require.NoError(t, err)
		claimed, err := s.Claim(ctx, "w", old, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, claimed, 2)
		for _, d := range claimed {
			require.NoError(t, s.MarkSentReceipt(ctx, d.ID, "w", old, "C1", "1700000000.000100"))
		}
		nd, _, err := s.Prune(ctx, old.Add(40*24*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 1, nd)
		rs, err := s.Receipts(ctx, []string{"post", "digest"})
		require.NoError(t, err)
		assert.Equal(t, map[string]Receipt{"post": {Key: "post", Status: DeliverySent, SlackChannel: "C1", SlackTS: "1700000000.000100"}}, rs)
	})
}
