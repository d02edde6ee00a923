package notify

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawHeaderLines returns the header block of raw as its physical lines, so
// tests can see how a field was folded.
func rawHeaderLines(raw []byte) []string {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	return strings.Split(string(head), "\r\n")
}

// rawField returns the physical lines of the field name in raw: its first
// line and its continuation lines.
func rawField(t *testing.T, raw []byte, name string) []string {
	t.Helper()
	lines := rawHeaderLines(raw)
	for i, l := range lines {
		if !strings.HasPrefix(strings.ToLower(l), strings.ToLower(name)+":") {
			continue
		}
		out := []string{l}
		for _, c := range lines[i+1:] {
			if c == "" || (c[0] != ' ' && c[0] != '\t') {
				break
			}
			out = append(out, c)
		}
		return out
	}
	t.Fatalf("no %s header in:\n%s", name, strings.Join(lines, "\n"))
	return nil
}

// longSubject is folded over several lines, with words to encode.
const longSubject = "Zażółć gęślą jaźń — wsparcie tygodniowe dla zespołu obsługi klienta weekly-support: 2026-11-16 – 2026-11-22"

// TestDigestHeadersOverSMTP sends a digest and an alert to a real go-smtp
// server and reads the headers of what it received.
func TestDigestHeadersOverSMTP(t *testing.T) {
	t.Parallel()
	peer := newSMTPPeer(t, smtpPeerConfig{})
	s, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: peer.port(), TLS: TLSNone, Timeout: 10 * time.Second})
	require.NoError(t, err)

	const from = `"Support Reports" <reports@example.com>`
	const unsub = "https://digest.example.com/unsubscribe?t=d2Vla2x5.AbC-_9"
	digestMsg := Message{Channel: ChannelEmail, Email: &EmailMessage{
		From: from, To: []string{"leads@example.com"},
		Subject:     longSubject,
		Text:        "Chats: 700\n",
		MessageID:   MessageID("weekly-support", firing, "email:leads@example.com", from),
		ListID:      ListID("weekly-support", from),
		Unsubscribe: unsub,
		Date:        firing,
	}}
	alertMsg := Message{Channel: ChannelEmail, Email: &EmailMessage{
		From: from, To: []string{"oncall@example.com"},
		Subject:   "[FIRING] weekly-support: First response time 75.2 s — above 60 s",
		Text:      "firing\n",
		MessageID: MessageID("weekly-support", firing, "alert|email:oncall@example.com", from),
		Date:      firing,
	}}
	require.NoError(t, s.Send(t.Context(), digestMsg))
	require.NoError(t, s.Send(t.Context(), alertMsg))
	msgs := peer.messages()
	require.Len(t, msgs, 2)

	for i, raw := range msgs {
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		require.NoError(t, err)
		h := msg.Header
		assert.Equal(t, "auto-generated", h.Get("Auto-Submitted"), "message %d", i)
		id := h.Get("Message-Id")
		assert.True(t, strings.HasSuffix(id, "@example.com>"), "Message-ID %q: right side is the From domain", id)
		assert.NotContains(t, id, "livechat-digest>")
	}

	d, err := mail.ReadMessage(bytes.NewReader(msgs[0]))
	require.NoError(t, err)
	// The long subject arrives folded after encoded words, never right
	// after "Subject:" (a first line of only a space).
	lines := rawField(t, msgs[0], "Subject")
	assert.Greater(t, len(lines), 1, "long enough to be folded: %q", lines)
	assert.NotEmpty(t, strings.TrimSpace(strings.TrimPrefix(lines[0], "Subject:")), "first line carries text: %q", lines)
	subject, err := new(mime.WordDecoder).DecodeHeader(d.Header.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, longSubject, subject)
	assert.Equal(t, "<weekly-support.digest.example.com>", d.Header.Get("List-Id"))
	assert.Equal(t, "<"+unsub+">", d.Header.Get("List-Unsubscribe"))
	assert.Equal(t, "List-Unsubscribe=One-Click", d.Header.Get("List-Unsubscribe-Post"))

	a, err := mail.ReadMessage(bytes.NewReader(msgs[1]))
	require.NoError(t, err)
	for _, h := range []string{"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"} {
		assert.Empty(t, a.Header.Get(h), "alerts carry no %s", h)
	}
}

// TestSubjectNeverFoldedIntoLeadingSpace: go-mail on its own folds a long
// subject right after "Subject:", leaving the first line empty, which some
// clients read as a subject starting with a space.
func TestSubjectNeverFoldedIntoLeadingSpace(t *testing.T) {
	t.Parallel()
	subjects := []string{
		"short",
		"weekly-support-with-a-very-long-job-name-indeed-and-more-more-more-more: 2026-11-16 to 2026-11-22 compared with 2026-11-09 to 2026-11-15",
		"weekly-support-with-a-very-long-job-name-indeed: 2026-11-16 – 2026-11-22 compared with 2026-11-09 – 2026-11-15",
		"Zażółć gęślą jaźń — wsparcie tygodniowe dla zespołu obsługi klienta: 2026-11-16 – 2026-11-22",
		strings.Repeat("x", 120) + " tail",
		"looks =?UTF-8?q?encoded?= but is not",
		"tab\tand\r\nnewline",
	}
	for _, subj := range subjects {
		t.Run(subj[:min(len(subj), 20)], func(t *testing.T) {
			t.Parallel()
			m := sampleEmail()
			m.Email.Subject = subj
			msg, err := buildMail(m.Email)
			require.NoError(t, err)
			var b bytes.Buffer
			_, err = msg.WriteTo(&b)
			require.NoError(t, err)

			lines := rawField(t, b.Bytes(), "Subject")
			first := strings.TrimPrefix(lines[0], "Subject:")
			assert.True(t, strings.HasPrefix(first, " ") && strings.TrimSpace(first) != "",
				"first line carries text: %q", lines)
			for _, l := range lines {
				assert.LessOrEqual(t, len(l), 998, "hard line limit")
			}
			parsed, err := mail.ReadMessage(bytes.NewReader(b.Bytes()))
			require.NoError(t, err)
			got, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
			require.NoError(t, err)
			want := strings.Join(strings.Fields(subj), " ")
			assert.Equal(t, want, got)
			assert.False(t, strings.HasPrefix(got, " "))
		})
	}
}

func TestBuildMailRefusesBadListHeaders(t *testing.T) {
	t.Parallel()
	for name, e := range map[string]func(*EmailMessage){
		"http to a public host": func(e *EmailMessage) { e.Unsubscribe = "http://digest.example.com/unsubscribe?t=x" },
		"header injection":      func(e *EmailMessage) { e.Unsubscribe = "https://x.example/u?t=a>\r\nBcc: evil@x" },
		"relative":              func(e *EmailMessage) { e.Unsubscribe = "/unsubscribe?t=x" },
		"list id with space":    func(e *EmailMessage) { e.ListID = "a b.digest.example.com" },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := sampleEmail()
			e(m.Email)
			_, err := buildMail(m.Email)
			require.Error(t, err)
			assert.False(t, IsRetryable(err))
			assert.NotContains(t, err.Error(), "t=", "the token stays out of errors")
		})
	}
	m := sampleEmail()
	m.Email.Unsubscribe = "http://127.0.0.1:8080/unsubscribe?t=x"
	_, err := buildMail(m.Email)
	assert.NoError(t, err, "plain http is fine on loopback")
}
