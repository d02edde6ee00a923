package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"livechat-digest/digest"
	"livechat-digest/query"
	"livechat-digest/templates"
)

// Defaults of Options.
const (
	DefaultMaxBody           = 64 << 10
	DefaultAnswerTimeout     = 2 * time.Minute
	DefaultResponseURLPrefix = "https://hooks.slack.com/"
	defaultPostTimeout       = 10 * time.Second
	healthTimeout            = 5 * time.Second
)

// ErrUnknownJob is wrapped by Answerer.Digest when no job has the name asked
// for. Its text is shown to the user as it is, so the wrapping error should
// list the jobs that exist.
var ErrUnknownJob = errors.New("server: no such job")

// Answerer computes what a slash command asks for. main implements it on top
// of the jobs runner, the LiveChat client and the store, so that server needs
// neither jobs nor store.
type Answerer interface {
	// Report builds the digest a report command asks for at the instant
	// at, always compared with the period just before.
	Report(ctx context.Context, c query.Command, at time.Time) (*digest.Digest, error)
	// Digest builds the configured job's digest as if it ran at at. An
	// unknown job is an error wrapping ErrUnknownJob.
	Digest(ctx context.Context, job string, at time.Time) (*digest.Digest, error)
	// Alerts lists every alert (each threshold of each job ever
	// evaluated) with its state; `livechat-digest alerts` prints the same
	// list.
	Alerts(ctx context.Context) ([]Alert, error)
}

// Silencer creates and lists silences for Slack users (the silence and
// silences commands, the alert messages' buttons). main implements it on
// the store and the config.
type Silencer interface {
	// Silence holds back the firings and reminders of r.Job's alerts (of
	// r.Metrics only, when given) until the end r asks for, and returns
	// that end as the job's zone reads it ("2026-11-25 09:00 CET"). An
	// unknown job or metric is an error wrapping ErrUnknownJob.
	Silence(ctx context.Context, r SilenceRequest) (string, error)
	// Silences lists the silences in force, one line each.
	Silences(ctx context.Context) ([]string, error)
}

// SilenceRequest asks for a silence: for For, or, with UntilNineTomorrow,
// until 09:00 tomorrow in the job's zone.
type SilenceRequest struct {
	Job               string
	Metrics           []string
	For               time.Duration
	UntilNineTomorrow bool
	By, Reason        string
	// Channel and TS name the alert post whose button was pressed (empty
	// for a slash command), so that later rewrites of it keep saying who
	// silenced it until when.
	Channel, TS string
	// Key names the signed request that asks (its Slack signature): the
	// Silencer adds the silence for the first request with a key, on
	// whichever replica, and answers every later one with ErrReplayed.
	Key string
}

// ErrReplayed is a Silencer's answer to a request another replica (or this
// one, before a restart) has carried out already: a replay, which the
// server ignores as it ignores one its own replay set catches.
var ErrReplayed = errors.New("server: this request was carried out already")

// Alert is one threshold of a job as `/livechat alerts` lists it.
type Alert struct {
	Job string
	// Key names the threshold and filter, e.g.
	// "chats_first_response_time.seconds above 60|group=2".
	Key   string
	State string    // "firing", "pending" (waiting for `for` runs) or "ok"
	Since time.Time // when it started firing; zero unless firing
	Value *float64  // the last evaluated value; nil when it does not exist
	// Notice sums up its news over the alert targets: "announced",
	// "queued", "held" (silenced or outside active hours), "resolved", or
	// "" for none.
	Notice string
	// Silence, when one holds the alert now.
	Silence *AlertSilence
}

// AlertSilence is the silence that holds an alert.
type AlertSilence struct {
	ID     int64
	Until  time.Time
	By     string
	Reason string
}

// Options configure a Server. Zero values take the defaults given.
type Options struct {
	// SigningSecret is the Slack app's signing secret. When empty,
	// /slack/commands answers 503 "slash commands not configured".
	SigningSecret string
	// Answerer and Renderer are required when SigningSecret is set.
	Answerer Answerer
	Renderer *templates.Renderer
	// Silencer serves the silence commands and the alert buttons
	// (POST /slack/interactions); nil turns them off.
	Silencer Silencer
	// HTTPClient posts answers to response_url. Default: a client with a
	// 10 s timeout (never http.DefaultClient, which has none) that keeps a
	// connection per answer worker, so answers to Slack do not each pay a
	// TLS handshake.
	HTTPClient *http.Client
	// ResponseURLPrefix is where answers may be posted; a command whose
	// response_url lies elsewhere is refused. Default
	// "https://hooks.slack.com/"; tests point it at an httptest server.
	ResponseURLPrefix string
	// Health reports whether the service can work (the store's check).
	// Nil means always healthy. /healthz shows the Reason of a
	// *HealthError; any other error reads "store unreachable".
	Health func(ctx context.Context) error
	// Metrics may be nil.
	Metrics *Metrics
	// Web, when set, serves every path the routes above do not: the
	// operator page and /unsubscribe (package ui). Nil: 404.
	Web http.Handler
	// Gatherer is served on /metrics. Nil: /metrics is not served (404).
	Gatherer prometheus.Gatherer
	// Logger defaults to a logger that discards everything.
	Logger *slog.Logger
	// Now is the clock of answers (their `at`, an alert's age). Default
	// time.Now.
	Now func() time.Time
	// MaxBody is the largest slash-command body read, in bytes. Default
	// 64 KiB; Slack's are well under 4 KiB.
	MaxBody int64
	// AnswerTimeout bounds the computation of one answer. Default 2 min.
	AnswerTimeout time.Duration
	// BodyTimeout bounds reading a slash command's body, from the moment
	// the handler starts. Default DefaultBodyTimeout.
	BodyTimeout time.Duration
	// MaxReplays bounds the signatures remembered to refuse replays.
	// Default DefaultMaxReplays.
	MaxReplays int
	// AnswerWorkers is how many answers are computed and posted at once.
	// Default DefaultAnswerWorkers.
	AnswerWorkers int
	// AnswerQueue is how many acknowledged commands may wait for a worker;
	// beyond it a command is refused as busy. Default DefaultAnswerQueue.
	AnswerQueue int
}

