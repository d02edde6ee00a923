package livechat

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDaysUntil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		from Date
		to   Date
		want int
	}{
		{"same day", Date{2026, 3, 2}, Date{2026, 3, 2}, 0},
		{"next day", Date{2026, 3, 2}, Date{2026, 3, 3}, 1},
		{"backwards", Date{2026, 3, 3}, Date{2026, 3, 2}, -1},
		{"over a leap day", Date{2024, 2, 28}, Date{2024, 3, 1}, 2},
		{"over no leap day", Date{2023, 2, 28}, Date{2023, 3, 1}, 1},
		{"1900 is not leap", Date{1900, 2, 28}, Date{1900, 3, 1}, 1},
		{"2000 is leap", Date{2000, 2, 28}, Date{2000, 3, 1}, 2},
		{"over new year", Date{2025, 12, 31}, Date{2026, 1, 1}, 1},
		{"two years", Date{2024, 11, 25}, Date{2026, 11, 24}, 729},
		{"epoch to 2000", Date{1970, 1, 1}, Date{2000, 1, 1}, 10957},
		{"300 years", Date{1800, 1, 1}, Date{2100, 1, 1}, 109573},
		{"whole four-digit range", Date{1, 1, 1}, Date{9999, 12, 31}, 3652058},
		{"whole range backwards", Date{9999, 12, 31}, Date{1, 1, 1}, -3652058},
		{"year 0 is leap", Date{0, 2, 28}, Date{0, 3, 1}, 2},
		{"negative years", Date{-400, 1, 1}, Date{0, 1, 1}, 146097},
		{"month 13 is next January", Date{2025, 13, 1}, Date{2026, 1, 1}, 0},
		{"month 0 is last December", Date{2026, 0, 31}, Date{2025, 12, 31}, 0},
		{"day 0 is the day before", Date{2026, 3, 0}, Date{2026, 2, 28}, 0},
		{"zero date normalizes to year -1 Nov 30", Date{}, Date{1, 1, 1}, 398},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.from.DaysUntil(tt.to); got != tt.want {
				t.Errorf("%v.DaysUntil(%v) = %d, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

// TestDaysUntilMatchesUnix checks DaysUntil against Unix seconds, which do
// not saturate, over dates far beyond what a time.Duration spans.
func TestDaysUntilMatchesUnix(t *testing.T) {
	t.Parallel()
	noon := func(d Date) int64 { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Unix() }
	base := Date{1970, 1, 1}
	for y := -2000; y <= 12000; y += 7 {
		for m := time.Month(-1); m <= 14; m += 3 {
			for _, day := range []int{-1, 1, 15, 29, 31, 40} {
				d := Date{y, m, day}
				want := int((noon(d) - noon(base)) / 86400)
				if got := base.DaysUntil(d); got != want {
					t.Fatalf("%v.DaysUntil(%d-%d-%d) = %d, want %d", base, y, m, day, got, want)
				}
			}
		}
	}
}

// TestDateJSONRoundTrips: every Date written as JSON reads back as itself,
// the zero Date included ("0000-00-00"); other impossible dates are still
// refused.
func TestDateJSONRoundTrips(t *testing.T) {
	t.Parallel()
	for _, d := range []Date{{}, {Year: 2026, Month: time.November, Day: 23}} {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var got Date
		if err := json.Unmarshal(b, &got); err != nil || got != d {
			t.Errorf("%s: read back %v, %v", b, got, err)
		}
	}
	var d Date
	if err := json.Unmarshal([]byte(`"2026-00-10"`), &d); err == nil {
		t.Error("month 0 accepted")
	}
}

// dstZones have a DST change at or around midnight: a midnight that does
// not exist (Santiago, Havana, Azores, Asunción, Scoresbysund: Go's
// time.Date puts it at 23:00 the day before; Beirut, Cairo: at 01:00), or
// one the clock passes twice (Amman, Gaza in 2021).
var dstZones = []string{"America/Santiago", "America/Havana", "Atlantic/Azores", "America/Asuncion",
	"America/Scoresbysund", "Asia/Beirut", "Africa/Cairo", "Asia/Amman", "Asia/Gaza", "Europe/Warsaw",
	"America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "UTC"}

// TestDateInIsTheDaysFirstInstant: In is the first instant whose date in
// the zone is the day, also where midnight falls in a DST gap (Go's
// time.Date then answers 23:00 of the day before in several zones) or
// comes twice.
func TestDateInIsTheDaysFirstInstant(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ zone, day, want string }{
		{"America/Santiago", "2026-09-06", "2026-09-06T01:00:00-03:00"},
		{"America/Havana", "2026-03-08", "2026-03-08T01:00:00-04:00"},
		{"Atlantic/Azores", "2026-03-29", "2026-03-29T01:00:00Z"},
		{"Asia/Beirut", "2026-03-29", "2026-03-29T01:00:00+03:00"},
		{"Asia/Amman", "2021-10-29", "2021-10-29T00:00:00+03:00"},
		{"Europe/Warsaw", "2026-03-29", "2026-03-29T00:00:00+01:00"},
		{"America/Santiago", "2026-09-05", "2026-09-05T00:00:00-04:00"},
	} {
		loc, err := time.LoadLocation(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		if got := date(tt.day).In(loc).Format(time.RFC3339); got != tt.want {
			t.Errorf("%s in %s = %s, want %s", tt.day, tt.zone, got, tt.want)
		}
	}
	for _, zone := range dstZones {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		for d := (Date{2000, 1, 1}); d.Year < 2040; d = d.AddDays(1) {
			start := d.In(loc)
			if DateOf(start) != d || DateOf(start.Add(-time.Nanosecond).In(loc)) != d.AddDays(-1) {
				t.Fatalf("%s in %s = %s: not the first instant of the day", d, zone, start.Format(time.RFC3339Nano))
			}
		}
	}
}
