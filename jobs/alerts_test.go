package jobs

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/config"
	"livechat-digest/store"
)

// The alert job looks at yesterday's chats at 09:00 UTC. The simulator is
// busy on weekdays and quiet at weekends, so "total_chats.chats below X",
// with X between the two, breaches on the firings after a Saturday or a
// Sunday ("bad") and not after a weekday ("good").
const alertYAML = `
jobs:
  - name: chat-volume
    schedule: "0 9 * * *"
    timezone: UTC
    period: yesterday
    compare: none
    reports: [total_chats, chats_first_response_time]
    thresholds: [{metric: total_chats.chats, below: 1, for: FOR}]
    alerts: {email: {to: [oncall@example.com, lead@example.com]}}
`

// day is 09:00 UTC on day d of November 2026 (normalised past the 30th).
func day(d int) time.Time { return time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC) }

var (
	// 2026-11-23 is a Monday; day(31) is Tuesday 1 December.
	goodDays = []time.Time{day(20), day(21), day(24), day(25), day(28), day(31)} // yesterday: Thu, Fri, Mon, Tue, Fri, Mon
	badDays  = []time.Time{day(22), day(23), day(29), day(30)}                   // yesterday: Sat, Sun, Sat, Sun
)

func alertJob(t *testing.T, e *runEnv, forRuns int) *config.Job {
	t.Helper()
	cfg := parseConfig(t, replaceFor(alertYAML, forRuns))
	job, ok := cfg.Job("chat-volume")
	require.True(t, ok)
	// Put the bound between the quietest weekday and the busiest weekend day.
	value := func(at time.Time) float64 {
		d, err := e.runner.Build(context.Background(), job, at)
		require.NoError(t, err)
		v := d.Metrics["total_chats.chats"].Current
		require.NotNil(t, v)
		return *v
	}
	lowGood, highBad := value(goodDays[0]), value(badDays[0])
	for _, at := range goodDays[1:] {
		lowGood = min(lowGood, value(at))
	}
	for _, at := range badDays[1:] {
		highBad = max(highBad, value(at))
	}
	require.Greater(t, lowGood, highBad, "the simulator's weekdays must be busier than its weekends")
	*job.Thresholds[0].Below = (lowGood + highBad) / 2
	return job
}

