package hours

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func win(t *testing.T, days []string, times ...string) Window {
	t.Helper()
	w, err := ParseWindow(days, times)
	require.NoError(t, err)
	return w
}

func TestParseRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Range
		wantErr string
	}{
		{in: "08:00-18:00", want: Range{480, 1080}},
		{in: " 00:00 - 23:59 ", want: Range{0, 1439}},
		{in: "18:30-24:00", want: Range{1110, 1440}},
		{in: "22:00-06:00", want: Range{1320, 360}},
		{in: "23:59-00:00", want: Range{1439, 0}},
		{in: "00:01-00:00", want: Range{1, 0}},
		{in: "09:00-09:01", want: Range{540, 541}},
		{in: "08:00", wantErr: "want HH:MM-HH:MM"},
		{in: "8:00-18:00", wantErr: `start "8:00"`},
		{in: "24:00-06:00", wantErr: `start "24:00"`},
		{in: "08:00-24:01", wantErr: `end "24:01"`},
		{in: "08:00-25:00", wantErr: `end "25:00"`},
		{in: "08:60-09:00", wantErr: `start "08:60"`},
		{in: "-1:00-09:00", wantErr: `start ""`},
		{in: "aa:00-09:00", wantErr: `start "aa:00"`},
		{in: "08:bb-09:00", wantErr: `start "08:bb"`},
		{in: "08:00-0900", wantErr: `end "0900"`},
		{in: "08:00-009:00", wantErr: `end "009:00"`},
		{in: "08:00-09:000", wantErr: `end "09:000"`},
		{in: "08:00-08:00", wantErr: "whole day or nothing"},
		{in: "00:00-24:00", wantErr: "whole day or nothing"},
		{in: "00:00-00:00", wantErr: "whole day or nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRange(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRangeString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "08:05-18:00", Range{485, 1080}.String())
	assert.Equal(t, "22:00-24:00", Range{1320, 1440}.String())
}

func TestParseWindowDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		days    []string
		want    string // one letter per weekday from Sunday, x = in
		wantErr string
	}{
		{name: "none is every day", days: nil, want: "xxxxxxx"},
		{name: "mon-fri", days: []string{"mon-fri"}, want: ".xxxxx."},
		{name: "single days", days: []string{"sat", "Sunday"}, want: "x.....x"},
		{name: "wraps past sunday", days: []string{"fri-mon"}, want: "xx...xx"},
		{name: "one-day range", days: []string{"wed-wed"}, want: "...x..."},
		{name: "spaces", days: []string{" tue - thu "}, want: "..xxx.."},
		{name: "unknown day", days: []string{"mon", "funday"}, wantErr: `weekday "funday"`},
		{name: "unknown end", days: []string{"mon-fry"}, wantErr: `weekday "mon-fry"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ParseWindow(tt.days, nil)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			got := ""
			for _, in := range w.Days {
				if in {
					got += "x"
				} else {
					got += "."
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := ParseWindow([]string{"mon"}, []string{"8-9"})
	assert.ErrorContains(t, err, `times "8-9"`)
}

func TestContains(t *testing.T) {
	t.Parallel()
	ny := mustLoad(t, "America/New_York")
	waw := mustLoad(t, "Europe/Warsaw")
	office := Schedule{win(t, []string{"mon-fri"}, "08:00-18:00")}
	night := Schedule{win(t, []string{"fri"}, "22:00-06:00")}
	weekend := Schedule{win(t, []string{"sat-sun"})}
	split := Schedule{win(t, []string{"mon"}, "08:00-12:00", "13:00-17:00"), win(t, []string{"sat"}, "10:00-11:00")}
	// 2026-11-23 is a Monday.
	at := func(loc *time.Location, d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }
	tests := []struct {
		name string
		s    Schedule
		loc  *time.Location
		at   time.Time
		want bool
	}{
		{"empty schedule is always", nil, ny, at(ny, 22, 3, 0), true},
		{"monday 07:59", office, ny, at(ny, 23, 7, 59), false},
		{"monday 08:00", office, ny, at(ny, 23, 8, 0), true},
		{"monday 17:59", office, ny, at(ny, 23, 17, 59), true},
		{"monday 18:00", office, ny, at(ny, 23, 18, 0), false},
		{"saturday 10:00", office, ny, at(ny, 28, 10, 0), false},
		{"read in the job's zone, not the instant's", office, ny, at(time.UTC, 23, 13, 0), true},
		{"13:00 UTC is 08:00 in NY but not in Warsaw", office, waw, at(time.UTC, 23, 17, 30), false},
		{"friday 21:59", night, ny, at(ny, 27, 21, 59), false},
		{"friday 22:00", night, ny, at(ny, 27, 22, 0), true},
		{"friday 23:59", night, ny, at(ny, 27, 23, 59), true},
		{"saturday 00:00", night, ny, at(ny, 28, 0, 0), true},
		{"saturday 05:59", night, ny, at(ny, 28, 5, 59), true},
		{"saturday 06:00", night, ny, at(ny, 28, 6, 0), false},
		{"saturday 22:00 is not friday", night, ny, at(ny, 28, 22, 0), false},
		{"friday 05:00 belongs to thursday", night, ny, at(ny, 27, 5, 0), false},
		{"weekend whole day", weekend, ny, at(ny, 29, 23, 59), true},
		{"weekend monday 00:00", weekend, ny, at(ny, 30, 0, 0), false},
		{"split lunch", split, ny, at(ny, 23, 12, 30), false},
		{"split afternoon", split, ny, at(ny, 23, 13, 0), true},
		{"split second window", split, ny, at(ny, 28, 10, 30), true},
		{"split second window ends", split, ny, at(ny, 28, 11, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.s.Contains(tt.at, tt.loc))
		})
	}
}

// TestDST: wall-clock windows on the days the clocks change, in New York
// (8 March and 1 November 2026) and Warsaw (29 March and 25 October 2026).
func TestDST(t *testing.T) {
	t.Parallel()
	ny := mustLoad(t, "America/New_York")
	waw := mustLoad(t, "Europe/Warsaw")
	office := Schedule{win(t, nil, "08:00-18:00")}
	early := Schedule{win(t, nil, "02:30-04:00")}
	night := Schedule{win(t, nil, "22:00-06:00")}
	utc := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name string
		s    Schedule
		loc  *time.Location
		at   time.Time
		want bool
	}{
		// New York spring forward: 02:00 EST → 03:00 EDT (07:00 UTC).
		{"ny spring 08:00 EDT is 12:00 UTC", office, ny, utc(3, 8, 12, 0), true},
		{"ny spring 07:59 EDT", office, ny, utc(3, 8, 11, 59), false},
		{"ny spring 01:59 EST is before the gap", early, ny, utc(3, 8, 6, 59), false},
		{"ny spring 03:00 EDT is inside 02:30-04:00", early, ny, utc(3, 8, 7, 0), true},
		{"ny spring 04:00 EDT", early, ny, utc(3, 8, 8, 0), false},
		{"ny spring night 05:59 EDT", night, ny, utc(3, 8, 9, 59), true},
		{"ny spring night 06:00 EDT", night, ny, utc(3, 8, 10, 0), false},
		// New York fall back: 02:00 EDT → 01:00 EST (06:00 UTC).
		{"ny fall 08:00 EST is 13:00 UTC", office, ny, utc(11, 1, 13, 0), true},
		{"ny fall 12:00 UTC is 07:00 EST", office, ny, utc(11, 1, 12, 0), false},
		{"ny fall night 05:59 EST", night, ny, utc(11, 1, 10, 59), true},
		{"ny fall night 06:00 EST", night, ny, utc(11, 1, 11, 0), false},
		// Warsaw spring forward: 02:00 CET → 03:00 CEST (01:00 UTC).
		{"waw spring 08:00 CEST is 06:00 UTC", office, waw, utc(3, 29, 6, 0), true},
		{"waw spring 05:59 UTC", office, waw, utc(3, 29, 5, 59), false},
		{"waw spring 03:00 CEST inside 02:30-04:00", early, waw, utc(3, 29, 1, 0), true},
		// Warsaw fall back: 03:00 CEST → 02:00 CET (01:00 UTC).
		{"waw fall 08:00 CET is 07:00 UTC", office, waw, utc(10, 25, 7, 0), true},
		{"waw fall 06:59 UTC", office, waw, utc(10, 25, 6, 59), false},
		{"waw fall 02:30 CEST", early, waw, utc(10, 25, 0, 30), true},
		{"waw fall 02:30 CET, the hour again", early, waw, utc(10, 25, 1, 30), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.s.Contains(tt.at, tt.loc))
		})
	}
}

func TestNextOpen(t *testing.T) {
	t.Parallel()
	ny := mustLoad(t, "America/New_York")
	waw := mustLoad(t, "Europe/Warsaw")
	office := Schedule{win(t, []string{"mon-fri"}, "08:00-18:00")}
	early := Schedule{win(t, nil, "02:30-04:00")}
	night := Schedule{win(t, []string{"fri"}, "22:00-06:00")}
	weekend := Schedule{win(t, []string{"sat"})}
	joined := Schedule{win(t, []string{"mon"}, "00:00-12:00"), win(t, []string{"sun"}, "18:00-24:00")}
	lhi := mustLoad(t, "Australia/Lord_Howe") // springs forward 30 minutes, 02:00 → 02:30
	early2 := Schedule{win(t, nil, "02:15-04:00")}
	local := func(loc *time.Location, mo time.Month, d, h, m int) time.Time {
		return time.Date(2026, mo, d, h, m, 0, 0, loc)
	}
	tests := []struct {
		name string
		s    Schedule
		loc  *time.Location
		at   time.Time
		want time.Time
	}{
		{"inside: now", office, ny, local(ny, 11, 23, 9, 0), local(ny, 11, 23, 9, 0)},
		{"monday 07:00 → 08:00", office, ny, local(ny, 11, 23, 7, 0), local(ny, 11, 23, 8, 0)},
		{"monday 07:59:59 → 08:00", office, ny, local(ny, 11, 23, 7, 59).Add(59 * time.Second), local(ny, 11, 23, 8, 0)},
		{"monday 18:00 → tuesday 08:00", office, ny, local(ny, 11, 23, 18, 0), local(ny, 11, 24, 8, 0)},
		{"friday 19:00 → monday 08:00", office, ny, local(ny, 11, 27, 19, 0), local(ny, 11, 30, 8, 0)},
		{"night: friday 12:00 → 22:00", night, ny, local(ny, 11, 27, 12, 0), local(ny, 11, 27, 22, 0)},
		{"night: saturday 07:00 → next friday", night, ny, local(ny, 11, 28, 7, 0), local(ny, 12, 4, 22, 0)},
		{"whole day: friday → saturday 00:00", weekend, ny, local(ny, 11, 27, 15, 0), local(ny, 11, 28, 0, 0)},
		{"sunday 18:00 runs into monday: opens sunday", joined, ny, local(ny, 11, 29, 12, 0), local(ny, 11, 29, 18, 0)},
		// 2026-03-06 is a Friday; the office opens Monday 9 March, after NY's change.
		{"ny across spring forward: 08:00 EDT", office, ny, local(ny, 3, 6, 19, 0), time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)},
		{"ny gap day: 02:30 does not exist, opens when the clock jumps, 03:00 EDT", early, ny, local(ny, 3, 8, 1, 0), time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
		{"ny fall back: 08:00 EST", office, ny, local(ny, 10, 30, 19, 0), time.Date(2026, 11, 2, 13, 0, 0, 0, time.UTC)},
		{"waw spring: 08:00 CEST", office, waw, local(waw, 3, 27, 19, 0), time.Date(2026, 3, 30, 6, 0, 0, 0, time.UTC)},
		{"waw fall: 02:30 CEST, the first one", early, waw, time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
		{"waw gap day: 02:30 does not exist, opens when the clock jumps, 03:00 CEST", early, waw, local(waw, 3, 29, 1, 0), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"ny gap day: a window all in the gap is skipped", Schedule{win(t, nil, "02:15-02:45")}, ny, local(ny, 3, 8, 1, 0), time.Date(2026, 3, 9, 6, 15, 0, 0, time.UTC)},
		{"lord howe gap day: the half-hour jump, 02:15 opens at 02:30", early2, lhi, time.Date(2026, 10, 3, 14, 0, 0, 0, time.UTC), time.Date(2026, 10, 3, 15, 30, 0, 0, time.UTC)},
		{"ny fall day: 01:30 opens again in the repeated hour", Schedule{win(t, nil, "01:30-01:45")}, ny, time.Date(2026, 11, 1, 5, 50, 0, 0, time.UTC), time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)},
		{"ny spring day: 03:30 EDT, just after the gap", Schedule{win(t, nil, "03:30-05:00")}, ny, local(ny, 3, 8, 1, 0), time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)},
		{"ny fall day itself: 08:00 EST", Schedule{win(t, nil, "08:00-18:00")}, ny, time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 13, 0, 0, 0, time.UTC)},
		{"waw fall day itself: 08:00 CET", Schedule{win(t, nil, "08:00-18:00")}, waw, time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 7, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.s.NextOpen(tt.at, tt.loc)
			require.True(t, ok)
			assert.True(t, tt.want.Equal(got), "want %s, got %s", tt.want.UTC(), got.UTC())
		})
	}
	_, ok := Schedule{{}}.NextOpen(local(ny, 11, 23, 7, 0), ny)
	assert.False(t, ok, "a window with no day never opens")
}

// TestRangeOfNoLength: ParseRange refuses start == end, but a Range built
// by hand with them equal reads as a day from its start (the past-midnight
// path), never as nothing.
func TestRangeOfNoLength(t *testing.T) {
	t.Parallel()
	w := Window{Days: [7]bool{time.Monday: true}, Times: []Range{{Start: 600, End: 600}}}
	mon := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	assert.True(t, w.Contains(mon, time.UTC))
	assert.True(t, w.Contains(mon.Add(23*time.Hour+59*time.Minute), time.UTC))
	assert.False(t, w.Contains(mon.Add(-time.Minute), time.UTC))
}

// TestNextOpenIsTheFirstContainedInstant: NextOpen is what it promises,
// the first instant at or after t that Contains holds. Checked every ten
// minutes over both DST nights of zones far from UTC, with half-hour
// changes and changes at midnight, for windows that start in the gap, lie
// in it, repeat in the hour set back, and run past midnight; each answer
// against the minutes before it (up to 12 h).
func TestNextOpenIsTheFirstContainedInstant(t *testing.T) {
	t.Parallel()
	schedules := map[string]Schedule{
		"gap":      {win(t, nil, "02:30-04:00")},
		"in gap":   {win(t, nil, "02:15-02:45")},
		"repeated": {win(t, nil, "01:30-01:45")},
		"midnight": {win(t, nil, "00:00-00:30")},
		"night":    {win(t, []string{"sat"}, "22:00-02:30")},
	}
	nights := map[string][]time.Time{ // 20:00 local the evening before each change
		"America/New_York":    {time.Date(2026, 3, 7, 20, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 20, 0, 0, 0, time.UTC)},
		"Europe/Warsaw":       {time.Date(2026, 3, 28, 20, 0, 0, 0, time.UTC), time.Date(2026, 10, 24, 20, 0, 0, 0, time.UTC)},
		"Australia/Lord_Howe": {time.Date(2026, 4, 4, 20, 0, 0, 0, time.UTC), time.Date(2026, 10, 3, 20, 0, 0, 0, time.UTC)},
		"Pacific/Auckland":    {time.Date(2026, 4, 4, 20, 0, 0, 0, time.UTC), time.Date(2026, 9, 26, 20, 0, 0, 0, time.UTC)},
		"Pacific/Chatham":     {time.Date(2026, 4, 4, 20, 0, 0, 0, time.UTC), time.Date(2026, 9, 26, 20, 0, 0, 0, time.UTC)},
		"America/Santiago":    {time.Date(2026, 4, 4, 20, 0, 0, 0, time.UTC), time.Date(2026, 9, 5, 20, 0, 0, 0, time.UTC)},
	}
	for zone, days := range nights {
		loc := mustLoad(t, zone)
		for _, d := range days {
			day := time.Date(d.Year(), d.Month(), d.Day(), 20, 0, 0, 0, loc)
			for name, s := range schedules {
				for at := day; at.Before(day.Add(10 * time.Hour)); at = at.Add(10 * time.Minute) {
					got, ok := s.NextOpen(at, loc)
					require.True(t, ok)
					require.True(t, s.Contains(got, loc), "%s %s from %s: %s is not open", zone, name, at, got)
					for c := at; c.Before(got) && c.Before(at.Add(12*time.Hour)); c = c.Add(time.Minute) {
						require.False(t, s.Contains(c, loc), "%s %s from %s: open already at %s, NextOpen said %s", zone, name, at, c, got)
					}
				}
			}
		}
	}
}
