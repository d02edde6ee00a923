package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/spf13/cobra"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/jobs"
	"livechat-digest/notify"
	"livechat-digest/store"
	"livechat-digest/templates"
)

func (a *app) runCmd() *cobra.Command {
	var (
		at, format string
		dryRun     bool
	)
	cmd := &cobra.Command{
		Use:   "run JOB [--at TIME] [--dry-run] [--format json|text|html|slack]",
		Short: "Run one job now, as if its schedule had fired at --at",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("format") && !dryRun {
				// Without --dry-run nothing is printed: the run would
				// send for real while the user asked to see a format.
				return usageErr("livechat-digest: --format needs --dry-run: a run without it sends the messages and prints only a summary")
			}
			f, err := templates.ParseFormat(format)
			if err != nil {
				return usageErr("livechat-digest: --format: %v", err)
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			if errs := checkSubjects(cfg); len(errs) > 0 {
				return &exitError{code: exitUsage, err: errs}
			}
			job, ok := cfg.Job(args[0])
			if !ok {
				return usageErr("livechat-digest: no job %q in %s", args[0], cfg.File)
			}
			now := a.now()
			when := now
			if at != "" {
				if when, err = jobs.ParseAt(at, job.Location); err != nil {
					return usageErr("livechat-digest: %v", err)
				}
			}
			// A manual run fires the minute its instant is in (never the
			// next, as a scheduled tick's rounding would).
			firing := jobs.ManualFiring(when)
			if dryRun {
				return a.dryRun(cmd.Context(), cfg, job, firing, f)
			}
			if firing.After(jobs.ManualFiring(now)) {
				// Recording a firing that has not come would take the
				// scheduled run's slot (it would then send nothing) and
				// stamp the alert states with a future time (the job's
				// alerts would stay silent until then).
				return usageErr("livechat-digest: --at %s is in the future (now %s): a run that sends only fires an instant that has come; add --dry-run to preview it",
					firing.In(job.Location).Format(time.RFC3339), now.In(job.Location).Format(time.RFC3339))
			}
			return a.runJob(cmd.Context(), cfg, job, firing)
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "fire as if at this time, truncated to the minute: RFC 3339, or YYYY-MM-DD[THH:MM[:SS]] in the job's zone (default now); a future time only with --dry-run")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "send nothing; print the digest")
	cmd.Flags().StringVar(&format, "format", "text", "dry-run output: json, text, html or slack (only with --dry-run)")
	return cmd
}

// dryRun builds the digest and prints it; it touches no store and sends
// nothing.
func (a *app) dryRun(ctx context.Context, cfg *config.Config, job *config.Job, at time.Time, f templates.Format) error {
	p, err := a.wire(ctx, cfg, wireOpts{level: slog.LevelWarn})
	if err != nil {
		return err
	}
	defer p.close()
	d, err := digest.Build(ctx, p.client, jobs.Spec(job, at))
	if err != nil {
		return failed(fmt.Errorf("livechat-digest: %s: %w", job.Name, err))
	}
	return a.print(p.render, d, f)
}

// print writes d to stdout in format f.
func (a *app) print(r *templates.Renderer, d *digest.Digest, f templates.Format) error {
	out, err := r.Render(d, f)
	if err != nil {
		return failed(err)
	}
	_, err = a.stdout.Write(out)
	return err
}

