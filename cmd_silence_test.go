package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/store"
)

// TestSilenceCommands drives the contract's alert lifecycle commands:
// the first line of `silence add` is the ID that list and expire take, and
// `alerts` (also as `report alerts`) lists the alert with its silence.
func TestSilenceCommands(t *testing.T) {
	t.Parallel()
	dir, cfg := writeConfig(t)
	code, out, stderr := runCLI(t, nil, "silence", "add", "frt-watch/chats_first_response_time.seconds", "--for", "2h", "--reason", "incident 42", "--by", "ann", "--config", cfg)
	require.Equal(t, exitOK, code, stderr)
	id := strings.SplitN(out, "\n", 2)[0]
	assert.Regexp(t, `^\d+$`, id)
	assert.Contains(t, out, "silenced frt-watch/chats_first_response_time.seconds until ")

	code, out, stderr = runCLI(t, nil, "silence", "list", "--config", cfg)
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `(?m)^`+id+`\s+frt-watch/chats_first_response_time.seconds\s+active\s+.*\s+ann\s+incident 42$`, out)

	// An alert of that job, firing, shows its silence.
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	v := 95.0
	now := time.Now().UTC().Truncate(time.Minute)
	require.NoError(t, st.PutAlert(context.Background(), store.AlertState{Job: "frt-watch", Key: "chats_first_response_time.seconds above 90",
		Firing: true, Since: now, Streak: 1, Value: &v, Updated: now}))
	require.NoError(t, st.Close())
	for _, args := range [][]string{{"alerts"}, {"report", "alerts"}} {
		code, out, stderr = runCLI(t, nil, append(args, "--format", "json", "--config", cfg)...)
		require.Equal(t, exitOK, code, "%v: %s", args, stderr)
		var list []alertJSON
		require.NoError(t, json.Unmarshal([]byte(out), &list), out)
		require.Len(t, list, 1)
		assert.Equal(t, "firing", list[0].State)
		require.NotNil(t, list[0].Silence)
		assert.Equal(t, id, strings.TrimSpace(strings.Split(out, `"id": `)[1][:len(id)]))
		assert.Equal(t, 95.0, *list[0].Value)
	}
	code, out, _ = runCLI(t, nil, "alerts", "--config", cfg)
	require.Equal(t, exitOK, code)
	assert.Regexp(t, `frt-watch\s+chats_first_response_time.seconds above 90\s+firing\s+.*\s+95\s+-\s+#`+id+` until`, out)

	code, out, _ = runCLI(t, nil, "silence", "expire", id, "--config", cfg)
	require.Equal(t, exitOK, code)
	assert.Equal(t, "silence "+id+" expired\n", out)
	code, out, _ = runCLI(t, nil, "silence", "expire", id, "--config", cfg)
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "already expired")
	code, out, _ = runCLI(t, nil, "silence", "list", "--format", "json", "--config", cfg)
	require.Equal(t, exitOK, code)
	assert.Equal(t, "[]\n", out)
	code, out, _ = runCLI(t, nil, "silence", "list", "--all", "--format", "json", "--config", cfg)
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, `"state": "expired"`)
}

func TestSilenceUsageErrors(t *testing.T) {
	t.Parallel()
	_, cfg := writeConfig(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"silence"}, "needs add, list or expire"},
		{[]string{"silence", "add", "frt-watch", "--reason", "x"}, "needs --for"},
		{[]string{"silence", "add", "frt-watch", "--for", "2h"}, "needs --reason"},
		{[]string{"silence", "add", "frt-watch", "--for", "forever", "--reason", "x"}, "--for: duration"},
		{[]string{"silence", "add", "a/b/c", "--for", "1h", "--reason", "x"}, "want JOB or JOB/METRIC"},
		{[]string{"silence", "add", "nope", "--for", "1h", "--reason", "x"}, `no job "nope"`},
		{[]string{"silence", "add", "frt-watch/goals.goals", "--for", "1h", "--reason", "x"}, `no threshold on "goals.goals"`},
		{[]string{"silence", "expire", "x1"}, "not a silence ID"},
		{[]string{"silence", "expire", "4242"}, "does not exist"},
		{[]string{"silence", "list", "--format", "yaml"}, "want text or json"},
		{[]string{"alerts", "--format", "html"}, "want text or json"},
		{[]string{"report", "alerts", "now"}, "did you mean `livechat-digest alerts`?"},
	} {
		code, _, stderr := runCLI(t, nil, append(tt.args, "--config", cfg)...)
		assert.Equal(t, exitUsage, code, "%v: %s", tt.args, stderr)
		assert.Contains(t, stderr, tt.want, "%v", tt.args)
	}
}
