package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// Usage mistakes a new user makes are refused with exit 2 before any work:
// --format without --dry-run (it used to send for real), an --at outside
// 2000–2100, a config file over 1 MiB, a templates_dir that does not exist.
func TestNewUserMistakesExitTwo(t *testing.T) {
	t.Parallel()
	dir, path := writeConfig(t)
	big := filepath.Join(t.TempDir(), "big.yaml")
	require.NoError(t, os.WriteFile(big, []byte("# "+strings.Repeat("x", 1<<20)+"\n"), 0o600))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	noTmpl := filepath.Join(dir, "no-tmpl.yaml")
	require.NoError(t, os.WriteFile(noTmpl, []byte(string(b)+"templates_dir: ./no/such/dir\n"), 0o600))
	tmplLine := strings.Count(string(b), "\n") + 1

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "weekly-support", "--format", "html", "--at", "2026-11-23T09:00"}, "--format needs --dry-run"},
		{[]string{"run", "weekly-support", "--format", "text"}, "--format needs --dry-run"},
		{[]string{"run", "weekly-support", "--dry-run", "--at", "1999-12-31T09:00"}, "the year must be 2000–2100"},
		{[]string{"run", "weekly-support", "--dry-run", "--at", "2101-01-04"}, "the year must be 2000–2100"},
		{[]string{"run", "weekly-support", "--dry-run", "--at", "0026-11-23T09:00:00Z"}, "the year must be 2000–2100"},
		{[]string{"validate", "--config", big}, big + ": config is larger than 1024 KiB"},
		{[]string{"validate", "--config", noTmpl}, fmt.Sprintf("%s:%d: templates_dir: ./no/such/dir: no such file or directory", noTmpl, tmplLine)},
	} {
		args := tc.args
		if !slices.Contains(args, "--config") {
			args = append(args, "--config", path)
		}
		code, stdout, stderr := runWithin(t, nil, args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, tc.want, "%v", args)
		assert.NotContains(t, stdout, "sent", "%v", args)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	assert.Empty(t, files, "nothing was sent")
	// The edges are accepted.
	code, _, stderr := runWithin(t, nil, "run", "weekly-support", "--dry-run", "--at", "2000-01-03T09:00", "--config", path)
	assert.Equal(t, exitOK, code, stderr)
}
