package livechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

// Client calls the LiveChat Reports API, v2 or v3.6 (WithAPI). It is safe
// for concurrent use; one Client per account shares its rate limit and
// concurrency cap across every job and slash command.
type Client struct {
	base   *url.URL
	api    API
	login  string // v2 login, or the v3.6 account ID
	apiKey string // v2 API key, or the v3.6 personal access token
	bearer string // v3.6 OAuth access token, instead of login and apiKey
	// credKey identifies the credential in sharing keys without holding
	// it: a hash of the Authorization header (see shareKey).
	credKey string

	http        *http.Client
	limiter     *rate.Limiter
	sem         chan struct{}
	tries       int
	backoffBase time.Duration
	backoffMax  time.Duration
	timeout     time.Duration
	observe     func(endpoint string, status int, elapsed time.Duration)
	lifecycle   func(ctx context.Context, l Lifecycle)
	log         *slog.Logger

	requests   atomic.Int64
	pauseUntil atomic.Int64 // unix nanos before which no attempt starts (after a 429)

	sf      singleflight.Group
	mu      sync.Mutex
	flights map[string]*flight

	reserve        Reserve      // the cluster's rate (WithSharedRateLimit); nil: limiter alone
	reserveFails   atomic.Int64 // attempts paced by the limiter because reserve failed
	reserveFailing atomic.Bool  // reserve failed last time (for logging once)
	cluster        Cluster      // answers shared with other replicas (WithCluster); nil: none
	clusterLease   time.Duration
	shareMax       int64        // bytes all open Shares may keep (WithShareLimit)
	shareBytes     atomic.Int64 // bytes they keep now
	shareObserve   func(event string)

	zones     sync.Map // zone name -> *time.Location, for v3.6 from/to
	region    atomic.Pointer[string]
	lifeMu    sync.Mutex
	lifeNoted map[Lifecycle]bool // logged once per client
}

// Option configures a Client in New.
type Option func(*Client) error

// WithHTTPClient sets the HTTP client; its Timeout, if any, applies on top
// of the per-request timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("livechat: WithHTTPClient: nil client")
		}
		c.http = hc
		return nil
	}
}

// WithRateLimit caps the requests per second the client sends, across all
// callers, with the given burst. Retries count too.
func WithRateLimit(limit rate.Limit, burst int) Option {
	return func(c *Client) error {
		if limit <= 0 {
			return fmt.Errorf("livechat: WithRateLimit: limit %v must be positive", limit)
		}
		if burst < 1 {
			return fmt.Errorf("livechat: WithRateLimit: burst %d must be at least 1", burst)
		}
		c.limiter = rate.NewLimiter(limit, burst)
		return nil
	}
}

// WithMaxConcurrent caps the requests in flight at once.
func WithMaxConcurrent(n int) Option {
	return func(c *Client) error {
		if n < 1 {
			return fmt.Errorf("livechat: WithMaxConcurrent: %d must be at least 1", n)
		}
		c.sem = make(chan struct{}, n)
		return nil
	}
}

// WithRetry sets the attempts per request (1 = no retry) and the
// exponential backoff between them: full jitter up to base·2^n, at most max.
// An answer whose Retry-After exceeds max is not retried: its APIError carries
// the wait instead.
func WithRetry(tries int, base, max time.Duration) Option {
	return func(c *Client) error {
		switch {
		case tries < 1:
			return fmt.Errorf("livechat: WithRetry: tries %d must be at least 1", tries)
		case base <= 0 || max <= 0:
			return errors.New("livechat: WithRetry: delays must be positive")
		case base > max:
			return fmt.Errorf("livechat: WithRetry: base %s exceeds max %s", base, max)
		}
		c.tries, c.backoffBase, c.backoffMax = tries, base, max
		return nil
	}
}

// WithTimeout bounds each attempt, from sending the request to reading the
// whole answer.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("livechat: WithTimeout: %s must be positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithObserver is called after every attempt with the endpoint (e.g.
// "chats/ratings"), the HTTP status (0 when no answer came) and the time the
// attempt took; it feeds metrics. It must be quick and safe for concurrent use.
func WithObserver(f func(endpoint string, status int, elapsed time.Duration)) Option {
	return func(c *Client) error {
		if f == nil {
			return errors.New("livechat: WithObserver: nil func")
		}
		c.observe = f
		return nil
	}
}

