package jobs

import (
	"testing"
	"time"
)

// BenchmarkReconcileWalk compares, for a minutely job, the walk through
// the schedule that one reconcile tick makes: from the last firing the
// reconciler settled (its cursor: the minute since the last tick) and, as
// a first walk from an arbitrary instant must, from two days back to find
// the firings in a 6 h grace.
func BenchmarkReconcileWalk(b *testing.B) {
	job := dailyJob(b, "m", "* * * * *", "America/New_York")
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	last := now.Add(-2 * time.Minute).In(job.Location)
	for _, bc := range []struct {
		name   string
		from   time.Time
		firing bool
	}{
		{"from cursor", last, true},
		{"from instant, 6h grace", now.Add(-6 * time.Hour), false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				_ = walkFirings(&job, bc.from, bc.firing, func(t time.Time) bool { return !t.After(now) })
			}
		})
	}
}
