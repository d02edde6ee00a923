package digest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/livechat"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func mustRange(t *testing.T, s string) DateRange {
	t.Helper()
	p, err := ParsePeriod(s)
	require.NoError(t, err)
	return DateRange{From: p.From, To: p.To}
}

func date(t *testing.T, s string) livechat.Date {
	t.Helper()
	d, err := livechat.ParseDate(s)
	require.NoError(t, err)
	return d
}

// TestPeriodRange pins every period kind at instants around the 2026 DST
// changes (US: Mar 8, Nov 1; EU: Mar 29, Oct 25) and around local midnight,
// where the day in the job's zone differs from the UTC day.
func TestPeriodRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, zone, at string
		// want is keyed by period kind; values are "FROM..TO".
		today, yesterday, last7, lastWeek, mtd, lastMonth string
	}{
		{
			name: "utc sunday of US spring forward", zone: "UTC", at: "2026-03-08T04:30:00Z",
			today: "2026-03-08..2026-03-08", yesterday: "2026-03-07..2026-03-07",
			last7: "2026-03-01..2026-03-07", lastWeek: "2026-02-23..2026-03-01",
			mtd: "2026-03-01..2026-03-08", lastMonth: "2026-02-01..2026-02-28",
		},
		{
			// 23:30 EST on Saturday: UTC is already on Sunday.
			name: "new york late evening before spring forward", zone: "America/New_York", at: "2026-03-08T04:30:00Z",
			today: "2026-03-07..2026-03-07", yesterday: "2026-03-06..2026-03-06",
			last7: "2026-02-28..2026-03-06", lastWeek: "2026-02-23..2026-03-01",
			mtd: "2026-03-01..2026-03-07", lastMonth: "2026-02-01..2026-02-28",
		},
		{
			name: "new york just after midnight on spring forward day", zone: "America/New_York", at: "2026-03-08T05:30:00Z",
			today: "2026-03-08..2026-03-08", yesterday: "2026-03-07..2026-03-07",
			last7: "2026-03-01..2026-03-07", lastWeek: "2026-02-23..2026-03-01",
			mtd: "2026-03-01..2026-03-08", lastMonth: "2026-02-01..2026-02-28",
		},
		{
			// 00:30 EDT Monday: the week that just ended holds the 23-hour day.
			name: "new york monday after spring forward", zone: "America/New_York", at: "2026-03-09T04:30:00Z",
			today: "2026-03-09..2026-03-09", yesterday: "2026-03-08..2026-03-08",
			last7: "2026-03-02..2026-03-08", lastWeek: "2026-03-02..2026-03-08",
			mtd: "2026-03-01..2026-03-09", lastMonth: "2026-02-01..2026-02-28",
		},
		{
			// 00:30 CET on Sunday Mar 29; UTC is still on Saturday.
			name: "warsaw just after midnight on spring forward day", zone: "Europe/Warsaw", at: "2026-03-28T23:30:00Z",
			today: "2026-03-29..2026-03-29", yesterday: "2026-03-28..2026-03-28",
			last7: "2026-03-22..2026-03-28", lastWeek: "2026-03-16..2026-03-22",
			mtd: "2026-03-01..2026-03-29", lastMonth: "2026-02-01..2026-02-28",
		},
		{
			// 00:30 CEST Monday; UTC is still on Sunday.
			name: "warsaw monday after spring forward", zone: "Europe/Warsaw", at: "2026-03-29T22:30:00Z",
			today: "2026-03-30..2026-03-30", yesterday: "2026-03-29..2026-03-29",
			last7: "2026-03-23..2026-03-29", lastWeek: "2026-03-23..2026-03-29",
			mtd: "2026-03-01..2026-03-30", lastMonth: "2026-02-01..2026-02-28",
		},
		{
			name: "warsaw just after midnight on fall back day", zone: "Europe/Warsaw", at: "2026-10-24T22:30:00Z",
			today: "2026-10-25..2026-10-25", yesterday: "2026-10-24..2026-10-24",
			last7: "2026-10-18..2026-10-24", lastWeek: "2026-10-12..2026-10-18",
			mtd: "2026-10-01..2026-10-25", lastMonth: "2026-09-01..2026-09-30",
		},
		{
			// 23:30 CET, the end of the 25-hour day.
			name: "warsaw late on fall back day", zone: "Europe/Warsaw", at: "2026-10-25T22:30:00Z",
			today: "2026-10-25..2026-10-25", yesterday: "2026-10-24..2026-10-24",
			last7: "2026-10-18..2026-10-24", lastWeek: "2026-10-12..2026-10-18",
			mtd: "2026-10-01..2026-10-25", lastMonth: "2026-09-01..2026-09-30",
		},
		{
			name: "new york just after midnight on fall back day", zone: "America/New_York", at: "2026-11-01T04:30:00Z",
			today: "2026-11-01..2026-11-01", yesterday: "2026-10-31..2026-10-31",
			last7: "2026-10-25..2026-10-31", lastWeek: "2026-10-19..2026-10-25",
			mtd: "2026-11-01..2026-11-01", lastMonth: "2026-10-01..2026-10-31",
		},
		{
			// 23:30 EST on Sunday; UTC is already on Monday.
			name: "new york late on fall back day", zone: "America/New_York", at: "2026-11-02T04:30:00Z",
			today: "2026-11-01..2026-11-01", yesterday: "2026-10-31..2026-10-31",
			last7: "2026-10-25..2026-10-31", lastWeek: "2026-10-19..2026-10-25",
			mtd: "2026-11-01..2026-11-01", lastMonth: "2026-10-01..2026-10-31",
		},
		{
			name: "utc midnight first of month", zone: "UTC", at: "2026-11-01T00:00:00Z",
			today: "2026-11-01..2026-11-01", yesterday: "2026-10-31..2026-10-31",
			last7: "2026-10-25..2026-10-31", lastWeek: "2026-10-19..2026-10-25",
			mtd: "2026-11-01..2026-11-01", lastMonth: "2026-10-01..2026-10-31",
		},
		{
			// 00:30 CET Nov 1; UTC is still in October.
			name: "warsaw new month while utc is in the old one", zone: "Europe/Warsaw", at: "2026-10-31T23:30:00Z",
			today: "2026-11-01..2026-11-01", yesterday: "2026-10-31..2026-10-31",
			last7: "2026-10-25..2026-10-31", lastWeek: "2026-10-19..2026-10-25",
			mtd: "2026-11-01..2026-11-01", lastMonth: "2026-10-01..2026-10-31",
		},
		{
			// 22:00 EST Feb 28; UTC is already in March.
			name: "new york old month while utc is in the new one", zone: "America/New_York", at: "2026-03-01T03:00:00Z",
			today: "2026-02-28..2026-02-28", yesterday: "2026-02-27..2026-02-27",
			last7: "2026-02-21..2026-02-27", lastWeek: "2026-02-16..2026-02-22",
			mtd: "2026-02-01..2026-02-28", lastMonth: "2026-01-01..2026-01-31",
		},
		{
			name: "warsaw new year while utc is in the old one", zone: "Europe/Warsaw", at: "2025-12-31T23:30:00Z",
			today: "2026-01-01..2026-01-01", yesterday: "2025-12-31..2025-12-31",
			last7: "2025-12-25..2025-12-31", lastWeek: "2025-12-22..2025-12-28",
			mtd: "2026-01-01..2026-01-01", lastMonth: "2025-12-01..2025-12-31",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := mustLoc(t, tt.zone)
			at, err := time.Parse(time.RFC3339, tt.at)
			require.NoError(t, err)
			for kind, want := range map[PeriodKind]string{
				Today: tt.today, Yesterday: tt.yesterday, Last7Days: tt.last7,
				LastWeek: tt.lastWeek, MonthToDate: tt.mtd, LastMonth: tt.lastMonth,
			} {
				got := Period{Kind: kind}.Range(at, loc)
				assert.Equal(t, mustRange(t, want), got, "%s", kind)
			}
			// An explicit period ignores the instant.
			ex, err := ParsePeriod("2026-02-10..2026-02-12")
			require.NoError(t, err)
			assert.Equal(t, mustRange(t, "2026-02-10..2026-02-12"), ex.Range(at, loc))
		})
	}
}

