package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"livechat-digest/digest"
	"livechat-digest/query"
	"livechat-digest/templates"
)

func (a *app) reportCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "report REPORTS [PERIOD] [FILTER...]",
		Short: "Answer the slash-command grammar on the terminal, e.g. report ratings last week group=2",
		Long:  "Answer the slash-command grammar on the terminal.\n\n" + query.HelpText,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.EqualFold(args[0], "alerts") {
				// The help lists alerts among the commands; it is its own
				// command on the terminal, answered the same way.
				if len(args) > 1 {
					return usageErr("livechat-digest: report alerts takes nothing more; did you mean `livechat-digest alerts`?")
				}
				if format != "text" && format != "json" {
					return usageErr("livechat-digest: report alerts: --format is text or json; did you mean `livechat-digest alerts`?")
				}
				return a.alerts(cmd, format)
			}
			f, err := templates.ParseFormat(format)
			if err != nil {
				return usageErr("livechat-digest: --format: %v", err)
			}
			q, err := query.ParseArgs(append([]string{"report"}, args...))
			if err != nil {
				return usageErr("livechat-digest: %v\n\n%s", err, query.HelpText)
			}
			if q.Kind != query.Report {
				return usageErr("livechat-digest: report takes report names, a period and filters\n\n%s", query.HelpText)
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			p, err := a.wire(cmd.Context(), cfg, wireOpts{level: slog.LevelWarn})
			if err != nil {
				return err
			}
			defer p.close()
			d, err := digest.Build(cmd.Context(), p.client, query.Spec(q, cfg.Location, time.Now()))
			if err != nil {
				return failed(fmt.Errorf("livechat-digest: report: %w", err))
			}
			return a.print(p.render, d, f)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "json, text, html or slack")
	return cmd
}
