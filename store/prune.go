package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Prune deletes deliveries sent (or dropped and created) before before and drops the digest JSON of
// runs finished before it, and reports how many of each it touched. The run
// rows stay: they are what keeps an old firing from being run again. Queued
// and failed deliveries are never pruned: they are work not yet done. Nor is
// a sent delivery that an alert notice names: it announced a firing that
// may last longer than the retention, and its resolve, reminders and
// update need its receipt (status, Slack channel and ts); there is at most
// one per alert and target.
func (s *Store) Prune(ctx context.Context, before time.Time) (deliveries, runs int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM deliveries
			WHERE (status = $1 AND sent_at < $2
				AND NOT EXISTS (SELECT 1 FROM alert_notices n WHERE n.delivery_key = deliveries.dedup_key))
			OR (status = $3 AND created_at < $2)`, DeliverySent, ms(before), DeliveryDropped)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		deliveries = int(n)
		res, err = tx.ExecContext(ctx, `UPDATE runs SET digest = NULL WHERE finished_at < $1 AND digest IS NOT NULL`, ms(before))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		runs = int(n)
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: prune before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return deliveries, runs, nil
}
