package digest

import (
	"fmt"
	"strings"

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

// ParsePeriod reads a period name of the config ("last_week") or an explicit
// range "YYYY-MM-DD..YYYY-MM-DD".
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
		if t.Before(f) {
			return Period{}, fmt.Errorf("digest: period %q ends before it starts", s)
		}
		return Period{Kind: Explicit, From: f, To: t}, nil
	}
	return Period{}, fmt.Errorf("digest: unknown period %q (want today, yesterday, last_7_days, last_week, month_to_date, last_month or YYYY-MM-DD..YYYY-MM-DD)", s)
}

// CompareMode says which period a digest is compared with.
type CompareMode string

// The compare modes of the contract.
const (
	PreviousPeriod      CompareMode = "previous_period" // the equally long period just before
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
