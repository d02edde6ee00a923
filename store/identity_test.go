package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoreIdentity: a store knows it is new when it was just created, and
// Check notices when the store at its URL is no longer the one it opened.
func TestStoreIdentity(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openT(t, url)
		require.NoError(t, s.Check(ctx))
		assert.True(t, s.New(), "created just now")
		again := openT(t, url)
		assert.Equal(t, s.ident.id, again.ident.id, "one store, one identity")
		require.NoError(t, again.Check(ctx))

		// A store created long ago is not new.
		_, err := s.rw.ExecContext(ctx, `UPDATE store_identity SET created_at = 0`)
		require.NoError(t, err)
		assert.False(t, openT(t, url).New())

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
