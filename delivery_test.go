package main

// Delivery faults end to end through the command line: what `run`, `jobs`
// and `deliveries` say and do when a message could not be delivered, and
// a slow SMTP server.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/notify"
	"livechat-digest/store"
)

// deliveryConfig writes a config whose one job "daily" emails
// leads@example.com through mx, with the store in dir. extra is appended
// at the top level.
func deliveryConfig(t *testing.T, mx *mailCounter, extra string) (dir, path string) {
	t.Helper()
	return deliveryConfigAt(t, mx, "0 8 * * *", extra)
}

// deliveryConfigAt is deliveryConfig with the job on schedule.
func deliveryConfigAt(t *testing.T, mx *mailCounter, schedule, extra string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	cfg := `livechat: {base_url: builtin, login: demo@example.com, api_key: demo-key}
` + mx.smtpConfig(t) + `store: {url: "sqlite:` + filepath.Join(dir, "state.db") + `"}
` + extra + `
jobs:
  - name: daily
    schedule: "` + schedule + `"
    timezone: UTC
    period: yesterday
    compare: none
    reports: [total_chats]
    email: {to: [leads@example.com]}
`
	path = filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return dir, path
}

// TestFailedDeliveryIsReportedAndCanBeRetried: a delivery that failed
// after its retry window is named by `run` and `jobs` as not delivered
// (not "ok"), and `deliveries retry` brings it back with a fresh window,
// after which it is sent once.
func TestFailedDeliveryIsReportedAndCanBeRetried(t *testing.T) {
	t.Parallel()
	mx := newMailCounter(t)
	mx.reject.Store(true)
	_, path := deliveryConfig(t, mx, "delivery: {retry_for: 1s}")
	at := []string{"--config", path}

	code, stdout, stderr := runCLI(t, nil, append([]string{"run", "daily", "--at", "2026-11-23T08:00"}, at...)...)
	assert.Equal(t, exitFailed, code, "stdout %s\nstderr %s", stdout, stderr)
	assert.Contains(t, stdout, "daily 2026-11-23T08:00:00Z: ok, 1 queued, 0 sent, 1 NOT DELIVERED")
	assert.Regexp(t, `daily: 1 delivery failed and was not delivered: email:leads@example.com \(id \d+\): gave up after \d+ attempts`, stderr)
	assert.Contains(t, stderr, "`livechat-digest deliveries retry --job daily` queues it again")

	code, stdout, stderr = runCLI(t, nil, append([]string{"jobs"}, at...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "ok at 2026-11-23 08:00 UTC; 1 of 1 NOT DELIVERED (failed;")
	assert.Contains(t, stdout, "deliveries retry [--job JOB] [ID...]")

	code, stdout, stderr = runCLI(t, nil, append([]string{"deliveries", "list", "--status", "failed"}, at...)...)
	require.Equal(t, exitOK, code, stderr)
	m := regexp.MustCompile(`(?m)^(\d+)\s+daily\s+2026-11-23T08:00:00Z\s+email:leads@example.com\s+failed\s`).FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	id := m[1]

	// Usage errors: a bad id, an unknown job.
	code, _, stderr = runCLI(t, nil, append([]string{"deliveries", "retry", "x1"}, at...)...)
	assert.Equal(t, exitUsage, code, stderr)
	code, _, stderr = runCLI(t, nil, append([]string{"deliveries", "retry", "--job", "nope"}, at...)...)
	assert.Equal(t, exitUsage, code, stderr)

	mx.reject.Store(false) // the mail server is back
	code, stdout, stderr = runCLI(t, nil, append([]string{"deliveries", "retry", id, "999999"}, at...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "re-queued 1 failed delivery with a fresh retry window of 1s")
	assert.Contains(t, stdout, "1 of the 2 ids given was not failed")

	// The next run of the same firing sends it: once.
	code, stdout, stderr = runCLI(t, nil, append([]string{"run", "daily", "--at", "2026-11-23T08:00"}, at...)...)
	require.Equal(t, exitOK, code, "stdout %s\nstderr %s", stdout, stderr)
	assert.Contains(t, stdout, "already ok; nothing new to send")
	assert.Equal(t, 1, mx.total())

	code, stdout, stderr = runCLI(t, nil, append([]string{"jobs"}, at...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "NOT DELIVERED")
	assert.NotContains(t, stdout, "Unsent deliveries")
	code, stdout, _ = runCLI(t, nil, append([]string{"deliveries", "retry"}, at...)...)
	require.Equal(t, exitOK, code)
	assert.True(t, strings.HasPrefix(stdout, "re-queued 0 failed deliveries"), stdout)
}

// serveUntilUp starts `serve` with a on the listeners held, waits until
// /healthz at addr answers, and returns a func that stops it (as SIGTERM
// would: the worker drains what is due first) and returns its exit code.
// a's stderr, when it is a syncBuffer, is shown if serve does not come up.
func serveUntilUp(t *testing.T, a *app, held *heldListeners, addr string, args ...string) (stop func() int) {
	t.Helper()
	a.listen = held.listen
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- a.execute(ctx, append([]string{"serve"}, args...)) }()
	logs, ok := a.stderr.(fmt.Stringer)
	if !ok {
		logs = &syncBuffer{}
	}
	waitHealthy(t, addr, done, logs)
	return func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(60 * time.Second):
			t.Fatal("serve did not stop")
			return -1
		}
	}
}

