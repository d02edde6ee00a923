package server

import (
	"net/http/httptest"
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
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
