package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
	"golang.org/x/sync/errgroup"

	"livechat-digest/store"
)

// Results reported to WorkerOptions.Observe.
const (
	ResultSent   = "sent"
	ResultRetry  = "retry"
	ResultFailed = "failed"
)

// ErrDeliveryFailed is returned (wrapped) by Drain when a delivery was given
// up during the drain, so that `run` can exit non-zero.
var ErrDeliveryFailed = errors.New("notify: delivery failed")

// defaultRecordTimeout bounds recording an outcome (WorkerOptions.RecordTimeout).
const defaultRecordTimeout = 5 * time.Second

// Notes stored as a delivery's last error when it is handed back unsent.
const (
	noteShutdown = "interrupted by shutdown before it was sent"
	noteLease    = "handed back unsent: too little of the claim was left for a send"
)

// maxErrorLen bounds the error text kept in the store.
const maxErrorLen = 1000

// maxRemembered caps Worker.sent. Entries pile up only while MarkSent fails
// (the store is down), and the oldest go first.
const maxRemembered = 1000

// Queue is the delivery queue as the worker needs it; *store.Store
// provides it. Every method after Claim names the owner, so a worker whose
// lease has passed to another cannot overwrite that worker's outcome.
type Queue interface {
	// Claim leases up to limit deliveries that are due at now to owner.
	Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.Delivery, error)
	MarkSent(ctx context.Context, id int64, owner string, now time.Time) error
	// MarkRetry queues the delivery again for next, with attempts made.
	MarkRetry(ctx context.Context, id int64, owner string, attempts int, next time.Time, errMsg string) error
	MarkFailed(ctx context.Context, id int64, owner string, attempts int, errMsg string) error
}

// Sender makes one attempt to send a message. It does not retry: it returns
// an error saying whether a retry could help (see Error, IsRetryable).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// WorkerOptions tune a Worker. Zero values take the defaults noted.
type WorkerOptions struct {
	// Owner names this worker in the store's claims; unique per process
	// (e.g. hostname+pid). Required.
	Owner string
	// Clock is the only source of "now"; default the real clock.
	Clock clockwork.Clock
	// Lease is how long a claim lasts before another worker may take the
	// delivery over; default 2m. A delivery is only sent while its claim
	// still covers SendTimeout plus the time to record the outcome; one
	// whose claim ran low while earlier ones in the batch were sent is
	// handed back unsent, due at once, and claimed again with a fresh lease
	// (see Worker).
	Lease time.Duration
	// SendTimeout bounds one send; default half the Lease, and never more:
	// a fresh claim must leave room for at least one send plus recording,
	// or nothing would ever go out. It is also how long shutdown may wait
	// for a send under way: ending Run's or Drain's ctx does not cut one
	// short.
	SendTimeout time.Duration
	// RetryFor is how long after a delivery was queued (or re-queued
	// after it failed, store.Delivery.RetryFrom) it is still tried;
	// default 30m. After that a failure marks it failed.
	RetryFor time.Duration
	// BaseBackoff and MaxBackoff bound the wait between tries; defaults 10s
	// and 5m.
	BaseBackoff, MaxBackoff time.Duration
	// Poll is how often Run looks for due deliveries; default 15s.
	Poll time.Duration
	// Batch is how many deliveries one claim takes; default 20. A batch
	// that cannot be sent within one Lease is not a problem for
	// correctness: what is left is handed back and claimed again.
	Batch int
	// Concurrency is how many targets are sent to at once; one target's
	// deliveries in a batch always go one after another, in delivery ID
	// (enqueue) order. Default 4.
	Concurrency int
	// RecordTimeout bounds recording one outcome in the store (sent, retry,
	// failed, handed back); default 5s. It goes on after shutdown began: a
	// message that went out must be recorded as sent.
	RecordTimeout time.Duration
	// Logger receives component=notify logs; nil discards.
	Logger *slog.Logger
	// Observe, if set, is told the channel and result (ResultSent,
	// ResultRetry, ResultFailed, ResultDropped) of every attempt, for
	// metrics.
	Observe func(channel, result string)
	// Gate, if set, checks every message that carries Meta just before
	// it is sent (see Gate). The Queue must then be a DropQueue.
	Gate Gate
	// Unsubscribes, if set, is checked before each digest email is sent;
	// recipients who unsubscribed are left out, and a delivery left with
	// none is marked dropped.
	Unsubscribes Unsubscribes
}

