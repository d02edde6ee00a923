package main

// No Docker daemon is reachable here, so the image cannot be built in a
// test. This builds the binary exactly as the Dockerfile does (its go build
// line, read from the file) and runs it as the image would: in an empty
// root holding only the binary, the image's config and its volume, as the
// image's user, with only the image's environment (no /etc, no zoneinfo, no
// ZONEINFO, no HOME, no PATH).

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dockerfile is what the test reads from the Dockerfile.
type dockerfile struct {
	froms     []string          // base images
	buildEnv  []string          // VAR=value before `go build`
	buildArgs []string          // the arguments after `go build`
	env       map[string]string // ENV of the final stage
	copies    map[string]string // COPY source (from the context) → destination
	volume    string
	workdir   string
	user      string
	health    []string // HEALTHCHECK CMD
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	d := dockerfile{env: map[string]string{}, copies: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		word, rest, _ := strings.Cut(line, " ")
		fields := shellWords(rest)
		switch word {
		case "FROM":
			d.froms = append(d.froms, fields[0])
			d.env, d.copies = map[string]string{}, map[string]string{} // only the final stage counts
		case "RUN":
			for i := 0; i+1 < len(fields); i++ {
				if fields[i] == "go" && fields[i+1] == "build" {
					d.buildEnv, d.buildArgs = fields[:i], fields[i+2:]
				}
			}
		case "ENV":
			for _, f := range fields {
				k, v, _ := strings.Cut(f, "=")
				d.env[k] = v
			}
		case "COPY":
			if !strings.HasPrefix(fields[0], "--from") && len(fields) == 2 {
				d.copies[fields[0]] = fields[1]
			}
		case "VOLUME":
			d.volume = fields[0]
		case "WORKDIR":
			d.workdir = fields[0]
		case "USER":
			d.user = fields[0]
		case "HEALTHCHECK":
			if _, cmd, ok := strings.Cut(rest, "CMD "); ok {
				require.NoError(t, jsonArray(cmd, &d.health), cmd)
			}
		}
	}
	require.NoError(t, sc.Err())
	return d
}

// shellWords splits a Dockerfile line as sh would for our simple lines:
// spaces separate words, double quotes group and are removed.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func jsonArray(s string, out *[]string) error {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return fmt.Errorf("not an exec-form array")
	}
	for _, f := range strings.Split(s[1:len(s)-1], ",") {
		v, err := strconv.Unquote(strings.TrimSpace(f))
		if err != nil {
			return err
		}
		*out = append(*out, v)
	}
	return nil
}

func TestDockerfileBase(t *testing.T) {
	t.Parallel()
	d := readDockerfile(t)
	require.Len(t, d.froms, 2)
	for _, f := range d.froms {
		name, tag, ok := strings.Cut(f, ":")
		require.True(t, ok, "%s: pinned by a tag", f)
		assert.NotEqual(t, "latest", tag, f)
		if strings.HasPrefix(name, "golang") {
			// A patch version: the build does not change under us.
			assert.Regexp(t, `^1\.\d+\.\d+-`, tag, f)
		}
	}
	assert.Equal(t, []string{"CGO_ENABLED=0"}, d.buildEnv, "static: cgo off")
	assert.Contains(t, d.buildArgs, "-trimpath")
	assert.Equal(t, ":8080", d.env["LIVECHAT_DIGEST_ADDR"], "listens on every interface")
	assert.Equal(t, "/var/lib/livechat-digest", d.volume)
	assert.Equal(t, d.volume, d.workdir, "relative paths of a mounted config land in the volume")
	assert.Equal(t, []string{"/livechat-digest", "healthcheck"}, d.health)

	// .dockerignore keeps what a local build or run leaves out of the context.
	ig, err := os.ReadFile(".dockerignore")
	require.NoError(t, err)
	for _, p := range []string{"livechat-digest", "state.db", "state.db-wal", "outbox", "server.test", ".git"} {
		assert.True(t, dockerIgnores(string(ig), p), ".dockerignore covers %s", p)
	}
	assert.False(t, dockerIgnores(string(ig), "main.go"))
}

// dockerIgnores reports whether a .dockerignore's patterns (matched from the
// context root, as Docker does) leave out the file at path.
func dockerIgnores(ignore, path string) bool {
	out := false
	for _, p := range strings.Split(ignore, "\n") {
		p = strings.TrimSpace(p)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/"), "/")
		if ok, _ := filepath.Match(p, path); ok {
			out = !neg
		}
	}
	return out
}

