package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

const runColumns = `id, job, firing_at, owner, lease_until, status, error_text, caught_up, attempt, started_at, finished_at, digest`

func scanRun(sc scanner) (Run, error) {
	var (
		r                     Run
		firingAt, leaseUntil  int64
		startedAt, finishedAt sql.NullInt64
	)
	err := sc.Scan(&r.ID, &r.Job, &firingAt, &r.Owner, &leaseUntil, &r.Status, &r.Error,
		&r.CaughtUp, &r.Attempt, &startedAt, &finishedAt, &r.Digest)
	if err != nil {
		return Run{}, err
	}
	r.FiringAt = time.UnixMilli(firingAt).UTC()
	r.LeaseUntil = time.UnixMilli(leaseUntil).UTC()
	r.StartedAt = fromMS(startedAt)
	r.FinishedAt = fromMS(finishedAt)
	return r, nil
}

// ClaimRun makes owner the one executor of the firing (job, firingAt).
//
// It returns (run, true) when owner got the firing: either nobody had
// claimed it, or the previous owner's lease ran out while the run was still
// "running" (that owner died), in which case owner takes over with the next
// attempt number. An owner that claims a firing it already holds gets it
// again (the scheduler's Locker claims before the Runner does). A failed run
// is taken only by RetryRun. Otherwise it returns the existing run and false. The
// unique (job, firing_at) row makes this hold across replicas and restarts:
// a finished firing is never run again. caughtUp is recorded when the row
// is created; a takeover keeps it.
func (s *Store) ClaimRun(ctx context.Context, job string, firingAt time.Time, owner string, now time.Time, lease time.Duration, caughtUp bool) (Run, bool, error) {
	return s.claimRun(ctx, job, firingAt, owner, now, lease, caughtUp, false)
}

// RetryRun claims the firing as ClaimRun does and also takes it when its
// last run failed before sending anything. The job runner claims with it,
// so an explicit re-run (`run`, a catch-up at start-up) tries a failed
// firing again; a scheduled firing is first locked with ClaimRun, which
// leaves a failed firing failed, so other replicas do not each retry it.
func (s *Store) RetryRun(ctx context.Context, job string, firingAt time.Time, owner string, now time.Time, lease time.Duration, caughtUp bool) (Run, bool, error) {
	return s.claimRun(ctx, job, firingAt, owner, now, lease, caughtUp, true)
}

func (s *Store) claimRun(ctx context.Context, job string, firingAt time.Time, owner string, now time.Time, lease time.Duration, caughtUp, retryFailed bool) (Run, bool, error) {
	if job == "" || owner == "" {
		return Run{}, false, errors.New("store: claim run: job and owner are required")
	}
	// One statement, so the insert-or-takeover decision is atomic on both
	// backends: PostgreSQL locks the conflicting row and re-checks the
	// WHERE; SQLite has one writer. A row comes back only if we own it now.
	row := s.rw.QueryRowContext(ctx, `INSERT INTO runs (job, firing_at, owner, lease_until, status, caught_up, attempt, started_at)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7)
		ON CONFLICT (job, firing_at) DO UPDATE SET
			owner = excluded.owner,
			lease_until = excluded.lease_until,
			attempt = CASE WHEN runs.owner = excluded.owner THEN runs.attempt ELSE runs.attempt + 1 END,
			started_at = excluded.started_at,
			status = excluded.status,
			error_text = '',
			finished_at = NULL
		WHERE (runs.status = $5 AND (runs.lease_until < $7 OR runs.owner = $3)) OR (runs.status = $8 AND $9)
		RETURNING `+runColumns,
		job, ms(firingAt), owner, ms(now.Add(lease)), RunRunning, caughtUp, ms(now), RunFailed, retryFailed)
	r, err := scanRun(row)
	switch {
	case err == nil:
		return r, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return Run{}, false, fmt.Errorf("store: claim run %s at %s: %w", job, firingAt.UTC().Format(time.RFC3339), err)
	}
	r, err = scanRun(s.ro.QueryRowContext(ctx,
		`SELECT `+runColumns+` FROM runs WHERE job = $1 AND firing_at = $2`, job, ms(firingAt)))
	if err != nil {
		return Run{}, false, fmt.Errorf("store: claim run %s at %s: read holder: %w", job, firingAt.UTC().Format(time.RFC3339), err)
	}
	return r, false, nil
}

