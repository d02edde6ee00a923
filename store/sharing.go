package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SharedAnswer is one question of a firing (one distinct upstream request,
// named by its sharing key) as the replicas share it: either answered, or
// leased to the replica fetching it.
type SharedAnswer struct {
	Key string
	// Done: Body holds the answer, or Failure the error it failed with
	// after its retries (opaque to the store); either way it is final for
	// the rest of the firing.
	Done    bool
	Body    []byte
	Failure []byte
	// Holder is the replica fetching the answer while it is not done, and
	// LeaseUntil when its claim runs out: another replica may then take the
	// question over.
	Holder     string
	LeaseUntil time.Time
}

const answerColumns = `share_key, done, body, failure, holder, lease_until`

func scanAnswer(sc scanner) (SharedAnswer, error) {
	var (
		a     SharedAnswer
		until int64
	)
	if err := sc.Scan(&a.Key, &a.Done, &a.Body, &a.Failure, &a.Holder, &until); err != nil {
		return SharedAnswer{}, err
	}
	a.LeaseUntil = time.UnixMilli(until).UTC()
	return a, nil
}

// ClaimAnswer asks for the answer to question key of the firing at
// firingAt. It returns (answer, false) when the answer is stored (Done) or
// another replica holds the question under a lease that has not run out;
// and (claim, true) when owner now holds it until now+lease and is to
// fetch it and PutAnswer it: nobody had asked yet, the previous holder's
// lease ran out (it died or gave up), or owner already held it (the claim
// is then extended, which is how a holder keeps its lease while it waits
// for the rate limit). The decision is one statement, so exactly one
// replica holds a question at a time.
func (s *Store) ClaimAnswer(ctx context.Context, firingAt time.Time, key, owner string, now time.Time, lease time.Duration) (SharedAnswer, bool, error) {
	if key == "" || owner == "" {
		return SharedAnswer{}, false, errors.New("store: claim answer: key and owner are required")
	}
	fail := func(err error) (SharedAnswer, bool, error) {
		return SharedAnswer{}, false, fmt.Errorf("store: claim answer at %s: %w", firingAt.UTC().Format(time.RFC3339), err)
	}
	// A row that vanishes between the two statements was deleted because
	// its firing ended; the next round inserts it afresh.
	for range 3 {
		a, err := scanAnswer(s.rw.QueryRowContext(ctx, `INSERT INTO shared_answers (firing_at, share_key, holder, lease_until)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (firing_at, share_key) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
			WHERE shared_answers.done = $5 AND (shared_answers.lease_until < $6 OR shared_answers.holder = $3)
			RETURNING `+answerColumns,
			ms(firingAt), key, owner, ms(now.Add(lease)), false, ms(now)))
		switch {
		case err == nil:
			return a, true, nil
		case !errors.Is(err, sql.ErrNoRows):
			return fail(err)
		}
		a, err = scanAnswer(s.rw.QueryRowContext(ctx,
			`SELECT `+answerColumns+` FROM shared_answers WHERE firing_at = $1 AND share_key = $2`, ms(firingAt), key))
		switch {
		case err == nil:
			return a, false, nil
		case !errors.Is(err, sql.ErrNoRows):
			return fail(err)
		}
	}
	return fail(errors.New("the question keeps vanishing"))
}

// PutAnswer stores the outcome of question key of a firing: body, or the
// encoded error it failed with after its retries. It is final for the rest
// of the firing: a second outcome (a replica that took over a question
// whose holder was only slow) is dropped, as is one whose firing has ended
// meanwhile and had its answers deleted.
func (s *Store) PutAnswer(ctx context.Context, firingAt time.Time, key, owner string, body, failure []byte) error {
	_, err := s.rw.ExecContext(ctx, `UPDATE shared_answers SET done = $1, body = $2, failure = $3, holder = $4
		WHERE firing_at = $5 AND share_key = $6 AND done = $7`,
		true, body, failure, owner, ms(firingAt), key, false)
	if err != nil {
		return fmt.Errorf("store: put answer at %s: %w", firingAt.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// maxKeysPerQuery bounds the placeholders of one SharedAnswers query.
const maxKeysPerQuery = 500

// SharedAnswers returns what is stored for the questions keys of a firing,
// done or not, in no particular order; a key nobody asked for is missing.
// A replica waiting for others' answers polls with it, all its waiting
// questions of a firing at once.
func (s *Store) SharedAnswers(ctx context.Context, firingAt time.Time, keys []string) ([]SharedAnswer, error) {
	var out []SharedAnswer
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), maxKeysPerQuery)]
		keys = keys[len(chunk):]
		args := []any{ms(firingAt)}
		marks := make([]string, len(chunk))
		for i, k := range chunk {
			args = append(args, k)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		rows, err := s.ro.QueryContext(ctx, `SELECT `+answerColumns+` FROM shared_answers
			WHERE firing_at = $1 AND share_key IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: shared answers at %s: %w", firingAt.UTC().Format(time.RFC3339), err)
		}
		got, err := collect(rows, scanAnswer)
		if err != nil {
			return nil, fmt.Errorf("store: shared answers at %s: %w", firingAt.UTC().Format(time.RFC3339), err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// HoldFiring records that owner has runs of the firing at firingAt still to
// do (running, or waiting for a run slot) until until, or moves its hold
// there as a heartbeat. The firing's shared answers stay while any replica
// holds it.
func (s *Store) HoldFiring(ctx context.Context, firingAt time.Time, owner string, until time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockFiring(ctx, tx, firingAt); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO firing_holds (firing_at, owner, lease_until) VALUES ($1, $2, $3)
			ON CONFLICT (firing_at, owner) DO UPDATE SET lease_until = excluded.lease_until`,
			ms(firingAt), owner, ms(until))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: hold firing %s: %w", firingAt.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// ReleaseFiring drops owner's hold on the firing at firingAt and, if that
// ends the firing, deletes its shared answers, returning how many. The
// firing ends when no replica holds it under a live hold and none of its
// runs is still running: a run whose replica died keeps its firing's
// answers for the replica that takes the run over.
func (s *Store) ReleaseFiring(ctx context.Context, firingAt time.Time, owner string, now time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockFiring(ctx, tx, firingAt); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM firing_holds WHERE firing_at = $1 AND owner = $2`, ms(firingAt), owner); err != nil {
			return err
		}
		var err error
		n, err = deleteEnded(ctx, tx, `firing_at = $1`, []any{ms(firingAt)}, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: release firing %s: %w", firingAt.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// SweepAnswers deletes what ReleaseFiring would have deleted had every
// replica released its holds: the holds whose lease ran out (their replica
// died) and the shared answers of every firing that has ended. It also
// deletes the answers of firings older than before whatever their state,
// which only matters for a run left running for ever (its job was removed
// from the config while its replica was down). It returns how many answers
// it deleted.
func (s *Store) SweepAnswers(ctx context.Context, now, before time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM firing_holds WHERE lease_until < $1`, ms(now)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM shared_answers WHERE firing_at < $1`, ms(before))
		if err != nil {
			return err
		}
		old, err := res.RowsAffected()
		if err != nil {
			return err
		}
		ended, err := deleteEnded(ctx, tx, `TRUE`, nil, now)
		n = int(old) + ended
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: sweep answers: %w", err)
	}
	return n, nil
}

// deleteEnded deletes the shared answers, among those where cond holds
// (its arguments are $1…), of firings that no live hold and no running run
// keeps.
func deleteEnded(ctx context.Context, tx *sql.Tx, cond string, args []any, now time.Time) (int, error) {
	nowArg, runningArg := len(args)+1, len(args)+2
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM shared_answers WHERE %s
		AND NOT EXISTS (SELECT 1 FROM firing_holds h WHERE h.firing_at = shared_answers.firing_at AND h.lease_until >= $%d)
		AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.firing_at = shared_answers.firing_at AND r.status = $%d)`,
		cond, nowArg, runningArg), append(args, ms(now), RunRunning)...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// lockFiring serialises, on PostgreSQL, the transactions that hold and
// release one firing, so that two replicas releasing their holds at once
// cannot each see the other's hold and both leave the answers behind, and
// a replica taking a hold is not passed by one deleting the answers. On
// SQLite every write transaction is already serial (BEGIN IMMEDIATE).
func (s *Store) lockFiring(ctx context.Context, tx *sql.Tx, firingAt time.Time) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	_, err := tx.ExecContext(ctx,
		`SELECT pg_advisory_xact_lock(hashtextextended('livechat-digest/firing/' || current_schema() || '/' || $1, 0))`,
		fmt.Sprint(ms(firingAt)))
	if err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	return nil
}
