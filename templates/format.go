package templates

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// Format is an output format of Render.
type Format string

// The formats Render produces.
const (
	FormatJSON  Format = "json"
	FormatText  Format = "text"
	FormatHTML  Format = "html"
	FormatSlack Format = "slack"
)

// Formats lists every Format, in the order help texts show them.
var Formats = []Format{FormatText, FormatJSON, FormatHTML, FormatSlack}

// ParseFormat reads a format name as given to --format.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatJSON, FormatText, FormatHTML, FormatSlack:
		return f, nil
	}
	return "", fmt.Errorf("templates: unknown format %q: want json, text, html or slack", s)
}

// null is shown where a value does not exist.
const null = "—"

// formatValue formats one value of m for people, as digest.FormatValue
// does everywhere: counts with thousands separators, durations with their
// unit, rates as percentages, "—" for null.
func formatValue(m digest.Metric, v *float64) string { return digest.FormatValue(m, v) }

// formatCount formats a plain number (ranking counts).
func formatCount(x float64) string { return digest.FormatValue(digest.Metric{Unit: digest.Count}, &x) }

// formatChange formats a change as "+140 (+25%)": the absolute change in
// the metric's unit (percentage points for rates) and the relative change
// when it exists.
func formatChange(m digest.Metric, v digest.Value) string {
	abs, pct := formatChangeParts(m, v)
	if pct != "" {
		return abs + " (" + pct + ")"
	}
	return abs
}

// formatChangeParts is formatChange in its two parts, the change in the
// metric's unit ("+340", "-4 pp", "—") and in percent ("+25%", "" when
// there is none; "+1.8%, -6.3% a day" for a sum over periods of different
// lengths), so the HTML can keep each part whole and break the line
// between them on a phone.
func formatChangeParts(m digest.Metric, v digest.Value) (abs, pct string) {
	if v.Change == nil || !finite(*v.Change) {
		return null, ""
	}
	c := *v.Change
	if m.Unit == digest.Rate {
		abs = signed(formatCount(c*100)) + " pp"
	} else {
		abs = signed(formatValue(m, &c))
	}
	if v.ChangePct != nil && finite(*v.ChangePct) {
		pct = digest.FormatChangePct(v.ChangePct)
	}
	if r := v.RateChangePct; r != nil && finite(*r) && pct != "" {
		// Periods of different lengths: the verdict (and its colour) is
		// on the rate per day, which may even move the other way.
		pct += ", " + digest.FormatChangePct(r) + " a day"
	}
	return abs, pct
}

// arrow is ▲ for a rise, ▼ for a fall and nothing when the value held,
// there is nothing to compare, or the change is noise (arrows follow the
// verdict: only a change that passed the tests points anywhere).
func arrow(v digest.Value) string {
	switch {
	case v.Change == nil || !finite(*v.Change) || *v.Change == 0 || v.Verdict == digest.VerdictNoise:
		return ""
	case *v.Change > 0:
		return "▲"
	}
	return "▼"
}

// direction is +1 when the change is good news, -1 when bad, 0 otherwise:
// by its verdict when it has one (noise is neither), else by the sign of the
// change and the catalogue's Better.
func direction(m digest.Metric, v digest.Value) int {
	switch v.Verdict {
	case "":
		return digest.Direction(m, v)
	case digest.VerdictBetter:
		return 1
	case digest.VerdictWorse:
		return -1
	}
	return 0
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// signed puts a "+" before a positive number; a number that rounds to zero
// gets no sign at all ("0.0", never "-0.0").
func signed(s string) string {
	digits := strings.TrimLeft(s, "+-")
	if strings.Trim(strings.SplitN(digits, " ", 2)[0], "0.,") == "" {
		return digits
	}
	if strings.HasPrefix(s, "-") {
		return s
	}
	return "+" + s
}

// Clean is the one function every string from upstream or from users
// (agent names, tags, job names, error texts, slash-command text) goes
// through before it is rendered, in every format: newlines, tabs and the
// other line and paragraph separators become spaces, so a name cannot break
// a table row or start a new line; every other control character (NUL,
// BEL, ANSI escapes, C1) and the bidirectional overrides, embeddings,
// isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
// U+061C) are removed, so a name cannot ring a terminal's bell, rewrite the
// screen or show its text in another order. Invalid UTF-8 becomes U+FFFD.
func Clean(s string) string { return oneLine(s) }

// oneLine is Clean; the package calls it by this name.
func oneLine(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	clean := true
	for _, r := range s {
		if cleanRune(r) != r {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(cleanRune, s)
}

// cleanRune is what Clean makes of r: r, a space, or -1 (removed).
func cleanRune(r rune) rune {
	switch {
	case r == '\t', r == '\n', r == '\v', r == '\f', r == '\r', r == '\u0085', r == '\u2028', r == '\u2029':
		return ' '
	case unicode.IsControl(r),
		r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069',
		r == '\u200e', r == '\u200f', r == '\u061c':
		return -1
	}
	return r
}

// clip is Clean, then cut to at most n runes (ending in "…" when it cut),
// in one pass that reads no further than it keeps: a 100 KB name costs no
// 100 KB copy.
func clip(s string, n int) string {
	if n < 1 {
		return ""
	}
	var b strings.Builder
	count, last := 0, 0
	for _, r := range s {
		if r = cleanRune(r); r < 0 {
			continue
		}
		if count == n {
			return b.String()[:last] + "…"
		}
		last = b.Len()
		b.WriteRune(r)
		count++
	}
	return b.String()
}

// truncate cuts s to at most n runes, ending in "…" when it cut. It cuts
// between runes, never inside one, and reads no further than it keeps.
func truncate(s string, n int) string {
	if n < 1 {
		return ""
	}
	cut, count := 0, 0
	for i := range s {
		if count == n-1 {
			cut = i
		}
		if count == n {
			return s[:cut] + "…"
		}
		count++
	}
	return s
}

// padRight and padLeft pad by runes, not bytes, so "—" and "▲" align. A
// width over maxPad is an error: a template could otherwise ask for
// gigabytes of spaces.
func padRight(n int, s string) (string, error) {
	if n > maxPad {
		return "", fmt.Errorf("padr: width %d is over %d", n, maxPad)
	}
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k), nil
	}
	return s, nil
}

func padLeft(n int, s string) (string, error) {
	if n > maxPad {
		return "", fmt.Errorf("padl: width %d is over %d", n, maxPad)
	}
	if k := utf8.RuneCountInString(s); k < n {
		return strings.Repeat(" ", n-k) + s, nil
	}
	return s, nil
}

// title turns a report name into a heading: "chat_ratings" → "Chat ratings".
func title(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// reportTitle is a report's heading, e.g. "New tickets".
func reportTitle(r livechat.Report) string {
	if i, ok := livechat.Lookup(r); ok && i.Title != "" {
		return i.Title
	}
	return title(oneLine(string(r)))
}
