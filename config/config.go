package config

// The config file, key by key. Keys marked (contract) are in CONTRACT.md; the
// others are this package's additions. Every string value may use ${VAR} or
// ${VAR:-default} (expanded from the environment after the YAML is read, one
// field at a time, so an expanded secret never reaches a YAML error); $$ is a
// literal $. Unknown keys are errors.
//
//	timezone: Europe/Warsaw          (contract) default zone of schedules and periods; default UTC
//	livechat:
//	  api: "3.6"                     (contract) Reports API version: "2" (default) or "3.6"
//	  base_url: https://...          (contract) required; "builtin" = the embedded simulator
//	  login: ...                     (contract) v2: required unless builtin
//	  api_key: ...                   (contract) v2: Secret; required unless builtin
//	  account_id: ...                (contract) v3.6: with token, a personal access token (Basic auth)
//	  token: ...                     (contract) v3.6: Secret; the personal access token
//	  oauth_token: ...               (contract) v3.6: Secret; an OAuth access token (Bearer), instead
//	                                 of account_id and token; one of the two is required unless builtin
//	  seed: 1                        simulator seed for builtin; default 1
//	  rate_limit: 10                 requests per second to the API; default 10. With a postgres store it
//	                                 is the whole cluster's (a token bucket in the database, taken by
//	                                 serve, run and report alike); with sqlite, this process's
//	  burst: 30                      rate limiter burst; default 3 × rate_limit rounded up, so one full
//	                                 digest (26 requests) leaves at once while the sustained rate stays rate_limit
//	  max_concurrent: 32             requests in flight at once; default 32, above a full digest's 26
//	  timeout: 30s                   per request; default 30s
//	  retries: 4                     attempts per request, the first included; default 4
//	  cache_ttl: 1m                  accepted so older files load, and ignored: the runs of one firing
//	                                 share each answer for as long as the firing lasts (jobs.Share)
//	email:
//	  from: "Name <addr>"            (contract) required when any job sends email
//	  smtp:                          (contract) host, port, username, password (Secret), tls
//	    host: smtp.example.com       required in smtp
//	    port: 587                    default by tls: starttls 587, tls 465, none 25
//	    username: ...
//	    password: ...                Secret; needs username
//	    tls: starttls                starttls | tls | none; default starttls
//	    timeout: 30s                 dial and send timeout; default 30s
//	  outbox_dir: ./outbox           (contract) write .eml files; when set it wins over smtp
//	slack:
//	  bot_token: ...                 (contract) Secret; required when any job posts to Slack
//	  signing_secret: ...            (contract) Secret; checks slash commands
//	  api_url: https://slack.com/api/ (contract) default as shown; a trailing / is added
//	server: {addr: ":8080"}          (contract) default ":8080"
//	  pprof_addr: 127.0.0.1:6060     net/http/pprof on this loopback address; default off, never on addr
//	store: {url: sqlite:./state.db}  (contract) Secret; sqlite:PATH or postgres(ql)://...
//	  retention: 720h                sent deliveries and finished runs' digests are pruned after this; default 720h (30 days), 0 = never
//	delivery:
//	  retry_for: 30m                 how long a failing delivery is retried; default 30m
//	  workers: 2                     concurrent senders; default 2
//	scheduler:
//	  catch_up_grace: 6h             firings missed while down are run if younger; default 6h, 0 = never
//	  lease: 2m                      a firing's owner must finish (or renew) within this, else another replica takes it over; default 2m
//	  reap_every: 30s                how often to look for firings whose owner died; default lease/4
//	  max_runs: 32                   runs working at once on one replica (the rest wait their turn); default 32
//	templates_dir: ./templates       optional directory whose templates override the embedded ones
//	jobs:                            (contract)
//	  - name: weekly-support         required, unique; letters, digits, - _ .
//	    schedule: "0 9 * * MON"      required; 5-field cron (or @hourly, @daily, @weekly, @monthly);
//	                                 quote it: an unquoted * starts a YAML alias
//	    timezone: America/New_York   overrides the top-level timezone
//	    period: last_week            default last_7_days; or YYYY-MM-DD..YYYY-MM-DD
//	    compare: previous_period     default previous_period
//	    filters: {group: 2, agent: john@example.com, tags: [sales]}
//	    reports: [total_chats, ...]  default: all 20, in livechat.Reports order
//	    thresholds:                  each: metric and exactly one of above, below,
//	      - {metric: total_chats.chats, change_pct_below: -20, for: 1}
//	                                 change_pct_above, change_pct_below; for = consecutive
//	      - {metric: total_chats.chats, anomaly: {weeks: 8, z: 3}}
//	                                 anomaly: robust z against the same period of the weeks
//	                                 before (digest/anomaly.go); weeks 3-52 (default 8), z > 0
//	                                 (default 3); not for month periods or metrics without days
//	                                 breaching runs before firing, default 1; runbook_url and
//	                                 dashboard_url (http(s)) are shown in its alert messages
//	    insight:                     verdicts and headline (digest/significance.go)
//	      headline: 3                the N most significant changes on top; default 3, 0 = none
//	      min_change: 5              smallest change (percent) that can be news; default 5
//	      min_count: 30              smallest volume behind a tested change; default 30
//	      fdr: 0.05                  Benjamini–Hochberg false discovery rate; default 0.05
//	      mean_cv: 1                 assumed coefficient of variation of single response times; default 1
//	    send: always                 always (default) | changes: only when a change is real or a
//	                                 threshold breaches | breaches: only when a threshold breaches;
//	                                 a held-back digest is recorded as skipped, alerts go out as always
//	    breakdown:                   where the changes came from (digest/breakdown.go); needs a compare
//	      by: [group, agent]         required
//	      groups: {1: General}       group id → name; required with by group
//	      agents: ranking            the top agents of the chat ranking by chats (default), or [login, ...]
//	      top: 5                     agents taken from the ranking; default 5, 1 to 50
//	      metrics: [total_chats.chats] default: the headline's; each report must take the filter
//	      max_requests: 100          refuse a breakdown that may make more requests a run; default 100
//	    email: {to: [a@example.com], subject: "Support weekly: {{.Period}}"}
//	    slack: {channel: "#support"} quote the channel: an unquoted # starts a comment
//	      chart: true                also upload the daily-chats chart after the digest post;
//	                                 default false (needs files:write, and channels:read unless
//	                                 channel is an ID)
//	    alerts: {slack: {channel: "#alerts"}, email: {to: [...], subject: ...}}
//	      active_hours:              firings and reminders only inside these windows, in the job's
//	        - {weekdays: [mon-fri], times: ["08:00-18:00"]}   zone; a window may pass midnight
//	                                 ("22:00-06:00"); default: always (see package hours)
//	      repeat_every: 4h           remind of an announced alert still firing; default 0 = never
//
// A job must do something: send a digest (email or slack) or alert on its
// thresholds (alerts with at least one threshold).

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"livechat-digest/digest"
	"livechat-digest/hours"
	"livechat-digest/livechat"
)

