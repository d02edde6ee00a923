package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/query"
)

// serveReal serves e's routes the way serve does: HTTPServer behind
// LimitListener, on a loopback port. It returns the address.
func serveReal(t *testing.T, e *env, mod func(*http.Server)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := e.srv.HTTPServer()
	if mod != nil {
		mod(hs)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = hs.Serve(LimitListener(l)) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = hs.Close()
		<-done
	})
	return l.Addr().String()
}

// slowBody opens a connection and sends a signed slash command's headers
// and the first bytes of its body, then nothing more: a slow-loris client.
func slowBody(t *testing.T, addr string, body []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ts := time.Now().Unix()
	_, err = fmt.Fprintf(c, "POST /slack/commands HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: %d\r\nX-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: %s\r\n\r\n%s",
		addr, len(body), ts, signature(testSecret, ts, body), body[:10])
	require.NoError(t, err)
	return c
}

// cutOff reads what the server does with a stalled connection: an error
// status or a close. The deadline is a hang guard only: before the body
// deadline existed, nothing ever came.
func cutOff(t *testing.T, c net.Conn) string {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(30*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		var ne net.Error
		require.False(t, assert.ErrorAs(t, err, &ne) && ne.Timeout(), "the server still holds the connection: %v", err)
		return "closed"
	}
	defer resp.Body.Close()
	return strconv.Itoa(resp.StatusCode)
}

// A client that sends headers and then trickles (here: stops sending) its
// body is cut off at the body deadline, and the connection is not held;
// meanwhile normal commands are served.
func TestSlashSlowBodyIsCutOff(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
		return weekDigest("report"), nil
	}}
	e := newEnv(t, ans, func(o *Options) { o.BodyTimeout = 200 * time.Millisecond })
	addr := serveReal(t, e, nil)
	body := []byte(slashForm("report chats", e.hook.responseURL()).Encode())

	slow := make([]net.Conn, 20)
	for i := range slow {
		slow[i] = slowBody(t, addr, body)
	}
	// A normal command on its own connection is acknowledged meanwhile.
	req := signedRequest(t, "http://"+addr, testSecret, time.Now(), body)
	status, ack := e.send(t, req)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, ack.Text, "Working on it")

	for _, c := range slow {
		got := cutOff(t, c)
		assert.Contains(t, []string{"400", "closed"}, got)
	}
	e.settle(t)
	assert.Equal(t, int32(1), ans.calls.Load(), "only the complete command was answered")
}

// The same holds without the body deadline: the server's own ReadTimeout
// ends a request whose body never completes. HTTPServer sets every timeout.
func TestHTTPServerTimeouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &fakeAnswerer{}, nil)
	hs := e.srv.HTTPServer()
	assert.Equal(t, ReadHeaderTimeout, hs.ReadHeaderTimeout)
	assert.Equal(t, ReadTimeout, hs.ReadTimeout)
	assert.Equal(t, WriteTimeout, hs.WriteTimeout)
	assert.Equal(t, IdleTimeout, hs.IdleTimeout)
	assert.NotNil(t, hs.ErrorLog)

	// A stalled body under a short server ReadTimeout and a long handler
	// deadline: the server's timeout wins.
	e2 := newEnv(t, &fakeAnswerer{}, func(o *Options) { o.BodyTimeout = time.Hour })
	addr := serveReal(t, e2, func(hs *http.Server) { hs.ReadTimeout = 200 * time.Millisecond })
	c := slowBody(t, addr, []byte(slashForm("report chats", e2.hook.responseURL()).Encode()))
	assert.Contains(t, []string{"400", "closed"}, cutOff(t, c))
}

