package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
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

// channelIDPattern matches a Slack conversation ID (public C…, private
// G…, direct D…); anything else is taken as a channel name.
var channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)

// Slack posts messages with chat.postMessage and uploads files with the
// files v2 flow, as a bot.
type Slack struct {
	api   *slack.Client
	token string // only to scrub it from errors

	// ids caches channel name → ID from conversations.list: the upload API
	// takes IDs only, and listing every channel per upload would spend the
	// rate limit (conversations.list is tier 2) on an answer that rarely
	// changes. A name missing from it causes one fresh listing.
	mu  sync.Mutex
	ids map[string]string
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
//
// A message with a SlackFile is uploaded instead (see upload).
func (s *Slack) Send(ctx context.Context, m Message) error {
	_, err := s.SendReceipt(ctx, m)
	return err
}

// SendReceipt is Send, and says where a post landed (channel ID and ts),
// so that a later update or thread reply can find it.
//
// A SlackUpdate is a chat.update of the post it names, then one reply in
// its thread. If it names no post, or Slack refuses the update for good
// (message_not_found, cant_update_message, no permission, …), its Fallback
// is posted instead and nothing else; a retryable failure of the update is
// retried whole (chat.update with the same content changes nothing twice).
func (s *Slack) SendReceipt(ctx context.Context, m Message) (Receipt, error) {
	if m.Channel == ChannelSlack && m.Slack == nil && m.SlackFile != nil {
		return Receipt{}, s.upload(ctx, *m.SlackFile)
	}
	if m.Channel == ChannelSlack && m.Slack == nil && m.SlackUpdate != nil {
		return s.update(ctx, *m.SlackUpdate)
	}
	if m.Channel != ChannelSlack || m.Slack == nil {
		return Receipt{}, Permanent(fmt.Errorf("notify: slack: cannot send a %q message", m.Channel))
	}
	return s.post(ctx, *m.Slack)
}

// msgOptions are the text and blocks of a post or update. The text is the
// plain fallback shown in notifications (the blocks carry the formatting):
// mrkdwn off, so a name in it shows as typed.
func msgOptions(ch, text string, raw json.RawMessage) ([]slack.MsgOption, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionDisableMarkdown()}
	if len(raw) > 0 && string(raw) != "null" {
		var blocks slack.Blocks
		if err := json.Unmarshal(raw, &blocks); err != nil {
			return nil, Permanent(fmt.Errorf("notify: slack %s: blocks: %w", ch, err))
		}
		opts = append(opts, slack.MsgOptionBlocks(blocks.BlockSet...))
	}
	return opts, nil
}

func (s *Slack) post(ctx context.Context, p SlackMessage) (Receipt, error) {
	ch := p.Channel
	if ch == "" {
		return Receipt{}, Permanent(errors.New("notify: slack: no channel"))
	}
	opts, err := msgOptions(ch, p.Text, p.Blocks)
	if err != nil {
		return Receipt{}, err
	}
	if p.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(p.ThreadTS))
	}
	id, ts, err := s.api.PostMessageContext(ctx, ch, opts...)
	if err == nil {
		return Receipt{SlackChannel: id, SlackTS: ts}, nil
	}
	return Receipt{}, s.classify(ctx, ch, "chat.postMessage", err)
}

func (s *Slack) update(ctx context.Context, u SlackUpdateMessage) (Receipt, error) {
	if u.TS == "" || u.UpdateChannel == "" {
		return s.post(ctx, *u.Fallback)
	}
	opts, err := msgOptions(u.Channel, u.Text, u.Blocks)
	if err != nil {
		return Receipt{}, err
	}
	if _, _, _, err = s.api.UpdateMessageContext(ctx, u.UpdateChannel, u.TS, opts...); err != nil {
		err = s.classify(ctx, u.Channel, "chat.update", err)
		if IsRetryable(err) {
			return Receipt{}, err
		}
		return s.post(ctx, *u.Fallback)
	}
	if u.Reply == nil {
		return Receipt{}, nil
	}
	reply := *u.Reply
	reply.Channel, reply.ThreadTS = u.UpdateChannel, u.TS
	_, err = s.post(ctx, reply)
	return Receipt{}, err
}

// upload sends f with slack-go's files v2 flow: files.getUploadURLExternal,
// a POST of the bytes to the URL it returns, then
// files.completeUploadExternal to share the file in the channel. The
// channel must be an ID there; a name is resolved first (resolve). Errors
// are classified as Send's are.
func (s *Slack) upload(ctx context.Context, f SlackFileMessage) error {
	if err := f.validate(); err != nil {
		return Permanent(err)
	}
	id, err := s.resolve(ctx, f.Channel)
	if err != nil {
		return err
	}
	_, err = s.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename:       f.Filename,
		FileSize:       len(f.Data),
		Reader:         bytes.NewReader(f.Data),
		Title:          f.Title,
		Channel:        id,
		InitialComment: f.InitialComment,
	})
	if err == nil {
		return nil
	}
	return s.classify(ctx, f.Channel, "file upload", err)
}

// resolve returns the channel ID for ch: ch itself when it already looks
// like one, else the ID conversations.list gives for the name (with or
// without its #).
func (s *Slack) resolve(ctx context.Context, ch string) (string, error) {
	if channelIDPattern.MatchString(ch) {
		return ch, nil
	}
	name := strings.TrimPrefix(ch, "#")
	s.mu.Lock()
	id, ok := s.ids[name]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	// The listing runs without the lock, so one slow listing does not hold
	// up uploads whose channel is cached; two concurrent misses may both
	// list, which costs a request and nothing else.
	ids, err := s.listChannels(ctx)
	if err != nil {
		return "", s.classify(ctx, ch, "conversations.list", err)
	}
	s.mu.Lock()
	s.ids = ids
	s.mu.Unlock()
	if id, ok := ids[name]; ok {
		return id, nil
	}
	return "", Permanent(fmt.Errorf("notify: slack #%s: channel not found (the bot needs channels:read, or configure the channel ID)", name))
}

// listChannels maps the name of every public and private channel the bot
// can see to its ID, following conversations.list's cursor.
func (s *Slack) listChannels(ctx context.Context) (map[string]string, error) {
	ids := map[string]string{}
	params := &slack.GetConversationsParameters{
		Types:           []string{"public_channel", "private_channel"},
		ExcludeArchived: true,
		Limit:           1000,
	}
	// A bound on pages keeps a peer that always returns a cursor from
	// looping forever; 1000 pages of 1000 channels is more than any
	// workspace holds.
	for range 1000 {
		chs, next, err := s.api.GetConversationsContext(ctx, params)
		if err != nil {
			return nil, err
		}
		for _, c := range chs {
			if c.Name != "" && c.ID != "" {
				ids[c.Name] = c.ID
			}
		}
		if next == "" {
			return ids, nil
		}
		params.Cursor = next
	}
	return nil, errors.New("too many pages")
}

// classify turns an error of one Slack API call (method) for channel ch
// into a retryable or permanent Error.
func (s *Slack) classify(ctx context.Context, ch, method string, err error) error {
	// url.Error repeats the endpoint URL, which may hold proxy credentials
	// (or, for an upload, the signed upload URL): keep only what went wrong.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s %s: %w", ue.Op, sanitizeURL(ue.URL), ue.Err)
	}
	wrapped := redact(fmt.Errorf("notify: slack %s: %s: %w", ch, method, err), s.token)
	if cerr := ctx.Err(); cerr != nil {
		return Retryable(redact(fmt.Errorf("notify: slack %s: %s: %w: %w", ch, method, cerr, err), s.token), 0)
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
