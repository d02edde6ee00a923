package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProbeURL(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		p, err := ProbeURL(ctx, url)
		require.NoError(t, err)
		assert.False(t, p.Current(), "nothing migrated yet")
		assert.Equal(t, versions(), p.Missing)
		if p.Dialect == DialectSQLite {
			assert.True(t, p.NotCreated)
			// Probing created nothing.
			p, err = ProbeURL(ctx, url)
			require.NoError(t, err)
			assert.True(t, p.NotCreated)
		}

		s := openT(t, url)
		p, err = ProbeURL(ctx, url)
		require.NoError(t, err)
		assert.True(t, p.Current(), "%+v", p)
		assert.Equal(t, versions(), p.Applied)

		// A binary that lacks a migration (one added after it) sees it missing.
		_, err = s.rw.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 10`)
		require.NoError(t, err)
		p, err = ProbeURL(ctx, url)
		require.NoError(t, err)
		assert.Equal(t, []int{10}, p.Missing)
		assert.False(t, p.Current())

		// A database migrated by a newer binary.
		_, err = s.rw.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`)
		require.NoError(t, err)
		p, err = ProbeURL(ctx, url)
		require.NoError(t, err)
		assert.True(t, p.Newer)
	})
}

func TestProbeURLUnreachable(t *testing.T) {
	t.Parallel()
	_, err := ProbeURL(context.Background(), "postgres://u:pw-Zq81@127.0.0.1:1/db?sslmode=disable&connect_timeout=2")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "pw-Zq81")
	_, err = ProbeURL(context.Background(), "mysql://x")
	assert.ErrorContains(t, err, "unsupported url scheme")
}
