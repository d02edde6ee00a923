package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/store"
	"livechat-digest/ui"
	"livechat-digest/unsubscribe"
)

const testSecret = "test-secret-0123456789abcdef-0123456789"

// outboxMessages reads the .eml files of dir, by recipient.
func outboxMessages(t *testing.T, dir string) map[string][]*mail.Message {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	out := map[string][]*mail.Message{}
	for _, n := range names {
		f, err := os.Open(n)
		require.NoError(t, err)
		m, err := mail.ReadMessage(f)
		require.NoError(t, err)
		body, err := io.ReadAll(m.Body)
		require.NoError(t, err)
		_ = f.Close()
		m.Body = strings.NewReader(string(body))
		out[m.Header.Get("To")] = append(out[m.Header.Get("To")], m)
	}
	return out
}

// TestUnsubscribeRoundTrip follows the link of a digest's List-Unsubscribe
// header: a GET only shows a confirmation, a forged token gets 4xx, the
// one-click POST unsubscribes, and the next firing sends that recipient
// nothing while the other recipient still gets the digest.
func TestUnsubscribeRoundTrip(t *testing.T) {
	t.Parallel()
	var handler atomic.Value // http.Handler, once the store exists
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	cfg := `timezone: America/New_York
livechat: {base_url: builtin, login: demo@example.com, api_key: demo-key}
email: {from: "Support Reports <reports@example.com>", outbox_dir: ` + filepath.Join(dir, "outbox") + `}
server: {public_url: "` + srv.URL + `", secret: "${LIVECHAT_DIGEST_SECRET}"}
store: {url: "sqlite:` + filepath.Join(dir, "state.db") + `"}
jobs:
  - name: weekly-support
    schedule: "0 9 * * MON"
    period: last_week
    reports: [total_chats]
    email: {to: [leads@example.com, boss@example.com]}
`
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	env := map[string]string{"LIVECHAT_DIGEST_SECRET": testSecret}

	code, _, stderr := runCLI(t, env, "run", "weekly-support", "--config", path, "--at", "2026-11-23T09:00")
	require.Equal(t, exitOK, code, stderr)
	msgs := outboxMessages(t, filepath.Join(dir, "outbox"))
	require.Len(t, msgs["<leads@example.com>"], 1)
	leads := msgs["<leads@example.com>"][0]
	link := strings.Trim(leads.Header.Get("List-Unsubscribe"), "<>")
	require.True(t, strings.HasPrefix(link, srv.URL+"/unsubscribe?t="), "List-Unsubscribe %q", link)
	assert.Equal(t, "List-Unsubscribe=One-Click", leads.Header.Get("List-Unsubscribe-Post"))
	body, _ := io.ReadAll(leads.Body)
	assert.Contains(t, strings.ReplaceAll(string(body), "=\r\n", ""), "Unsubscribe from this digest", "a visible footer link")
	bossLink := strings.Trim(msgs["<boss@example.com>"][0].Header.Get("List-Unsubscribe"), "<>")
	assert.NotEqual(t, link, bossLink, "one link per recipient")

	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	signer, err := unsubscribe.NewSigner(testSecret)
	require.NoError(t, err)
	u, err := ui.New(ui.Options{Unsubscribe: &ui.UnsubscribeOptions{Signer: signer, Store: st}})
	require.NoError(t, err)
	handler.Store(u.Handler())

	// GET: a confirmation page, nothing stored (link scanners fetch GETs).
	res, err := http.Get(link)
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(page), "Unsubscribe?")
	out, err := st.IsUnsubscribed(context.Background(), "weekly-support", "leads@example.com")
	require.NoError(t, err)
	assert.False(t, out, "a GET changes nothing")

	// A forged or altered token: 4xx, nothing stored.
	q, _ := url.Parse(link)
	tok := q.Query().Get("t")
	for _, bad := range []string{tok[:len(tok)-3] + "AAA", "d2Vla2x5.AAAA", ""} {
		res, err := http.PostForm(srv.URL+"/unsubscribe?t="+url.QueryEscape(bad), url.Values{"List-Unsubscribe": {"One-Click"}})
		require.NoError(t, err)
		_ = res.Body.Close()
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, "token %q", bad)
	}

	// The one-click POST, as a mail provider sends it: no cookie, no CSRF.
	res, err = http.PostForm(link, url.Values{"List-Unsubscribe": {"One-Click"}})
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	out, err = st.IsUnsubscribed(context.Background(), "weekly-support", "leads@example.com")
	require.NoError(t, err)
	assert.True(t, out)

	code, stdout, stderr := runCLI(t, env, "run", "weekly-support", "--config", path, "--at", "2026-11-16T09:00") // another firing that has come (a future --at needs --dry-run)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "1 queued, 1 sent")
	msgs = outboxMessages(t, filepath.Join(dir, "outbox"))
	assert.Len(t, msgs["<leads@example.com>"], 1, "no further digest to the unsubscribed address")
	assert.Len(t, msgs["<boss@example.com>"], 2, "the other recipient still gets theirs")

	code, stdout, stderr = runCLI(t, env, "jobs", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Unsubscribed (1")
	assert.True(t, slices.ContainsFunc(strings.Split(stdout, "\n"), func(l string) bool {
		return strings.Contains(l, "weekly-support") && strings.Contains(l, "leads@example.com")
	}), stdout)
}
