package query

import (
	"regexp"
	"strings"
	"unicode"
)

// MaxLen is the longest text Parse reads, in bytes. Slack caps slash command
// text well below this; the limit keeps the typo suggestions cheap.
const MaxLen = 1000

// slackLink is a Slack link: <mailto:a@b.c|a@b.c>, <https://x|label>, or
// <mailto:a@b.c> without a label.
var slackLink = regexp.MustCompile(`<((?:mailto:|https?://)[^<>|]*)(?:\|([^<>]*))?>`)

// unwrapLinks replaces Slack links by their label, or by their address
// without "mailto:" when they have none.
func unwrapLinks(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	return slackLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := slackLink.FindStringSubmatch(m)
		if strings.Contains(m, "|") {
			return sub[2]
		}
		return strings.TrimPrefix(sub[1], "mailto:")
	})
}

// Slack escapes these three characters in command text. escaper is the
// exact inverse of unescaper: both work left to right in one pass.
var (
	unescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
	escaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
)

func unescape(s string) string { return unescaper.Replace(s) }

func isQuote(r rune) bool { return r == '"' || r == '“' || r == '”' }

// tokenize splits s on whitespace outside double quotes and drops the
// quotes, so `tag="vip customers"` is the one token `tag=vip customers`.
func tokenize(s string) ([]string, error) {
	var (
		toks    []string
		cur     strings.Builder
		inQuote bool
		started bool
	)
	for _, r := range s {
		switch {
		case isQuote(r):
			inQuote = !inQuote
			started = true
		case unicode.IsSpace(r) && !inQuote:
			if started {
				toks = append(toks, cur.String())
			}
			cur.Reset()
			started = false
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if inQuote {
		return nil, errorf("a double quote is not closed")
	}
	if started {
		toks = append(toks, cur.String())
	}
	// A lone "" carries nothing.
	out := toks[:0]
	for _, t := range toks {
		if t != "" {
			out = append(out, t)
		}
	}
	return out, nil
}

// cleanValue turns a raw filter value into its stored form: Slack entities
// undone, whitespace trimmed and collapsed. It rejects Slack markup and
// control characters, which no group, login or tag contains.
func cleanValue(key, v string) (string, error) {
	if strings.ContainsAny(v, "<>") {
		return "", errorf("%s=%q: Slack mentions and links are not understood here; type the value as plain text", key, v)
	}
	v = strings.Join(strings.Fields(unescape(v)), " ")
	for _, r := range v {
		if unicode.IsControl(r) || isQuote(r) {
			return "", errorf("%s=%q: the value holds a character that is not allowed", key, v)
		}
	}
	return v, nil
}
