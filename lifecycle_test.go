package main

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
	"livechat-digest/server"
	"livechat-digest/store"
)

// TestLifecycleHeaderReachesJobs: a Deprecation header on the answers of a
// run is logged once with its date, and kept in the store, so that `jobs`,
// which makes no request, shows it.
func TestLifecycleHeaderReachesJobs(t *testing.T) {
	t.Parallel()
	s, err := sim.New(sim.Options{Seed: 2, Login: "acc-9", APIKey: "pat-Zq81", Deprecation: "2026-09-30"})
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`livechat:
  api: "3.6"
  base_url: %s
  account_id: acc-9
  token: ${PAT}
email: {from: "r@example.com", outbox_dir: %q}
store: {url: "sqlite:%s"}
jobs:
  - name: weekly
    schedule: "0 9 * * MON"
    period: last_week
    email: {to: [a@example.com]}
`, srv.URL, filepath.Join(dir, "outbox"), filepath.Join(dir, "state.db"))), 0o600))
	env := map[string]string{"PAT": "pat-Zq81"}

	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	code, stdout, stderr := runCLI(t, env, "run", "weekly", "--at", at, "--config", path)
	require.Equal(t, exitOK, code, stdout+stderr)
	assert.Equal(t, 1, strings.Count(stderr, "reports api version is going away"), stderr)
	assert.Contains(t, stderr, "date=2026-09-30")
	assert.NotContains(t, stderr, "pat-Zq81")

	code, stdout, stderr = runCLI(t, env, "jobs", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "LiveChat Reports API versions going away")
	assert.Regexp(t, `3\.6\s+Deprecation\s+2026-09-30`, stdout)
}

// TestLifecycleCounted: every answer with the header is counted in
// /metrics, with bounded labels.
func TestLifecycleCounted(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := server.NewMetrics(reg)
	m.Lifecycle("3.6", "Deprecation")
	m.Lifecycle("3.6", "Deprecation")
	m.Lifecycle("<script>", "Sunset")
	want := `
# HELP livechat_digest_upstream_lifecycle_headers_total LiveChat Reports API answers carrying a Legacy or Deprecation header (the version read is going away), by API version and header.
# TYPE livechat_digest_upstream_lifecycle_headers_total counter
livechat_digest_upstream_lifecycle_headers_total{api="3.6",header="Deprecation"} 2
livechat_digest_upstream_lifecycle_headers_total{api="other",header="other"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "livechat_digest_upstream_lifecycle_headers_total"))
	var nilMetrics *server.Metrics
	nilMetrics.Lifecycle("2", "Legacy") // a nil *Metrics does nothing
}

// TestLifecycleLastSeenAdvances: a serve that runs for months keeps
// recording that it still sees the header, so `jobs` does not show a last
// sighting from the day the process started; the store is written at most
// once an hour per value, not on every answer.
func TestLifecycleLastSeenAdvances(t *testing.T) {
	t.Parallel()
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(start)
	r := newLifecycleRecorder(slog.New(slog.DiscardHandler), nil, clock)
	r.keepIn(st)
	l := livechat.Lifecycle{API: livechat.V2, Header: livechat.HeaderDeprecation, Value: "2027-01-31"}

	lastSeen := func() time.Time {
		ns, err := st.LifecycleNotices(t.Context())
		require.NoError(t, err)
		require.Len(t, ns, 1)
		assert.True(t, ns[0].FirstSeen.Equal(start), "first seen %s", ns[0].FirstSeen)
		return ns[0].LastSeen
	}
	r.observe(t.Context(), l)
	assert.True(t, lastSeen().Equal(start))
	clock.Advance(30 * time.Minute)
	r.observe(t.Context(), l)
	assert.True(t, lastSeen().Equal(start), "within the hour: not written again")
	clock.Advance(40 * 24 * time.Hour)
	r.observe(t.Context(), l)
	assert.True(t, lastSeen().Equal(clock.Now()), "40 days on: %s", lastSeen())
}
