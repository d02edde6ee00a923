package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/time/rate"

	"livechat-digest/config"
	"livechat-digest/jobs"
	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
	"livechat-digest/notify"
	"livechat-digest/server"
	"livechat-digest/store"
	"livechat-digest/templates"
	"livechat-digest/unsubscribe"
)

// loadConfig reads the --config file; its problems are a usage error (exit 2)
// printed as FILE:LINE: message lines.
func (a *app) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(a.configPath, a.getenv)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return cfg, nil
}

func (a *app) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
}

// upstream is the LiveChat client of cfg. For base_url "builtin" it first
// serves the simulator on a loopback port, so the client speaks real HTTP to
// it; the returned stop func shuts that down.
func upstream(cfg *config.Config, log *slog.Logger, observe func(endpoint string, status int, elapsed time.Duration),
	lifecycle func(context.Context, livechat.Lifecycle), extra ...livechat.Option) (*livechat.Client, func(), error) {
	stop := func() {}
	base := cfg.LiveChat.BaseURL
	login, key, bearer := credentials(cfg.LiveChat)
	hc := &http.Client{}
	if cfg.LiveChat.Builtin() {
		s, err := sim.New(sim.Options{Seed: cfg.LiveChat.Seed, Login: login, APIKey: key, BearerToken: bearer})
		if err != nil {
			return nil, nil, fmt.Errorf("livechat-digest: simulator: %w", err)
		}
		srv, err := startSim(s)
		if err != nil {
			return nil, nil, err
		}
		stop = func() { hc.CloseIdleConnections(); srv.stop() }
		base = srv.url
	}
	opts := []livechat.Option{
		livechat.WithHTTPClient(hc),
		livechat.WithRateLimit(rate.Limit(cfg.LiveChat.RateLimit), cfg.LiveChat.Burst),
		livechat.WithMaxConcurrent(cfg.LiveChat.MaxConcurrent),
		livechat.WithTimeout(time.Duration(cfg.LiveChat.Timeout)),
		livechat.WithRetry(cfg.LiveChat.Retries, 250*time.Millisecond, 10*time.Second),
		livechat.WithLogger(log),
		livechat.WithAPI(cfg.LiveChat.API),
	}
	if bearer != "" {
		opts = append(opts, livechat.WithBearer(bearer))
	}
	if lifecycle != nil {
		opts = append(opts, livechat.WithLifecycle(lifecycle))
	}
	opts = append(opts, extra...) // after the config's, so they win
	if observe != nil {
		opts = append(opts, livechat.WithObserver(observe))
	}
	c, err := livechat.New(base, login, key, opts...)
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("livechat-digest: %w", err)
	}
	return c, stop, nil
}

func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	s, err := store.Open(ctx, cfg.Store.URL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("livechat-digest: %w", err)
	}
	return s, nil
}

func renderer(cfg *config.Config) (*templates.Renderer, error) {
	r, err := templates.New(cfg.TemplatesDir)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return r, nil
}

// senders are the notify senders by message channel: email goes to the
// outbox folder when one is configured, else to SMTP.
func senders(cfg *config.Config) (map[string]notify.Sender, error) {
	out := map[string]notify.Sender{}
	switch {
	case cfg.Email.OutboxDir != "":
		o, err := notify.NewOutbox(cfg.Email.OutboxDir)
		if err != nil {
			return nil, err
		}
		out[notify.ChannelEmail] = o
	case cfg.Email.SMTP != nil:
		s := cfg.Email.SMTP
		m, err := notify.NewSMTP(notify.SMTPConfig{Host: s.Host, Port: s.Port, Username: s.Username,
			Password: s.Password.Reveal(), TLS: s.TLS, Timeout: time.Duration(s.Timeout)})
		if err != nil {
			return nil, err
		}
		out[notify.ChannelEmail] = m
	}
	if tok := cfg.Slack.BotToken.Reveal(); tok != "" {
		s, err := notify.NewSlack(tok, cfg.Slack.APIURL, &http.Client{Timeout: 15 * time.Second})
		if err != nil {
			return nil, err
		}
		out[notify.ChannelSlack] = s
	}
	return out, nil
}