// Config is a loaded, expanded, defaulted and validated config file.
type Config struct {
	File     string         // the path it was loaded from, for messages
	Timezone string         // the top-level zone name; "UTC" when unset
	Location *time.Location // Timezone, loaded

	LiveChat  LiveChat
	Email     Email
	Slack     Slack
	Server    Server
	Store     Store
	Delivery  Delivery
	Scheduler Scheduler

	// TemplatesDir, when set, holds templates that override the embedded ones.
	TemplatesDir string

	Jobs []Job
}

// BuiltinURL is the livechat.base_url that selects the embedded simulator.
const BuiltinURL = "builtin"

// LiveChat is how to reach the LiveChat Reports API.
type LiveChat struct {
	// API is the Reports API version: livechat.V2 (the default) or
	// livechat.V36.
	API     livechat.API
	BaseURL string // "builtin" or an http(s) URL
	// Login and APIKey are the v2 credentials.
	Login  string
	APIKey Secret
	// AccountID and Token are a v3.6 personal access token (sent as basic
	// auth); OAuthToken is a v3.6 OAuth access token (Bearer) instead.
	AccountID     string
	Token         Secret
	OAuthToken    Secret
	Seed          int64   // simulator seed when BaseURL is builtin
	RateLimit     float64 // requests per second
	Burst         int
	MaxConcurrent int
	Timeout       Duration // per request
	Retries       int      // tries per request, the first included
	// CacheTTL is read and ignored: answers are shared for the length of
	// a firing, not for a time to live. It is kept so that files that set
	// livechat.cache_ttl still load.
	CacheTTL Duration
}

