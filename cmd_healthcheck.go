package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// healthTimeout bounds the whole check: /healthz itself gives the store
// 5 s.
const healthTimeout = 8 * time.Second

// healthcheckCmd asks a running serve whether it is healthy. It is what a
// container's HEALTHCHECK runs: distroless images have no shell, curl or
// wget, so the binary checks itself.
func (a *app) healthcheckCmd() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "healthcheck [--addr HOST:PORT]",
		Short: "GET /healthz of serve at server.addr (or --addr); exit 0 when healthy, 1 when not",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if addr == "" {
				cfg, err := a.loadConfig()
				if err != nil {
					return failed(err) // an unreadable config is unhealthy, not a usage error
				}
				addr = cfg.Server.Addr
			}
			if err := a.healthcheck(cmd.Context(), addr); err != nil {
				return failed(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "where serve listens (default: server.addr of the config)")
	return cmd
}

// healthcheck GETs /healthz at addr. A listen address without a host (":8080",
// "0.0.0.0:8080", "[::]:8080") is asked on the loopback interface.
func (a *app) healthcheck(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("livechat-digest: healthcheck: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("livechat-digest: healthcheck: %w", err)
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return fmt.Errorf("livechat-digest: healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("livechat-digest: healthcheck %s: %s: %s", url, resp.Status, oneLineBody(body))
	}
	fmt.Fprintf(a.stdout, "%s: %s\n", url, oneLineBody(body))
	return nil
}

func oneLineBody(b []byte) string {
	s := string(b)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