// FailedRuns lists the failed runs of firings at or after since that no
// later firing of the same job has superseded (run ok, partly or held back
// by its send rule, or running now), oldest first: the reconciler tries
// the newest of each job again within the catch-up grace (a LiveChat or
// store outage at the firing instant would otherwise lose the digest).
func (s *Store) FailedRuns(ctx context.Context, since time.Time) ([]Run, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT `+runColumns+` FROM runs
		WHERE status = $1 AND firing_at >= $2 AND NOT EXISTS (
			SELECT 1 FROM runs later WHERE later.job = runs.job AND later.firing_at > runs.firing_at
				AND later.status IN ($3, $4, $5, $6))
		ORDER BY firing_at, job`, RunFailed, ms(since), RunOK, RunPartial, RunSkipped, RunRunning)
	if err != nil {
		return nil, fmt.Errorf("store: failed runs: %w", err)
	}
	out, err := collect(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("store: failed runs: %w", err)
	}
	return out, nil
}

// StaleRuns lists runs still marked running whose lease expired before now:
// their owner died mid-run, and another replica should take them over.
func (s *Store) StaleRuns(ctx context.Context, now time.Time) ([]Run, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE status = $1 AND lease_until < $2 ORDER BY firing_at`, RunRunning, ms(now))
	if err != nil {
		return nil, fmt.Errorf("store: stale runs: %w", err)
	}
	out, err := collect(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("store: stale runs: %w", err)
	}
	return out, nil
}

// ExtendRun moves the lease of a running run to until, as a heartbeat. It
// fails with ErrLeaseLost when owner no longer holds the run (another
// replica took it over, or it was finished), and ErrNotFound for an
// unknown id.
func (s *Store) ExtendRun(ctx context.Context, id int64, owner string, until time.Time) error {
	res, err := s.rw.ExecContext(ctx,
		`UPDATE runs SET lease_until = $1 WHERE id = $2 AND owner = $3 AND status = $4`,
		ms(until), id, owner, RunRunning)
	if err != nil {
		return fmt.Errorf("store: extend run %d: %w", id, err)
	}
	return s.checkRunOwned(ctx, res, "extend", id, owner)
}

// FinishRun records the outcome of a run that owner holds: status is
// RunOK, RunPartial, RunFailed or RunSkipped, errMsg says why (empty for ok), and
// digest is the digest JSON when one was built.
func (s *Store) FinishRun(ctx context.Context, id int64, owner string, now time.Time, status, errMsg string, digest []byte) error {
	switch status {
	case RunOK, RunPartial, RunFailed, RunSkipped:
	default:
		return fmt.Errorf("store: finish run %d: invalid status %q", id, status)
	}
	res, err := s.rw.ExecContext(ctx,
		`UPDATE runs SET status = $1, error_text = $2, digest = $3, finished_at = $4
		WHERE id = $5 AND owner = $6 AND status = $7`,
		status, errMsg, digest, ms(now), id, owner, RunRunning)
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", id, err)
	}
	return s.checkRunOwned(ctx, res, "finish", id, owner)
}

func (s *Store) checkRunOwned(ctx context.Context, res sql.Result, op string, id int64, owner string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s run %d: %w", op, id, err)
	}
	if n == 1 {
		return nil
	}
	var holder, status string
	err = s.ro.QueryRowContext(ctx, `SELECT owner, status FROM runs WHERE id = $1`, id).Scan(&holder, &status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: %s run %d: %w", op, id, ErrNotFound)
	case err != nil:
		return fmt.Errorf("store: %s run %d: %w", op, id, err)
	case holder != owner:
		return fmt.Errorf("store: %s run %d: owner %q, not %q: %w", op, id, holder, owner, ErrLeaseLost)
	default:
		return fmt.Errorf("store: %s run %d: already %s: %w", op, id, status, ErrLeaseLost)
	}
}

