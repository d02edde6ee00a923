package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// DefaultSlackAPIURL is Slack's Web API base.
const DefaultSlackAPIURL = "https://slack.com/api/"

// slackRetryable are ok:false answers that say "not now" rather than "never".
var slackRetryable = map[string]bool{
	"ratelimited":         true,
	"rate_limited":        true,
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// Slack posts messages with chat.postMessage as a bot.
type Slack struct {
	api   *slack.Client
	token string // only to scrub it from errors
}

// NewSlack makes a Slack sender. apiURL defaults to DefaultSlackAPIURL; a
// missing trailing slash is added, since slack-go appends method names to
// it. httpClient nil means a fresh client with a 30s timeout. slack-go's own
// retries stay off: Worker is the only retry stage.
func NewSlack(token, apiURL string, httpClient *http.Client) (*Slack, error) {
	if token == "" {
		return nil, errors.New("notify: slack: token is empty")
	}
	if apiURL == "" {
		apiURL = DefaultSlackAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("notify: slack: api url %q is not an http(s) URL", sanitizeURL(apiURL))
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	api := slack.New(token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(httpClient))
	return &Slack{api: api, token: token}, nil
}

// Send makes one chat.postMessage call with m's blocks and fallback text.
//
// 429 is retryable and carries Slack's Retry-After; 5xx, transport errors
// and Slack's own "try later" answers are retryable; every other ok:false
// answer (channel_not_found, invalid_auth, not_in_channel, …) is permanent.
// Errors name the channel and never the token.
func (s *Slack) Send(ctx context.Context, m Message) error {
	if m.Channel != ChannelSlack || m.Slack == nil {
		return Permanent(fmt.Errorf("notify: slack: cannot send a %q message", m.Channel))
	}
	ch := m.Slack.Channel
	if ch == "" {
		return Permanent(errors.New("notify: slack: no channel"))
	}
	opts := []slack.MsgOption{slack.MsgOptionText(m.Slack.Text, false)}
	if len(m.Slack.Blocks) > 0 && string(m.Slack.Blocks) != "null" {
		var blocks slack.Blocks
		if err := json.Unmarshal(m.Slack.Blocks, &blocks); err != nil {
			return Permanent(fmt.Errorf("notify: slack %s: blocks: %w", ch, err))
		}
		opts = append(opts, slack.MsgOptionBlocks(blocks.BlockSet...))
	}
	_, _, err := s.api.PostMessageContext(ctx, ch, opts...)
	if err == nil {
		return nil
	}
	return s.classify(ctx, ch, err)
}

func (s *Slack) classify(ctx context.Context, ch string, err error) error {
	// url.Error repeats the endpoint URL, which may hold proxy credentials:
	// keep only what went wrong.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s %s: %w", ue.Op, sanitizeURL(ue.URL), ue.Err)
	}
	wrapped := redact(fmt.Errorf("notify: slack %s: chat.postMessage: %w", ch, err), s.token)
	if cerr := ctx.Err(); cerr != nil {
		return Retryable(redact(fmt.Errorf("notify: slack %s: chat.postMessage: %w: %w", ch, cerr, err), s.token), 0)
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return Retryable(wrapped, rl.RetryAfter)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 500 || sc.Code == http.StatusTooManyRequests || sc.Code == http.StatusRequestTimeout {
			return Retryable(wrapped, 0)
		}
		return Permanent(wrapped)
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if slackRetryable[se.Err] {
			return Retryable(wrapped, 0)
		}
		return Permanent(wrapped)
	}
	// Transport failures, timeouts and undecodable answers (a proxy's HTML
	// page) may all go away.
	return Retryable(wrapped, 0)
}

// sanitizeURL drops user info, query and fragment, where secrets hide.
func sanitizeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid url>"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}