// runJob runs the firing at (a minute, see jobs.ManualFiring) through the
// store and the delivery queue, then sends what it queued. A firing that
// already ran sends nothing new.
func (a *app) runJob(ctx context.Context, cfg *config.Config, job *config.Job, at time.Time) error {
	p, err := a.wire(ctx, cfg, wireOpts{level: slog.LevelWarn, send: true})
	if err != nil {
		return err
	}
	defer p.close()
	res, err := p.runner.Run(ctx, job, at, false)
	if err != nil {
		return failed(err)
	}
	firing := at.In(job.Location).Format(time.RFC3339)
	if res.Skipped && res.Run.Status == store.RunRunning {
		// Another process (serve, or another run) is building this
		// firing: wait for it, then report what its deliveries did.
		if res.Run, err = a.awaitRun(ctx, p.store, job.Name, at, time.Duration(cfg.Scheduler.Lease)); err != nil {
			return failed(err)
		}
	}
	if res.Skipped {
		fmt.Fprintf(a.stdout, "%s %s: already %s; nothing new to send\n", job.Name, firing, res.Run.Status)
	}
	c, derr := a.deliver(ctx, p.store, p.worker, p.clock, job.Name, at, time.Duration(cfg.Delivery.RetryFor))
	if !res.Skipped {
		fmt.Fprintf(a.stdout, "%s %s: %s, %d queued, %d sent", job.Name, firing, res.Run.Status, res.Queued, c.sent)
		if c.failed > 0 {
			fmt.Fprintf(a.stdout, ", %d NOT DELIVERED", c.failed)
		}
		if len(res.Fired)+len(res.Resolved) > 0 {
			fmt.Fprintf(a.stdout, ", alerts fired %d resolved %d", len(res.Fired), len(res.Resolved))
		}
		if res.Run.Status == store.RunSkipped {
			fmt.Fprintf(a.stdout, "; %s", res.Run.Error) // why the digest was held back
		}
		fmt.Fprintln(a.stdout)
	}
	var errs []error
	if derr != nil {
		errs = append(errs, derr)
	}
	if c.failed > 0 {
		errs = append(errs, fmt.Errorf("livechat-digest: %s: %d %s failed and %s not delivered: %s; `livechat-digest deliveries retry --job %s` queues %s again",
			job.Name, c.failed, plural(c.failed, "delivery", "deliveries"), plural(c.failed, "was", "were"),
			strings.Join(c.failedTargets, "; "), job.Name, plural(c.failed, "it", "them")))
	}
	if derr == nil && c.unsent > 0 {
		errs = append(errs, fmt.Errorf("livechat-digest: %s: %d deliveries not sent; they stay queued (see `livechat-digest deliveries list`)", job.Name, c.unsent))
	}
	if len(errs) > 0 {
		return failed(errors.Join(errs...))
	}
	return nil
}

// firingCounts is where a firing's deliveries stand.
type firingCounts struct {
	sent   int
	failed int // given up: not delivered until re-queued
	unsent int // queued or being sent
	// next is when the next unsent one can be tried; zero when none is
	// left to try.
	next time.Time
	// failedTargets name the failed ones with their last error, at most
	// maxListed of them.
	failedTargets []string
}

// maxListed bounds the failed deliveries named in run's error.
const maxListed = 5

// drainer sends what is due in the delivery queue; *notify.Worker is one.
type drainer interface {
	Drain(ctx context.Context) error
}

// heldBase and heldMax bound the pauses of `run` while its firing's
// deliveries are due yet no drain can take them (see deliver).
const (
	heldBase = time.Second
	heldMax  = 30 * time.Second
)

// countTimeout bounds counting the queue after ctx ended: the counts are
// what tell whether run failed, so they are read even after Ctrl-C.
const countTimeout = 10 * time.Second

// deliver sends this firing's deliveries (and any left over from earlier
// runs), retrying within the retry window as `serve` would, and returns how
// many of the firing's deliveries were sent and how many are still unsent.
// The counts come from the store on every path. err is a failure of the
// queue itself, or ctx ending while deliveries were still due: those stay
// queued and run must not report success.
func (a *app) deliver(ctx context.Context, st *store.Store, w drainer, clock clockwork.Clock, job string, firing time.Time, window time.Duration) (c firingCounts, err error) {
	ctx, cancel := context.WithTimeout(ctx, window+time.Minute)
	defer cancel()
	held := 0  // drains in a row that found the due deliveries held
	last := "" // the last line printed
	for {
		queueErr := queueProblem(ctx, w.Drain(ctx))
		var countErr error
		c, countErr = countFiring(ctx, st, job, firing)
		if err := errors.Join(queueErr, countErr); err != nil {
			return c, fmt.Errorf("livechat-digest: %s: delivery: %w", job, err)
		}
		if c.next.IsZero() {
			return c, nil // all sent, or given up
		}
		if ctx.Err() != nil {
			return c, stopped(ctx, job, c.unsent)
		}
		wait := c.next.Sub(clock.Now())
		line := fmt.Sprintf("%s: %d deliveries not sent yet; retrying in %s", job, c.unsent, wait.Round(time.Second))
		if wait <= 0 {
			// Due, yet the drain did not take it: an earlier delivery
			// to the same destination holds it back (claimed by a
			// process that may have died, or waiting for its own
			// retry), or another process just claimed it. Nothing
			// here says when that ends, so pause with a growing
			// backoff and say so once.
			held++
			wait = notify.Backoff(held, heldBase, heldMax)
			line = fmt.Sprintf("%s: %d deliveries not sent yet: held behind an earlier delivery to the same destination, or being sent by another process; waiting for it", job, c.unsent)
		} else {
			held = 0
		}
		if line != last {
			fmt.Fprintln(a.stderr, line)
			last = line
		}
		select {
		case <-ctx.Done():
			// Drain once more: it returns at once on a done ctx, and the
			// counts are read afresh.
		case <-clock.After(wait):
		}
	}
}

