package jobs

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAt(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC
	}{
		{"2026-11-23T09:00:00-05:00", "2026-11-23T14:00:00Z"},
		{"2026-11-23T14:00:00Z", "2026-11-23T14:00:00Z"},
		{"2026-11-23", "2026-11-23T05:00:00Z"},
		{"2026-11-23T09:00", "2026-11-23T14:00:00Z"},
		{"2026-11-23T09:00:30", "2026-11-23T14:00:30Z"},
		{"2026-07-01T09:00", "2026-07-01T13:00:00Z"}, // EDT
		{"2026-03-08T02:30", "2026-03-08T07:30:00Z"}, // in the gap: 03:30 EDT
		{"2026-11-01T01:30", "2026-11-01T05:30:00Z"}, // ambiguous: the first 01:30 (EDT)
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseAt(tt.in, ny)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.UTC().Format(time.RFC3339))
		})
	}
	for _, bad := range []string{"", "yesterday", "2026-13-01", "2026-11-23T25:00", "23/11/2026"} {
		_, err := ParseAt(bad, ny)
		assert.Error(t, err, bad)
	}
}

// TestFiringOfAnInstant: a scheduled tick rounds to the nearest minute (it
// may come a little early or late), a manual run truncates (it never
// reaches into a minute that has not begun).
func TestFiringOfAnInstant(t *testing.T) {
	t.Parallel()
	est := time.FixedZone("EST", -5*3600)
	at := func(h, m, s, ns int) time.Time { return time.Date(2026, 11, 23, h, m, s, ns, time.UTC) }
	tests := []struct {
		name         string
		in           time.Time
		tick, manual time.Time
	}{
		{"on the minute", at(9, 0, 0, 0), at(9, 0, 0, 0), at(9, 0, 0, 0)},
		{"a tick 2 ms early is the 09:00 firing", at(8, 59, 59, 998_000_000), at(9, 0, 0, 0), at(8, 59, 0, 0)},
		{"a tick late in the minute", at(9, 0, 0, 400_000_000), at(9, 0, 0, 0), at(9, 0, 0, 0)},
		{"11:30:40 by hand is 11:30", at(11, 30, 40, 0), at(11, 31, 0, 0), at(11, 30, 0, 0)},
		{"half a minute rounds up, truncates down", at(11, 30, 30, 0), at(11, 31, 0, 0), at(11, 30, 0, 0)},
		{"the last instant of a day stays on it", at(23, 59, 59, 999_000_000), time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), at(23, 59, 0, 0)},
		{"another zone, same instant", time.Date(2026, 11, 23, 6, 30, 40, 0, est), at(11, 31, 0, 0), at(11, 30, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.tick, FiringKey(tt.in), "scheduled tick")
			assert.Equal(t, tt.manual, ManualFiring(tt.in), "manual run")
			assert.Equal(t, time.UTC, ManualFiring(tt.in).Location())
		})
	}
}
