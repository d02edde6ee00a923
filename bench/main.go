package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
)

const (
	login  = "bench@example.com"
	apiKey = "bench-key"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{}
	fs.DurationVar(&o.latency, "latency", 50*time.Millisecond, "simulator latency per answer")
	fs.IntVar(&o.repeat, "repeat", 5, "runs of (a) per variant; the median is shown")
	fs.StringVar(&o.sizes, "jobs", "100,1000", "job counts of (b) on one replica, comma-separated; the largest also runs in (c)")
	fs.IntVar(&o.groups, "groups", 10, "distinct group filters among the jobs of (b) and (c); times the 4 periods, the (filter, period) combinations")
	fs.IntVar(&o.replicas, "replicas", 3, "serve replicas on PostgreSQL in (c); 0 skips (c)")
	fs.StringVar(&o.postgres, "postgres", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL for (c); a schema of its own is created and dropped")
	fs.IntVar(&o.slashN, "slash", 1000, "signed slash commands per batch in (d); 0 skips (d)")
	fs.IntVar(&o.slashBatches, "slash-batches", 3, "batches of (d)")
	fs.DurationVar(&o.slashGap, "slash-gap", 3*time.Second, "time between the starts of the batches of (d)")
	fs.StringVar(&o.only, "only", "", "run only these parts, e.g. \"b,c\" (default all: a,b,c,d,e)")
	fs.StringVar(&o.childSlash, "child-slash", "", "internal: serve slash commands, answering to this hook URL, against this upstream (HOOK,UPSTREAM)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if o.childSlash != "" {
		err = childSlash(ctx, stdout, o)
	} else {
		err = parent(ctx, stdout, o)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

// options are the command's flags.
type options struct {
	latency      time.Duration
	repeat       int
	sizes        string
	groups       int
	replicas     int
	postgres     string
	slashN       int
	slashBatches int
	slashGap     time.Duration
	only         string
	childSlash   string
}

func (o options) runs(part string) bool {
	if o.only == "" {
		return true
	}
	for _, p := range strings.Split(o.only, ",") {
		if strings.TrimSpace(p) == part {
			return true
		}
	}
	return false
}

func parent(ctx context.Context, w io.Writer, o options) error {
	var ns []int
	for _, s := range strings.Split(o.sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-jobs: bad count %q", s)
		}
		ns = append(ns, n)
	}
	cfg, err := userConfig("http://127.0.0.1:1", nil)
	if err != nil {
		return err
	}
	lc := cfg.LiveChat
	fmt.Fprintf(w, "### Run of %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- machine: %d CPUs, %s, %s/%s, %s\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "- load average at start: %s\n", loadavg())
	fmt.Fprintf(w, "- simulator: served by this command over loopback HTTP, %s per answer, counting every request it answers\n", o.latency)
	fmt.Fprintf(w, "- client (config defaults): rate_limit %g/s, burst %d, max_concurrent %d, timeout %s, retries %d\n\n",
		lc.RateLimit, lc.Burst, lc.MaxConcurrent, time.Duration(lc.Timeout), lc.Retries)

	var d *digest.Digest
	if o.runs("a") || o.runs("e") {
		if d, err = benchDigest(ctx, w, o.latency, o.repeat); err != nil {
			return err
		}
	}
	if o.runs("b") || o.runs("c") {
		if err := benchFleet(ctx, w, o, ns); err != nil {
			return err
		}
	}
	if o.runs("d") && o.slashN > 0 {
		if err := benchSlash(ctx, w, o); err != nil {
			return err
		}
	}
	if o.runs("e") {
		if err := benchRender(w, d); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\n- load average at end: %s\n", loadavg())
	return nil
}

// upstream is the simulator on a loopback port, counting the requests it
// answers and the distinct request URLs among them.
type upstream struct {
	URL      string
	srv      *http.Server
	total    atomic.Int64
	mu       sync.Mutex
	distinct map[string]struct{}
	times    []time.Time // when each request came
}

func startUpstream(latency time.Duration) (*upstream, error) {
	s, err := sim.New(sim.Options{Seed: 1, Login: login, APIKey: apiKey, Latency: latency})
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := &upstream{URL: "http://" + l.Addr().String(), distinct: map[string]struct{}{}}
	u.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.total.Add(1)
		u.mu.Lock()
		u.distinct[r.URL.RequestURI()] = struct{}{}
		u.times = append(u.times, time.Now())
		u.mu.Unlock()
		s.ServeHTTP(w, r)
	})}
	go func() { _ = u.srv.Serve(l) }()
	return u, nil
}

func (u *upstream) counts() (total, distinct int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return int(u.total.Load()), len(u.distinct)
}

// pace returns the time from the first to the last request and the most
// requests that came within any one second.
func (u *upstream) pace() (span time.Duration, maxPerSecond int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.times) == 0 {
		return 0, 0
	}
	ts := slices.Clone(u.times)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	lo := 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= time.Second {
			lo++
		}
		maxPerSecond = max(maxPerSecond, hi-lo+1)
	}
	return ts[len(ts)-1].Sub(ts[0]), maxPerSecond
}

func (u *upstream) reset() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.total.Store(0)
	clear(u.distinct)
	u.times = nil
}

func (u *upstream) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = u.srv.Shutdown(ctx)
}

// userConfig parses a config that sets nothing about the client but where
// the API is, so every client setting is the config default; extra is
// appended to it (jobs).
func userConfig(baseURL string, extra []byte) (*config.Config, error) {
	src := fmt.Sprintf(`timezone: UTC
livechat: {base_url: %q, login: %q, api_key: %q}
email: {from: "Bench <bench@example.com>", outbox_dir: ./outbox}
jobs:
`, baseURL, login, apiKey)
	if extra == nil {
		extra = []byte("  - {name: one, schedule: \"0 9 * * MON\", email: {to: [a@example.com]}}\n")
	}
	return config.Parse("bench.yaml", append([]byte(src), extra...), func(string) (string, bool) { return "", false })
}

// client builds the LiveChat client from cfg as the service does (see
// upstream in wire.go).
func client(cfg *config.Config) (*livechat.Client, error) {
	lc := cfg.LiveChat
	return livechat.New(lc.BaseURL, lc.Login, lc.APIKey.Reveal(),
		livechat.WithHTTPClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}),
		livechat.WithRateLimit(rate.Limit(lc.RateLimit), lc.Burst),
		livechat.WithMaxConcurrent(lc.MaxConcurrent),
		livechat.WithTimeout(time.Duration(lc.Timeout)),
		livechat.WithRetry(lc.Retries, 250*time.Millisecond, 10*time.Second),
		livechat.WithLogger(slog.New(slog.DiscardHandler)),
	)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
