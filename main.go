// Command livechat-digest sends LiveChat report digests by email and Slack on
// a schedule, answers /livechat slash commands and posts threshold alerts.
//
// main only wires: each command is a short function in a cmd_*.go file that
// loads the config, builds the objects it needs (wire.go) and calls into the
// packages; cli.go holds the command tree and the exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // the binary must know every zone in a bare container
)

func main() {
	// Every command takes ctx and winds down on the first SIGINT/SIGTERM
	// (serve drains, run leaves unsent deliveries queued). Once that is
	// under way the signals get their default action back, so a second
	// Ctrl-C ends the process at once whatever it is doing.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := cli(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}
