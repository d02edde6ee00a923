package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/jobs"
	"livechat-digest/store"
	"livechat-digest/templates"
	"livechat-digest/ui"
	"livechat-digest/unsubscribe"
)

// webQueueLimit is how many unsent deliveries the page lists.
const webQueueLimit = 100

// webData gives the operator page what it shows, over the config, the
// schedules and the store, so that ui needs neither jobs nor store.
type webData struct {
	cfg    *config.Config
	store  *store.Store
	runner *jobs.Runner
	wake   func() // the worker's Notify: a re-queued delivery goes out now
}

// job is one job's line: its schedule, its last run (nil: never run) and
// how many of its deliveries are not sent.
func (w webData) job(job *config.Job, now time.Time, last *store.Run, unsent int) (ui.Job, error) {
	j := ui.Job{Name: job.Name, Schedule: job.Schedule, Timezone: job.Location.String(), Undelivered: unsent}
	next, err := jobs.NextRuns(job, now, 3)
	if err != nil {
		return j, err
	}
	for _, t := range next {
		j.Next = append(j.Next, t.In(job.Location))
	}
	if last != nil {
		j.Last = &ui.Run{FiringAt: last.FiringAt.In(job.Location), Status: last.Status, Error: last.Error, CaughtUp: last.CaughtUp}
	}
	return j, nil
}

func uiDelivery(d store.Delivery) ui.Delivery {
	return ui.Delivery{ID: d.ID, Job: d.Job, Kind: d.Kind, FiringAt: d.FiringAt, Target: d.Target,
		Status: d.Status, Attempts: d.Attempts, LastError: d.LastError}
}

func (w webData) Overview(ctx context.Context, now time.Time) (ui.Overview, error) {
	var o ui.Overview
	// Two queries for all the jobs' lines, however many jobs.
	names := make([]string, len(w.cfg.Jobs))
	for i, j := range w.cfg.Jobs {
		names[i] = j.Name
	}
	last, err := w.store.LastRuns(ctx, names)
	if err != nil {
		return o, err
	}
	unsent, err := w.store.UnsentByJob(ctx)
	if err != nil {
		return o, err
	}
	for i := range w.cfg.Jobs {
		var lr *store.Run
		if r, ok := last[w.cfg.Jobs[i].Name]; ok {
			lr = &r
		}
		j, err := w.job(&w.cfg.Jobs[i], now, lr, unsent[w.cfg.Jobs[i].Name])
		if err != nil {
			return o, err
		}
		o.Jobs = append(o.Jobs, j)
	}
	states, err := w.store.Alerts(ctx)
	if err != nil {
		return o, err
	}
	silences, err := w.store.Silences(ctx, store.SilenceFilter{EndsAfter: now})
	if err != nil {
		return o, err
	}
	for _, s := range states {
		a := ui.Alert{Job: s.Job, Key: s.Key, Firing: s.Firing, Since: s.Since,
			Value: alertValueText(s.Key, s.Value)}
		for _, si := range silences {
			metric, _, _ := strings.Cut(s.Key, " ")
			if si.Job == s.Job && (si.Metric == "" || si.Metric == metric) && !si.StartsAt.After(now) {
				a.Silence = fmt.Sprintf("until %s by %s", si.EndsAt.Format("2006-01-02 15:04 MST"), si.CreatedBy)
			}
		}
		o.Alerts = append(o.Alerts, a)
	}
	depth, err := w.store.QueueDepth(ctx)
	if err != nil {
		return o, err
	}
	total := 0
	for _, status := range []string{store.DeliveryFailed, store.DeliveryQueued, store.DeliverySending} {
		o.QueueCounts = append(o.QueueCounts, ui.Count{Status: status, N: depth[status]})
		total += depth[status]
		left := webQueueLimit - len(o.Queue)
		if left <= 0 {
			continue
		}
		ds, err := w.store.Deliveries(ctx, store.DeliveryFilter{Status: status, Limit: left})
		if err != nil {
			return o, err
		}
		for _, d := range ds {
			o.Queue = append(o.Queue, uiDelivery(d))
		}
	}
	o.QueueCut = len(o.Queue) < total
	unsubs, err := w.store.Unsubscribes(ctx)
	if err != nil {
		return o, err
	}
	for _, u := range unsubs {
		o.Unsubscribed = append(o.Unsubscribed, ui.Unsubscribed{Job: u.Job, Address: u.Address, At: u.CreatedAt})
	}
	return o, nil
}

