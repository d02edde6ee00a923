package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	firing  = time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	pngData = []byte("\x89PNG\r\n\x1a\n-not-really-a-chart-but-bytes-\x00\x01\x02")
)

func sampleEmail() Message {
	return Message{Channel: ChannelEmail, Email: &EmailMessage{
		From:      `"Support Reports" <reports@example.com>`,
		To:        []string{"leads@example.com", "boss@example.com"},
		Subject:   "Support weekly: 16–22 Nov",
		Text:      "Chats: 700 (+25%)\n",
		HTML:      `<p>Chats: <b>700</b></p><img src="cid:chart.png" alt="chart">`,
		Inline:    []Inline{{Name: "chart.png", ContentType: "image/png", Data: pngData}},
		MessageID: MessageID("weekly-support", firing, "leads@example.com,boss@example.com", "reports@example.com"),
		Date:      firing,
	}}
}

type parsedEmail struct {
	header  mail.Header
	text    string
	html    string
	inline  map[string][]byte // by Content-ID without brackets
	inlineT map[string]string // content type by Content-ID
}

// parseEmail reads a message back the way a mail client would and insists
// on the tree multipart/related{multipart/alternative{text, html}, image}.
func parseEmail(t *testing.T, raw []byte) parsedEmail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	out := parsedEmail{header: msg.Header, inline: map[string][]byte{}, inlineT: map[string]string{}}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/related", mt)
	rel := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := rel.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		pt, pp, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		require.NoError(t, err)
		switch {
		case pt == "multipart/alternative":
			alt := multipart.NewReader(part, pp["boundary"])
			for {
				ap, err := alt.NextPart()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				at, _, err := mime.ParseMediaType(ap.Header.Get("Content-Type"))
				require.NoError(t, err)
				b, err := io.ReadAll(ap) // quoted-printable is decoded by NextPart
				require.NoError(t, err)
				switch at {
				case "text/plain":
					out.text = string(b)
				case "text/html":
					out.html = string(b)
				default:
					t.Fatalf("unexpected alternative %s", at)
				}
			}
		default:
			cid := strings.Trim(part.Header.Get("Content-Id"), "<>")
			require.NotEmpty(t, cid, "inline part without Content-ID")
			assert.True(t, strings.HasPrefix(part.Header.Get("Content-Disposition"), "inline"),
				"disposition %q", part.Header.Get("Content-Disposition"))
			b, err := io.ReadAll(part)
			require.NoError(t, err)
			if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
				b, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
				require.NoError(t, err)
			}
			out.inline[cid] = b
			out.inlineT[cid] = pt
		}
	}
	return out
}

func assertSampleEmail(t *testing.T, raw []byte) {
	t.Helper()
	want := sampleEmail().Email
	got := parseEmail(t, raw)
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(got.header.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, want.Subject, subject)
	from, err := mail.ParseAddress(got.header.Get("From"))
	require.NoError(t, err)
	assert.Equal(t, "reports@example.com", from.Address)
	assert.Equal(t, "Support Reports", from.Name)
	to, err := got.header.AddressList("To")
	require.NoError(t, err)
	require.Len(t, to, 2)
	assert.Equal(t, "leads@example.com", to[0].Address)
	assert.Equal(t, "boss@example.com", to[1].Address)
	assert.Equal(t, "<"+want.MessageID+">", got.header.Get("Message-Id"))
	date, err := got.header.Date()
	require.NoError(t, err)
	assert.True(t, date.Equal(firing), "date %s", date)
	// SMTP and .eml lines end in CRLF.
	assert.Equal(t, want.Text, strings.ReplaceAll(got.text, "\r\n", "\n"))
	assert.Equal(t, want.HTML, strings.ReplaceAll(got.html, "\r\n", "\n"))
	// The HTML's cid: reference must resolve to the embedded image.
	require.Contains(t, got.html, "cid:chart.png")
	assert.Equal(t, pngData, got.inline["chart.png"])
	assert.Equal(t, "image/png", got.inlineT["chart.png"])
}

func TestSMTPDelivers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		peer smtpPeerConfig
		tls  string
	}{
		{"starttls with plain auth", smtpPeerConfig{tls: true, user: "reports", pass: "s3cret-smtp-pw"}, TLSStartTLS},
		{"implicit tls with plain auth", smtpPeerConfig{tls: true, implicit: true, user: "reports", pass: "s3cret-smtp-pw"}, TLSImplicit},
		{"no tls, no auth", smtpPeerConfig{}, TLSNone},
		{"no tls, plain auth to localhost", smtpPeerConfig{user: "reports", pass: "s3cret-smtp-pw"}, TLSNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			peer := newSMTPPeer(t, tt.peer)
			s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: peer.port(), TLS: tt.tls,
				Username: tt.peer.user, Password: tt.peer.pass, RootCAs: peer.roots, Timeout: 10 * time.Second})
			require.NoError(t, err)
			require.NoError(t, s.Send(t.Context(), sampleEmail()))
			msgs := peer.messages()
			require.Len(t, msgs, 1)
			assertSampleEmail(t, msgs[0])
			assert.Equal(t, []string{"leads@example.com", "boss@example.com"}, peer.rcpts[0])
		})
	}
}

