package templates

import (
	"fmt"
	"strings"
)

// Slack formats mrkdwn text (*bold*, _italic_, ~strike~, `code`, <links>,
// <!here>) and has no escape for the first four. Text that comes from
// LiveChat or from users (agent names, job names, zones, filters, error
// texts) therefore goes into objects Slack never formats: plain_text
// objects, with emoji off so ":smile:" in a name stays as typed, and the
// text elements of rich_text blocks, which carry their style as data. They
// copy back exactly as written: no zero-width spaces. mrkdwn is kept for
// our own words (headings, metric labels from the catalogue, numbers).

// plainData is a plain_text object for data: shown as it is, emoji
// shortcodes included.
func plainData(s string) textObj {
	off := false
	return textObj{Type: "plain_text", Text: s, Emoji: &off}
}

// richStyle is the style of a rich_text text element.
type richStyle struct {
	Bold   bool `json:"bold,omitempty"`
	Italic bool `json:"italic,omitempty"`
}

// richInline is one element of a rich_text_section: a text or an emoji.
type richInline struct {
	Type  string     `json:"type"`
	Text  string     `json:"text,omitempty"`
	Name  string     `json:"name,omitempty"`    // emoji name, without colons
	URL   string     `json:"url,omitempty"`     // link elements
	User  string     `json:"user_id,omitempty"` // user elements: a mention
	Style *richStyle `json:"style,omitempty"`
}

// richPart is a rich_text_section or a rich_text_list inside a rich_text
// block.
type richPart struct {
	Type     string `json:"type"`
	Style    string `json:"style,omitempty"` // lists: "bullet"
	Elements []any  `json:"elements"`
}

func txt(s string) richInline { return richInline{Type: "text", Text: s} }
func bold(s string) richInline {
	return richInline{Type: "text", Text: s, Style: &richStyle{Bold: true}}
}
func italic(s string) richInline {
	return richInline{Type: "text", Text: s, Style: &richStyle{Italic: true}}
}
func emoji(name string) richInline {
	return richInline{Type: "emoji", Name: name}
}
func link(url, text string) richInline { return richInline{Type: "link", URL: url, Text: text} }
func user(id string) richInline        { return richInline{Type: "user", User: id} }

func richSection(inl ...richInline) richPart {
	elts := make([]any, len(inl))
	for i, e := range inl {
		elts[i] = e
	}
	return richPart{Type: "rich_text_section", Elements: elts}
}

func richBlock(parts ...richPart) block {
	elts := make([]any, len(parts))
	for i, p := range parts {
		elts[i] = p
	}
	return block{Type: "rich_text", Elements: elts}
}

// richList is a rich_text block: a heading line (an emoji and bold words)
// then one bullet per line, cut to maxListLines bullets of at most
// maxListLine characters each, with "…and N more" when lines were left out.
func richList(icon, heading string, lines [][]richInline) block {
	return richListMore(icon, heading, lines, 0)
}

// richListMore is richList for lines of which hidden more were left out
// before (a ranking's rows past the view's cap): "…and N more" counts them.
func richListMore(icon, heading string, lines [][]richInline, hidden int) block {
	items := make([]any, 0, min(len(lines), maxListLines))
	for i, l := range lines {
		if i == maxListLines {
			break
		}
		items = append(items, richSection(cutInline(l, maxListLine)...))
	}
	parts := []richPart{richSection(emoji(icon), txt(" "), bold(heading)), {Type: "rich_text_list", Style: "bullet", Elements: items}}
	if n := len(lines) - len(items) + hidden; n > 0 { // hidden: rows the view left out already
		parts = append(parts, richSection(italic(fmt.Sprintf("…and %d more", n))))
	}
	return richBlock(parts...)
}

// cutInline keeps the text of a line to max runes in all.
func cutInline(l []richInline, max int) []richInline {
	out := make([]richInline, 0, len(l))
	left := max
	for _, e := range l {
		if e.Type != "text" {
			out = append(out, e)
			continue
		}
		if left <= 0 {
			break
		}
		if runes(e.Text) > left {
			e.Text = truncate(e.Text, left)
		}
		left -= runes(e.Text)
		out = append(out, e)
	}
	return out
}

// mrkdwnSafe reports whether s, our own text, reads the same as mrkdwn:
// no character Slack would take as markup.
func mrkdwnSafe(s string) bool { return !strings.ContainsAny(s, "*_~`<>&") }
