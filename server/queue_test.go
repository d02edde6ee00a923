package server

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/query"
)

// blockingAnswerer answers reports only when release is closed, and counts
// how many answers are being computed at once.
type blockingAnswerer struct {
	release          chan struct{}
	running, maxSeen atomic.Int32
	started          chan struct{}
}

func newBlockingAnswerer() *blockingAnswerer {
	return &blockingAnswerer{release: make(chan struct{}), started: make(chan struct{}, 100)}
}

func (b *blockingAnswerer) answerer() *fakeAnswerer {
	return &fakeAnswerer{report: func(ctx context.Context, _ query.Command, _ time.Time) (*digest.Digest, error) {
		n := b.running.Add(1)
		defer b.running.Add(-1)
		for {
			m := b.maxSeen.Load()
			if n <= m || b.maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		b.started <- struct{}{}
		select {
		case <-b.release:
			return weekDigest("report"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
}

// TestAnswersQueueBehindBoundedWorkers: the acks of commands come back at
// once while every worker is busy; at most AnswerWorkers answers are
// computed at a time, AnswerQueue more wait, and a command beyond that is
// refused as busy rather than queued without bound. Every accepted command
// gets its answer.
func TestAnswersQueueBehindBoundedWorkers(t *testing.T) {
	t.Parallel()
	b := newBlockingAnswerer()
	e := newEnv(t, b.answerer(), func(o *Options) { o.AnswerWorkers, o.AnswerQueue = 2, 3 })

	// 2 computing + 3 waiting: every ack comes back while no answer can
	// finish.
	for i := range 5 {
		code, m := e.command(t, "report chats last week")
		require.Equal(t, http.StatusOK, code)
		require.True(t, strings.HasPrefix(m.Text, "Working on it"), "command %d: %q", i, m.Text)
		if i < 2 {
			<-b.started // a worker took it off the queue
		}
	}
	code, m := e.command(t, "report chats last week")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, m.Text, "Too many commands are waiting")
	assert.Equal(t, 1.0, testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultBusy)))
	assert.Equal(t, int32(2), b.running.Load())

	close(b.release)
	for range 5 {
		p := e.hook.next(t)
		assert.Equal(t, "in_channel", p.ResponseType)
	}
	e.settle(t)
	assert.Equal(t, int32(2), b.maxSeen.Load(), "never more answers at once than workers")
	assert.Equal(t, int32(5), e.hook.count.Load())
	assert.Equal(t, 5.0, testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultOK)))
}

// TestWaitAnswersWhatIsQueued: shutdown posts the answers still waiting in
// the queue, not only those being computed.
func TestWaitAnswersWhatIsQueued(t *testing.T) {
	t.Parallel()
	b := newBlockingAnswerer()
	e := newEnv(t, b.answerer(), func(o *Options) { o.AnswerWorkers, o.AnswerQueue = 1, 10 })
	for range 4 {
		code, _ := e.command(t, "report chats last week")
		require.Equal(t, http.StatusOK, code)
	}
	<-b.started
	waited := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		e.srv.Wait(ctx)
		close(waited)
	}()
	// Once Wait began, a new command is told to retry; one that came
	// before (the goroutine above may not have begun yet) was queued and
	// acknowledged, and is answered like the first four.
	acked := int32(4)
	require.Eventually(t, func() bool {
		_, m := e.command(t, "report chats last week")
		if strings.Contains(m.Text, "Working on it") {
			acked++
		}
		return strings.Contains(m.Text, "restarting")
	}, 10*time.Second, time.Millisecond)
	close(b.release)
	<-waited
	assert.Equal(t, acked, e.hook.count.Load(), "every acknowledged command was answered")
}
