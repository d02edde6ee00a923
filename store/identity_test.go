package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoreIdentity: a store is new to serve until serve has run on it for
// a while, however long ago it was created, and Check notices when the
// store at its URL is no longer the one it opened.
func TestStoreIdentity(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openT(t, url)
		require.NoError(t, s.Check(ctx))
		again := openT(t, url)
		assert.Equal(t, s.ident.id, again.ident.id, "one store, one identity")
		require.NoError(t, again.Check(ctx))

		// Created long ago by another command (jobs, alerts): still new
		// to serve. Before, a store older than five minutes had history.
		_, err := s.rw.ExecContext(ctx, `UPDATE store_identity SET created_at = 0`)
		require.NoError(t, err)
		isNew, err := openT(t, url).StartServing(ctx)
		require.NoError(t, err)
		assert.True(t, isNew, "serve's first start on it")
		isNew, err = again.StartServing(ctx)
		require.NoError(t, err)
		assert.True(t, isNew, "a replica starting with it agrees")
		// Served long ago: it has history.
		_, err = s.rw.ExecContext(ctx, `UPDATE store_identity SET served_at = 1000`)
		require.NoError(t, err)
		isNew, err = openT(t, url).StartServing(ctx)
		require.NoError(t, err)
		assert.False(t, isNew)
		var served int64
		require.NoError(t, s.ro.QueryRowContext(ctx, `SELECT served_at FROM store_identity`).Scan(&served))
		assert.Equal(t, int64(1000), served, "the first start is kept")

		// Reset under the running process: another identity.
		_, err = s.rw.ExecContext(ctx, `UPDATE store_identity SET id = 'another'`)
		require.NoError(t, err)
		err = s.Check(ctx)
		require.ErrorIs(t, err, ErrStoreChanged)
		var ce *ChangedError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "the store was replaced by another one (its identity changed)", ce.Reason)
		_, err = s.rw.ExecContext(ctx, `DROP TABLE store_identity`)
		require.NoError(t, err)
		assert.ErrorIs(t, s.Check(ctx), ErrStoreChanged)
	})
}

// TestStoreFileDeletedOrReplaced: SQLite keeps working on a file that was
// unlinked or renamed over; Check compares the file at the path with the
// one opened.
func TestStoreFileDeletedOrReplaced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reason := func(t *testing.T, err error) string {
		t.Helper()
		var ce *ChangedError
		require.ErrorAs(t, err, &ce)
		require.ErrorIs(t, err, ErrStoreChanged)
		return ce.Reason
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	s := openT(t, "sqlite:"+path)
	require.NoError(t, s.Check(ctx))
	require.NoError(t, os.Remove(path))
	assert.Equal(t, "the store file was deleted", reason(t, s.Check(ctx)))
	assert.NoError(t, s.Ping(ctx), "the unlinked file still answers: Ping alone cannot tell")

	path = filepath.Join(dir, "state2.db")
	s = openT(t, "sqlite:"+path)
	other := filepath.Join(dir, "other.db")
	o := openT(t, "sqlite:"+other)
	require.NoError(t, o.Close())
	require.NoError(t, os.Rename(other, path))
	assert.Equal(t, "the store file was replaced by another file", reason(t, s.Check(ctx)))
}

// TestServedAtOnUpgrade: a store from before migration 4 that has runs
// has history (served since it was created, as New said of it before);
// one with none is new to serve.
func TestServedAtOnUpgrade(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		downgrade := func(s *Store) {
			t.Helper()
			for _, q := range []string{`ALTER TABLE store_identity DROP COLUMN served_at`,
				`DELETE FROM schema_migrations WHERE version = 4`, `UPDATE store_identity SET created_at = 1000`} {
				_, err := s.rw.ExecContext(ctx, q)
				require.NoError(t, err, q)
			}
		}
		s := openT(t, url)
		downgrade(s)
		isNew, err := openT(t, url).StartServing(ctx)
		require.NoError(t, err)
		assert.True(t, isNew, "no runs: no history")

		s = openT(t, url)
		downgrade(s)
		_, _, err = s.ClaimRun(ctx, "weekly", t0, "replica-1", t0, time.Minute, false)
		require.NoError(t, err)
		isNew, err = openT(t, url).StartServing(ctx)
		require.NoError(t, err)
		assert.False(t, isNew, "runs from before the upgrade: history")
	})
}
