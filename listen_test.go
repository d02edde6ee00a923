package main

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// heldListeners are loopback listeners a test holds from the moment their
// port is chosen until serve takes them over (app.listen). A port found by
// opening a listener, closing it and writing its address into the config
// stays free until serve listens, seconds later on a loaded machine: any
// other process's server can take it, and serve then fails to listen while
// the test polls, or answers, a server that is not its own.
type heldListeners struct {
	mu sync.Mutex
	by map[string]net.Listener // by the address serve asks for
}

func holdListeners(t *testing.T) *heldListeners {
	t.Helper()
	h := &heldListeners{by: map[string]net.Listener{}}
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, l := range h.by {
			_ = l.Close() // never taken: serve failed before listening
		}
	})
	return h
}

// addr holds a new listener and returns its address, for the config:
// serve gets the listener when it asks for that address.
func (h *heldListeners) addr(t *testing.T) string {
	t.Helper()
	return h.serveAs(t, "")
}

// serveAs holds a new listener that serve gets when it asks for cfgAddr
// (its own address when empty) and returns the listener's address. A
// restarted serve whose config names the address its predecessor closed
// gets a fresh port this way instead of racing for the old one.
func (h *heldListeners) serveAs(t *testing.T, cfgAddr string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	if cfgAddr == "" {
		cfgAddr = addr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.by[cfgAddr]; ok {
		_ = old.Close()
	}
	h.by[cfgAddr] = l
	return addr
}

// listen is app.listen: the listener held for addr, once.
func (h *heldListeners) listen(network, addr string) (net.Listener, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.by[addr]
	if !ok || network != "tcp" {
		return nil, fmt.Errorf("test: serve asked for %s %s, which the test does not hold", network, addr)
	}
	delete(h.by, addr)
	return l, nil
}

// waitHealthy polls serve's /healthz at addr until it answers 200. A serve
// that exits first (done) fails the test at once with its exit code and
// logs; the minute only bounds a hang.
func waitHealthy(t *testing.T, addr string, done chan int, logs fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case code := <-done:
			done <- code // for the test's own wait
			t.Fatalf("serve exited %d before /healthz answered 200; its log:\n%s", code, logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve at %s did not answer /healthz with 200 within a minute; its log:\n%s", addr, logs)
		}
	}
}
