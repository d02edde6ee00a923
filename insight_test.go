package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunSaysWhyADigestWasHeldBack runs the example job with send: breaches
// and a threshold that cannot breach: run exits 0 and says the digest was
// skipped and why, nothing reaches the outbox, and jobs shows it.
func TestRunSaysWhyADigestWasHeldBack(t *testing.T) {
	t.Parallel()
	dir, path := writeConfig(t)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	cfg := strings.Replace(string(b), "    email: {to: [leads@example.com]", "    send: breaches\n    email: {to: [leads@example.com]", 1)
	cfg = strings.Replace(cfg, "{metric: chats_first_response_time.seconds, above: 60}", "{metric: chats_first_response_time.seconds, above: 6000}", 1)
	cfg = strings.Replace(cfg, "{metric: chat_ratings.satisfaction, below: 0.8}", "{metric: chat_ratings.satisfaction, below: 0.01}", 1)
	cfg = strings.Replace(cfg, "{metric: total_chats.chats, change_pct_below: -20}", "{metric: total_chats.chats, change_pct_below: -99}", 1)
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))

	code, stdout, stderr := runCLI(t, nil, "run", "weekly-support", "--config", path, "--at", "2026-11-23T09:00")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "weekly-support 2026-11-23T09:00:00-05:00: skipped, 0 queued, 0 sent; digest not sent (send: breaches): no threshold breaches")
	files, err := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	require.NoError(t, err)
	assert.Empty(t, files)

	code, stdout, stderr = runCLI(t, nil, "jobs", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "skipped at 2026-11-23 09:00 EST: digest not sent (send: breaches): no threshold breaches")
}
