package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Silence holds back the firing and reminder messages of one job's alerts,
// or of one metric's, from StartsAt until EndsAt. As in Alertmanager,
// expiring a silence sets its end to now: the row stays, so who silenced
// what and why can still be read.
type Silence struct {
	ID        int64
	Job       string
	Metric    string // "" matches every metric of Job
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string
	Reason    string
	CreatedAt time.Time
}

// SilenceFilter selects silences; zero fields match all.
type SilenceFilter struct {
	Job string
	// EndsAfter keeps silences that end after it (active or still to
	// come at that instant).
	EndsAfter time.Time
	Limit     int // <= 0: no limit
}

const silenceColumns = `id, job, metric, starts_at, ends_at, created_by, reason, created_at`

func scanSilence(sc scanner) (Silence, error) {
	var (
		s                         Silence
		starts, ends, createdAtMS int64
	)
	if err := sc.Scan(&s.ID, &s.Job, &s.Metric, &starts, &ends, &s.CreatedBy, &s.Reason, &createdAtMS); err != nil {
		return Silence{}, err
	}
	s.StartsAt = time.UnixMilli(starts).UTC()
	s.EndsAt = time.UnixMilli(ends).UTC()
	s.CreatedAt = time.UnixMilli(createdAtMS).UTC()
	return s, nil
}

// AddSilence stores s and returns it with its ID. Job, StartsAt, EndsAt
// after StartsAt, and CreatedAt are required.
func (s *Store) AddSilence(ctx context.Context, si Silence) (Silence, error) {
	out, err := s.AddSilences(ctx, []Silence{si}, SlackPost{})
	if err != nil {
		return Silence{}, err
	}
	return out[0], nil
}

// SlackPost names a Slack message by the channel ID and ts Slack gave it.
type SlackPost struct {
	Channel, TS string
}

// AddSilences stores ss (each as AddSilence would) in one transaction: a
// silence of several metrics is all there or not at all. When post names a
// message (the alert post whose button was pressed), the delivery that
// sent it records who silenced it and until when (the first silence's
// CreatedBy and EndsAt), so that a later rewrite of the post, its resolve,
// keeps saying so; a post no delivery sent is no error.
func (s *Store) AddSilences(ctx context.Context, ss []Silence, post SlackPost) ([]Silence, error) {
	return s.AddSilencesOnce(ctx, "", ss, post)
}

// ErrSeenRequest is AddSilencesOnce's answer to a request it has seen.
var ErrSeenRequest = errors.New("store: this request was seen before")

// SeenRequestsKept is how long AddSilencesOnce remembers a request's key.
// Slack's requests carry a timestamp that is refused five minutes after it
// was signed, so no copy can come later; the keys are deleted by the
// additions that come after, so the table stays small whatever the
// retention (even none).
const SeenRequestsKept = time.Hour

// AddSilencesOnce is AddSilences for one signed request, named by key (its
// Slack signature, which a replay repeats): the first call with a key adds
// the silences; every later one, on any replica of the store, adds nothing
// and returns ErrSeenRequest. A replica's own replay set cannot see a
// request another replica received; the key and the silences are written
// in one transaction, so of two replicas that got the same request at the
// same moment one adds and the other waits for it and finds the key. Keys
// are kept SeenRequestsKept after the silences' CreatedAt. An empty key is
// AddSilences.
func (s *Store) AddSilencesOnce(ctx context.Context, key string, ss []Silence, post SlackPost) ([]Silence, error) {
	if len(ss) == 0 {
		return nil, nil
	}
	for _, si := range ss {
		if si.Job == "" || si.StartsAt.IsZero() || !si.EndsAt.After(si.StartsAt) || si.CreatedAt.IsZero() {
			return nil, fmt.Errorf("store: add silence for %q: job, a start, an end after it and created_at are required", si.Job)
		}
	}
	var out []Silence
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		if key != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM seen_requests WHERE created_at < $1`,
				ms(ss[0].CreatedAt.Add(-SeenRequestsKept))); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO seen_requests (request_key, created_at) VALUES ($1, $2)
				ON CONFLICT (request_key) DO NOTHING`, key, ms(ss[0].CreatedAt))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return ErrSeenRequest
			}
		}
		for _, si := range ss {
			added, err := scanSilence(tx.QueryRowContext(ctx, `INSERT INTO silences
				(job, metric, starts_at, ends_at, created_by, reason, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+silenceColumns,
				si.Job, si.Metric, ms(si.StartsAt), ms(si.EndsAt), si.CreatedBy, si.Reason, ms(si.CreatedAt)))
			if err != nil {
				return err
			}
			out = append(out, added)
		}
		if post.Channel == "" || post.TS == "" {
			return nil
		}
		// No index on slack_ts: a button press is rare, and the table is
		// pruned to the retention.
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET silenced_by = $1, silenced_until = $2
			WHERE slack_channel = $3 AND slack_ts = $4 AND status = $5`,
			ss[0].CreatedBy, ms(ss[0].EndsAt), post.Channel, post.TS, DeliverySent)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: add silences for %s: %w", ss[0].Job, err)
	}
	return out, nil
}

// Silences lists silences matching f, newest first.
func (s *Store) Silences(ctx context.Context, f SilenceFilter) ([]Silence, error) {
	var (
		where []string
		args  []any
	)
	if f.Job != "" {
		args = append(args, f.Job)
		where = append(where, fmt.Sprintf("job = $%d", len(args)))
	}
	if !f.EndsAfter.IsZero() {
		args = append(args, ms(f.EndsAfter))
		where = append(where, fmt.Sprintf("ends_at > $%d", len(args)))
	}
	q := `SELECT ` + silenceColumns + ` FROM silences`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list silences: %w", err)
	}
	out, err := collect(rows, scanSilence)
	if err != nil {
		return nil, fmt.Errorf("store: list silences: %w", err)
	}
	return out, nil
}

// ErrExpired is returned by ExpireSilence for a silence that had already
// ended.
var ErrExpired = errors.New("store: silence already expired")

// ExpireSilence ends silence id at now and returns it as it is then. A
// silence that does not exist is ErrNotFound; one that had ended already is
// ErrExpired.
func (s *Store) ExpireSilence(ctx context.Context, id int64, now time.Time) (Silence, error) {
	var out Silence
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanSilence(tx.QueryRowContext(ctx, `SELECT `+silenceColumns+` FROM silences WHERE id = $1`, id))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case !cur.EndsAt.After(now):
			out = cur
			return ErrExpired
		}
		// A silence that has not started yet ends before it starts.
		starts := cur.StartsAt
		if starts.After(now) {
			starts = now
		}
		if _, err := tx.ExecContext(ctx, `UPDATE silences SET starts_at = $2, ends_at = $3 WHERE id = $1`,
			id, ms(starts), ms(now)); err != nil {
			return err
		}
		out = cur
		out.StartsAt, out.EndsAt = time.UnixMilli(ms(starts)).UTC(), time.UnixMilli(ms(now)).UTC()
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("store: expire silence %d: %w", id, err)
	}
	return out, nil
}
