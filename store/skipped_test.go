package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunSkipped: a run whose digest the job's send rule held back is
// finished as skipped, with its reason and digest, and is done: neither
// claimed again nor retried (on SQLite and PostgreSQL).
func TestRunSkipped(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		run, ok, err := s.ClaimRun(ctx, "quiet", t0, "a", t0, time.Minute, false)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.FinishRun(ctx, run.ID, "a", t0.Add(time.Second), RunSkipped, "digest not sent (send: changes): nothing", []byte(`{}`)))
		got, err := s.LastRun(ctx, "quiet")
		require.NoError(t, err)
		assert.Equal(t, RunSkipped, got.Status)
		assert.Equal(t, "digest not sent (send: changes): nothing", got.Error)
		assert.Equal(t, `{}`, string(got.Digest))
		_, ok, err = s.RetryRun(ctx, "quiet", t0, "b", t0.Add(time.Hour), time.Minute, false)
		require.NoError(t, err)
		assert.False(t, ok, "a skipped digest is a finished run, not a failed one")
	})
}