// Builtin reports whether the embedded simulator is to be used.
func (l LiveChat) Builtin() bool { return l.BaseURL == BuiltinURL }

// Email is the sender side of email delivery.
type Email struct {
	From      string // an RFC 5322 address, "Name <addr>" allowed
	SMTP      *SMTP  // nil when no smtp section is given
	OutboxDir string // when set, messages are written here instead of sent
}

// The values of smtp.tls.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (mandatory)
	TLSImplicit = "tls"      // TLS from the first byte (usually port 465)
	TLSNone     = "none"     // no encryption: local relays and tests only
)

// SMTP is an SMTP submission server.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password Secret
	TLS      string // TLSStartTLS, TLSImplicit or TLSNone
	Timeout  Duration
}

// Slack is the Slack app the bot posts as and whose slash commands it answers.
type Slack struct {
	BotToken      Secret
	SigningSecret Secret
	APIURL        string // ends in "/", as slack-go concatenates method names to it
}

// Server is the HTTP server of `serve`.
type Server struct {
	Addr string
	// PprofAddr, when set, serves net/http/pprof on this loopback address,
	// never on Addr. Empty (the default): no profiling endpoint.
	PprofAddr string
	// PublicURL is where recipients and operators reach serve, without a
	// trailing slash; it turns on List-Unsubscribe. "" when not given.
	PublicURL string
	// Secret keys the HMACs of sessions, CSRF and unsubscribe tokens. It
	// must come from the environment; required with UI or PublicURL.
	Secret Secret
	// UI is the operator web page; nil when off.
	UI *UI
}

// Store is where durable state lives.
type Store struct {
	// URL is "sqlite:PATH" or "postgres://..."; a Secret because a
	// Postgres URL may carry a password.
	URL Secret
	// Retention is how long sent deliveries and the digests of finished
	// runs are kept; 0 keeps them forever. The runs themselves are kept, so
	// an old firing is never run twice by the scheduler.
	Retention Duration
}

