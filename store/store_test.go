package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pgBaseURL is the PostgreSQL every test machine runs (trust auth).
const pgBaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// t0 is a fixed instant with milliseconds, in a non-UTC zone, so tests see
// both the millisecond precision and the conversion to UTC.
var t0 = time.Date(2026, 3, 8, 9, 15, 30, 123_000_000, time.FixedZone("EST", -5*3600))

// forEachBackend runs fn against a fresh SQLite file and a fresh
// PostgreSQL schema.
func forEachBackend(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	forEachBackendURL(t, func(t *testing.T, url string) {
		fn(t, openT(t, url))
	})
}

// forEachBackendURL gives fn a URL of an empty database on each backend,
// for tests that open several Stores on it, as several processes would.
func forEachBackendURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, pgSchemaURL(t))
	})
}

// pgTestPool is the pool_max_conns of every store the tests open on
// PostgreSQL. go test runs this package beside the jobs tests and the
// replica drill, all on one server (max_connections 100); at the default
// pool of 10 a few stores of each would exhaust it ("too many clients").
// Four still lets the races here run several statements at once.
const pgTestPool = "&pool_max_conns=4"

// pgSchemaURL creates a schema of its own for the test and returns a URL
// whose search_path points at it; the schema is dropped on cleanup.
func pgSchemaURL(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", pgBaseURL)
	require.NoError(t, err)
	admin.SetMaxOpenConns(1)
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		t.Skipf("PostgreSQL not reachable at 127.0.0.1:5432 db test user postgres (start it to run the postgres backend tests): %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	_, err = admin.ExecContext(ctx, `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		assert.NoError(t, err)
	})
	return pgBaseURL + "&search_path=" + schema + pgTestPool
}

func openT(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

func TestOpenMigratesIdempotently(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s1 := openT(t, url)
		v, err := s1.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, migrations[len(migrations)-1].version, v)
		require.NoError(t, s1.PutAlert(ctx, AlertState{Job: "j", Key: "k", Streak: 2}))

		s2 := openT(t, url) // nothing left to migrate; the data stays
		v, err = s2.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, migrations[len(migrations)-1].version, v)
		a, err := s2.Alert(ctx, "j", "k")
		require.NoError(t, err)
		assert.Equal(t, 2, a.Streak)
		require.NoError(t, s2.Ping(ctx))
		want := DialectSQLite
		if strings.HasPrefix(url, "postgres") {
			want = DialectPostgres
		}
		assert.Equal(t, want, s2.Dialect())
	})
}

