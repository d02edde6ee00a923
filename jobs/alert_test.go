package jobs

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"livechat-digest/store"
)

func TestStep(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	t1 := t0.Add(15 * time.Minute)
	v := 75.0
	tests := []struct {
		name     string
		prev     store.AlertState
		breached bool
		forRuns  int
		want     Transition
		firing   bool
		streak   int
		since    time.Time
	}{
		{"ok stays ok", store.AlertState{}, false, 1, Quiet, false, 0, time.Time{}},
		{"ok to breach fires", store.AlertState{}, true, 1, Fire, true, 1, t1},
		{"breach stays quiet", store.AlertState{Firing: true, Streak: 1, Since: t0}, true, 1, Quiet, true, 2, t0},
		{"breach to ok resolves", store.AlertState{Firing: true, Streak: 3, Since: t0}, false, 1, Resolve, false, 0, time.Time{}},
		{"for 3: first breach waits", store.AlertState{}, true, 3, Quiet, false, 1, time.Time{}},
		{"for 3: second breach waits", store.AlertState{Streak: 1}, true, 3, Quiet, false, 2, time.Time{}},
		{"for 3: third breach fires", store.AlertState{Streak: 2}, true, 3, Fire, true, 3, t1},
		{"for 3: flap resets streak", store.AlertState{Streak: 2}, false, 3, Quiet, false, 0, time.Time{}},
		{"for 0 means at once", store.AlertState{}, true, 0, Fire, true, 1, t1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, tr := Step(tt.prev, tt.breached, &v, t1, tt.forRuns)
			assert.Equal(t, tt.want, tr)
			assert.Equal(t, tt.firing, got.Firing)
			assert.Equal(t, tt.streak, got.Streak)
			assert.True(t, tt.since.Equal(got.Since), "since %v, want %v", got.Since, tt.since)
			assert.Equal(t, t1, got.Updated)
		})
	}
}
