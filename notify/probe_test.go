package notify

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSMTPProbe drives Probe through every step against a real go-smtp
// server: it passes each TLS mode, names the step of each failure, and
// sends no message.
func TestSMTPProbe(t *testing.T) {
	t.Parallel()
	const password = "probe-Zq81-secret"
	starttls := newSMTPPeer(t, smtpPeerConfig{tls: true, user: "reports", pass: password})
	implicit := newSMTPPeer(t, smtpPeerConfig{tls: true, implicit: true, user: "reports", pass: password})
	plain := newSMTPPeer(t, smtpPeerConfig{user: "reports", pass: password})
	closed := newSMTPPeer(t, smtpPeerConfig{})
	closed.stop()
	tests := []struct {
		name string
		peer *smtpPeer
		cfg  SMTPConfig
		step string // "" for ok
		code int
	}{
		{"starttls and auth", starttls, SMTPConfig{TLS: TLSStartTLS, Username: "reports", Password: password, RootCAs: starttls.roots}, "", 0},
		{"implicit tls and auth", implicit, SMTPConfig{TLS: TLSImplicit, Username: "reports", Password: password, RootCAs: implicit.roots}, "", 0},
		{"no tls, auth to localhost", plain, SMTPConfig{TLS: TLSNone, Username: "reports", Password: password}, "", 0},
		{"closed port", closed, SMTPConfig{TLS: TLSNone}, ProbeConnect, 0},
		{"wrong password", starttls, SMTPConfig{TLS: TLSStartTLS, Username: "reports", Password: "wrong-" + password, RootCAs: starttls.roots}, ProbeAuth, 535},
		{"untrusted certificate", starttls, SMTPConfig{TLS: TLSStartTLS, Username: "reports", Password: password}, ProbeTLS, 0},
		{"untrusted certificate, implicit", implicit, SMTPConfig{TLS: TLSImplicit}, ProbeConnect, 0},
		{"starttls required, not offered", plain, SMTPConfig{TLS: TLSStartTLS}, ProbeTLS, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.cfg.Host, tt.cfg.Port, tt.cfg.Timeout = "127.0.0.1", tt.peer.port(), 10*time.Second
			s, err := NewSMTP(tt.cfg)
			require.NoError(t, err)
			err = s.Probe(t.Context())
			if tt.step == "" {
				require.NoError(t, err)
				return
			}
			var pe *ProbeError
			require.True(t, errors.As(err, &pe), "err = %v", err)
			assert.Equal(t, tt.step, pe.Step, "err = %v", err)
			assert.Equal(t, tt.code, pe.Code, "err = %v", err)
			assertNoSecret(t, password, err.Error())
		})
	}
	for _, p := range []*smtpPeer{starttls, implicit, plain} {
		assert.Empty(t, p.messages(), "a probe sends nothing")
	}
}

// slackProbePeer is an httptest server speaking the parts of Slack's Web
// API the probe uses: auth.test, conversations.list, conversations.info.
type slackProbePeer struct {
	srv *httptest.Server
	// answers by method; a method not set answers ok with the defaults.
	answers map[string]string
	mu      sync.Mutex
	calls   []string
}

func newSlackProbePeer(t *testing.T, answers map[string]string) *slackProbePeer {
	p := &slackProbePeer{answers: answers}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := strings.TrimPrefix(r.URL.Path, "/api/")
		_ = r.ParseForm()
		p.mu.Lock()
		p.calls = append(p.calls, method+" "+r.Form.Get("channel"))
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if a, ok := p.answers[method]; ok {
			fmt.Fprint(w, a)
			return
		}
		switch method {
		case "auth.test":
			fmt.Fprint(w, `{"ok":true,"team":"Acme","user":"digest-bot","team_id":"T1","user_id":"U1"}`)
		case "conversations.list":
			fmt.Fprint(w, `{"ok":true,"channels":[{"id":"C0SUPPORT","name":"support"},{"id":"C0ALERTS","name":"support-alerts"}],"response_metadata":{"next_cursor":""}}`)
		case "conversations.info":
			member := r.Form.Get("channel") == "C0SUPPORT"
			fmt.Fprintf(w, `{"ok":true,"channel":{"id":%q,"name":"x","is_member":%v}}`, r.Form.Get("channel"), member)
		default:
			fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *slackProbePeer) slack(t *testing.T) *Slack {
	s, err := NewSlack("xoxb-probe-Zq81", p.srv.URL+"/api/", p.srv.Client())
	require.NoError(t, err)
	return s
}

func TestSlackProbe(t *testing.T) {
	t.Parallel()
	ok := newSlackProbePeer(t, nil)
	s := ok.slack(t)
	id, err := s.ProbeAuth(t.Context())
	require.NoError(t, err)
	assert.Equal(t, SlackIdentity{Team: "Acme", User: "digest-bot"}, id)
	assert.Equal(t, ChannelProbe{Channel: "#support", Verified: true, Member: true}, s.ProbeChannel(t.Context(), "#support"))
	assert.Equal(t, ChannelProbe{Channel: "C0ALERTS", Verified: true}, s.ProbeChannel(t.Context(), "C0ALERTS"))
	gone := s.ProbeChannel(t.Context(), "#gone")
	assert.ErrorContains(t, gone.Err, "channel not found")

	bad := newSlackProbePeer(t, map[string]string{"auth.test": `{"ok":false,"error":"invalid_auth"}`}).slack(t)
	_, err = bad.ProbeAuth(t.Context())
	require.ErrorContains(t, err, "invalid_auth")
	assertNoSecret(t, "xoxb-probe-Zq81", err.Error())

	noScope := newSlackProbePeer(t, map[string]string{
		"conversations.list": `{"ok":false,"error":"missing_scope","needed":"channels:read"}`,
		"conversations.info": `{"ok":false,"error":"missing_scope","needed":"channels:read"}`,
	}).slack(t)
	for _, ch := range []string{"#support", "C0SUPPORT"} {
		p := noScope.ProbeChannel(t.Context(), ch)
		assert.False(t, p.Verified)
		assert.NoError(t, p.Err, "no channels:read is not a failure")
		assert.Contains(t, p.Unverifiable, "channels:read")
	}

	archived := newSlackProbePeer(t, map[string]string{"conversations.info": `{"ok":true,"channel":{"id":"C0SUPPORT","is_archived":true}}`}).slack(t)
	assert.ErrorContains(t, archived.ProbeChannel(t.Context(), "C0SUPPORT").Err, "archived")
	notFound := newSlackProbePeer(t, map[string]string{"conversations.info": `{"ok":false,"error":"channel_not_found"}`}).slack(t)
	assert.ErrorContains(t, notFound.ProbeChannel(t.Context(), "C0NOPE123").Err, "channel_not_found")

	for _, c := range ok.calls {
		assert.False(t, strings.HasPrefix(c, "chat."), "a probe posts nothing: %s", c)
	}
}
