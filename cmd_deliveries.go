package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"livechat-digest/config"
	"livechat-digest/store"
)

// deliveriesCmd lists the delivery queue and gives failed deliveries a way
// back: a delivery is marked failed when its error is permanent or its
// retry window (delivery.retry_for) ran out, and nothing sends it again
// until it is re-queued.
func (a *app) deliveriesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "List deliveries, and queue failed ones again",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(a.deliveriesListCmd(), a.deliveriesRetryCmd())
	return cmd
}

func (a *app) deliveriesListCmd() *cobra.Command {
	var (
		job, status string
		limit       int
	)
	cmd := &cobra.Command{
		Use:   "list [--job JOB] [--status queued|sending|sent|failed] [--limit N]",
		Short: "List deliveries, newest first, with their id, status and last error",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if status != "" && !slices.Contains(deliveryStatuses, status) {
				return usageErr("livechat-digest: --status %q: want one of %v", status, deliveryStatuses)
			}
			if limit < 1 {
				return usageErr("livechat-digest: --limit must be at least 1")
			}
			_, st, err := a.configAndStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			ds, err := st.Deliveries(cmd.Context(), store.DeliveryFilter{Job: job, Status: status, Limit: limit})
			if err != nil {
				return failed(err)
			}
			if len(ds) == 0 {
				fmt.Fprintln(a.stdout, "no deliveries")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tJOB\tFIRING\tTARGET\tSTATUS\tATTEMPTS\tLAST ERROR")
			for _, d := range ds {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.Job, d.FiringAt.Format(time.RFC3339), d.Target,
					d.Status, d.Attempts, d.LastError)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&job, "job", "", "only this job's deliveries")
	cmd.Flags().StringVar(&status, "status", "", "only deliveries in this status")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many rows")
	return cmd
}

// deliveryStatuses are the values of --status, in queue order.
var deliveryStatuses = []string{store.DeliveryQueued, store.DeliverySending, store.DeliverySent, store.DeliveryFailed}

func (a *app) deliveriesRetryCmd() *cobra.Command {
	var job string
	cmd := &cobra.Command{
		Use:   "retry [--job JOB] [ID...]",
		Short: "Queue failed deliveries again with a fresh retry window (all of them, a job's, or the ids given)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var ids []int64
			for _, s := range args {
				id, err := strconv.ParseInt(s, 10, 64)
				if err != nil || id <= 0 {
					return usageErr("livechat-digest: deliveries retry: %q is not a delivery id (see `livechat-digest deliveries list`)", s)
				}
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			cfg, st, err := a.configAndStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if job != "" {
				if _, ok := cfg.Job(job); !ok {
					return usageErr("livechat-digest: no job %q in %s", job, cfg.File)
				}
			}
			n, err := st.RequeueFailed(cmd.Context(), store.RequeueFilter{Job: job, IDs: ids}, a.now())
			if err != nil {
				return failed(err)
			}
			fmt.Fprintf(a.stdout, "re-queued %d failed %s with a fresh retry window of %s; a running `serve` sends them at its next poll, or the next `run` does\n",
				n, plural(n, "delivery", "deliveries"), time.Duration(cfg.Delivery.RetryFor))
			if len(ids) > n {
				fmt.Fprintf(a.stdout, "%d of the %d ids given %s not failed (or not of this job) and %s left as they are\n",
					len(ids)-n, len(ids), plural(len(ids)-n, "was", "were"), plural(len(ids)-n, "was", "were"))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&job, "job", "", "only this job's failed deliveries")
	return cmd
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// configAndStore loads the config and opens its store, for commands that
// read or change the store without running anything; the caller closes
// the store. Errors are ready to return from a command.
func (a *app) configAndStore(ctx context.Context) (*config.Config, *store.Store, error) {
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, failed(err)
	}
	return cfg, st, nil
}