// WithLogger sets the logger for retries (debug level). The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l == nil {
			return errors.New("livechat: WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}

// WithAPI selects the Reports API version the client reads; the default is
// V2. On V36 login is the account ID and apiKey the personal access token
// (sent as basic auth, as LiveChat documents), unless WithBearer is given.
func WithAPI(api API) Option {
	return func(c *Client) error {
		if _, err := ParseAPI(string(api)); err != nil {
			return fmt.Errorf("livechat: WithAPI: %w", err)
		}
		c.api = api
		return nil
	}
}

// WithBearer authenticates with an OAuth access token (Authorization:
// Bearer) instead of a login and key; v3.6 only, and New's login and apiKey
// must then be empty. A personal access token is not a bearer token.
func WithBearer(token string) Option {
	return func(c *Client) error {
		if token == "" {
			return errors.New("livechat: WithBearer: empty token")
		}
		c.bearer = token
		return nil
	}
}

// WithLifecycle is called for every answer that carries a Legacy or
// Deprecation header (the API version is going away; see Lifecycle), after
// the client has logged the first of each at warning level. It must be
// quick and safe for concurrent use.
func WithLifecycle(f func(ctx context.Context, l Lifecycle)) Option {
	return func(c *Client) error {
		if f == nil {
			return errors.New("livechat: WithLifecycle: nil func")
		}
		c.lifecycle = f
		return nil
	}
}

// New returns a client for the API at baseURL (e.g.
// "https://api.livechatinc.com"), authenticating as login with apiKey (on
// v3.6: the account ID and a personal access token).
func New(baseURL, login, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL itself is not quoted: it may carry credentials.
		return nil, errors.New("livechat: base URL must be an absolute http(s) URL")
	}
	if u.User != nil {
		return nil, errors.New("livechat: base URL must not contain credentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("livechat: base URL must not have a query or fragment")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	c := &Client{
		base:         u,
		api:          V2,
		login:        login,
		apiKey:       apiKey,
		http:         &http.Client{},
		limiter:      rate.NewLimiter(10, 10),
		sem:          make(chan struct{}, 8),
		tries:        4,
		backoffBase:  200 * time.Millisecond,
		backoffMax:   5 * time.Second,
		timeout:      30 * time.Second,
		observe:      func(string, int, time.Duration) {},
		lifecycle:    func(context.Context, Lifecycle) {},
		shareMax:     DefaultShareLimit,
		shareObserve: func(string) {},
		clusterLease: defaultClusterLease,
		log:          slog.New(slog.DiscardHandler),
		flights:      make(map[string]*flight),
		lifeNoted:    make(map[Lifecycle]bool),
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("livechat: nil option")
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if err := c.checkCredentials(); err != nil {
		return nil, err
	}
	c.credKey = credentialKey(c.authorization())
	c.log = c.log.With("component", "livechat")
	return c, nil
}

// checkCredentials refuses credential sets the API cannot take, before any
// request is spent on them. Messages name the config keys, never values.
func (c *Client) checkCredentials() error {
	switch {
	case c.bearer != "" && c.api != V36:
		return errors.New("livechat: an OAuth bearer token works only with Reports API v3.6")
	case c.bearer != "" && (c.login != "" || c.apiKey != ""):
		return errors.New("livechat: give either an OAuth token or a login and key, not both")
	case c.bearer != "":
		return nil
	case c.api == V36 && (c.login == "" || c.apiKey == ""):
		return errors.New("livechat: Reports API v3.6 needs an account ID and a personal access token, or an OAuth token")
	case c.login == "" || c.apiKey == "":
		return errors.New("livechat: login and API key are required")
	}
	return nil
}

// API returns the Reports API version the client reads.
func (c *Client) API() API { return c.api }

// Requests returns the number of HTTP attempts the client has sent.
func (c *Client) Requests() int64 { return c.requests.Load() }
