package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Channels a Message can be sent on; Worker picks its Sender by these names.
const (
	ChannelEmail = "email"
	ChannelSlack = "slack"
)

// Message is one rendered message for one target. It is stored, JSON
// encoded, in store.Delivery.Payload, so everything needed to send it again
// after a restart lives here and nothing is rendered at send time.
type Message struct {
	Channel string        `json:"channel"` // ChannelEmail or ChannelSlack
	Email   *EmailMessage `json:"email,omitempty"`
	Slack   *SlackMessage `json:"slack,omitempty"`
	// SlackFile is a file upload to a Slack channel (the digest's chart).
	// It goes by ChannelSlack, the same sender as a post, and a slack
	// message carries exactly one of Slack and SlackFile.
	SlackFile *SlackFileMessage `json:"slack_file,omitempty"`
	// SlackUpdate rewrites an earlier post and replies in its thread (an
	// alert's resolve); a slack message carries exactly one of Slack,
	// SlackFile and SlackUpdate.
	SlackUpdate *SlackUpdateMessage `json:"slack_update,omitempty"`
	// Meta is data for the Worker's Gate, opaque to notify: what an alert
	// message carries, so it can be checked (and rendered again) just
	// before it is sent.
	Meta json.RawMessage `json:"meta,omitempty"`
}

