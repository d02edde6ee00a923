package templates

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"livechat-digest/digest"
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

// formatValue formats one value of m for people: counts with thousands
// separators, durations with their unit, rates as percentages, "—" for null.
// It is the local twin of digest.FormatValue, kept here so the layouts do not
// depend on that function's exact spelling.
func formatValue(m digest.Metric, v *float64) string {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return null
	}
	x := *v
	switch m.Unit {
	case digest.Seconds:
		return groupDigits(strconv.FormatFloat(x, 'f', 1, 64)) + " s"
	case digest.Hours:
		return groupDigits(strconv.FormatFloat(x, 'f', 1, 64)) + " h"
	case digest.Rate:
		return strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
	}
	return formatCount(x)
}

// formatCount shows whole numbers as such and keeps two decimals otherwise,
// which only happens for metrics outside the catalogue.
func formatCount(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return groupDigits(strconv.FormatFloat(x, 'f', 0, 64))
	}
	return groupDigits(strconv.FormatFloat(x, 'f', 2, 64))
}

// formatChange formats a change as "+140 (+25.0%)": the absolute change in
// the metric's unit (percentage points for rates) and the relative change
// when it exists.
func formatChange(m digest.Metric, v digest.Value) string {
	if v.Change == nil || !finite(*v.Change) {
		return null
	}
	c := *v.Change
	var s string
	switch m.Unit {
	case digest.Rate:
		s = signed(strconv.FormatFloat(c*100, 'f', 1, 64)) + " pp"
	case digest.Seconds, digest.Hours:
		s = signed(formatValue(m, &c))
	default:
		s = signed(formatCount(c))
	}
	if v.ChangePct != nil && finite(*v.ChangePct) {
		s += " (" + signed(strconv.FormatFloat(*v.ChangePct, 'f', 1, 64)) + "%)"
	}
	return s
}

// arrow is ▲ for a rise, ▼ for a fall and nothing when the value held or
// there is nothing to compare.
func arrow(v digest.Value) string {
	switch {
	case v.Change == nil || !finite(*v.Change) || *v.Change == 0:
		return ""
	case *v.Change > 0:
		return "▲"
	}
	return "▼"
}

// direction is +1 when the change is good news per the catalogue's Better,
// -1 when bad, 0 when neutral or unchanged. Local twin of digest.Direction.
func direction(m digest.Metric, v digest.Value) int {
	if v.Change == nil || !finite(*v.Change) || *v.Change == 0 {
		return 0
	}
	sign := 1
	if *v.Change < 0 {
		sign = -1
	}
	switch m.Better {
	case digest.Up:
		return sign
	case digest.Down:
		return -sign
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

// groupDigits inserts thousands separators into the integer part of a
// formatted number.
func groupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	b.WriteString(frac)
	return b.String()
}

// oneLine replaces control characters (newlines, tabs, ANSI escapes) with
// spaces: upstream text lands in table cells and terminals, where a newline
// breaks the layout and an escape sequence could rewrite the screen.
func oneLine(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	clean := true
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// truncate cuts s to at most n runes, ending in "…" when it cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	return string([]rune(s)[:n-1]) + "…"
}

// padRight and padLeft pad by runes, not bytes, so "—" and "▲" align.
func padRight(n int, s string) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

func padLeft(n int, s string) string {
	if k := utf8.RuneCountInString(s); k < n {
		return strings.Repeat(" ", n-k) + s
	}
	return s
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