func replaceFor(s string, n int) string {
	out := []byte{}
	for i := 0; i < len(s); i++ {
		if i+3 <= len(s) && s[i:i+3] == "FOR" {
			out = append(out, strconv.Itoa(n)...)
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}

// fireAt moves the clock to the firing, runs it and has the worker send
// what it queued.
func (e *runEnv) fireAt(t *testing.T, job *config.Job, at time.Time) Result {
	t.Helper()
	ctx := context.Background()
	if d := at.Sub(e.clock.Now()); d > 0 {
		e.clock.Advance(d)
	}
	res, err := e.runner.Run(ctx, job, at, false)
	require.NoError(t, err)
	require.False(t, res.Skipped)
	require.NoError(t, e.worker.Drain(ctx))
	return res
}

// alertCounts counts the alert emails received so far, by state.
func (e *runEnv) alertCounts(t *testing.T) (firing, resolved int) {
	t.Helper()
	var got []email
	if e.peer != nil {
		got = e.peer.received(t)
	} else {
		got = outboxFiles(t, e.outbox)
	}
	c := countSubjects(got, "[FIRING]", "[RESOLVED]")
	return c["[FIRING]"], c["[RESOLVED]"]
}

func TestAlertFiresOnceAndResolvesOnce(t *testing.T) {
	t.Parallel()
	const recipients = 2
	seq := []time.Time{day(20), day(22), day(23), day(24)} // good, bad, bad, good
	tests := []struct {
		name    string
		smtp    bool
		restart int // restart the process after this many firings; 0 = never
	}{
		{name: "outbox"},
		{name: "outbox, restart while firing", restart: 2},
		{name: "smtp, restart while firing", smtp: true, restart: 3},
		{name: "smtp, restart before firing", smtp: true, restart: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var e *runEnv
			if tt.smtp {
				e = newRunEnv(t, day(19), newSMTPPeer(t))
			} else {
				e = newRunEnv(t, day(19))
			}
			job := alertJob(t, e, 1)
			var fired, resolved []string
			for i, at := range seq {
				if tt.restart > 0 && i == tt.restart {
					e.restart(t, "replica-2")
				}
				res := e.fireAt(t, job, at)
				fired = append(fired, res.Fired...)
				resolved = append(resolved, res.Resolved...)
				f, r := e.alertCounts(t)
				switch i {
				case 0:
					assert.Equal(t, [2]int{0, 0}, [2]int{f, r}, "good: nothing")
				case 1, 2:
					assert.Equal(t, [2]int{recipients, 0}, [2]int{f, r}, "bad (firing %d): one firing message per recipient", i)
				case 3:
					assert.Equal(t, [2]int{recipients, recipients}, [2]int{f, r}, "good again: one resolved message per recipient")
				}
			}
			key := job.Thresholds[0].Metric + " below " + strconv.FormatFloat(*job.Thresholds[0].Below, 'f', -1, 64)
			assert.Equal(t, []string{key}, fired)
			assert.Equal(t, []string{key}, resolved)

			st, err := e.st.Alert(context.Background(), job.Name, key)
			require.NoError(t, err)
			assert.False(t, st.Firing)
			assert.Zero(t, st.Streak)
		})
	}
}

func TestAlertForTwoFiresOnSecondBreach(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		seq       []time.Time
		wantFired []int // cumulative firing messages after each run (2 recipients)
		wantRes   []int
	}{
		{"good bad bad good", []time.Time{day(20), day(22), day(23), day(24)}, []int{0, 0, 2, 2}, []int{0, 0, 0, 2}},
		{"bad good bad good never fires", []time.Time{day(22), day(24), day(29), day(31)}, []int{0, 0, 0, 0}, []int{0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newRunEnv(t, day(19))
			job := alertJob(t, e, 2)
			for i, at := range tt.seq {
				e.fireAt(t, job, at)
				f, r := e.alertCounts(t)
				assert.Equal(t, tt.wantFired[i], f, "firing messages after run %d", i)
				assert.Equal(t, tt.wantRes[i], r, "resolved messages after run %d", i)
			}
		})
	}
}

// A report that fails upstream while its alert fires leaves the alert as it
// is: no "resolved" for the missing number, and so no second "firing" when
// it breaches again.
func TestAlertUnchangedWhileReportFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRunEnv(t, day(19))
	job := alertJob(t, e, 1)
	key := AlertKey(job, Thresholds(job)[0])

	e.fireAt(t, job, day(20)) // good
	e.fireAt(t, job, day(22)) // bad: fires
	before, err := e.st.Alert(ctx, job.Name, key)
	require.NoError(t, err)
	require.True(t, before.Firing)

	e.up.fail(func(ep string) bool { return ep == "chats/total_chats" })
	res := e.fireAt(t, job, day(24)) // would be good, but the number is missing
	assert.Equal(t, store.RunPartial, res.Run.Status)
	assert.Empty(t, res.Fired)
	assert.Empty(t, res.Resolved)
	after, err := e.st.Alert(ctx, job.Name, key)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the stored state is untouched")
	e.up.fail(nil)

	e.fireAt(t, job, day(29)) // bad: still firing, quiet
	f, r := e.alertCounts(t)
	assert.Equal(t, [2]int{2, 0}, [2]int{f, r})
	e.fireAt(t, job, day(31)) // yesterday Monday: good
	f, r = e.alertCounts(t)
	assert.Equal(t, [2]int{2, 2}, [2]int{f, r})
}

func TestAlertEmailSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, subject string
		wantFiring    string // prefix of the firing subject
	}{
		{"default: the templates' summary", "", "[FIRING] chat-volume: "},
		{"alerts.email.subject over the digest", "Chat volume {{.From}}", "[FIRING] Chat volume 2026-11-21: total_chats.chats below "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newRunEnv(t, day(19))
			job := alertJob(t, e, 1)
			job.Alerts.Email.Subject = tt.subject
			e.fireAt(t, job, day(22)) // bad
			e.fireAt(t, job, day(24)) // good
			files := outboxFiles(t, e.outbox)
			require.Len(t, files, 4)
			c := countSubjects(files, tt.wantFiring, "[RESOLVED] ")
			assert.Equal(t, 2, c[tt.wantFiring], "%v", files)
			assert.Equal(t, 2, c["[RESOLVED] "], "%v", files)
		})
	}
}

