package digest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/livechat"
)

func TestRobustZ(t *testing.T) {
	t.Parallel()
	m := func(key string) Metric { x, _ := LookupMetric(key); return x }
	chats, frt, sat, avail := m("total_chats.chats"), m("chats_first_response_time.seconds"), m("chat_ratings.satisfaction"), m("availability.hours")
	tests := []struct {
		name            string
		m               Metric
		x               float64
		hist            []float64
		baseline, scale float64
	}{
		// MAD of {900,950,1000,1050,1100} around 1,000 is 50: s = 1.4826 × 50,
		// over 5% of 1,000 and √1,000.
		{"spread history", chats, 1400, []float64{1000, 900, 1100, 950, 1050}, 1000, 1.4826 * 50},
		// The same spread on 100: √100 = 10 > 1.4826 × 5.
		{"spread under the Poisson floor", chats, 160, []float64{100, 90, 110, 95, 105}, 100, 10},
		// A past outage and a past spike do not move median and MAD much.
		{"outliers in the history", chats, 1600, []float64{1000, 0, 1100, 950, 5000, 1050, 900, 1000}, 1000, 1.4826 * 75},
		// Flat history: MAD 0. Counts fall back on √median (Poisson): √400 = 20 > 5% of 400.
		{"flat counts use the Poisson floor", chats, 480, []float64{400, 400, 400, 400}, 400, 20},
		// 5% of 10,000 = 500 > √10,000 = 100.
		{"flat large counts use the relative floor", chats, 12000, []float64{10000, 10000, 10000}, 10000, 500},
		{"flat small counts use one chat", chats, 3, []float64{0, 0, 0, 0}, 0, 1},
		{"flat seconds use 5%", frt, 66, []float64{60, 60, 60}, 60, 3},
		{"flat short seconds use one second", frt, 12, []float64{10, 10, 10}, 10, 1},
		{"flat rates use one point", sat, 0.8, []float64{0.9, 0.9, 0.9}, 0.9, 0.045},
		{"flat small rates use one point", sat, 0.05, []float64{0.1, 0.1, 0.1}, 0.1, 0.01},
		{"flat hours use 0.1 h", avail, 1, []float64{0.5, 0.5, 0.5}, 0.5, 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hist := append([]float64(nil), tt.hist...)
			b, s, z := robustZ(tt.m, tt.x, 0, hist, DefaultMeanCV)
			assert.InDelta(t, tt.baseline, b, 1e-9, "baseline")
			assert.InDelta(t, tt.scale, s, 1e-9, "scale")
			assert.InDelta(t, (tt.x-tt.baseline)/tt.scale, z, 1e-9, "z")
			assert.Equal(t, tt.hist, hist, "the history is not reordered")
		})
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	assert.Equal(t, 7.0, median([]float64{7}))
}

func TestUsualAndTimes(t *testing.T) {
	t.Parallel()
	mon := mustRange(t, "2026-11-23..2026-11-23")
	assert.Equal(t, "Monday", usual(mon, ""))
	assert.Equal(t, "Monday until 10:00", usual(mon, "10:00"))
	assert.Equal(t, "week", usual(mustRange(t, "2026-11-16..2026-11-22"), ""))
	assert.Equal(t, "7 days", usual(mustRange(t, "2026-11-17..2026-11-23"), ""))
	assert.Equal(t, "3 days", usual(mustRange(t, "2026-11-17..2026-11-19"), ""))

	chats, _ := LookupMetric("total_chats.chats")
	assert.Equal(t, "3.4× the usual Monday", AnomalyScore{Value: 340, Baseline: 100, Usual: "Monday"}.Times(chats))
	assert.Equal(t, "0.2× the usual week", AnomalyScore{Value: 20, Baseline: 100, Usual: "week"}.Times(chats))
	assert.Equal(t, "12 against a usual 0", AnomalyScore{Value: 12, Usual: "Monday"}.Times(chats))
}

