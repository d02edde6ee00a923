package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"livechat-digest/digest"
	"livechat-digest/query"
	"livechat-digest/server"
	"livechat-digest/templates"
)

const slashSecret = "bench-signing-secret"

// slashCommand is what every command of (d) asks: one report, so an
// answer is one upstream request (shared only with identical requests in
// flight at that moment) and a Block Kit message.
const slashCommand = "report total_chats last week"

// benchSlash is (d): batches of signed slash commands sent all at once to
// a slash-command server in a process of its own (this binary with
// -child-slash: server.New as serve builds it, answering with real digests
// from the simulator served here), each batch o.slashGap after the one
// before. It reports the acknowledgement latency of each batch (request
// sent, on a fresh connection, to the 200 read) and waits until every
// answer has been posted to the local response_url.
func benchSlash(ctx context.Context, w io.Writer, o options) error {
	up, err := startUpstream(o.latency)
	if err != nil {
		return err
	}
	defer up.close()
	var posted, failedAnswers atomic.Int64
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hook := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "Could not answer") {
			failedAnswers.Add(1)
		}
		posted.Add(1)
	})}
	go func() { _ = hook.Serve(hl) }()
	defer hook.Close()
	hookURL := "http://" + hl.Addr().String()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	cctx, stopChild := context.WithCancel(ctx)
	defer stopChild()
	child := exec.CommandContext(cctx, self, "-child-slash", hookURL+","+up.URL, "-latency", o.latency.String())
	child.Cancel = func() error { return child.Process.Signal(os.Interrupt) }
	child.WaitDelay = 30 * time.Second
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	if err := child.Start(); err != nil {
		return err
	}
	defer func() { stopChild(); _ = child.Wait() }()
	rd := bufio.NewReader(out)
	line, err := rd.ReadString('\n')
	if err != nil {
		return fmt.Errorf("slash server: %w", err)
	}
	addr := strings.TrimSpace(line)
	tcpAddr, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return fmt.Errorf("slash server: %w", err)
	}

	// Two load generators, one after the other against the same server:
	// "raw" writes each pre-signed request on a fresh connection and reads
	// the status line and body, so what it times is the kernel and the
	// server; "net/http" sends each through an http.Client without
	// keep-alives, whose own cost (two goroutines and the transport's
	// bookkeeping per connection, 1,000 at once on the same 2 cores) is
	// part of what it times. Slack's side is neither, and is elsewhere.
	httpClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	type batch struct {
		client  string
		lat     []time.Duration
		failed  int
		from    time.Time
		handled []time.Duration // the server's own time per ack, measured in its handler
		wall    time.Duration   // the batch's first send to its last ack
		cpuGen  time.Duration   // CPU time of this process (generator, simulator, response_url) meanwhile
		cpuSrv  time.Duration   // CPU time of the server process meanwhile
	}
	var batches []batch
	var kindStart time.Time
	for k, kind := range []string{"raw", "net/http"} {
		if k > 0 {
			// The answers of the batches before are all posted first: 6,000
			// commands in 15 s would fill the answer queue (4,096), and a
			// full queue answers "busy" on purpose.
			waitPosted(&posted, int64(len(batches)*o.slashN), 10*time.Minute)
		}
		kindStart = time.Now()
		for n := range o.slashBatches {
			b := len(batches)
			if d := time.Until(kindStart.Add(time.Duration(n) * o.slashGap)); d > 0 {
				time.Sleep(d)
			}
			lat := make([]time.Duration, o.slashN)
			var failed atomic.Int64
			go1 := make(chan struct{})
			var wg sync.WaitGroup
			for i := range o.slashN {
				// Each command is its own: Slack never sends the same
				// signed request twice except as a retry. It is built and
				// signed before the batch starts.
				form := url.Values{
					"team_id": {"T0001"}, "channel_id": {"C0001"}, "user_id": {fmt.Sprintf("U%05d", i)},
					"command": {"/livechat"}, "text": {slashCommand},
					"response_url": {fmt.Sprintf("%s/commands/T0001/%d/%d", hookURL, b, i)},
					"trigger_id":   {fmt.Sprintf("%d.%d.bench", b, i)},
				}
				body := form.Encode()
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				sig := sign(ts, body)
				var send func() (int, []byte, error)
				if kind == "raw" {
					raw := []byte("POST /slack/commands HTTP/1.1\r\nHost: " + addr +
						"\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Slack-Request-Timestamp: " + ts +
						"\r\nX-Slack-Signature: " + sig + "\r\nContent-Length: " + strconv.Itoa(len(body)) +
						"\r\nConnection: close\r\n\r\n" + body)
					buf := make([]byte, 0, 2048)
					send = func() (int, []byte, error) { return rawPost(tcpAddr, raw, buf) }
				} else {
					send = func() (int, []byte, error) {
						req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/slack/commands", strings.NewReader(body))
						if err != nil {
							return 0, nil, err
						}
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						req.Header.Set("X-Slack-Request-Timestamp", ts)
						req.Header.Set("X-Slack-Signature", sig)
						resp, err := httpClient.Do(req)
						if err != nil {
							return 0, nil, err
						}
						defer resp.Body.Close()
						ack, err := io.ReadAll(resp.Body)
						return resp.StatusCode, ack, err
					}
				}
				wg.Go(func() {
					<-go1 // all at once
					t0 := time.Now()
					status, ack, err := send()
					if err != nil {
						failed.Add(1)
						return
					}
					lat[i] = time.Since(t0)
					if status != http.StatusOK || !strings.Contains(string(ack), "Working on it") {
						failed.Add(1)
					}
				})
			}
			// The generator stands in for Slack, which is not on this
			// machine: it collects no garbage during a batch, so its
			// collector does not take the server's CPU (a batch allocates
			// a few MiB here).
			gc := debug.SetGCPercent(-1)
			gen0, srv0 := cpuTime(os.Getpid()), cpuTime(child.Process.Pid)
			t0 := time.Now()
			close(go1)
			wg.Wait()
			wall := time.Since(t0)
			debug.SetGCPercent(gc)
			gen1, srv1 := cpuTime(os.Getpid()), cpuTime(child.Process.Pid)
			batches = append(batches, batch{client: kind, lat: lat, failed: int(failed.Load()), from: kindStart.Add(time.Duration(n) * o.slashGap),
				wall: wall, cpuGen: gen1 - gen0, cpuSrv: srv1 - srv0})
		}
	}
	want := int64(o.slashN * len(batches))
	waitPosted(&posted, want, 10*time.Minute)
	answered := time.Since(kindStart)
	requests, _ := up.counts()
	// The server prints the time its handler took for each command when it
	// stops: what the ack costs the server itself, apart from the machine's
	// queueing in front of it.
	stopChild()
	var handled []handlerTime
	if err := json.NewDecoder(rd).Decode(&handled); err != nil {
		return fmt.Errorf("slash server: handler times: %w", err)
	}
	for _, h := range handled {
		at := time.Unix(0, h.StartNS)
		for i := len(batches) - 1; i >= 0; i-- {
			if !at.Before(batches[i].from) {
				batches[i].handled = append(batches[i].handled, time.Duration(h.NS))
				break
			}
		}
	}

	fmt.Fprintf(w, "### (d) Slash commands: %d batches of %d signed commands at once, %s apart, for each of two load generators\n\n", o.slashBatches, o.slashN, o.slashGap)
	fmt.Fprintf(w, "Each command is `/livechat %s`, a separate signed request on a fresh loopback connection; the server runs in a process of its own, answering with real digests from the simulator (config defaults for the client).\n\n", slashCommand)
	fmt.Fprintf(w, "| load generator | batch | acks | ack p50 | ack p99 (target < 100 ms) | ack max | not acknowledged with 200 | server's handler p50 / p99 / max | batch wall | CPU: server + generator (of %d × wall) |\n", runtime.NumCPU())
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for i, b := range batches {
		var ok []time.Duration
		for _, d := range b.lat {
			if d > 0 {
				ok = append(ok, d)
			}
		}
		slices.Sort(ok)
		q := func(p float64) string {
			if len(ok) == 0 {
				return "–"
			}
			return ms(ok[int(p*float64(len(ok)-1))])
		}
		slices.Sort(b.handled)
		hq := func(p float64) string {
			if len(b.handled) == 0 {
				return "–"
			}
			return fmt.Sprintf("%.2f ms", float64(b.handled[int(p*float64(len(b.handled)-1))])/float64(time.Millisecond))
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | **%s** | %s | %d | %s / %s / %s | %s | %s + %s (%s) |\n", b.client, i%o.slashBatches+1, len(ok), q(0.5), q(0.99), q(1), b.failed, hq(0.5), hq(0.99), hq(1),
			ms(b.wall), ms(b.cpuSrv), ms(b.cpuGen), ms(time.Duration(runtime.NumCPU())*b.wall))
	}
	fmt.Fprintf(w, "\nAnswers posted to response_url: **%d of %d** (%d of them error messages), the last %.1f s after the first batch of the last load generator; %d upstream requests.\n\n",
		posted.Load(), want, failedAnswers.Load(), answered.Seconds(), requests)
	if posted.Load() < want {
		return fmt.Errorf("only %d of %d slash answers posted within 10 minutes", posted.Load(), want)
	}
	return nil
}

