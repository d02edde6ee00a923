package alerting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/hours"
	"livechat-digest/store"
)

func TestMatchesAndState(t *testing.T) {
	t.Parallel()
	job := store.Silence{Job: "frt", StartsAt: t9, EndsAt: t9.Add(time.Hour)}
	metric := store.Silence{Job: "frt", Metric: "m1", StartsAt: t9, EndsAt: t9.Add(time.Hour)}
	tests := []struct {
		name   string
		s      store.Silence
		job    string
		metric string
		at     time.Time
		want   bool
		state  string
	}{
		{"whole job, any metric", job, "frt", "m2", t9, true, SilenceActive},
		{"other job", job, "weekly", "m1", t9, false, SilenceActive},
		{"its metric", metric, "frt", "m1", t9, true, SilenceActive},
		{"another metric", metric, "frt", "m2", t9, false, SilenceActive},
		{"before the start", job, "frt", "m1", t9.Add(-time.Millisecond), false, SilencePending},
		{"at the end", job, "frt", "m1", t9.Add(time.Hour), false, SilenceExpired},
		{"just before the end", job, "frt", "m1", t9.Add(time.Hour - time.Millisecond), true, SilenceActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Matches(tt.s, tt.job, tt.metric, tt.at))
			assert.Equal(t, tt.state, State(tt.s, tt.at))
		})
	}
}

func TestSilencedPicksTheLongest(t *testing.T) {
	t.Parallel()
	ss := []store.Silence{
		{ID: 1, Job: "frt", StartsAt: t9, EndsAt: t9.Add(time.Hour)},
		{ID: 2, Job: "frt", Metric: "m", StartsAt: t9, EndsAt: t9.Add(3 * time.Hour)},
		{ID: 3, Job: "frt", StartsAt: t9, EndsAt: t9.Add(2 * time.Hour)},
		{ID: 4, Job: "other", StartsAt: t9, EndsAt: t9.Add(9 * time.Hour)},
	}
	s, ok := Silenced(ss, "frt", "m", t9)
	require.True(t, ok)
	assert.Equal(t, int64(2), s.ID)
	s, ok = Silenced(ss, "frt", "n", t9)
	require.True(t, ok)
	assert.Equal(t, int64(3), s.ID)
	_, ok = Silenced(ss, "frt", "n", t9.Add(2*time.Hour))
	assert.False(t, ok)
	_, ok = Silenced(nil, "frt", "n", t9)
	assert.False(t, ok)
}

func TestUnmuted(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	w, err := hours.ParseWindow([]string{"mon-fri"}, []string{"08:00-18:00"})
	require.NoError(t, err)
	office := hours.Schedule{w}
	mon := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, ny) }
	sil := func(from, to time.Time) store.Silence { return store.Silence{Job: "j", StartsAt: from, EndsAt: to} }
	tests := []struct {
		name string
		ss   []store.Silence
		hs   hours.Schedule
		now  time.Time
		want time.Time
	}{
		{"nothing holds: now", nil, nil, mon(7, 0), mon(7, 0)},
		{"inside hours: now", nil, office, mon(9, 0), mon(9, 0)},
		{"before hours: the opening", nil, office, mon(7, 0), mon(8, 0)},
		{"silence: its end", []store.Silence{sil(mon(6, 0), mon(9, 30))}, nil, mon(7, 0), mon(9, 30)},
		{"silence ending before the window: the opening", []store.Silence{sil(mon(6, 0), mon(7, 30))}, office, mon(7, 0), mon(8, 0)},
		{"silence ending after the window closes: next day", []store.Silence{sil(mon(6, 0), mon(19, 0))}, office, mon(7, 0), time.Date(2026, 11, 24, 8, 0, 0, 0, ny)},
		{"back-to-back silences", []store.Silence{sil(mon(6, 0), mon(10, 0)), sil(mon(9, 0), mon(11, 0))}, office, mon(9, 30), mon(11, 0)},
		{"a silence starting at the opening", []store.Silence{sil(mon(8, 0), mon(8, 30))}, office, mon(7, 0), mon(8, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Unmuted(tt.ss, "j", "m", tt.hs, ny, tt.now)
			require.True(t, ok)
			assert.True(t, tt.want.Equal(got), "want %s, got %s", tt.want, got)
		})
	}
	_, ok := Unmuted(nil, "j", "m", hours.Schedule{{}}, ny, mon(7, 0))
	assert.False(t, ok, "hours that never open")
	var chain []store.Silence
	for i := range maxHoldSteps + 1 {
		chain = append(chain, sil(mon(0, 0).Add(time.Duration(i)*time.Minute), mon(0, 0).Add(time.Duration(i+1)*time.Minute)))
	}
	_, ok = Unmuted(chain, "j", "m", nil, ny, mon(0, 0))
	assert.False(t, ok, "a walk longer than maxHoldSteps gives up")
	got, ok := Unmuted(chain[:maxHoldSteps-1], "j", "m", nil, ny, mon(0, 0))
	assert.True(t, ok)
	assert.True(t, mon(0, 0).Add(time.Duration(maxHoldSteps-1)*time.Minute).Equal(got))
}

func TestNineTomorrow(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	waw, err := time.LoadLocation("Europe/Warsaw")
	require.NoError(t, err)
	tests := []struct {
		name string
		now  time.Time
		loc  *time.Location
		want time.Time
	}{
		{"evening", time.Date(2026, 11, 23, 22, 0, 0, 0, ny), ny, time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)},
		{"00:30 is still today's tomorrow", time.Date(2026, 11, 24, 0, 30, 0, 0, ny), ny, time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)},
		{"read in the job's zone", time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC), waw, time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)},
		{"across NY spring forward", time.Date(2026, 3, 7, 20, 0, 0, 0, ny), ny, time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC)},
		{"across Warsaw fall back", time.Date(2026, 10, 24, 20, 0, 0, 0, waw), waw, time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC)},
		{"end of month", time.Date(2026, 11, 30, 12, 0, 0, 0, ny), ny, time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NineTomorrow(tt.now, tt.loc)
			assert.True(t, tt.want.Equal(got), "want %s, got %s", tt.want, got.UTC())
		})
	}
}
