package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSimStopDoesNotWaitOnHeldConnections: stopping the built-in
// simulator must not wait for connections its client still holds: one
// dialed and never used (the transport keeps such a spare dial idle; the
// server sees it as new, and Shutdown waited 5 s for it to count as idle)
// and one with a request half sent. When stop returns, the server has
// closed both.
func TestSimStopDoesNotWaitOnHeldConnections(t *testing.T) {
	t.Parallel()
	s, err := startSim(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	require.NoError(t, err)
	addr := strings.TrimPrefix(s.url, "http://")

	// An answered request first, so the server is known to serve.
	resp, err := http.Get(s.url + "/")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	unused, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer unused.Close()
	half, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer half.Close()
	_, err = io.WriteString(half, "GET / HTTP/1.1\r\nHost: x\r\n") // no blank line: still sending
	require.NoError(t, err)

	stopped := make(chan struct{})
	go func() { s.stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("stop did not return")
	}
	for name, c := range map[string]net.Conn{"unused": unused, "half-sent request": half} {
		// Closed by stop itself, so the end of the stream is already
		// queued: the read ends at once with EOF (or a reset). A stop
		// that left the connection open (Shutdown returning at its
		// deadline) shows as a read timeout, well before the server's own
		// 10 s header timeout would close it.
		require.NoError(t, c.SetReadDeadline(time.Now().Add(3*time.Second)))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		assert.False(t, errors.As(err, &ne) && ne.Timeout(), "%s: still open after stop: %v", name, err)
		assert.Error(t, err, name)
	}
}
