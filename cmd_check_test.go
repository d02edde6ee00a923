package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
	"livechat-digest/store"
)

// checkPeers are the real peers `check` talks to: the simulator over
// HTTP, a go-smtp server and an httptest server speaking Slack's Web API.
type checkPeers struct {
	sim      *sim.Server
	simURL   string
	smtpPort int
	mails    atomic.Int64 // messages the SMTP server received: must stay 0
	slackURL string
	posts    atomic.Int64 // chat.* calls: must stay 0
}

const checkPAT = "pat-check-Zq81"

func newCheckPeers(t *testing.T, slackAnswers map[string]string, simOpts sim.Options) *checkPeers {
	t.Helper()
	p := &checkPeers{}
	simOpts.Seed, simOpts.Login, simOpts.APIKey = 4, "acc-1", checkPAT
	s, err := sim.New(simOpts)
	require.NoError(t, err)
	p.sim = s
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	p.simURL = srv.URL

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ms := smtp.NewServer(checkBackend{p})
	ms.Domain, ms.AllowInsecureAuth = "localhost", true
	ms.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = ms.Serve(ln) }()
	t.Cleanup(func() { _ = ms.Close() })
	p.smtpPort = ln.Addr().(*net.TCPAddr).Port

	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := strings.TrimPrefix(r.URL.Path, "/api/")
		_ = r.ParseForm()
		if strings.HasPrefix(method, "chat.") || strings.HasPrefix(method, "files.") {
			p.posts.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		if a, ok := slackAnswers[method]; ok {
			fmt.Fprint(w, a)
			return
		}
		switch method {
		case "auth.test":
			fmt.Fprint(w, `{"ok":true,"team":"Acme","user":"digest-bot"}`)
		case "conversations.list":
			fmt.Fprint(w, `{"ok":true,"channels":[{"id":"C0SUPPORT","name":"support"}],"response_metadata":{"next_cursor":""}}`)
		case "conversations.info":
			fmt.Fprintf(w, `{"ok":true,"channel":{"id":%q,"is_member":true}}`, r.Form.Get("channel"))
		default:
			fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
		}
	}))
	t.Cleanup(slack.Close)
	p.slackURL = slack.URL + "/api/"
	return p
}

type checkBackend struct{ p *checkPeers }

func (b checkBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &checkSession{b.p}, nil }

type checkSession struct{ p *checkPeers }

func (s *checkSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *checkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user == "reports" && pass == "smtp-Zq81" {
			return nil
		}
		return smtp.ErrAuthFailed
	}), nil
}
func (s *checkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *checkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *checkSession) Data(io.Reader) error                 { s.p.mails.Add(1); return nil }
func (s *checkSession) Reset()                               {}
func (s *checkSession) Logout() error                        { return nil }

// checkConfig writes a v3.6 config reaching the peers: livechat with the
// credential lines given, SMTP with password, Slack with one digest and
// one alert channel.
func checkConfig(t *testing.T, p *checkPeers, livechatCreds, smtpPassword string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	cfg := fmt.Sprintf(`livechat:
  api: "3.6"
  base_url: %s
%s
email:
  from: "r@example.com"
  smtp: {host: 127.0.0.1, port: %d, tls: none, username: reports, password: %q}
slack: {bot_token: xoxb-check-Zq81, api_url: %q}
store: {url: "sqlite:%s"}
jobs:
  - name: weekly
    schedule: "0 9 * * MON"
    period: last_week
    email: {to: [a@example.com]}
    slack: {channel: "#support"}
    thresholds: [{metric: total_chats.chats, above: 1}]
    alerts: {slack: {channel: C0ALERTS1}}
`, p.simURL, livechatCreds, p.smtpPort, smtpPassword, p.slackURL, filepath.Join(dir, "state.db"))
	path = filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path, dir
}

const goodCreds = "  account_id: acc-1\n  token: " + checkPAT

func linesWith(out, status, what string) []string {
	var ls []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == status && f[1] == what {
			ls = append(ls, l)
		}
	}
	return ls
}

