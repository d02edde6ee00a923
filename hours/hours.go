package hours

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// minutesPerDay is the length of a day on the wall clock; "24:00" is its end.
const minutesPerDay = 24 * 60

// Window is one entry of active_hours: the weekdays and the times of day it
// covers. No weekdays means every day; no times means the whole day.
type Window struct {
	// Days has one entry per weekday (time.Sunday = 0) that the window
	// starts on.
	Days [7]bool
	// Times are minute ranges of the day. End is exclusive and may be
	// below Start: the range then runs past midnight into the next day.
	Times []Range
}

// Range is a range of minutes of the day, [Start, End); End may be 1440
// (24:00), and End < Start passes midnight.
type Range struct{ Start, End int }

// Schedule is a job's active hours: the union of its windows. An empty
// Schedule is always active.
type Schedule []Window

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// ParseWindow reads one window: weekdays such as "mon-fri", "sat" or
// "fri-mon" (a range may wrap past Sunday), and times such as
// "08:00-18:00" or "22:00-06:00". Errors name the item that is wrong.
func ParseWindow(days, times []string) (Window, error) {
	var w Window
	if len(days) == 0 {
		for i := range w.Days {
			w.Days[i] = true
		}
	}
	for _, d := range days {
		if err := w.addDays(d); err != nil {
			return Window{}, err
		}
	}
	for _, t := range times {
		r, err := ParseRange(t)
		if err != nil {
			return Window{}, err
		}
		w.Times = append(w.Times, r)
	}
	return w, nil
}

func (w *Window) addDays(s string) error {
	from, to, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	a, ok := weekdays[strings.TrimSpace(from)]
	if !ok {
		return fmt.Errorf("weekday %q: want mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri", s)
	}
	b := a
	if isRange {
		if b, ok = weekdays[strings.TrimSpace(to)]; !ok {
			return fmt.Errorf("weekday %q: want mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri", s)
		}
	}
	for d := a; ; d = (d + 1) % 7 {
		w.Days[d] = true
		if d == b {
			return nil
		}
	}
}

// ParseRange reads "HH:MM-HH:MM". The end may be 24:00; an end before the
// start passes midnight; equal ends are refused (leave times out for a
// whole day).
func ParseRange(s string) (Range, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Range{}, fmt.Errorf("times %q: want HH:MM-HH:MM, e.g. 08:00-18:00", s)
	}
	a, err := clock(from)
	if err != nil || a == minutesPerDay {
		return Range{}, fmt.Errorf("times %q: start %q is not a time of day (00:00 to 23:59)", s, strings.TrimSpace(from))
	}
	b, err := clock(to)
	if err != nil {
		return Range{}, fmt.Errorf("times %q: end %q is not a time of day (00:00 to 24:00)", s, strings.TrimSpace(to))
	}
	if b == minutesPerDay && a == 0 || a == b {
		return Range{}, fmt.Errorf("times %q: covers the whole day or nothing; leave times out for a whole day", s)
	}
	return Range{Start: a, End: b}, nil
}

var errClock = errors.New("not HH:MM")

// clock reads "HH:MM" (00:00–24:00) as minutes of the day.
func clock(s string) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, errClock
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, errClock
	}
	return hh*60 + mm, nil
}

// String writes r back as "HH:MM-HH:MM".
func (r Range) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", r.Start/60, r.Start%60, r.End/60, r.End%60)
}

// Contains reports whether t, read on loc's wall clock, lies in w.
func (w Window) Contains(t time.Time, loc *time.Location) bool {
	t = t.In(loc)
	if len(w.Times) == 0 {
		return w.Days[t.Weekday()]
	}
	min := t.Hour()*60 + t.Minute()
	yesterday := (t.Weekday() + 6) % 7
	for _, r := range w.Times {
		if r.Start < r.End {
			if w.Days[t.Weekday()] && min >= r.Start && min < r.End {
				return true
			}
			continue
		}
		// Past midnight: the evening part on a listed day, the morning
		// part on the day after one.
		if w.Days[t.Weekday()] && min >= r.Start || w.Days[yesterday] && min < r.End {
			return true
		}
	}
	return false
}

