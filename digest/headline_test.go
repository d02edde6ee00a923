package digest

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// judged is a compared value with a verdict and a z, as judge leaves it.
func judged(cur, prev float64, v Verdict, z float64) Value {
	val := compare(ptr(cur), ptr(prev))
	val.Verdict, val.Test = v, TestPoisson
	if !math.IsNaN(z) {
		val.Z = ptr(z)
	}
	return val
}

func TestHeadline(t *testing.T) {
	t.Parallel()
	d := &Digest{Metrics: map[string]Value{
		// Real, ranked by |z|, not by percent: +10% on 6,000 chats beats +80% on 40 goals.
		"total_chats.chats":                 judged(6600, 6000, VerdictNeutral, 5.6),
		"goals.goals":                       judged(72, 40, VerdictBetter, 3.2),
		"chats_first_response_time.seconds": judged(75, 55, VerdictWorse, -7.5),
		// Same report as the first response time: only the more significant one.
		"chats_first_response_time.count": judged(900, 800, VerdictNeutral, 2.4),
		// Noise and untested changes never make it.
		"chat_ratings.bad":       judged(2, 1, VerdictNoise, 0.6),
		"tickets_new.tickets":    judged(300, 100, VerdictNoise, math.NaN()),
		"availability.hours":     {Current: ptr(80), Previous: ptr(100), Change: ptr(-20), ChangePct: ptr(-20), Verdict: VerdictWorse, Test: TestRelative},
		"tickets_solved.tickets": judged(130, 100, VerdictBetter, 3.2),
	}}

	got := headline(d, 3)
	require.Len(t, got, 3)
	// |z| first; goals and solved tickets tie on z, and +80% beats +30%.
	assert.Equal(t, []string{"chats_first_response_time.seconds", "total_chats.chats", "goals.goals"},
		[]string{got[0].Metric, got[1].Metric, got[2].Metric})
	assert.Equal(t, HeadlineItem{
		Metric: "chats_first_response_time.seconds", Sentence: "First response time rose 36% to 75 s, worse",
		Verdict: VerdictWorse, ChangePct: ptr(100 * 20.0 / 55), Z: -7.5,
	}, got[0])
	assert.Equal(t, "Chats rose 10% to 6,600", got[1].Sentence)

	all := headline(d, 20)
	require.Len(t, all, 4)
	assert.Equal(t, "tickets_solved.tickets", all[3].Metric)
	assert.Empty(t, headline(d, 0))
	assert.NotNil(t, headline(&Digest{}, 3), "never null: JSON []")
	assert.True(t, d.HasChanges())
	assert.False(t, (&Digest{Metrics: map[string]Value{"chat_ratings.bad": judged(2, 1, VerdictNoise, 0.6)}}).HasChanges())
}

func TestHeadlineTieBreak(t *testing.T) {
	t.Parallel()
	d := &Digest{Metrics: map[string]Value{
		"tickets_solved.tickets": judged(130, 100, VerdictBetter, 3.2),
		"goals.goals":            judged(72, 40, VerdictBetter, -3.2),
		"greetings.accepted":     judged(5, 0, VerdictBetter, 3.2),
	}}
	got := headline(d, 3)
	require.Len(t, got, 3)
	// Equal |z|: from 0 (an infinite change) first, then +80%, then +30%.
	assert.Equal(t, []string{"greetings.accepted", "goals.goals", "tickets_solved.tickets"}, []string{got[0].Metric, got[1].Metric, got[2].Metric})
	assert.Nil(t, got[0].ChangePct)
}

