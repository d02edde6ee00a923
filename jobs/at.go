package jobs

import (
	"fmt"
	"time"
)

// ParseAt reads the --at instant of `run`: RFC 3339 with an offset, or
// YYYY-MM-DD[THH:MM[:SS]] read in loc, a bare date meaning 00:00 there. A
// wall-clock time that does not exist in loc (the hour skipped when DST
// starts) means the instant after the skipped hour, as the scheduler fires
// such a job after the transition.
func ParseAt(s string, loc *time.Location) (time.Time, error) {
	t, err := parseAt(s, loc)
	if err != nil {
		return time.Time{}, err
	}
	// A typo in the year (0026, 20260) would otherwise fire a period the
	// API has no data for, or one centuries long.
	if y := t.In(loc).Year(); y < MinAtYear || y > MaxAtYear {
		return time.Time{}, fmt.Errorf("jobs: --at %q: the year must be %d–%d", s, MinAtYear, MaxAtYear)
	}
	return t, nil
}

// The years --at accepts.
const (
	MinAtYear = 2000
	MaxAtYear = 2100
)

func parseAt(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", time.DateOnly} {
		w, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
		if wall(t) < wall(w) {
			// In a DST gap Go picks the offset before the gap, an earlier
			// wall clock: read the time with the offset after the gap.
			_, before := t.Zone()
			_, after := t.Add(6 * time.Hour).Zone()
			t = t.Add(time.Duration(after-before) * time.Second)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("jobs: --at %q: want RFC 3339 (2026-11-23T09:00:00-05:00) or YYYY-MM-DD[THH:MM[:SS]]", s)
}

// ManualFiring is the firing a manual run at t fires: the minute t is in,
// truncated, in UTC. A scheduled tick rounds instead (FiringKey: gocron's
// tick for 09:00 may come at 08:59:59.998), but a person's 11:30:40 means
// 11:30; rounding it up would claim 11:31, a scheduled firing that has not
// come yet.
func ManualFiring(t time.Time) time.Time { return t.UTC().Truncate(time.Minute) }

// wall is t's wall clock as a sortable string, ignoring its zone.
func wall(t time.Time) string { return t.Format("2006-01-02T15:04:05") }
