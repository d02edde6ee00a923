package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

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
			when := time.Now()
			if at != "" {
				if when, err = jobs.ParseAt(at, job.Location); err != nil {
					return usageErr("livechat-digest: %v", err)
				}
			}
			if dryRun {
				return a.dryRun(cmd.Context(), cfg, job, when, f)
			}
			return a.runJob(cmd.Context(), cfg, job, when)
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "fire as if at this time: RFC 3339, or YYYY-MM-DD[THH:MM[:SS]] in the job's zone (default now)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "send nothing; print the digest")
	cmd.Flags().StringVar(&format, "format", "text", "dry-run output: json, text, html or slack")
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

// runJob runs the firing through the store and the delivery queue, then
// sends what it queued. A firing that already ran sends nothing new.
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
	firing := jobs.FiringKey(at).In(job.Location).Format(time.RFC3339)
	if res.Skipped {
		fmt.Fprintf(a.stdout, "%s %s: already %s; nothing new to send\n", job.Name, firing, res.Run.Status)
	}
	sent, pending, err := a.deliver(ctx, p.store, p.worker, job.Name, jobs.FiringKey(at), time.Duration(cfg.Delivery.RetryFor))
	if err != nil {
		return failed(err)
	}
	if !res.Skipped {
		fmt.Fprintf(a.stdout, "%s %s: %s, %d queued, %d sent", job.Name, firing, res.Run.Status, res.Queued, sent)
		if len(res.Fired)+len(res.Resolved) > 0 {
			fmt.Fprintf(a.stdout, ", alerts fired %d resolved %d", len(res.Fired), len(res.Resolved))
		}
		fmt.Fprintln(a.stdout)
	}
	if pending > 0 {
		return failed(fmt.Errorf("livechat-digest: %s: %d deliveries not sent; they stay queued (see `livechat-digest jobs`)", job.Name, pending))
	}
	return nil
}

// deliver sends this firing's deliveries (and any left over from earlier
// runs), retrying within the retry window as `serve` would, and returns how
// many of the firing's deliveries were sent and how many are still unsent.
func (a *app) deliver(ctx context.Context, st *store.Store, w *notify.Worker, job string, firing time.Time, window time.Duration) (sent, pending int, err error) {
	ctx, cancel := context.WithTimeout(ctx, window+time.Minute)
	defer cancel()
	for {
		if err := w.Drain(ctx); err != nil && !errors.Is(err, notify.ErrDeliveryFailed) {
			if ctx.Err() != nil {
				break
			}
			return 0, 0, fmt.Errorf("livechat-digest: %s: delivery: %w", job, err)
		}
		ds, err := st.Deliveries(ctx, store.DeliveryFilter{Job: job})
		if err != nil {
			return 0, 0, err
		}
		sent, pending = 0, 0
		var next time.Time
		for _, d := range ds {
			if !d.FiringAt.Equal(firing) {
				continue
			}
			switch d.Status {
			case store.DeliverySent:
				sent++
			case store.DeliveryFailed:
				pending++
			default:
				pending++
				if next.IsZero() || d.NextAttemptAt.Before(next) {
					next = d.NextAttemptAt
				}
			}
		}
		if next.IsZero() {
			return sent, pending, nil // all sent, or given up
		}
		wait := time.Until(next)
		fmt.Fprintf(a.stderr, "%s: %d deliveries not sent yet; retrying in %s\n", job, pending, wait.Round(time.Second))
		select {
		case <-ctx.Done():
			return sent, pending, nil
		case <-time.After(max(wait, 100*time.Millisecond)):
		}
	}
	return sent, pending, nil
}