// Contains reports whether t lies in any window of s; an empty Schedule
// contains every instant.
func (s Schedule) Contains(t time.Time, loc *time.Location) bool {
	if len(s) == 0 {
		return true
	}
	for _, w := range s {
		if w.Contains(t, loc) {
			return true
		}
	}
	return false
}

// NextOpen returns the first instant at or after t that s contains: t
// itself when s contains it, else the next opening of a window. A window
// opens at the start of one of its time ranges (midnight for a window
// without times) on the wall clock of loc, and also at a change of offset:
// when the clock jumps past a start in the spring-forward gap, or is set
// back into a range (see wall). ok is false when no window opens within eight
// days, which only a Schedule with no day at all can cause.
func (s Schedule) NextOpen(t time.Time, loc *time.Location) (time.Time, bool) {
	if s.Contains(t, loc) {
		return t, true
	}
	local := t.In(loc)
	var best time.Time
	consider := func(c time.Time) {
		if c.After(t) && (best.IsZero() || c.Before(best)) && s.Contains(c, loc) {
			best = c
		}
	}
	for day := -1; day <= 8; day++ {
		d := local.AddDate(0, 0, day)
		if c, ok := change(d.Year(), d.Month(), d.Day(), loc); ok {
			consider(c)
		}
		for _, w := range s {
			starts := []int{0}
			if len(w.Times) > 0 {
				starts = starts[:0]
				for _, r := range w.Times {
					starts = append(starts, r.Start)
				}
			}
			for _, m := range starts {
				for _, c := range wall(d.Year(), d.Month(), d.Day(), m, loc) {
					consider(c)
				}
			}
		}
	}
	return best, !best.IsZero()
}

// change returns the instant loc's offset changes on the given day, if it
// does: where the wall clock jumps forward or is set back.
func change(y int, mo time.Month, d int, loc *time.Location) (time.Time, bool) {
	naive := time.Date(y, mo, d, 12, 0, 0, 0, time.UTC)
	before, after := offsets(naive, loc)
	if before == after {
		return time.Time{}, false
	}
	return jump(naive.Add(-probe), naive.Add(probe), before, loc), true
}

// probe is how far either side of a wall time offsets are read: with any
// offset (UTC−12 to UTC+14) the instants read are a day or more before and
// after it on the wall clock, so they straddle a change that day; changes
// are months apart, so nothing else falls between.
const probe = 36 * time.Hour

// offsets are loc's offsets before and after the wall time naive (a wall
// time written as UTC).
func offsets(naive time.Time, loc *time.Location) (before, after int) {
	_, before = naive.Add(-probe).In(loc).Zone()
	_, after = naive.Add(probe).In(loc).Zone()
	return before, after
}

// jump finds, to the second, the first instant in (lo, hi] whose offset in
// loc is no longer before; lo has it and hi does not.
func jump(lo, hi time.Time, before int, loc *time.Location) time.Time {
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if _, off := mid.In(loc).Zone(); off == before {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// wall returns the instants whose wall clock in loc reads minute m of the
// given day: one, or two in the hour the fall-back repeats (the window
// opens at each), or none for a minute the spring-forward gap skips: such
// a window opens when the clock jumps, at the change NextOpen considers
// too (time.Date would put 02:30 at 03:30, half an hour late).
func wall(y int, mo time.Month, d, m int, loc *time.Location) []time.Time {
	naive := time.Date(y, mo, d, m/60, m%60, 0, 0, time.UTC)
	var out []time.Time
	before, after := offsets(naive, loc)
	for _, off := range []int{before, after} {
		c := naive.Add(-time.Duration(off) * time.Second)
		if l := c.In(loc); l.Day() == d && l.Hour()*60+l.Minute() == m && !slices.ContainsFunc(out, c.Equal) {
			out = append(out, c)
		}
	}
	return out
}