func TestHistorySides(t *testing.T) {
	t.Parallel()
	cur := span{r: mustRange(t, "2026-11-23..2026-11-23"), cut: true}
	got := historySides(cur, 3)
	assert.Equal(t, []span{
		{r: mustRange(t, "2026-11-16..2026-11-16"), cut: true, prorate: true},
		{r: mustRange(t, "2026-11-09..2026-11-09"), cut: true, prorate: true},
		{r: mustRange(t, "2026-11-02..2026-11-02"), cut: true, prorate: true},
	}, got)
	assert.Equal(t, map[livechat.Report]int{livechat.TotalChats: 8, livechat.ChatRatings: 4}, anomalyWeeks([]Threshold{
		{Metric: "total_chats.chats", Op: Anomaly, Value: 3, Weeks: 4},
		{Metric: "total_chats.chats", Op: Anomaly, Value: 3, Weeks: 8},
		{Metric: "chat_ratings.good", Op: Anomaly, Value: 2, Weeks: 4},
		{Metric: "goals.goals", Op: Above, Value: 2},
	}))
}

func TestAnomalyThresholdRules(t *testing.T) {
	t.Parallel()
	th := Threshold{Metric: "total_chats.chats", Op: Anomaly, Value: 3, Weeks: 8}
	assert.Equal(t, "anomaly", th.Rule())
	assert.Equal(t, "total_chats.chats anomaly weeks=8 z=3", th.Key())
	assert.NoError(t, th.Validate())
	for _, bad := range []Threshold{
		{Metric: "total_chats.chats", Op: Anomaly, Value: 3, Weeks: 2},
		{Metric: "total_chats.chats", Op: Anomaly, Value: 3, Weeks: 53},
		{Metric: "total_chats.chats", Op: Anomaly, Value: 0, Weeks: 8},
		{Metric: "total_chats.chats", Op: Anomaly, Value: math.NaN(), Weeks: 8},
	} {
		assert.Error(t, bad.Validate(), bad.Key())
	}
	assert.NoError(t, Threshold{Metric: "total_chats.chats", Op: Anomaly, Value: 0.5, Weeks: 3}.Validate())
	assert.NoError(t, Threshold{Metric: "total_chats.chats", Op: Anomaly, Value: 0.5, Weeks: 52}.Validate())

	assert.ErrorContains(t, checkAnomaly(th, Period{Kind: MonthToDate}, livechat.V2), "period month_to_date has no weekly rhythm")
	assert.ErrorContains(t, checkAnomaly(th, Period{Kind: LastMonth}, livechat.V2), "no weekly rhythm")
	assert.NoError(t, checkAnomaly(th, Period{Kind: Today}, livechat.V2))
	occ := Threshold{Metric: "agents_occupancy.peak", Op: Anomaly, Value: 3, Weeks: 8}
	assert.ErrorContains(t, checkAnomaly(occ, Period{Kind: Yesterday}, livechat.V2), "agents_occupancy.peak has no daily series")
	chatting, _ := LookupMetric("chatting_time.hours")
	assert.True(t, HasDailySeries(chatting, livechat.V2))
	assert.False(t, HasDailySeries(chatting, livechat.V36), "v3.6 agents/performance answers per period")
	ranking := Metric{Key: "x", Report: livechat.ChatRanking}
	assert.False(t, HasDailySeries(ranking, livechat.V2))

	_, err := Build(t.Context(), simClient(t, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), Spec{
		Job: "j", Location: time.UTC, Period: Period{Kind: MonthToDate}, At: time.Now(), Thresholds: []Threshold{th},
	})
	assert.ErrorContains(t, err, "no weekly rhythm")
}

// spiked multiplies the total chats of one day of the simulator's answers,
// by day or by the hour: an injected spike.
type spiked struct {
	f      Fetcher
	day    livechat.Date
	factor int64
}

