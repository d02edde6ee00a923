package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/notify"
	"livechat-digest/store"
)

const slackChartToken = "xoxb-jobs-chart-token"

func chartYAML(chart string) string {
	return `
slack: {bot_token: ` + slackChartToken + `}
jobs:
  - name: weekly-support
    schedule: "0 9 * * MON"
    timezone: America/New_York
    period: last_7_days
    reports: [total_chats]
    slack: {channel: "#support", chart: ` + chart + `}
`
}

// slackEvent is one thing the Slack peer saw, in arrival order.
type slackEvent struct {
	Method  string // chat.postMessage, conversations.list, files.getUploadURLExternal, upload, files.completeUploadExternal
	Channel string
	Data    []byte // the uploaded file
}

// slackWebPeer speaks Slack's Web API over httptest, mounted under /api/:
// chat.postMessage, conversations.list and the files v2 upload flow (the
// upload URL is served here too). Every call must carry the bot token.
type slackWebPeer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []slackEvent
}

func newSlackWebPeer(t *testing.T) *slackWebPeer {
	t.Helper()
	p := &slackWebPeer{}
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	record := func(e slackEvent) {
		p.mu.Lock()
		p.events = append(p.events, e)
		p.mu.Unlock()
	}
	mux := http.NewServeMux()
	form := func(method string, h func(w http.ResponseWriter, r *http.Request)) {
		mux.HandleFunc("POST /api/"+method, func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil || r.PostForm.Get("token") != slackChartToken {
				reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
				return
			}
			h(w, r)
		})
	}
	form("chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		record(slackEvent{Method: "chat.postMessage", Channel: r.PostForm.Get("channel")})
		reply(w, map[string]any{"ok": true, "channel": "C0SUPPORT1", "ts": "1700000000.000100"})
	})
	form("conversations.list", func(w http.ResponseWriter, r *http.Request) {
		record(slackEvent{Method: "conversations.list"})
		reply(w, map[string]any{"ok": true, "channels": []map[string]string{{"id": "C0SUPPORT1", "name": "support"}}})
	})
	form("files.getUploadURLExternal", func(w http.ResponseWriter, r *http.Request) {
		record(slackEvent{Method: "files.getUploadURLExternal"})
		reply(w, map[string]any{"ok": true, "upload_url": p.srv.URL + "/upload/F1", "file_id": "F1"})
	})
	form("files.completeUploadExternal", func(w http.ResponseWriter, r *http.Request) {
		record(slackEvent{Method: "files.completeUploadExternal", Channel: r.PostForm.Get("channel_id")})
		reply(w, map[string]any{"ok": true, "files": []map[string]string{{"id": "F1", "title": "chart"}}})
	})
	mux.HandleFunc("POST /upload/F1", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+slackChartToken {
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, "no file", http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(f)
		record(slackEvent{Method: "upload", Data: data})
		_, _ = io.WriteString(w, "OK")
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *slackWebPeer) seen() []slackEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]slackEvent(nil), p.events...)
}

func TestSlackChartQueuedAfterPost(t *testing.T) {
	t.Parallel()
	for _, chart := range []string{"true", "false"} {
		t.Run("chart "+chart, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newRunEnv(t, mondayNY)
			job, ok := parseConfig(t, chartYAML(chart)).Job("weekly-support")
			require.True(t, ok)

			res, err := e.runner.Run(ctx, job, e.clock.Now(), false)
			require.NoError(t, err)
			ds := e.deliveries(t)
			if chart == "false" {
				assert.Equal(t, 1, res.Queued)
				require.Len(t, ds, 1)
				m, err := notify.Decode(ds[0].Payload)
				require.NoError(t, err)
				assert.NotNil(t, m.Slack)
				return
			}
			assert.Equal(t, 2, res.Queued)
			require.Len(t, ds, 2)
			byKey := map[string]store.Delivery{}
			for _, d := range ds {
				byKey[d.Key] = d
			}
			post := byKey[deliveryKey(job.Name, mondayNY, kindDigest, "slack:#support")]
			chartD := byKey[deliveryKey(job.Name, mondayNY, kindDigest, "slack-chart:#support")]
			require.NotZero(t, post.ID, "the post is queued under its key")
			require.NotZero(t, chartD.ID, "the chart is queued under its own key")
			assert.Greater(t, chartD.ID, post.ID, "the chart comes after the post")
			assert.Equal(t, "slack:#support", post.Target)
			assert.Equal(t, post.Target, chartD.Target, "one destination, one order")
			assert.Equal(t, kindDigest, chartD.Kind)
			assert.Equal(t, notify.ChannelSlack, chartD.Channel)

			m, err := notify.Decode(chartD.Payload)
			require.NoError(t, err)
			require.NotNil(t, m.SlackFile)
			assert.Nil(t, m.Slack)
			assert.Equal(t, "#support", m.SlackFile.Channel)
			assert.True(t, bytes.HasPrefix(m.SlackFile.Data, []byte("\x89PNG\r\n\x1a\n")), "a PNG")
		})
	}
}

func TestSlackChartSentAfterPost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRunEnv(t, mondayNY)
	job, ok := parseConfig(t, chartYAML("true")).Job("weekly-support")
	require.True(t, ok)
	_, err := e.runner.Run(ctx, job, e.clock.Now(), false)
	require.NoError(t, err)

	peer := newSlackWebPeer(t)
	s, err := notify.NewSlack(slackChartToken, peer.srv.URL+"/api/", peer.srv.Client())
	require.NoError(t, err)
	w, err := notify.NewWorker(e.st, map[string]notify.Sender{notify.ChannelSlack: s},
		notify.WorkerOptions{Owner: "replica-1", Clock: e.clock, Concurrency: 2})
	require.NoError(t, err)
	require.NoError(t, w.Drain(ctx))

	var chart []byte
	for _, d := range e.deliveries(t) {
		assert.Equal(t, store.DeliverySent, d.Status, "%s: %s", d.Key, d.LastError)
		if m, err := notify.Decode(d.Payload); err == nil && m.SlackFile != nil {
			chart = m.SlackFile.Data
		}
	}
	var methods []string
	for _, ev := range peer.seen() {
		methods = append(methods, ev.Method)
		switch ev.Method {
		case "chat.postMessage":
			assert.Equal(t, "#support", ev.Channel)
		case "files.completeUploadExternal":
			assert.Equal(t, "C0SUPPORT1", ev.Channel, "the upload shares to the resolved ID")
		case "upload":
			assert.True(t, bytes.Equal(chart, ev.Data), "the chart arrives intact")
		}
	}
	assert.Equal(t, []string{"chat.postMessage", "conversations.list", "files.getUploadURLExternal", "upload", "files.completeUploadExternal"}, methods,
		"the post, then the chart")
}
