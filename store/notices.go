package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Notice statuses: where the news of one firing stands for one target.
const (
	NoticeHeld      = "held"      // not queued: silenced or outside active hours
	NoticeQueued    = "queued"    // a message carrying it is queued (Delivery)
	NoticeAnnounced = "announced" // that message was sent
	NoticeResolved  = "resolved"  // its resolve was queued (only after queued or announced)
)

// Notice is what one target has been told about one firing of one alert:
// the unit of the message model (see package alerting). Several alerts may
// share the Delivery that announced them: a grouped message.
type Notice struct {
	Job    string
	Key    string // the alert (AlertState.Key)
	Target string // "slack:#alerts", "email:lead@example.com"
	// Since is the firing this notice is about (AlertState.Since).
	Since  time.Time
	Status string
	// Delivery is the key of the delivery that carries the firing; empty
	// while held.
	Delivery string
	// NotifiedAt is when the announcement was queued; reminders count
	// their intervals from it.
	NotifiedAt time.Time
	Reminders  int // reminders queued so far
	ResolvedAt time.Time
	// Version is the stored row's version, 0 for a notice never stored.
	// A change is saved only over the version it was read at.
	Version int64
}

// NoticeChange is a new state for a notice, saved only if the stored one
// still has Notice.Version (none stored when 0). Delete removes it instead.
type NoticeChange struct {
	Notice Notice
	Delete bool
}

// NoticeFilter selects notices; zero fields match all.
type NoticeFilter struct {
	Job    string
	Status string
}

const noticeColumns = `job, alert_key, target, since, status, delivery_key, notified_at, reminders, resolved_at, version`

func scanNotice(sc scanner) (Notice, error) {
	var (
		n                    Notice
		since                int64
		notified, resolvedAt sql.NullInt64
	)
	if err := sc.Scan(&n.Job, &n.Key, &n.Target, &since, &n.Status, &n.Delivery, &notified, &n.Reminders, &resolvedAt, &n.Version); err != nil {
		return Notice{}, err
	}
	n.Since = time.UnixMilli(since).UTC()
	n.NotifiedAt = fromMS(notified)
	n.ResolvedAt = fromMS(resolvedAt)
	return n, nil
}

// Notices lists the notices matching f by job, alert and target.
func (s *Store) Notices(ctx context.Context, f NoticeFilter) ([]Notice, error) {
	var (
		where []string
		args  []any
	)
	if f.Job != "" {
		args = append(args, f.Job)
		where = append(where, fmt.Sprintf("job = $%d", len(args)))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		where = append(where, fmt.Sprintf("status = $%d", len(args)))
	}
	q := `SELECT ` + noticeColumns + ` FROM alert_notices`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := s.ro.QueryContext(ctx, q+` ORDER BY job, alert_key, target`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list notices: %w", err)
	}
	out, err := collect(rows, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("store: list notices: %w", err)
	}
	return out, nil
}