// ownerName names this process among replicas: host, pid and a random
// suffix, so a restarted process never inherits its predecessor's leases.
func ownerName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// parts are what a command builds from the config. close releases them in
// the reverse order of building.
type parts struct {
	log    *slog.Logger
	client *livechat.Client
	render *templates.Renderer
	// store, worker and runner are built only for commands that record and
	// send (wireOpts.send).
	store  *store.Store
	worker *notify.Worker
	runner *jobs.Runner
	owner  string
	clock  clockwork.Clock
	// signer makes and checks unsubscribe tokens; nil without public_url.
	signer *unsubscribe.Signer
	// lifecycle counts and keeps the Legacy/Deprecation headers LiveChat
	// sends (lifecycle.go).
	lifecycle *lifecycleRecorder

	closers []func()
}

func (p *parts) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
}

// wireOpts say which parts a command needs.
type wireOpts struct {
	level   slog.Level
	send    bool            // the store, the delivery worker and the job runner
	metrics *server.Metrics // observers for upstream requests, runs and deliveries
}

// wire builds the parts of cfg a command needs. On error it releases what it
// had built; the error is ready to return from a command.
func (a *app) wire(ctx context.Context, cfg *config.Config, o wireOpts) (_ *parts, err error) {
	p := &parts{log: a.logger(o.level), clock: clockwork.NewRealClock(), owner: ownerName()}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if p.render, err = renderer(cfg); err != nil {
		return nil, err
	}
	var observe func(string, int, time.Duration)
	var extra []livechat.Option
	if o.metrics != nil {
		observe = o.metrics.Upstream
		extra = append(extra, livechat.WithShareObserver(o.metrics.SharedAnswer))
	}
	// Replicas on PostgreSQL are one client of the account: every command
	// that asks LiveChat (report too) takes its requests from the
	// cluster's rate, so the store is opened first there.
	if o.send || cfg.Store.Postgres() {
		if p.store, err = openStore(ctx, cfg); err != nil {
			return nil, failed(err)
		}
		p.closers = append(p.closers, func() { _ = p.store.Close() })
		extra = append(extra, sharing(p.store, cfg.LiveChat, p.owner)...)
	}
	p.lifecycle = newLifecycleRecorder(p.log, o.metrics, p.clock)
	client, stop, err := upstream(cfg, p.log, observe, p.lifecycle.observe, extra...)
	if err != nil {
		return nil, failed(err)
	}
	p.client = client
	p.closers = append(p.closers, stop)
	if !o.send {
		return p, nil
	}
	p.lifecycle.keepIn(p.store)
	snd, err := senders(cfg)
	if err != nil {
		return nil, usageErr("livechat-digest: %v", err)
	}
	wo := notify.WorkerOptions{Owner: p.owner, Clock: p.clock, RetryFor: time.Duration(cfg.Delivery.RetryFor),
		Concurrency: cfg.Delivery.Workers, Logger: p.log, RecordTimeout: a.recordTimeout}
	ro := jobs.RunnerOptions{Owner: p.owner, Clock: p.clock, From: cfg.Email.From,
		Lease: time.Duration(cfg.Scheduler.Lease), Logger: p.log.With("component", "jobs")}
	if o.metrics != nil {
		wo.Observe, ro.Observe = o.metrics.Delivery, o.metrics.JobRun
		ro.ObserveAlert = o.metrics.AlertMessage
	}
	wo.Gate = jobs.NewGate(p.store, p.render, p.clock, ro.ObserveAlert)
	// Unsubscribes apply when digests are queued and again when sent.
	wo.Unsubscribes, ro.Unsubscribes = p.store, p.store
	if ro.UnsubscribeURL, p.signer, err = unsubscribeLinks(cfg); err != nil {
		return nil, failed(err)
	}
	if p.worker, err = notify.NewWorker(p.store, snd, wo); err != nil {
		return nil, failed(err)
	}
	ro.Wake = p.worker.Notify
	// The runs of one firing share its answers; on PostgreSQL the store's
	// holds tell the other replicas which firings this one still works on.
	ro.Share = firingShare(p.client)
	if p.store.Dialect() == store.DialectPostgres {
		ro.Holds = p.store
	}
	if p.runner, err = jobs.NewRunner(p.client, p.render, p.store, ro); err != nil {
		return nil, failed(err)
	}
	return p, nil
}
