package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/livechat/sim"
	"livechat-digest/server"
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
