package livechat_test

import (
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
)

// BenchmarkAllReportsOneWeek fetches all 20 reports for one week at once, as
// a digest run does, from a simulator answering in 50 ms. "default limits"
// is this package's own defaults, what New gives without options (10
// requests/s, burst 10, 8 in flight). Users get the config defaults instead
// (burst 3 × rate_limit, 32 in flight; see docs/performance.md), which main
// passes as options. "no rate limit" shows what the concurrency cap alone
// allows.
func BenchmarkAllReportsOneWeek(b *testing.B) {
	q := livechat.Query{From: day("2026-03-02"), To: day("2026-03-08"), Weekday: "mon", Timezone: "Europe/Warsaw"}
	for _, bc := range []struct {
		name string
		opts []livechat.Option
	}{
		{"default limits", []livechat.Option{livechat.WithRateLimit(10, 10)}},
		{"no rate limit", []livechat.Option{livechat.WithRateLimit(rate.Inf, 1)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := setup(b, sim.Options{Seed: 1, Latency: 50 * time.Millisecond}, nil, bc.opts...)
			for b.Loop() {
				g, ctx := errgroup.WithContext(b.Context())
				for _, info := range reportsOn(livechat.V2) {
					g.Go(func() error {
						_, err := e.client.Fetch(ctx, info.Report, q)
						return err
					})
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(e.client.Requests())/float64(b.N), "requests/op")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s/op")
		})
	}
}
