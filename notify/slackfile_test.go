package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chartPNG is not a real PNG; the bytes only need to arrive as sent,
// including a NUL and bytes that are not UTF-8.
var chartPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe chart bytes")

func sampleSlackFile(channel string) Message {
	return Message{Channel: ChannelSlack, SlackFile: &SlackFileMessage{
		Channel: channel, Filename: "daily-chats.png", Title: "Daily chats",
		InitialComment: "weekly-support", Data: chartPNG,
	}}
}

// upload is one file as the peer saw it across the three steps.
type upload struct {
	FileID, Filename, Length   string // files.getUploadURLExternal
	Data                       []byte // the POST to the upload URL
	Auth                       string // its Authorization header
	Channel, Comment, FilesArg string // files.completeUploadExternal
}

// slackFilePeer speaks the part of Slack's Web API a file upload uses:
// conversations.list (two pages), files.getUploadURLExternal, the upload
// URL (served here too) and files.completeUploadExternal. Every API call
// must carry the token as a form field, as slack-go sends it, and the
// upload the same token as a bearer header.
type slackFilePeer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	replies map[string][]slackReply // per path, answered in order, then ok
	calls   map[string]int
	uploads map[string]*upload // by file ID
	order   []string           // file IDs in completion order
	badAuth []string           // requests without the right token
}

func newSlackFilePeer(t *testing.T) *slackFilePeer {
	t.Helper()
	p := &slackFilePeer{replies: map[string][]slackReply{}, calls: map[string]int{}, uploads: map[string]*upload{}}
	mux := http.NewServeMux()
	api := func(method string, ok func(r *http.Request) any) {
		mux.HandleFunc("POST /api/"+method, func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			p.mu.Lock()
			p.calls[method]++
			if r.PostForm.Get("token") != slackToken {
				p.badAuth = append(p.badAuth, method)
			}
			var rep slackReply
			if q := p.replies[method]; len(q) > 0 {
				rep, p.replies[method] = q[0], q[1:]
			}
			var body any
			if rep.status == 0 {
				body = ok(r) // under the lock: handlers share the maps
			}
			p.mu.Unlock()
			if rep.status == 0 {
				rep.status = http.StatusOK
				b, _ := json.Marshal(body)
				rep.body = string(b)
			}
			if rep.retryAfter != "" {
				w.Header().Set("Retry-After", rep.retryAfter)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rep.status)
			_, _ = io.WriteString(w, rep.body)
		})
	}
	api("conversations.list", func(r *http.Request) any {
		type ch struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if r.PostForm.Get("types") != "public_channel,private_channel" {
			return map[string]any{"ok": false, "error": "invalid_types"}
		}
		if r.PostForm.Get("cursor") == "" {
			return map[string]any{"ok": true, "channels": []ch{{"C0GENERAL1", "general"}},
				"response_metadata": map[string]string{"next_cursor": "page2"}}
		}
		return map[string]any{"ok": true, "channels": []ch{{"C0SUPPORT1", "support"}, {"G0PRIVATE1", "leads"}},
			"response_metadata": map[string]string{"next_cursor": ""}}
	})
	api("files.getUploadURLExternal", func(r *http.Request) any {
		id := fmt.Sprintf("F%03d", len(p.uploads)+1)
		p.uploads[id] = &upload{FileID: id, Filename: r.PostForm.Get("filename"), Length: r.PostForm.Get("length")}
		return map[string]any{"ok": true, "upload_url": p.srv.URL + "/upload/" + id, "file_id": id}
	})
	api("files.completeUploadExternal", func(r *http.Request) any {
		var files []struct{ ID, Title string }
		if err := json.Unmarshal([]byte(r.PostForm.Get("files")), &files); err != nil || len(files) != 1 || p.uploads[files[0].ID] == nil {
			return map[string]any{"ok": false, "error": "invalid_arguments"}
		}
		u := p.uploads[files[0].ID]
		u.Channel, u.Comment, u.FilesArg = r.PostForm.Get("channel_id"), r.PostForm.Get("initial_comment"), r.PostForm.Get("files")
		p.order = append(p.order, u.FileID)
		return map[string]any{"ok": true, "files": []map[string]string{{"id": u.FileID, "title": files[0].Title}}}
	})
	mux.HandleFunc("POST /upload/{id}", func(w http.ResponseWriter, r *http.Request) {
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, "no file", http.StatusBadRequest)
			return
		}
		data, err := io.ReadAll(f)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		u := p.uploads[r.PathValue("id")]
		if u == nil {
			http.Error(w, "unknown upload", http.StatusNotFound)
			return
		}
		u.Data, u.Auth = data, r.Header.Get("Authorization")
		_, _ = io.WriteString(w, "OK - "+fmt.Sprint(len(data)))
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *slackFilePeer) apiURL() string { return p.srv.URL + "/api/" }

