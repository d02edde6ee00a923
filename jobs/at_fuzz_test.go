package jobs

import (
	"testing"
	"time"
)

// FuzzParseAt feeds arbitrary --at text, which comes from the command line,
// through ParseAt in zones with an hour gap, a half-hour gap and none. It
// must never panic, and a time it accepts must format as RFC 3339 that
// parses back to the same text, since run logs and stores the firing that way.
func FuzzParseAt(f *testing.F) {
	var locs []*time.Location
	for _, name := range []string{"UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		locs = append(locs, loc)
	}
	for _, s := range []string{
		"2026-11-23T09:00:00-05:00", "2026-11-23T14:00:00Z", "2026-11-23", "2026-11-23T09:00",
		"2026-11-23T09:00:30", "2026-11-23 09:00", "2026-11-23 09:00:30", "2026-03-08T02:30",
		"2026-11-01T01:30", "2026-10-04T02:15", "0000-01-01", "9999-12-31T23:59:59",
		"9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59", "2026-11-23T09:00:00.999999999Z",
		"", "yesterday", "2026-13-01", "2026-11-23T25:00", "23/11/2026", "\x00\xff",
	} {
		for i := range locs {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, s string, zone uint8) {
		loc := locs[int(zone)%len(locs)]
		at, err := ParseAt(s, loc)
		if err != nil {
			if !at.IsZero() {
				t.Fatalf("ParseAt(%q) failed with a time %v: %v", s, at, err)
			}
			return
		}
		text := at.Format(time.RFC3339)
		back, err := time.Parse(time.RFC3339, text)
		if err != nil {
			t.Fatalf("ParseAt(%q) = %q, not RFC 3339: %v", s, text, err)
		}
		if again := back.Format(time.RFC3339); again != text {
			t.Fatalf("ParseAt(%q) = %q, which reads back as %q", s, text, again)
		}
	})
}
