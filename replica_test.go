package main

// The fault drill: serve replicas as separate processes sharing one
// PostgreSQL schema, the simulator as upstream and an in-process SMTP server
// that counts messages by Message-Id, so a digest sent twice is visible
// (the outbox would hide it: its file name is stable per Message-Id).
//
// Cron has minute resolution, so each scenario waits for the next minute
// boundary (at most 60 s) after its replicas are up. The two scenarios run
// in parallel so they share that wait.

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to create and drop schemas
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/livechat/sim"
	"livechat-digest/store"
)

const drillPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// The drill's connections: six replicas at once (both scenarios) and the
// test's own store, beside the store and jobs tests that go test runs at
// the same time on the same PostgreSQL (max_connections 100). With the
// default pool of 10 the replicas alone took 60 at the firing, and claims,
// enqueues and sends failed with "too many clients": fewer than 100
// messages. Four per replica still leaves 100 runs of a firing queueing for
// connections, which is part of what the drill exercises.
const (
	drillReplicaPool = "&pool_max_conns=4"
	drillTestPool    = "&pool_max_conns=2"
)

// TestReplicaDrill builds the binary once and runs the two scenarios of the
// drill side by side.
func TestReplicaDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("the replica drill waits for a minute boundary; skipped with -short")
	}
	pgReachable(t)
	bin := filepath.Join(t.TempDir(), "livechat-digest")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	t.Run("kill the replica mid-run", func(t *testing.T) {
		t.Parallel()
		testKillMidRun(t, bin)
	})
	t.Run("100 firings across 3 replicas", func(t *testing.T) {
		t.Parallel()
		testHundredFirings(t, bin)
	})
}

// testKillMidRun fires one slow job, SIGKILLs the replica that took the
// firing while it fetches, and checks that another replica takes it over
// within a lease and the digest is delivered exactly once.
func testKillMidRun(t *testing.T, bin string) {
	// Two reports, one request at a time, 2 s per answer: a run takes ~4 s,
	// well inside the 8 s lease, so only a dead owner loses it.
	upstream := simServer(t, 2*time.Second)
	mx := newMailCounter(t)
	url := pgSchema(t)
	jobs := `  - name: slow-digest
    schedule: "* * * * *"
    period: yesterday
    compare: none
    reports: [total_chats, chat_ratings]
    email: {to: [leads@example.com]}
`
	cfg := drillConfig(t, upstream, mx.addr, url, "8s", 1, jobs)
	reps := startReplicas(t, bin, cfg, 3)
	firing := nextMinute(reps.readyAt)
	st := openDrillStore(t, url)

	// Wait for the firing's run row and find who holds it.
	var run store.Run
	waitUntil(t, firing.Add(30*time.Second), "the firing to be claimed", func() bool {
		r, err := runAt(t, st, "slow-digest", firing)
		if err != nil || r.Status != store.RunRunning {
			return false
		}
		run = r
		return true
	})
	victim := reps.byOwner(t, run.Owner)
	t.Logf("firing %s taken by %s (pid %d); killing it mid-run", firing.Format(time.RFC3339), run.Owner, victim.Process.Pid)
	require.NoError(t, victim.Process.Signal(syscall.SIGKILL))

	// Another replica must finish the firing and send its one message.
	var done store.Run
	waitUntil(t, time.Now().Add(60*time.Second), "another replica to finish the firing", func() bool {
		r, err := runAt(t, st, "slow-digest", firing)
		if err != nil || r.Status == store.RunRunning {
			return false
		}
		done = r
		return true
	})
	assert.Equal(t, store.RunOK, done.Status, "run error: %s", done.Error)
	assert.NotEqual(t, run.Owner, done.Owner, "the dead replica cannot have finished the run")
	assert.GreaterOrEqual(t, done.Attempt, 2, "the firing was taken over")

	id := "slow-digest." + firing.UTC().Format("20060102T1504Z")
	waitUntil(t, time.Now().Add(60*time.Second), "the digest to be delivered", func() bool {
		return deliveredAll(t, st, "slow-digest", firing)
	})
	got := mx.count(func(mid string) bool { return strings.HasPrefix(mid, id+".") })
	assert.Equal(t, 1, got, "messages of the firing (Message-Id %s.*)", id)
	assert.Empty(t, mx.duplicates(), "Message-Ids received more than once")
}

