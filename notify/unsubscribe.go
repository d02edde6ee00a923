package notify

import (
	"context"
	"fmt"
	"log/slog"
)

// Unsubscribes is what the worker checks just before sending a digest
// email, since a recipient may unsubscribe between queueing and sending
// (jobs already leave them out when queueing). *store.Store provides it.
type Unsubscribes interface {
	IsUnsubscribed(ctx context.Context, job, address string) (bool, error)
	// MarkDropped settles a claimed delivery as never to be sent.
	MarkDropped(ctx context.Context, id int64, owner string, reason string) error
}

// subscribed returns m without the recipients who unsubscribed from job.
// Only digests (messages with a List-Id) are checked: alerts go to whoever
// the config names. A failing check is returned as retryable, so the
// delivery waits rather than mailing someone who may have left.
func (w *Worker) subscribed(ctx context.Context, job string, m Message) (Message, error) {
	if w.opts.Unsubscribes == nil || m.Email == nil || m.Email.ListID == "" {
		return m, nil
	}
	keep := make([]string, 0, len(m.Email.To))
	for _, to := range m.Email.To {
		out, err := w.opts.Unsubscribes.IsUnsubscribed(ctx, job, to)
		if err != nil {
			return m, Retryable(fmt.Errorf("notify: email to %s: unsubscribe check: %w", to, err), 0)
		}
		if !out {
			keep = append(keep, to)
		}
	}
	e := *m.Email
	e.To = keep
	m.Email = &e
	return m, nil
}

// skip records a delivery whose recipients all unsubscribed as dropped.
func (w *Worker) skip(mctx context.Context, log *slog.Logger, c claimed) (outcome, error) {
	note := "not sent: the recipient unsubscribed after it was queued"
	if err := w.opts.Unsubscribes.MarkDropped(mctx, c.d.ID, w.opts.Owner, note); err != nil {
		return outcomeDropped, fmt.Errorf("notify: delivery %d: mark dropped: %w", c.d.ID, err)
	}
	w.observe(c.d, c.msg, ResultDropped)
	log.LogAttrs(mctx, slog.LevelInfo, "not sent: recipient unsubscribed")
	return outcomeDropped, nil
}