// countFiring counts the firing's deliveries that were sent and that are
// not, and says when the next of those not sent can be tried: a queued one
// at its next attempt, one another process is sending when its claim runs
// out (Claim takes it over then). next is zero when nothing is left to try.
func countFiring(ctx context.Context, st *store.Store, job string, firing time.Time) (c firingCounts, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), countTimeout)
	defer cancel()
	ds, err := st.Deliveries(ctx, store.DeliveryFilter{Job: job, FiringAt: firing})
	if err != nil {
		return c, err
	}
	slices.Reverse(ds) // oldest first, so failed ones are named in queue order
	for _, d := range ds {
		if !d.FiringAt.Equal(firing) {
			continue
		}
		var at time.Time
		switch d.Status {
		case store.DeliverySent:
			c.sent++
			continue
		case store.DeliveryFailed:
			// Given up: nothing sends it until it is re-queued.
			c.failed++
			switch {
			case len(c.failedTargets) < maxListed:
				c.failedTargets = append(c.failedTargets, fmt.Sprintf("%s (id %d): %s", d.Target, d.ID, d.LastError))
			case len(c.failedTargets) == maxListed:
				c.failedTargets = append(c.failedTargets, "…")
			}
			continue
		case store.DeliveryDropped:
			continue // no longer wanted (silenced, or the recipient unsubscribed): done, not sent
		case store.DeliverySending:
			at = d.ClaimedUntil.Add(time.Millisecond) // Claim wants it strictly past
		default:
			at = d.NextAttemptAt
		}
		c.unsent++
		if c.next.IsZero() || at.Before(c.next) {
			c.next = at
		}
	}
	return c, nil
}

// queueProblem is the part of Drain's error that is a failure of the queue
// itself. Drain joins three kinds of error: queue errors, ErrDeliveryFailed
// when it gave deliveries up, and ctx's error when it was cut short. The
// last two are answered by the store's counts, so they are dropped here; a
// queue error joined with them is not.
func queueProblem(ctx context.Context, err error) error {
	var rest []error
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		switch {
		case err == nil, errors.Is(err, notify.ErrDeliveryFailed):
		case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		default:
			rest = append(rest, err)
		}
	}
	walk(err)
	return errors.Join(rest...)
}

// stopped says why run stopped waiting while deliveries were due.
func stopped(ctx context.Context, job string, pending int) error {
	why := "interrupted"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		why = "stopped waiting after the retry window"
	}
	return fmt.Errorf("livechat-digest: %s: %s with %d deliveries not sent; they stay queued (see `livechat-digest jobs`)", job, why, pending)
}

// awaitRun waits until the run of (job, firing) that another process holds
// is no longer running, at most two leases (the holder renews its lease
// while it works; a dead holder's run is taken over after one).
func (a *app) awaitRun(ctx context.Context, st *store.Store, job string, firing time.Time, lease time.Duration) (store.Run, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*lease)
	defer cancel()
	fmt.Fprintf(a.stderr, "%s: this firing is being run by another process; waiting for it\n", job)
	for {
		runs, err := st.Runs(ctx, job, 0)
		if err != nil {
			return store.Run{}, fmt.Errorf("livechat-digest: %s: %w", job, err)
		}
		for _, r := range runs {
			if r.FiringAt.Equal(firing) && r.Status != store.RunRunning {
				return r, nil
			}
		}
		select {
		case <-ctx.Done():
			return store.Run{}, fmt.Errorf("livechat-digest: %s: the firing is still being run by another process", job)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
