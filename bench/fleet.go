package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create and drop the schema of (c)

	"livechat-digest/store"
)

// periods are the job periods of (b) and (c). Each gives its own date
// ranges, so groups × periods is the number of distinct (filter, period)
// combinations.
var periods = []string{"last_7_days", "last_week", "yesterday", "month_to_date"}

// fleetResult is what one firing of N jobs on R serve replicas measured.
type fleetResult struct {
	Jobs, Replicas, Combos int
	Requests, Distinct     int           // at the upstream, during the firing
	Span                   time.Duration // first to last upstream request
	MaxPerSecond           int           // most requests in any 1 s window
	RunsDone, RunsOK       int
	Sent                   int
	Wall                   time.Duration // firing instant to the last run finished
	SentWall               time.Duration // firing instant to the last message sent
	PeakRSSKiB             []int64       // VmHWM of each replica at the end
}

// rate is the pace beyond the burst: a token bucket of rate r and burst b
// lets at most b + r·T requests through in any span T, so (requests − b) ÷
// T is what must stay at or below the configured rate.
func (r fleetResult) rate(burst int) float64 {
	if r.Requests <= burst || r.Span <= 0 {
		return 0
	}
	return float64(r.Requests-burst) / r.Span.Seconds()
}

// benchFleet is (b), N jobs on one `serve` replica on SQLite for each N of
// ns, and (c), the largest N on o.replicas `serve` replicas sharing one
// PostgreSQL schema. The replicas are the real binary, built once, started
// as processes of their own; the simulator is served here, so every request
// any replica makes is counted in one place, with its time.
func benchFleet(ctx context.Context, w io.Writer, o options, ns []int) error {
	dir, err := os.MkdirTemp("", "lcd-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "livechat-digest")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build (run the bench from the module root): %v: %s", err, out)
	}
	up, err := startUpstream(o.latency)
	if err != nil {
		return err
	}
	defer up.close()
	combos := o.groups * len(periods)

	cfg, err := userConfig(up.URL, nil)
	if err != nil {
		return err
	}
	lc := cfg.LiveChat
	if o.runs("b") {
		fmt.Fprintf(w, "### (b) One firing of N jobs on one `serve` replica (SQLite), %d (filter, period) combinations\n\n", combos)
		fmt.Fprintln(w, "Each job: all 20 reports compared with the previous period, one email to the outbox. All jobs fire in the same minute.")
		fmt.Fprintln(w)
		var rows []fleetResult
		for _, n := range ns {
			res, err := fleet(ctx, dir, bin, up, o, n, 1, "")
			if err != nil {
				return err
			}
			rows = append(rows, res)
		}
		fleetTable(w, rows, lc.RateLimit, lc.Burst)
		if len(rows) > 1 {
			lo, hi := rows[0], rows[len(rows)-1]
			fmt.Fprintf(w, "Peak RSS, %d jobs ÷ %d jobs at the same distinct requests: **%.2f×** (target ≤ 1.3×).\n\n",
				hi.Jobs, lo.Jobs, float64(hi.PeakRSSKiB[0])/float64(lo.PeakRSSKiB[0]))
		}
	}
	if o.runs("c") && o.replicas > 0 {
		n := slices.Max(ns)
		fmt.Fprintf(w, "### (c) One firing of %d jobs on %d `serve` replicas sharing one PostgreSQL\n\n", n, o.replicas)
		url, drop, err := pgSchema(ctx, o.postgres)
		if err != nil {
			fmt.Fprintf(w, "Skipped: %v\n\n", err)
			return nil
		}
		defer drop()
		res, err := fleet(ctx, dir, bin, up, o, n, o.replicas, url)
		if err != nil {
			return err
		}
		fleetTable(w, []fleetResult{res}, lc.RateLimit, lc.Burst)
	}
	return nil
}

