package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// ReserveRequest reserves one request from the rate limit called name,
// shared by every process that uses this store, at limit requests per
// second with the given burst, and returns how long the caller must wait
// before it sends the request (0: at once).
//
// The limit is a GCRA token bucket kept as one number per name, the
// theoretical arrival time (tat) of the next request, so a reservation is
// one atomic statement on either backend: tat becomes max(tat, now) plus
// one interval (1/limit), and the request may go when tat lies no more than
// burst intervals ahead. Reservations are granted whatever the wait, in
// the order the database serialises them, so waiting callers queue rather
// than poll. A caller that gives up after reserving wastes its slot, which
// only ever slows the cluster down, never speeds it up.
//
// Clocks of the processes should agree (as they must for firings anyway);
// a process whose clock is off only delays requests, its own or others',
// and never lets more than the limit through. tat is stored in Unix
// microseconds, so limits up to a million requests per second keep their
// precision.
func (s *Store) ReserveRequest(ctx context.Context, name string, limit float64, burst int, now time.Time) (time.Duration, error) {
	if name == "" || !(limit > 0) || math.IsInf(limit, 0) || burst < 1 {
		return 0, errors.New("store: reserve request: want a name, a positive limit and a burst of at least 1")
	}
	interval := int64(math.Ceil(1e6 / limit))
	at := now.UnixMicro()
	greatest := "MAX" // SQLite's two-argument MAX is scalar
	if s.dialect == DialectPostgres {
		greatest = "GREATEST"
	}
	var tat int64
	err := s.rw.QueryRowContext(ctx, `INSERT INTO rate_limits (name, tat) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET tat = `+greatest+`(rate_limits.tat, $3) + $4
		RETURNING tat`, name, at+interval, at, interval).Scan(&tat)
	if err != nil {
		return 0, fmt.Errorf("store: reserve request %s: %w", name, err)
	}
	wait := tat - at - int64(burst)*interval
	if wait <= 0 {
		return 0, nil
	}
	return time.Duration(wait) * time.Microsecond, nil
}
