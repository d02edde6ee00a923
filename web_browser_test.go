package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"livechat-digest/internal/browser"
	"livechat-digest/notify"
	"livechat-digest/store"
)

// webServe starts serve in-process with the operator page on (user admin,
// password pw; and a proxy user header trusted only from 10.0.0.0/8) and
// returns its base URL and store path.
func webServe(t *testing.T, pw string) (base, dbPath string) {
	t.Helper()
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	require.NoError(t, err)
	held := holdListeners(t)
	addr := held.addr(t)
	dbPath = filepath.Join(dir, "state.db")
	cfg := `timezone: America/New_York
livechat: {base_url: builtin, login: demo@example.com, api_key: demo-key}
email: {from: "Support Reports <reports@example.com>", outbox_dir: ` + filepath.Join(dir, "outbox") + `}
server:
  addr: "` + addr + `"
  public_url: "http://` + addr + `"
  secret: "${LIVECHAT_DIGEST_SECRET}"
  ui:
    users: {admin: "` + strings.ReplaceAll(string(hash), "$", "$$") + `"}
    proxy_user_header: X-Forwarded-User
    trusted_proxies: [10.0.0.0/8]
store: {url: "sqlite:` + dbPath + `"}
scheduler: {catch_up_grace: 0s}
jobs:
  - name: weekly-support
    schedule: "0 9 * * MON"
    period: last_week
    reports: [total_chats, chat_ratings]
    email: {to: [leads@example.com]}
`
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	a := newTestApp(io.Discard, &errb)
	env := map[string]string{"LIVECHAT_DIGEST_SECRET": testSecret}
	a.getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	a.listen = held.listen
	done := make(chan int, 1)
	go func() { done <- a.execute(ctx, []string{"serve", "--config", path}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	base = "http://" + addr
	waitHealthy(t, addr, done, &errb)
	return base, dbPath
}

// failedDelivery puts a failed digest delivery into the store serve uses
// and returns its ID. It is queued for a far future and claimed as of
// then, so serve's worker never touches it before it is failed.
func failedDelivery(t *testing.T, dbPath, key string) int64 {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+dbPath)
	require.NoError(t, err)
	defer st.Close()
	later := time.Now().Add(240 * time.Hour)
	p, err := notify.Encode(notify.Message{Channel: notify.ChannelEmail, Email: &notify.EmailMessage{
		From: "reports@example.com", To: []string{"leads@example.com"}, Subject: "weekly-support", Text: "x\n"}})
	require.NoError(t, err)
	_, err = st.Enqueue(ctx, []store.Delivery{{Key: key, Job: "weekly-support", Kind: "digest", Channel: "email",
		Target: "email:leads@example.com", Payload: p, CreatedAt: time.Now(), NextAttemptAt: later}})
	require.NoError(t, err)
	ds, err := st.Claim(ctx, "browser-test", later, time.Minute, 100)
	require.NoError(t, err)
	for _, d := range ds {
		if d.Key == key {
			require.NoError(t, st.MarkFailed(ctx, d.ID, "browser-test", 5, "smtp: 451 try later"))
			return d.ID
		}
	}
	t.Fatalf("delivery %s not claimed", key)
	return 0
}

func status(t *testing.T, dbPath string, id int64) string {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+dbPath)
	require.NoError(t, err)
	defer st.Close()
	ds, err := st.Deliveries(context.Background(), store.DeliveryFilter{Job: "weekly-support"})
	require.NoError(t, err)
	for _, d := range ds {
		if d.ID == id {
			return d.Status
		}
	}
	return ""
}

// TestWebPageInBrowser drives the operator page in headless Chromium:
// a wrong password is refused, signing in shows the jobs, the job page
// shows a preview (the email HTML in its sandboxed frame, with the chart),
// a failed delivery is re-queued with its button, a form without its
// CSRF token is refused, and the proxy user header from an address
// outside trusted_proxies is refused.
func TestWebPageInBrowser(t *testing.T) {
	t.Parallel()
	ctx := browser.New(t, 3*time.Minute)
	const pw = "correct horse battery staple"
	base, db := webServe(t, pw)
	first := failedDelivery(t, db, "browser|1")
	second := failedDelivery(t, db, "browser|2")

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return s
	}
	login := func(password string) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(base+"/"), // redirects to /login
			chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name=user]`), "admin"),
			chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
			chromedp.Click(chromedp.CSS(`form.login button`)),
			chromedp.WaitVisible(chromedp.CSS(`h1`)),
		))
	}

	t.Run("wrong password", func(t *testing.T) {
		login("wrong password")
		assert.Contains(t, text("#login-error"), "Wrong user name or password")
		loc, err := chromedp.Run(ctx, chromedp.Location())
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(loc, "/login"), loc)
	})

	t.Run("sign in and see the jobs", func(t *testing.T) {
		login(pw)
		jobs := text("#jobs")
		assert.Contains(t, jobs, "weekly-support")
		assert.Contains(t, jobs, "0 9 * * MON")
		assert.Contains(t, jobs, "America/New_York")
		assert.Contains(t, text("#deliveries"), "smtp: 451 try later")
	})

	t.Run("preview", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`#jobs a`)),
			chromedp.WaitVisible(chromedp.CSS(`#preview-text`)),
		))
		assert.Contains(t, text("#preview-text"), "weekly-support")
		sandbox, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#preview-html').getAttribute('sandbox')`))
		require.NoError(t, err)
		assert.Equal(t, "", sandbox, "the frame is sandboxed with no permissions")
		// The framed page itself: the email HTML, chart shown from its data: URI.
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/jobs/weekly-support/preview.html")))
		img, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => { const i = document.querySelector('img'); return i && i.complete ? i.naturalWidth : 0 })()`))
		require.NoError(t, err)
		assert.Positive(t, img, "the chart loads under the preview's CSP")
	})

	t.Run("re-queue a failed delivery", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(base+"/"),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`#delivery-%d button`, first))),
			chromedp.WaitVisible(chromedp.CSS(`#notice`)),
		))
		assert.Contains(t, text("#notice"), fmt.Sprintf("Delivery %d queued again", first))
		assert.NotEqual(t, store.DeliveryFailed, status(t, db, first), "queued again (or already sent)")
		assert.Equal(t, store.DeliveryFailed, status(t, db, second), "only the one asked for")
	})

	t.Run("missing CSRF token is refused", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#delivery-%d button`, second))),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('#delivery-%d input[name=csrf]').remove()`, second)),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`#delivery-%d button`, second))),
			chromedp.WaitVisible(chromedp.CSS(`p.error`)),
		))
		assert.Contains(t, text("p.error"), "security token")
		assert.Equal(t, store.DeliveryFailed, status(t, db, second), "nothing changed")
	})

	t.Run("untrusted proxy header is refused", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"X-Forwarded-User": "mallory"}})
			return err
		}), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`p.error`))))
		assert.Contains(t, text("p.error"), "accepted only from the trusted proxies")
		res, err := http.NewRequest(http.MethodGet, base+"/", nil)
		require.NoError(t, err)
		res.Header.Set("X-Forwarded-User", "mallory")
		resp, err := http.DefaultClient.Do(res)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	})
}