// testHundredFirings runs 100 jobs firing in the same minute across three
// replicas and counts exactly 100 messages, each Message-Id once.
func testHundredFirings(t *testing.T, bin string) {
	upstream := simServer(t, 50*time.Millisecond)
	mx := newMailCounter(t)
	url := pgSchema(t)
	var jobs strings.Builder
	for i := range 100 {
		fmt.Fprintf(&jobs, `  - name: job-%03d
    schedule: "* * * * *"
    period: yesterday
    compare: none
    reports: [total_chats, chat_ratings]
    email: {to: [team-%03d@example.com]}
`, i, i)
	}
	cfg := drillConfig(t, upstream, mx.addr, url, "30s", 4, jobs.String())
	reps := startReplicas(t, bin, cfg, 3)
	firing := nextMinute(reps.readyAt)
	st := openDrillStore(t, url)
	stamp := "." + firing.UTC().Format("20060102T1504Z") + "."
	t.Logf("replicas serving at %s; counting the firing at %s", reps.readyAt.Format(time.RFC3339Nano), firing.Format(time.RFC3339))
	ofFiring := func(mid string) bool { return strings.Contains(mid, stamp) }

	waitUntil(t, firing.Add(2*time.Minute), "100 messages of the firing", func() bool {
		return mx.count(ofFiring) >= 100
	})
	// Every delivery of the firing is settled, so no further message of it
	// can be on its way.
	waitUntil(t, time.Now().Add(30*time.Second), "every delivery of the firing to be settled", func() bool {
		for i := range 100 {
			if !deliveredAll(t, st, fmt.Sprintf("job-%03d", i), firing) {
				return false
			}
		}
		return true
	})
	assert.Equal(t, 100, mx.count(ofFiring), "messages of firing %s", firing.Format(time.RFC3339))
	assert.Empty(t, mx.duplicates(), "Message-Ids received more than once")

	owners := map[string]int{}
	for i := range 100 {
		r, err := runAt(t, st, fmt.Sprintf("job-%03d", i), firing)
		require.NoError(t, err)
		assert.Contains(t, []string{store.RunOK, store.RunPartial}, r.Status, "job-%03d: %s", i, r.Error)
		owners[r.Owner]++
	}
	t.Logf("runs per replica: %v", owners)
}

// ---- upstream, mail and store helpers ----

func simServer(t *testing.T, latency time.Duration) string {
	t.Helper()
	s, err := sim.New(sim.Options{Seed: 7, Login: "drill@example.com", APIKey: "drill-key", Latency: latency})
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL
}

func pgReachable(t *testing.T) {
	t.Helper()
	db, err := sql.Open("pgx", drillPostgres+"&connect_timeout=3")
	require.NoError(t, err)
	defer db.Close()
	if err := db.PingContext(t.Context()); err != nil {
		t.Skipf("PostgreSQL not reachable at 127.0.0.1:5432 db test user postgres (the replica drill needs it): %v", err)
	}
}

// pgSchema creates a fresh schema and returns a store URL whose
// search_path points at it; the schema is dropped on cleanup.
func pgSchema(t *testing.T) string {
	t.Helper()
	db, err := sql.Open("pgx", drillPostgres)
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	schema := fmt.Sprintf("drill_%d_%d", os.Getpid(), time.Now().UnixNano())
	_, err = db.ExecContext(t.Context(), `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`)
	})
	return drillPostgres + "&search_path=" + schema
}

func openDrillStore(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), url+drillTestPool)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

func runAt(t *testing.T, st *store.Store, job string, firing time.Time) (store.Run, error) {
	t.Helper()
	runs, err := st.Runs(t.Context(), job, 0)
	if err != nil {
		return store.Run{}, err
	}
	for _, r := range runs {
		if r.FiringAt.Equal(firing) {
			return r, nil
		}
	}
	return store.Run{}, store.ErrNotFound
}

// deliveredAll reports whether the firing's run finished and every
// delivery it queued is sent.
func deliveredAll(t *testing.T, st *store.Store, job string, firing time.Time) bool {
	t.Helper()
	r, err := runAt(t, st, job, firing)
	if err != nil || r.Status == store.RunRunning {
		return false
	}
	ds, err := st.Deliveries(t.Context(), store.DeliveryFilter{Job: job})
	if err != nil {
		return false
	}
	n := 0
	for _, d := range ds {
		if !d.FiringAt.Equal(firing) {
			continue
		}
		n++
		if d.Status != store.DeliverySent {
			return false
		}
	}
	return n > 0
}

// mailCounter is an SMTP server that counts arrivals by Message-Id.
type mailCounter struct {
	addr string
	mu   sync.Mutex
	byID map[string]int
	// reject, while set, answers every DATA with a temporary 451 and
	// counts nothing.
	reject atomic.Bool
	// delay holds the reply to the end of DATA back this long, the message
	// already counted: a slow server.
	delay atomic.Int64
}

func newMailCounter(t *testing.T) *mailCounter {
	t.Helper()
	m := &mailCounter{byID: map[string]int{}}
	srv := smtp.NewServer(m)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m
}

func (m *mailCounter) NewSession(*smtp.Conn) (smtp.Session, error) { return mailSession{m}, nil }

func (m *mailCounter) count(match func(messageID string) bool) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, c := range m.byID {
		if match(id) {
			n += c
		}
	}
	return n
}

func (m *mailCounter) duplicates() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for id, c := range m.byID {
		if c > 1 {
			out[id] = c
		}
	}
	return out
}

type mailSession struct{ m *mailCounter }