func TestSMTPErrors(t *testing.T) {
	t.Parallel()
	const password = "hunter2-very-secret"
	authPeer := newSMTPPeer(t, smtpPeerConfig{tls: true, user: "reports", pass: "right-password"})
	busy := newSMTPPeer(t, smtpPeerConfig{failFirst: 100})
	plainOnly := newSMTPPeer(t, smtpPeerConfig{})
	// Stopped last, so none of the peers above can be handed its port.
	closed := newSMTPPeer(t, smtpPeerConfig{})
	closed.stop()

	tests := []struct {
		name      string
		cfg       SMTPConfig
		retryable bool
		contains  string
	}{
		{"closed port", SMTPConfig{Host: "127.0.0.1", Port: closed.port(), TLS: TLSNone,
			Username: "reports", Password: password}, true, "connection refused"},
		{"bad password", SMTPConfig{Host: "127.0.0.1", Port: authPeer.port(), TLS: TLSStartTLS,
			Username: "reports", Password: password, RootCAs: authPeer.roots}, false, "535"},
		{"451 on data", SMTPConfig{Host: "127.0.0.1", Port: busy.port(), TLS: TLSNone}, true, "451"},
		{"starttls required, not offered", SMTPConfig{Host: "127.0.0.1", Port: plainOnly.port(), TLS: TLSStartTLS}, true, "STARTTLS"},
		{"untrusted certificate", SMTPConfig{Host: "127.0.0.1", Port: authPeer.port(), TLS: TLSStartTLS,
			Username: "reports", Password: password}, true, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.cfg.Timeout = 10 * time.Second
			logger, logs := testLogger()
			tt.cfg.Logger = logger
			s, err := NewSMTP(tt.cfg)
			require.NoError(t, err)
			err = s.Send(t.Context(), sampleEmail())
			require.Error(t, err)
			assert.Equal(t, tt.retryable, IsRetryable(err), "error: %v", err)
			assert.Contains(t, err.Error(), tt.contains)
			assert.True(t, strings.HasPrefix(err.Error(), "notify: email to leads@example.com,boss@example.com via 127.0.0.1:"), err.Error())
			assertNoSecret(t, password, err.Error(), logs.String())
		})
	}
}

func TestSMTPDeliveredThenDropped(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{dropAtRset: true})
	logger, logs := testLogger()
	s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: peer.port(), TLS: TLSNone, Logger: logger})
	require.NoError(t, err)
	// The server accepted DATA, then the session broke at RSET: that is a
	// delivered message, and retrying it would send it twice.
	require.NoError(t, s.Send(t.Context(), sampleEmail()))
	assert.Len(t, peer.messages(), 1)
	assert.Contains(t, logs.String(), "delivered, session ended with an error")
}

func TestSMTPCancelled(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{})
	s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: peer.port(), TLS: TLSNone})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = s.Send(ctx, sampleEmail())
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, peer.messages())
}

func TestNewSMTPConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     SMTPConfig
		port    int
		wantErr string
	}{
		{"defaults to starttls on 587", SMTPConfig{Host: "smtp.example.com"}, 587, ""},
		{"implicit tls on 465", SMTPConfig{Host: "smtp.example.com", TLS: TLSImplicit}, 465, ""},
		{"none on 25", SMTPConfig{Host: "smtp.example.com", TLS: TLSNone}, 25, ""},
		{"explicit port kept", SMTPConfig{Host: "smtp.example.com", Port: 2525}, 2525, ""},
		{"no host", SMTPConfig{}, 0, "host is empty"},
		{"bad tls", SMTPConfig{Host: "h", TLS: "ssl"}, 0, `not "ssl"`},
		{"bad port", SMTPConfig{Host: "h", Port: 70000}, 0, "out of range"},
		{"password without user", SMTPConfig{Host: "h", Password: "pw-value"}, 0, "without username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSMTP(tt.cfg)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				if tt.cfg.Password != "" {
					assertNoSecret(t, tt.cfg.Password, err.Error())
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.port, s.cfg.Port)
		})
	}
}