func fleetTable(w io.Writer, rows []fleetResult, limit float64, burst int) {
	fmt.Fprintln(w, "| jobs | replicas | upstream requests | distinct requests | requests ÷ distinct | observed rate beyond the burst (configured) | most in any 1 s (allowed: rate + burst) | runs ok | messages sent | last run done | last message sent | peak RSS per replica |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		var rss []string
		for _, k := range r.PeakRSSKiB {
			rss = append(rss, fmt.Sprintf("%.1f MiB", float64(k)/1024))
		}
		fmt.Fprintf(w, "| %d | %d | **%d** | %d | **%.2f** | **%.1f/s** (%g/s) | %d (%d) | %d / %d | %d | %.1f s | %.1f s | %s |\n",
			r.Jobs, r.Replicas, r.Requests, r.Distinct, float64(r.Requests)/float64(max(r.Distinct, 1)),
			r.rate(burst), limit, r.MaxPerSecond, int(limit)+burst, r.RunsOK, r.RunsDone, r.Sent,
			r.Wall.Seconds(), r.SentWall.Seconds(), strings.Join(rss, ", "))
	}
	fmt.Fprintln(w)
}

// fleet fires n jobs once on `replicas` serve processes and measures the
// firing. storeURL empty means a SQLite file (one replica only).
func fleet(ctx context.Context, dir, bin string, up *upstream, o options, n, replicas int, storeURL string) (fleetResult, error) {
	res := fleetResult{Jobs: n, Replicas: replicas, Combos: o.groups * len(periods)}
	sub, err := os.MkdirTemp(dir, fmt.Sprintf("fleet-%d-%d-", n, replicas))
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(sub)
	if storeURL == "" {
		storeURL = "sqlite:" + filepath.Join(sub, "state.db")
	}
	// The firing: the next minute boundary that leaves the replicas at
	// least 20 s to start. Catch-up is off, so nothing else runs.
	firing := time.Now().UTC().Add(20 * time.Second).Truncate(time.Minute).Add(time.Minute)
	var jobs strings.Builder
	for i := range n {
		fmt.Fprintf(&jobs, "  - {name: job-%04d, schedule: \"%d %d * * *\", period: %s, compare: previous_period, filters: {group: %d}, email: {to: [team-%04d@example.com]}}\n",
			i, firing.Minute(), firing.Hour(), periods[(i/o.groups)%len(periods)], i%o.groups+1, i)
	}
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}()
	var addrs []string
	for r := range replicas {
		addr, err := freeAddr()
		if err != nil {
			return res, err
		}
		pprofAddr, err := freeAddr()
		if err != nil {
			return res, err
		}
		src := fmt.Sprintf(`timezone: UTC
livechat: {base_url: %q, login: %q, api_key: %q}
email: {from: "Bench <bench@example.com>", outbox_dir: %q}
server: {addr: %q, pprof_addr: %q}
store: {url: %q}
scheduler: {catch_up_grace: 0s}
jobs:
%s`, up.URL, login, apiKey, filepath.Join(sub, "outbox"), addr, pprofAddr, storeURL, jobs.String())
		path := filepath.Join(sub, fmt.Sprintf("config-%d.yaml", r))
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			return res, err
		}
		cmd := exec.CommandContext(ctx, bin, "serve", "--config", path)
		logf, err := os.Create(filepath.Join(sub, fmt.Sprintf("serve-%d.log", r)))
		if err != nil {
			return res, err
		}
		defer logf.Close()
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			return res, err
		}
		procs = append(procs, cmd)
		if dir := os.Getenv("LCD_BENCH_PROFILES"); dir != "" {
			stop := collectProfiles(ctx, pprofAddr, cmd.Process.Pid, filepath.Join(dir, fmt.Sprintf("jobs%d-replica%d", n, r)))
			defer stop()
		}
		addrs = append(addrs, addr)
	}
	for _, a := range addrs {
		if err := waitHealthy(ctx, a, time.Until(firing)); err != nil {
			return res, fmt.Errorf("%d jobs: replica %s: %w (logs in %s)", n, a, err, sub)
		}
	}
	st, err := store.Open(ctx, storeURL)
	if err != nil {
		return res, err
	}
	defer st.Close()
	if d := time.Until(firing) - time.Second; d > 0 {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(d):
		}
	}
	up.reset()

	deadline := time.Now().Add(15 * time.Minute)
	for {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(2 * time.Second):
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("%d jobs on %d replicas: not done within 15 minutes (logs in %s)", n, replicas, sub)
		}
		runs, err := st.Runs(ctx, "", 0)
		if err != nil {
			return res, err
		}
		res.RunsDone, res.RunsOK = 0, 0
		var last time.Time
		for _, r := range runs {
			if !r.FiringAt.Equal(firing) || r.Status == store.RunRunning {
				continue
			}
			res.RunsDone++
			if r.Status == store.RunOK {
				res.RunsOK++
			}
			if r.FinishedAt.After(last) {
				last = r.FinishedAt
			}
		}
		if res.RunsDone < n {
			continue
		}
		res.Wall = last.Sub(firing)
		depth, err := st.QueueDepth(ctx)
		if err != nil {
			return res, err
		}
		if depth[store.DeliveryQueued]+depth[store.DeliverySending] > 0 {
			continue
		}
		res.Sent = depth[store.DeliverySent]
		res.SentWall = time.Since(firing)
		break
	}
	for _, p := range procs {
		res.PeakRSSKiB = append(res.PeakRSSKiB, procStatusOf(p.Process.Pid, "VmHWM:"))
	}
	res.Requests, res.Distinct = up.counts()
	res.Span, res.MaxPerSecond = up.pace()
	for _, p := range procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range procs {
		_ = p.Wait()
	}
	procs = nil
	if res.RunsOK < n {
		return res, fmt.Errorf("%d jobs on %d replicas: only %d runs ok (logs in %s)", n, replicas, res.RunsOK, sub)
	}
	return res, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHealthy(ctx context.Context, addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	hc := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		resp, err := hc.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("not healthy before the firing")
}