func (p *slackFilePeer) reply(method string, rs ...slackReply) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.replies[method] = append(p.replies[method], rs...)
}

func (p *slackFilePeer) count(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[method]
}

// shared returns the completed uploads in completion order.
func (p *slackFilePeer) shared() []upload {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []upload
	for _, id := range p.order {
		out = append(out, *p.uploads[id])
	}
	return out
}

func (p *slackFilePeer) sender(t *testing.T) *Slack {
	t.Helper()
	s, err := NewSlack(slackToken, p.apiURL(), p.srv.Client())
	require.NoError(t, err)
	return s
}

func TestSlackUploadByID(t *testing.T) {
	t.Parallel()
	peer := newSlackFilePeer(t)
	require.NoError(t, peer.sender(t).Send(t.Context(), sampleSlackFile("C0SUPPORT1")))

	assert.Equal(t, 0, peer.count("conversations.list"), "an ID needs no lookup")
	ups := peer.shared()
	require.Len(t, ups, 1)
	u := ups[0]
	assert.Equal(t, "C0SUPPORT1", u.Channel)
	assert.Equal(t, "daily-chats.png", u.Filename)
	assert.Equal(t, fmt.Sprint(len(chartPNG)), u.Length)
	assert.True(t, bytes.Equal(chartPNG, u.Data), "file bytes arrive intact: %q", u.Data)
	assert.Equal(t, "Bearer "+slackToken, u.Auth, "the upload carries the token as a bearer header")
	assert.Equal(t, "weekly-support", u.Comment)
	assert.JSONEq(t, `[{"id":"F001","title":"Daily chats"}]`, u.FilesArg)
	assert.Empty(t, peer.badAuth, "every API call carries the token form field")
}

func TestSlackUploadByNameIsResolvedOnce(t *testing.T) {
	t.Parallel()
	peer := newSlackFilePeer(t)
	s := peer.sender(t)
	require.NoError(t, s.Send(t.Context(), sampleSlackFile("#support")))
	require.NoError(t, s.Send(t.Context(), sampleSlackFile("support")))
	require.NoError(t, s.Send(t.Context(), sampleSlackFile("#leads")))

	assert.Equal(t, 2, peer.count("conversations.list"), "one listing of two pages, then the cache")
	ups := peer.shared()
	require.Len(t, ups, 3)
	assert.Equal(t, "C0SUPPORT1", ups[0].Channel)
	assert.Equal(t, "C0SUPPORT1", ups[1].Channel)
	assert.Equal(t, "G0PRIVATE1", ups[2].Channel)
	for _, u := range ups {
		assert.True(t, bytes.Equal(chartPNG, u.Data))
	}
	assert.Empty(t, peer.badAuth)
}

func TestSlackUploadUnknownChannel(t *testing.T) {
	t.Parallel()
	peer := newSlackFilePeer(t)
	err := peer.sender(t).Send(t.Context(), sampleSlackFile("#nowhere"))
	require.Error(t, err)
	assert.False(t, IsRetryable(err), "error: %v", err)
	assert.EqualError(t, err, "notify: slack #nowhere: channel not found (the bot needs channels:read, or configure the channel ID)")
	assert.Equal(t, 0, peer.count("files.getUploadURLExternal"), "nothing uploaded")
	assertNoSecret(t, slackToken, err.Error())
}

