package notify

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/store"
)

// sendRecord is one message that went out, and which worker sent it.
type sendRecord struct {
	owner, messageID string
}

// slowLine stands between the workers and a real SMTP sender and makes
// every send take `took` on the fake clock. In driven mode a send waits
// until drive has advanced the clock and let it go, so exactly one send is
// in flight and the test decides what other workers do meanwhile; in
// instant mode (a competitor polling during that send) it goes straight
// through.
type slowLine struct {
	clock   *clockwork.FakeClock
	took    time.Duration
	next    Sender
	entered chan chan struct{}

	mu      sync.Mutex
	instant bool
	sent    []sendRecord
}

func (l *slowLine) sender(owner string) Sender {
	return SenderFunc(func(ctx context.Context, m Message) error {
		l.mu.Lock()
		instant := l.instant
		l.mu.Unlock()
		if !instant {
			release := make(chan struct{})
			select {
			case l.entered <- release:
			case <-ctx.Done():
				return ctx.Err()
			}
			<-release
		}
		if err := l.next.Send(ctx, m); err != nil {
			return err
		}
		l.mu.Lock()
		l.sent = append(l.sent, sendRecord{owner, m.Email.MessageID})
		l.mu.Unlock()
		return nil
	})
}

func (l *slowLine) setInstant(v bool) {
	l.mu.Lock()
	l.instant = v
	l.mu.Unlock()
}

func (l *slowLine) records() []sendRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sent)
}

// drive runs one round of w. Each of its sends takes l.took, and while it
// is in flight (the clock already advanced) the competitor polls the
// queue, as another replica would.
func (l *slowLine) drive(t *testing.T, w, competitor *Worker) int {
	t.Helper()
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := w.RunOnce(t.Context())
		done <- result{n, err}
	}()
	for {
		select {
		case release := <-l.entered:
			l.clock.Advance(l.took)
			l.setInstant(true)
			_, err := competitor.RunOnce(t.Context())
			l.setInstant(false)
			close(release)
			require.NoError(t, err, "competitor")
		case r := <-done:
			// Not fatal: the duplicates it implies are counted below.
			assert.NoError(t, r.err, "a worker lost a claim it was still using")
			return r.n
		}
	}
}

// messageIDs reads the Message-Id header of every message the SMTP peer
// accepted, in order.
func messageIDs(t *testing.T, peer *smtpPeer) []string {
	t.Helper()
	var ids []string
	for _, raw := range peer.messages() {
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		require.NoError(t, err)
		ids = append(ids, m.Header.Get("Message-Id"))
	}
	return ids
}

func leaseWorker(t *testing.T, q Queue, s Sender, owner string, clock clockwork.Clock, opts WorkerOptions) *Worker {
	t.Helper()
	opts.Owner, opts.Clock = owner, clock
	w, err := NewWorker(q, map[string]Sender{ChannelEmail: s}, opts)
	require.NoError(t, err)
	return w
}

