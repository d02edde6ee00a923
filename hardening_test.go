package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/server"
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

// TestREADMEListsEveryMetric checks the README's /metrics table against the
// code: every livechat_digest_* family that serve registers has a row that
// names each of its labels, and each label value that exists from the start.
func TestREADMEListsEveryMetric(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	rows := map[string]string{}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `livechat_digest_") {
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
			rows[name] = line
		}
	}
	reg := prometheus.NewRegistry()
	server.NewMetrics(reg)
	families, err := reg.Gather()
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, f := range families {
		seen[f.GetName()] = true
		row, ok := rows[f.GetName()]
		if !assert.True(t, ok, "README has no row for %s", f.GetName()) {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				assert.Contains(t, row, "`"+l.GetName()+"`", "%s: label %s", f.GetName(), l.GetName())
				assert.Contains(t, row, "`"+l.GetValue()+"`", "%s: %s value %s", f.GetName(), l.GetName(), l.GetValue())
			}
		}
	}
	// Families with no series yet are not gathered; their rows are checked
	// by name and labels from the descriptors.
	descs := make(chan *prometheus.Desc, 100)
	rec := &recorder{}
	server.NewMetrics(rec)
	for _, c := range rec.cs {
		c.Describe(descs)
	}
	close(descs)
	for d := range descs {
		name, labels := parseDesc(d.String())
		row, ok := rows[name]
		if !assert.True(t, ok, "README has no row for %s", name) {
			continue
		}
		for _, l := range labels {
			assert.Contains(t, row, "`"+l+"`", "%s: label %s", name, l)
		}
	}
	for name := range rows {
		assert.True(t, seen[name] || strings.Contains(fmt.Sprint(rec.names()), name), "README lists %s, which the code does not register", name)
	}
}

// recorder is a prometheus.Registerer that keeps what is registered.
type recorder struct{ cs []prometheus.Collector }

func (r *recorder) Register(c prometheus.Collector) error { r.cs = append(r.cs, c); return nil }
func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	r.cs = append(r.cs, cs...)
}
func (r *recorder) Unregister(prometheus.Collector) bool { return false }

func (r *recorder) names() []string {
	ch := make(chan *prometheus.Desc, 100)
	for _, c := range r.cs {
		c.Describe(ch)
	}
	close(ch)
	var out []string
	for d := range ch {
		n, _ := parseDesc(d.String())
		out = append(out, n)
	}
	return out
}

var descRe = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

// parseDesc reads the name and label names out of a Desc's String form:
// Desc{fqName: "x", help: "...", constLabels: {}, variableLabels: {a,b}}.
func parseDesc(s string) (string, []string) {
	m := descRe.FindStringSubmatch(s)
	if m == nil {
		return s, nil
	}
	var labels []string
	for _, l := range strings.Split(m[2], ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	return m[1], labels
}
