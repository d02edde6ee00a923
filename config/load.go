package config

import (
	"math"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// Defaults of the keys this package adds and of the contract's optional keys.
const (
	defaultTimezone      = "UTC"
	defaultSeed          = 1
	defaultRateLimit     = 10
	defaultMaxConcurrent = 32
	defaultBurstFactor   = 3 // burst = rate_limit × this: a full digest's 26 requests leave at once at the default rate
	defaultCacheTTL      = Duration(time.Minute)
	defaultTimeout       = Duration(30 * time.Second)
	defaultRetries       = 4
	defaultSlackAPIURL   = "https://slack.com/api/"
	defaultAddr          = ":8080"
	defaultStoreURL      = "sqlite:./state.db"
	defaultRetryFor      = Duration(30 * time.Minute)
	defaultWorkers       = 2
	defaultCatchUpGrace  = Duration(6 * time.Hour)
	defaultLease         = Duration(2 * time.Minute)
	defaultRetention     = Duration(30 * 24 * time.Hour)
	defaultMaxRuns       = 32
	defaultPeriod        = digest.Last7Days
	defaultCompare       = digest.PreviousPeriod
)

// cronCheckTime is the instant cron expressions are checked from. Any
// instant does: the check is whether the expression parses and ever fires.
var cronCheckTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// present records which cross-referenced keys the file gives (even with a
// bad value), so one mistake is not reported again by every job that
// depends on it.
type present struct {
	livechatLine int
	apiLine      int // the line of livechat.api; 0 when not given
	baseURL      bool
	emailFrom    bool
	emailSender  bool // smtp or outbox_dir
	slackToken   bool
}

func (d *decoder) config(root *yaml.Node) *Config {
	retentionSet := false
	c := &Config{}
	var p present
	var jobs *yaml.Node
	ok := d.mapping(root, "", "",
		field{"timezone", func(_, v *yaml.Node) {
			if s, ok := d.str(v, "timezone", &c.Timezone); ok && !s.null {
				c.Location = d.location(s, "timezone")
			}
		}},
		field{"livechat", func(k, v *yaml.Node) { p.livechatLine = k.Line; d.liveChat(v, &c.LiveChat, &p) }},
		field{"email", func(_, v *yaml.Node) { d.email(v, &c.Email, &p) }},
		field{"slack", func(_, v *yaml.Node) { d.slack(v, &c.Slack, &p) }},
		field{"server", func(_, v *yaml.Node) { d.server(v, &c.Server) }},
		field{"store", func(_, v *yaml.Node) {
			d.mapping(v, "store", "store", field{"url", func(_, v *yaml.Node) {
				if s, ok := d.secret(v, "store.url", &c.Store.URL); ok && !s.null {
					d.checkStoreURL(s)
				}
			}}, field{"retention", func(_, v *yaml.Node) {
				retentionSet = d.duration(v, "store.retention", 0, &c.Store.Retention)
				// Shorter than a day, a re-run or takeover of a recent
				// firing could find its sent deliveries pruned and send
				// them again.
				if retentionSet && c.Store.Retention != 0 && c.Store.Retention < Duration(24*time.Hour) {
					d.errorf(line(v), "store.retention: must be 0 (keep everything) or at least 24h, got %s", time.Duration(c.Store.Retention))
				}
			}})
		}},
		field{"delivery", func(_, v *yaml.Node) {
			d.mapping(v, "delivery", "delivery",
				field{"retry_for", func(_, v *yaml.Node) { d.duration(v, "delivery.retry_for", time.Second, &c.Delivery.RetryFor) }},
				field{"workers", func(_, v *yaml.Node) { d.intField(v, "delivery.workers", 1, 1000, &c.Delivery.Workers) }},
			)
		}},
		field{"scheduler", func(_, v *yaml.Node) {
			d.mapping(v, "scheduler", "scheduler",
				field{"catch_up_grace", func(_, v *yaml.Node) {
					d.duration(v, "scheduler.catch_up_grace", 0, &c.Scheduler.CatchUpGrace)
				}},
				field{"lease", func(_, v *yaml.Node) {
					d.duration(v, "scheduler.lease", time.Second, &c.Scheduler.Lease)
				}},
				field{"reap_every", func(_, v *yaml.Node) {
					d.duration(v, "scheduler.reap_every", 100*time.Millisecond, &c.Scheduler.ReapEvery)
				}},
				field{"max_runs", func(_, v *yaml.Node) {
					d.intField(v, "scheduler.max_runs", 1, 10000, &c.Scheduler.MaxRuns)
				}},
			)
		}},
		field{"templates_dir", func(_, v *yaml.Node) {
			if s, ok := d.str(v, "templates_dir", &c.TemplatesDir); ok && s.val == "" {
				d.errorf(s.line, "templates_dir: empty; leave the key out to use the embedded templates")
			} else if ok && d.stat != nil {
				// A missing directory would silently mean "the embedded
				// templates": a typo must not hide the operator's own.
				if fi, err := d.stat(s.val); err != nil {
					d.errorf(s.line, "templates_dir: %s: %v", s.val, unwrapPath(err))
				} else if !fi.IsDir() {
					d.errorf(s.line, "templates_dir: %s is not a directory", s.val)
				}
			}
		}},
		field{"jobs", func(_, v *yaml.Node) { jobs = v }},
	)
	if !ok {
		return c
	}
	if p.livechatLine == 0 {
		d.liveChat(nil, &c.LiveChat, &p) // for the defaults
	}
	if c.Timezone == "" {
		c.Timezone = defaultTimezone
		c.Location = time.UTC
	}
	if !p.baseURL {
		line := p.livechatLine
		if line == 0 {
			line = 1
		}
		d.errorf(line, "livechat.base_url is required: the Reports API URL (https://api.livechatinc.com) or builtin for the simulator")
	}
	if c.Slack.APIURL == "" {
		c.Slack.APIURL = defaultSlackAPIURL
	}
	if c.Server.Addr == "" {
		c.Server.Addr = defaultAddr
	}
	if c.Store.URL == "" {
		c.Store.URL = defaultStoreURL
	}
	if !retentionSet {
		c.Store.Retention = defaultRetention
	}
	if c.Delivery.RetryFor == 0 {
		c.Delivery.RetryFor = defaultRetryFor
	}
	if c.Delivery.Workers == 0 {
		c.Delivery.Workers = defaultWorkers
	}
	if !d.given(root, "scheduler", "catch_up_grace") {
		c.Scheduler.CatchUpGrace = defaultCatchUpGrace
	}
	if c.Scheduler.Lease == 0 {
		c.Scheduler.Lease = defaultLease
	}
	if c.Scheduler.MaxRuns == 0 {
		c.Scheduler.MaxRuns = defaultMaxRuns
	}
	if c.Scheduler.ReapEvery == 0 {
		c.Scheduler.ReapEvery = c.Scheduler.Lease / 4
	}
	c.Jobs = d.jobs(jobs, c, &p)
	return c
}

// given reports whether the mapping path under root holds a non-null value.
func (d *decoder) given(root *yaml.Node, path ...string) bool {
	n := resolve(root)
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return false
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := resolve(n.Content[i]); k != nil && k.Value == key {
				next = resolve(n.Content[i+1])
				break
			}
		}
		n = next
	}
	return n != nil && !isNull(n)
}