// TestDockerImageRunsInAnEmptyRoot builds the binary as the Dockerfile does
// and runs the image's commands in an empty root: validate, a run that
// writes its message into the volume, serve, and healthcheck against it.
func TestDockerImageRunsInAnEmptyRoot(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not installed")
	}
	t.Parallel()
	d := readDockerfile(t)

	root := t.TempDir()
	require.NoError(t, os.Chmod(root, 0o755))
	bin := filepath.Join(root, "livechat-digest")
	args := []string{"build", "-o", bin}
	for i := 0; i < len(d.buildArgs); i++ {
		if d.buildArgs[i] == "-o" {
			i++ // the image's path; ours instead
			continue
		}
		args = append(args, d.buildArgs[i])
	}
	build := exec.Command(goBin, args...)
	build.Env = append(os.Environ(), d.buildEnv...)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go %s: %s", strings.Join(args, " "), out)

	// Static: no program interpreter, no shared libraries.
	f, err := elf.Open(bin)
	require.NoError(t, err)
	for _, p := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, p.Type, "dynamically linked")
	}
	libs, err := f.ImportedLibraries()
	require.NoError(t, err)
	assert.Empty(t, libs)
	require.NoError(t, f.Close())

	// The image's files: its config, and the volume owned by its user.
	for src, dst := range d.copies {
		b, err := os.ReadFile(src)
		require.NoError(t, err)
		p := filepath.Join(root, dst)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	volume := filepath.Join(root, d.volume)
	require.NoError(t, os.MkdirAll(volume, 0o755))
	uid, gid := imageUser(t, d.user)

	// The port serve and healthcheck use (LIVECHAT_DIGEST_ADDR); chosen
	// just before serve starts, below.
	port := 0

	chroot := os.Geteuid() == 0
	if chroot {
		require.NoError(t, os.Chown(volume, uid, gid))
	}
	// cmd runs the binary as the image would. Without root there is no
	// chroot: it runs in the volume's folder with the image's environment
	// only, and the image's absolute paths moved under root.
	cmd := func(args ...string) *exec.Cmd {
		env := []string{"LIVECHAT_DIGEST_ADDR=:" + strconv.Itoa(port)}
		for k, v := range d.env {
			if k != "LIVECHAT_DIGEST_ADDR" {
				env = append(env, k+"="+v)
			}
		}
		if chroot {
			c := exec.Command("/livechat-digest", args...)
			c.Path = "/livechat-digest"
			c.Env, c.Dir = env, d.workdir
			c.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
			return c
		}
		cfg := filepath.Join(root, d.env["LIVECHAT_DIGEST_CONFIG"])
		b, err := os.ReadFile(cfg)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(cfg, bytes.ReplaceAll(b, []byte(d.volume), []byte(volume)), 0o644))
		for i, e := range env {
			if strings.HasPrefix(e, "LIVECHAT_DIGEST_CONFIG=") {
				env[i] = "LIVECHAT_DIGEST_CONFIG=" + cfg
			}
		}
		c := exec.Command(bin, args...)
		c.Env, c.Dir = env, volume
		return c
	}
	run := func(args ...string) (int, string) {
		c := cmd(args...)
		b, err := c.CombinedOutput()
		code := 0
		if err != nil {
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, "%v: %s", args, b)
			code = ee.ExitCode()
		}
		return code, string(b)
	}
	if !chroot {
		t.Log("not root: no chroot; running in an empty folder with the image's environment only")
	}

	code, out2 := run("--version")
	assert.Equal(t, 0, code, out2)
	assert.True(t, strings.HasPrefix(out2, "livechat-digest "), out2)

	code, out2 = run("validate")
	require.Equal(t, 0, code, out2)
	assert.Contains(t, out2, "ok, 1 jobs")

	// The job's zone (read from the embedded database) and the volume work.
	code, out2 = run("run", "weekly-support", "--at", "2026-11-23T09:00")
	require.Equal(t, 0, code, out2)
	assert.Contains(t, out2, "1 queued, 1 sent")
	assert.Contains(t, out2, "2026-11-23T09:00:00-05:00")
	emls, err := filepath.Glob(filepath.Join(volume, "outbox", "*.eml"))
	require.NoError(t, err)
	assert.Len(t, emls, 1, "the message is in the volume")
	assert.FileExists(t, filepath.Join(volume, "state.db"))

	// A port free a moment ago, which another process can still take
	// before serve listens (a listener cannot be handed to the image's
	// process): serve then exits "address already in use", and starts
	// again on another port.
	var serve *exec.Cmd
	var logs *syncBuffer
	var done chan error
	for attempt := 1; ; attempt++ {
		port = freePort(t)
		// Nothing serves yet: unhealthy.
		code, out2 = run("healthcheck")
		assert.Equal(t, 1, code, out2)

		serve, logs, done = cmd("serve"), &syncBuffer{}, make(chan error, 1)
		serve.Stdout, serve.Stderr = logs, logs
		require.NoError(t, serve.Start())
		c, ended := serve, done
		go func() { ended <- c.Wait() }()
		t.Cleanup(func() {
			_ = c.Process.Kill()
			err := <-ended
			ended <- err
		})
		if imageHealthy(t, func() bool { code, _ := run(d.health[1:]...); return code == 0 }, done) {
			break
		}
		taken := strings.Contains(logs.String(), "address already in use")
		require.True(t, taken && attempt < 3, "serve exited before healthcheck passed; its log:\n%s", logs)
		t.Logf("port %d was taken before serve listened; again on another", port)
	}

	require.NoError(t, serve.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-done:
		done <- err
		assert.NoError(t, err, "serve exits 0 on SIGTERM: %s", logs)
	case <-time.After(2 * time.Minute): // hang guard
		t.Fatal("serve did not stop on SIGTERM")
	}
	code, _ = run("healthcheck")
	assert.Equal(t, 1, code)
}

// freePort is a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// imageHealthy polls healthy until it holds (true) or serve exits (done
// gets its end, false); the minute only bounds a hang.
func imageHealthy(t *testing.T, healthy func() bool, done chan error) bool {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !healthy() {
		select {
		case err := <-done:
			done <- err
			return false
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("healthcheck never passed within a minute and serve still runs")
		}
	}
	return true
}

// imageUser reads USER uid:gid.
func imageUser(t *testing.T, user string) (int, int) {
	t.Helper()
	u, g, _ := strings.Cut(user, ":")
	uid, err := strconv.Atoi(u)
	require.NoError(t, err, "USER %q: numeric, so the distroless image needs no /etc/passwd lookup", user)
	gid, err := strconv.Atoi(g)
	require.NoError(t, err)
	return uid, gid
}
