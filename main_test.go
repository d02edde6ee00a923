package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/notify"
	"livechat-digest/store"
)

// runCLI runs one command line in-process, as the binary would, with only
// the given environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code = cli(context.Background(), args, &out, &errb, getenv)
	return code, out.String(), errb.String()
}

// writeConfig writes the README's example config into a fresh folder, with
// the outbox and the store inside it.
func writeConfig(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	b, err := os.ReadFile("config.yaml")
	require.NoError(t, err)
	s := strings.ReplaceAll(string(b), "./outbox", filepath.Join(dir, "outbox"))
	s = strings.ReplaceAll(s, "sqlite:./state.db", "sqlite:"+filepath.Join(dir, "state.db"))
	path = filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(s), 0o600))
	return dir, path
}

func TestValidateReportsEveryProblemWithItsLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.yaml")
	cfg := `timezone: UTC
livechat:
  base_url: builtin
  login: demo
  api_key: ${NOT_SET_ANYWHERE}
jobs:
  - name: weekly
    schedule: "0 9 * * MONDAYS"
    timezone: Mars/Olympus
    period: last_week
    colour: blue
    email: {to: [a@example.com]}
email: {from: "r@example.com", outbox_dir: ./outbox}
`
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	code, stdout, stderr := runCLI(t, nil, "validate", "--config", path)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 4, stderr)
	for i, want := range []string{path + ":5: ", path + ":8: ", path + ":9: ", path + ":11: "} {
		assert.True(t, strings.HasPrefix(lines[i], want), "line %d: %q, want prefix %q", i, lines[i], want)
	}
	assert.Contains(t, stderr, "NOT_SET_ANYWHERE")
	assert.Contains(t, stderr, "Mars/Olympus")
	assert.Contains(t, stderr, "colour")
}

func TestValidateExampleConfig(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, nil, "validate", "--config", "config.yaml")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "ok, 2 jobs")
}

func TestRunWritesOneMessageOnceAndNothingOnRerun(t *testing.T) {
	t.Parallel()
	dir, path := writeConfig(t)
	code, stdout, stderr := runCLI(t, nil, "run", "weekly-support", "--config", path, "--at", "2026-11-23T09:00")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "1 queued, 1 sent")
	files, err := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	msg, err := os.ReadFile(files[0])
	require.NoError(t, err)
	assert.Contains(t, string(msg), "Subject: =?UTF-8?q?Support_weekly:_2026-11-16_")
	assert.Contains(t, string(msg), "Content-Type: image/png")

	code, stdout, stderr = runCLI(t, nil, "run", "weekly-support", "--config", path, "--at", "2026-11-23T09:00")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "nothing new to send")
	files, _ = filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	assert.Len(t, files, 1)

	code, stdout, stderr = runCLI(t, nil, "jobs", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "weekly-support")
	assert.Contains(t, stdout, "ok at 2026-11-23 09:00 EST")
}

func TestRunDryRunJSONHasTheContractShape(t *testing.T) {
	t.Parallel()
	_, path := writeConfig(t)
	code, stdout, stderr := runCLI(t, nil, "run", "weekly-support", "--config", path, "--dry-run", "--format", "json", "--at", "2026-11-23T09:00")
	require.Equal(t, exitOK, code, stderr)
	var d struct {
		Job      string                     `json:"job"`
		Timezone string                     `json:"timezone"`
		Period   map[string]string          `json:"period"`
		Compare  map[string]string          `json:"compare"`
		Metrics  map[string]map[string]*any `json:"metrics"`
		Rankings map[string][]any           `json:"rankings"`
		Breaches []any                      `json:"breaches"`
		Errors   []any                      `json:"errors"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &d))
	assert.Equal(t, "weekly-support", d.Job)
	assert.Equal(t, "America/New_York", d.Timezone)
	assert.Equal(t, map[string]string{"from": "2026-11-16", "to": "2026-11-22"}, d.Period)
	assert.Equal(t, map[string]string{"from": "2026-11-09", "to": "2026-11-15"}, d.Compare)
	assert.Contains(t, d.Metrics, "total_chats.chats")
	for _, k := range []string{"current", "previous", "change", "change_pct"} {
		assert.Contains(t, d.Metrics["total_chats.chats"], k)
	}
	assert.NotEmpty(t, d.Rankings["chats"])
	assert.NotNil(t, d.Breaches)
	assert.Empty(t, d.Errors)
}

func TestReportAnswersTheSlashGrammar(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, nil, "report", "ratings", "last", "week", "group=1", "--format", "json", "--config", "config.yaml")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"chat_ratings.satisfaction"`)
	assert.NotContains(t, stdout, `"total_chats.chats"`)

	code, _, stderr = runCLI(t, nil, "report", "ratngs", "--config", "config.yaml")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `did you mean "ratings"`)
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"frobnicate"},
		{"run"},
		{"run", "no-such-job", "--config", "config.yaml"},
		{"run", "weekly-support", "--format", "pdf", "--config", "config.yaml"},
		{"run", "weekly-support", "--at", "next tuesday", "--config", "config.yaml"},
		{"validate", "--config", "does-not-exist.yaml"},
		{"simulate", "--fault", "explode:1"},
	} {
		code, _, stderr := runCLI(t, nil, args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
		assert.NotEmpty(t, stderr, "%v", args)
	}
}

