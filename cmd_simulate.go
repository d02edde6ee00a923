package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"livechat-digest/livechat/sim"
)

func (a *app) simulateCmd() *cobra.Command {
	var (
		addr, faults, login, key    string
		bearer, deprecation, legacy string
		seed                        int64
		latency                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Serve the built-in LiveChat Reports API simulator",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs, err := sim.ParseFaults(faults)
			if err != nil {
				return usageErr("livechat-digest: --fault: %v", err)
			}
			s, err := sim.New(sim.Options{Seed: seed, Login: login, APIKey: key, Latency: latency, Faults: fs,
				BearerToken: bearer, Deprecation: deprecation, Legacy: legacy})
			if err != nil {
				return usageErr("livechat-digest: %v", err)
			}
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return failed(fmt.Errorf("livechat-digest: listen %s: %w", addr, err))
			}
			fmt.Fprintf(a.stdout, "LiveChat Reports API simulator on http://%s (seed %d, login %s; v2 at /reports/, v3.6 at /v3.6/reports/)\n", l.Addr(), seed, login)
			return serveUntilDone(cmd.Context(), &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}, l)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8081", "listen address")
	f.Int64Var(&seed, "seed", 1, "data seed: the same seed gives the same numbers")
	f.DurationVar(&latency, "latency", 0, "added to every answer, e.g. 50ms")
	f.StringVar(&faults, "fault", "", `faults to inject, e.g. "5xx:0.1,429:0.05:retry=2s,timeout:0.02:delay=40s,malformed:first=1"`)
	f.StringVar(&login, "login", "demo@example.com", "basic auth login it accepts (v3.6: the account ID)")
	f.StringVar(&key, "api-key", "demo-key", "basic auth API key it accepts (v3.6: the personal access token)")
	f.StringVar(&bearer, "oauth-token", "", "an OAuth token v3.6 also accepts as Bearer")
	f.StringVar(&deprecation, "deprecation", "", "send a Deprecation: DATE header on every answer, e.g. 2026-09-30")
	f.StringVar(&legacy, "legacy", "", "send a Legacy: DATE header on every answer")
	return cmd
}

// serveUntilDone serves on l until ctx is cancelled, then shuts down within
// ten seconds.
func serveUntilDone(ctx context.Context, srv *http.Server, l net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return failed(fmt.Errorf("livechat-digest: serve: %w", err))
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return failed(fmt.Errorf("livechat-digest: shutdown: %w", err))
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return failed(fmt.Errorf("livechat-digest: serve: %w", err))
	}
	return nil
}
