package digest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"livechat-digest/livechat"
)

// PeriodKind names a kind of report period.
type PeriodKind string

// The period kinds of the contract. Explicit is a fixed "FROM..TO" range.
const (
	Today       PeriodKind = "today"
	Yesterday   PeriodKind = "yesterday"
	Last7Days   PeriodKind = "last_7_days"
	LastWeek    PeriodKind = "last_week" // the previous Monday–Sunday
	MonthToDate PeriodKind = "month_to_date"
	LastMonth   PeriodKind = "last_month"
	Explicit    PeriodKind = "explicit"
)

// Period is a period as configured: a kind, resolved against an instant and
// a time zone when a digest is built, or an explicit range of days.
type Period struct {
	Kind PeriodKind
	// From and To are set only for Explicit.
	From, To livechat.Date
}

// String returns the period as it is written in a config file.
func (p Period) String() string {
	if p.Kind == Explicit {
		return p.From.String() + ".." + p.To.String()
	}
	return string(p.Kind)
}

// Limits on an explicit period, so that a typo or a hostile range cannot
// send a request the API refuses or make Build walk millions of days.
const (
	// MaxPeriodDays is the longest explicit period, counting both ends: two
	// years including a leap day, the longest range the Reports API (and
	// our simulator) accepts in one request.
	MaxPeriodDays = 731
	// MinYear and MaxYear bound the years of a plausible date. LiveChat
	// keeps no data from before 2000, and a year past 2100 is a typo; both
	// bounds are far from any real report, so they only catch mistakes
	// (0001-01-01, 9999-12-31) before they reach the API.
	MinYear = 2000
	MaxYear = 2100
)

// PlausibleDate reports whether d is a real calendar day in a year from
// MinYear to MaxYear.
func PlausibleDate(d livechat.Date) bool {
	return d.Year >= MinYear && d.Year <= MaxYear && d.AddDays(0) == d
}

// checkRange says what is wrong with the explicit range from..to, if
// anything; callers put the period in front of its answer.
func checkRange(from, to livechat.Date) error {
	switch {
	case !PlausibleDate(from):
		return fmt.Errorf("%s is not a plausible date (want a day in %d..%d)", from, MinYear, MaxYear)
	case !PlausibleDate(to):
		return fmt.Errorf("%s is not a plausible date (want a day in %d..%d)", to, MinYear, MaxYear)
	case to.Before(from):
		return errors.New("ends before it starts")
	case from.DaysUntil(to)+1 > MaxPeriodDays:
		return fmt.Errorf("spans %d days; a range can span at most %d days", from.DaysUntil(to)+1, MaxPeriodDays)
	}
	return nil
}

// ParsePeriod reads a period name of the config ("last_week") or an explicit
// range "YYYY-MM-DD..YYYY-MM-DD" of at most MaxPeriodDays plausible days.
func ParsePeriod(s string) (Period, error) {
	switch k := PeriodKind(s); k {
	case Today, Yesterday, Last7Days, LastWeek, MonthToDate, LastMonth:
		return Period{Kind: k}, nil
	}
	if from, to, ok := strings.Cut(s, ".."); ok {
		f, err1 := livechat.ParseDate(from)
		t, err2 := livechat.ParseDate(to)
		if err1 != nil || err2 != nil {
			return Period{}, fmt.Errorf("digest: period %q: dates must be YYYY-MM-DD..YYYY-MM-DD", s)
		}
		if err := checkRange(f, t); err != nil {
			return Period{}, fmt.Errorf("digest: period %q: %w", s, err)
		}
		return Period{Kind: Explicit, From: f, To: t}, nil
	}
	return Period{}, fmt.Errorf("digest: unknown period %q (want today, yesterday, last_7_days, last_week, month_to_date, last_month or YYYY-MM-DD..YYYY-MM-DD)", s)
}

// CompareMode says which period a digest is compared with.
type CompareMode string

// The compare modes of the contract.
const (
	PreviousPeriod      CompareMode = "previous_period" // the period just before (see CompareRange)
	SameWeekdayLastWeek CompareMode = "same_weekday_last_week"
	NoCompare           CompareMode = "none"
)

