package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/server"
	"livechat-digest/ui"
)

// The job page waits for a preview less than serve's write timeout, past
// which its answer would be cut off unsent.
func TestPreviewWaitFitsTheWriteTimeout(t *testing.T) {
	t.Parallel()
	assert.Less(t, ui.DefaultPreviewWait+5*time.Second, server.WriteTimeout)
}

// nextCovers is the period the next run sends, in the job's zone: on a
// Sunday, last_week's next run (Monday) covers the week ending that day,
// not the week a preview built now shows.
func TestNextCovers(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	assert.NoError(t, err)
	for _, tc := range []struct {
		period digest.PeriodKind
		next   time.Time
		want   string
	}{
		{digest.LastWeek, time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC), "2026-11-23 – 2026-11-29"},
		{digest.Yesterday, time.Date(2026, 11, 30, 4, 30, 0, 0, time.UTC), "2026-11-28"}, // 23:30 on the 29th in New York
		{digest.Today, time.Date(2026, 11, 30, 15, 15, 0, 0, time.UTC), "2026-11-30 until 10:15"},
		{digest.MonthToDate, time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC), "2026-12-01 until 09:00"},
	} {
		job := &config.Job{Period: digest.Period{Kind: tc.period}, Location: ny}
		assert.Equal(t, tc.want, nextCovers(job, tc.next), "%s at %s", tc.period, tc.next)
	}
}
