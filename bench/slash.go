package main

import (
	"bufio"
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

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	type batch struct {
		lat     []time.Duration
		failed  int
		from    time.Time
		handled []time.Duration // the server's own time per ack, measured in its handler
	}
	batches := make([]batch, o.slashBatches)
	start := time.Now()
	for b := range batches {
		if d := time.Until(start.Add(time.Duration(b) * o.slashGap)); d > 0 {
			time.Sleep(d)
		}
		lat := make([]time.Duration, o.slashN)
		var failed atomic.Int64
		var wg sync.WaitGroup
		for i := range o.slashN {
			wg.Go(func() {
				// Each command is its own: Slack never sends the same
				// signed request twice except as a retry.
				form := url.Values{
					"team_id": {"T0001"}, "channel_id": {"C0001"}, "user_id": {fmt.Sprintf("U%05d", i)},
					"command": {"/livechat"}, "text": {slashCommand},
					"response_url": {fmt.Sprintf("%s/commands/T0001/%d/%d", hookURL, b, i)},
					"trigger_id":   {fmt.Sprintf("%d.%d.bench", b, i)},
				}
				body := form.Encode()
				ts := time.Now().Unix()
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/slack/commands", strings.NewReader(body))
				if err != nil {
					failed.Add(1)
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
				req.Header.Set("X-Slack-Signature", sign(ts, body))
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					return
				}
				ack, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(ack), "Working on it") {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		batches[b] = batch{lat: lat, failed: int(failed.Load()), from: start.Add(time.Duration(b) * o.slashGap)}
	}
	want := int64(o.slashN * o.slashBatches)
	for posted.Load() < want && time.Since(start) < 10*time.Minute {
		time.Sleep(200 * time.Millisecond)
	}
	answered := time.Since(start)
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

	fmt.Fprintf(w, "### (d) Slash commands: %d batches of %d signed commands at once, %s apart\n\n", o.slashBatches, o.slashN, o.slashGap)
	fmt.Fprintf(w, "Each command is `/livechat %s`, a separate signed request on a fresh loopback connection; the server runs in a process of its own, answering with real digests from the simulator (config defaults for the client).\n\n", slashCommand)
	fmt.Fprintln(w, "| batch | acks | ack p50 | ack p99 (target < 100 ms) | ack max | not acknowledged with 200 | server's handler p50 / p99 / max |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|")
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
		fmt.Fprintf(w, "| %d | %d | %s | **%s** | %s | %d | %s / %s / %s |\n", i+1, len(ok), q(0.5), q(0.99), q(1), b.failed, hq(0.5), hq(0.99), hq(1))
	}
	fmt.Fprintf(w, "\nAnswers posted to response_url: **%d of %d** (%d of them error messages), the last %.1f s after the first batch; %d upstream requests.\n\n",
		posted.Load(), want, failedAnswers.Load(), answered.Seconds(), requests)
	if posted.Load() < want {
		return fmt.Errorf("only %d of %d slash answers posted within 10 minutes", posted.Load(), want)
	}
	return nil
}

func sign(ts int64, body string) string {
	mac := hmac.New(sha256.New, []byte(slashSecret))
	mac.Write([]byte("v0:" + strconv.FormatInt(ts, 10) + ":" + body))
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
