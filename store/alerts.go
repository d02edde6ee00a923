package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const alertColumns = `job, alert_key, firing, since, streak, value, updated, prev_value, anomaly_baseline, anomaly_z, anomaly_usual`

func scanAlert(sc scanner) (AlertState, error) {
	var (
		a              AlertState
		since, updated sql.NullInt64
		value, prev    sql.NullFloat64
		baseline, z    sql.NullFloat64
		usual          string
	)
	if err := sc.Scan(&a.Job, &a.Key, &a.Firing, &since, &a.Streak, &value, &updated, &prev, &baseline, &z, &usual); err != nil {
		return AlertState{}, err
	}
	a.Since = fromMS(since)
	a.Updated = fromMS(updated)
	a.Value = fromNullFloat(value)
	a.Previous = fromNullFloat(prev)
	if baseline.Valid && z.Valid {
		a.Anomaly = &AnomalyNote{Baseline: baseline.Float64, Z: z.Float64, Usual: usual}
	}
	return a, nil
}

// anomalyArgs are the anomaly columns of a: NULL, NULL, ” without a score.
func anomalyArgs(a AlertState) (baseline, z sql.NullFloat64, usual string) {
	if n := a.Anomaly; n != nil {
		return sql.NullFloat64{Float64: n.Baseline, Valid: true}, sql.NullFloat64{Float64: n.Z, Valid: true}, n.Usual
	}
	return sql.NullFloat64{}, sql.NullFloat64{}, ""
}

// Alert returns the state of one threshold of job, or ErrNotFound when it
// was never evaluated.
func (s *Store) Alert(ctx context.Context, job, key string) (AlertState, error) {
	a, err := scanAlert(s.ro.QueryRowContext(ctx,
		`SELECT `+alertColumns+` FROM alert_states WHERE job = $1 AND alert_key = $2`, job, key))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return AlertState{}, fmt.Errorf("store: alert %s %q: %w", job, key, ErrNotFound)
	case err != nil:
		return AlertState{}, fmt.Errorf("store: alert %s %q: %w", job, key, err)
	}
	return a, nil
}

// PutAlert stores a, replacing the state stored for (a.Job, a.Key).
func (s *Store) PutAlert(ctx context.Context, a AlertState) error {
	if a.Job == "" || a.Key == "" {
		return fmt.Errorf("store: put alert %q %q: job and key are required", a.Job, a.Key)
	}
	if err := putAlert(ctx, s.rw, a); err != nil {
		return fmt.Errorf("store: put alert %s %q: %w", a.Job, a.Key, err)
	}
	return nil
}

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// swapAlert stores c.State if the stored state is still the one read: none
// when c.Read is zero, else the one updated at c.Read.
func swapAlert(ctx context.Context, db execer, c AlertChange) error {
	a := c.State
	value, prev := nullFloat(a.Value), nullFloat(a.Previous)
	baseline, z, usual := anomalyArgs(a)
	var res sql.Result
	var err error
	if c.Read.IsZero() {
		// A row stored with no Updated (PutAlert of a zero state) reads
		// as zero too, so it may be replaced as if absent.
		res, err = db.ExecContext(ctx, `INSERT INTO alert_states (`+alertColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (job, alert_key) DO UPDATE SET
				firing = excluded.firing, since = excluded.since, streak = excluded.streak,
				value = excluded.value, updated = excluded.updated, prev_value = excluded.prev_value,
				anomaly_baseline = excluded.anomaly_baseline, anomaly_z = excluded.anomaly_z, anomaly_usual = excluded.anomaly_usual
			WHERE alert_states.updated IS NULL`,
			a.Job, a.Key, a.Firing, msOrNull(a.Since), a.Streak, value, msOrNull(a.Updated), prev, baseline, z, usual)
	} else {
		res, err = db.ExecContext(ctx, `UPDATE alert_states
			SET firing = $3, since = $4, streak = $5, value = $6, updated = $7, prev_value = $9,
				anomaly_baseline = $10, anomaly_z = $11, anomaly_usual = $12
			WHERE job = $1 AND alert_key = $2 AND updated = $8`,
			a.Job, a.Key, a.Firing, msOrNull(a.Since), a.Streak, value, msOrNull(a.Updated), ms(c.Read), prev, baseline, z, usual)
	}
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return ErrConflict
	}
	return nil
}

func putAlert(ctx context.Context, db execer, a AlertState) error {
	baseline, z, usual := anomalyArgs(a)
	_, err := db.ExecContext(ctx, `INSERT INTO alert_states (`+alertColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (job, alert_key) DO UPDATE SET
			firing = excluded.firing, since = excluded.since, streak = excluded.streak,
			value = excluded.value, updated = excluded.updated, prev_value = excluded.prev_value,
			anomaly_baseline = excluded.anomaly_baseline, anomaly_z = excluded.anomaly_z, anomaly_usual = excluded.anomaly_usual`,
		a.Job, a.Key, a.Firing, msOrNull(a.Since), a.Streak, nullFloat(a.Value), msOrNull(a.Updated), nullFloat(a.Previous), baseline, z, usual)
	return err
}

func nullFloat(v *float64) sql.NullFloat64 {
	if v == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *v, Valid: true}
}

func fromNullFloat(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	v := n.Float64
	return &v
}

// Alerts lists every stored alert state, by job and key.
func (s *Store) Alerts(ctx context.Context) ([]AlertState, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT `+alertColumns+` FROM alert_states ORDER BY job, alert_key`)
	if err != nil {
		return nil, fmt.Errorf("store: list alerts: %w", err)
	}
	out, err := collect(rows, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("store: list alerts: %w", err)
	}
	return out, nil
}