// Replicas starting together must not trip over each other's migration.
func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		const n = 6
		errs := make(chan error, n)
		stores := make(chan *Store, n)
		for range n {
			go func() {
				s, err := Open(context.Background(), url)
				errs <- err
				stores <- s
			}()
		}
		for range n {
			assert.NoError(t, <-errs)
			if s := <-stores; s != nil {
				assert.NoError(t, s.Close())
			}
		}
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	forEachBackendURL(t, func(t *testing.T, url string) {
		s := openT(t, url)
		_, err := s.rw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`)
		require.NoError(t, err)
		_, err = Open(context.Background(), url)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "newer than this binary")
	})
}

func TestOpenBadURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, want string
	}{
		{"empty", "", "unsupported url scheme"},
		{"mysql", "mysql://u:hunter2@h/db", `unsupported url scheme "mysql"`},
		{"no scheme with password", "u:hunter2@h/db", "unsupported url scheme"},
		{"sqlite no path", "sqlite:", "no file path"},
		{"sqlite memory", "sqlite::memory:", "in-memory"},
		{"sqlite memory mode", "sqlite:x.db?mode=memory", "in-memory"},
		{"sqlite missing dir", "sqlite:" + filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), "store: ping sqlite"},
		{"postgres bad port", "postgres://postgres:hunter2@127.0.0.1:notaport/test", "url does not parse"},
		{"postgres no such database", "postgres://postgres:hunter2@127.0.0.1:5432/no_such_db_x?sslmode=disable&connect_timeout=2", "store: ping postgres"},
		{"postgres refused", "postgres://postgres:hunter2@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", "store: ping postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(context.Background(), tt.url)
			if s != nil {
				s.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "store: "), err.Error())
			assert.NotContains(t, err.Error(), "hunter2", "the password leaked into the error")
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	base := sql.ErrConnDone
	err := redact(&wrapErr{msg: "dial postgres://u:pw123@h failed", err: base}, "pw123")
	assert.Equal(t, "dial postgres://u:xxxxx@h failed", err.Error())
	assert.ErrorIs(t, err, sql.ErrConnDone)
	assert.Same(t, base, redact(base, ""))
}

type wrapErr struct {
	msg string
	err error
}

func (e *wrapErr) Error() string { return e.msg }
func (e *wrapErr) Unwrap() error { return e.err }

func TestSQLiteDSN(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"./state.db", "file:./state.db?" + sqlitePragmas},
		{"///var/lib/x.db", "file:/var/lib/x.db?" + sqlitePragmas},
		{"a%b#c.db", "file:a%25b%23c.db?" + sqlitePragmas},
		{"x.db?cache=shared", "file:x.db?" + sqlitePragmas + "&cache=shared"},
		{"x.db?_pragma=busy_timeout(100)", "file:x.db?" + strings.TrimPrefix(sqlitePragmas, "_pragma=busy_timeout(10000)&") + "&_pragma=busy_timeout(100)"},
	}
	for _, tt := range tests {
		got, err := sqliteDSN(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestSQLitePersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, url)
	require.NoError(t, err)
	run, ok, err := s.ClaimRun(ctx, "daily", t0, "a", t0, time.Minute, false)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.FinishRun(ctx, run.ID, "a", t0.Add(time.Second), RunOK, "", []byte(`{"x":1}`)))
	n, err := s.Enqueue(ctx, []Delivery{{Key: "k1", Job: "daily", Kind: "digest", Channel: "email", Target: "a@b", CreatedAt: t0}})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoError(t, s.PutAlert(ctx, AlertState{Job: "daily", Key: "x above 1", Firing: true, Since: t0}))
	require.NoError(t, s.Close())

	s = openT(t, url)
	last, err := s.LastRun(ctx, "daily")
	require.NoError(t, err)
	assert.Equal(t, RunOK, last.Status)
	assert.Equal(t, `{"x":1}`, string(last.Digest))
	n, err = s.Enqueue(ctx, []Delivery{{Key: "k1", Job: "daily", CreatedAt: t0}})
	require.NoError(t, err)
	assert.Equal(t, 0, n, "a firing re-run after a restart must enqueue nothing new")
	a, err := s.Alert(ctx, "daily", "x above 1")
	require.NoError(t, err)
	assert.True(t, a.Firing)
	assert.True(t, a.Since.Equal(t0))
}

// FuzzOpenURL: any store URL either opens (without connecting) or fails
// with a store error that does not quote its password; never a panic.
func FuzzOpenURL(f *testing.F) {
	for _, seed := range []string{
		"sqlite:./state.db", "sqlite:///tmp/x.db?cache=shared", "sqlite::memory:", "sqlite:",
		"postgres://u:secretpw@h:5432/db?sslmode=disable", "postgresql://u:secretpw@h:notaport/db",
		"postgres://u:secretpw@[::1/db", "postgres://u:secretpw@h/db?search_path=a&pool_max_conns=x",
		"mysql://u:secretpw@h/db", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, url string) {
		s, err := open(url)
		if err == nil {
			s.Close()
			return
		}
		if !strings.HasPrefix(err.Error(), "store: ") {
			t.Fatalf("error without package prefix: %v", err)
		}
		if pw := urlPassword(url); len(pw) >= 4 && strings.Contains(err.Error(), pw) {
			t.Fatalf("password leaked: %v", err)
		}
	})
}
