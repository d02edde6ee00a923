package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"livechat-digest/server"
)

// servePprof serves the profiles (server.Profiles) on addr, the loopback
// address of server.pprof_addr, until the returned stop is called; listen
// opens it (net.Listen but in tests). An empty addr serves nothing.
func servePprof(addr string, listen func(network, addr string) (net.Listener, error), log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	l, err := listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("livechat-digest: listen server.pprof_addr %s: %w", addr, err)
	}
	// No WriteTimeout: a CPU profile or trace streams for its ?seconds=.
	srv := &http.Server{Handler: server.Profiles(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("pprof listener stopped", "err", err)
		}
	}()
	log.Info("serving profiles", "pprof_addr", l.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}