// TestSlowSMTPIsSentOnce: an SMTP server that answers the end of DATA only
// after the worker's bound on recording an outcome has passed. The
// recording deadline starts when the send ends, so the message is recorded
// as sent: exactly one message after `run`, a second `run` of the same
// --at and a `serve` start.
func TestSlowSMTPIsSentOnce(t *testing.T) {
	t.Parallel()
	const record = 500 * time.Millisecond
	mx := newMailCounter(t)
	mx.delay.Store(int64(3 * record)) // the reply comes well after the recording bound
	held := holdListeners(t)
	addr := held.addr(t)
	dir, path := deliveryConfig(t, mx, "server: {addr: \""+addr+"\"}\nscheduler: {catch_up_grace: 0s}")
	newApp := func(stdout, stderr io.Writer) *app {
		a := newTestApp(stdout, stderr)
		a.recordTimeout = record
		return a
	}
	run := func() (int, string, string) {
		var out, errb bytes.Buffer
		code := newApp(&out, &errb).execute(t.Context(), []string{"run", "daily", "--at", "2026-11-23T08:00", "--config", path})
		return code, out.String(), errb.String()
	}

	code, stdout, stderr := run()
	require.Equal(t, exitOK, code, "stdout %s\nstderr %s", stdout, stderr)
	assert.Contains(t, stdout, "1 queued, 1 sent")
	assert.Equal(t, 1, mx.total())
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	ds, err := st.Deliveries(t.Context(), store.DeliveryFilter{Job: "daily"})
	require.NoError(t, err)
	require.NoError(t, st.Close())
	require.Len(t, ds, 1)
	assert.Equal(t, store.DeliverySent, ds[0].Status, "recorded as sent: %s", ds[0].LastError)

	code, stdout, stderr = run()
	require.Equal(t, exitOK, code, "stdout %s\nstderr %s", stdout, stderr)
	assert.Contains(t, stdout, "nothing new to send")
	assert.Equal(t, 1, mx.total())

	var errb syncBuffer
	stop := serveUntilUp(t, newApp(io.Discard, &errb), held, addr, "--config", path)
	assert.Equal(t, exitOK, stop(), errb.String())
	assert.Equal(t, 1, mx.total(), "serve sent it again")
	assert.Empty(t, mx.duplicates())
}

// appAt is an app whose clock is a fake one at now, for `run` without --at
// and its check of a future --at.
func appAt(now time.Time, stdout, stderr io.Writer) *app {
	a := newTestApp(stdout, stderr)
	a.clock = clockwork.NewFakeClockAt(now)
	return a
}

func runWhen(t *testing.T, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := appAt(now, &out, &errb).execute(t.Context(), args)
	return code, out.String(), errb.String()
}

// TestManualRunTruncatesToTheMinute: `run` fires the minute its instant
// is in, never the next one, so it cannot claim a scheduled firing that
// has not come.
func TestManualRunTruncatesToTheMinute(t *testing.T) {
	t.Parallel()
	_, path := deliveryConfig(t, newMailCounter(t), "")
	code, stdout, stderr := runCLI(t, nil, "run", "daily", "--at", "2026-11-23T07:59:40", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "daily 2026-11-23T07:59:00Z: ok", "07:59:40 is the 07:59 firing, not 08:00")

	now := time.Date(2026, 11, 24, 11, 30, 40, 0, time.UTC)
	code, stdout, stderr = runWhen(t, now, "run", "daily", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "daily 2026-11-24T11:30:00Z: ok")
}