// Worker is the retry stage: it claims due deliveries, sends each once and
// records the outcome. It is safe for concurrent use, though one Run per
// Worker is the intended use.
//
// A claim covers a whole batch, but its deliveries go out over time (a few
// targets at once, one after another within a target), so later ones may
// come up when the claim is nearly over. Sending then would race the next
// claimant: once the lease runs out another worker (a replica, or `run`
// against the same database) claims the delivery and sends it too. So
// before each send the worker checks that the claim still covers the
// send's timeout plus recording the outcome; if not, it hands the delivery
// back to the queue unsent (MarkRetry, attempts unchanged, due now), and
// with it the rest of that target's deliveries so their order holds. Whoever
// claims it next, this worker included, does so with a fresh lease. Handing
// back needs nothing from the store beyond the Queue methods, unlike
// renewing each claim, and a delivery is never sent by a worker whose
// claim may already have passed to another.
type Worker struct {
	q       Queue
	senders map[string]Sender
	opts    WorkerOptions
	log     *slog.Logger
	wake    chan struct{}
	// recordMargin is the part of a claim kept back after a send's timeout
	// for recording its outcome before the claim runs out.
	recordMargin time.Duration

	mu sync.Mutex
	// sent holds deliveries that went out but whose MarkSent failed. Should
	// the store hand one back (lease expiry), it is recorded, not re-sent,
	// with the time it went out and where it landed (a Slack post's
	// channel and ts, which a later resolve updates). An entry goes when
	// this worker records it; one another worker took over never comes
	// back, so the map is capped (see remember).
	sent map[int64]sentRecord
}

// sentRecord is what the worker keeps of a send it could not record.
type sentRecord struct {
	at   time.Time
	rcpt Receipt
}