// swapNotice saves c if the stored notice is still at c.Notice.Version.
func swapNotice(ctx context.Context, tx *sql.Tx, c NoticeChange) error {
	n := c.Notice
	var (
		res sql.Result
		err error
	)
	switch {
	case c.Delete:
		res, err = tx.ExecContext(ctx, `DELETE FROM alert_notices WHERE job = $1 AND alert_key = $2 AND target = $3 AND version = $4`,
			n.Job, n.Key, n.Target, n.Version)
	case n.Version == 0:
		res, err = tx.ExecContext(ctx, `INSERT INTO alert_notices (`+noticeColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) ON CONFLICT (job, alert_key, target) DO NOTHING`,
			n.Job, n.Key, n.Target, ms(n.Since), n.Status, n.Delivery, msOrNull(n.NotifiedAt), n.Reminders, msOrNull(n.ResolvedAt))
	default:
		res, err = tx.ExecContext(ctx, `UPDATE alert_notices SET since = $4, status = $5, delivery_key = $6,
			notified_at = $7, reminders = $8, resolved_at = $9, version = version + 1
			WHERE job = $1 AND alert_key = $2 AND target = $3 AND version = $10`,
			n.Job, n.Key, n.Target, ms(n.Since), n.Status, n.Delivery, msOrNull(n.NotifiedAt), n.Reminders, msOrNull(n.ResolvedAt), n.Version)
	}
	if err != nil {
		return err
	}
	k, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if k != 1 {
		return ErrConflict
	}
	return nil
}

// Receipt is what became of a delivery that announced alerts: its status
// and, for a Slack post, where it landed.
type Receipt struct {
	Key          string
	Status       string
	SlackChannel string // the channel ID Slack answered with
	SlackTS      string
	// Dropped are the alerts whose lines were dropped from the delivery
	// at send time (HoldNotices): it never carried them, whatever it says.
	Dropped []string
	// SilencedBy and SilencedUntil: someone pressed a silence button on
	// the post (AddSilences), so its rewrites keep saying so.
	SilencedBy    string
	SilencedUntil time.Time
}

// Receipts returns the receipt of each delivery key given that exists.
func (s *Store) Receipts(ctx context.Context, keys []string) (map[string]Receipt, error) {
	out := make(map[string]Receipt, len(keys))
	for _, k := range keys {
		if _, done := out[k]; done || k == "" {
			continue
		}
		var (
			r       Receipt
			dropped string
			until   sql.NullInt64
		)
		err := s.ro.QueryRowContext(ctx, `SELECT dedup_key, status, slack_channel, slack_ts, dropped_alerts, silenced_by, silenced_until
			FROM deliveries WHERE dedup_key = $1`, k).
			Scan(&r.Key, &r.Status, &r.SlackChannel, &r.SlackTS, &dropped, &r.SilencedBy, &until)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return nil, fmt.Errorf("store: receipt %q: %w", k, err)
		}
		r.SilencedUntil = fromMS(until)
		if r.Dropped, err = decodeKeys(dropped); err != nil {
			return nil, fmt.Errorf("store: receipt %q: dropped alerts: %w", k, err)
		}
		out[k] = r
	}
	return out, nil
}

// MarkSentReceipt is MarkSent for a message whose peer said where it
// landed: the Slack channel ID and ts of a post, kept so that a later
// resolve can update that message and reply in its thread. In the same
// transaction the notices the delivery carried become announced.
func (s *Store) MarkSentReceipt(ctx context.Context, id int64, owner string, now time.Time, slackChannel, slackTS string) error {
	var done bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var key string
		err := tx.QueryRowContext(ctx, `UPDATE deliveries
			SET status = $1, sent_at = $2, attempts = attempts + 1, last_error = '', claimed_until = NULL,
				slack_channel = $6, slack_ts = $7
			WHERE id = $3 AND claimed_by = $4 AND status = $5 RETURNING dedup_key`,
			DeliverySent, ms(now), id, owner, DeliverySending, slackChannel, slackTS).Scan(&key)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // not ours: checkClaim says why
		}
		if err != nil {
			return err
		}
		done = true
		_, err = tx.ExecContext(ctx, `UPDATE alert_notices SET status = $1, version = version + 1
			WHERE delivery_key = $2 AND status = $3`, NoticeAnnounced, key, NoticeQueued)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark delivery %d sent: %w", id, err)
	}
	if done {
		return nil
	}
	return s.checkClaim(ctx, zeroRows{}, "sent", id, owner)
}

// zeroRows is a sql.Result of an update that matched nothing.
type zeroRows struct{}

func (zeroRows) LastInsertId() (int64, error) { return 0, nil }
func (zeroRows) RowsAffected() (int64, error) { return 0, nil }

// MarkDropped records that a claimed delivery will never be sent: it was
// no longer wanted when its turn came. reason is kept as its last error.
func (s *Store) MarkDropped(ctx context.Context, id int64, owner string, reason string) error {
	res, err := s.rw.ExecContext(ctx, `UPDATE deliveries
		SET status = $1, last_error = $2, claimed_by = '', claimed_until = NULL
		WHERE id = $3 AND claimed_by = $4 AND status = $5`,
		DeliveryDropped, reason, id, owner, DeliverySending)
	if err != nil {
		return fmt.Errorf("store: mark delivery %d dropped: %w", id, err)
	}
	return s.checkClaim(ctx, res, "dropped", id, owner)
}

// HoldNotices puts back to held the notices of the given alerts that were
// queued on delivery key: their firing was silenced before it was sent, so
// the silence's end must announce them. In the same transaction the alerts
// are added to the delivery's Dropped: should its send fail and be retried
// after the silence ended, it must not carry them again, since the release
// at the silence's end announces them (and a resolve or reminder that
// follows the delivery must not speak of them either).
func (s *Store) HoldNotices(ctx context.Context, key string, alertKeys []string) error {
	if len(alertKeys) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT dropped_alerts FROM deliveries WHERE dedup_key = $1`, key).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		dropped, err := decodeKeys(cur)
		if err != nil {
			return err
		}
		for _, k := range alertKeys {
			if !slices.Contains(dropped, k) {
				dropped = append(dropped, k)
			}
		}
		b, err := json.Marshal(dropped)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET dropped_alerts = $1 WHERE dedup_key = $2`, string(b), key); err != nil {
			return err
		}
		for _, k := range alertKeys {
			if _, err := tx.ExecContext(ctx, `UPDATE alert_notices SET status = $1, delivery_key = '', notified_at = NULL,
				reminders = 0, version = version + 1
				WHERE delivery_key = $2 AND alert_key = $3 AND status = $4`, NoticeHeld, key, k, NoticeQueued); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: hold notices of %q: %w", key, err)
	}
	return nil
}

// decodeKeys reads a delivery's dropped_alerts: a JSON array of alert keys,
// or the empty string for none.
func decodeKeys(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	return out, nil
}
