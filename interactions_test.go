package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/alerting"
	"livechat-digest/server"
	"livechat-digest/store"
	"livechat-digest/templates"
)

const interactionSecret = "interaction-signing-secret"

func signedInteraction(t *testing.T, base, secret string, body []byte) *http.Request {
	t.Helper()
	ts := time.Now().Unix()
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", ts, body)
	req, err := http.NewRequest(http.MethodPost, base+"/slack/interactions", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

// TestSilenceButton: a signed press of "Silence until 09:00 tomorrow"
// stores the silence as the user who pressed (09:00 in the job's zone) and
// rewrites the message without its buttons; the same request again, or a
// forged one, stores nothing.
func TestSilenceButton(t *testing.T) {
	t.Parallel()
	dir, path := writeConfig(t)
	cfg, err := (&app{configPath: path, getenv: func(string) (string, bool) { return "", false }}).loadConfig()
	require.NoError(t, err)
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	defer st.Close()

	var (
		mu      sync.Mutex
		updates []map[string]any
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		updates = append(updates, m)
		mu.Unlock()
	}))
	defer hook.Close()
	rend, err := templates.New("")
	require.NoError(t, err)
	srv, err := server.New(server.Options{SigningSecret: interactionSecret, Answerer: answerer{cfg: cfg, store: st}, Renderer: rend,
		Silencer: silencer{cfg: cfg, store: st, now: time.Now}, ResponseURLPrefix: hook.URL + "/"})
	require.NoError(t, err)
	web := httptest.NewServer(srv.Handler())
	defer web.Close()

	value, _ := json.Marshal(map[string]any{"job": "frt-watch", "metrics": []string{"chats_first_response_time.seconds"}})
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]string{"id": "U123", "name": "ann"}, "team": map[string]string{"id": "T1"},
		"channel": map[string]string{"id": "C1"}, "response_url": hook.URL + "/actions/1",
		"container": map[string]string{"type": "message", "message_ts": "1700000000.000100", "channel_id": "C1"},
		"message": map[string]any{"blocks": []any{
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "Firing"}},
			map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "button", "action_id": "silence_1h", "text": map[string]any{"type": "plain_text", "text": "Silence 1h"}}}},
		}},
		"actions": []any{map[string]any{"type": "button", "block_id": "b1", "action_id": templates.ActionSilenceTomorrow, "value": string(value)}},
	})
	body := []byte("payload=" + url.QueryEscape(string(payload)))
	// The alert post the button is on, as the worker recorded it.
	now := time.Now()
	_, err = st.Enqueue(context.Background(), []store.Delivery{{Key: "frt-watch|post", Job: "frt-watch", Kind: "alert",
		Channel: "slack", Target: "#alerts", CreatedAt: now}})
	require.NoError(t, err)
	claimed, err := st.Claim(context.Background(), "w", now, time.Minute, 1)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.NoError(t, st.MarkSentReceipt(context.Background(), claimed[0].ID, "w", now, "C1", "1700000000.000100"))

	forged := signedInteraction(t, web.URL, "not-the-secret", body)
	res, err := http.DefaultClient.Do(forged)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	ss, err := st.Silences(context.Background(), store.SilenceFilter{})
	require.NoError(t, err)
	assert.Empty(t, ss, "a forged press does nothing")

	req := signedInteraction(t, web.URL, interactionSecret, body)
	again := req.Clone(context.Background())
	again.Body = io.NopCloser(bytes.NewReader(body))
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	res, err = http.DefaultClient.Do(again)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, "a replay is acknowledged and ignored")
	srv.Wait(context.Background())

	ss, err = st.Silences(context.Background(), store.SilenceFilter{})
	require.NoError(t, err)
	require.Len(t, ss, 1, "one silence: the replay made none")
	job, _ := cfg.Job("frt-watch")
	assert.Equal(t, "chats_first_response_time.seconds", ss[0].Metric)
	assert.Equal(t, "<@U123>", ss[0].CreatedBy)
	assert.True(t, alerting.NineTomorrow(ss[0].CreatedAt, job.Location).Equal(ss[0].EndsAt))
	assert.Equal(t, 9, ss[0].EndsAt.In(job.Location).Hour())
	rs, err := st.Receipts(context.Background(), []string{"frt-watch|post"})
	require.NoError(t, err)
	assert.Equal(t, "<@U123>", rs["frt-watch|post"].SilencedBy, "the post's delivery says who silenced it, for its rewrites")
	assert.True(t, ss[0].EndsAt.Equal(rs["frt-watch|post"].SilencedUntil))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, updates, 1)
	assert.Equal(t, true, updates[0]["replace_original"])
	b, _ := json.Marshal(updates[0]["blocks"])
	assert.Contains(t, updates[0]["text"], "Silenced by <@U123> until ")
	assert.Contains(t, string(b), "Silenced by")
	assert.NotContains(t, string(b), `"actions"`, "the buttons are gone")
}

