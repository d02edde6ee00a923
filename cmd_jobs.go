package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"livechat-digest/jobs"
	"livechat-digest/store"
)

func (a *app) jobsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "jobs",
		Short: "List jobs: name, schedule, timezone, next three runs, last result",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, st, err := a.configAndStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now()
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSCHEDULE\tTIMEZONE\tNEXT RUNS\tLAST RESULT")
			for i := range cfg.Jobs {
				job := &cfg.Jobs[i]
				next, err := jobs.NextRuns(job, now, 3)
				if err != nil {
					return failed(err)
				}
				runs := make([]string, len(next))
				for i, t := range next {
					runs[i] = t.Format("2006-01-02 15:04 MST")
				}
				last := "never run"
				if r, err := st.LastRun(cmd.Context(), job.Name); err == nil {
					last = fmt.Sprintf("%s at %s", r.Status, r.FiringAt.In(job.Location).Format("2006-01-02 15:04 MST"))
					if r.CaughtUp {
						last += " (caught up)"
					}
					if r.Error != "" {
						last += ": " + r.Error
					}
					note, err := undelivered(cmd, st, job.Name, r.FiringAt)
					if err != nil {
						return failed(err)
					}
					last += note
				} else if !errors.Is(err, store.ErrNotFound) {
					return failed(err)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", job.Name, job.Schedule, job.Location, strings.Join(runs, ", "), last)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if err := a.printQueue(cmd, st); err != nil {
				return err
			}
			if err := a.printLifecycle(cmd, st); err != nil {
				return err
			}
			return a.printUnsubscribes(cmd, st)
		},
	}
}

// undelivered says which of the firing's deliveries were not delivered,
// so that a run recorded ok whose messages failed does not read as done:
// "" when every one was sent.
func undelivered(cmd *cobra.Command, st *store.Store, job string, firing time.Time) (string, error) {
	c, err := st.CountDeliveries(cmd.Context(), store.DeliveryFilter{Job: job, FiringAt: firing})
	if err != nil {
		return "", err
	}
	total := 0
	for _, n := range c {
		total += n
	}
	var parts []string
	if n := c[store.DeliveryFailed]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d NOT DELIVERED (failed; `deliveries retry --job %s` queues them again)", n, total, job))
	}
	if n := c[store.DeliveryQueued] + c[store.DeliverySending]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d not sent yet", n, total))
	}
	if len(parts) == 0 {
		return "", nil
	}
	return "; " + strings.Join(parts, "; "), nil
}

// queueListLimit is how many unsent deliveries `jobs` lists; the counts
// above the list are always complete.
const queueListLimit = 50

// printQueue counts and lists deliveries that are not sent, so an outage is
// visible. The counts come from the whole queue; the list shows at most
// queueListLimit rows, failed first, then queued, then sending.
func (a *app) printQueue(cmd *cobra.Command, st *store.Store) error {
	depth, err := st.QueueDepth(cmd.Context())
	if err != nil {
		return failed(err)
	}
	statuses := []string{store.DeliveryFailed, store.DeliveryQueued, store.DeliverySending}
	total := 0
	counts := make([]string, 0, len(statuses))
	for _, status := range statuses {
		total += depth[status]
		counts = append(counts, fmt.Sprintf("%d %s", depth[status], status))
	}
	if total == 0 {
		return nil
	}
	var pending []store.Delivery
	for _, status := range statuses {
		left := queueListLimit - len(pending)
		if left <= 0 {
			break
		}
		ds, err := st.Deliveries(cmd.Context(), store.DeliveryFilter{Status: status, Limit: left})
		if err != nil {
			return failed(err)
		}
		pending = append(pending, ds...)
	}
	fmt.Fprintf(a.stdout, "\nUnsent deliveries (%d: %s)", total, strings.Join(counts, ", "))
	if len(pending) < total {
		fmt.Fprintf(a.stdout, ", showing %d of %d", len(pending), total)
	}
	fmt.Fprintln(a.stdout, ":")
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tJOB\tFIRING\tTARGET\tSTATUS\tATTEMPTS\tLAST ERROR")
	for _, d := range pending {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.Job, d.FiringAt.Format(time.RFC3339), d.Target, d.Status, d.Attempts, d.LastError)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if depth[store.DeliveryFailed] > 0 {
		fmt.Fprintln(a.stdout, "Failed deliveries are not sent again until re-queued: `livechat-digest deliveries retry [--job JOB] [ID...]`.")
	}
	return nil
}
