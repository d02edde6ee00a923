package livechat

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// An answer over the 8 MiB the client reads is an error that names the
// endpoint and the cap, and is not retried: the same request would get the
// same answer.
func TestAnswerOverTheCapIsNotRetried(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	huge := append([]byte(`{"2026-11-16":{"total_chats":1},"x":"`), bytes.Repeat([]byte("x"), maxBody)...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = w.Write(huge)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "me", "key", WithRetry(4, time.Millisecond, time.Millisecond), WithRateLimit(rate.Inf, 1))
	require.NoError(t, err)
	_, err = c.TotalChats(context.Background(), Query{From: Date{2026, 11, 16}, To: Date{2026, 11, 16}})
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrTooLarge), "%v", err)
	assert.Contains(t, err.Error(), "chats/total_chats")
	assert.Contains(t, err.Error(), "larger than 8 MiB")
	assert.Contains(t, err.Error(), "after 1 try")
	assert.Equal(t, int32(1), requests.Load(), "not retried")
}
