package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrStoreChanged is wrapped by Check's error when the store this process
// opened is no longer the one at its URL: its file was deleted or replaced,
// or the database was reset. The process keeps writing to the store it
// opened, which the next start will not see.
var ErrStoreChanged = errors.New("store: the store was deleted or replaced")

// ChangedError says how the store changed; it wraps ErrStoreChanged.
type ChangedError struct {
	// Reason is fit for a health answer: what changed, never how the store
	// is reached.
	Reason string
	Err    error // the underlying failure, if any
}

func (e *ChangedError) Error() string {
	if e.Err == nil {
		return "store: " + e.Reason
	}
	return "store: " + e.Reason + ": " + e.Err.Error()
}

// Unwrap returns ErrStoreChanged and the underlying failure.
func (e *ChangedError) Unwrap() []error { return []error{ErrStoreChanged, e.Err} }

// newWindow is how recently serve must have first run on a store, by the
// database's clock, for the store to count as new (see StartServing): wide
// enough for replicas that start together on an empty database to agree.
const newWindow = 5 * time.Minute

// identity is what Open learns of the store it opened, for Check.
type identity struct {
	id string
	// file is the SQLite file as opened (device and inode), and path where
	// it was; zero for PostgreSQL.
	file os.FileInfo
	path string
}

// dbNow is the database's clock in Unix milliseconds.
func (s *Store) dbNow() string {
	if s.dialect == DialectPostgres {
		return `CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)`
	}
	return `CAST(strftime('%s','now') AS INTEGER) * 1000`
}

// readIdentity records the store's identity row and, for SQLite, its file.
func (s *Store) readIdentity(ctx context.Context, sqlitePath string) error {
	if err := s.ro.QueryRowContext(ctx, `SELECT id FROM store_identity`).Scan(&s.ident.id); err != nil {
		return fmt.Errorf("store: read identity: %w", err)
	}
	if sqlitePath != "" {
		abs, err := filepath.Abs(sqlitePath)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		s.ident.path, s.ident.file = abs, fi
	}
	return nil
}

// StartServing records that serve runs on this store (the first time it
// does: now, by the database's clock) and reports whether the store is new
// to serve: serve first ran on it less than five minutes ago, at this start
// or with replicas starting together. A new store has no history of the
// schedule, so a firing it has no row for may well have run already (on a
// store that was lost); the scheduler catches nothing up on it. How old the
// store itself is does not tell: `jobs`, `alerts` or `deliveries list`,
// run to look after the old store was lost, create the new one long before
// serve is restarted on it.
func (s *Store) StartServing(ctx context.Context) (isNew bool, err error) {
	if _, err := s.rw.ExecContext(ctx, `UPDATE store_identity SET served_at = `+s.dbNow()+` WHERE served_at IS NULL`); err != nil {
		return false, fmt.Errorf("store: mark served: %w", err)
	}
	var served, now int64
	if err := s.ro.QueryRowContext(ctx, `SELECT served_at, `+s.dbNow()+` FROM store_identity`).Scan(&served, &now); err != nil {
		return false, fmt.Errorf("store: read served: %w", err)
	}
	return time.Duration(now-served)*time.Millisecond < newWindow, nil
}

// Check is the store's health: it answers (Ping), and it is still the one
// this process opened. For SQLite the file at the path must be the file
// opened (not deleted, not replaced by another); for both backends the
// identity row must be the one read at Open. A changed store is a
// *ChangedError (errors.Is ErrStoreChanged).
func (s *Store) Check(ctx context.Context) error {
	if s.ident.path != "" {
		fi, err := os.Stat(s.ident.path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return &ChangedError{Reason: "the store file was deleted"}
		case err != nil:
			return &ChangedError{Reason: "the store file cannot be read", Err: err}
		case !os.SameFile(fi, s.ident.file):
			return &ChangedError{Reason: "the store file was replaced by another file"}
		}
	}
	if err := s.Ping(ctx); err != nil {
		return err
	}
	var id string
	err := s.ro.QueryRowContext(ctx, `SELECT id FROM store_identity`).Scan(&id)
	switch {
	case err != nil && ctx.Err() == nil:
		// It answered the ping: a missing row or table is a reset store.
		return &ChangedError{Reason: "the store's identity is gone (the database was reset or replaced)", Err: err}
	case err != nil:
		return fmt.Errorf("store: check: %w", err)
	case id != s.ident.id:
		return &ChangedError{Reason: "the store was replaced by another one (its identity changed)"}
	}
	return nil
}
