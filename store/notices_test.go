package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNoticesCompareAndSet(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		n := Notice{Job: "frt", Key: "x above 1", Target: "slack:#a", Since: t0, Status: NoticeHeld}
		_, err := s.Record(ctx, nil, nil, NoticeChange{Notice: n})
		require.NoError(t, err)
		_, err = s.Record(ctx, nil, nil, NoticeChange{Notice: n})
		assert.ErrorIs(t, err, ErrConflict, "a second insert of a notice read as absent conflicts")

		got, err := s.Notices(ctx, NoticeFilter{Job: "frt"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, int64(1), got[0].Version)
		assert.Equal(t, t0.UTC(), got[0].Since)

		// A change over the version read is saved; over an older one it
		// conflicts and nothing of the call is saved.
		q := got[0]
		q.Status, q.Delivery, q.NotifiedAt = NoticeQueued, "frt|k|alert|slack:#a", t0.Add(time.Minute)
		d := Delivery{Key: q.Delivery, Job: "frt", Kind: "alert", Channel: "slack", Target: "slack:#a", CreatedAt: t0}
		_, err = s.Record(ctx, []Delivery{d}, nil, NoticeChange{Notice: q})
		require.NoError(t, err)
		stale := got[0]
		stale.Status = NoticeQueued
		_, err = s.Record(ctx, []Delivery{{Key: "other", Job: "frt", CreatedAt: t0}}, nil, NoticeChange{Notice: stale})
		assert.ErrorIs(t, err, ErrConflict)
		ds, err := s.Deliveries(ctx, DeliveryFilter{})
		require.NoError(t, err)
		assert.Len(t, ds, 1, "the conflicting call saved no delivery")

		// Sending the delivery announces the notice and keeps the receipt.
		claimed, err := s.Claim(ctx, "w", t0, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, claimed, 1)
		require.NoError(t, s.MarkSentReceipt(ctx, claimed[0].ID, "w", t0.Add(time.Second), "C123", "1700000000.000100"))
		got, err = s.Notices(ctx, NoticeFilter{Status: NoticeAnnounced})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, int64(3), got[0].Version)
		assert.Equal(t, t0.Add(time.Minute).UTC(), got[0].NotifiedAt)
		rs, err := s.Receipts(ctx, []string{q.Delivery, "missing", ""})
		require.NoError(t, err)
		assert.Equal(t, map[string]Receipt{q.Delivery: {Key: q.Delivery, Status: DeliverySent, SlackChannel: "C123", SlackTS: "1700000000.000100"}}, rs)
		assert.ErrorIs(t, s.MarkSentReceipt(ctx, claimed[0].ID, "w", t0, "", ""), ErrLeaseLost)

		// Delete is compare-and-set too.
		_, err = s.Record(ctx, nil, nil, NoticeChange{Notice: q, Delete: true})
		assert.ErrorIs(t, err, ErrConflict)
		_, err = s.Record(ctx, nil, nil, NoticeChange{Notice: got[0], Delete: true})
		require.NoError(t, err)
		got, err = s.Notices(ctx, NoticeFilter{})
		require.NoError(t, err)
		assert.Empty(t, got)

		_, err = s.Record(ctx, nil, nil, NoticeChange{Notice: Notice{Job: "j"}})
		assert.Error(t, err)
	})
}

func TestDroppedDeliveryHoldsItsNotices(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		key := "frt|t|alert|email:a"
		var changes []NoticeChange
		for _, k := range []string{"a", "b"} {
			changes = append(changes, NoticeChange{Notice: Notice{Job: "frt", Key: k, Target: "email:a", Since: t0,
				Status: NoticeQueued, Delivery: key, NotifiedAt: t0, Reminders: 2}})
		}
		_, err := s.Record(ctx, []Delivery{{Key: key, Job: "frt", Kind: "alert", Channel: "email", Target: "email:a", CreatedAt: t0}}, nil, changes...)
		require.NoError(t, err)
		require.NoError(t, s.HoldNotices(ctx, key, []string{"a"}))
		require.NoError(t, s.HoldNotices(ctx, key, nil))
		require.NoError(t, s.HoldNotices(ctx, key, []string{"a", "x|group=2"}))
		rs, err := s.Receipts(ctx, []string{key})
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "x|group=2"}, rs[key].Dropped, "the delivery remembers each dropped alert once")
		got, err := s.Notices(ctx, NoticeFilter{Status: NoticeHeld})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "a", got[0].Key)
		assert.Empty(t, got[0].Delivery)
		assert.True(t, got[0].NotifiedAt.IsZero())
		assert.Zero(t, got[0].Reminders)

		claimed, err := s.Claim(ctx, "w", t0, time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, claimed, 1)
		require.NoError(t, s.MarkDropped(ctx, claimed[0].ID, "w", "silenced"))
		assert.ErrorIs(t, s.MarkDropped(ctx, claimed[0].ID, "w", "silenced"), ErrLeaseLost)
		ds, err := s.Deliveries(ctx, DeliveryFilter{Status: DeliveryDropped})
		require.NoError(t, err)
		require.Len(t, ds, 1)
		assert.Equal(t, "silenced", ds[0].LastError)
		depth, err := s.QueueDepth(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, depth[DeliveryDropped])
		n, _, err := s.Prune(ctx, t0.Add(time.Second))
		require.NoError(t, err)
		assert.Equal(t, 1, n, "dropped deliveries are pruned like sent ones")
	})
}

func TestPreviousValueRoundTrips(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		v, p := 2.0, 1.0
		a := AlertState{Job: "j", Key: "k", Value: &v, Previous: &p, Updated: t0}
		_, err := s.Record(ctx, nil, []AlertChange{{State: a}})
		require.NoError(t, err)
		got, err := s.Alert(ctx, "j", "k")
		require.NoError(t, err)
		require.NotNil(t, got.Previous)
		assert.Equal(t, 1.0, *got.Previous)
		a.Previous, a.Updated = nil, t0.Add(time.Minute)
		_, err = s.Record(ctx, nil, []AlertChange{{State: a, Read: t0}})
		require.NoError(t, err)
		got, err = s.Alert(ctx, "j", "k")
		require.NoError(t, err)
		assert.Nil(t, got.Previous)
	})
}