// TestFutureAtNeedsDryRun: a run with a future --at would take the
// scheduled firing's slot (Monday's real run would send nothing) and stamp
// the alert state with a future time (alerts silent until then). It is
// refused without --dry-run; with it, nothing is recorded.
func TestFutureAtNeedsDryRun(t *testing.T) {
	t.Parallel()
	sunday := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	mondayNine := time.Date(2026, 11, 30, 14, 0, 20, 0, time.UTC) // 09:00:20 in New York
	dir, path := writeConfig(t)

	t.Run("Monday's real run still sends", func(t *testing.T) {
		code, stdout, stderr := runWhen(t, sunday, "run", "weekly-support", "--at", "2026-11-30T09:00", "--config", path)
		assert.Equal(t, exitUsage, code, "stdout %s\nstderr %s", stdout, stderr)
		assert.Contains(t, stderr, "--at 2026-11-30T09:00:00-05:00 is in the future")
		assert.Contains(t, stderr, "--dry-run")
		code, stdout, stderr = runWhen(t, sunday, "run", "weekly-support", "--at", "2026-11-30T09:00", "--dry-run", "--config", path)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, stdout, "2026-11-23")

		code, stdout, stderr = runWhen(t, mondayNine, "run", "weekly-support", "--config", path)
		require.Equal(t, exitOK, code, "stdout %s\nstderr %s", stdout, stderr)
		assert.Contains(t, stdout, "weekly-support 2026-11-30T09:00:00-05:00: ok")
		assert.NotContains(t, stdout, "already")
		files, err := filepath.Glob(filepath.Join(dir, "outbox", "*weekly-support*.eml"))
		require.NoError(t, err)
		assert.NotEmpty(t, files)
	})

	t.Run("alerts are not silenced by a future stamp", func(t *testing.T) {
		dir := t.TempDir()
		cfg := `livechat: {base_url: builtin, login: demo@example.com, api_key: demo-key}
email: {from: reports@example.com, outbox_dir: ` + filepath.Join(dir, "outbox") + `}
store: {url: "sqlite:` + filepath.Join(dir, "state.db") + `"}
jobs:
  - name: watch
    schedule: "*/15 * * * *"
    timezone: UTC
    period: yesterday
    compare: none
    reports: [total_chats]
    thresholds: [{metric: total_chats.chats, above: 0}]
    alerts: {email: {to: [oncall@example.com]}}
`
		path := filepath.Join(dir, "config.yaml")
		require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
		code, stdout, stderr := runWhen(t, sunday, "run", "watch", "--at", "2026-12-05T09:00", "--config", path)
		assert.Equal(t, exitUsage, code, "stdout %s\nstderr %s", stdout, stderr)

		code, stdout, stderr = runWhen(t, sunday, "run", "watch", "--config", path)
		require.Equal(t, exitOK, code, "stdout %s\nstderr %s", stdout, stderr)
		assert.Contains(t, stdout, "alerts fired 1", "the alert fires now, not after a future stamp")
		st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(dir, "state.db"))
		require.NoError(t, err)
		defer st.Close()
		states, err := st.Alerts(t.Context())
		require.NoError(t, err)
		require.Len(t, states, 1)
		assert.False(t, states[0].Updated.After(sunday), "alert state stamped %s, after now", states[0].Updated)
	})
}

