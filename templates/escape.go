package templates

import (
	"regexp"
	"strings"
)

// zwsp is U+200B ZERO WIDTH SPACE.
const zwsp = "\u200b"

// mrkdwnEscaper escapes what Slack documents (&, <, >) and fences every
// formatting character with zero-width spaces.
var mrkdwnEscaper = strings.NewReplacer(
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
	"*", zwsp+"*"+zwsp,
	"_", zwsp+"_"+zwsp,
	"~", zwsp+"~"+zwsp,
	"`", zwsp+"`"+zwsp,
)

// broadcastRe finds the words Slack may turn into @channel-style pings when a
// message is posted with link_names or parse=full.
var broadcastRe = regexp.MustCompile(`(?i)@(channel|here|everyone)\b`)

// EscapeMrkdwn makes upstream text (agent names, tags, job names, error
// texts) safe to put into a Slack mrkdwn text object: it shows as typed and
// can neither format the message nor mention anyone.
//
// The approach:
//   - &, < and > become &amp;, &lt; and &gt;, the escapes Slack documents.
//     Links, user and channel mentions and <!channel>/<!here>/<!subteam^…>
//     are all written between < and >, so none of them can be formed.
//   - Slack has no backslash escape for *bold*, _italic_, ~strike~ and
//     `code`, so each of these characters is fenced by U+200B ZERO WIDTH
//     SPACE on both sides. A marker only opens a span when followed by a
//     non-space and closes one when preceded by a non-space, and it needs a
//     word boundary outside: whether Slack takes U+200B for a space (then no
//     marker has text beside it) or for a word character (then no marker sits
//     on a boundary), the pair never forms. The reader sees the same
//     characters; only copy-paste carries the invisible spaces.
//   - A plain "@channel", "@here" or "@everyone" gets a zero-width space after
//     the "@", in case a message is ever posted with link_names.
//
// Control characters are replaced by spaces so upstream text cannot start a
// new line (and with it a "> quote" or a list). Apply it once: escaping
// escaped text shows the entities.
func EscapeMrkdwn(s string) string {
	s = mrkdwnEscaper.Replace(oneLine(s))
	if strings.IndexByte(s, '@') >= 0 {
		s = broadcastRe.ReplaceAllString(s, "@"+zwsp+"$1")
	}
	return s
}
