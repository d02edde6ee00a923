package livechat

import (
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

// Client calls the LiveChat Reports API v2. It is safe for concurrent use;
// one Client per account shares its rate limit and concurrency cap across
// every job and slash command.
type Client struct {
	base   *url.URL
	login  string
	apiKey string

	http        *http.Client
	limiter     *rate.Limiter
	sem         chan struct{}
	tries       int
	backoffBase time.Duration
	backoffMax  time.Duration
	timeout     time.Duration
	observe     func(endpoint string, status int, elapsed time.Duration)
	log         *slog.Logger

	requests   atomic.Int64
	pauseUntil atomic.Int64 // unix nanos before which no attempt starts (after a 429)

	sf      singleflight.Group
	mu      sync.Mutex
	flights map[string]*flight
	cache   *responseCache // nil: no cache (see WithCache)
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
// A 429 whose Retry-After exceeds max is not retried: its APIError carries
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

// New returns a client for the API at baseURL (e.g.
// "https://api.livechatinc.com"), authenticating as login with apiKey.
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
	if login == "" || apiKey == "" {
		return nil, errors.New("livechat: login and API key are required")
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawPath = ""
	c := &Client{
		base:        u,
		login:       login,
		apiKey:      apiKey,
		http:        &http.Client{},
		limiter:     rate.NewLimiter(10, 10),
		sem:         make(chan struct{}, 8),
		tries:       4,
		backoffBase: 200 * time.Millisecond,
		backoffMax:  5 * time.Second,
		timeout:     30 * time.Second,
		observe:     func(string, int, time.Duration) {},
		log:         slog.New(slog.DiscardHandler),
		flights:     make(map[string]*flight),
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("livechat: nil option")
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	c.log = c.log.With("component", "livechat")
	return c, nil
}

// Requests returns the number of HTTP attempts the client has sent.
func (c *Client) Requests() int64 { return c.requests.Load() }
