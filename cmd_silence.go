package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"livechat-digest/alerting"
	"livechat-digest/config"
	"livechat-digest/query"
	"livechat-digest/store"
)

func (a *app) silenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "silence",
		Short: "Hold back a job's alert firings and reminders for a while (add, list, expire)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr("livechat-digest: silence needs add, list or expire\n\n%s", cmd.UsageString())
		},
	}
	cmd.AddCommand(a.silenceAddCmd(), a.silenceListCmd(), a.silenceExpireCmd())
	return cmd
}

func (a *app) silenceAddCmd() *cobra.Command {
	var (
		dur, reason, by string
	)
	cmd := &cobra.Command{
		Use:   "add JOB[/METRIC] --for DURATION --reason TEXT",
		Short: "Silence a job, or one metric of it, from now on; prints the silence's ID first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, metric, err := query.ParseMatcher(args[0])
			if err != nil {
				return usageErr("livechat-digest: %v", strings.TrimPrefix(err.Error(), "query: "))
			}
			if dur == "" {
				return usageErr("livechat-digest: silence add needs --for, e.g. --for 2h")
			}
			d, err := query.ParseFor(dur)
			if err != nil {
				return usageErr("livechat-digest: --for: %v", strings.TrimPrefix(err.Error(), "query: "))
			}
			if strings.TrimSpace(reason) == "" {
				return usageErr("livechat-digest: silence add needs --reason, e.g. --reason \"incident 42\"")
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			j, ok := cfg.Job(job)
			if !ok {
				return usageErr("livechat-digest: no job %q in %s", job, cfg.File)
			}
			if metric != "" && !jobHasMetric(j.Thresholds, metric) {
				return usageErr("livechat-digest: job %s has no threshold on %q", job, metric)
			}
			st, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return failed(err)
			}
			defer st.Close()
			if by == "" {
				by = cliUser()
			}
			now := time.Now()
			s, err := st.AddSilence(cmd.Context(), store.Silence{Job: job, Metric: metric, StartsAt: now, EndsAt: now.Add(d),
				CreatedBy: by, Reason: reason, CreatedAt: now})
			if err != nil {
				return failed(err)
			}
			fmt.Fprintln(a.stdout, s.ID)
			fmt.Fprintf(a.stdout, "silenced %s until %s\n", args[0], s.EndsAt.In(j.Location).Format("2006-01-02 15:04 MST"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dur, "for", "", "how long, e.g. 30m, 2h, 3d (at most 90d)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (shown with the silence)")
	cmd.Flags().StringVar(&by, "by", "", "who (default: the user running the command)")
	return cmd
}

func jobHasMetric(ts []config.Threshold, m string) bool {
	for _, t := range ts {
		if t.Metric == m {
			return true
		}
	}
	return false
}

// cliUser names who ran the command, for a silence's author.
func cliUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username + " (cli)"
	}
	return "cli"
}

// silenceJSON is one silence in `silence list --format json`.
type silenceJSON struct {
	ID        int64     `json:"id"`
	Job       string    `json:"job"`
	Metric    string    `json:"metric,omitempty"`
	State     string    `json:"state"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Reason    string    `json:"reason"`
}

func (a *app) silenceListCmd() *cobra.Command {
	var (
		format string
		all    bool
	)
	cmd := &cobra.Command{
		Use:   "list [--format text|json] [--all]",
		Short: "List active silences (--all: expired ones too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, st, err := a.listing(cmd, format)
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now()
			f := store.SilenceFilter{EndsAfter: now}
			if all {
				f = store.SilenceFilter{}
			}
			ss, err := st.Silences(cmd.Context(), f)
			if err != nil {
				return failed(err)
			}
			if format == "json" {
				out := make([]silenceJSON, 0, len(ss))
				for _, s := range ss {
					out = append(out, silenceJSON{ID: s.ID, Job: s.Job, Metric: s.Metric, State: alerting.State(s, now),
						StartsAt: s.StartsAt, EndsAt: s.EndsAt, CreatedBy: s.CreatedBy, Reason: s.Reason})
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			if len(ss) == 0 {
				fmt.Fprintln(a.stdout, "No silences.")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tMATCHES\tSTATE\tENDS\tBY\tREASON")
			for _, s := range ss {
				m := s.Job
				if s.Metric != "" {
					m += "/" + s.Metric
				}
				loc := cfg.Location
				if j, ok := cfg.Job(s.Job); ok {
					loc = j.Location
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", s.ID, m, alerting.State(s, now),
					s.EndsAt.In(loc).Format("2006-01-02 15:04 MST"), oneLine(s.CreatedBy), oneLine(s.Reason))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.Flags().BoolVar(&all, "all", false, "include expired silences")
	return cmd
}

func (a *app) silenceExpireCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "expire ID",
		Short: "End a silence now; held firings of alerts still firing go out once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageErr("livechat-digest: silence expire: %q is not a silence ID (see silence list)", args[0])
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return failed(err)
			}
			defer st.Close()
			_, err = st.ExpireSilence(cmd.Context(), id, time.Now())
			switch {
			case errors.Is(err, store.ErrNotFound):
				return usageErr("livechat-digest: silence %d does not exist (see silence list)", id)
			case errors.Is(err, store.ErrExpired):
				fmt.Fprintf(a.stdout, "silence %d had already expired\n", id)
				return nil
			case err != nil:
				return failed(err)
			}
			fmt.Fprintf(a.stdout, "silence %d expired\n", id)
			return nil
		},
	}
}

// oneLine keeps a user's text on one table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// listing opens what a listing command reads (config and store) after
// checking its --format, text or json.
func (a *app) listing(cmd *cobra.Command, format string) (*config.Config, *store.Store, error) {
	if format != "text" && format != "json" {
		return nil, nil, usageErr("livechat-digest: --format: want text or json, got %q", format)
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(cmd.Context(), cfg)
	if err != nil {
		return nil, nil, failed(err)
	}
	return cfg, st, nil
}