func (w webData) Job(ctx context.Context, name string, now time.Time) (ui.JobDetail, error) {
	job, ok := w.cfg.Job(name)
	if !ok {
		return ui.JobDetail{}, fmt.Errorf("%w %q", ui.ErrNoJob, name)
	}
	var last *store.Run
	switch r, err := w.store.LastRun(ctx, name); {
	case err == nil:
		last = &r
	case !errors.Is(err, store.ErrNotFound):
		return ui.JobDetail{}, err
	}
	counts, err := w.store.CountDeliveries(ctx, store.DeliveryFilter{Job: name})
	if err != nil {
		return ui.JobDetail{}, err
	}
	j, err := w.job(job, now, last, counts[store.DeliveryQueued]+counts[store.DeliverySending]+counts[store.DeliveryFailed])
	if err != nil {
		return ui.JobDetail{}, err
	}
	d := ui.JobDetail{Job: j}
	if len(j.Next) > 0 {
		d.NextCovers = nextCovers(job, j.Next[0])
	}
	runs, err := w.store.Runs(ctx, name, 20)
	if err != nil {
		return d, err
	}
	for _, r := range runs {
		d.Runs = append(d.Runs, ui.Run{FiringAt: r.FiringAt.In(job.Location), Status: r.Status, Error: r.Error, CaughtUp: r.CaughtUp})
	}
	ds, err := w.store.Deliveries(ctx, store.DeliveryFilter{Job: name, Limit: 50})
	if err != nil {
		return d, err
	}
	for _, x := range ds {
		d.Deliveries = append(d.Deliveries, uiDelivery(x))
	}
	unsubs, err := w.store.Unsubscribes(ctx)
	if err != nil {
		return d, err
	}
	for _, u := range unsubs {
		if u.Job == name {
			d.Unsubscribed = append(d.Unsubscribed, ui.Unsubscribed{Job: u.Job, Address: u.Address, At: u.CreatedAt})
		}
	}
	return d, nil
}

// nextCovers says the period job's run at next covers, as the page shows
// it beside the preview built as of now (for last_week on a Thursday, the
// preview shows the week the last run sent, the next run this week).
func nextCovers(job *config.Job, next time.Time) string {
	s := templates.RangeString(job.Period.Range(next, job.Location))
	if job.Period.Partial() {
		s += " until " + next.In(job.Location).Format("15:04")
	}
	return s
}

// Preview builds the job's digest as `run --dry-run` does: through the
// runner's shared LiveChat client (its rate limit, cache and request
// path), recording and sending nothing.
func (w webData) Preview(ctx context.Context, name string, at time.Time) (*digest.Digest, error) {
	job, ok := w.cfg.Job(name)
	if !ok {
		return nil, fmt.Errorf("%w %q", ui.ErrNoJob, name)
	}
	return w.runner.Build(ctx, job, at)
}

// Resubscribe forgets an unsubscription: the job's next digests reach the
// address again.
func (w webData) Resubscribe(ctx context.Context, job, address string) (bool, error) {
	return w.store.Resubscribe(ctx, job, address)
}

// Requeue queues one failed delivery again and wakes the worker.
func (w webData) Requeue(ctx context.Context, id int64) (int, error) {
	n, err := w.store.RequeueFailed(ctx, store.RequeueFilter{IDs: []int64{id}}, time.Now())
	if n > 0 && w.wake != nil {
		w.wake()
	}
	return n, err
}

// unsubscribeLinks returns the one-click link maker of cfg, or nil when
// public_url is not set.
func unsubscribeLinks(cfg *config.Config) (func(job, address string) string, *unsubscribe.Signer, error) {
	if cfg.Server.PublicURL == "" {
		return nil, nil, nil
	}
	s, err := unsubscribe.NewSigner(cfg.Server.Secret.Reveal())
	if err != nil {
		return nil, nil, err
	}
	return func(job, address string) string { return s.URL(cfg.Server.PublicURL, job, address) }, s, nil
}

// webUI builds the operator page and /unsubscribe for cfg; nil when
// neither is configured.
func webUI(cfg *config.Config, p *parts, signer *unsubscribe.Signer, r *templates.Renderer) (*ui.UI, error) {
	o := ui.Options{Secret: cfg.Server.Secret.Reveal(), Secure: strings.HasPrefix(cfg.Server.PublicURL, "https://"),
		Renderer: r, Logger: p.log.With("component", "ui")}
	if u := cfg.Server.UI; u != nil {
		o.Users, o.ProxyUserHeader, o.TrustedProxies = u.Users, u.ProxyUserHeader, u.TrustedProxies
		data := webData{cfg: cfg, store: p.store, runner: p.runner, wake: p.worker.Notify}
		o.Data, o.Previewer, o.Requeuer, o.Resubscriber = data, data, data, data
	}
	if signer != nil {
		o.Unsubscribe = &ui.UnsubscribeOptions{Signer: signer, Store: p.store}
	}
	if !o.PageOn() && o.Unsubscribe == nil {
		return nil, nil
	}
	return ui.New(o)
}

// alertValueText formats an alert's last value in its metric's unit; the
// key starts with the metric.
func alertValueText(key string, v *float64) string {
	metric, _, _ := strings.Cut(key, " ")
	if m, ok := digest.LookupMetric(metric); ok {
		return digest.FormatValue(m, v)
	}
	if v == nil {
		return "—"
	}
	return fmt.Sprint(*v)
}