// Server serves the HTTP routes and owns the goroutines that compute and
// post slash-command answers.
type Server struct {
	o       Options
	log     *slog.Logger
	prefix  *url.URL
	handler http.Handler
	replays *replays

	mu      sync.Mutex
	closed  bool                          // Wait was called: no new answers
	cancels map[uint64]context.CancelFunc // queued and in-flight answers
	nextID  uint64
	queue   chan func()    // answers waiting for a worker (see enqueue)
	working bool           // the workers were started
	wg      sync.WaitGroup // the workers
}

// New checks o, fills in defaults and builds the routes.
func New(o Options) (*Server, error) {
	if o.SigningSecret != "" {
		if o.Answerer == nil {
			return nil, errors.New("server: Answerer is required with a signing secret")
		}
		if o.Renderer == nil {
			return nil, errors.New("server: Renderer is required with a signing secret")
		}
	}
	if o.MaxBody < 0 {
		return nil, fmt.Errorf("server: MaxBody %d is negative", o.MaxBody)
	}
	if o.AnswerTimeout < 0 {
		return nil, fmt.Errorf("server: AnswerTimeout %s is negative", o.AnswerTimeout)
	}
	if o.MaxBody == 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.AnswerTimeout == 0 {
		o.AnswerTimeout = DefaultAnswerTimeout
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	if o.MaxReplays <= 0 {
		o.MaxReplays = DefaultMaxReplays
	}
	if o.ResponseURLPrefix == "" {
		o.ResponseURLPrefix = DefaultResponseURLPrefix
	}
	prefix, err := url.Parse(o.ResponseURLPrefix)
	if err != nil || (prefix.Scheme != "https" && prefix.Scheme != "http") || prefix.Host == "" || prefix.User != nil {
		return nil, fmt.Errorf("server: ResponseURLPrefix %q is not an http(s) URL with a host", o.ResponseURLPrefix)
	}
	if prefix.Path == "" {
		prefix.Path = "/"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.AnswerWorkers <= 0 {
		o.AnswerWorkers = DefaultAnswerWorkers
	}
	if o.AnswerQueue <= 0 {
		o.AnswerQueue = DefaultAnswerQueue
	}
	if o.HTTPClient == nil {
		o.HTTPClient = answerClient(o.AnswerWorkers)
	}
	s := &Server{o: o, log: o.Logger, prefix: prefix, cancels: map[uint64]context.CancelFunc{}, replays: newReplays(o.MaxReplays),
		queue: make(chan func(), o.AnswerQueue)}

	mux := http.NewServeMux()
	// Method patterns make the mux answer 405 (with Allow) for other methods.
	mux.HandleFunc("POST /slack/commands", s.slashCommand)
	mux.HandleFunc("POST /slack/interactions", s.interaction)
	mux.HandleFunc("GET /healthz", s.healthz)
	if o.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{
			ErrorHandling: promhttp.ContinueOnError,
		}))
	}
	if o.Web != nil {
		mux.Handle("/", o.Web)
	}
	s.handler = mux
	return s, nil
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler { return s.handler }

// Wait is called at shutdown, after the HTTP server stopped accepting
// requests. From then on new slash commands are told to retry, and Wait
// waits for the answers still being computed or posted. When ctx ends first,
// those answers are cancelled (their goroutines return as soon as the
// Answerer honours its context) and Wait returns.
func (s *Server) Wait(ctx context.Context) {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue) // the workers finish what is queued, then stop
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	s.mu.Lock()
	n := len(s.cancels)
	for _, cancel := range s.cancels {
		cancel()
	}
	s.mu.Unlock()
	s.log.Debug("answers cut short by shutdown", "count", n)
}

// start queues answer (see enqueue) and reports whether it was queued.
func (s *Server) start(parent context.Context, answer func(ctx context.Context)) bool {
	return s.enqueue(parent, answer) == nil
}

// healthz answers "ok", or 503 with a reason that names what is down but
// never how it is reached (no URL, no credentials).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.o.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		if err := s.o.Health(ctx); err != nil {
			s.log.Warn("health check failed", "err", err)
			reason := "store unreachable"
			var he *HealthError
			if errors.As(err, &he) {
				reason = he.Reason
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "unhealthy: "+reason+"\n")
			return
		}
	}
	_, _ = io.WriteString(w, "ok\n")
}

// HealthError is an error of Options.Health whose Reason /healthz may
// show: it says what is wrong (the store file was deleted), never how the
// store is reached.
type HealthError struct {
	Reason string
	Err    error
}

func (e *HealthError) Error() string { return e.Reason + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *HealthError) Unwrap() error { return e.Err }

// postError turns an error from posting to response_url into one without
// the URL: a response_url lets anyone who holds it post into the channel.
func postError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("server: post response_url: %s", strings.TrimSpace(ue.Err.Error()))
	}
	return fmt.Errorf("server: post response_url: %w", err)
}