// ParseCompare reads a compare mode name.
func ParseCompare(s string) (CompareMode, error) {
	switch m := CompareMode(s); m {
	case PreviousPeriod, SameWeekdayLastWeek, NoCompare:
		return m, nil
	}
	return "", fmt.Errorf("digest: unknown compare %q (want previous_period, same_weekday_last_week or none)", s)
}

// Range resolves p to the calendar days it covers, for a digest built at the
// instant at in the time zone loc. Only the calendar day of at in loc
// matters: at is converted to loc first, so just after local midnight the
// period is already the new day's even while UTC is still on the previous
// one. Days are counted with calendar arithmetic, never as 24-hour steps, so
// DST changes cannot shift a boundary.
//
// The kinds resolve as follows (d is the day of at in loc):
//   - today: d..d (a partial day: the digest shows the day so far)
//   - yesterday: d-1..d-1
//   - last_7_days: d-7..d-1, the seven complete days ending yesterday. A
//     digest is usually sent in the morning; counting today would put a
//     few hours next to six full days and make the week look like a dip.
//     It also keeps last_7_days consistent with yesterday and last_week,
//     which also end with a complete day.
//   - last_week: the Monday..Sunday week before the week of d
//   - month_to_date: the 1st of d's month..d
//   - last_month: the whole calendar month before d's month
//   - explicit: p.From..p.To, whatever at is
//
// A Period that did not come from ParsePeriod and has an unknown kind
// resolves to d..d; Validate reports it.
func (p Period) Range(at time.Time, loc *time.Location) DateRange {
	if loc == nil {
		loc = time.UTC
	}
	d := livechat.DateOf(at.In(loc))
	switch p.Kind {
	case Yesterday:
		y := d.AddDays(-1)
		return DateRange{From: y, To: y}
	case Last7Days:
		return DateRange{From: d.AddDays(-7), To: d.AddDays(-1)}
	case LastWeek:
		monday := d.AddDays(-daysSinceMonday(d))
		return DateRange{From: monday.AddDays(-7), To: monday.AddDays(-1)}
	case MonthToDate:
		return DateRange{From: livechat.Date{Year: d.Year, Month: d.Month, Day: 1}, To: d}
	case LastMonth:
		first := livechat.Date{Year: d.Year, Month: d.Month, Day: 1}
		return monthsBefore(first, 1)
	case Explicit:
		return DateRange{From: p.From, To: p.To}
	}
	return DateRange{From: d, To: d}
}

// Validate reports whether p is a period Range can resolve: a known kind,
// and for Explicit a range ParsePeriod would accept (plausible days, not
// ending before it starts, at most MaxPeriodDays long).
func (p Period) Validate() error {
	switch p.Kind {
	case Today, Yesterday, Last7Days, LastWeek, MonthToDate, LastMonth:
		return nil
	case Explicit:
		if err := checkRange(p.From, p.To); err != nil {
			return fmt.Errorf("digest: period %s: %w", p, err)
		}
		return nil
	}
	return fmt.Errorf("digest: unknown period kind %q", p.Kind)
}

// Validate reports whether m is one of the compare modes.
func (m CompareMode) Validate() error {
	_, err := ParseCompare(string(m))
	return err
}

// CompareRange returns the days a digest of period p, resolved to cur, is
// compared with, or nil for NoCompare (and for an unknown mode).
//
//   - same_weekday_last_week: every day of cur shifted 7 days back, so each
//     day meets the same weekday (a week meets the week before).
//   - previous_period, month_to_date: the same days of the previous month,
//     clipped at that month's end: Nov 1–29 meets Oct 1–29, Mar 1–30 meets
//     Feb 1–28 (all of February). People read "this month so far" against
//     "last month by the same date", not against the 29 days just before.
//   - previous_period, any range that is one or more whole calendar months
//     (last_month, or an explicit range from a 1st to a month's end): the
//     same number of whole months just before, so October meets all of
//     September, not its last 31 days.
//   - previous_period, any other range: the equally long range ending the
//     day before cur starts.
//
// Periods of different lengths (a 31-day month against a 30-day one, a
// clipped month to date) are compared as rates per day by the significance
// tests (see Evidence.Exposure); the values themselves stay totals.
func CompareRange(m CompareMode, p Period, cur DateRange) *DateRange {
	switch m {
	case SameWeekdayLastWeek:
		return &DateRange{From: cur.From.AddDays(-7), To: cur.To.AddDays(-7)}
	case PreviousPeriod:
		if p.Kind == MonthToDate {
			r := sameDaysOfPreviousMonth(cur)
			return &r
		}
		if n, ok := wholeMonths(cur); ok {
			r := monthsBefore(cur.From, n)
			return &r
		}
		n := cur.Days()
		return &DateRange{From: cur.From.AddDays(-n), To: cur.From.AddDays(-1)}
	}
	return nil
}

