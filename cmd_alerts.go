package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) alertsCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "alerts [--format text|json]",
		Short: "List every alert: state, since, last value, announced or held, silence",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.alerts(cmd, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

// alertJSON is one alert in `alerts --format json`.
type alertJSON struct {
	Job     string       `json:"job"`
	Key     string       `json:"key"`
	State   string       `json:"state"`
	Since   *time.Time   `json:"since"`
	Value   *float64     `json:"value"`
	Notice  string       `json:"notice"`
	Silence *silenceRefJ `json:"silence"`
}

type silenceRefJ struct {
	ID     int64     `json:"id"`
	Until  time.Time `json:"until"`
	By     string    `json:"by"`
	Reason string    `json:"reason"`
}

// alerts prints the list `/livechat alerts` answers with (listAlerts).
func (a *app) alerts(cmd *cobra.Command, format string) error {
	cfg, st, err := a.listing(cmd, format)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	list, err := listAlerts(cmd.Context(), st, now)
	if err != nil {
		return failed(err)
	}
	if format == "json" {
		out := make([]alertJSON, 0, len(list))
		for _, al := range list {
			j := alertJSON{Job: al.Job, Key: al.Key, State: al.State, Value: al.Value, Notice: al.Notice}
			if !al.Since.IsZero() {
				s := al.Since
				j.Since = &s
			}
			if s := al.Silence; s != nil {
				j.Silence = &silenceRefJ{ID: s.ID, Until: s.Until, By: s.By, Reason: s.Reason}
			}
			out = append(out, j)
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(list) == 0 {
		fmt.Fprintln(a.stdout, "No alerts: no threshold has been evaluated yet.")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tALERT\tSTATE\tSINCE\tVALUE\tNOTICE\tSILENCE")
	for _, al := range list {
		loc := cfg.Location
		if j, ok := cfg.Job(al.Job); ok {
			loc = j.Location
		}
		since, value, notice, silence := "-", "-", "-", "-"
		if !al.Since.IsZero() {
			since = al.Since.In(loc).Format("2006-01-02 15:04 MST")
		}
		if al.Value != nil {
			value = strconv.FormatFloat(*al.Value, 'g', 6, 64)
		}
		if al.Notice != "" {
			notice = al.Notice
		}
		if s := al.Silence; s != nil {
			silence = fmt.Sprintf("#%d until %s", s.ID, s.Until.In(loc).Format("2006-01-02 15:04 MST"))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", al.Job, oneLine(al.Key), al.State, since, value, notice, silence)
	}
	return tw.Flush()
}
