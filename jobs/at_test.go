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
