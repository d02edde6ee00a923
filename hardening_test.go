package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runWithin is runCLI with a hang guard: a command that does not return
// within a minute fails the test (before the template limits, validate
// spun for minutes on a range over 2,000,000,000).
func runWithin(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		c, o, e := runCLI(t, env, args...)
		done <- result{c, o, e}
	}()
	select {
	case r := <-done:
		return r.code, r.stdout, r.stderr
	case <-time.After(time.Minute):
		t.Fatalf("%v did not return", args)
		return 0, "", ""
	}
}

// An endless loop in a templates_dir file and in a subject is a validate
// error at its FILE:LINE, found without running it.
func TestValidateRejectsEndlessTemplates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "tmpl")
	require.NoError(t, os.Mkdir(tmpl, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(tmpl, "digest.txt.tmpl"), []byte("{{.Title}}\n\n{{range 2000000000}}{{end}}\n"), 0o600))
	path := filepath.Join(dir, "config.yaml")
	cfg := `livechat: {base_url: builtin, login: demo, api_key: demo-key}
email: {from: "r@example.com", outbox_dir: ` + filepath.Join(dir, "outbox") + `}
templates_dir: ` + tmpl + `
jobs:
  - name: weekly
    schedule: "0 9 * * MON"
    email:
      to: [a@example.com]
      subject: "{{range 2000000000}}{{end}}{{.Job}}"
`
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	code, stdout, stderr := runWithin(t, nil, "validate", "--config", path)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, stdout)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 2, stderr)
	assert.True(t, strings.HasPrefix(lines[0], path+`:9: job "weekly": email.subject: `), lines[0])
	assert.Contains(t, lines[0], "runs about 2,000,000,000 times")
	assert.True(t, strings.HasPrefix(lines[1], filepath.Join(tmpl, "digest.txt.tmpl")+":3: "), lines[1])
	assert.Contains(t, lines[1], "runs about 2,000,000,000 times")
}