// TestSlackUploadErrors: a failure at any step is classified as a post's is,
// names the channel and never the token.
func TestSlackUploadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		reply      slackReply
		retryable  bool
		retryAfter time.Duration
		contains   string
	}{
		{"429 on complete", "files.completeUploadExternal", slackReply{status: 429, retryAfter: "7"}, true, 7 * time.Second, "rate limit"},
		{"429 on get url", "files.getUploadURLExternal", slackReply{status: 429, retryAfter: "3"}, true, 3 * time.Second, "rate limit"},
		{"429 on list", "conversations.list", slackReply{status: 429, retryAfter: "20"}, true, 20 * time.Second, "conversations.list"},
		{"missing scope on list", "conversations.list", slackReply{status: 200, body: `{"ok":false,"error":"missing_scope"}`}, false, 0, "missing_scope"},
		{"503 on complete", "files.completeUploadExternal", slackReply{status: 503}, true, 0, "503"},
		{"not_in_channel", "files.completeUploadExternal", slackReply{status: 200, body: `{"ok":false,"error":"not_in_channel"}`}, false, 0, "not_in_channel"},
		{"internal_error", "files.getUploadURLExternal", slackReply{status: 200, body: `{"ok":false,"error":"internal_error"}`}, true, 0, "internal_error"},
		{"invalid_auth", "files.getUploadURLExternal", slackReply{status: 200, body: `{"ok":false,"error":"invalid_auth"}`}, false, 0, "invalid_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			peer := newSlackFilePeer(t)
			peer.reply(tt.method, tt.reply)
			err := peer.sender(t).Send(t.Context(), sampleSlackFile("#support"))
			require.Error(t, err)
			assert.Equal(t, tt.retryable, IsRetryable(err), "error: %v", err)
			assert.Equal(t, tt.retryAfter, RetryAfter(err))
			assert.Contains(t, err.Error(), "notify: slack #support: ")
			assert.Contains(t, err.Error(), tt.contains)
			assertNoSecret(t, slackToken, err.Error())
			assert.Empty(t, peer.shared(), "nothing shared")
		})
	}
}

// TestSlackUploadRetryRedoesAll: after a failed completion the next Send
// (the Worker's retry) goes through all three steps again and shares the
// file once.
func TestSlackUploadRetryRedoesAll(t *testing.T) {
	t.Parallel()
	peer := newSlackFilePeer(t)
	peer.reply("files.completeUploadExternal", slackReply{status: 500})
	s := peer.sender(t)
	require.Error(t, s.Send(t.Context(), sampleSlackFile("C0SUPPORT1")))
	require.NoError(t, s.Send(t.Context(), sampleSlackFile("C0SUPPORT1")))
	assert.Equal(t, 2, peer.count("files.getUploadURLExternal"))
	ups := peer.shared()
	require.Len(t, ups, 1)
	assert.Equal(t, "F002", ups[0].FileID)
	assert.True(t, bytes.Equal(chartPNG, ups[0].Data))
}

func TestSlackUploadBadMessage(t *testing.T) {
	t.Parallel()
	peer := newSlackFilePeer(t)
	s := peer.sender(t)
	for name, m := range map[string]Message{
		"no data":  {Channel: ChannelSlack, SlackFile: &SlackFileMessage{Channel: "C0SUPPORT1", Filename: "a.png"}},
		"no name":  {Channel: ChannelSlack, SlackFile: &SlackFileMessage{Channel: "C0SUPPORT1", Data: chartPNG}},
		"no chan":  {Channel: ChannelSlack, SlackFile: &SlackFileMessage{Filename: "a.png", Data: chartPNG}},
		"by email": {Channel: ChannelEmail, SlackFile: &SlackFileMessage{Channel: "C0SUPPORT1", Filename: "a.png", Data: chartPNG}},
	} {
		err := s.Send(t.Context(), m)
		require.Error(t, err, name)
		assert.False(t, IsRetryable(err), "%s: %v", name, err)
	}
	assert.Equal(t, 0, peer.count("files.getUploadURLExternal"))
}