// pgSchema creates a schema of its own on the PostgreSQL at base and
// returns a URL that uses it, and a func that drops it.
func pgSchema(ctx context.Context, base string) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := admin.PingContext(pctx); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("PostgreSQL not reachable: %w", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, func() {
		_, _ = admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close()
	}, nil
}

// procStatusOf reads a KiB field of /proc/PID/status.
func procStatusOf(pid int, key string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte(key)); ok {
			f := strings.Fields(string(rest))
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return -1
}

// collectProfiles saves the heap and goroutine profiles of the replica
// whose pprof listener is at addr every 5 s, into files named prefix-N,
// until stop is called: LCD_BENCH_PROFILES=DIR shows where a firing's
// memory goes (go tool pprof -sample_index=inuse_space FILE).
func collectProfiles(ctx context.Context, addr string, pid int, prefix string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
			// The runtime's own account (debug=1 ends with MemStats) and
			// the kernel's: where the resident memory is, Go heap, stacks
			// or memory outside the Go runtime (SQLite's page caches).
			if resp, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1"); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if k := bytes.Index(b, []byte("# runtime.MemStats")); k >= 0 {
					rss := fmt.Sprintf("# VmRSS %d KiB\n# VmHWM %d KiB\n", procStatusOf(pid, "VmRSS:"), procStatusOf(pid, "VmHWM:"))
					_ = os.WriteFile(fmt.Sprintf("%s-memstats-%03d.txt", prefix, i), append([]byte(rss), b[k:]...), 0o600)
				}
			}
			for _, p := range []string{"heap", "goroutine"} {
				resp, err := http.Get("http://" + addr + "/debug/pprof/" + p)
				if err != nil {
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				_ = os.WriteFile(fmt.Sprintf("%s-%s-%03d.pb.gz", prefix, p, i), b, 0o600)
			}
		}
	}()
	return func() { cancel(); <-done }
}
