package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"livechat-digest/config"
	"livechat-digest/jobs"
	"livechat-digest/server"
	"livechat-digest/store"
)

func (a *app) serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the scheduler and the HTTP server (slash commands, /healthz, /metrics)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			if errs := checkSubjects(cfg); len(errs) > 0 {
				return &exitError{code: exitUsage, err: errs}
			}
			return a.serve(cmd.Context(), cfg)
		},
	}
}

// serve wires every part and runs until ctx is cancelled (SIGINT/SIGTERM).
// Shutdown order: stop accepting HTTP, stop the scheduler (it waits for
// running jobs), drain the delivery worker, then close the store.
func (a *app) serve(ctx context.Context, cfg *config.Config) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := server.NewMetrics(reg)
	p, err := a.wire(ctx, cfg, wireOpts{level: slog.LevelInfo, send: true, metrics: metrics})
	if err != nil {
		return err
	}
	defer p.close()
	log, st := p.log, p.store
	// Failed deliveries of recent firings get another try at each start
	// (the peer may have been down for the whole retry window); those of
	// firings older than the catch-up grace stay failed, so a restart never
	// sends a digest that failed weeks ago. `deliveries retry` takes any.
	if grace := time.Duration(cfg.Scheduler.CatchUpGrace); grace > 0 {
		now := p.clock.Now()
		if n, err := st.RequeueFailed(ctx, store.RequeueFilter{Since: now.Add(-grace)}, now); err != nil {
			return failed(err)
		} else if n > 0 {
			log.Info("requeued failed deliveries of recent firings", "count", n, "since", now.Add(-grace).Format(time.RFC3339))
		}
	}
	names := make([]string, len(cfg.Jobs))
	for i := range cfg.Jobs {
		names[i] = cfg.Jobs[i].Name
	}
	metrics.ForJobs(names)
	newStore, err := st.StartServing(ctx)
	if err != nil {
		return failed(err)
	}
	lease := time.Duration(cfg.Scheduler.Lease)
	sched, err := jobs.NewScheduler(p.runner, cfg.Jobs, jobs.SchedulerOptions{Clock: p.clock,
		Grace: time.Duration(cfg.Scheduler.CatchUpGrace), Logger: log.With("component", "scheduler"),
		Locker: jobs.NewLocker(st, p.owner, p.clock, lease), Store: st, ReapEvery: time.Duration(cfg.Scheduler.ReapEvery),
		MaxRuns: cfg.Scheduler.MaxRuns, Runs: st, ClaimErrors: metrics.FiringClaimError, NewStore: newStore})
	if err != nil {
		return failed(err)
	}
	web, err := webUI(cfg, p, p.signer, p.render)
	if err != nil {
		return failed(err)
	}
	var webHandler http.Handler
	if web != nil {
		webHandler = web.Handler()
	}
	srv, err := server.New(server.Options{
		Web:           webHandler,
		SigningSecret: cfg.Slack.SigningSecret.Reveal(),
		Answerer:      answerer{cfg: cfg, runner: p.runner, fetch: p.client, store: st},
		Silencer:      silencer{cfg: cfg, store: st, now: time.Now},
		Renderer:      p.render,
		Health:        storeHealth(st),
		Metrics:       metrics,
		Gatherer:      reg,
		Logger:        log.With("component", "server"),
	})
	if err != nil {
		return failed(err)
	}
	stopPprof, err := servePprof(cfg.Server.PprofAddr, a.netListen, log)
	if err != nil {
		return failed(err)
	}
	defer stopPprof()
	l, err := a.netListen("tcp", cfg.Server.Addr)
	if err != nil {
		return failed(fmt.Errorf("livechat-digest: listen %s: %w", cfg.Server.Addr, err))
	}
	l = server.LimitListener(l)
	httpSrv := srv.HTTPServer()

	// The worker, the HTTP server and the gauges run until the end; each is
	// waited for below.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var bg sync.WaitGroup
	workerDone := make(chan error, 1)
	go func() { workerDone <- p.worker.Run(workCtx) }()
	httpDone := make(chan error, 1)
	go func() { httpDone <- httpSrv.Serve(l) }()
	bg.Add(1)
	go func() {
		defer bg.Done()
		housekeep(workCtx, st, metrics, time.Duration(cfg.Store.Retention), log)
	}()
	bg.Add(1)
	go func() { defer bg.Done(); metrics.WatchQueue(workCtx, st, 0) }()
	bg.Add(1)
	go func() { defer bg.Done(); watchStore(workCtx, st, p.clock, storeWatchEvery, log) }()
	bg.Add(1)
	go func() { defer bg.Done(); sweepShared(workCtx, st, log) }()

	if err := sched.Start(ctx); err != nil {
		log.Error("catch-up failed", "err", err)
	}
	log.Info("serving", "addr", l.Addr().String(), "jobs", len(cfg.Jobs), "owner", p.owner)

	select {
	case <-ctx.Done():
	case err := <-httpDone:
		log.Error("http server stopped", "err", err)
	}
	log.Info("shutting down")
	// Each step has its own bound, so a slow one cannot eat the next one's
	// time: HTTP and slash-command answers, then the scheduler (running
	// jobs finish, up to its stop timeout), then one minute of sending.
	base := context.WithoutCancel(ctx)
	hctx, cancelHTTP := context.WithTimeout(base, 30*time.Second)
	if err := httpSrv.Shutdown(hctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
	}
	srv.Wait(hctx)
	cancelHTTP()
	if err := sched.Shutdown(); err != nil {
		log.Warn("scheduler shutdown", "err", err)
	}
	// One worker per owner at a time: stop the polling one, then drain
	// what is due.
	stopWork()
	<-workerDone
	bg.Wait()
	dctx, cancelDrain := context.WithTimeout(base, time.Minute)
	defer cancelDrain()
	if err := p.worker.Drain(dctx); err != nil {
		log.Debug("drain cut short; deliveries stay queued", "err", err)
	}
	return nil
}

// housekeep keeps the alerts-firing gauge current (every 15 s) and prunes
// what the store keeps past its retention (every hour), until ctx ends.
// The queue-depth gauge has its own watcher (Metrics.WatchQueue).
func housekeep(ctx context.Context, st *store.Store, m *server.Metrics, retention time.Duration, log *slog.Logger) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	pruned := time.Now() // the first prune waits an hour: start-up has catch-up to do
	for {
		if alerts, err := st.Alerts(ctx); err == nil {
			n := 0
			for _, a := range alerts {
				if a.Firing {
					n++
				}
			}
			m.SetAlertsFiring(n)
		} else if ctx.Err() == nil {
			log.Warn("reading alert states failed", "err", err)
		}
		if now := time.Now(); retention > 0 && now.Sub(pruned) >= time.Hour {
			pruned = now
			if nd, nr, err := st.Prune(ctx, now.Add(-retention)); err != nil {
				if ctx.Err() == nil {
					log.Warn("pruning the store failed", "err", err)
				}
			} else if nd+nr > 0 {
				log.Info("pruned the store", "deliveries", nd, "run_digests", nr, "before", now.Add(-retention).Format(time.RFC3339))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