// TestSecretsNeverReachOutput runs a job whose SMTP server is down with
// every secret set, and checks that nothing printed holds one.
func TestSecretsNeverReachOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secrets := map[string]string{
		"LIVECHAT_API_KEY":     "lc-key-5ecr3t-0001",
		"SMTP_PASSWORD":        "smtp-pa55-5ecr3t-0002",
		"SLACK_BOT_TOKEN":      "xoxb-5ecr3t-0003",
		"SLACK_SIGNING_SECRET": "sign-5ecr3t-0004",
	}
	cfg := `livechat: {base_url: builtin, login: demo@example.com, api_key: "${LIVECHAT_API_KEY}"}
email:
  from: reports@example.com
  smtp: {host: 127.0.0.1, port: 1, username: reports, password: "${SMTP_PASSWORD}", tls: none, timeout: 2s}
slack: {bot_token: "${SLACK_BOT_TOKEN}", signing_secret: "${SLACK_SIGNING_SECRET}", api_url: "http://127.0.0.1:1/api/"}
store: {url: "sqlite:` + filepath.Join(dir, "state.db") + `"}
delivery: {retry_for: 1s}
jobs:
  - name: daily
    schedule: "0 8 * * *"
    period: yesterday
    reports: [total_chats]
    email: {to: [leads@example.com]}
    slack: {channel: "#support"}
`
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	code, stdout, stderr := runCLI(t, secrets, "run", "daily", "--config", path, "--at", "2026-11-23T08:00")
	assert.Equal(t, exitFailed, code, "stdout %s\nstderr %s", stdout, stderr)
	assert.Contains(t, stderr, "not sent")
	_, jobsOut, jobsErr := runCLI(t, secrets, "jobs", "--config", path)
	assert.Contains(t, jobsOut, "failed")
	for name, secret := range secrets {
		for _, out := range []string{stdout, stderr, jobsOut, jobsErr} {
			assert.NotContains(t, out, secret, "%s leaked", name)
		}
	}
}

func TestReportKeepsShellQuoting(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, nil, "report", "total_chats", "yesterday", "tag=vip customers", "--format", "json", "--config", "config.yaml")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"total_chats.chats"`)
}

// TestServeAnswersAndStopsCleanly starts serve in-process, checks /healthz
// and /metrics, then cancels it as SIGTERM would: it exits 0.
func TestServeAnswersAndStopsCleanly(t *testing.T) {
	t.Parallel()
	_, path := writeConfig(t)
	held := holdListeners(t)
	addr := held.addr(t)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), `addr: "127.0.0.1:8080"`, `addr: "`+addr+`"`, 1)), 0o600))

	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	a := newTestApp(io.Discard, &errb)
	a.listen = held.listen
	done := make(chan int, 1)
	go func() { done <- a.execute(ctx, []string{"serve", "--config", path}) }()

	get := func(p string) (int, string) {
		resp, err := http.Get("http://" + addr + p)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	waitHealthy(t, addr, done, &errb)
	code, body := get("/healthz")
	assert.Equal(t, "ok\n", body, code)
	code, body = get("/metrics")
	assert.Equal(t, http.StatusOK, code)
	// The series exist before any run: start-up creates them at zero. They
	// once appeared only when the start-up catch-up run (after the HTTP
	// server was up) had been recorded, and this read raced it. No value is
	// asserted: a job may fire while the test runs.
	assert.Contains(t, body, `livechat_digest_job_runs_total{job="weekly-support",result="ok"} `)
	assert.Contains(t, body, `livechat_digest_job_runs_total{job="frt-watch",result="failed"} `)
	assert.Contains(t, body, `livechat_digest_firing_claim_errors_total{job="weekly-support"} 0`)
	code, _ = get("/slack/commands")
	assert.Equal(t, http.StatusMethodNotAllowed, code)

	cancel()
	select {
	case c := <-done:
		assert.Equal(t, exitOK, c, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	assert.Contains(t, errb.String(), "shutting down")
}

// TestValidateExecutesSubjectsAndTemplates checks what config alone cannot:
// a subject that parses but fails on every run, and a templates_dir whose
// override fails. validate reports them all at their lines and exits 2;
// run refuses the same config before doing any work.
func TestValidateExecutesSubjectsAndTemplates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "tmpl")
	require.NoError(t, os.Mkdir(tmpl, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(tmpl, "digest.txt.tmpl"), []byte("ok\n{{.Nope}}\n"), 0o600))
	path := filepath.Join(dir, "config.yaml")
	cfg := `livechat: {base_url: builtin, login: demo, api_key: demo-key}