// Postgres reports whether the store is PostgreSQL, which replicas share.
func (s Store) Postgres() bool {
	u := s.URL.Reveal()
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Delivery tunes the delivery queue.
type Delivery struct {
	RetryFor Duration // a delivery failing for longer is given up
	Workers  int
}

// Scheduler tunes the scheduler.
type Scheduler struct {
	// CatchUpGrace is how old a firing missed while no replica ran may be
	// and still be run at startup; 0 runs none.
	CatchUpGrace Duration
	// Lease is how long a replica owns a firing it started without
	// finishing it; when it expires (the replica died), another replica
	// takes the firing over. Runs renew it while they work.
	Lease Duration
	// ReapEvery is how often a replica looks for firings whose owner died.
	ReapEvery Duration
	// MaxRuns is how many runs may work at once on one replica.
	MaxRuns int
}

// Job is one scheduled digest and/or alert check.
type Job struct {
	Name     string
	Schedule string         // the cron expression as written, without a TZ prefix
	Timezone string         // the zone the job runs in: its own, else the top-level one
	Location *time.Location // Timezone, loaded
	Period   digest.Period
	Compare  digest.CompareMode
	Filters  Filters
	Reports  []livechat.Report // never empty: all reports of API when the file lists none
	// API is the Reports API version the job reads: livechat.api.
	API livechat.API
	// Thresholds are checked on every run; their breaches go to Alerts.
	Thresholds []Threshold
	Email      *JobEmail // the digest by email; nil when not sent by email
	Slack      *JobSlack // the digest to Slack; nil when not posted
	Alerts     *Alerts   // where firing/resolved threshold messages go; nil for none
	Line       int       // the line the job starts on

	// Insight holds the constants of the verdicts and the headline.
	Insight digest.Insight
	// Breakdown, when set, says where the changes came from.
	Breakdown *Breakdown
	// Send is when the digest goes out: SendAlways, SendChanges or
	// SendBreaches.
	Send string
}

// Filters narrow a job's reports. It is digest.Filters, so a job's filters
// pass to a digest as they are.
type Filters = digest.Filters

// Threshold is one alert rule: exactly one of the bounds is set.
type Threshold struct {
	Metric         string // a key of digest.Catalogue
	Above          *float64
	Below          *float64
	ChangePctAbove *float64
	ChangePctBelow *float64
	// Anomaly compares the value with the same period of earlier weeks.
	Anomaly *Anomaly
	For     int // consecutive breaching runs before it fires; at least 1
	// RunbookURL and DashboardURL, when set, are linked from the alert's
	// messages.
	RunbookURL, DashboardURL string
	Line                     int
}

// JobEmail is an email target.
type JobEmail struct {
	To []string
	// Subject is a text/template executed over the digest; empty means the
	// templates package's default subject.
	Subject string
	// SubjectLine is the line of Subject in the file (0 when not given), so
	// that checks config cannot make (executing the template needs the
	// templates package) can still name it.
	SubjectLine int
}

// JobSlack is a Slack target.
type JobSlack struct {
	Channel string // "#name" or a channel ID
	// Chart uploads the digest's daily-chats chart to Channel right after
	// the digest post. Only a job's digest target has it (not alerts).
	Chart bool
}

// Alerts are the targets of a job's threshold messages and when they may
// speak.
type Alerts struct {
	Slack *JobSlack
	Email *JobEmail
	// ActiveHours are the windows in which firings and reminders go out;
	// empty means always. Resolves are never held.
	ActiveHours hours.Schedule
	// RepeatEvery is the reminder interval for an announced alert that is
	// still firing; 0 sends none.
	RepeatEvery Duration
}

// Job returns the job called name.
func (c *Config) Job(name string) (*Job, bool) {
	for i := range c.Jobs {
		if c.Jobs[i].Name == name {
			return &c.Jobs[i], true
		}
	}
	return nil, false
}

// Load reads and parses the config file at path, expanding ${VAR} with
// getenv (os.LookupEnv in main). Any problem gives an Errors listing all of
// them.
//
// Load also checks what needs the file system: templates_dir must be a
// directory. A file over MaxFileSize is refused unread.
func Load(path string, getenv func(string) (string, bool)) (*Config, error) {
	data, err := readConfig(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: err.Error()}}
	}
	return parse(path, data, getenv, os.Stat)
}

// MaxFileSize bounds a config file. A real one is a few KiB; a config of
// gigabytes (or /dev/zero) would otherwise be read whole into memory.
const MaxFileSize = 1 << 20

func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read config: %v", unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read config: %v", unwrapPath(err))
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("config is larger than %d KiB; is this the right file?", MaxFileSize>>10)
	}
	return data, nil
}

// unwrapPath drops the path os errors repeat, since Error already starts
// with the file name.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Parse parses a config file's contents; file names it in messages. Any
// problem gives an Errors listing all of them, sorted by line.
func Parse(file string, data []byte, getenv func(string) (string, bool)) (*Config, error) {
	return parse(file, data, getenv, nil)
}

// parse is Parse with a stat func to check paths with; nil checks none.
func parse(file string, data []byte, getenv func(string) (string, bool), stat func(string) (os.FileInfo, error)) (*Config, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{{File: file, Msg: fmt.Sprintf("config is larger than %d KiB; is this the right file?", MaxFileSize>>10)}}
	}
	if getenv == nil {
		getenv = func(string) (string, bool) { return "", false }
	}
	d := &decoder{file: file, getenv: getenv, stat: stat}
	cfg := d.parse(data)
	if len(d.errs) > 0 {
		d.errs.sortByLine()
		return nil, d.errs
	}
	cfg.File = file
	return cfg, nil
}
