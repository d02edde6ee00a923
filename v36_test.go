package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// v36Config writes a config for the built-in simulator on api with one
// digest job in zone, and returns its path.
func v36Config(t *testing.T, api, zone string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`livechat:
  api: %q
  base_url: builtin
  seed: 3
email: {from: "r@example.com", outbox_dir: %q}
store: {url: "sqlite:%s"}
jobs:
  - name: weekly
    schedule: "0 9 * * MON"
    timezone: %s
    period: last_week
    email: {to: [a@example.com]}
`, api, filepath.Join(dir, "outbox"), filepath.Join(dir, "state.db"), zone)
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// dryRunJSON runs `run weekly --dry-run --format json` and decodes it.
func dryRunJSON(t *testing.T, path, at string) digest.Digest {
	t.Helper()
	code, stdout, stderr := runCLI(t, nil, "run", "weekly", "--dry-run", "--format", "json", "--at", at, "--config", path)
	require.Equal(t, exitOK, code, stderr)
	var d digest.Digest
	require.NoError(t, json.Unmarshal([]byte(stdout), &d), stdout)
	return d
}

// TestDryRunJSONEqualOnV2AndV36 is the "done when" through the
// command line: `run JOB --dry-run --format json` with api "3.6" against
// the simulator gives, for every metric key both versions have, the same
// value as with v2: in UTC every key; in New York and Warsaw, over a week
// with a DST change, every key of the reports whose v2 endpoint takes a
// timezone (the README lists them).
func TestDryRunJSONEqualOnV2AndV36(t *testing.T) {
	t.Parallel()
	zoned := map[livechat.Report]bool{}
	for _, r := range livechat.ReportsOn(livechat.V2) {
		if m, _ := livechat.MethodOf(livechat.V2, r); m.Timezone {
			zoned[r] = true
		}
	}
	for _, tt := range []struct{ zone, at string }{
		{"UTC", "2026-11-23T09:00"},
		{"America/New_York", "2026-03-09T09:00"}, // last week holds 2026-03-08
		{"Europe/Warsaw", "2026-03-30T09:00"},    // last week holds 2026-03-29
	} {
		t.Run(tt.zone, func(t *testing.T) {
			t.Parallel()
			d2 := dryRunJSON(t, v36Config(t, "2", tt.zone), tt.at)
			d36 := dryRunJSON(t, v36Config(t, "3.6", tt.zone), tt.at)
			assert.Empty(t, d2.Errors)
			assert.Empty(t, d36.Errors)
			assert.Equal(t, d2.Period, d36.Period)
			compared := 0
			for _, m := range digest.Catalogue {
				if !digest.MetricOn(m, livechat.V2) || !digest.MetricOn(m, livechat.V36) {
					continue
				}
				if tt.zone != "UTC" && !zoned[m.Report] {
					continue
				}
				a, b := d2.Metrics[m.Key], d36.Metrics[m.Key]
				for _, f := range []struct {
					name string
					x, y *float64
				}{{"current", a.Current, b.Current}, {"previous", a.Previous, b.Previous}, {"change", a.Change, b.Change}} {
					if f.x == nil || f.y == nil {
						assert.True(t, f.x == nil && f.y == nil, "%s %s: v2 %v, v3.6 %v", m.Key, f.name, f.x, f.y)
						continue
					}
					assert.InDelta(t, *f.x, *f.y, 1e-9*math.Max(1, math.Abs(*f.x)), "%s %s", m.Key, f.name)
				}
				compared++
			}
			if tt.zone == "UTC" {
				assert.Equal(t, 26, compared, "every shared key")
				assert.Equal(t, d2.Rankings.Chats, d36.Rankings.Chats)
			} else {
				assert.Equal(t, 21, compared, "every shared key of a zoned report")
			}
			for _, key := range []string{"total_chats.continuous", "unique_visitors.visitors", "not_replied.chats", "chat_duration.seconds", "greetings.canceled"} {
				assert.Contains(t, d36.Metrics, key)
				assert.NotContains(t, d2.Metrics, key)
			}
			for _, key := range []string{"goals.goals", "agents_occupancy.peak", "tickets_new.tickets"} {
				assert.NotContains(t, d36.Metrics, key, "v3.6 all has no %s", strings.Split(key, ".")[0])
			}
		})
	}
}

// TestReadmeFilterTable keeps the README's table of filters and zones per
// report (section "Reports API v3.6") equal to what the client does.
func TestReadmeFilterTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "## Reports API v3.6")
	require.True(t, ok)
	rows := map[string][]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) == 7 && strings.HasPrefix(cells[0], "`") {
			rows[strings.Trim(cells[0], "`")] = cells
		}
	}
	require.Len(t, rows, len(livechat.Reports))
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	for _, info := range livechat.Reports {
		row := rows[string(info.Report)]
		require.NotNil(t, row, info.Report)
		for i, api := range livechat.APIs {
			m, ok := livechat.MethodOf(api, info.Report)
			ep, filters, zone := row[1+3*i], row[2+3*i], row[3+3*i]
			if !ok {
				assert.Equal(t, []string{"—", "—", "—"}, []string{ep, filters, zone}, "%s on %s", info.Report, api)
				continue
			}
			assert.True(t, strings.HasPrefix(ep, "`"+m.Endpoint+"`"), "%s on %s: endpoint %s", info.Report, api, ep)
			assert.Equal(t, m.Filters.String(), filters, "%s on %s", info.Report, api)
			assert.True(t, strings.HasPrefix(zone, yes(m.Timezone)), "%s on %s: zone %s", info.Report, api, zone)
		}
	}
}

// TestExampleConfigMovesToV36InOneLine: the README's promise for the
// shipped config.yaml (base_url builtin): adding `api: "3.6"` under
// livechat is the whole move; it validates, and weekly-support runs and
// mails a digest read through v3.6.
func TestExampleConfigMovesToV36InOneLine(t *testing.T) {
	t.Parallel()
	dir, path := writeConfig(t)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), "\nlivechat:\n")
	moved := strings.Replace(string(b), "\nlivechat:\n", "\nlivechat:\n  api: \"3.6\"\n", 1)
	require.NoError(t, os.WriteFile(path, []byte(moved), 0o600))

	code, stdout, stderr := runCLI(t, nil, "validate", "--config", path)
	require.Equal(t, exitOK, code, stdout+stderr)
	code, stdout, stderr = runCLI(t, nil, "run", "weekly-support", "--at", "2026-11-23T09:00", "--config", path)
	require.Equal(t, exitOK, code, stdout+stderr)
	assert.Contains(t, stdout, "1 sent")
	mails, err := filepath.Glob(filepath.Join(dir, "outbox", "*weekly-support*.eml"))
	require.NoError(t, err)
	require.Len(t, mails, 1)
	mail, err := os.ReadFile(mails[0])
	require.NoError(t, err)
	assert.Contains(t, string(mail), "Unique visitors", "a v3.6 metric")
	assert.NotContains(t, string(mail), "Reports that failed")
}