// location loads a time zone; "Local" is refused so a config means the
// same on every machine.
func (d *decoder) location(s scalar, path string) *time.Location {
	name := s.val
	if name == "" || name == "Local" || strings.EqualFold(name, "local") {
		d.errorf(s.line, "%s: name a zone such as Europe/Warsaw or UTC (the machine's local zone is not allowed)", path)
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		d.errorf(s.line, "%s: unknown time zone %s (use an IANA name such as Europe/Warsaw)", path, s.quoted())
		return nil
	}
	return loc
}

func (d *decoder) liveChat(v *yaml.Node, l *LiveChat, p *present) {
	var base, login, key, account, token, oauth scalar
	seedSet := false
	burstSet := false
	cacheSet := false
	l.API = livechat.V2
	d.mapping(v, "livechat", "livechat",
		field{"api", func(_, v *yaml.Node) {
			var s string
			sc, ok := d.str(v, "livechat.api", &s)
			if !ok || sc.null {
				return
			}
			p.apiLine = sc.line
			api, err := livechat.ParseAPI(sc.val)
			if err != nil {
				d.errorf(sc.line, `livechat.api: %s is not a Reports API version: give "2" or "3.6"`, sc.quoted())
				return
			}
			l.API = api
		}},
		field{"base_url", func(_, v *yaml.Node) {
			p.baseURL = true
			base, _ = d.str(v, "livechat.base_url", &l.BaseURL)
			switch {
			case base.empty():
				d.errorf(base.line, "livechat.base_url: empty: give the Reports API URL or builtin")
			case base.ok && base.val != BuiltinURL && !httpURL(base.val):
				d.errorf(base.line, "livechat.base_url: %s is neither builtin nor an http(s) URL", base.quoted())
			}
		}},
		field{"login", func(_, v *yaml.Node) { login, _ = d.str(v, "livechat.login", &l.Login) }},
		field{"api_key", func(_, v *yaml.Node) { key, _ = d.secret(v, "livechat.api_key", &l.APIKey) }},
		field{"account_id", func(_, v *yaml.Node) { account, _ = d.str(v, "livechat.account_id", &l.AccountID) }},
		field{"token", func(_, v *yaml.Node) { token, _ = d.secret(v, "livechat.token", &l.Token) }},
		field{"oauth_token", func(_, v *yaml.Node) { oauth, _ = d.secret(v, "livechat.oauth_token", &l.OAuthToken) }},
		field{"seed", func(_, v *yaml.Node) {
			seedSet = d.integer(v, "livechat.seed", math.MinInt64, math.MaxInt64, &l.Seed)
		}},
		field{"rate_limit", func(_, v *yaml.Node) {
			var f *float64
			if d.number(v, "livechat.rate_limit", &f) {
				if *f <= 0 {
					d.errorf(line(v), "livechat.rate_limit: must be more than 0 requests per second")
				} else {
					l.RateLimit = *f
				}
			}
		}},
		field{"burst", func(_, v *yaml.Node) { burstSet = d.intField(v, "livechat.burst", 1, math.MaxInt32, &l.Burst) }},
		field{"max_concurrent", func(_, v *yaml.Node) { d.intField(v, "livechat.max_concurrent", 1, 1000, &l.MaxConcurrent) }},
		field{"timeout", func(_, v *yaml.Node) { d.duration(v, "livechat.timeout", time.Millisecond, &l.Timeout) }},
		field{"retries", func(_, v *yaml.Node) { d.intField(v, "livechat.retries", 1, 100, &l.Retries) }},
		field{"cache_ttl", func(_, v *yaml.Node) { cacheSet = d.duration(v, "livechat.cache_ttl", 0, &l.CacheTTL) }},
	)
	if !seedSet {
		l.Seed = defaultSeed
	}
	if l.RateLimit == 0 {
		l.RateLimit = defaultRateLimit
	}
	if !burstSet {
		l.Burst = max(1, int(math.Min(math.Ceil(defaultBurstFactor*l.RateLimit), math.MaxInt32)))
	}
	if l.MaxConcurrent == 0 {
		l.MaxConcurrent = defaultMaxConcurrent
	}
	if !cacheSet {
		l.CacheTTL = defaultCacheTTL
	}
	if l.Timeout == 0 {
		l.Timeout = defaultTimeout
	}
	if l.Retries == 0 {
		l.Retries = defaultRetries
	}
	real := base.ok && httpURL(base.val)
	if l.API == livechat.V36 {
		d.credentialsV36(login, key, account, token, oauth, base, real, p)
		return
	}
	// Credentials of the other version are a mistake, wherever the API is.
	for _, c := range []struct {
		s    scalar
		name string
	}{{account, "account_id"}, {token, "token"}, {oauth, "oauth_token"}} {
		if c.s.given && !c.s.null {
			d.errorf(c.s.line, `livechat.%s is a Reports API v3.6 credential, but livechat.api is "2" (the default): set api: "3.6", or use login and api_key`, c.name)
		}
	}
	// A real API needs credentials. Values with their own problem were
	// reported already; only absent and empty ones count here.
	if !real {
		return
	}
	for _, c := range []struct {
		s    scalar
		name string
	}{{login, "login"}, {key, "api_key"}} {
		switch {
		case !c.s.given:
			d.errorf(base.line, "livechat.%s is required with a real base_url (or use base_url: builtin)", c.name)
		case c.s.empty():
			d.errorf(c.s.line, "livechat.%s: empty (required with a real base_url)", c.name)
		}
	}
}

