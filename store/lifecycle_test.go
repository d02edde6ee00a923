package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLifecycleNotices(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
		dep := LifecycleNotice{API: "2", Header: "Deprecation", Value: "2026-09-30"}
		require.NoError(t, s.RecordLifecycle(ctx, dep, at))
		require.NoError(t, s.RecordLifecycle(ctx, dep, at.Add(time.Hour)))
		// An older sighting (a replica with a slow clock) does not move it back.
		require.NoError(t, s.RecordLifecycle(ctx, dep, at.Add(-time.Hour)))
		require.NoError(t, s.RecordLifecycle(ctx, LifecycleNotice{API: "3.6", Header: "Legacy", Value: "2027-06-30"}, at))

		got, err := s.LifecycleNotices(ctx)
		require.NoError(t, err)
		assert.Equal(t, []LifecycleNotice{
			{API: "2", Header: "Deprecation", Value: "2026-09-30", FirstSeen: at, LastSeen: at.Add(time.Hour)},
			{API: "3.6", Header: "Legacy", Value: "2027-06-30", FirstSeen: at, LastSeen: at},
		}, got)

		// A hostile upstream sending a new value each time keeps at most
		// the latest maxLifecycleValues of them.
		for i := range 3 * maxLifecycleValues {
			n := LifecycleNotice{API: "2", Header: "Legacy", Value: fmt.Sprintf("v%02d", i)}
			require.NoError(t, s.RecordLifecycle(ctx, n, at.Add(time.Duration(i)*time.Minute)))
		}
		got, err = s.LifecycleNotices(ctx)
		require.NoError(t, err)
		legacy := 0
		for _, n := range got {
			if n.API == "2" && n.Header == "Legacy" {
				legacy++
				assert.GreaterOrEqual(t, n.Value, fmt.Sprintf("v%02d", 2*maxLifecycleValues), "the latest are kept")
			}
		}
		assert.Equal(t, maxLifecycleValues, legacy)
		assert.Error(t, s.RecordLifecycle(ctx, LifecycleNotice{Header: "Legacy"}, at))
	})
}
