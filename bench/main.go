package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"livechat-digest/config"
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
	latency := fs.Duration("latency", 50*time.Millisecond, "simulator latency per answer")
	sizes := fs.String("jobs", "100,1000", "job counts for (b), comma-separated; each runs in its own process")
	filters := fs.Int("filters", 10, "distinct filter sets among the jobs of (b)")
	repeat := fs.Int("repeat", 5, "runs of (a) per variant; the median is shown")
	maxRuns := fs.Int("max-runs", 32, "second series of (b): at most this many runs at once")
	child := fs.Int("child-jobs", 0, "internal: run (b) with this many jobs and print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if *child > 0 {
		err = childJobs(ctx, stdout, *child, *filters, *maxRuns, *latency)
	} else {
		err = parent(ctx, stdout, *latency, *sizes, *filters, *maxRuns, *repeat)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

func parent(ctx context.Context, w io.Writer, latency time.Duration, sizes string, filters, maxRuns, repeat int) error {
	var ns []int
	for _, s := range strings.Split(sizes, ",") {
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
	fmt.Fprintf(w, "## Run of %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- machine: %d CPUs, %s, %s/%s, %s\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "- load average at start: %s\n", loadavg())
	fmt.Fprintf(w, "- simulator: in-process over loopback HTTP, %s per answer\n", latency)
	fmt.Fprintf(w, "- client (config defaults): rate_limit %g/s, burst %d, max_concurrent %d, cache_ttl %s, timeout %s, retries %d\n\n",
		lc.RateLimit, lc.Burst, lc.MaxConcurrent, time.Duration(lc.CacheTTL), time.Duration(lc.Timeout), lc.Retries)

	d, err := benchDigest(ctx, w, latency, repeat)
	if err != nil {
		return err
	}
	if err := benchJobs(ctx, w, ns, filters, maxRuns, latency); err != nil {
		return err
	}
	if err := benchRender(w, d); err != nil {
		return err
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

func (u *upstream) reset() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.total.Store(0)
	clear(u.distinct)
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
// upstream in wire.go); noCache turns the response cache off.
func client(cfg *config.Config, noCache bool) (*livechat.Client, error) {
	lc := cfg.LiveChat
	ttl := time.Duration(lc.CacheTTL)
	if noCache {
		ttl = 0
	}
	return livechat.New(lc.BaseURL, lc.Login, lc.APIKey.Reveal(),
		livechat.WithHTTPClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}),
		livechat.WithRateLimit(rate.Limit(lc.RateLimit), lc.Burst),
		livechat.WithMaxConcurrent(lc.MaxConcurrent),
		livechat.WithTimeout(time.Duration(lc.Timeout)),
		livechat.WithRetry(lc.Retries, 250*time.Millisecond, 10*time.Second),
		livechat.WithLogger(slog.New(slog.DiscardHandler)),
		livechat.WithCache(ttl),
	)
}

// childJobs runs (b) in this process and prints its figures as JSON.
func childJobs(ctx context.Context, w io.Writer, n, filters, maxRuns int, latency time.Duration) error {
	res, err := fireJobs(ctx, n, filters, maxRuns, latency)
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(res)
}

// runChild runs (b) for n jobs in a fresh process of this binary.
func runChild(ctx context.Context, n, filters, maxRuns int, latency time.Duration) (jobsResult, error) {
	self, err := os.Executable()
	if err != nil {
		return jobsResult{}, err
	}
	cmd := exec.CommandContext(ctx, self, "-child-jobs", strconv.Itoa(n), "-filters", strconv.Itoa(filters),
		"-max-runs", strconv.Itoa(maxRuns), "-latency", latency.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return jobsResult{}, fmt.Errorf("%d jobs: %w", n, err)
	}
	var res jobsResult
	if err := json.Unmarshal(out, &res); err != nil {
		return jobsResult{}, fmt.Errorf("%d jobs: %w", n, err)
	}
	return res, nil
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

// peakRSS is the process's resident set high-water mark (VmHWM) in KiB.
func peakRSS() int64 { return procStatus("VmHWM:") }

// rss is the process's resident set now (VmRSS) in KiB.
func rss() int64 { return procStatus("VmRSS:") }

func procStatus(key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return -1
}
