package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"livechat-digest/store"
)

// printUnsubscribes lists the recipients who unsubscribed from a job's
// digest (by its one-click link); their digests are no longer queued.
func (a *app) printUnsubscribes(cmd *cobra.Command, st *store.Store) error {
	us, err := st.Unsubscribes(cmd.Context())
	if err != nil {
		return failed(err)
	}
	if len(us) == 0 {
		return nil
	}
	fmt.Fprintf(a.stdout, "\nUnsubscribed (%d; their digests are not sent):\n", len(us))
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tADDRESS\tSINCE")
	for _, u := range us {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Job, u.Address, u.CreatedAt.Format("2006-01-02 15:04 MST"))
	}
	return tw.Flush()
}