func TestCompareRange(t *testing.T) {
	t.Parallel()
	mtd := Period{Kind: MonthToDate}
	tests := []struct {
		name string
		mode CompareMode
		p    Period // zero: an explicit range
		cur  string
		want string // "" is nil
	}{
		{"none", NoCompare, Period{}, "2026-11-16..2026-11-22", ""},
		{"unknown mode", CompareMode("bogus"), Period{}, "2026-11-16..2026-11-22", ""},
		{"previous week", PreviousPeriod, Period{}, "2026-11-16..2026-11-22", "2026-11-09..2026-11-15"},
		{"previous day", PreviousPeriod, Period{}, "2026-03-08..2026-03-08", "2026-03-07..2026-03-07"},
		{"previous 7 days across EU spring forward", PreviousPeriod, Period{}, "2026-03-30..2026-04-05", "2026-03-23..2026-03-29"},
		{"previous of a whole month is the whole month before", PreviousPeriod, Period{}, "2026-10-01..2026-10-31", "2026-09-01..2026-09-30"},
		{"march compares with february", PreviousPeriod, Period{}, "2026-03-01..2026-03-31", "2026-02-01..2026-02-28"},
		{"january compares with december", PreviousPeriod, Period{}, "2026-01-01..2026-01-31", "2025-12-01..2025-12-31"},
		{"two whole months", PreviousPeriod, Period{}, "2026-03-01..2026-04-30", "2026-01-01..2026-02-28"},
		{"explicit whole quarter", PreviousPeriod, Period{}, "2026-04-01..2026-06-30", "2026-01-01..2026-03-31"},
		{"explicit part of a month is the days just before", PreviousPeriod, Period{}, "2026-03-01..2026-03-15", "2026-02-14..2026-02-28"},
		{"mid month range", PreviousPeriod, Period{}, "2026-02-15..2026-03-14", "2026-01-18..2026-02-14"},
		// Issue 10 item 13: month to date meets the same days of the
		// previous month, clipped at its end.
		{"month to date nov 29 meets oct 1-29", PreviousPeriod, mtd, "2026-11-01..2026-11-29", "2026-10-01..2026-10-29"},
		{"month to date mar 30 meets all of february", PreviousPeriod, mtd, "2026-03-01..2026-03-30", "2026-02-01..2026-02-28"},
		{"month to date mar 29 meets all of february", PreviousPeriod, mtd, "2026-03-01..2026-03-29", "2026-02-01..2026-02-28"},
		{"month to date mar 28 meets feb 1-28", PreviousPeriod, mtd, "2026-03-01..2026-03-28", "2026-02-01..2026-02-28"},
		{"month to date in a leap year meets feb 1-29", PreviousPeriod, mtd, "2028-03-01..2028-03-30", "2028-02-01..2028-02-29"},
		{"month to date mar 31 meets february", PreviousPeriod, mtd, "2026-03-01..2026-03-31", "2026-02-01..2026-02-28"},
		{"month to date nov 30 meets oct 1-30, not all of october", PreviousPeriod, mtd, "2026-11-01..2026-11-30", "2026-10-01..2026-10-30"},
		{"month to date dec 31 meets november", PreviousPeriod, mtd, "2026-12-01..2026-12-31", "2026-11-01..2026-11-30"},
		{"month to date on the 1st meets the 1st", PreviousPeriod, mtd, "2026-11-01..2026-11-01", "2026-10-01..2026-10-01"},
		{"month to date in january meets december", PreviousPeriod, mtd, "2027-01-01..2027-01-15", "2026-12-01..2026-12-15"},
		{"month to date feb 28 meets jan 1-28", PreviousPeriod, mtd, "2026-02-01..2026-02-28", "2026-01-01..2026-01-28"},
		{"month to date with same weekday shifts a week", SameWeekdayLastWeek, mtd, "2026-11-01..2026-11-10", "2026-10-25..2026-11-03"},
		{"same weekday one day", SameWeekdayLastWeek, Period{}, "2026-11-04..2026-11-04", "2026-10-28..2026-10-28"},
		{"same weekday a week", SameWeekdayLastWeek, Period{}, "2026-11-16..2026-11-22", "2026-11-09..2026-11-15"},
		{"same weekday across US fall back", SameWeekdayLastWeek, Period{}, "2026-11-01..2026-11-03", "2026-10-25..2026-10-27"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := tt.p
			if p.Kind == "" {
				cur := mustRange(t, tt.cur)
				p = Period{Kind: Explicit, From: cur.From, To: cur.To}
			}
			got := CompareRange(tt.mode, p, mustRange(t, tt.cur))
			if tt.want == "" {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, mustRange(t, tt.want), *got)
		})
	}
}

