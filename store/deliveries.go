package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// DeliveryFilter selects deliveries for listing; zero fields match all.
type DeliveryFilter struct {
	Job    string
	Status string
	// FiringAt, when set, keeps only the deliveries of that firing.
	FiringAt time.Time
	Limit    int // <= 0: no limit
}

const deliveryColumns = `id, dedup_key, job, firing_at, kind, channel, target, payload, status, attempts,
	last_error, next_attempt_at, claimed_by, claimed_until, created_at, sent_at, retry_from`

func scanDelivery(sc scanner) (Delivery, error) {
	var (
		d                                 Delivery
		nextAttemptAt, createdAt          int64
		firingAt, claimedUntil, sentAtRaw sql.NullInt64
		retryFrom                         sql.NullInt64
	)
	err := sc.Scan(&d.ID, &d.Key, &d.Job, &firingAt, &d.Kind, &d.Channel, &d.Target, &d.Payload,
		&d.Status, &d.Attempts, &d.LastError, &nextAttemptAt, &d.ClaimedBy, &claimedUntil, &createdAt, &sentAtRaw, &retryFrom)
	if err != nil {
		return Delivery{}, err
	}
	d.FiringAt = fromMS(firingAt)
	d.NextAttemptAt = time.UnixMilli(nextAttemptAt).UTC()
	d.ClaimedUntil = fromMS(claimedUntil)
	d.CreatedAt = time.UnixMilli(createdAt).UTC()
	d.SentAt = fromMS(sentAtRaw)
	d.RetryFrom = d.CreatedAt
	if retryFrom.Valid {
		d.RetryFrom = fromMS(retryFrom)
	}
	return d, nil
}

// Enqueue stores the deliveries as queued, in one transaction, and reports
// how many were new. A delivery whose Key is already stored, in any status,
// is skipped: that is what makes a re-run of a firing send nothing twice.
//
// Key, Job and CreatedAt are required (the store reads no clock).
// NextAttemptAt defaults to CreatedAt; ID, Status, Attempts, the claim
// fields and SentAt are ignored.
func (s *Store) Enqueue(ctx context.Context, ds []Delivery) (int, error) {
	return s.Record(ctx, ds, nil)
}

// AlertChange is a new state for one alert, with the Updated value of the
// state it was computed from (zero when there was none).
type AlertChange struct {
	State AlertState
	Read  time.Time
}

