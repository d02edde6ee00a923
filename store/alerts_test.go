package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAlerts(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.Alert(ctx, "weekly", "x above 1")
		assert.ErrorIs(t, err, ErrNotFound)
		list, err := s.Alerts(ctx)
		require.NoError(t, err)
		assert.Empty(t, list)

		v := 72.5
		firing := AlertState{Job: "weekly", Key: "chats_first_response_time.seconds above 60|group=2",
			Firing: true, Since: t0, Streak: 3, Value: &v, Updated: t0.Add(time.Minute)}
		require.NoError(t, s.PutAlert(ctx, firing))
		got, err := s.Alert(ctx, firing.Job, firing.Key)
		require.NoError(t, err)
		want := firing
		want.Since, want.Updated = t0.UTC(), t0.Add(time.Minute).UTC()
		assert.Equal(t, want, got)

		// Upsert: resolving replaces the state, Value may go away.
		resolved := AlertState{Job: firing.Job, Key: firing.Key, Updated: t0.Add(2 * time.Minute)}
		require.NoError(t, s.PutAlert(ctx, resolved))
		got, err = s.Alert(ctx, firing.Job, firing.Key)
		require.NoError(t, err)
		assert.False(t, got.Firing)
		assert.True(t, got.Since.IsZero())
		assert.Zero(t, got.Streak)
		assert.Nil(t, got.Value)
		assert.Equal(t, t0.Add(2*time.Minute).UTC(), got.Updated)

		zero := 0.0
		require.NoError(t, s.PutAlert(ctx, AlertState{Job: "a-job", Key: "k", Value: &zero}))
		list, err = s.Alerts(ctx)
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, "a-job", list[0].Job, "ordered by job")
		require.NotNil(t, list[0].Value, "a zero value is not a missing value")
		assert.Zero(t, *list[0].Value)
		assert.Equal(t, "weekly", list[1].Job)

		assert.Error(t, s.PutAlert(ctx, AlertState{Job: "j"}))
	})
}

// Instants come back in UTC, equal to the millisecond, on both backends;
// zero stays zero; far dates survive.
func TestTimesRoundTrip(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		tests := []struct {
			name string
			in   time.Time
			want time.Time
		}{
			{"ms in a zone", t0, time.Date(2026, 3, 8, 14, 15, 30, 123_000_000, time.UTC)},
			{"sub-ms truncated", time.Date(2026, 1, 1, 0, 0, 0, 999_999, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
			{"before 1970", time.Date(1969, 12, 31, 23, 59, 59, 1_000_000, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 1_000_000, time.UTC)},
			{"far future", time.Date(2999, 12, 31, 23, 59, 59, 999_000_000, time.UTC), time.Date(2999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)},
			{"zero", time.Time{}, time.Time{}},
		}
		for _, tt := range tests {
			require.NoError(t, s.PutAlert(ctx, AlertState{Job: "j", Key: tt.name, Since: tt.in, Updated: tt.in}))
			got, err := s.Alert(ctx, "j", tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Since, tt.name)
			assert.Equal(t, tt.want, got.Updated, tt.name)
			if !tt.want.IsZero() {
				assert.Equal(t, time.UTC, got.Since.Location(), tt.name)
			}
		}
	})
}

// An anomaly threshold's score is stored with its state, by every way a
// state is written, and goes away with the next state that has none.
func TestAnomalyNoteRoundTrips(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		v := 412.0
		note := &AnomalyNote{Baseline: 121, Z: 5.24, Usual: "Monday until 10:00"}
		a := AlertState{Job: "j", Key: "total_chats.chats anomaly weeks=8 z=3", Firing: true, Since: t0, Value: &v, Updated: t0, Anomaly: note}
		_, err := s.Record(ctx, nil, []AlertChange{{State: a}})
		require.NoError(t, err)
		got, err := s.Alert(ctx, a.Job, a.Key)
		require.NoError(t, err)
		assert.Equal(t, note, got.Anomaly, "inserted")

		a.Updated, a.Anomaly = t0.Add(time.Minute), &AnomalyNote{Baseline: 0, Z: -0.5, Usual: "week"}
		_, err = s.Record(ctx, nil, []AlertChange{{State: a, Read: t0}})
		require.NoError(t, err)
		got, err = s.Alert(ctx, a.Job, a.Key)
		require.NoError(t, err)
		assert.Equal(t, a.Anomaly, got.Anomaly, "updated; a baseline of 0 is a baseline")

		a.Updated, a.Anomaly = t0.Add(2*time.Minute), nil
		_, err = s.Record(ctx, nil, []AlertChange{{State: a, Read: t0.Add(time.Minute)}})
		require.NoError(t, err)
		got, err = s.Alert(ctx, a.Job, a.Key)
		require.NoError(t, err)
		assert.Nil(t, got.Anomaly, "cleared")

		a.Anomaly = note
		require.NoError(t, s.PutAlert(ctx, a))
		list, err := s.Alerts(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, note, list[0].Anomaly, "put and listed")
	})
}
