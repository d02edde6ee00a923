package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/server"
	"livechat-digest/store"
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

// manyJobs writes a config of n jobs on the simulator and opens a SQLite
// store beside it in which every job has run on runs days and has one
// queued and one sent delivery.
func manyJobs(tb testing.TB, n, runs int) (*config.Config, *store.Store) {
	tb.Helper()
	dir := tb.TempDir()
	var b strings.Builder
	b.WriteString("timezone: UTC\nlivechat: {base_url: builtin}\nemail: {from: \"R <r@example.com>\", outbox_dir: ./outbox}\njobs:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: job-%04d, schedule: \"0 9 * * *\", period: yesterday, email: {to: [t%d@example.com]}}\n", i, i)
	}
	path := filepath.Join(dir, "config.yaml")
	require.NoError(tb, os.WriteFile(path, []byte(b.String()), 0o600))
	cfg, err := config.Load(path, func(string) (string, bool) { return "", false })
	require.NoError(tb, err)
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "state.db"))
	require.NoError(tb, err)
	tb.Cleanup(func() { st.Close() })
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var ds []store.Delivery
	for i, job := range cfg.Jobs {
		for d := range runs {
			firing := t0.Add(time.Duration(d-runs) * 24 * time.Hour)
			r, ok, err := st.ClaimRun(ctx, job.Name, firing, "w", firing, time.Minute, false)
			require.NoError(tb, err)
			require.True(tb, ok)
			require.NoError(tb, st.FinishRun(ctx, r.ID, "w", firing, store.RunOK, "", []byte(strings.Repeat("x", 20_000))))
			if d >= 2 {
				continue
			}
			ds = append(ds, store.Delivery{Key: fmt.Sprintf("%s|%d", job.Name, d), Job: job.Name, FiringAt: firing, Kind: "digest",
				Channel: "email", Target: fmt.Sprintf("t%d@example.com", i), Payload: []byte(strings.Repeat("y", 20_000)), CreatedAt: firing})
		}
	}
	_, err = st.Enqueue(ctx, ds)
	require.NoError(tb, err)
	claimed, err := st.Claim(ctx, "w", t0, time.Minute, 2*n)
	require.NoError(tb, err)
	for _, d := range claimed {
		if strings.HasSuffix(d.Key, "|0") {
			require.NoError(tb, st.MarkSent(ctx, d.ID, "w", t0))
		}
	}
	return cfg, st
}

// TestOverviewJobLines: the page's job lines, read for all jobs at once,
// are what each job's own queries say.
func TestOverviewJobLines(t *testing.T) {
	t.Parallel()
	cfg, st := manyJobs(t, 5, 3)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	o, err := webData{cfg: cfg, store: st}.Overview(context.Background(), now)
	require.NoError(t, err)
	require.Len(t, o.Jobs, 5)
	for _, j := range o.Jobs {
		last, err := st.LastRun(context.Background(), j.Name)
		require.NoError(t, err)
		require.NotNil(t, j.Last, j.Name)
		assert.True(t, last.FiringAt.Equal(j.Last.FiringAt), j.Name)
		assert.Equal(t, store.RunOK, j.Last.Status)
		assert.Equal(t, 1, j.Undelivered, "%s: the queued one, not the sent one", j.Name)
		assert.Len(t, j.Next, 3)
	}
	d, err := webData{cfg: cfg, store: st}.Job(context.Background(), "job-0003", now)
	require.NoError(t, err)
	assert.Equal(t, 1, d.Undelivered)
	assert.Len(t, d.Runs, 3)
}

// BenchmarkOverview is the front page's data for 1,000 jobs that ran daily
// for 30 days, as it is read now (two queries for all jobs) beside the
// former one query per job for its last run (with the run's digest) and
// three per job for its unsent deliveries (with their payloads).
//
//	go test -run '^$' -bench Overview -benchmem .
func BenchmarkOverview(b *testing.B) {
	cfg, st := manyJobs(b, 1000, 30)
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	b.Run("together", func(b *testing.B) {
		for b.Loop() {
			if _, err := (webData{cfg: cfg, store: st}).Overview(ctx, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("per_job", func(b *testing.B) {
		for b.Loop() {
			for _, job := range cfg.Jobs {
				if _, err := st.LastRun(ctx, job.Name); err != nil {
					b.Fatal(err)
				}
				for _, status := range []string{store.DeliveryQueued, store.DeliverySending, store.DeliveryFailed} {
					if _, err := st.Deliveries(ctx, store.DeliveryFilter{Job: job.Name, Status: status}); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	})
}