// TestCheckAllOK: every connection answers; one line each, exit 0, no
// message sent or posted, one LiveChat request per distinct v3.6 request.
func TestCheckAllOK(t *testing.T) {
	t.Parallel()
	p := newCheckPeers(t, nil, sim.Options{})
	path, _ := checkConfig(t, p, goodCreds, "smtp-Zq81")
	code, stdout, stderr := runCLI(t, nil, "check", "--config", path)
	require.Equal(t, exitOK, code, stdout+stderr)
	assert.Len(t, linesWith(stdout, "ok", "livechat"), 13, stdout)
	assert.Equal(t, int64(13), p.sim.Requests(), "14 reports, queued_visitors and queue_waiting_times in one request")
	assert.Len(t, linesWith(stdout, "ok", "email"), 1, stdout)
	assert.Contains(t, stdout, "authenticated as reports; nothing sent")
	assert.Len(t, linesWith(stdout, "ok", "slack"), 3, stdout)
	assert.Len(t, linesWith(stdout, "ok", "store"), 1, stdout)
	assert.NotContains(t, stdout, "FAIL")
	assert.Zero(t, p.mails.Load(), "check sends no mail")
	assert.Zero(t, p.posts.Load(), "check posts nothing")
	for _, secret := range []string{checkPAT, "smtp-Zq81", "xoxb-check-Zq81"} {
		assert.NotContains(t, stdout+stderr, secret)
	}

	// --quick: one LiveChat request in all.
	before := p.sim.Requests()
	code, stdout, _ = runCLI(t, nil, "check", "--quick", "--config", path)
	require.Equal(t, exitOK, code, stdout)
	assert.Equal(t, int64(1), p.sim.Requests()-before)
	assert.Len(t, linesWith(stdout, "ok", "livechat"), 1, stdout)
}

// TestCheckFailures: each peer's failing variant is a FAIL line with what
// to fix, and check exits 1; what cannot be verified is a warning.
func TestCheckFailures(t *testing.T) {
	t.Parallel()
	t.Run("livechat wrong token", func(t *testing.T) {
		t.Parallel()
		p := newCheckPeers(t, nil, sim.Options{})
		path, _ := checkConfig(t, p, "  account_id: acc-1\n  token: wrong-token", "smtp-Zq81")
		code, stdout, _ := runCLI(t, nil, "check", "--quick", "--config", path)
		assert.Equal(t, exitFailed, code)
		fails := linesWith(stdout, "FAIL", "livechat")
		require.Len(t, fails, 1, stdout)
		assert.Contains(t, fails[0], "authentication")
		assert.Contains(t, fails[0], "the token is wrong or expired")
	})
	t.Run("livechat wrong token, every report", func(t *testing.T) {
		t.Parallel()
		// Refused credentials are refused for every report alike: one
		// line and one request, not one of each per report.
		p := newCheckPeers(t, nil, sim.Options{})
		path, _ := checkConfig(t, p, "  account_id: acc-1\n  token: wrong-token", "smtp-Zq81")
		code, stdout, _ := runCLI(t, nil, "check", "--config", path)
		assert.Equal(t, exitFailed, code)
		fails := linesWith(stdout, "FAIL", "livechat")
		require.Len(t, fails, 1, stdout)
		assert.Contains(t, fails[0], "the token is wrong or expired")
		assert.Contains(t, fails[0], "the other 12 LiveChat requests were not tried")
		assert.Empty(t, linesWith(stdout, "ok", "livechat"), stdout)
		assert.Equal(t, int64(1), p.sim.Requests())
	})
	t.Run("livechat wrong base_url path", func(t *testing.T) {
		t.Parallel()
		p := newCheckPeers(t, nil, sim.Options{})
		path, _ := checkConfig(t, p, goodCreds, "smtp-Zq81")
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), p.simURL, p.simURL+"/livechat", 1)), 0o600))
		code, stdout, _ := runCLI(t, nil, "check", "--quick", "--config", path)
		assert.Equal(t, exitFailed, code)
		fails := linesWith(stdout, "FAIL", "livechat")
		require.Len(t, fails, 1, stdout)
		assert.Contains(t, fails[0], "upstream 404")
		assert.Contains(t, fails[0], "check livechat.base_url")
	})
	t.Run("livechat PAT sent as bearer", func(t *testing.T) {
		t.Parallel()
		p := newCheckPeers(t, nil, sim.Options{})
		path, _ := checkConfig(t, p, "  oauth_token: "+checkPAT, "smtp-Zq81")
		code, stdout, _ := runCLI(t, nil, "check", "--quick", "--config", path)
		assert.Equal(t, exitFailed, code)
		fails := linesWith(stdout, "FAIL", "livechat")
		require.Len(t, fails, 1, stdout)
		assert.Contains(t, fails[0], "a personal access token was sent as Bearer")
		assert.NotContains(t, stdout, checkPAT)
	})
	t.Run("livechat deprecated is a warning", func(t *testing.T) {
		t.Parallel()
		p := newCheckPeers(t, nil, sim.Options{Deprecation: "2026-09-30"})
		path, _ := checkConfig(t, p, goodCreds, "smtp-Zq81")
		code, stdout, _ := runCLI(t, nil, "check", "--quick", "--config", path)
		assert.Equal(t, exitOK, code, stdout)
		warns := linesWith(stdout, "warn", "livechat")
		require.Len(t, warns, 1, stdout)
		assert.Contains(t, warns[0], "Deprecation: 2026-09-30")
	})
	t.Run("smtp wrong password", func(t *testing.T) {
		t.Parallel()
		p := newCheckPeers(t, nil, sim.Options{})
		path, _ := checkConfig(t, p, goodCreds, "not-the-password")
		code, stdout, _ := runCLI(t, nil, "check", "--quick", "--config", path)
		assert.Equal(t, exitFailed, code)
		fails := linesWith(stdout, "FAIL", "email")
		require.Len(t, fails, 1, stdout)
		assert.Contains(t, fails[0], ": auth: ")
		assert.Contains(t, fails[0], "check email.smtp.username and password")
		assert.NotContains(t, stdout, "not-the-password")
	})
	t.Run("slack invalid token", func(t *testing.T) {
		t.Parallel()
		p := newCheckPeers(t, map[string]string{"auth.test": `{"ok":false,"error":"invalid_auth"}`}, sim.Options{})
		path, _ := checkConfig(t, p, goodCreds, "smtp-Zq81")
		code, stdout, _ := runCLI(t, nil, "check", "--quick", "--config", path)
		assert.Equal(t, exitFailed, code)
		fails := linesWith(stdout, "FAIL", "slack")
		require.Len(t, fails, 1, stdout)
		assert.Contains(t, fails[0], "invalid_auth")
	})
	t.Run("slack channel gone", func(t *testing.T) {
		t.Parallel()
		p := newCheckPeers(t, map[string]string{"conversations.info": `{"ok":false,"error":"channel_not_found"}`}, sim.Options{})
		path, _ := checkConfig(t, p, goodCreds, "smtp-Zq81")
		code, stdout, _ := runCLI(t, nil, "check", "--quick", "--config", path)
		assert.Equal(t, exitFailed, code)
		assert.Len(t, linesWith(stdout, "FAIL", "slack"), 2, stdout)
	})
	t.Run("slack without channels:read is not a failure", func(t *testing.T) {
		t.Parallel()
		noScope := `{"ok":false,"error":"missing_scope","needed":"channels:read"}`
		p := newCheckPeers(t, map[string]string{"conversations.list": noScope, "conversations.info": noScope}, sim.Options{})
		path, _ := checkConfig(t, p, goodCreds, "smtp-Zq81")
		code, stdout, _ := runCLI(t, nil, "check", "--quick", "--config", path)
		assert.Equal(t, exitOK, code, stdout)
		warns := linesWith(stdout, "warn", "slack")
		require.Len(t, warns, 2, stdout)
		assert.Contains(t, warns[0], "could not be verified")
	})
	t.Run("store behind this binary", func(t *testing.T) {
		t.Parallel()
		p := newCheckPeers(t, nil, sim.Options{})
		path, dir := checkConfig(t, p, goodCreds, "smtp-Zq81")
		st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "state.db"))
		require.NoError(t, err)
		require.NoError(t, st.Close())
		// A schema from before this version: the api_lifecycle step missing.
		db, err := sql.Open("sqlite", filepath.Join(dir, "state.db"))
		require.NoError(t, err)
		_, err = db.Exec(`DELETE FROM schema_migrations WHERE version = 10`)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		code, stdout, _ := runCLI(t, nil, "check", "--quick", "--config", path)
		assert.Equal(t, exitFailed, code)
		fails := linesWith(stdout, "FAIL", "store")
		require.Len(t, fails, 1, stdout)
		assert.Contains(t, fails[0], "migrations [10] not applied")
	})
}