func (mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (mailSession) Reset()                               {}
func (mailSession) Logout() error                        { return nil }

func (s mailSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	id := strings.Trim(msg.Header.Get("Message-Id"), "<>")
	_, _ = io.Copy(io.Discard, msg.Body)
	if s.m.reject.Load() {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.m.mu.Lock()
	s.m.byID[id]++
	s.m.mu.Unlock()
	time.Sleep(time.Duration(s.m.delay.Load())) // the slow reply is the fault under test
	return nil
}

// total is how many messages arrived.
func (m *mailCounter) total() int { return m.count(func(string) bool { return true }) }

// smtpConfig is the email section of a config that sends to m.
func (m *mailCounter) smtpConfig(t *testing.T) string {
	t.Helper()
	host, port, err := net.SplitHostPort(m.addr)
	require.NoError(t, err)
	return fmt.Sprintf("email:\n  from: reports@example.com\n  smtp: {host: %s, port: %s, tls: none, timeout: 30s}\n", host, port)
}

// ---- replicas ----

// drillConfig writes a config for the replicas: the simulator at upstream,
// SMTP at smtpAddr, the shared store, a short lease so a takeover is quick,
// and no catch-up (only the scheduled firing runs).
func drillConfig(t *testing.T, upstream, smtpAddr, storeURL, lease string, maxConcurrent int, jobs string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(smtpAddr)
	require.NoError(t, err)
	cfg := fmt.Sprintf(`timezone: UTC
livechat:
  base_url: %s
  login: drill@example.com
  api_key: drill-key
  max_concurrent: %d
  retries: 2
email:
  from: "Drill <drill@example.com>"
  smtp: {host: %s, port: %s, tls: none, timeout: 10s}
server: {addr: "127.0.0.1:0"}
store: {url: "%s"}
delivery: {retry_for: 2m}
scheduler: {catch_up_grace: 0s, lease: %s, reap_every: 1s}
jobs:
%s`, upstream, maxConcurrent, host, port, storeURL+drillReplicaPool, lease, jobs)
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

type replicas struct {
	cmds    []*exec.Cmd
	readyAt time.Time // when the last replica said it was serving
}

var servingLine = regexp.MustCompile(`msg=serving .*owner=(\S+)`)

// startReplicas starts n serve processes and waits until each says it is
// serving (its scheduler is started). They are killed on cleanup; their
// logs are kept in the test's temp dir and shown when the test fails.
func startReplicas(t *testing.T, bin, cfg string, n int) *replicas {
	t.Helper()
	r := &replicas{}
	ready := make(chan string, n)
	dir := t.TempDir()
	for i := range n {
		cmd := exec.Command(bin, "serve", "--config", cfg)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
		logPath := filepath.Join(dir, "replica-"+strconv.Itoa(i)+".log")
		logf, err := os.Create(logPath)
		require.NoError(t, err)
		cmd.Stdout = logf
		cmd.Stderr = &logLines{w: logf, onLine: func(line string) {
			if m := servingLine.FindStringSubmatch(line); m != nil {
				ready <- m[1]
			}
		}}
		dieWithTest(cmd)
		require.NoError(t, cmd.Start())
		r.cmds = append(r.cmds, cmd)
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			logf.Close()
			if t.Failed() {
				b, _ := os.ReadFile(logPath)
				t.Logf("replica %d (pid %d) warnings and errors:\n%s\nlog:\n%s", i, cmd.Process.Pid,
					problems(string(b)), tail(string(b), 4000))
			}
		})
	}
	deadline := time.After(60 * time.Second)
	for range n {
		select {
		case <-ready:
		case <-deadline:
			t.Fatal("replicas did not start serving within 60s")
		}
	}
	r.readyAt = time.Now()
	return r
}

// byOwner finds the replica whose owner name (host/pid/random) is owner.
func (r *replicas) byOwner(t *testing.T, owner string) *exec.Cmd {
	t.Helper()
	parts := strings.Split(owner, "/")
	require.Len(t, parts, 3, "owner %q", owner)
	pid, err := strconv.Atoi(parts[1])
	require.NoError(t, err)
	for _, c := range r.cmds {
		if c.Process.Pid == pid {
			return c
		}
	}
	t.Fatalf("no replica has pid %d (owner %q)", pid, owner)
	return nil
}

// nextMinute is the first firing of "* * * * *" after t.
func nextMinute(t time.Time) time.Time { return t.UTC().Truncate(time.Minute).Add(time.Minute) }

// waitUntil polls cond until it holds or deadline passes. The drill runs
// real processes against a real clock, so it polls; deadlines are far above
// the expected times and only catch a hang or a lost firing.
func waitUntil(t *testing.T, deadline time.Time, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// problems are the first WARN and ERROR lines of a replica's log: the
// cause of a lost firing is logged when it happens, long before the log's
// tail.
func problems(log string) string {
	var b strings.Builder
	n := 0
	for line := range strings.Lines(log) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			if n++; n <= 30 {
				b.WriteString(line)
			}
		}
	}
	if n > 30 {
		fmt.Fprintf(&b, "… and %d more\n", n-30)
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// logLines writes a replica's log to a file and passes each complete line
// to onLine. exec copies the process's output into it from one goroutine
// and Wait waits for that copy.
type logLines struct {
	w      io.Writer
	buf    []byte
	onLine func(string)
}

func (l *logLines) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.onLine(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	return l.w.Write(p)
}
