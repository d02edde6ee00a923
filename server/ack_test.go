package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"

	"livechat-digest/templates"
)

// TestAckJSON pins the hand-assembled acknowledgement to what marshalling
// the Block Kit structs writes, for commands with every character JSON or
// Slack treats specially.
func TestAckJSON(t *testing.T) {
	for _, cmd := range []string{
		"report total_chats last week",
		`report "quoted" \back\slash`,
		"report <script>&amp; `tick` *bold* _it_ ~st~",
		"report \u2028\u2029 line separators, emoji 🎉, zero\u200bwidth",
		"report \x00\x01\x1f control \t tab \n newline",
		"report \xff\xfe invalid utf-8",
		"",
	} {
		w := httptest.NewRecorder()
		respondBlocks(w, "Working on it: "+codeSpan(cmd)+"…", slack.NewRichTextBlock("",
			slack.NewRichTextSection(
				slack.NewRichTextSectionTextElement("Working on it: ", nil),
				slack.NewRichTextSectionTextElement(cmd, &slack.RichTextSectionTextStyle{Code: true}),
				slack.NewRichTextSectionTextElement("…", nil))))
		assert.Equal(t, w.Body.String(), string(ackJSON(cmd)), "command %q", cmd)
	}
}

// BenchmarkAck compares the two ways of writing the acknowledgement.
//
//	go test -run '^$' -bench Ack -benchmem ./server/
func BenchmarkAck(b *testing.B) {
	const cmd = "report total_chats last week"
	b.Run("blocks", func(b *testing.B) {
		for b.Loop() {
			respondBlocks(httptest.NewRecorder(), "Working on it: "+codeSpan(cmd)+"…", slack.NewRichTextBlock("",
				slack.NewRichTextSection(
					slack.NewRichTextSectionTextElement("Working on it: ", nil),
					slack.NewRichTextSectionTextElement(cmd, &slack.RichTextSectionTextStyle{Code: true}),
					slack.NewRichTextSectionTextElement("…", nil))))
		}
	})
	b.Run("assembled", func(b *testing.B) {
		for b.Loop() {
			w := httptest.NewRecorder()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(ackJSON(cmd))
		}
	})
}

// BenchmarkSlashHandler is the server's own work per acknowledged command,
// without the network: signature, replay set, parse, queue, ack. The
// answers are never run (the queue is drained by a worker that drops them).
//
//	go test -run '^$' -bench SlashHandler -benchmem ./server/
func BenchmarkSlashHandler(b *testing.B) {
	r, err := templates.New("")
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(Options{
		SigningSecret: testSecret, Answerer: &fakeAnswerer{}, Renderer: r,
		ResponseURLPrefix: "https://hooks.slack.com/commands/",
		AnswerQueue:       1 << 20,
		HTTPClient:        &http.Client{Transport: refuse{}}, // the answers' posts go nowhere
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		f := slashForm("report total_chats last week", "https://hooks.slack.com/commands/T0001/1/abc")
		f.Set("trigger_id", strconv.Itoa(i)) // each signed request is new: no replays
		reqs[i] = signedRequest(b, "http://127.0.0.1", testSecret, time.Now(), []byte(f.Encode()))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, reqs[i])
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// refuse is a RoundTripper that sends nothing.
type refuse struct{}

func (refuse) RoundTrip(*http.Request) (*http.Response, error) { return nil, errors.New("refused") }