// TestLiveChatAdvice: the advice follows the error, and the version read:
// v2 has no personal access tokens or scopes to speak of.
func TestLiveChatAdvice(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		api  livechat.API
		err  error
		want string
		not  string // a word the advice must not give
	}{
		{"v3.6 authentication", livechat.V36, &livechat.APIError{Status: 401, Type: "authentication"}, "a personal access token was sent as Bearer", ""},
		{"v3.6 authorization", livechat.V36, &livechat.APIError{Status: 403, Type: "authorization"}, "reports_read", ""},
		{"v2 401", livechat.V2, &livechat.APIError{Status: 401}, "livechat.login or livechat.api_key is wrong", "token"},
		{"v2 403", livechat.V2, &livechat.APIError{Status: 403}, "may not read reports", "token"},
		{"v3.6 404", livechat.V36, &livechat.APIError{Status: 404}, "{base_url}/v3.6/reports/...", ""},
		{"v3.6 misdirected after the move", livechat.V36, &livechat.APIError{Status: 421, Type: "misdirected_request"}, "another region", ""},
		{"unreachable", livechat.V36, &livechat.APIError{}, "could not be reached", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := liveChatAdvice(tt.api, tt.err)
			assert.Contains(t, got, tt.want)
			if tt.not != "" {
				assert.NotContains(t, got, tt.not)
			}
		})
	}
}