// Record enqueues ds (as Enqueue does) and stores the alert states in the
// same transaction, so a run's messages and the alert transitions they
// announce are saved together or not at all. Each state is stored only if
// the stored one is still the one it was computed from; otherwise nothing is
// saved and the error wraps ErrConflict: another run of the job stepped the
// alert meanwhile, and this run must read the states again.
//
// notices are saved in the same transaction, each only over the version it
// was read at (see NoticeChange); a changed one fails the call with
// ErrConflict as a changed alert state does.
func (s *Store) Record(ctx context.Context, ds []Delivery, alerts []AlertChange, notices ...NoticeChange) (int, error) {
	for _, d := range ds {
		if d.Key == "" || d.Job == "" || d.CreatedAt.IsZero() {
			return 0, fmt.Errorf("store: enqueue %q: key, job and created_at are required", d.Key)
		}
	}
	for _, c := range alerts {
		if c.State.Job == "" || c.State.Key == "" {
			return 0, fmt.Errorf("store: put alert %q %q: job and key are required", c.State.Job, c.State.Key)
		}
	}
	for _, c := range notices {
		if n := c.Notice; n.Job == "" || n.Key == "" || n.Target == "" {
			return 0, fmt.Errorf("store: put notice %q %q %q: job, key and target are required", n.Job, n.Key, n.Target)
		}
	}
	if len(ds) == 0 && len(alerts) == 0 && len(notices) == 0 {
		return 0, nil
	}
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if len(ds) > 0 {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO deliveries
			(dedup_key, job, firing_at, kind, channel, target, payload, status, attempts, last_error, next_attempt_at, claimed_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, '', $9, '', $10)
			ON CONFLICT (dedup_key) DO NOTHING`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, d := range ds {
				next := d.NextAttemptAt
				if next.IsZero() {
					next = d.CreatedAt
				}
				res, err := stmt.ExecContext(ctx, d.Key, d.Job, msOrNull(d.FiringAt), d.Kind, d.Channel, d.Target,
					d.Payload, DeliveryQueued, ms(next), ms(d.CreatedAt))
				if err != nil {
					return fmt.Errorf("%q: %w", d.Key, err)
				}
				n, err := res.RowsAffected()
				if err != nil {
					return fmt.Errorf("%q: %w", d.Key, err)
				}
				added += int(n)
			}
		}
		for _, c := range alerts {
			if err := swapAlert(ctx, tx, c); err != nil {
				return fmt.Errorf("alert %s %q: %w", c.State.Job, c.State.Key, err)
			}
		}
		for _, c := range notices {
			if err := swapNotice(ctx, tx, c); err != nil {
				return fmt.Errorf("notice %s %q %s: %w", c.Notice.Job, c.Notice.Key, c.Notice.Target, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: enqueue: %w", err)
	}
	return added, nil
}

// Claim hands owner up to limit due deliveries, oldest due first, and
// marks them sending until now+lease. Due means queued with its next
// attempt at or before now, or sending with a lease that ran out before now
// (its worker died). While a lease is valid no other owner gets the
// delivery.
//
// Deliveries to one destination (channel and target) keep the order they
// were queued in: a delivery is held back while an earlier one to the same
// destination waits for its retry or is being sent, so a "resolved" alert
// never overtakes its "firing" in backoff. Earlier ones that are due come
// in the same batch (the batch is in queue order), and the worker sends a
// destination's deliveries in that order. One that failed for good holds
// nothing back.
//
// PostgreSQL picks the rows with FOR UPDATE SKIP LOCKED, so concurrent
// claimers take different rows instead of waiting on each other; SQLite
// runs the statement under its single write lock.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	if owner == "" || limit <= 0 {
		return nil, fmt.Errorf("store: claim: need an owner and a positive limit (got %q, %d)", owner, limit)
	}
	lock := ""
	if s.dialect == DialectPostgres {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	var out []Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET status = $1, claimed_by = $2, claimed_until = $3
			WHERE id IN (
				SELECT id FROM deliveries d
				WHERE ((d.status = $4 AND d.next_attempt_at <= $5) OR (d.status = $1 AND d.claimed_until < $5))
				AND NOT EXISTS (SELECT 1 FROM deliveries e
					WHERE e.channel = d.channel AND e.target = d.target AND e.id < d.id
					AND ((e.status = $4 AND e.next_attempt_at > $5) OR (e.status = $1 AND e.claimed_until >= $5)))
				ORDER BY d.id
				LIMIT $6`+lock+`)
			RETURNING `+deliveryColumns,
			DeliverySending, owner, ms(now.Add(lease)), DeliveryQueued, ms(now), limit)
		if err != nil {
			return err
		}
		out, err = collect(rows, scanDelivery)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim for %s: %w", owner, err)
	}
	// RETURNING order is unspecified on both backends.
	slices.SortFunc(out, func(a, b Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// MarkSent records that the delivery went out, counting that attempt. It
// fails with ErrLeaseLost unless owner holds the delivery's claim.
// The alert notices it carried become announced (see MarkSentReceipt).
func (s *Store) MarkSent(ctx context.Context, id int64, owner string, now time.Time) error {
	return s.MarkSentReceipt(ctx, id, owner, now, "", "")
}

// MarkRetry puts a claimed delivery back in the queue for another attempt
// at next; attempts is the number of attempts made so far.
func (s *Store) MarkRetry(ctx context.Context, id int64, owner string, attempts int, next time.Time, errMsg string) error {
	res, err := s.rw.ExecContext(ctx, `UPDATE deliveries
		SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4, claimed_by = '', claimed_until = NULL
		WHERE id = $5 AND claimed_by = $6 AND status = $7`,
		DeliveryQueued, attempts, ms(next), errMsg, id, owner, DeliverySending)
	if err != nil {
		return fmt.Errorf("store: mark delivery %d for retry: %w", id, err)
	}
	return s.checkClaim(ctx, res, "retry", id, owner)
}

// MarkFailed gives up on a claimed delivery: its error is permanent or its
// retry window is over. RequeueFailed brings it back.
func (s *Store) MarkFailed(ctx context.Context, id int64, owner string, attempts int, errMsg string) error {
	res, err := s.rw.ExecContext(ctx, `UPDATE deliveries
		SET status = $1, attempts = $2, last_error = $3, claimed_by = '', claimed_until = NULL
		WHERE id = $4 AND claimed_by = $5 AND status = $6`,
		DeliveryFailed, attempts, errMsg, id, owner, DeliverySending)
	if err != nil {
		return fmt.Errorf("store: mark delivery %d failed: %w", id, err)
	}
	return s.checkClaim(ctx, res, "failed", id, owner)
}

func (s *Store) checkClaim(ctx context.Context, res sql.Result, op string, id int64, owner string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: mark delivery %d %s: %w", id, op, err)
	}
	if n == 1 {
		return nil
	}
	var holder, status string
	err = s.ro.QueryRowContext(ctx, `SELECT claimed_by, status FROM deliveries WHERE id = $1`, id).Scan(&holder, &status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: mark delivery %d %s: %w", id, op, ErrNotFound)
	case err != nil:
		return fmt.Errorf("store: mark delivery %d %s: %w", id, op, err)
	default:
		return fmt.Errorf("store: mark delivery %d %s: %s is %s and claimed by %q: %w", id, op, owner, status, holder, ErrLeaseLost)
	}
}

// RequeueFilter selects the failed deliveries RequeueFailed queues again.
// Zero fields match all: an empty filter re-queues every failed delivery.
type RequeueFilter struct {
	Job string
	// IDs, when not empty, keeps only these deliveries; IDs of deliveries
	// that are not failed are ignored.
	IDs []int64
	// Since, when set, keeps only the deliveries of firings at or after
	// it: a `serve` start re-queues the recent failures, not a digest that
	// failed weeks ago.
	Since time.Time
}

// requeueChunk bounds the ids bound in one statement (SQLite allows 32766
// parameters, PostgreSQL 65535).
const requeueChunk = 500

// RequeueFailed queues the failed deliveries that f selects again, due at
// now with a fresh retry window starting at now (RetryFrom), and reports
// how many it re-queued. Attempts and the last error are kept: they are the
// delivery's history. Only failed deliveries change, so a delivery that was
// sent meanwhile is never queued again; all changes are made in one
// transaction.
func (s *Store) RequeueFailed(ctx context.Context, f RequeueFilter, now time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		requeue := func(ids []int64) error {
			args := []any{DeliveryQueued, ms(now), DeliveryFailed}
			q := `UPDATE deliveries SET status = $1, next_attempt_at = $2, retry_from = $2,
				claimed_by = '', claimed_until = NULL WHERE status = $3`
			if f.Job != "" {
				args = append(args, f.Job)
				q += fmt.Sprintf(` AND job = $%d`, len(args))
			}
			if !f.Since.IsZero() {
				args = append(args, ms(f.Since))
				q += fmt.Sprintf(` AND firing_at >= $%d`, len(args))
			}
			if len(ids) > 0 {
				ph := make([]string, len(ids))
				for i, id := range ids {
					args = append(args, id)
					ph[i] = fmt.Sprintf("$%d", len(args))
				}
				q += ` AND id IN (` + strings.Join(ph, ", ") + `)`
			}
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			n += int(k)
			return err
		}
		if len(f.IDs) == 0 {
			return requeue(nil)
		}
		for ids := range slices.Chunk(f.IDs, requeueChunk) {
			if err := requeue(ids); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: requeue failed deliveries: %w", err)
	}
	return n, nil
}

// where is the WHERE clause (empty, or starting with a space) and its
// arguments for f's Job, Status and FiringAt.
func (f DeliveryFilter) where() (string, []any) {
	var (
		conds []string
		args  []any
	)
	if f.Job != "" {
		args = append(args, f.Job)
		conds = append(conds, fmt.Sprintf("job = $%d", len(args)))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		conds = append(conds, fmt.Sprintf("status = $%d", len(args)))
	}
	if !f.FiringAt.IsZero() {
		args = append(args, ms(f.FiringAt))
		conds = append(conds, fmt.Sprintf("firing_at = $%d", len(args)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, " AND "), args
}

// CountDeliveries counts the deliveries matching f (Limit aside) per
// status; every known status is present, zero when none match.
func (s *Store) CountDeliveries(ctx context.Context, f DeliveryFilter) (map[string]int, error) {
	where, args := f.where()
	counts, err := s.groupCounts(ctx, `SELECT status, COUNT(*) FROM deliveries`+where+` GROUP BY status`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: count deliveries: %w", err)
	}
	out := map[string]int{DeliveryQueued: 0, DeliverySending: 0, DeliverySent: 0, DeliveryFailed: 0, DeliveryDropped: 0}
	maps.Copy(out, counts)
	return out, nil
}

// groupCounts runs q, a query of (name, count) rows, and returns them as
// a map.
func (s *Store) groupCounts(ctx context.Context, q string, args ...any) (map[string]int, error) {
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	type count struct {
		name string
		n    int
	}
	counts, err := collect(rows, func(sc scanner) (count, error) {
		var c count
		return c, sc.Scan(&c.name, &c.n)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(counts))
	for _, c := range counts {
		out[c.name] = c.n
	}
	return out, nil
}

// UnsentByJob counts each job's deliveries not sent yet (queued, sending
// or failed), in one query; a job with none is absent.
func (s *Store) UnsentByJob(ctx context.Context) (map[string]int, error) {
	out, err := s.groupCounts(ctx, `SELECT job, COUNT(*) FROM deliveries
		WHERE status IN ($1, $2, $3) GROUP BY job`, DeliveryQueued, DeliverySending, DeliveryFailed)
	if err != nil {
		return nil, fmt.Errorf("store: unsent deliveries by job: %w", err)
	}
	return out, nil
}

// Deliveries lists deliveries matching f, newest first.
func (s *Store) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	where, args := f.where()
	q := `SELECT ` + deliveryColumns + ` FROM deliveries` + where + ` ORDER BY id DESC`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list deliveries: %w", err)
	}
	out, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("store: list deliveries: %w", err)
	}
	return out, nil
}

// QueueDepth counts deliveries per status. Every known status is present,
// zero when empty, so a gauge per status never goes stale.
func (s *Store) QueueDepth(ctx context.Context) (map[string]int, error) {
	out, err := s.CountDeliveries(ctx, DeliveryFilter{})
	if err != nil {
		return nil, fmt.Errorf("store: queue depth: %w", err)
	}
	return out, nil
}