// EmailMessage is a rendered email: a text part, an HTML alternative and
// images the HTML refers to as cid:NAME.
type EmailMessage struct {
	From    string   `json:"from"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Text    string   `json:"text,omitempty"`
	HTML    string   `json:"html,omitempty"`
	Inline  []Inline `json:"inline,omitempty"`
	// MessageID is the Message-ID without angle brackets, normally from
	// MessageID(job, firing, target, from). A retry must carry the same one,
	// so when it is empty one is derived from the message content rather
	// than made up at random.
	MessageID string `json:"message_id,omitempty"`
	// ListID, set on digests only, is the List-Id header without angle
	// brackets (see ListID). A message with one is a digest: the worker
	// checks its recipients against the job's unsubscribes before sending.
	ListID string `json:"list_id,omitempty"`
	// Unsubscribe is the recipient's one-click unsubscribe URL (RFC 8058),
	// written as List-Unsubscribe with List-Unsubscribe-Post; "" for none.
	// Digests carry one when server.public_url is set; alerts never do.
	Unsubscribe string `json:"unsubscribe,omitempty"`
	// Date is the Date header: the firing instant, so that a retry an hour
	// later still says when the digest was made.
	Date time.Time `json:"date"`
}

// Inline is an image embedded in an email and referenced from its HTML as
// cid:Name (for example cid:chart.png).
type Inline struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// SlackMessage is a rendered chat.postMessage: Block Kit blocks plus the
// text Slack shows in notifications and clients without blocks.
type SlackMessage struct {
	Channel string          `json:"channel"`
	Text    string          `json:"text"`
	Blocks  json.RawMessage `json:"blocks,omitempty"` // a JSON array of blocks
	// ThreadTS, when set, posts the message as a reply in that thread.
	ThreadTS string `json:"thread_ts,omitempty"`
}

// SlackUpdateMessage is a chat.update of an earlier post followed by one
// reply in its thread. Channel is as configured ("#name" or an ID), the
// destination for ordering and for the fallback; UpdateChannel and TS name
// the post (channel ID and ts from its receipt). With no TS, or when Slack
// refuses the update for good (message deleted, no permission), Fallback
// is posted instead, once.
type SlackUpdateMessage struct {
	Channel       string          `json:"channel"`
	UpdateChannel string          `json:"update_channel,omitempty"`
	TS            string          `json:"ts,omitempty"`
	Text          string          `json:"text"`
	Blocks        json.RawMessage `json:"blocks,omitempty"`
	Reply         *SlackMessage   `json:"reply,omitempty"`
	Fallback      *SlackMessage   `json:"fallback"`
}

// SlackFileMessage is a rendered file upload (Slack's files v2 flow).
// Channel is as configured, "#name" or a channel ID; the sender resolves a
// name to its ID, which the upload API requires.
type SlackFileMessage struct {
	Channel        string `json:"channel"`
	Filename       string `json:"filename"`
	Title          string `json:"title,omitempty"`
	InitialComment string `json:"initial_comment,omitempty"`
	Data           []byte `json:"data"`
}

// Encode turns m into the bytes stored in store.Delivery.Payload.
func Encode(m Message) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("notify: encode: %w", err)
	}
	return b, nil
}

// Decode reads a payload written by Encode. It checks the same invariants
// Encode does, so a corrupted row fails here and not inside a sender.
func Decode(b []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, fmt.Errorf("notify: decode: %w", err)
	}
	if err := m.validate(); err != nil {
		return Message{}, err
	}
	return m, nil
}

func (m Message) validate() error {
	switch m.Channel {
	case ChannelEmail:
		if m.Email == nil {
			return errors.New("notify: email message without email part")
		}
		if len(m.Email.To) == 0 {
			return errors.New("notify: email message without recipients")
		}
	case ChannelSlack:
		if (m.Slack != nil) && (m.SlackFile != nil || m.SlackUpdate != nil) || m.SlackFile != nil && m.SlackUpdate != nil {
			return errors.New("notify: slack message with more than one of a post, a file and an update")
		}
		if u := m.SlackUpdate; u != nil {
			if u.Channel == "" || u.Fallback == nil || u.Fallback.Channel == "" {
				return errors.New("notify: slack update without channel or fallback")
			}
			return nil
		}
		if m.SlackFile != nil {
			return m.SlackFile.validate()
		}
		if m.Slack == nil {
			return errors.New("notify: slack message without slack part")
		}
		if m.Slack.Channel == "" {
			return errors.New("notify: slack message without channel")
		}
		if len(m.Slack.Blocks) > 0 && !json.Valid(m.Slack.Blocks) {
			return errors.New("notify: slack message: blocks are not valid JSON")
		}
	default:
		return fmt.Errorf("notify: unknown channel %q", m.Channel)
	}
	return nil
}

func (f *SlackFileMessage) validate() error {
	switch {
	case f.Channel == "":
		return errors.New("notify: slack file without channel")
	case f.Filename == "":
		return errors.New("notify: slack file without file name")
	case len(f.Data) == 0:
		return errors.New("notify: slack file is empty")
	}
	return nil
}

// Target names where m goes, for logs, errors and the worker's per-destination
// order: the recipients of an email or the Slack channel, the same for a post
// and a file upload to one channel, so a chart follows its digest.
func (m Message) Target() string {
	switch {
	case m.Email != nil:
		return strings.Join(m.Email.To, ",")
	case m.Slack != nil:
		return m.Slack.Channel
	case m.SlackFile != nil:
		return m.SlackFile.Channel
	case m.SlackUpdate != nil:
		return m.SlackUpdate.Channel
	}
	return ""
}

// MessageID returns the Message-ID (without angle brackets) for the message
// one job's firing sends to one target, e.g.
// "weekly-support.20261123T1400Z.3f2a9c01de@example.com". It depends only on
// its arguments, so every retry and every replica uses the same one. The
// right side is the domain of from (the From header), as RFC 5322 asks and
// spam filters check; livechat-digest.invalid when from has none.
func MessageID(job string, firing time.Time, target, from string) string {
	return fmt.Sprintf("%s.%s.%s@%s", slug(job, 40), firingStamp(firing), shortHash(target), domainOf(from))
}

func firingStamp(t time.Time) string {
	t = t.UTC()
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return t.Format("20060102T150405Z")
	}
	return t.Format("20060102T1504Z")
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:5])
}

// slug keeps letters, digits, '-' and '_' (ASCII only, lower-cased) and
// folds every other run into one '-', so the result is safe in a
// Message-ID's local part and in a file name.
func slug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= max {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > max {
		out = strings.Trim(out[:max], "-")
	}
	if out == "" {
		return "message"
	}
	return out
}