email: {from: "r@example.com", outbox_dir: ` + filepath.Join(dir, "outbox") + `}
templates_dir: ` + tmpl + `
jobs:
  - name: weekly
    schedule: "0 9 * * MON"
    reports: [total_chats]
    thresholds: [{metric: total_chats.chats, above: 1}]
    email:
      to: [a@example.com]
      subject: "Weekly {{.Perod}}"
    alerts:
      email: {to: [b@example.com], subject: "{{.Job}} {{.Nope}}"}
  - name: good
    schedule: "0 9 * * MON"
    email: {to: [a@example.com], subject: "{{.Job}}: {{.Period}} vs {{.Compare}} ({{.Timezone}})"}
`
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	code, stdout, stderr := runCLI(t, nil, "validate", "--config", path)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 3, stderr)
	assert.True(t, strings.HasPrefix(lines[0], path+`:11: job "weekly": email.subject: `), lines[0])
	assert.Contains(t, lines[0], "can't evaluate field Perod")
	assert.True(t, strings.HasPrefix(lines[1], path+`:13: job "weekly": alerts.email.subject: `), lines[1])
	assert.Contains(t, lines[1], "Nope")
	assert.True(t, strings.HasPrefix(lines[2], filepath.Join(tmpl, "digest.txt.tmpl")+":2: "), lines[2])

	code, _, stderr = runCLI(t, nil, "run", "good", "--config", path, "--dry-run")
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, path+`:11: job "weekly": email.subject: `)
}

// drainFunc adapts a func to drainer.
type drainFunc func(context.Context) error

func (f drainFunc) Drain(ctx context.Context) error { return f(ctx) }

// queueWith opens a fresh SQLite store holding one queued delivery of job
// "daily" for firing, due since an hour before t0.
func queueWith(t *testing.T, firing, t0 time.Time) (*store.Store, int64) {
	t.Helper()
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.Enqueue(t.Context(), []store.Delivery{{Key: "daily|1", Job: "daily", FiringAt: firing,
		Kind: "digest", Channel: "email", Target: "a@example.com", CreatedAt: t0.Add(-time.Hour)}})
	require.NoError(t, err)
	ds, err := st.Deliveries(t.Context(), store.DeliveryFilter{Job: "daily"})
	require.NoError(t, err)
	require.Len(t, ds, 1)
	return st, ds[0].ID
}

// TestDeliverOutcomes checks that deliver counts from the store on every
// path, and fails run when Drain was cut short or the queue itself failed,
// even when that failure is joined with a given-up delivery.
func TestDeliverOutcomes(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	firing := t0.Add(-time.Minute)
	diskErr := errors.New("store: claim for me: disk I/O error")
	gaveUp := fmt.Errorf("notify: drain: 1 deliveries: %w", notify.ErrDeliveryFailed)
	for _, tc := range []struct {
		name          string
		cancel        bool // ctx done before deliver starts (Ctrl-C)
		giveUp        bool // the delivery is failed in the store
		drain         func(ctx context.Context) error
		wantSent      int
		wantUnsent    int
		wantFailed    int
		wantErr       string // "" for none
		wantErrAbsent string
	}{{
		name:   "cut short before anything was sent",
		cancel: true,
		drain: func(ctx context.Context) error {
			return errors.Join(fmt.Errorf("notify: drain cut short: %w", ctx.Err()))
		},
		wantUnsent: 1, wantErr: "interrupted with 1 deliveries not sent; they stay queued",
	}, {
		name:       "given up only: counted, not an error here",
		giveUp:     true,
		drain:      func(context.Context) error { return errors.Join(gaveUp) },
		wantFailed: 1,
	}, {
		name:       "queue error joined with a given-up delivery",
		giveUp:     true,
		drain:      func(context.Context) error { return errors.Join(diskErr, gaveUp) },
		wantFailed: 1, wantErr: "disk I/O error", wantErrAbsent: "delivery failed",
	}, {
		name:       "queue error alone",
		drain:      func(context.Context) error { return diskErr },
		wantUnsent: 1, wantErr: "daily: delivery: store: claim for me: disk I/O error",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, id := queueWith(t, firing, t0)
			if tc.giveUp {
				_, err := st.Claim(t.Context(), "me", t0, time.Minute, 10)
				require.NoError(t, err)
				require.NoError(t, st.MarkFailed(t.Context(), id, "me", 5, "smtp: 554"))
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			var stderr bytes.Buffer
			a := &app{stdout: io.Discard, stderr: &stderr}
			c, err := a.deliver(ctx, st, drainFunc(tc.drain), clockwork.NewFakeClockAt(t0), "daily", firing, time.Minute)
			assert.Equal(t, tc.wantSent, c.sent)
			assert.Equal(t, tc.wantUnsent, c.unsent)
			assert.Equal(t, tc.wantFailed, c.failed)
			if tc.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				if tc.wantErrAbsent != "" {
					assert.NotContains(t, err.Error(), tc.wantErrAbsent)
				}
			}
		})
	}
}

// TestDeliverWaitsForAnotherProcessesClaim: a delivery another process is
// sending has a past next attempt; deliver must wait until that claim runs
// out, not spin on the past next attempt.
func TestDeliverWaitsForAnotherProcessesClaim(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	firing := t0.Add(-time.Minute)
	st, id := queueWith(t, firing, t0)
	_, err := st.Claim(t.Context(), "other", t0, time.Hour, 10)
	require.NoError(t, err)

	clock := clockwork.NewFakeClockAt(t0)
	var drains atomic.Int32
	drain := drainFunc(func(ctx context.Context) error {
		if drains.Add(1) == 2 {
			return st.MarkSent(ctx, id, "other", clock.Now()) // the other process finished
		}
		return nil
	})
	var stderr bytes.Buffer
	a := &app{stdout: io.Discard, stderr: &stderr}
	type result struct {
		sent, unsent int
		err          error
	}
	done := make(chan result, 1)
	go func() {
		c, err := a.deliver(t.Context(), st, drain, clock, "daily", firing, 2*time.Hour)
		done <- result{c.sent, c.unsent, err}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, clock.BlockUntilContext(ctx, 1))
	assert.Equal(t, int32(1), drains.Load(), "waits instead of draining again")
	clock.Advance(time.Hour + time.Second)
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("deliver did not return")
	}
	require.NoError(t, r.err)
	assert.Equal(t, 1, r.sent)
	assert.Equal(t, 0, r.unsent)
	assert.Equal(t, int32(2), drains.Load())
	assert.Equal(t, "daily: 1 deliveries not sent yet; retrying in 1h0m0s\n", stderr.String())
}

// TestJobsCountsTheWholeQueue: the header counts every unsent delivery per
// status, while the list stops at 50 rows and says so.
func TestJobsCountsTheWholeQueue(t *testing.T) {
	t.Parallel()
	dir, path := writeConfig(t)
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ds := make([]store.Delivery, 60)
	for i := range ds {
		ds[i] = store.Delivery{Key: fmt.Sprintf("weekly-support|%d", i), Job: "weekly-support", FiringAt: t0,
			Kind: "digest", Channel: "email", Target: fmt.Sprintf("t%02d@example.com", i), CreatedAt: t0}
	}
	_, err = st.Enqueue(t.Context(), ds)
	require.NoError(t, err)
	claimed, err := st.Claim(t.Context(), "other", t0, time.Hour, 3)
	require.NoError(t, err)
	require.Len(t, claimed, 3)
	require.NoError(t, st.Close())

	code, stdout, stderr := runCLI(t, nil, "jobs", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Unsent deliveries (60: 0 failed, 57 queued, 3 sending), showing 50 of 60:")
	_, list, _ := strings.Cut(stdout, "Unsent deliveries")
	assert.Equal(t, 50, strings.Count(list, "@example.com"), stdout)
}

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunWaitsForAFiringHeldElsewhere: while another process runs the same
// firing, `run` waits for it and then reports its outcome.
func TestRunWaitsForAFiringHeldElsewhere(t *testing.T) {
	t.Parallel()
	dir, path := writeConfig(t)
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	defer st.Close()
	firing := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	held, ok, err := st.ClaimRun(ctx, "weekly-support", firing, "serve-elsewhere", time.Now(), time.Hour, false)
	require.NoError(t, err)
	require.True(t, ok)

	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli(ctx, []string{"run", "weekly-support", "--config", path, "--at", "2026-11-23T09:00"}, &out, &errb,
			func(string) (string, bool) { return "", false })
	}()
	require.Eventually(t, func() bool { return strings.Contains(errb.String(), "being run by another process") },
		20*time.Second, 10*time.Millisecond)
	require.NoError(t, st.FinishRun(ctx, held.ID, "serve-elsewhere", time.Now(), store.RunOK, "", nil))
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return")
	}
	assert.Contains(t, out.String(), "already ok; nothing new to send")
}
