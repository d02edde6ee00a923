package templates

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
)

// forbidden are the characters no output may carry: control characters
// other than the layout's own newlines, and the bidi controls.
func forbidden(r rune) bool {
	if r == '\n' || r == '\t' || r == '\r' {
		return false // the formats' own layout (text table, JSON indent, MIME)
	}
	return unicode.IsControl(r) || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') ||
		r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// NUL, BEL, escapes and bidi overrides from upstream or users are stripped
// from every output; newlines and tabs become spaces.
func TestControlCharactersAreStripped(t *testing.T) {
	t.Parallel()
	evil := "\x00\x07\x1b[2J\u202eevil\u202c\u2066x\u2069\u200f\u0085\u009b"
	d := fixture()
	d.Job = "weekly" + evil
	d.Timezone = "UTC" + evil
	d.Rankings.Chats = append(d.Rankings.Chats, digest.RankEntry{Agent: "eve" + evil + "@example.com", Good: 1, Total: 1, Score: 1})
	d.Rankings.Tickets = []digest.RankEntry{{Agent: "line\nbreak" + evil, Good: 1, Total: 1, Score: 1}}
	d.Filters = digest.Filters{Group: "2" + evil, Agent: "a" + evil, Tags: []string{"vip" + evil}}
	d.Errors = []digest.ReportError{{Report: "greetings" + evil, Error: "upstream said " + evil}}

	r := newRenderer(t)
	outputs := map[string]string{}
	for _, f := range Formats {
		b, err := r.Render(d, f)
		require.NoError(t, err, f)
		outputs[string(f)] = string(b)
	}
	e, err := r.Email(d, "{{.Job}} {{.Timezone}}")
	require.NoError(t, err)
	outputs["subject"], outputs["email text"], outputs["email html"] = e.Subject, e.Text, e.HTML

	ev := AlertEvent{Job: "weekly" + evil, Metric: "total_chats.chats" + evil, Rule: "above 1" + evil, Threshold: 1,
		Period: d.Period, Timezone: "UTC" + evil, State: StateFiring, Since: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	outputs["alert subject"] = r.AlertSubject(ev)
	outputs["alert text"] = r.AlertText(ev)
	outputs["alert html"], err = r.AlertHTML(ev)
	require.NoError(t, err)
	s, err := r.AlertSlack(ev)
	require.NoError(t, err)
	outputs["alert slack"] = s.Text + string(s.Blocks)
	outputs["Clean"] = Clean(evil)

	for name, out := range outputs {
		i := strings.IndexFunc(out, forbidden)
		assert.Equal(t, -1, i, "%s: %q at byte %d", name, out[max(i, 0):min(max(i, 0)+8, len(out))], i)
		assert.NotContains(t, out, "\\u202e", name) // not even escaped in JSON
		assert.NotContains(t, out, "\\u0000", name)
	}
	assert.Contains(t, outputs["text"], "eve[2Jevilx @example.com")
	assert.Equal(t, "[2Jevilx ", Clean(evil), "U+0085 is a line break: a space")
	assert.Equal(t, "a b", Clean("a\nb"))
}

func TestClipCutsRunesNotBytes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"ééé", 2, "é…"},
		{"\u202eééé", 3, "ééé"},
		{"日本語テキスト", 4, "日本語…"},
		{"a\x00b\x07c", 2, "a…"},
		{"", 3, ""},
		{"abc", 0, ""},
		{"\xff\xfeab", 3, "\ufffd\ufffda"[:0] + "\ufffd\ufffd…"},
	} {
		got := clip(tc.in, tc.n)
		assert.Equal(t, tc.want, got, "clip(%q, %d)", tc.in, tc.n)
		assert.LessOrEqual(t, runes(got), max(tc.n, 0))
		assert.Equal(t, truncate(tc.in, tc.n) == tc.in, len(tc.in) <= tc.n || runes(tc.in) <= tc.n)
	}
}
