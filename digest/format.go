package digest

import (
	"math"
	"strconv"
	"strings"
)

// FormatValue formats a metric's value for people: "1,234" for counts,
// "42.5 s" and "3.2 h" for durations, "87.5%" for rates (stored as 0.875),
// and "—" for a value that does not exist. Fractions keep one decimal,
// dropped when it is zero ("40 s", not "40.0 s").
func FormatValue(m Metric, v *float64) string {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return "—"
	}
	switch m.Unit {
	case Seconds:
		return number(*v) + " s"
	case Hours:
		return number(*v) + " h"
	case Rate:
		return number(*v*100) + "%"
	}
	return number(*v)
}

// FormatChangePct formats a change_pct with its sign ("+25%", "-3.5%"), or
// "—" when there is none.
func FormatChangePct(v *float64) string {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return "—"
	}
	s := number(*v)
	if s != "0" && !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s + "%"
}

// number rounds to one decimal, drops a ".0" and groups thousands.
func number(x float64) string {
	s := strconv.FormatFloat(math.Round(x*10)/10, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		s = "0"
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// Direction says whether v's change is good news (+1), bad news (-1) or
// neither (0) for metric m: no change, no comparison, or a metric where
// neither direction is better.
func Direction(m Metric, v Value) int {
	if v.Change == nil || *v.Change == 0 || math.IsNaN(*v.Change) {
		return 0
	}
	sign := 1
	if *v.Change < 0 {
		sign = -1
	}
	switch m.Better {
	case Up:
		return sign
	case Down:
		return -sign
	}
	return 0
}