// TestMonthToDateAcrossMonthsAndZones resolves month_to_date at the same
// wall-clock time on every day of 2026 and 2028 (a leap year) in zones with
// and without DST and checks the rule: the previous month's days numbered
// like the current ones, clipped at its end, and never a day of the
// current month.
func TestMonthToDateAcrossMonthsAndZones(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"UTC", "Europe/Warsaw", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"} {
		loc := mustLoc(t, zone)
		for _, year := range []int{2026, 2028} {
			for day := time.Date(year, 1, 1, 0, 30, 0, 0, loc); day.Year() == year; day = day.AddDate(0, 0, 1) {
				cur := Period{Kind: MonthToDate}.Range(day, loc)
				prev := CompareRange(PreviousPeriod, Period{Kind: MonthToDate}, cur)
				require.NotNil(t, prev)
				lastOfPrev := cur.From.AddDays(-1)
				if prev.From.Day != 1 || prev.To.After(lastOfPrev) || prev.From.Month == cur.From.Month {
					t.Fatalf("%s %s: %v compared with %v", zone, day, cur, prev)
				}
				want := min(cur.To.Day, lastOfPrev.Day)
				if prev.To.Day != want || prev.Days() != want {
					t.Fatalf("%s %s: %v compared with %v, want %d days", zone, day, cur, prev, want)
				}
			}
		}
	}
}

