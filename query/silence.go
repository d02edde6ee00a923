package query

import (
	"fmt"
	"strings"
	"time"
)

// The silence grammar, shared by `/livechat silence` and the CLI's
// `silence add`. It lives here, not in alerting, so that the grammar does
// not import the alert rules and through them the store.

// MaxSilence bounds how long one silence may last: longer than a quarter
// is forgotten rather than meant.
const MaxSilence = 90 * 24 * time.Hour

// ParseMatcher reads what a silence matches, "JOB" or "JOB/METRIC".
func ParseMatcher(s string) (job, metric string, err error) {
	job, metric, _ = strings.Cut(strings.TrimSpace(s), "/")
	if job == "" || strings.Contains(metric, "/") || strings.ContainsAny(job, " \t") {
		return "", "", fmt.Errorf("query: %q: want JOB or JOB/METRIC, e.g. frt-watch/chats_first_response_time.seconds", s)
	}
	return job, metric, nil
}

// ParseFor reads a silence's length: a Go duration ("90m", "2h30m") or
// whole days ("3d"), more than zero and at most MaxSilence.
func ParseFor(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(s, "d"); ok && n != "" && !strings.ContainsAny(n, "hmsuµn.") {
		var days int
		if _, err = fmt.Sscanf(n, "%d", &days); err == nil && fmt.Sprint(days) == n {
			d = time.Duration(days) * 24 * time.Hour
		} else {
			err = fmt.Errorf("bad days")
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil {
		return 0, fmt.Errorf("query: duration %q: want e.g. 30m, 2h or 3d", s)
	}
	if d <= 0 || d > MaxSilence {
		return 0, fmt.Errorf("query: duration %q: must be more than 0 and at most %dd", s, MaxSilence/(24*time.Hour))
	}
	return d, nil
}
