package notify

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const slackToken = "xoxb-111-222-very-secret-token"

func sampleSlack() Message {
	return Message{Channel: ChannelSlack, Slack: &SlackMessage{
		Channel: "#support",
		Text:    "Support weekly: 700 chats (+25%)",
		Blocks: json.RawMessage(`[{"type":"header","text":{"type":"plain_text","text":"Support weekly"}},` +
			`{"type":"section","text":{"type":"mrkdwn","text":"*Chats* 700 (+25%)"}},{"type":"divider"}]`),
	}}
}

func TestSlackPosts(t *testing.T) {
	t.Parallel()
	peer := newSlackPeer(t)
	s, err := NewSlack(slackToken, peer.apiURL(), peer.srv.Client()) // no trailing slash on purpose
	require.NoError(t, err)
	require.NoError(t, s.Send(t.Context(), sampleSlack()))
	posts := peer.received()
	require.Len(t, posts, 1)
	assert.Equal(t, slackToken, posts[0].Token, "token travels as a form field")
	assert.Equal(t, "#support", posts[0].Channel)
	assert.Equal(t, "Support weekly: 700 chats (+25%)", posts[0].Text)
	var blocks []map[string]any
	require.NoError(t, json.Unmarshal([]byte(posts[0].Blocks), &blocks))
	require.Len(t, blocks, 3)
	assert.Equal(t, "header", blocks[0]["type"])
	assert.Equal(t, "*Chats* 700 (+25%)", blocks[1]["text"].(map[string]any)["text"])
	assert.Equal(t, "divider", blocks[2]["type"])
}

// TestSlackErrors: status × body → retryable?, retry-after, and the error
// names the channel and never the token.
func TestSlackErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		reply      slackReply
		retryable  bool
		retryAfter time.Duration
		contains   string
	}{
		{"429 with retry-after", slackReply{status: 429, retryAfter: "7"}, true, 7 * time.Second, "rate limit"},
		{"429 without retry-after", slackReply{status: 429}, true, 0, "429"},
		{"500", slackReply{status: 500, body: "<html>oops</html>"}, true, 0, "500"},
		{"503", slackReply{status: 503}, true, 0, "503"},
		{"404", slackReply{status: 404}, false, 0, "404"},
		{"channel_not_found", slackReply{status: 200, body: `{"ok":false,"error":"channel_not_found"}`}, false, 0, "channel_not_found"},
		{"invalid_auth", slackReply{status: 200, body: `{"ok":false,"error":"invalid_auth"}`}, false, 0, "invalid_auth"},
		{"not_in_channel", slackReply{status: 200, body: `{"ok":false,"error":"not_in_channel"}`}, false, 0, "not_in_channel"},
		{"internal_error", slackReply{status: 200, body: `{"ok":false,"error":"internal_error"}`}, true, 0, "internal_error"},
		{"ratelimited body", slackReply{status: 200, body: `{"ok":false,"error":"ratelimited"}`}, true, 0, "ratelimited"},
		{"html from a proxy", slackReply{status: 200, body: `<html>`}, true, 0, "chat.postMessage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			peer := newSlackPeer(t, tt.reply)
			s, err := NewSlack(slackToken, peer.apiURL()+"/", peer.srv.Client())
			require.NoError(t, err)
			err = s.Send(t.Context(), sampleSlack())
			require.Error(t, err)
			assert.Equal(t, tt.retryable, IsRetryable(err), "error: %v", err)
			assert.Equal(t, tt.retryAfter, RetryAfter(err))
			assert.Contains(t, err.Error(), "notify: slack #support: chat.postMessage")
			assert.Contains(t, err.Error(), tt.contains)
			assertNoSecret(t, slackToken, err.Error())
		})
	}
}

func TestSlackTransportError(t *testing.T) {
	t.Parallel()
	peer := newSlackPeer(t)
	url := peer.apiURL()
	peer.srv.Close()
	// Credentials in a proxy URL must not reach the error either.
	s, err := NewSlack(slackToken, "http://user:proxy-pass-123@"+url[len("http://"):], &http.Client{Timeout: 5 * time.Second})
	require.NoError(t, err)
	err = s.Send(t.Context(), sampleSlack())
	require.Error(t, err)
	assert.True(t, IsRetryable(err))
	assert.Contains(t, err.Error(), "#support")
	assertNoSecret(t, slackToken, err.Error())
	assertNoSecret(t, "proxy-pass-123", err.Error())
}

func TestSlackBadMessage(t *testing.T) {
	t.Parallel()
	peer := newSlackPeer(t)
	s, err := NewSlack(slackToken, peer.apiURL(), peer.srv.Client())
	require.NoError(t, err)
	for name, m := range map[string]Message{
		"email message":  sampleEmail(),
		"no channel":     {Channel: ChannelSlack, Slack: &SlackMessage{Text: "x"}},
		"blocks object":  {Channel: ChannelSlack, Slack: &SlackMessage{Channel: "#x", Blocks: json.RawMessage(`{"type":1}`)}},
		"no slack part":  {Channel: ChannelSlack},
		"unknown blocks": {Channel: ChannelSlack, Slack: &SlackMessage{Channel: "#x", Blocks: json.RawMessage(`[1]`)}},
	} {
		err := s.Send(t.Context(), m)
		require.Error(t, err, name)
		assert.False(t, IsRetryable(err), "%s: %v", name, err)
	}
	assert.Equal(t, 0, peer.count(), "nothing posted")
}

func TestNewSlack(t *testing.T) {
	t.Parallel()
	_, err := NewSlack("", "", nil)
	require.ErrorContains(t, err, "token is empty")
	_, err = NewSlack(slackToken, "ftp://x/", nil)
	require.ErrorContains(t, err, "not an http(s) URL")
	assertNoSecret(t, slackToken, err.Error())
	_, err = NewSlack(slackToken, "", nil)
	require.NoError(t, err)
}
