package server

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// Limits of the HTTP server serve runs. A client that is slow on purpose
// (slow-loris: headers or a body trickled a byte at a time) holds one
// connection for at most ReadTimeout, never longer; the slash handler cuts a
// body off sooner (Options.BodyTimeout).
const (
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout = 30 * time.Second
	// WriteTimeout bounds a handler and its answer. The slowest route is
	// /healthz, whose store ping is bounded at 5 s.
	WriteTimeout = 30 * time.Second
	// IdleTimeout closes keep-alive connections nobody uses.
	IdleTimeout = 2 * time.Minute
	// MaxConns bounds the connections served at once, so a flood of slow
	// clients runs into this limit rather than the file descriptor limit.
	// Slack sends each slash command on its own connection; 1,000 at once
	// stay far below it, and excess connections wait in the kernel's
	// accept queue rather than being refused.
	MaxConns = 4096
	// DefaultBodyTimeout bounds reading a slash command's body. Slack sends
	// its few hundred bytes at once and wants the ack within 3 s.
	DefaultBodyTimeout = 5 * time.Second
)

// HTTPServer returns an http.Server for s's routes with the limits above.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		// Accept and protocol errors of single connections are noise at
		// the default level; the log package default would be stderr.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// LimitListener wraps l so that at most MaxConns connections are open at
// once; Accept waits for one to close beyond that.
func LimitListener(l net.Listener) net.Listener { return netutil.LimitListener(l, MaxConns) }