// NewWorker makes a worker sending through senders, keyed by
// Message.Channel ("email", "slack"). A delivery whose message channel has
// no sender is tried under its store.Delivery.Channel (e.g. "outbox") and
// otherwise failed.
func NewWorker(q Queue, senders map[string]Sender, opts WorkerOptions) (*Worker, error) {
	if q == nil {
		return nil, errors.New("notify: worker: queue is nil")
	}
	if len(senders) == 0 {
		return nil, errors.New("notify: worker: no senders")
	}
	ss := make(map[string]Sender, len(senders))
	for ch, s := range senders {
		if s == nil {
			return nil, fmt.Errorf("notify: worker: sender %q is nil", ch)
		}
		ss[ch] = s
	}
	if opts.Owner == "" {
		return nil, errors.New("notify: worker: owner is empty")
	}
	if _, ok := q.(DropQueue); opts.Gate != nil && !ok {
		return nil, errors.New("notify: worker: a gate needs a queue that can drop deliveries")
	}
	for name, d := range map[string]time.Duration{
		"lease": opts.Lease, "send timeout": opts.SendTimeout, "retry_for": opts.RetryFor,
		"base backoff": opts.BaseBackoff, "max backoff": opts.MaxBackoff, "poll": opts.Poll,
		"record timeout": opts.RecordTimeout,
	} {
		if d < 0 {
			return nil, fmt.Errorf("notify: worker: %s is negative", name)
		}
	}
	if opts.Batch < 0 || opts.Concurrency < 0 {
		return nil, errors.New("notify: worker: batch and concurrency must not be negative")
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Lease == 0 {
		opts.Lease = 2 * time.Minute
	}
	if opts.SendTimeout == 0 || opts.SendTimeout > opts.Lease/2 {
		opts.SendTimeout = opts.Lease / 2
	}
	if opts.RetryFor == 0 {
		opts.RetryFor = 30 * time.Minute
	}
	if opts.BaseBackoff == 0 {
		opts.BaseBackoff = 10 * time.Second
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	if opts.MaxBackoff < opts.BaseBackoff {
		return nil, errors.New("notify: worker: max backoff is below base backoff")
	}
	if opts.Poll == 0 {
		opts.Poll = 15 * time.Second
	}
	if opts.Batch == 0 {
		opts.Batch = 20
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 4
	}
	if opts.RecordTimeout == 0 {
		opts.RecordTimeout = defaultRecordTimeout
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{
		q:       q,
		senders: ss,
		opts:    opts,
		log:     logger.With("component", "notify"),
		wake:    make(chan struct{}, 1),
		sent:    make(map[int64]sentRecord),
		// At most a tenth of the lease, so that with SendTimeout at half
		// of it a fresh claim always leaves room for a send.
		recordMargin: min(opts.RecordTimeout, opts.Lease/10),
	}, nil
}

// Notify wakes Run: a delivery was just enqueued. It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run runs a round (as RunOnce does) every Poll, and at once after Notify, until ctx is
// done; then it returns nil once the round in progress is over. Ending ctx
// means "claim no new work", not "abort": sends already under way finish
// (each within SendTimeout) and are recorded as usual, while deliveries of
// that round not yet started are handed back unsent, due at once, for the
// next claimant (Drain, another replica, the next start). Errors from the
// queue are logged and the loop goes on: the store may be back at the next
// poll.
func (w *Worker) Run(ctx context.Context) error {
	for {
		res, err := w.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.log.LogAttrs(ctx, slog.LevelError, "delivery round failed", slog.String("error", err.Error()))
		}
		if res.handled >= w.opts.Batch && err == nil {
			continue // a full batch: more may be due
		}
		t := w.opts.Clock.NewTimer(w.opts.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-w.wake:
			t.Stop()
		case <-t.Chan():
		}
	}
}

// RunOnce claims the deliveries due now and handles each: send, then mark
// it sent, queued for a retry, or failed. It returns how many it handled
// (including ones found already sent or handed back). The error covers the
// queue only; send failures are recorded in the store and logged, not
// returned. ctx ending stops new work as in Run: a send under way finishes;
// with ctx already done nothing is claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	res, err := w.runOnce(ctx)
	return res.handled, err
}

// Drain sends everything due now, round after round, until nothing due is
// left or ctx is done. Deliveries that fail and are queued for a later
// retry are left queued. It is for `run` and for shutdown, after Run has
// returned. When ctx ends mid-drain, sends under way finish and are
// recorded (each within SendTimeout), so Drain may outlast ctx by up to
// that; nothing new starts, and the rest stays queued, due at once. The
// error wraps ErrDeliveryFailed when a delivery was given up, and ctx's
// error when the drain was cut short.
func (w *Worker) Drain(ctx context.Context) error {
	var errs []error
	failed := 0
	for ctx.Err() == nil {
		res, err := w.runOnce(ctx)
		failed += res.failed
		if err != nil {
			errs = append(errs, err)
		}
		if res.handled == 0 {
			break
		}
	}
	if failed > 0 {
		errs = append(errs, fmt.Errorf("notify: drain: %d deliveries: %w", failed, ErrDeliveryFailed))
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("notify: drain cut short: %w", err))
	}
	return errors.Join(errs...)
}

type roundResult struct {
	handled, failed int
}

type outcome int

const (
	outcomeSent outcome = iota
	outcomeAlreadySent
	outcomeRetry
	outcomeFailed
	outcomeHandedBack
	outcomeDropped
)

