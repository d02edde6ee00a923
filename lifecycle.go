package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/spf13/cobra"

	"livechat-digest/livechat"
	"livechat-digest/server"
	"livechat-digest/store"
)

// lifecycleRecorder takes the Legacy and Deprecation headers the LiveChat
// client sees (it logs the first of each itself): every one is counted in
// /metrics, and each distinct one is kept in the store with when it was
// first and last seen (written again at most hourly), so that `jobs`, a
// process that makes no requests, can show it. An operator
// learns months ahead that the version they read is going away.
type lifecycleRecorder struct {
	log     *slog.Logger
	metrics *server.Metrics
	clock   clockwork.Clock

	mu    sync.Mutex
	store *store.Store // nil until the command opens one
	// kept is when each value was last written to the store.
	kept map[livechat.Lifecycle]time.Time
}

// lifecycleRefresh is how often a value still seen is written again, so
// that its last sighting in the store (what `jobs` shows) stays current in
// a process that runs for months, without a write per answer.
const lifecycleRefresh = time.Hour

func newLifecycleRecorder(log *slog.Logger, m *server.Metrics, clock clockwork.Clock) *lifecycleRecorder {
	return &lifecycleRecorder{log: log.With("component", "lifecycle"), metrics: m, clock: clock, kept: map[livechat.Lifecycle]time.Time{}}
}

// keepIn makes the recorder keep what it sees from now on in st.
func (r *lifecycleRecorder) keepIn(st *store.Store) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.store = st
}

// observe is the client's WithLifecycle func. The store write happens once
// per process and value, and again at most once per lifecycleRefresh while
// the value is still seen (the client bounds the values), inside the
// request that brought the header; a failed write is tried again on the
// next answer.
func (r *lifecycleRecorder) observe(ctx context.Context, l livechat.Lifecycle) {
	r.metrics.Lifecycle(string(l.API), l.Header)
	now := r.clock.Now()
	r.mu.Lock()
	st := r.store
	last, seen := r.kept[l]
	if st == nil || (seen && now.Sub(last) < lifecycleRefresh) || (!seen && len(r.kept) >= 16) {
		r.mu.Unlock()
		return
	}
	r.kept[l] = now
	r.mu.Unlock()
	n := store.LifecycleNotice{API: string(l.API), Header: l.Header, Value: l.Value}
	if err := st.RecordLifecycle(ctx, n, now); err != nil {
		r.mu.Lock()
		if seen {
			r.kept[l] = last
		} else {
			delete(r.kept, l)
		}
		r.mu.Unlock()
		r.log.WarnContext(ctx, "lifecycle header not kept", "error", err)
	}
}

// printLifecycle lists the lifecycle notices kept in st, if any.
func (a *app) printLifecycle(cmd *cobra.Command, st *store.Store) error {
	ns, err := st.LifecycleNotices(cmd.Context())
	if err != nil {
		return failed(err)
	}
	if len(ns) == 0 {
		return nil
	}
	fmt.Fprintln(a.stdout, "\nLiveChat Reports API versions going away (Legacy/Deprecation headers on its answers):")
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "API\tHEADER\tDATE\tFIRST SEEN\tLAST SEEN")
	for _, n := range ns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.API, n.Header, n.Value,
			n.FirstSeen.Format("2006-01-02 15:04 MST"), n.LastSeen.Format("2006-01-02 15:04 MST"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, `Move to the version LiveChat calls stable before that date: for v2, set livechat.api: "3.6" (README, "Reports API v3.6").`)
	return nil
}
