package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/spf13/cobra"
)

// Exit codes of the contract.
const (
	exitOK      = 0
	exitFailed  = 1 // the work failed, e.g. a delivery failed after its retries
	exitUsage   = 2 // bad usage or bad config
	defaultConf = "config.yaml"
)

// exitError carries an exit code out of a command. Errors that are not
// exitErrors come from cobra itself (unknown command or flag, wrong number of
// arguments) and are usage errors.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

func failed(err error) error { return &exitError{code: exitFailed, err: err} }

// env is how the program reads its environment; tests pass a map.
type env func(string) (string, bool)

// app is what every command shares: where to write, how to find the config
// and what time it is.
type app struct {
	stdout, stderr io.Writer
	getenv         env
	configPath     string
	// clock is the commands' "now" (`run` without --at, its future check,
	// re-queue instants); tests set a fake one.
	clock clockwork.Clock
	// recordTimeout, when set, replaces the delivery worker's bound on
	// recording an outcome, so tests need not wait out the real one.
	recordTimeout time.Duration
	// listen opens serve's listeners (server.addr, server.pprof_addr); nil
	// is net.Listen. Tests hand over listeners they already hold: a port
	// chosen by closing a listener can be taken by another process before
	// serve listens on it.
	listen func(network, addr string) (net.Listener, error)
}

// netListen is a.listen, or net.Listen without one.
func (a *app) netListen(network, addr string) (net.Listener, error) {
	if a.listen != nil {
		return a.listen(network, addr)
	}
	return net.Listen(network, addr)
}

// now is the commands' current instant (the real clock's when a has none).
func (a *app) now() time.Time {
	if a.clock == nil {
		return time.Now()
	}
	return a.clock.Now()
}

// cli runs one command line and returns the process exit code.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, clock: clockwork.NewRealClock()}
	return a.execute(ctx, args)
}

// execute runs one command line with a and returns the exit code.
func (a *app) execute(ctx context.Context, args []string) int {
	stdout, stderr := a.stdout, a.stderr
	root := a.commands()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, strings.TrimRight(ee.err.Error(), "\n"))
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "livechat-digest: %v\nRun 'livechat-digest --help' for usage.\n", err)
	return exitUsage
}

func (a *app) commands() *cobra.Command {
	root := &cobra.Command{
		Use:           "livechat-digest",
		Short:         "LiveChat report digests by email and Slack, slash commands and threshold alerts",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.Version = version()
	root.SetVersionTemplate("livechat-digest {{.Version}}\n")
	def := defaultConf
	if v, ok := a.getenv("LIVECHAT_DIGEST_CONFIG"); ok && v != "" {
		def = v
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", def, "config file (or $LIVECHAT_DIGEST_CONFIG)")
	root.AddCommand(a.serveCmd(), a.runCmd(), a.reportCmd(), a.validateCmd(), a.jobsCmd(), a.simulateCmd())
	root.AddCommand(a.silenceCmd(), a.alertsCmd())
	root.AddCommand(a.deliveriesCmd())
	root.AddCommand(a.checkCmd())
	root.AddCommand(a.healthcheckCmd())
	return root
}