// runOnce is one pass of the pipeline: claim → (per delivery) dedup → send
// → record.
func (w *Worker) runOnce(ctx context.Context) (roundResult, error) {
	var res roundResult
	if ctx.Err() != nil {
		return res, nil // claim no new work
	}
	now := w.opts.Clock.Now()
	ds, err := w.q.Claim(ctx, w.opts.Owner, now, w.opts.Lease, w.opts.Batch)
	if err != nil {
		return res, fmt.Errorf("notify: claim: %w", err)
	}
	if len(ds) == 0 {
		return res, nil
	}
	for i := range ds {
		// The store always sets it; a Queue that does not gets the
		// lease this worker asked for.
		if ds[i].ClaimedUntil.IsZero() {
			ds[i].ClaimedUntil = now.Add(w.opts.Lease)
		}
	}

	var (
		mu   sync.Mutex
		errs []error
	)
	var g errgroup.Group
	g.SetLimit(w.opts.Concurrency)
	for _, group := range byTarget(ds) {
		g.Go(func() error {
			// Once one delivery to this target is handed back, sending a
			// later one under this claim would overtake it.
			handBack := false
			for _, c := range group {
				o, err := w.handle(ctx, c, handBack)
				handBack = handBack || o == outcomeHandedBack
				mu.Lock()
				res.handled++
				if o == outcomeFailed {
					res.failed++
				}
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines collect their errors in errs
	return res, errors.Join(errs...)
}

// claimed is a claimed delivery with its payload decoded.
type claimed struct {
	d         store.Delivery
	msg       Message
	decodeErr error
}

// byTarget splits a claimed batch into one group per destination, each in
// ascending delivery ID order, which is enqueue order: an alert's
// "resolved" goes after its "firing" even when the claim listed it first
// (the store claims by next attempt time, and a retried "firing" may be due
// later than the "resolved" behind it). Groups come in the order of their
// lowest ID, and go out in parallel.
//
// The destination is the decoded message's channel and Message.Target(),
// not store.Delivery's Channel and Target: those are labels for people
// (an "outbox" channel is still email; an alert row may carry more than the
// address), and the message is what is actually sent. A payload that does
// not decode is never sent, so it gets a group of its own.
func byTarget(ds []store.Delivery) [][]claimed {
	idx := make(map[string]int)
	var groups [][]claimed
	for _, d := range ds {
		msg, err := Decode(d.Payload)
		c := claimed{d: d, msg: msg, decodeErr: err}
		if err != nil {
			groups = append(groups, []claimed{c})
			continue
		}
		k := msg.Channel + "\x00" + msg.Target()
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], c)
	}
	byID := func(a, b claimed) int { return cmp.Compare(a.d.ID, b.d.ID) }
	for _, g := range groups {
		slices.SortFunc(g, byID)
	}
	slices.SortFunc(groups, func(a, b []claimed) int { return byID(a[0], b[0]) })
	return groups
}

// handle takes one claimed delivery through dedup, lease check, send and
// record; with handBack it is not sent but handed back after dedup. The
// returned error is about recording the outcome only.
func (w *Worker) handle(ctx context.Context, c claimed, handBack bool) (outcome, error) {
	d := c.d
	attempt := d.Attempts + 1
	log := w.log.With(
		slog.Int64("delivery_id", d.ID),
		slog.String("job", d.Job),
		slog.String("channel", d.Channel),
		slog.String("target", d.Target),
		slog.Int("attempt", attempt),
	)

	// Recording must finish even when ctx (shutdown) is done: a message
	// that went out has to be marked sent. Its bound starts when there is
	// something to record, never before the send: a send that took longer
	// than the bound (an SMTP server answering the end of DATA late) would
	// otherwise go out unrecorded and be sent again after the lease.
	record := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), w.opts.RecordTimeout)
	}
	mctx, cancel := record()
	defer func() { cancel() }()

	// dedup
	if sentAt, rcpt, ok := w.alreadySent(d); ok {
		if err := w.markSent(mctx, d.ID, sentAt, rcpt); err != nil {
			return outcomeAlreadySent, fmt.Errorf("notify: delivery %d: mark sent: %w", d.ID, err)
		}
		w.forget(d.ID)
		log.LogAttrs(ctx, slog.LevelInfo, "already sent, not sending again")
		return outcomeAlreadySent, nil
	}

	// Shutdown began before this delivery's turn: start nothing new.
	if ctx.Err() != nil {
		return w.handBack(mctx, log, d, noteShutdown, slog.LevelDebug)
	}

	// lease check: the send must end, at its timeout, with time left to
	// record it while the claim is still ours. Otherwise the claim could
	// run out mid-send and another worker send the same message.
	if handBack || !w.claimCovers(d, w.opts.Clock.Now()) {
		return w.handBack(mctx, log, d, noteLease, slog.LevelInfo)
	}

	// send
	msg, err := c.msg, c.decodeErr
	var sender Sender
	if err == nil {
		sender = w.senders[msg.Channel]
		if sender == nil {
			sender = w.senders[d.Channel]
		}
		if sender == nil {
			err = Permanent(fmt.Errorf("notify: no sender for channel %q", msg.Channel))
		}
	} else {
		err = Permanent(err)
	}
	// gate: the last check of an alert message (see Gate).
	if err == nil && w.opts.Gate != nil && len(msg.Meta) > 0 {
		var drop string
		if msg, drop, err = w.opts.Gate.Check(mctx, d, msg); err == nil && drop != "" {
			return w.drop(mctx, log, d, msg, drop)
		}
	}
	var rcpt Receipt
	if err == nil {
		if msg, err = w.subscribed(ctx, d.Job, msg); err == nil && msg.Email != nil && len(msg.Email.To) == 0 {
			return w.skip(mctx, log, c)
		}
	}
	if err == nil {
		// Shutdown (ctx done) does not cut a send short: a Slack post or
		// SMTP DATA may already have been delivered, and handing it back
		// would send it again. The timeout bounds it instead, and the lease
		// check above makes that end before the claim does.
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), w.opts.SendTimeout)
		rcpt, err = sendReceipt(sctx, sender, msg)
		scancel()
	}
	now := w.opts.Clock.Now()
	cancel()
	mctx, cancel = record()

	// record
	switch {
	case err == nil:
		w.remember(d.ID, now, rcpt)
		w.observe(d, msg, ResultSent)
		if merr := w.markSent(mctx, d.ID, now, rcpt); merr != nil {
			// Kept in w.sent: when the store hands it back it is
			// recorded, not sent again.
			return outcomeSent, fmt.Errorf("notify: delivery %d: sent, but mark sent: %w", d.ID, merr)
		}
		w.forget(d.ID)
		log.LogAttrs(ctx, slog.LevelInfo, "sent")
		return outcomeSent, nil

	case !IsRetryable(err):
		w.observe(d, msg, ResultFailed)
		if merr := w.q.MarkFailed(mctx, d.ID, w.opts.Owner, attempt, storedError(err)); merr != nil {
			return outcomeFailed, fmt.Errorf("notify: delivery %d: mark failed: %w", d.ID, merr)
		}
		log.LogAttrs(ctx, slog.LevelError, "delivery failed", slog.String("reason", "permanent"),
			slog.String("error", err.Error()))
		return outcomeFailed, nil
	}

	// The window starts when the delivery was queued, or re-queued after
	// it failed (store.RequeueFailed): a delivery brought back gets a
	// whole new window, not a give-up at its first failure.
	from := d.RetryFrom
	if from.IsZero() {
		from = d.CreatedAt
	}
	deadline := from.Add(w.opts.RetryFor)
	if from.IsZero() { // the store always sets it; be safe anyway
		deadline = now.Add(w.opts.RetryFor)
	}
	if !now.Before(deadline) {
		w.observe(d, msg, ResultFailed)
		text := fmt.Sprintf("gave up after %d attempts in %s: %s", attempt, w.opts.RetryFor, err)
		if merr := w.q.MarkFailed(mctx, d.ID, w.opts.Owner, attempt, storedError(errors.New(text))); merr != nil {
			return outcomeFailed, fmt.Errorf("notify: delivery %d: mark failed: %w", d.ID, merr)
		}
		log.LogAttrs(ctx, slog.LevelError, "delivery failed", slog.String("reason", "retry window over"),
			slog.String("error", err.Error()))
		return outcomeFailed, nil
	}
	wait := RetryAfter(err)
	if wait <= 0 {
		wait = backoff(attempt, w.opts.BaseBackoff, w.opts.MaxBackoff, rand.Int64N)
	}
	// A last try at the end of the window, rather than none.
	next := now.Add(wait)
	if next.After(deadline) {
		next = deadline
	}
	w.observe(d, msg, ResultRetry)
	if merr := w.q.MarkRetry(mctx, d.ID, w.opts.Owner, attempt, next, storedError(err)); merr != nil {
		return outcomeRetry, fmt.Errorf("notify: delivery %d: mark retry: %w", d.ID, merr)
	}
	log.LogAttrs(ctx, slog.LevelWarn, "send failed, will retry",
		slog.Time("next_attempt", next), slog.String("error", err.Error()))
	return outcomeRetry, nil
}

