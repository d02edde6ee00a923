package livechat

import (
	"fmt"
	"time"
)

// Date is a calendar day with no time zone, as the API's date_from and
// date_to arguments and its day buckets are.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads a "YYYY-MM-DD" date and rejects impossible days.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("livechat: bad date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String formats d as "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// In returns the first instant of d in loc: its midnight, or where a DST
// change makes midnight not exist, the instant the clock jumps (01:00), and
// where midnight comes twice, the first.
//
// time.Date alone is not that: for a midnight in a gap it may answer 23:00
// of the day before (America/Santiago, America/Havana, Atlantic/Azores...),
// which put an hour of the previous day into a v3.6 range (and a record
// of that day into its answer); for a repeated one it may answer the
// second.
func (d Date) In(loc *time.Location) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
	if DateOf(t).Before(d) {
		// Midnight is in a gap that time.Date resolved backwards: the day
		// starts when the zone in effect then ends.
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end
		}
	}
	if start, _ := t.ZoneBounds(); !start.IsZero() {
		// The clock fell back into this day (to 00:00 or later): if the
		// day was already under way before the change, it began at
		// midnight at the offset in effect then.
		if before := start.Add(-time.Nanosecond); DateOf(before) == d {
			_, off := before.Zone()
			if first := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.FixedZone("", off)).In(loc); DateOf(first) == d && first.Before(t) {
				t = first
			}
		}
	}
	return t
}

// AddDays returns the date n calendar days after d (before, for negative n).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is a later day than e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	a := d.Year*10000 + int(d.Month)*100 + d.Day
	b := e.Year*10000 + int(e.Month)*100 + e.Day
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DaysUntil returns the number of calendar days from d to e (negative if e is
// before d). It counts with integer arithmetic on the proleptic Gregorian
// calendar rather than subtracting time.Times: a time.Duration saturates at
// about 292 years, which once made far-apart dates come out wrong. Months
// outside 1..12 and days outside the month are normalized as time.Date does.
func (d Date) DaysUntil(e Date) int { return e.dayNumber() - d.dayNumber() }

// dayNumber returns the days from 1970-01-01 to d (Howard Hinnant's
// days_from_civil, with d's month normalized first).
func (d Date) dayNumber() int {
	y, m := d.Year, int(d.Month)-1
	q := floorDiv(m, 12)
	y, m = y+q, m-q*12+1 // m in 1..12
	if m <= 2 {
		y-- // the computation's year starts in March, so leap days come last
	}
	era := floorDiv(y, 400)
	yoe := y - era*400                           // [0, 399]
	mp := (m + 9) % 12                           // March = 0 … February = 11
	doy := (153*mp + 2) / 5                      // [0, 365], day 1 of the month
	doe := yoe*365 + yoe/4 - yoe/100 + doy       // [0, 146096]
	return era*146097 + doe - 719468 + d.Day - 1 // 719468: 0000-03-01 to 1970-01-01
}

// floorDiv is a/b rounded towards minus infinity, for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// MarshalText formats d as "YYYY-MM-DD", so dates are JSON strings.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a "YYYY-MM-DD" date, and "0000-00-00", which
// MarshalText writes for the zero Date, as the zero Date (a period not
// set, such as an alert released when a silence ends, round-trips).
func (d *Date) UnmarshalText(b []byte) error {
	if string(b) == (Date{}).String() {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
