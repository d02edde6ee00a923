package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stuckOnFIFO builds the binary and starts it with args (where
// "CONFIG" is replaced by a FIFO nobody writes, as a hung network mount
// would leave a config file), and waits until a thread of it is blocked
// opening the FIFO, so that the signal handlers are installed (main runs
// before the open). It returns the command and its Wait's result.
func stuckOnFIFO(t *testing.T, args ...string) (*exec.Cmd, <-chan error) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc to see the command blocked")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "livechat-digest")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	fifo := filepath.Join(dir, "config.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for i, a := range args {
		if a == "CONFIG" {
			args[i] = fifo
		}
	}

	cmd := exec.Command(bin, args...)
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		// Opening the FIFO for writing frees a reader still blocked.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	})
	require.Eventually(t, func() bool { return blockedInOpen(cmd.Process.Pid) }, 30*time.Second, 10*time.Millisecond,
		"%v never blocked opening the FIFO", args)
	return cmd, done
}

// The first SIGINT asks a command to wind down (its ctx ends); a command
// stuck where no ctx reaches (here: `jobs` opening a config that is a FIFO
// nobody writes) is ended by the next one. Before, every later signal was
// swallowed and only SIGKILL ended the process.
func TestSecondSignalEndsAStuckCommand(t *testing.T) {
	t.Parallel()
	cmd, done := stuckOnFIFO(t, "jobs", "--config", "CONFIG")

	// Signal until it ends; with the fix the second one ends it.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	guard := time.After(30 * time.Second) // a hang guard: before the fix it never ended
	sent := 0
	for {
		select {
		case err := <-done:
			var ee *exec.ExitError
			require.True(t, errors.As(err, &ee), "%v", err)
			ws := ee.Sys().(syscall.WaitStatus)
			assert.True(t, ws.Signaled() && ws.Signal() == syscall.SIGINT, "ended by SIGINT's default action: %v", err)
			assert.GreaterOrEqual(t, sent, 2, "the first signal only asks to stop")
			return
		case <-tick.C:
			// The process may have ended (and been waited for) since the
			// last signal while this tick was ready: done says how it ended.
			err := cmd.Process.Signal(syscall.SIGINT)
			if errors.Is(err, os.ErrProcessDone) {
				continue
			}
			require.NoError(t, err)
			sent++
		case <-guard:
			t.Fatalf("jobs still runs after %d SIGINTs", sent)
		}
	}
}

// validate has nothing to wind down: the first SIGINT ends it, with exit
// 1, even where it is stuck reading its config. Before, it took a second
// signal (and a template spinning in its check ignored the first for as
// long as it spun).
func TestFirstSignalEndsValidate(t *testing.T) {
	t.Parallel()
	cmd, done := stuckOnFIFO(t, "validate", "--config", "CONFIG")
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-done:
		var ee *exec.ExitError
		require.True(t, errors.As(err, &ee), "%v", err)
		assert.Equal(t, exitFailed, ee.ExitCode(), "exits by itself after one signal: %v", err)
	case <-time.After(30 * time.Second): // a hang guard: before the fix one signal never ended it
		t.Fatal("validate still runs after one SIGINT")
	}
}

// blockedInOpen reports whether a thread of pid is in openat(2) (257 on
// amd64, 56 on arm64).
func blockedInOpen(pid int) bool {
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "syscall"))
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		nr, _, _ := strings.Cut(string(b), " ")
		if (runtime.GOARCH == "amd64" && nr == "257") || (runtime.GOARCH == "arm64" && nr == "56") {
			return true
		}
	}
	return false
}
