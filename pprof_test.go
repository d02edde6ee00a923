package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServePprofOnItsOwnLoopbackAddress starts serve with
// server.pprof_addr: the profiles answer there, and the public address
// does not serve them.
func TestServePprofOnItsOwnLoopbackAddress(t *testing.T) {
	t.Parallel()
	_, path := writeConfig(t)
	held := holdListeners(t)
	addr, pprofAddr := held.addr(t), held.addr(t)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	src := strings.Replace(string(b), `addr: "127.0.0.1:8080"`, `addr: "`+addr+`", pprof_addr: "`+pprofAddr+`"`, 1)
	require.Contains(t, src, pprofAddr)
	require.NoError(t, os.WriteFile(path, []byte(src), 0o600))

	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	a := newTestApp(io.Discard, &errb)
	a.listen = held.listen
	done := make(chan int, 1)
	go func() { done <- a.execute(ctx, []string{"serve", "--config", path}) }()
	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	waitHealthy(t, addr, done, &errb)

	code, body := get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "goroutine profile:")
	code, _ = get("http://" + addr + "/debug/pprof/")
	assert.Equal(t, http.StatusNotFound, code, "profiles are never on the public address")
	code, _ = get("http://" + pprofAddr + "/healthz")
	assert.Equal(t, http.StatusNotFound, code, "the pprof listener serves profiles only")

	cancel()
	select {
	case c := <-done:
		assert.Equal(t, exitOK, c, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	_, err = net.DialTimeout("tcp", pprofAddr, time.Second)
	assert.Error(t, err, "the pprof listener stops with serve")
}