func TestSentence(t *testing.T) {
	t.Parallel()
	m := func(key string) Metric { x, _ := LookupMetric(key); return x }
	rate := func(v Value, r float64) Value { v.RateChangePct = ptr(r); return v }
	tests := []struct {
		name string
		m    Metric
		v    Value
		want string
	}{
		{"a worse rise", m("chats_first_response_time.seconds"), judged(75, 55, VerdictWorse, 5), "First response time rose 36% to 75 s, worse"},
		{"a better fall", m("chats_first_response_time.seconds"), judged(40, 50, VerdictBetter, 5), "First response time fell 20% to 40 s, better"},
		{"a neutral change has no word", m("total_chats.chats"), judged(1120, 1000, VerdictNeutral, 3), "Chats rose 12% to 1,120"},
		{"small changes keep a decimal", m("total_chats.chats"), judged(1075, 1000, VerdictNeutral, 3), "Chats rose 7.5% to 1,075"},
		{"rates move in points", m("chat_ratings.satisfaction"), judged(0.8, 0.9, VerdictWorse, 6), "Chat satisfaction fell 10 pp to 80%, worse"},
		{"from zero names both", m("goals.goals"), judged(12, 0, VerdictBetter, 3), "Goals reached rose from 0 to 12, better"},
		{"per day over different lengths", m("total_chats.chats"), rate(judged(3100, 3100, VerdictNeutral, 4), 10.7), "Chats rose 11% a day to 3,100"},
		{"per day falling", m("total_chats.chats"), rate(judged(3000, 3100, VerdictNeutral, 4), -6.3), "Chats fell 6.3% a day to 3,000"},
		// March 1-31 until 10:00 (30.4 days) against all of February: more
		// goals in all, fewer a day. The verdict is on the rate per day, and
		// so is the verb.
		{"per day falling while the total rose", m("goals.goals"), rate(judged(2850, 2800, VerdictWorse, -4), -6.3), "Goals reached fell 6.3% a day to 2,850, worse"},
		{"per day rising while the total fell", m("goals.goals"), rate(judged(2700, 2800, VerdictBetter, 4), 5.1), "Goals reached rose 5.1% a day to 2,700, better"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, sentence(tt.m, tt.v))
		})
	}
	assert.Equal(t, "36%", percent(36.36))
	assert.Equal(t, "10%", percent(9.96))
	assert.Equal(t, "9.9%", percent(-9.94))
	assert.Equal(t, "0.5%", percent(0.5))
}

// TestBuildHeadline builds a digest of a week from the simulator and checks
// the headline against the verdicts: only real, tested changes, one per
// report, in order of |z|.
func TestBuildHeadline(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	c := simClient(t, at)
	in := DefaultInsight()
	in.MinCount, in.MinChange = 0, 0
	d, err := Build(t.Context(), c, Spec{Job: "week", Location: mustLoc(t, "Europe/Warsaw"), Period: Period{Kind: LastWeek}, Compare: PreviousPeriod, At: at, Insight: in})
	require.NoError(t, err)
	assert.LessOrEqual(t, len(d.Headline), 3)
	seen := map[string]bool{}
	for i, h := range d.Headline {
		v := d.Metrics[h.Metric]
		assert.True(t, v.Verdict.Significant(), h.Metric)
		assert.NotEqual(t, TestRelative, v.Test)
		assert.Equal(t, *v.Z, h.Z)
		m, _ := LookupMetric(h.Metric)
		assert.False(t, seen[string(m.Report)], "one per report")
		seen[string(m.Report)] = true
		if i > 0 {
			assert.GreaterOrEqual(t, math.Abs(d.Headline[i-1].Z), math.Abs(h.Z))
		}
	}
	in.Headline = 0
	d, err = Build(t.Context(), c, Spec{Job: "week", Location: mustLoc(t, "Europe/Warsaw"), Period: Period{Kind: LastWeek}, Compare: PreviousPeriod, At: at, Insight: in})
	require.NoError(t, err)
	assert.Empty(t, d.Headline)
	assert.NotNil(t, d.Headline)
}

// TestHeadlineNotFiltered: a headline naming a metric whose report could
// not take one of the digest's filters says so, as its row does: an
// account-wide number never passes for a filtered one (v2's queue reports
// take no agent).
func TestHeadlineNotFiltered(t *testing.T) {
	t.Parallel()
	q := judged(140, 100, VerdictNeutral, 3.5)
	q.NotFilteredBy = []string{"agent", "tags"}
	d := &Digest{Metrics: map[string]Value{
		"queued_visitors.queued": q,
		"total_chats.chats":      judged(66, 60, VerdictNeutral, 2.5),
	}}
	got := headline(d, 3)
	require.Len(t, got, 2)
	assert.Equal(t, "Visitors queued rose 40% to 140 (not filtered by agent, tags)", got[0].Sentence)
	assert.Equal(t, "Chats rose 10% to 66", got[1].Sentence)
}

// TestHeadlineFollowsTheRatePerDay: March 1–31 until 10:00 (30.4 days)
// against all of February (28) with more goals in all and fewer a day is
// judged on the rate per day, and its sentence says the same way: fell.
func TestHeadlineFollowsTheRatePerDay(t *testing.T) {
	t.Parallel()
	d := compared(t, "goals.goals", sideOf(Sum, count(28500)), sideOf(Sum, count(28000)))
	d.judge(DefaultInsight(), 30+10.0/24, 28)
	v := d.Metrics["goals.goals"]
	require.Equal(t, VerdictWorse, v.Verdict)
	require.Positive(t, *v.Change, "the total rose")
	got := headline(d, 3)
	require.Len(t, got, 1)
	assert.Equal(t, "Goals reached fell 6.3% a day to 28,500, worse", got[0].Sentence)
	assert.InDelta(t, -6.3, *got[0].ChangePct, 0.05)
}