// TestDeliverBacksOffBehindADeadClaim: this firing's delivery is due, but
// an earlier delivery to the same address is claimed by a process that
// died, so no drain can take it until that claim runs out (an hour here).
// `run` waits with a growing pause and says so once, instead of draining
// and printing "retrying in 0s" ten times a second.
func TestDeliverBacksOffBehindADeadClaim(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	firing := t0.Add(-time.Minute)
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	payload, err := notify.Encode(notify.Message{Channel: notify.ChannelEmail, Email: &notify.EmailMessage{
		From: "reports@example.com", To: []string{"a@example.com"}, Subject: "daily", Text: "700 chats\n",
		MessageID: "<daily@example.com>", Date: firing}})
	require.NoError(t, err)
	_, err = st.Enqueue(t.Context(), []store.Delivery{
		{Key: "daily|earlier", Job: "daily", FiringAt: firing.Add(-24 * time.Hour), Kind: "digest", Channel: "email",
			Target: "a@example.com", Payload: payload, CreatedAt: t0.Add(-time.Hour)},
		{Key: "daily|this", Job: "daily", FiringAt: firing, Kind: "digest", Channel: "email",
			Target: "a@example.com", Payload: payload, CreatedAt: t0.Add(-time.Minute)},
	})
	require.NoError(t, err)
	dead, err := st.Claim(t.Context(), "dead-process", t0, time.Hour, 1)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	require.Equal(t, "daily|earlier", dead[0].Key)

	clock := clockwork.NewFakeClockAt(t0)
	var drains atomic.Int32
	w, err := notify.NewWorker(st, map[string]notify.Sender{notify.ChannelEmail: notify.SenderFunc(
		func(context.Context, notify.Message) error { return nil })}, notify.WorkerOptions{Owner: "run", Clock: clock})
	require.NoError(t, err)
	drain := drainFunc(func(ctx context.Context) error { drains.Add(1); return w.Drain(ctx) })
	var stderr syncBuffer
	a := &app{stdout: io.Discard, stderr: &stderr}
	type result struct {
		c   firingCounts
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := a.deliver(t.Context(), st, drain, clock, "daily", firing, 2*time.Hour)
		done <- result{c, err}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// A minute in steps of a second: deliver waits on the clock each time.
	for range 60 {
		require.NoError(t, clock.BlockUntilContext(ctx, 1))
		clock.Advance(time.Second)
	}
	assert.LessOrEqual(t, drains.Load(), int32(10), "drains in a minute behind a dead claim: backs off (60 before)")
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	assert.Len(t, lines, 1, "one line while nothing changes: %q", stderr.String())
	assert.NotContains(t, stderr.String(), "retrying in 0s")

	// The dead claim runs out; the pause under way ends, and the drain
	// takes both, in order.
	require.NoError(t, clock.BlockUntilContext(ctx, 1))
	clock.Advance(time.Hour)
	select {
	case r := <-done:
		require.NoError(t, r.err)
		assert.Equal(t, 1, r.c.sent)
		assert.Zero(t, r.c.unsent)
	case <-ctx.Done():
		t.Fatal("deliver did not return")
	}
}

// TestDeletedStoreIsNoticedAndNotCaughtUp: state.db deleted under a
// running serve makes /healthz fail with the reason, and the process says
// why; the restart creates a new store, which has no history, so it
// catches nothing up and the last firing is not sent again.
func TestDeletedStoreIsNoticedAndNotCaughtUp(t *testing.T) {
	t.Parallel()
	mx, held, addr, dir, path := lastFiringSent(t)
	var logs syncBuffer
	stop := serveUntilUp(t, newTestApp(io.Discard, &logs), held, addr, "--config", path)
	removeStore(t, dir)
	resp, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "unhealthy: the store file was deleted\n", string(body))
	assert.Contains(t, logs.String(), "the store file was deleted")
	assert.Equal(t, exitOK, stop(), logs.String())

	var logs2 syncBuffer
	stop = serveUntilUp(t, newTestApp(io.Discard, &logs2), held, held.serveAs(t, addr), "--config", path)
	waitCaughtUp(t, &logs2)
	assert.Equal(t, exitOK, stop(), logs2.String())
	assert.Contains(t, logs2.String(), "serve has not run on this store before")
	assert.Equal(t, 1, mx.total(), "the restart on a new store sent the last firing again")
}

// lastFiringSent configures a daily job whose firing was half an hour ago
// (within the catch-up grace, and not due again during the test), with
// serve on addr, and runs that firing: one message sent.
func lastFiringSent(t *testing.T) (mx *mailCounter, held *heldListeners, addr, dir, path string) {
	t.Helper()
	mx = newMailCounter(t)
	held = holdListeners(t)
	addr = held.addr(t)
	last := time.Now().UTC().Truncate(time.Minute).Add(-30 * time.Minute)
	dir, path = deliveryConfigAt(t, mx, fmt.Sprintf("%d %d * * *", last.Minute(), last.Hour()), "server: {addr: \""+addr+"\"}")
	code, stdout, stderr := runCLI(t, nil, "run", "daily", "--at", last.Format(time.RFC3339), "--config", path)
	require.Equal(t, exitOK, code, "stdout %s\nstderr %s", stdout, stderr)
	require.Equal(t, 1, mx.total())
	return mx, held, addr, dir, path
}

// removeStore deletes dir's state.db with its WAL files.
func removeStore(t *testing.T, dir string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Remove(filepath.Join(dir, "state.db"+suffix))
		require.True(t, err == nil || errors.Is(err, os.ErrNotExist), "%v", err)
	}
}

// waitCaughtUp waits until serve says it is serving, which it does once the
// start-up catch-up has run (or decided to run nothing): /healthz answers
// before that, and a serve stopped then would cut a catch-up short, so a
// test could not tell whether it would have sent anything. What it queued
// is sent while serve stops.
func waitCaughtUp(t *testing.T, logs fmt.Stringer) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "msg=serving") }, 60*time.Second, 10*time.Millisecond,
		"serve never said it was serving: %s", logs)
}

