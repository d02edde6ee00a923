package alerting

import (
	"time"

	"livechat-digest/hours"
	"livechat-digest/store"
)

// Silence states, as `silence list` shows them.
const (
	SilenceActive  = "active"
	SilencePending = "pending" // starts later
	SilenceExpired = "expired"
)

// State says whether s holds at now.
func State(s store.Silence, now time.Time) string {
	switch {
	case now.Before(s.StartsAt):
		return SilencePending
	case now.Before(s.EndsAt):
		return SilenceActive
	}
	return SilenceExpired
}

// Matches reports whether s holds back the news of metric's alerts of job
// at now: same job, the same metric or none named, started and not ended.
func Matches(s store.Silence, job, metric string, now time.Time) bool {
	return s.Job == job && (s.Metric == "" || s.Metric == metric) && State(s, now) == SilenceActive
}

// Silenced returns the silence that holds (job, metric) at now for the
// longest, if any.
func Silenced(ss []store.Silence, job, metric string, now time.Time) (store.Silence, bool) {
	var best store.Silence
	found := false
	for _, s := range ss {
		if Matches(s, job, metric, now) && (!found || s.EndsAt.After(best.EndsAt)) {
			best, found = s, true
		}
	}
	return best, found
}

// maxHoldSteps bounds Unmuted's walk: each step passes one silence's end or
// one window's opening, so it ends long before this on any sane config.
const maxHoldSteps = 1000

// Unmuted returns the first instant at or after now at which no silence in
// ss holds (job, metric) and active hours are open: when a held firing is
// released. ok is false when that never comes (active hours that never
// open, or more holds back to back than maxHoldSteps).
func Unmuted(ss []store.Silence, job, metric string, active hours.Schedule, loc *time.Location, now time.Time) (time.Time, bool) {
	t := now
	for range maxHoldSteps {
		if s, ok := Silenced(ss, job, metric, t); ok {
			t = s.EndsAt
			continue
		}
		open, ok := active.NextOpen(t, loc)
		if !ok {
			return time.Time{}, false
		}
		if open.Equal(t) {
			return t, true
		}
		t = open
	}
	return time.Time{}, false
}

// NineTomorrow is 09:00 on the day after now, on loc's wall clock: the end
// of a "Silence until 09:00 tomorrow" button.
func NineTomorrow(now time.Time, loc *time.Location) time.Time {
	l := now.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 9, 0, 0, 0, loc)
}