// TestWorkerClaimRunsOutMidBatchSQLite: two workers share a real store;
// sends take 30s each, so one claim (2m) covers only the first few of a
// batch. A worker must never send once its claim may have passed to the
// other: it hands the rest back and whoever claims them next sends them.
// Every message goes out exactly once, counted by Message-ID at the SMTP
// server, and each target's messages keep their order.
func TestWorkerClaimRunsOutMidBatchSQLite(t *testing.T) {
	t.Parallel()
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	peer := newSMTPPeer(t, smtpPeerConfig{})
	clock := clockwork.NewFakeClockAt(firing)
	line := &slowLine{clock: clock, took: 30 * time.Second, next: smtpSender(t, peer, ""),
		entered: make(chan chan struct{})}
	// Concurrency 1: one send in flight per worker, so the test knows when
	// each one starts and ends.
	opts := WorkerOptions{Lease: 2 * time.Minute, SendTimeout: 30 * time.Second, Batch: 20, Concurrency: 1}
	w1 := leaseWorker(t, st, line.sender("w1"), "w1", clock, opts)
	w2 := leaseWorker(t, st, line.sender("w2"), "w2", clock, opts)

	// Two targets, five messages each, enqueued interleaved: a1 b1 a2 b2 …
	var ds []store.Delivery
	keyOf := map[string]string{} // Message-ID → key
	for i := 1; i <= 5; i++ {
		for _, to := range []string{"a", "b"} {
			key := fmt.Sprintf("%s%d", to, i)
			m := sampleEmail()
			m.Email.To = []string{to + "@example.com"}
			m.Email.MessageID = MessageID("weekly-support", firing, key, "reports@example.com")
			payload, err := Encode(m)
			require.NoError(t, err)
			keyOf["<"+m.Email.MessageID+">"] = key
			keyOf[m.Email.MessageID] = key
			ds = append(ds, store.Delivery{Key: key, Job: "weekly-support", FiringAt: firing, Kind: "digest",
				Channel: ChannelEmail, Target: m.Target(), Payload: payload, CreatedAt: firing})
		}
	}
	n, err := st.Enqueue(t.Context(), ds)
	require.NoError(t, err)
	require.Equal(t, 10, n)

	// w1's claim runs to firing+2m; with 30s per send and 5s kept to record
	// the outcome, its sends start at +0, +30s and +60s. At +90s a send could
	// still run at +2m, when w2 may claim the delivery: hand back.
	require.Equal(t, 10, line.drive(t, w1, w2))
	assert.Equal(t, firing.Add(90*time.Second), clock.Now())
	all, err := st.Deliveries(t.Context(), store.DeliveryFilter{Job: "weekly-support"})
	require.NoError(t, err)
	for _, d := range all {
		if d.Status == store.DeliverySent {
			continue
		}
		assert.Equal(t, store.DeliveryQueued, d.Status, d.Key)
		assert.Equal(t, 0, d.Attempts, "%s: handing back is not an attempt", d.Key)
		assert.True(t, d.NextAttemptAt.Equal(clock.Now()), "%s: due at once, got %s", d.Key, d.NextAttemptAt)
		assert.Equal(t, noteLease, d.LastError, d.Key)
		assert.Empty(t, d.ClaimedBy, d.Key)
	}

	// Then the workers take turns, each polling during the other's sends,
	// until neither finds anything.
	ws := []*Worker{w2, w1}
	for i, idle := 0, 0; idle < 2; i++ {
		require.Less(t, i, 20, "no progress")
		if line.drive(t, ws[i%2], ws[(i+1)%2]) == 0 {
			idle++
		} else {
			idle = 0
		}
	}

	var got []string
	for _, r := range line.records() {
		got = append(got, r.owner+":"+keyOf[r.messageID])
	}
	// w2 claims the seven at +90s (until +210s), b1 first by id: b1 b2 b3,
	// then at +180s hands back b4 b5 and, to keep a's order behind them,
	// a4 a5 too; w1 claims those (until +300s): a4 a5 b4, hands back b5;
	// w2 sends b5.
	assert.Equal(t, []string{
		"w1:a1", "w1:a2", "w1:a3",
		"w2:b1", "w2:b2", "w2:b3",
		"w1:a4", "w1:a5", "w1:b4",
		"w2:b5",
	}, got)

	// At the SMTP server: every Message-ID once, per target in order.
	count := map[string]int{}
	var perTarget = map[byte][]string{}
	for _, id := range messageIDs(t, peer) {
		key := keyOf[id]
		require.NotEmpty(t, key, "unknown Message-Id %q", id)
		count[key]++
		perTarget[key[0]] = append(perTarget[key[0]], key)
	}
	for _, d := range ds {
		assert.Equal(t, 1, count[d.Key], "%s sent %d times", d.Key, count[d.Key])
	}
	assert.Equal(t, []string{"a1", "a2", "a3", "a4", "a5"}, perTarget['a'])
	assert.Equal(t, []string{"b1", "b2", "b3", "b4", "b5"}, perTarget['b'])

	all, err = st.Deliveries(t.Context(), store.DeliveryFilter{Job: "weekly-support"})
	require.NoError(t, err)
	require.Len(t, all, 10)
	for _, d := range all {
		assert.Equal(t, store.DeliverySent, d.Status, d.Key)
		assert.Equal(t, 1, d.Attempts, "%s: one attempt, the one that sent it", d.Key)
		assert.Empty(t, d.LastError, d.Key)
	}
}

