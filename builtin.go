package main

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// builtinSim serves the built-in simulator (livechat.base_url: builtin) on a
// loopback port, so this process's own client speaks real HTTP to it.
type builtinSim struct {
	srv    *http.Server
	served chan struct{}
	url    string
}

// startSim serves h on a free loopback port until stop.
func startSim(h http.Handler) (*builtinSim, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("livechat-digest: simulator: %w", err)
	}
	s := &builtinSim{
		srv:    &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		served: make(chan struct{}),
		url:    "http://" + l.Addr().String(),
	}
	go func() { defer close(s.served); _ = s.srv.Serve(l) }()
	return s, nil
}

// stop closes the server and every connection to it at once, and returns
// when it has stopped serving.
//
// It must not wait for connections to go idle (http.Server.Shutdown): the
// client's transport dials a connection for a request that then goes out
// on another one that came free first, and keeps the spare dial in its
// idle pool. That connection never carried a request, so to the server it
// is new, not idle, and Shutdown treats it as idle only once it is 5 s
// old: the intermittent 5 s stall of `run --dry-run`. stop is called only
// once the client's users are done (the last closer of a command), so no
// answer is cut short.
func (s *builtinSim) stop() {
	_ = s.srv.Close()
	<-s.served
}