func sign(ts, body string) string {
	mac := hmac.New(sha256.New, []byte(slashSecret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// childSlash serves slash commands as serve does, answering to the hook
// given, with the LiveChat client built from the config defaults against
// the upstream given. It prints its address, then serves until ctx ends.
// With LCD_BENCH_CPUPROFILE set it writes a CPU profile of its whole run
// there (where the acks' time goes).
func childSlash(ctx context.Context, stdout io.Writer, o options) error {
	hookURL, upURL, ok := strings.Cut(o.childSlash, ",")
	if !ok {
		return errors.New("-child-slash: want HOOK,UPSTREAM")
	}
	if f := os.Getenv("LCD_BENCH_CPUPROFILE"); f != "" {
		pf, err := os.Create(f)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := userConfig(upURL, nil)
	if err != nil {
		return err
	}
	c, err := client(cfg)
	if err != nil {
		return err
	}
	r, err := templates.New("")
	if err != nil {
		return err
	}
	srv, err := server.New(server.Options{
		SigningSecret:     slashSecret,
		Answerer:          reportAnswerer{fetch: c, loc: cfg.Location},
		Renderer:          r,
		ResponseURLPrefix: hookURL + "/commands/",
		Metrics:           server.NewMetrics(prometheus.NewRegistry()),
		// serve logs every command at info level to stderr; the
		// formatting is part of the cost.
		Logger: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// The listener and server limits serve runs with; the handler's own
	// time per command is recorded.
	l = server.LimitListener(l)
	httpSrv := srv.HTTPServer()
	var (
		mu      sync.Mutex
		handled []handlerTime
	)
	routes := httpSrv.Handler
	httpSrv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		routes.ServeHTTP(w, r)
		if r.URL.Path == "/slack/commands" {
			d := time.Since(t0)
			mu.Lock()
			handled = append(handled, handlerTime{StartNS: t0.UnixNano(), NS: int64(d)})
			mu.Unlock()
		}
	})
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(l) }()
	fmt.Fprintln(stdout, l.Addr().String())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = httpSrv.Shutdown(sctx)
	srv.Wait(sctx)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	return json.NewEncoder(stdout).Encode(handled)
}

// waitPosted waits until posted reaches want, at most within.
func waitPosted(posted *atomic.Int64, want int64, within time.Duration) {
	for t0 := time.Now(); posted.Load() < want && time.Since(t0) < within; {
		time.Sleep(200 * time.Millisecond)
	}
}

// rawPost writes req, a whole HTTP/1.1 request with "Connection: close",
// on a fresh connection to addr, reads the answer into buf until the server
// closes, and returns its status and body. It is as lean as a client can
// be, because the generator shares the machine's two cores with the server
// it times: the address is resolved and the buffer allocated before the
// batch, and there is no bufio, header map or context watcher.
func rawPost(addr *net.TCPAddr, req, buf []byte) (int, []byte, error) {
	c, err := net.DialTCP("tcp", nil, addr)
	if err != nil {
		return 0, nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(req); err != nil {
		return 0, nil, err
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, cap(buf))
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, nil, err
		}
	}
	head, body, ok := bytes.Cut(buf, []byte("\r\n\r\n"))
	proto, rest, _ := bytes.Cut(head, []byte(" "))
	if !ok || !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(rest) < 3 {
		return 0, nil, fmt.Errorf("not an HTTP answer: %.40q", buf)
	}
	status, err := strconv.Atoi(string(rest[:3]))
	if err != nil {
		return 0, nil, fmt.Errorf("not an HTTP status: %.40q", buf)
	}
	// The ack is small and sent whole (Content-Length, no chunking).
	return status, body, nil
}

// cpuTime is the CPU time process pid has used so far, the sum of its
// threads' run time from /proc (nanoseconds, unlike the 10 ms ticks of
// /proc/PID/stat); 0 where /proc cannot tell. A thread that exits between
// two readings takes its time with it, so a difference can come out low;
// Go's runtime keeps its threads, so it seldom does.
func cpuTime(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			sum += time.Duration(n)
		}
	}
	return sum
}

// handlerTime is one slash command as the server's handler saw it.
type handlerTime struct {
	StartNS int64 `json:"start_ns"`
	NS      int64 `json:"ns"`
}

// reportAnswerer answers report commands as serve's does: the digest the
// command asks for, built from the client.
type reportAnswerer struct {
	fetch digest.Fetcher
	loc   *time.Location
}

func (a reportAnswerer) Report(ctx context.Context, c query.Command, at time.Time) (*digest.Digest, error) {
	return digest.Build(ctx, a.fetch, query.Spec(c, a.loc, at))
}

func (a reportAnswerer) Digest(context.Context, string, time.Time) (*digest.Digest, error) {
	return nil, errors.New("bench: no jobs")
}

func (a reportAnswerer) Alerts(context.Context) ([]server.Alert, error) { return nil, nil }
