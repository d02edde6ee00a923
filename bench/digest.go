package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"livechat-digest/digest"
	"livechat-digest/jobs"
	"livechat-digest/livechat"
)

// sequential is the naive way to fetch a digest's reports: the same
// requests, one after another.
type sequential struct {
	mu sync.Mutex
	f  digest.Fetcher
}

func (s *sequential) Fetch(ctx context.Context, r livechat.Report, q livechat.Query) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Fetch(ctx, r, q)
}

type sample struct {
	wall     time.Duration
	requests int
}

// benchDigest is (a): one digest of all 20 reports compared with the
// previous period, built as a job run builds it and with the same requests
// made one at a time, each on a fresh client (a fresh rate limiter), and
// one request alone for the round trip. It returns the digest for (c).
func benchDigest(ctx context.Context, w io.Writer, latency time.Duration, repeat int) (*digest.Digest, error) {
	up, err := startUpstream(latency)
	if err != nil {
		return nil, err
	}
	defer up.close()
	cfg, err := userConfig(up.URL, nil)
	if err != nil {
		return nil, err
	}
	job := &cfg.Jobs[0] // all 20 reports, last_7_days, compare previous_period
	at := time.Now().UTC()
	spec := jobs.Spec(job, at)
	week := digest.Period{Kind: digest.Last7Days}.Range(at, time.UTC)
	one := livechat.Query{From: week.From, To: week.To, Timezone: "UTC", GroupBy: livechat.ByDay}

	var last *digest.Digest
	measure := func(f func(c *livechat.Client) error) (sample, error) {
		var ss []sample
		for range repeat {
			c, err := client(cfg)
			if err != nil {
				return sample{}, err
			}
			up.reset()
			start := time.Now()
			if err := f(c); err != nil {
				return sample{}, err
			}
			wall := time.Since(start)
			total, _ := up.counts()
			ss = append(ss, sample{wall: wall, requests: total})
		}
		slices.SortFunc(ss, func(a, b sample) int { return int(a.wall - b.wall) })
		return ss[len(ss)/2], nil
	}
	rtt, err := measure(func(c *livechat.Client) error {
		_, err := c.Fetch(ctx, livechat.TotalChats, one)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("one request: %w", err)
	}
	build := func(f digest.Fetcher) error {
		d, err := digest.Build(ctx, f, spec)
		if err != nil {
			return err
		}
		if len(d.Errors) > 0 {
			return fmt.Errorf("digest has report errors: %v", d.Errors)
		}
		last = d
		return nil
	}
	conc, err := measure(func(c *livechat.Client) error { return build(c) })
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	seq, err := measure(func(c *livechat.Client) error { return build(&sequential{f: c}) })
	if err != nil {
		return nil, fmt.Errorf("sequential digest: %w", err)
	}

	rt := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(rtt.wall)) }
	fmt.Fprintf(w, "### (a) One digest: all 20 reports, last 7 days compared with the 7 before (median of %d)\n\n", repeat)
	fmt.Fprintln(w, "| what | wall time | upstream requests | in round trips |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	fmt.Fprintf(w, "| one request alone (the round trip) | %s | %d | 1.0 |\n", ms(rtt.wall), rtt.requests)
	fmt.Fprintf(w, "| digest, as a run builds it | **%s** | %d | **%s** |\n", ms(conc.wall), conc.requests, rt(conc.wall))
	fmt.Fprintf(w, "| digest, naive sequential fetch of the same requests | %s | %d | %s |\n", ms(seq.wall), seq.requests, rt(seq.wall))
	fmt.Fprintf(w, "\nSequential ÷ concurrent: **%.1f×** faster.\n\n", float64(seq.wall)/float64(conc.wall))
	return last, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
