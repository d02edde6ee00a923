//go:build linux

package main

import (
	"os/exec"
	"syscall"
)

// dieWithTest has the kernel SIGKILL cmd when the test process ends. The
// test's cleanup kills its replicas, but a test binary that is killed
// (go test's -timeout, ^C, the CI job cancelled) runs no cleanup: its
// replicas went on serving, firing their every-minute jobs and holding
// PostgreSQL connections, which later runs then lacked.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