// TestSilenceButtonTwoReplicasOnPostgres: two serve replicas on one
// PostgreSQL store. A signed press on one stores the silence (and the note
// on the post's delivery) where the other sees it; a forged press to the
// other gets 401 and stores nothing.
func TestSilenceButtonTwoReplicasOnPostgres(t *testing.T) {
	t.Parallel()
	_, path := writeConfig(t)
	cfg, err := (&app{configPath: path, getenv: func(string) (string, bool) { return "", false }}).loadConfig()
	require.NoError(t, err)
	dsn := pgSchema(t)
	var (
		mu    sync.Mutex
		posts = map[string]int{} // answers posted, by response_url path
	)
	hook := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts[r.URL.Path]++
		mu.Unlock()
	}))
	defer hook.Close()
	rend, err := templates.New("")
	require.NoError(t, err)
	var (
		stores []*store.Store
		webs   []*httptest.Server
		srvs   []*server.Server
	)
	for range 2 {
		st, err := store.Open(context.Background(), dsn)
		require.NoError(t, err)
		defer st.Close()
		srv, err := server.New(server.Options{SigningSecret: interactionSecret, Answerer: answerer{cfg: cfg, store: st}, Renderer: rend,
			Silencer: silencer{cfg: cfg, store: st, now: time.Now}, ResponseURLPrefix: hook.URL + "/"})
		require.NoError(t, err)
		web := httptest.NewServer(srv.Handler())
		defer web.Close()
		defer srv.Wait(context.Background())
		stores, webs, srvs = append(stores, st), append(webs, web), append(srvs, srv)
	}
	now := time.Now()
	_, err = stores[0].Enqueue(context.Background(), []store.Delivery{{Key: "frt-watch|post", Job: "frt-watch", Kind: "alert",
		Channel: "slack", Target: "#alerts", CreatedAt: now}})
	require.NoError(t, err)
	claimed, err := stores[0].Claim(context.Background(), "w", now, time.Minute, 1)
	require.NoError(t, err)
	require.NoError(t, stores[0].MarkSentReceipt(context.Background(), claimed[0].ID, "w", now, "C1", "1700000000.000100"))

	value, _ := json.Marshal(map[string]any{"job": "frt-watch", "metrics": []string{"chats_first_response_time.seconds"}})
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]string{"id": "U123"}, "team": map[string]string{"id": "T1"},
		"channel": map[string]string{"id": "C1"}, "response_url": hook.URL + "/actions/1",
		"container": map[string]string{"type": "message", "message_ts": "1700000000.000100", "channel_id": "C1"},
		"actions":   []any{map[string]any{"type": "button", "block_id": "b1", "action_id": templates.ActionSilenceHour, "value": string(value)}},
	})
	body := []byte("payload=" + url.QueryEscape(string(payload)))

	res, err := http.DefaultClient.Do(signedInteraction(t, webs[1].URL, "not-the-secret", body))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	press := signedInteraction(t, webs[0].URL, interactionSecret, body)
	res, err = http.DefaultClient.Do(press)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	// The same signed press replayed to the other replica, whose replay
	// set never saw it (a proxy retry, or an attacker with a copy within
	// Slack's five minutes): acknowledged, and nothing more is done.
	replay, err := http.NewRequest(http.MethodPost, webs[1].URL+"/slack/interactions", bytes.NewReader(body))
	require.NoError(t, err)
	replay.Header = press.Header.Clone()
	res, err = http.DefaultClient.Do(replay)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	ss, err := stores[1].Silences(context.Background(), store.SilenceFilter{EndsAfter: now})
	require.NoError(t, err)
	require.Len(t, ss, 1, "the other replica sees the one silence")
	assert.Equal(t, "<@U123>", ss[0].CreatedBy)
	assert.Equal(t, "chats_first_response_time.seconds", ss[0].Metric)
	rs, err := stores[1].Receipts(context.Background(), []string{"frt-watch|post"})
	require.NoError(t, err)
	assert.Equal(t, "<@U123>", rs["frt-watch|post"].SilencedBy)

	// A silence command replayed to the other replica likewise: one
	// silence, one answer.
	form := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U123"}, "command": {"/livechat"},
		"text": {"silence frt-watch 2h deploy"}, "response_url": {hook.URL + "/commands/1"}, "trigger_id": {"1.2.3"}}
	cmdBody := []byte(form.Encode())
	first := signedInteraction(t, webs[1].URL, interactionSecret, cmdBody)
	for i, web := range []*httptest.Server{webs[1], webs[0]} {
		req, err := http.NewRequest(http.MethodPost, web.URL+"/slack/commands", bytes.NewReader(cmdBody))
		require.NoError(t, err)
		req.Header = first.Header.Clone()
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, "copy %d", i)
	}
	for _, srv := range srvs {
		srv.Wait(context.Background()) // every answer posted (or dropped)
	}
	ss, err = stores[0].Silences(context.Background(), store.SilenceFilter{Job: "frt-watch", EndsAfter: now})
	require.NoError(t, err)
	assert.Len(t, ss, 2, "the button's silence and the command's, once each")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"/actions/1": 1, "/commands/1": 1}, posts, "one answer per request")
}
