package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LifecycleNotice is a Legacy or Deprecation header the LiveChat API put on
// its answers: the version read ends its stage on Value (normally a date).
type LifecycleNotice struct {
	API    string // "2" or "3.6"
	Header string // "Legacy" or "Deprecation"
	Value  string
	// FirstSeen and LastSeen are when a process first and last recorded
	// it (each process records a notice once).
	FirstSeen, LastSeen time.Time
}

// maxLifecycleValues bounds the values kept per API version and header: an
// upstream sending a new value on every answer must not grow the table.
const maxLifecycleValues = 10

// RecordLifecycle keeps notice n seen at now: new, or its last sighting
// moved on. Only the maxLifecycleValues latest values of its API and header
// are kept.
func (s *Store) RecordLifecycle(ctx context.Context, n LifecycleNotice, now time.Time) error {
	if n.API == "" || n.Header == "" {
		return fmt.Errorf("store: record lifecycle: api and header are required")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_lifecycle (api, header, value, first_seen, last_seen)
			VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (api, header, value) DO UPDATE SET last_seen = excluded.last_seen
			WHERE api_lifecycle.last_seen < excluded.last_seen`, n.API, n.Header, n.Value, ms(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM api_lifecycle WHERE api = $1 AND header = $2 AND value NOT IN (
			SELECT value FROM api_lifecycle WHERE api = $1 AND header = $2 ORDER BY last_seen DESC, value LIMIT $3)`,
			n.API, n.Header, maxLifecycleValues)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record lifecycle %s %s: %w", n.API, n.Header, err)
	}
	return nil
}

// LifecycleNotices returns every notice kept, by API version, header and
// first sighting.
func (s *Store) LifecycleNotices(ctx context.Context) ([]LifecycleNotice, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT api, header, value, first_seen, last_seen FROM api_lifecycle
		ORDER BY api, header, first_seen, value`)
	if err != nil {
		return nil, fmt.Errorf("store: lifecycle notices: %w", err)
	}
	out, err := collect(rows, func(r scanner) (LifecycleNotice, error) {
		var n LifecycleNotice
		var first, last sql.NullInt64
		err := r.Scan(&n.API, &n.Header, &n.Value, &first, &last)
		n.FirstSeen, n.LastSeen = fromMS(first), fromMS(last)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: lifecycle notices: %w", err)
	}
	return out, nil
}