// 1,000 slash commands whose connections are all open at once are all
// accepted: the connection bound is far above that. Each client holds its
// body back until the server has accepted every connection, so a bound
// below 1,000 would leave the test waiting (the hang guard fails it).
func TestThousandConcurrentSlashCommandsAreAccepted(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 sockets")
	}
	t.Parallel()
	const n = 1000
	ans := &fakeAnswerer{report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
		return weekDigest("report"), nil
	}}
	// No deadline may end a held body early, however loaded the machine.
	e := newEnv(t, ans, func(o *Options) { o.BodyTimeout = time.Hour })
	var accepted atomic.Int32
	all := make(chan struct{})
	addr := serveReal(t, e, func(hs *http.Server) {
		hs.ReadTimeout = 0
		hs.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew && accepted.Add(1) == n {
				close(all)
			}
		}
	})
	var wg sync.WaitGroup
	var ok atomic.Int32
	for i := range n {
		body := []byte(slashForm("report chats", e.hook.responseURL()).Encode() + "&trigger_id=" + strconv.Itoa(i))
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		ts := time.Now().Unix()
		_, err = fmt.Fprintf(c, "POST /slack/commands HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
			"Content-Length: %d\r\nX-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: %s\r\n\r\n",
			len(body), ts, signature(testSecret, ts, body))
		require.NoError(t, err)
		wg.Go(func() {
			select {
			case <-all:
			case <-time.After(60 * time.Second): // hang guard
				return
			}
			if _, err := c.Write(body); err != nil {
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int32(n), accepted.Load(), "connections accepted while all were open")
	assert.Equal(t, int32(n), ok.Load(), "commands acknowledged")
	e.settle(t)
}

// A signed request sent twice within its window is acknowledged quietly the
// second time (an empty 200) and does no work; a different request is
// answered as usual. Refusals of any kind log nothing above debug.
func TestSlashReplayIsIgnored(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
		return weekDigest("report"), nil
	}}
	var logs lockedBuffer
	e := newEnv(t, ans, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	body := []byte(slashForm("report chats", e.hook.responseURL()).Encode())
	now := time.Now()

	status, ack := e.send(t, signedRequest(t, e.http.URL, testSecret, now, body))
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, ack.Text, "Working on it")
	for i := range 3 {
		r := signedRequest(t, e.http.URL, testSecret, now, body)
		if i == 2 {
			// The hex of the signature in upper case still verifies,
			// and is still the same request.
			r.Header.Set("X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0=")))
		}
		status, ack = e.send(t, r)
		assert.Equal(t, http.StatusOK, status)
		assert.Empty(t, ack.Text, "a replay gets an empty acknowledgement (%d)", i)
	}
	// Another request with the same text is a new command.
	other := []byte(slashForm("report chats", e.hook.responseURL()).Encode() + "&trigger_id=2")
	status, ack = e.send(t, signedRequest(t, e.http.URL, testSecret, now, other))
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, ack.Text, "Working on it")

	// Refused signatures are counted, not logged at info.
	for range 5 {
		r := signedRequest(t, e.http.URL, "wrong-secret", now, body)
		status, _ = e.send(t, r)
		assert.Equal(t, http.StatusUnauthorized, status)
	}
	e.settle(t)
	assert.Equal(t, int32(2), ans.calls.Load(), "the replays did no work")
	assert.Equal(t, int32(2), e.hook.count.Load())
	assert.Equal(t, 3.0, testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultReplayed)))
	assert.Equal(t, 5.0, testutil.ToFloat64(e.metrics.slashCommands.WithLabelValues(ResultUnauthorized)))
	assert.NotContains(t, logs.String(), "refused")
	assert.NotContains(t, logs.String(), "replayed")
}

func TestReplaysAreBounded(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	r := newReplays(3)
	for i := range 5 {
		assert.True(t, r.first("sig"+strconv.Itoa(i), t0, t0))
	}
	assert.LessOrEqual(t, r.len(), 3, "never more than max")
	assert.False(t, r.first("sig4", t0, t0), "the newest are kept")
	assert.True(t, r.first("sig0", t0, t0), "the oldest were forgotten first")

	// After its window a signature is forgotten (slack-go refuses the
	// request by then anyway).
	r = newReplays(100)
	assert.True(t, r.first("a", t0, t0))
	assert.False(t, r.first("a", t0, t0.Add(signatureWindow-time.Second)))
	assert.True(t, r.first("b", t0.Add(signatureWindow), t0.Add(signatureWindow)))
	assert.Equal(t, 1, r.len(), "a was pruned")
}

// A user's own text comes back to them in the ack and in help without
// control characters or bidi overrides.
func TestSlashEchoIsCleaned(t *testing.T) {
	t.Parallel()
	ans := &fakeAnswerer{report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
		return weekDigest("report"), nil
	}}
	e := newEnv(t, ans, nil)
	for _, text := range []string{
		"report chats tag=v\u202eip\x07\x00",
		"report chats tag=a\u202eb",
		"report nosuch\u2066report\x1b[2J",
	} {
		status, m := e.command(t, text)
		require.Equal(t, http.StatusOK, status)
		for _, bad := range []string{"\u202e", "\u2066", "\x07", "\x00", "\x1b"} {
			assert.NotContains(t, m.Text, bad, "%q", text)
		}
	}
	e.settle(t)
}