// TestOlderFiringDoesNotMoveAlertStateBack: a firing evaluated after a newer
// one (a late catch-up or takeover) neither fires nor resolves anything.
func TestOlderFiringDoesNotMoveAlertStateBack(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t, day(20))
	job := alertJob(t, e, 1)
	e.fireAt(t, job, day(23))                                           // bad: fires
	e.fireAt(t, job, day(24))                                           // good: resolves
	res, err := e.runner.Run(context.Background(), job, day(22), false) // bad, but older
	require.NoError(t, err)
	require.NoError(t, e.worker.Drain(context.Background()))
	assert.Empty(t, res.Fired)
	assert.Empty(t, res.Resolved)
	firing, resolved := e.alertCounts(t)
	assert.Equal(t, 2, firing) // one per recipient
	assert.Equal(t, 2, resolved)
	st, err := e.st.Alert(context.Background(), job.Name, AlertKey(job, Thresholds(job)[0]))
	require.NoError(t, err)
	assert.False(t, st.Firing)
	assert.True(t, st.Since.IsZero())
}

// TestNullValueKeepsAlertState: while the value does not exist (no chats
// answered yet today), a firing alert neither resolves nor re-fires.
func TestNullValueKeepsAlertState(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t, day(20))
	cfg := parseConfig(t, `
jobs:
  - name: frt-watch
    schedule: "0 9 * * *"
    timezone: UTC
    period: yesterday
    compare: none
    filters: {agent: nobody@example.com}
    reports: [chats_first_response_time]
    thresholds: [{metric: chats_first_response_time.seconds, above: 60}]
    alerts: {email: {to: [oncall@example.com]}}
`)
	job, ok := cfg.Job("frt-watch")
	require.True(t, ok)
	prev := store.AlertState{Job: job.Name, Key: AlertKey(job, Thresholds(job)[0]), Firing: true, Since: day(19), Streak: 1, Updated: day(19)}
	require.NoError(t, e.st.PutAlert(context.Background(), prev))

	res := e.fireAt(t, job, day(21)) // an agent with no chats: the mean is null
	require.NotNil(t, res.Digest)
	assert.Nil(t, res.Digest.Metrics["chats_first_response_time.seconds"].Current)
	assert.Empty(t, res.Resolved)
	assert.Empty(t, res.Fired)
	st, err := e.st.Alert(context.Background(), job.Name, prev.Key)
	require.NoError(t, err)
	assert.True(t, st.Firing)
	assert.True(t, st.Since.Equal(day(19)))
}

// interleavingStore runs `between` once, just before the first Record, as
// another run of the same job committing in the middle of this one would.
type interleavingStore struct {
	Store
	between func()
	once    sync.Once
}

func (s *interleavingStore) Record(ctx context.Context, ds []store.Delivery, alerts []store.AlertChange, notices ...store.NoticeChange) (int, error) {
	s.once.Do(s.between)
	return s.Store.Record(ctx, ds, alerts, notices...)
}

// TestOverlappingRunsFireOnce: two runs of a job overlap (a takeover next to
// a scheduled firing, two replicas); both see the alert OK and breaching.
// Only one FIRING goes out: the other's save conflicts and it steps again.
func TestOverlappingRunsFireOnce(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t, day(20))
	job := alertJob(t, e, 1)
	e.fireAt(t, job, day(21)) // good: state stored as OK

	ctx := context.Background()
	other := newRunner(t, e.up.client(t, testLogin, testKey), e.st, e.clock, "replica-2")
	slow := &interleavingStore{Store: e.st, between: func() {
		_, err := other.Run(ctx, job, day(23), false) // bad, newer: fires
		require.NoError(t, err)
	}}
	first := newRunner(t, e.up.client(t, testLogin, testKey), slow, e.clock, "replica-1")
	e.clock.Advance(day(23).Sub(e.clock.Now()))
	res, err := first.Run(ctx, job, day(22), false) // bad, older: would fire too
	require.NoError(t, err)
	assert.Empty(t, res.Fired)
	require.NoError(t, e.worker.Drain(ctx))
	firing, resolved := e.alertCounts(t)
	assert.Equal(t, 2, firing, "one FIRING per recipient")
	assert.Equal(t, 0, resolved)
}