// LastRun returns the run of job with the latest firing, or ErrNotFound.
func (s *Store) LastRun(ctx context.Context, job string) (Run, error) {
	r, err := scanRun(s.ro.QueryRowContext(ctx,
		`SELECT `+runColumns+` FROM runs WHERE job = $1 ORDER BY firing_at DESC, id DESC LIMIT 1`, job))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Run{}, fmt.Errorf("store: last run of %s: %w", job, ErrNotFound)
	case err != nil:
		return Run{}, fmt.Errorf("store: last run of %s: %w", job, err)
	}
	return r, nil
}

// LastRuns returns the run with the latest firing of each of jobs that has
// one, as LastRun does, in one query and without the digests: the operator
// page shows a thousand jobs' last runs, and a query each, each carrying
// the digest JSON, was a thousand round trips and megabytes per page. Each
// job's row is found through the (job, firing_at) index, so the cost grows
// with the jobs asked for, not with the runs kept.
func (s *Store) LastRuns(ctx context.Context, jobs []string) (map[string]Run, error) {
	names, err := json.Marshal(jobs)
	if err != nil {
		return nil, fmt.Errorf("store: last runs: %w", err)
	}
	list := `json_each($1) j` // SQLite's JSON1: one row per element, in column value
	if s.dialect == DialectPostgres {
		list = `json_array_elements_text($1::json) AS j(value)`
	}
	// runColumns, with no digest.
	rows, err := s.ro.QueryContext(ctx, `SELECT r.id, r.job, r.firing_at, r.owner, r.lease_until, r.status,
		r.error_text, r.caught_up, r.attempt, r.started_at, r.finished_at, NULL
		FROM `+list+` JOIN runs r ON r.job = j.value
		AND r.firing_at = (SELECT MAX(r2.firing_at) FROM runs r2 WHERE r2.job = j.value)`, string(names))
	if err != nil {
		return nil, fmt.Errorf("store: last runs: %w", err)
	}
	runs, err := collect(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("store: last runs: %w", err)
	}
	out := make(map[string]Run, len(runs))
	for _, r := range runs {
		out[r.Job] = r
	}
	return out, nil
}

// Runs lists the runs of job, latest firing first: all jobs when job is
// empty, every run when limit <= 0.
func (s *Store) Runs(ctx context.Context, job string, limit int) ([]Run, error) {
	q, args := `SELECT `+runColumns+` FROM runs`, []any{}
	if job != "" {
		q += ` WHERE job = $1`
		args = append(args, job)
	}
	q += ` ORDER BY firing_at DESC, id DESC`
	if limit > 0 {
		args = append(args, limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: runs of %q: %w", job, err)
	}
	out, err := collect(rows, scanRun)
	if err != nil {
		return nil, fmt.Errorf("store: runs of %q: %w", job, err)
	}
	return out, nil
}

// RunFirings lists the firings of job in [from, to] that have a run row,
// in any status, earliest first. The scheduler's reconciler compares them
// with the schedule to find firings no replica ran.
func (s *Store) RunFirings(ctx context.Context, job string, from, to time.Time) ([]time.Time, error) {
	rows, err := s.ro.QueryContext(ctx,
		`SELECT firing_at FROM runs WHERE job = $1 AND firing_at >= $2 AND firing_at <= $3 ORDER BY firing_at`,
		job, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("store: firings of %s: %w", job, err)
	}
	out, err := collect(rows, func(sc scanner) (time.Time, error) {
		var at int64
		err := sc.Scan(&at)
		return time.UnixMilli(at).UTC(), err
	})
	if err != nil {
		return nil, fmt.Errorf("store: firings of %s: %w", job, err)
	}
	return out, nil
}