// TestStoreMadeByAnotherCommandIsNotCaughtUp: state.db is lost; someone
// runs `jobs` to look (which creates a new, empty store), and serve is
// restarted on it more than five minutes later. The store is old by then,
// yet it has no history: serve has never run on it, so nothing is caught
// up and the last firing is not sent again. Before, a store older than
// five minutes counted as having history, and the restart sent it twice.
func TestStoreMadeByAnotherCommandIsNotCaughtUp(t *testing.T) {
	t.Parallel()
	mx, held, addr, dir, path := lastFiringSent(t)
	removeStore(t, dir)
	code, _, stderr := runCLI(t, nil, "jobs", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	// Ten minutes pass before serve is restarted.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	_, err = db.ExecContext(t.Context(), `UPDATE store_identity SET created_at = created_at - 600000`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	var logs syncBuffer
	stop := serveUntilUp(t, newTestApp(io.Discard, &logs), held, addr, "--config", path)
	waitCaughtUp(t, &logs)
	assert.Equal(t, exitOK, stop(), logs.String())
	assert.Contains(t, logs.String(), "serve has not run on this store before")
	assert.Equal(t, 1, mx.total(), "the restart on a store jobs made sent the last firing again")
}

// newTestApp is an app on the real clock with an empty environment.
func newTestApp(stdout, stderr io.Writer) *app {
	return &app{stdout: stdout, stderr: stderr, getenv: func(string) (string, bool) { return "", false },
		clock: clockwork.NewRealClock()}
}

// TestWatchStoreSaysWhyOnce: serve's watcher logs at error, once, that its
// store file was deleted, even with nobody asking /healthz.
func TestWatchStoreSaysWhyOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(t.Context(), "sqlite:"+path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	clock := clockwork.NewFakeClock()
	var logs syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchStore(ctx, st, clock, storeWatchEvery, slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	bctx, bcancel := context.WithTimeout(ctx, 30*time.Second)
	defer bcancel()
	require.NoError(t, clock.BlockUntilContext(bctx, 1)) // its ticker
	require.NoError(t, os.Remove(path))
	for range 3 {
		clock.Advance(storeWatchEvery)
	}
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "level=ERROR") }, 10*time.Second, time.Millisecond)
	cancel()
	<-done
	assert.Equal(t, 1, strings.Count(logs.String(), "level=ERROR"), logs.String())
	assert.Contains(t, logs.String(), `reason="the store file was deleted"`)
}

// TestServeStartRequeuesRecentFailuresOnly: a `serve` start gives the
// failed deliveries of firings within catch_up_grace another try (the mail
// server was down for their whole retry window) and leaves older ones
// failed: a restart never sends a digest that failed a month ago.
func TestServeStartRequeuesRecentFailuresOnly(t *testing.T) {
	t.Parallel()
	mx := newMailCounter(t)
	mx.reject.Store(true)
	held := holdListeners(t)
	addr := held.addr(t)
	dir, path := deliveryConfigAt(t, mx, "0 0 1 1 *", "server: {addr: \""+addr+"\"}\ndelivery: {retry_for: 1s}\nscheduler: {catch_up_grace: 2h}")
	now := time.Now().UTC()
	recent := now.Add(-time.Hour).Format("2006-01-02T15:04")
	old := now.AddDate(0, -1, 0).Format("2006-01-02T15:04")
	for _, at := range []string{old, recent} {
		code, stdout, stderr := runCLI(t, nil, "run", "daily", "--at", at, "--config", path)
		require.Equal(t, exitFailed, code, "stdout %s\nstderr %s", stdout, stderr)
		require.Contains(t, stdout, "1 NOT DELIVERED")
	}
	mx.reject.Store(false) // the mail server is back

	var errb syncBuffer
	stop := serveUntilUp(t, newTestApp(io.Discard, &errb), held, addr, "--config", path)
	require.Eventually(t, func() bool { return mx.total() == 1 }, 30*time.Second, 10*time.Millisecond, errb.String())
	assert.Equal(t, exitOK, stop(), errb.String())
	assert.Equal(t, 1, mx.total())
	assert.Contains(t, errb.String(), "requeued failed deliveries of recent firings")

	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	defer st.Close()
	ds, err := st.Deliveries(t.Context(), store.DeliveryFilter{Job: "daily"})
	require.NoError(t, err)
	got := map[string]string{}
	for _, d := range ds {
		got[d.FiringAt.Format("2006-01-02T15:04")] = d.Status
	}
	assert.Equal(t, map[string]string{old: store.DeliveryFailed, recent: store.DeliverySent}, got)
}
