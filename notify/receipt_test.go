package notify

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/store"
)

// receiptFails is the real store whose MarkSentReceipt fails the first
// fail times: the database went away just after a Slack post went out.
type receiptFails struct {
	*store.Store
	mu   sync.Mutex
	fail int
}

func (q *receiptFails) MarkSentReceipt(ctx context.Context, id int64, owner string, now time.Time, channel, ts string) error {
	q.mu.Lock()
	if q.fail > 0 {
		q.fail--
		q.mu.Unlock()
		return errors.New("fake: database is locked")
	}
	q.mu.Unlock()
	return q.Store.MarkSentReceipt(ctx, id, owner, now, channel, ts)
}

// TestWorkerRecordsTheReceiptOfASendItCouldNotRecord: a Slack post went
// out but recording it failed; when the delivery comes back after its
// lease, the worker records it without sending it again, and with the
// channel and ts Slack answered, so a later resolve can update the post.
func TestWorkerRecordsTheReceiptOfASendItCouldNotRecord(t *testing.T) {
	t.Parallel()
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	q := &receiptFails{Store: st, fail: 1}
	peer := newSlackPeer(t)
	clock := clockwork.NewFakeClockAt(firing)
	env := newWorkerEnv(t, q, map[string]Sender{ChannelSlack: slackSender(t, peer)}, "w1", clock)
	const key = "frt|2026-11-23T14:00Z|alert|post|slack:#support"
	payload, err := Encode(sampleSlack())
	require.NoError(t, err)
	_, err = st.Enqueue(t.Context(), []store.Delivery{{Key: key, Job: "frt", FiringAt: firing, Kind: "alert",
		Channel: ChannelSlack, Target: "#support", Payload: payload, CreatedAt: firing}})
	require.NoError(t, err)

	_, err = env.w.RunOnce(t.Context())
	require.ErrorContains(t, err, "sent, but mark sent")
	clock.Advance(time.Minute + time.Second) // the claim runs out; the store hands it back
	require.Equal(t, 1, runOnce(t, env.w))

	assert.Equal(t, 1, peer.count(), "posted once")
	rs, err := st.Receipts(t.Context(), []string{key})
	require.NoError(t, err)
	assert.Equal(t, store.Receipt{Key: key, Status: store.DeliverySent, SlackChannel: "C1", SlackTS: "1700000000.000100"}, rs[key])
}