// credentialsV36 checks the credentials of livechat.api "3.6": account_id
// with token (a personal access token, basic auth) or oauth_token (Bearer),
// never the v2 login and api_key, never both kinds. Each mismatch is named
// at its own line.
func (d *decoder) credentialsV36(login, key, account, token, oauth, base scalar, real bool, p *present) {
	set := func(s scalar) bool { return s.given && !s.null }
	for _, c := range []struct {
		s    scalar
		name string
	}{{login, "login"}, {key, "api_key"}} {
		if set(c.s) {
			d.errorf(c.s.line, `livechat.%s is a v2 credential, but livechat.api is "3.6": use account_id and token (a personal access token), or oauth_token`, c.name)
		}
	}
	switch {
	case set(oauth) && (set(token) || set(account)):
		d.errorf(oauth.line, "livechat.oauth_token: give either oauth_token (Bearer) or account_id with token (a personal access token), not both")
	case set(token) && !set(account):
		d.errorf(token.line, "livechat.token: a personal access token needs livechat.account_id (basic auth is account_id:token)")
	case set(account) && !set(token):
		d.errorf(account.line, "livechat.account_id needs livechat.token, the personal access token")
	case real && !set(oauth) && !set(token):
		line := p.apiLine
		if line == 0 {
			line = base.line
		}
		d.errorf(line, `livechat: Reports API v3.6 needs account_id and token (a personal access token with reports_read), or oauth_token, with a real base_url (or use base_url: builtin)`)
	}
	for _, c := range []struct {
		s    scalar
		name string
	}{{account, "account_id"}, {token, "token"}, {oauth, "oauth_token"}} {
		if c.s.empty() {
			d.errorf(c.s.line, "livechat.%s: empty", c.name)
		}
	}
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (d *decoder) email(v *yaml.Node, e *Email, p *present) {
	d.mapping(v, "email", "email",
		field{"from", func(_, v *yaml.Node) {
			s, _ := d.str(v, "email.from", &e.From)
			p.emailFrom = s.given && !s.null
			switch {
			case s.empty() && !s.null:
				d.errorf(s.line, "email.from: empty")
			case s.ok && s.val != "":
				d.checkAddress(s, "email.from")
			}
		}},
		field{"smtp", func(_, v *yaml.Node) {
			if isNull(resolve(v)) {
				return
			}
			p.emailSender = true
			e.SMTP = &SMTP{}
			d.smtp(v, e.SMTP)
		}},
		field{"outbox_dir", func(_, v *yaml.Node) {
			s, _ := d.str(v, "email.outbox_dir", &e.OutboxDir)
			if s.given && !s.null {
				p.emailSender = true
			}
			if s.empty() && !s.null {
				d.errorf(s.line, "email.outbox_dir: empty; leave the key out to send by smtp")
			}
		}},
	)
}

func (d *decoder) checkAddress(s scalar, path string) {
	if _, err := mail.ParseAddress(s.val); err != nil {
		d.errorf(s.line, "%s: %s is not an email address (%v)", path, s.quoted(), strings.TrimPrefix(err.Error(), "mail: "))
	}
}

func (d *decoder) smtp(v *yaml.Node, m *SMTP) {
	var host, user, pass scalar
	portSet := false
	d.mapping(v, "email.smtp", "email.smtp",
		field{"host", func(_, v *yaml.Node) { host, _ = d.str(v, "email.smtp.host", &m.Host) }},
		field{"port", func(_, v *yaml.Node) { portSet = true; d.intField(v, "email.smtp.port", 1, 65535, &m.Port) }},
		field{"username", func(_, v *yaml.Node) { user, _ = d.str(v, "email.smtp.username", &m.Username) }},
		field{"password", func(_, v *yaml.Node) { pass, _ = d.secret(v, "email.smtp.password", &m.Password) }},
		field{"tls", func(_, v *yaml.Node) {
			if s, ok := d.str(v, "email.smtp.tls", &m.TLS); ok {
				switch s.val {
				case TLSStartTLS, TLSImplicit, TLSNone:
				default:
					d.errorf(s.line, "email.smtp.tls: %s is not one of starttls, tls, none", s.quoted())
				}
			}
		}},
		field{"timeout", func(_, v *yaml.Node) { d.duration(v, "email.smtp.timeout", time.Millisecond, &m.Timeout) }},
	)
	switch {
	case !host.given:
		d.errorf(line(v), "email.smtp.host is required")
	case host.empty():
		d.errorf(host.line, "email.smtp.host: empty")
	}
	if pass.ok && pass.val != "" && user.ok && user.val == "" {
		d.errorf(pass.line, "email.smtp.password is set but email.smtp.username is not")
	}
	if m.TLS == "" {
		m.TLS = TLSStartTLS
	}
	if !portSet {
		switch m.TLS {
		case TLSImplicit:
			m.Port = 465
		case TLSNone:
			m.Port = 25
		default:
			m.Port = 587
		}
	}
	if m.Timeout == 0 {
		m.Timeout = defaultTimeout
	}
}

func (d *decoder) slack(v *yaml.Node, s *Slack, p *present) {
	d.mapping(v, "slack", "slack",
		field{"bot_token", func(_, v *yaml.Node) {
			t, _ := d.secret(v, "slack.bot_token", &s.BotToken)
			p.slackToken = t.given && !t.null
			if t.empty() && !t.null {
				d.errorf(t.line, "slack.bot_token: empty")
			}
		}},
		field{"signing_secret", func(_, v *yaml.Node) { d.secret(v, "slack.signing_secret", &s.SigningSecret) }},
		field{"api_url", func(_, v *yaml.Node) {
			u, _ := d.str(v, "slack.api_url", &s.APIURL)
			switch {
			case u.empty() && !u.null:
				d.errorf(u.line, "slack.api_url: empty; leave the key out for %s", defaultSlackAPIURL)
			case u.ok && u.val != "" && !httpURL(u.val):
				d.errorf(u.line, "slack.api_url: %s is not an http(s) URL", u.quoted())
			case u.ok && u.val != "" && !strings.HasSuffix(u.val, "/"):
				s.APIURL += "/" // slack-go appends method names to it
			}
		}},
	)
}

func (d *decoder) checkAddr(s scalar) {
	host, port, err := net.SplitHostPort(s.val)
	bad := err != nil
	if !bad && port != "" {
		n, err := strconv.Atoi(port)
		bad = err != nil || n < 0 || n > 65535
	}
	if !bad && strings.ContainsAny(host, " /") {
		bad = true
	}
	if bad {
		d.errorf(s.line, `server.addr: %s is not HOST:PORT (e.g. ":8080" or "127.0.0.1:8080")`, s.quoted())
	}
}

// checkPprofAddr admits only a loopback address with a port of its own:
// profiles show the service's internals (and the command line), so they
// are never served where server.addr's public routes are.
func (d *decoder) checkPprofAddr(s scalar) {
	host, port, err := net.SplitHostPort(s.val)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 1 || n > 65535 {
		d.errorf(s.line, `server.pprof_addr: %s is not HOST:PORT with a port (e.g. "127.0.0.1:6060")`, s.quoted())
		return
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		d.errorf(s.line, `server.pprof_addr: %s is not a loopback address (127.0.0.1, ::1 or localhost): profiles are never served beyond this machine`, s.quoted())
	}
}

// checkStoreURL never shows the URL: it may carry a database password.
func (d *decoder) checkStoreURL(s scalar) {
	v := s.val
	switch {
	case strings.HasPrefix(v, "sqlite:") && len(v) > len("sqlite:"):
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		if u, err := url.Parse(v); err != nil || u.Host == "" {
			d.errorf(s.line, "store.url: not a valid postgres:// URL (the value is not shown: it may hold a password)")
		}
	default:
		d.errorf(s.line, "store.url: must be sqlite:PATH or postgres://USER@HOST/DB (the value is not shown: it may hold a password)")
	}
}