// sameDaysOfPreviousMonth returns the days of the month before cur.From's
// month numbered like cur's days, ending at that month's last day when cur
// runs past it. cur starts on the 1st (month_to_date).
func sameDaysOfPreviousMonth(cur DateRange) DateRange {
	first := livechat.Date{Year: cur.From.Year, Month: cur.From.Month, Day: 1}
	whole := monthsBefore(first, 1)
	to := livechat.Date{Year: whole.From.Year, Month: whole.From.Month, Day: cur.To.Day}
	if cur.To.Day > whole.To.Day {
		to = whole.To
	}
	return DateRange{From: whole.From, To: to}
}

// Partial reports whether p ends with the day its digest is built on, so
// that its last day is counted only up to the digest's instant: today and
// month_to_date.
func (p Period) Partial() bool { return p.Kind == Today || p.Kind == MonthToDate }

// Elapsed is how much of a partial period's last day has passed, by the
// wall clock in the period's zone: Hour whole hours and Frac of the hour in
// progress. It is wall-clock time on purpose: "today until 10:00" meets
// "yesterday until 10:00" also across a DST change, because customers keep
// wall-clock hours (the 23-hour day simply has no 02:00 bucket).
type Elapsed struct {
	Hour int     // whole hours passed, 0..23
	Frac float64 // the part of hour Hour that has passed, in [0, 1)
}

// ElapsedAt returns how much of its day has passed at at in loc.
func ElapsedAt(at time.Time, loc *time.Location) Elapsed {
	if loc == nil {
		loc = time.UTC
	}
	t := at.In(loc)
	sec := t.Minute()*60 + t.Second()
	return Elapsed{Hour: t.Hour(), Frac: float64(sec) / 3600}
}

// Days is the elapsed part of the day as a fraction of 24 hours.
func (e Elapsed) Days() float64 { return (float64(e.Hour) + e.Frac) / 24 }

// String formats e as the wall-clock time "HH:MM" (minutes rounded down).
func (e Elapsed) String() string {
	return fmt.Sprintf("%02d:%02d", e.Hour, int(e.Frac*60+1e-9))
}

// Days returns the number of calendar days in r, counting both ends.
func (r DateRange) Days() int { return r.From.DaysUntil(r.To) + 1 }

// Contains reports whether day d lies in r.
func (r DateRange) Contains(d livechat.Date) bool {
	return !d.Before(r.From) && !d.After(r.To)
}

// String formats r as "YYYY-MM-DD..YYYY-MM-DD", or one date for a single day.
func (r DateRange) String() string {
	if r.From == r.To {
		return r.From.String()
	}
	return r.From.String() + ".." + r.To.String()
}

// daysSinceMonday is 0 for a Monday and 6 for a Sunday.
func daysSinceMonday(d livechat.Date) int { return (int(d.Weekday()) + 6) % 7 }

// monthsBefore returns the n whole calendar months ending the day before
// first, which must be the 1st of a month.
func monthsBefore(first livechat.Date, n int) DateRange {
	from := livechat.DateOf(time.Date(first.Year, first.Month-time.Month(n), 1, 12, 0, 0, 0, time.UTC))
	return DateRange{From: from, To: first.AddDays(-1)}
}

// wholeMonths reports whether r runs from the 1st of a month to the last day
// of a month, and how many months it covers.
func wholeMonths(r DateRange) (int, bool) {
	if r.From.Day != 1 || r.To.AddDays(1).Day != 1 || r.To.Before(r.From) {
		return 0, false
	}
	n := (r.To.Year-r.From.Year)*12 + int(r.To.Month-r.From.Month) + 1
	return n, true
}