// claimCovers reports whether d's claim lasts, from now, for a whole send
// (up to SendTimeout) and for recording its outcome.
func (w *Worker) claimCovers(d store.Delivery, now time.Time) bool {
	return !now.Add(w.opts.SendTimeout + w.recordMargin).After(d.ClaimedUntil)
}

// handBack returns a delivery this worker will not send now to the queue,
// due at once and without counting an attempt, so that it is claimed again
// (by this worker or another) with a fresh lease instead of waiting for
// this one to run out. note says why (noteShutdown, noteLease) and is kept
// as its last error; level is how loudly that is logged. If recording
// fails, the lease runs out and the delivery is claimed again then; either
// way it was not sent here.
func (w *Worker) handBack(mctx context.Context, log *slog.Logger, d store.Delivery, note string, level slog.Level) (outcome, error) {
	now := w.opts.Clock.Now()
	msg := handBackNote(note, d.LastError)
	if merr := w.q.MarkRetry(mctx, d.ID, w.opts.Owner, d.Attempts, now, storedError(errors.New(msg))); merr != nil {
		return outcomeHandedBack, fmt.Errorf("notify: delivery %d: hand back unsent: %w", d.ID, merr)
	}
	log.LogAttrs(mctx, level, "handed back unsent", slog.String("reason", note),
		slog.Time("claimed_until", d.ClaimedUntil))
	return outcomeHandedBack, nil
}

