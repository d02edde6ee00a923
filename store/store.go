package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialects reported by Store.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// sqlitePragmas apply to every pooled connection because they ride in the
// DSN: a one-off PRAGMA would reach only one connection. _txlock=immediate
// takes the write lock at BEGIN so busy_timeout applies, instead of a
// read-then-write transaction failing at once with SQLITE_BUSY.
//
// A URL that sets its own busy_timeout (`?_pragma=busy_timeout(500)`) gets
// it instead of the default: the driver runs busy_timeout pragmas first in
// no set order, so two of them would race.
const sqlitePragmas = defaultBusyTimeout + "&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"

const defaultBusyTimeout = "_pragma=busy_timeout(10000)"

// Store is the durable state of livechat-digest: job runs, the delivery
// queue and alert states, in SQLite or PostgreSQL.
//
// Both backends go through database/sql (pgx's stdlib adapter for
// PostgreSQL) so that one set of statements with $n placeholders serves
// both; the few dialect differences are spelled out where they occur.
type Store struct {
	dialect string
	// rw runs every write. For SQLite it holds one connection, so writers in
	// this process queue in Go rather than spin on SQLITE_BUSY; busy_timeout
	// still covers other processes on the same file. For PostgreSQL rw and
	// ro are the same pool.
	rw *sql.DB
	ro *sql.DB
	// ident is what Open learnt of the store it opened (see Check).
	ident identity
}

// Open connects to the store named by rawURL, checks that it answers and
// brings its schema up to date.
//
// Accepted forms: "sqlite:PATH" (also "sqlite://PATH"; extra SQLite URI
// parameters may follow a '?') and "postgres://..." or "postgresql://...",
// where pgx honours parameters such as sslmode and search_path, and
// pool_max_conns bounds the process's connections (default 10, pool.go). An
// in-memory SQLite database is refused: every pooled connection would see
// its own empty database.
//
// Errors never contain the URL, which may carry a password.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	s, err := open(rawURL)
	if err != nil {
		return nil, err
	}
	secret := urlPassword(rawURL)
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, redact(err, secret)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, redact(err, secret)
	}
	path, _ := sqlitePath(rawURL)
	if err := s.readIdentity(ctx, path); err != nil {
		s.Close()
		return nil, redact(err, secret)
	}
	return s, nil
}

func open(rawURL string) (*Store, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		dsn, err := sqliteDSN(strings.TrimPrefix(rawURL, "sqlite:"))
		if err != nil {
			return nil, err
		}
		rw, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		rw.SetMaxOpenConns(1)
		rw.SetMaxIdleConns(1)
		rw.SetConnMaxLifetime(0)
		rw.SetConnMaxIdleTime(0)
		ro, err := sql.Open("sqlite", dsn)
		if err != nil {
			rw.Close()
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		ro.SetMaxOpenConns(4)
		ro.SetMaxIdleConns(4)
		return &Store{dialect: DialectSQLite, rw: rw, ro: ro}, nil
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		cfg, err := pgx.ParseConfig(rawURL)
		if err != nil {
			// Deliberately not wrapped: pgconn.ParseConfigError carries the
			// unredacted URL, and its inner error may quote it too.
			return nil, errors.New("store: open postgres: the url does not parse (check host, port and parameters)")
		}
		size, err := pgPoolSize(cfg.RuntimeParams)
		if err != nil {
			return nil, err
		}
		db := stdlib.OpenDB(*cfg)
		sizePool(db, size)
		return &Store{dialect: DialectPostgres, rw: db, ro: db}, nil
	default:
		// Name only the scheme: the rest may hold a password.
		scheme, _, found := strings.Cut(rawURL, ":")
		if !found || len(scheme) > 20 || strings.ContainsAny(scheme, "/@") {
			scheme = "?"
		}
		return nil, fmt.Errorf("store: unsupported url scheme %q (want sqlite: or postgres://)", scheme)
	}
}

// sqliteDSN turns the part after "sqlite:" into a modernc file: DSN.
func sqliteDSN(rest string) (string, error) {
	rest = strings.TrimPrefix(rest, "//")
	path, query, _ := strings.Cut(rest, "?")
	switch {
	case path == "":
		return "", errors.New("store: sqlite url has no file path (want sqlite:./state.db)")
	case path == ":memory:" || strings.Contains(query, "mode=memory"):
		return "", errors.New("store: in-memory sqlite is not supported: each pooled connection would get its own empty database; use a file")
	}
	// The file: form is what makes SQLite honour its own URI parameters;
	// '%' and '#' would be read as escapes or a fragment in a file name.
	path = strings.NewReplacer("%", "%25", "#", "%23").Replace(path)
	pragmas := sqlitePragmas
	if strings.Contains(strings.ToLower(query), "busy_timeout") {
		pragmas = strings.TrimPrefix(pragmas, defaultBusyTimeout+"&")
	}
	dsn := "file:" + path + "?" + pragmas
	if query != "" {
		dsn += "&" + query
	}
	return dsn, nil
}

// Close releases the connections.
func (s *Store) Close() error {
	err := s.rw.Close()
	if s.ro != s.rw {
		err = errors.Join(err, s.ro.Close())
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping checks that the database answers, for health checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rw.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.dialect, err)
	}
	if s.ro != s.rw {
		if err := s.ro.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping %s: %w", s.dialect, err)
		}
	}
	return nil
}

// Dialect reports the backend: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// inTx runs fn in a write transaction, committing if it returns nil. On
// SQLite the transaction is BEGIN IMMEDIATE (from the DSN).
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error from fn is the one that matters
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Times are stored as UTC Unix milliseconds (BIGINT in both dialects), so
// they compare as numbers and round-trip the same on SQLite and PostgreSQL;
// a zero time.Time is stored as NULL.
func msOrNull(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect reads every row of rows with scan, closing rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// urlPassword returns the password of a URL, if any, so that errors from
// drivers can be scrubbed of it.
func urlPassword(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return pw
}

// redactedError keeps the wrapped error for errors.Is/As but hides secret
// in its text, in case a driver ever quotes the connection string.
type redactedError struct {
	err    error
	secret string
}

func (e *redactedError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.secret, "xxxxx")
}

func (e *redactedError) Unwrap() error { return e.err }

func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &redactedError{err: err, secret: secret}
}
