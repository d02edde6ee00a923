package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"livechat-digest/digest"
	"livechat-digest/query"
	"livechat-digest/templates"
)

// FuzzSlashCommand drives correctly signed requests through the handler:
// either a Slack form around arbitrary command text, or an arbitrary raw
// body. Whatever comes in, the answer is never a 5xx and never a panic, and
// a 200 is an ephemeral JSON message.
func FuzzSlashCommand(f *testing.F) {
	for _, text := range []string{
		"", "help", "alerts", "report chats last week", "digest weekly-support", "digest nosuch",
		`report all 2026-11-01..2026-11-07 agent=john@example.com tag="vip customers"`,
		"report chats agent=<@U123>", "<mailto:a@b.c|a@b.c>", "report &amp;&lt;&gt;",
		"report chats 2026-02-30", "\x00\xff\xfe", "`*_~", strings.Repeat("report ", 200),
	} {
		f.Add(text, false)
	}
	for _, raw := range []string{
		"", "text=report+chats&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1",
		"text=%zz", "text=alerts&text=help", "response_url=%00", ";;;", strings.Repeat("a=b&", 1000),
	} {
		f.Add(raw, true)
	}

	r, err := templates.New("")
	if err != nil {
		f.Fatal(err)
	}
	posted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer posted.Close()
	ans := &fakeAnswerer{
		report: func(context.Context, query.Command, time.Time) (*digest.Digest, error) {
			return weekDigest("report"), nil
		},
		digest: func(_ context.Context, job string, _ time.Time) (*digest.Digest, error) {
			return weekDigest(job), nil
		},
		alerts: func(context.Context) ([]Alert, error) {
			return []Alert{{Job: "j", Key: "total_chats.chats above 1", State: "firing", Since: time.Unix(0, 0), Value: ptr(2)}}, nil
		},
	}
	responseURL := posted.URL + "/commands/T1/2/3"

	f.Fuzz(func(t *testing.T, s string, raw bool) {
		body := s
		if !raw {
			body = slashForm(s, responseURL).Encode()
		}
		srv, err := New(Options{
			SigningSecret: testSecret, Answerer: ans, Renderer: r,
			HTTPClient:        posted.Client(),
			ResponseURLPrefix: posted.URL + "/commands/",
			Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
			MaxBody:           8 << 10,
		})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		ts := time.Now().Unix()
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Slack-Signature", signature(testSecret, ts, []byte(body)))
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Wait(ctx)

		switch rec.Code {
		case http.StatusOK:
			var m ephemeral
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("200 is not JSON: %v: %q", err, rec.Body.String())
			}
			if m.ResponseType != "ephemeral" || m.Text == "" {
				t.Fatalf("200 is not an ephemeral message: %q", rec.Body.String())
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for a signed request: %q", rec.Code, rec.Body.String())
		}
	})
}