// handBackNote is the last error stored for a delivery handed back unsent:
// the reason, then the error of the last real attempt. Earlier notes are
// dropped so that hand-back after hand-back does not nest them.
func handBackNote(note, last string) string {
	for {
		cut := false
		for _, n := range []string{noteShutdown, noteLease} {
			if rest, ok := strings.CutPrefix(last, n); ok {
				last, cut = strings.TrimPrefix(rest, "; before that: "), true
			}
		}
		if !cut {
			break
		}
	}
	if last == "" {
		return note
	}
	return note + "; before that: " + last
}

// alreadySent reports whether d went out already, when, and where it
// landed if this worker sent it (the store keeps that once it is recorded).
func (w *Worker) alreadySent(d store.Delivery) (time.Time, Receipt, bool) {
	if d.Status == store.DeliverySent || !d.SentAt.IsZero() {
		if d.SentAt.IsZero() {
			return w.opts.Clock.Now(), Receipt{}, true
		}
		return d.SentAt, Receipt{}, true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.sent[d.ID]
	return r.at, r.rcpt, ok
}

// remember records that delivery id went out at at, landing at rcpt. At
// maxRemembered entries the oldest is dropped: it is the most likely to
// have been taken over, after its lease ran out, by a worker that recorded
// it. Entries are not dropped by age alone: while the store is down longer
// than a lease, this worker may be the one to claim the delivery again when
// it is back.
func (w *Worker) remember(id int64, at time.Time, rcpt Receipt) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.sent[id]; !ok && len(w.sent) >= maxRemembered {
		var oldest int64
		var oldestAt time.Time
		first := true
		for k, r := range w.sent {
			if first || r.at.Before(oldestAt) || r.at.Equal(oldestAt) && k < oldest {
				oldest, oldestAt, first = k, r.at, false
			}
		}
		delete(w.sent, oldest)
	}
	w.sent[id] = sentRecord{at: at, rcpt: rcpt}
}

func (w *Worker) forget(id int64) {
	w.mu.Lock()
	delete(w.sent, id)
	w.mu.Unlock()
}

func (w *Worker) observe(d store.Delivery, m Message, result string) {
	if w.opts.Observe == nil {
		return
	}
	ch := m.Channel
	if ch == "" {
		ch = d.Channel
	}
	w.opts.Observe(ch, result)
}

// storedError is the error text kept in the store: bounded, valid UTF-8.
// Senders already keep secrets out of it.
func storedError(err error) string {
	s := err.Error()
	if len(s) > maxErrorLen {
		s = s[:maxErrorLen]
		for !utf8.ValidString(s) && len(s) > 0 {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return strings.ToValidUTF8(s, "?")
}
