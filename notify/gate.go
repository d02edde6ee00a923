package notify

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"livechat-digest/store"
)

// ResultDropped is the Observe result of a delivery the Gate dropped.
const ResultDropped = "dropped"

// Gate is the last step before a send, as Alertmanager's mute stage is: a
// message rendered and queued earlier may no longer be wanted as it was
// (an alert in it was silenced since), or may need what only exists now
// (the ts of the Slack post a resolve updates). Check returns the message
// to send (m itself, or one rendered again), or a non-empty drop reason
// when nothing of it is to be sent. An error is retried like a failed send.
// The Worker calls it only for messages that carry Meta.
type Gate interface {
	Check(ctx context.Context, d store.Delivery, m Message) (out Message, drop string, err error)
}

// DropQueue is a Queue that can record a delivery as never to be sent.
type DropQueue interface {
	MarkDropped(ctx context.Context, id int64, owner string, reason string) error
}

// ReceiptQueue is a Queue that keeps where a sent message landed.
type ReceiptQueue interface {
	MarkSentReceipt(ctx context.Context, id int64, owner string, now time.Time, slackChannel, slackTS string) error
}

// Receipt is where a sent message landed: for a Slack post the channel ID
// and ts Slack answered with, which a later update or thread reply needs.
type Receipt struct {
	SlackChannel string
	SlackTS      string
}

// ReceiptSender is a Sender that tells where the message landed.
type ReceiptSender interface {
	SendReceipt(ctx context.Context, m Message) (Receipt, error)
}

func sendReceipt(ctx context.Context, s Sender, m Message) (Receipt, error) {
	if rs, ok := s.(ReceiptSender); ok {
		return rs.SendReceipt(ctx, m)
	}
	return Receipt{}, s.Send(ctx, m)
}

// markSent records a sent delivery with its receipt when the queue keeps
// receipts.
func (w *Worker) markSent(ctx context.Context, id int64, now time.Time, r Receipt) error {
	if rq, ok := w.q.(ReceiptQueue); ok && r != (Receipt{}) {
		return rq.MarkSentReceipt(ctx, id, w.opts.Owner, now, r.SlackChannel, r.SlackTS)
	}
	return w.q.MarkSent(ctx, id, w.opts.Owner, now)
}

// drop records a delivery the gate dropped; it is never sent.
func (w *Worker) drop(ctx context.Context, log *slog.Logger, d store.Delivery, m Message, reason string) (outcome, error) {
	w.observe(d, m, ResultDropped)
	if err := w.q.(DropQueue).MarkDropped(ctx, d.ID, w.opts.Owner, storedError(fmt.Errorf("%s", reason))); err != nil {
		return outcomeFailed, fmt.Errorf("notify: delivery %d: mark dropped: %w", d.ID, err)
	}
	log.LogAttrs(ctx, slog.LevelInfo, "dropped, not sent", slog.String("reason", reason))
	return outcomeDropped, nil
}