func (s spiked) Fetch(ctx context.Context, r livechat.Report, q livechat.Query) (any, error) {
	a, err := s.f.Fetch(ctx, r, q)
	if err != nil || r != livechat.TotalChats {
		return a, err
	}
	v := a.(livechat.Series[livechat.ChatCount])
	v.Buckets = append([]livechat.Bucket[livechat.ChatCount](nil), v.Buckets...)
	for i, b := range v.Buckets {
		if b.Start == s.day {
			v.Buckets[i].Value.Chats *= s.factor
		}
	}
	return v, nil
}

// TestAnomalyOverSimulatedHistory scores yesterday's chats against the same
// weekday of 8 earlier weeks from the simulator: ordinary days stay under z
// 5 (the simulator's quiet and busy days reach |z| ≈ 4 over three months), a
// day with 4× the chats is far over it, and a partial day (this morning)
// meets earlier mornings, not whole days.
func TestAnomalyOverSimulatedHistory(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) // Thursday
	c := simClient(t, at)
	th := Threshold{Metric: "total_chats.chats", Op: Anomaly, Value: 5, Weeks: 8}
	spec := func(p PeriodKind, at time.Time) Spec {
		return Spec{Job: "a", Location: time.UTC, Period: Period{Kind: p}, Compare: NoCompare, At: at,
			Reports: []livechat.Report{livechat.TotalChats}, Thresholds: []Threshold{th}}
	}
	for d := 20; d <= 26; d++ {
		day := time.Date(2026, 11, d, 10, 0, 0, 0, time.UTC)
		got, err := Build(t.Context(), c, spec(Yesterday, day))
		require.NoError(t, err)
		a, ok := got.AnomalyOf(th)
		require.True(t, ok, day)
		assert.Len(t, a.History, 8)
		assert.Less(t, math.Abs(a.Z), 5.0, "an ordinary %s: %+v", got.Period.From.Weekday(), a)
		assert.Empty(t, got.Breaches)
	}

	spike := livechat.Date{Year: 2026, Month: 11, Day: 24}
	got, err := Build(t.Context(), spiked{f: c, day: spike, factor: 4}, spec(Yesterday, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	a, ok := got.AnomalyOf(th)
	require.True(t, ok)
	assert.Greater(t, a.Z, 5.0)
	assert.Equal(t, "Tuesday", a.Usual)
	require.Len(t, got.Breaches, 1)
	b := got.Breaches[0]
	assert.Equal(t, "anomaly", b.Rule)
	assert.Equal(t, a.Value, b.Value)
	assert.Equal(t, 5.0, b.Threshold)
	assert.Equal(t, &a.Baseline, b.Baseline)
	assert.Equal(t, &a.Z, b.Z)
	assert.Equal(t, "Tuesday", b.Usual)

	// This morning until 10:00 against the 8 Thursday mornings before.
	got, err = Build(t.Context(), c, spec(Today, at))
	require.NoError(t, err)
	a, ok = got.AnomalyOf(th)
	require.True(t, ok)
	assert.Equal(t, "Thursday until 10:00", a.Usual)
	assert.Less(t, math.Abs(a.Z), 5.0, "a morning is not an anomaly for being a morning: %+v", a)
	whole, err := Build(t.Context(), c, spec(Yesterday, at.AddDate(0, 0, 1)))
	require.NoError(t, err)
	w, _ := whole.AnomalyOf(th)
	assert.Less(t, a.Baseline, w.Baseline/2, "the baseline is of mornings, not of whole Thursdays")
}

// TestAnomalyRequests: the history comes with the digest's own request by
// day (one per report); a partial day's earlier days by the hour.
func TestAnomalyRequests(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		period  PeriodKind
		compare CompareMode
		want    []string
	}{
		{"yesterday and 8 weeks", Yesterday, SameWeekdayLastWeek, []string{"date_from=2026-09-27&date_to=2026-11-22&group_by=day"}},
		{"last week and 8 weeks", LastWeek, PreviousPeriod, []string{"date_from=2026-09-21&date_to=2026-11-22&group_by=day"}},
		// Today and yesterday until 09:00 (New York), and 8 Mondays until 09:00, by the hour.
		{"today", Today, PreviousPeriod, []string{
			"date_from=2026-09-28&date_to=2026-09-28&group_by=hour", "date_from=2026-10-05&date_to=2026-10-05&group_by=hour",
			"date_from=2026-10-12&date_to=2026-10-12&group_by=hour", "date_from=2026-10-19&date_to=2026-10-19&group_by=hour",
			"date_from=2026-10-26&date_to=2026-10-26&group_by=hour", "date_from=2026-11-02&date_to=2026-11-02&group_by=hour",
			"date_from=2026-11-09&date_to=2026-11-09&group_by=hour", "date_from=2026-11-16&date_to=2026-11-16&group_by=hour",
			"date_from=2026-11-22&date_to=2026-11-22&group_by=hour", "date_from=2026-11-23&date_to=2026-11-23&group_by=hour",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, c := newFixture(t)
			_, err := Build(t.Context(), c, Spec{
				Job: "count", Location: mustLoc(t, "America/New_York"), Period: Period{Kind: tt.period}, Compare: tt.compare, At: at,
				Reports:    []livechat.Report{livechat.TotalChats, livechat.ChatRatings},
				Thresholds: []Threshold{{Metric: "total_chats.chats", Op: Anomaly, Value: 3, Weeks: 8}},
			})
			require.NoError(t, err)
			qs := f.queries()
			var want []string
			for _, q := range tt.want {
				want = append(want, q+"&timezone=America%2FNew_York")
			}
			assert.Equal(t, want, qs["chats/total_chats"])
			assert.Len(t, qs["chats/ratings"], min(len(tt.want), 2), "a report without anomaly thresholds asks for its periods only")
		})
	}
}