// TestWorkerSlowBatchAcrossTargets is the case from the review: 20
// recipients, 30s per message, 4 targets at a time, a 2m claim. Sends
// wait on the fake clock, and the test advances it once all four in flight
// are waiting. Only two rounds fit in one claim (a send may take the
// default SendTimeout, 1m); the other twelve are handed back and sent by
// the next claimant.
func TestWorkerSlowBatchAcrossTargets(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{})
	next := smtpSender(t, peer, "")
	q := newFakeQueue()
	clock := clockwork.NewFakeClockAt(firing)
	var (
		mu      sync.Mutex
		sentBy  = map[string]string{} // Message-ID → owner
		ordered []string
	)
	slow := func(owner string) Sender {
		return SenderFunc(func(ctx context.Context, m Message) error {
			select {
			case <-clock.After(30 * time.Second):
			case <-ctx.Done():
				return ctx.Err()
			}
			if err := next.Send(ctx, m); err != nil {
				return err
			}
			mu.Lock()
			sentBy[m.Email.MessageID] = owner
			ordered = append(ordered, m.Email.MessageID)
			mu.Unlock()
			return nil
		})
	}
	opts := WorkerOptions{Lease: 2 * time.Minute, Batch: 20, Concurrency: 4}
	w1 := leaseWorker(t, q, slow("w1"), "w1", clock, opts)
	w2 := leaseWorker(t, q, slow("w2"), "w2", clock, opts)

	ids := map[string]int{} // Message-ID → recipient number
	for i := 1; i <= 20; i++ {
		m := sampleEmail()
		m.Email.To = []string{fmt.Sprintf("agent%02d@example.com", i)}
		m.Email.MessageID = MessageID("weekly-support", firing, m.Target(), "reports@example.com")
		ids[m.Email.MessageID] = i
		q.add(t, m, firing)
	}

	// round runs w once, advancing the clock 30s whenever four sends wait.
	round := func(w *Worker) int {
		guard, cancel := context.WithTimeout(t.Context(), time.Minute) // only against a hang
		defer cancel()
		running, finished := context.WithCancel(guard)
		defer finished()
		type result struct {
			n   int
			err error
		}
		done := make(chan result, 1)
		go func() {
			n, err := w.RunOnce(t.Context())
			done <- result{n, err}
			finished()
		}()
		for clock.BlockUntilContext(running, 4) == nil {
			clock.Advance(30 * time.Second)
		}
		select {
		case r := <-done:
			require.NoError(t, r.err)
			return r.n
		case <-guard.Done():
			t.Fatal("sends never reached four in flight")
			return 0
		}
	}

	require.Equal(t, 20, round(w1))
	assert.Equal(t, firing.Add(time.Minute), clock.Now())
	for id := int64(9); id <= 20; id++ {
		d := q.get(id)
		assert.Equal(t, store.DeliveryQueued, d.Status, id)
		assert.Equal(t, 0, d.Attempts, id)
		assert.Equal(t, clock.Now(), d.NextAttemptAt, id)
	}
	require.Equal(t, 12, round(w2)) // claims at +1m: sends 8, hands back 4
	require.Equal(t, 4, round(w1))  // claims at +2m: sends the last 4
	assert.Equal(t, 0, round(w2))
	assert.Equal(t, 0, round(w1))

	mu.Lock()
	defer mu.Unlock()
	for id, i := range ids {
		want := "w1"
		if i > 8 && i <= 16 {
			want = "w2"
		}
		assert.Equal(t, want, sentBy[id], "recipient %d", i)
	}
	count := map[string]int{}
	for _, id := range messageIDs(t, peer) {
		count[id]++
	}
	require.Len(t, count, 20)
	for id, n := range count {
		assert.Equal(t, 1, n, "%s sent %d times", id, n)
	}
	for id := int64(1); id <= 20; id++ {
		d := q.get(id)
		assert.Equal(t, store.DeliverySent, d.Status, id)
		assert.Equal(t, 1, d.Attempts, id)
	}
}

func TestNewWorkerSendTimeoutFitsLease(t *testing.T) {
	t.Parallel()
	ok := map[string]Sender{ChannelSlack: SenderFunc(func(context.Context, Message) error { return nil })}
	tests := []struct {
		lease, send, want time.Duration
	}{
		{2 * time.Minute, 0, time.Minute},
		{2 * time.Minute, 30 * time.Second, 30 * time.Second},
		{2 * time.Minute, 2 * time.Minute, time.Minute}, // else a fresh claim could never send
		{2 * time.Minute, time.Hour, time.Minute},
	}
	for _, tt := range tests {
		w, err := NewWorker(newFakeQueue(), ok, WorkerOptions{Owner: "w", Lease: tt.lease, SendTimeout: tt.send})
		require.NoError(t, err)
		assert.Equal(t, tt.want, w.opts.SendTimeout, "lease %s, send timeout %s", tt.lease, tt.send)
		assert.True(t, w.claimCovers(store.Delivery{ClaimedUntil: firing.Add(tt.lease)}, firing),
			"a fresh claim covers one send")
	}
}

func TestHandBackNote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, note, last, want string
	}{
		{"first", noteLease, "", noteLease},
		{"keeps the real error", noteLease, "dial tcp: connection refused",
			noteLease + "; before that: dial tcp: connection refused"},
		{"does not nest", noteLease, noteLease + "; before that: 451 try later",
			noteLease + "; before that: 451 try later"},
		{"replaces the other note", noteShutdown, noteLease + "; before that: " + noteShutdown + "; before that: x",
			noteShutdown + "; before that: x"},
		{"only notes", noteShutdown, noteLease, noteShutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, handBackNote(tt.note, tt.last))
		})
	}
}