func TestPeriodValidate(t *testing.T) {
	t.Parallel()
	explicit := func(from, to livechat.Date) Period { return Period{Kind: Explicit, From: from, To: to} }
	tests := []struct {
		name    string
		p       Period
		wantErr string // "" means valid
	}{
		{"a kind", Period{Kind: LastWeek}, ""},
		{"unknown kind", Period{Kind: "fortnight"}, "unknown period kind"},
		{"explicit without dates", Period{Kind: Explicit}, "not a plausible date"},
		{"reversed", explicit(date(t, "2026-02-02"), date(t, "2026-02-01")), "ends before it starts"},
		{"one day", explicit(date(t, "2026-02-01"), date(t, "2026-02-01")), ""},
		{"731 days", explicit(date(t, "2024-11-25"), date(t, "2026-11-25")), ""},
		{"732 days", explicit(date(t, "2024-11-25"), date(t, "2026-11-26")), "a range can span at most 731 days"},
		{"whole four-digit range", explicit(date(t, "0001-01-01"), date(t, "9999-12-31")), "not a plausible date"},
		{"year 1999", explicit(date(t, "1999-12-31"), date(t, "2000-01-01")), "1999-12-31 is not a plausible date"},
		{"first plausible day", explicit(date(t, "2000-01-01"), date(t, "2000-01-01")), ""},
		{"last plausible day", explicit(date(t, "2100-12-31"), date(t, "2100-12-31")), ""},
		{"year 2101", explicit(date(t, "2100-12-31"), date(t, "2101-01-01")), "2101-01-01 is not a plausible date"},
		{"impossible day", explicit(livechat.Date{Year: 2026, Month: 2, Day: 30}, date(t, "2026-03-02")), "not a plausible date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.p.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Regexp(t, "^digest: ", err.Error())
		})
	}
	assert.NoError(t, PreviousPeriod.Validate())
	assert.Error(t, CompareMode("").Validate())
}

// TestParsePeriodLimits checks that ParsePeriod refuses what Validate
// refuses, so config and Build agree.
func TestParsePeriodLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		wantErr string
	}{
		{"2024-11-25..2026-11-25", ""},
		{"2024-11-25..2026-11-26", `digest: period "2024-11-25..2026-11-26": spans 732 days; a range can span at most 731 days`},
		{"0001-01-01..9999-12-31", `digest: period "0001-01-01..9999-12-31": 0001-01-01 is not a plausible date (want a day in 2000..2100)`},
		{"2026-01-01..9999-12-31", "9999-12-31 is not a plausible date"},
		{"1970-01-01..1970-01-02", "1970-01-01 is not a plausible date"},
		{"2026-11-07..2026-11-01", `digest: period "2026-11-07..2026-11-01": ends before it starts`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePeriod(tt.in)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.NoError(t, p.Validate())
				assert.Equal(t, MaxPeriodDays, p.Range(time.Time{}, time.UTC).Days())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestDateRange(t *testing.T) {
	t.Parallel()
	r := mustRange(t, "2026-10-25..2026-11-01")
	assert.Equal(t, 8, r.Days())
	assert.True(t, r.Contains(date(t, "2026-10-25")))
	assert.True(t, r.Contains(date(t, "2026-11-01")))
	assert.False(t, r.Contains(date(t, "2026-10-24")))
	assert.False(t, r.Contains(date(t, "2026-11-02")))
	assert.Equal(t, "2026-10-25..2026-11-01", r.String())
	assert.Equal(t, "2026-10-25", DateRange{From: r.From, To: r.From}.String())
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"last_week", "2026-01-01..2026-01-31", "2026-02-30..2026-03-01", "..", "today", "0001-01-01..9999-12-31", "2024-11-25..2026-11-25"} {
		f.Add(s)
	}
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed %q but invalid: %v", s, err)
		}
		r := p.Range(at, time.UTC)
		if r.To.Before(r.From) {
			t.Fatalf("%q: range %v ends before it starts", s, r)
		}
		if r.Days() > MaxPeriodDays {
			t.Fatalf("%q: range %v spans %d days", s, r, r.Days())
		}
		if c := CompareRange(PreviousPeriod, p, r); c == nil || !c.To.Before(r.From) || c.Days() < 28 && c.Days() != r.Days() {
			t.Fatalf("%q: previous of %v is %v", s, r, c)
		}
	})
}