// TestAnomalySmallVolumes: a flat history is no reason to call one event an
// anomaly. Against eight weeks of no chats one chat is z 1; against eight
// Mondays without a visitor leaving the queue, 1 of 3 leaving (33%) is the
// noise of three visitors, not 33 standard deviations, while 30 of 100 is
// an anomaly; 3 slow first responses against a steady 30 s are noise, 300
// are not.
func TestAnomalySmallVolumes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		key    string
		cur    obs
		hist   obs
		breach bool
	}{
		{"one chat after none", "total_chats.chats", count(1), count(0), false},
		{"four chats after none", "total_chats.chats", count(4), count(0), true},
		{"1 of 3 leaving after none of 20", "queued_visitors.abandonment_rate", ratio(1, 3), ratio(0, 20), false},
		{"30 of 100 leaving after none of 100", "queued_visitors.abandonment_rate", ratio(30, 100), ratio(0, 100), true},
		{"1 bad of 4 after all good", "chat_ratings.satisfaction", ratio(3, 4), ratio(10, 10), false},
		{"40 bad of 100 after all good", "chat_ratings.satisfaction", ratio(60, 100), ratio(100, 100), true},
		{"3 slow first responses", "chats_first_response_time.seconds", mean(ptr(60), 3), mean(ptr(30), 200), false},
		{"300 slow first responses", "chats_first_response_time.seconds", mean(ptr(60), 300), mean(ptr(30), 200), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, _ := LookupMetric(tt.key)
			sides := []accum{sideOf(m.Agg, tt.cur)}
			for range 8 {
				sides = append(sides, sideOf(m.Agg, tt.hist))
			}
			d := &Digest{Metrics: map[string]Value{tt.key: compare(sides[0].value(), nil)}, sides: map[string][]accum{tt.key: sides}}
			th := Threshold{Metric: tt.key, Op: Anomaly, Value: 3, Weeks: 8}
			d.score(th, 1, DefaultMeanCV)
			a, ok := d.AnomalyOf(th)
			require.True(t, ok)
			breached, _ := EvaluateOne(d, th)
			assert.Equal(t, tt.breach, breached, "%+v", a)
		})
	}
}
