package query

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMatcher(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, job, metric string }{
		{"frt-watch", "frt-watch", ""},
		{" frt-watch/chats_first_response_time.seconds ", "frt-watch", "chats_first_response_time.seconds"},
		{"", "", ""},
		{"/metric", "", ""},
		{"a/b/c", "", ""},
		{"a b/c", "", ""},
		{"a\tb", "", ""},
	}
	for _, tt := range tests {
		job, metric, err := ParseMatcher(tt.in)
		if tt.job == "" {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.job, job)
		assert.Equal(t, tt.metric, metric)
	}
}

func TestParseFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"2h", 2 * time.Hour},
		{" 90m ", 90 * time.Minute},
		{"3d", 72 * time.Hour},
		{"90d", MaxSilence},
		{"91d", 0},
		{"2161h", 0},
		{"0s", 0},
		{"-1h", 0},
		{"d", 0},
		{"1.5d", 0},
		{"1hd", 0},
		{"x2d", 0},
		{"02d", 0},
		{"2", 0},
		{"", 0},
	}
	for _, tt := range tests {
		got, err := ParseFor(tt.in)
		if tt.want == 0 {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	_, err := ParseFor("2160h1s")
	assert.ErrorContains(t, err, "at most 90d")
}
