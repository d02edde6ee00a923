package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Unsubscription is one recipient who asked for no more digests of one job.
type Unsubscription struct {
	Job       string
	Address   string // lower-cased
	CreatedAt time.Time
}

func normalizeAddress(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// Unsubscribe records that address wants no more digests of job, and
// reports whether that is new. Asking twice keeps the first instant.
func (s *Store) Unsubscribe(ctx context.Context, job, address string, now time.Time) (bool, error) {
	address = normalizeAddress(address)
	if job == "" || address == "" {
		return false, fmt.Errorf("store: unsubscribe: job and address are required")
	}
	res, err := s.rw.ExecContext(ctx, `INSERT INTO unsubscribes (job, address, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (job, address) DO NOTHING`, job, address, ms(now))
	if err != nil {
		return false, fmt.Errorf("store: unsubscribe %s from %s: %w", address, job, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: unsubscribe %s from %s: %w", address, job, err)
	}
	return n > 0, nil
}

// Resubscribe forgets that address unsubscribed from job, so its digests
// reach it again, and reports whether there was such an unsubscription.
func (s *Store) Resubscribe(ctx context.Context, job, address string) (bool, error) {
	res, err := s.rw.ExecContext(ctx, `DELETE FROM unsubscribes WHERE job = $1 AND address = $2`, job, normalizeAddress(address))
	if err != nil {
		return false, fmt.Errorf("store: resubscribe %s to %s: %w", address, job, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: resubscribe %s to %s: %w", address, job, err)
	}
	return n > 0, nil
}

// Unsubscribed returns the addresses (lower-cased) that unsubscribed from
// job, as a set.
func (s *Store) Unsubscribed(ctx context.Context, job string) (map[string]bool, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT address FROM unsubscribes WHERE job = $1`, job)
	if err != nil {
		return nil, fmt.Errorf("store: unsubscribes of %s: %w", job, err)
	}
	list, err := collect(rows, func(sc scanner) (string, error) {
		var a string
		return a, sc.Scan(&a)
	})
	if err != nil {
		return nil, fmt.Errorf("store: unsubscribes of %s: %w", job, err)
	}
	out := make(map[string]bool, len(list))
	for _, a := range list {
		out[a] = true
	}
	return out, nil
}

// IsUnsubscribed reports whether address unsubscribed from job.
func (s *Store) IsUnsubscribed(ctx context.Context, job, address string) (bool, error) {
	var n int
	err := s.ro.QueryRowContext(ctx, `SELECT COUNT(*) FROM unsubscribes WHERE job = $1 AND address = $2`,
		job, normalizeAddress(address)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: unsubscribe check for %s: %w", job, err)
	}
	return n > 0, nil
}

// Unsubscribes lists every unsubscription, by job then address.
func (s *Store) Unsubscribes(ctx context.Context) ([]Unsubscription, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT job, address, created_at FROM unsubscribes ORDER BY job, address`)
	if err != nil {
		return nil, fmt.Errorf("store: list unsubscribes: %w", err)
	}
	out, err := collect(rows, func(sc scanner) (Unsubscription, error) {
		var u Unsubscription
		var at int64
		err := sc.Scan(&u.Job, &u.Address, &at)
		u.CreatedAt = time.UnixMilli(at).UTC()
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list unsubscribes: %w", err)
	}
	return out, nil
}
