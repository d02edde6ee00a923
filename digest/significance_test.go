package digest

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sideOf folds observations of one aggregation, as aggregate does.
func sideOf(agg Agg, os ...obs) accum {
	a := accum{agg: agg}
	for _, o := range os {
		a.add(o, 1)
	}
	return a
}

// compared is a digest of one metric key whose two sides are c and p, over
// t1 and t0 days, with the insight constants in.
func compared(t *testing.T, key string, c, p accum) *Digest {
	t.Helper()
	_, ok := LookupMetric(key)
	require.True(t, ok, key)
	return &Digest{
		Metrics: map[string]Value{key: compare(c.value(), p.value())},
		sides:   map[string][]accum{key: {c, p}},
	}
}

// TestVerdictHandMade pins each test's verdict on the hand-made
// cases, each tested alone (no other metric in the correction), and on the
// guards around them.
func TestVerdictHandMade(t *testing.T) {
	t.Parallel()
	in := DefaultInsight()
	noGuards := Insight{FDR: 0.05, MeanCV: 1} // min_change 0, min_count 0: the test alone decides
	perDay := func(n float64) obs { return count(int64(n)) }
	tests := []struct {
		name   string
		key    string
		c, p   accum
		t1, t0 float64
		in     Insight
		want   Verdict
		reason string
		test   string
		z      float64 // checked when not NaN
	}{
		// Counts: the conditional Poisson test.
		{"1 to 2 bad ratings is noise by the test", "chat_ratings.bad", sideOf(Sum, count(2)), sideOf(Sum, count(1)), 7, 7, noGuards,
			VerdictNoise, ReasonNotSignificant, TestPoisson, (2 - 1.5) / math.Sqrt(0.75)},
		{"1 to 2 bad ratings is noise by volume", "chat_ratings.bad", sideOf(Sum, count(2)), sideOf(Sum, count(1)), 7, 7, in,
			VerdictNoise, ReasonMinCount, TestPoisson, math.NaN()},
		// n = 2120, expected 1060, sd √530: z = 60/23.02 = 2.61, p = 0.009.
		{"1,000 to 1,120 chats is significant", "total_chats.chats", sideOf(Sum, count(1120)), sideOf(Sum, count(1000)), 7, 7, in,
			VerdictNeutral, "", TestPoisson, 60 / math.Sqrt(530)},
		{"1,000 to 1,040 chats is noise", "total_chats.chats", sideOf(Sum, count(1040)), sideOf(Sum, count(1000)), 7, 7, in,
			VerdictNoise, ReasonNotSignificant, TestPoisson, 20 / math.Sqrt(510)},
		{"more bad ratings is worse", "chat_ratings.bad", sideOf(Sum, count(300)), sideOf(Sum, count(200)), 7, 7, in,
			VerdictWorse, "", TestPoisson, 50 / math.Sqrt(125)},
		{"more good ratings is better", "chat_ratings.good", sideOf(Sum, count(300)), sideOf(Sum, count(200)), 7, 7, in,
			VerdictBetter, "", TestPoisson, 50 / math.Sqrt(125)},
		{"fewer good ratings is worse", "chat_ratings.good", sideOf(Sum, count(200)), sideOf(Sum, count(300)), 7, 7, in,
			VerdictWorse, "", TestPoisson, -50 / math.Sqrt(125)},
		// +1% on a million chats is significant and still below min_change.
		{"a tiny change on a huge count is below min_change", "total_chats.chats", sideOf(Sum, count(1010000)), sideOf(Sum, count(1000000)), 7, 7, in,
			VerdictNoise, ReasonMinChange, TestPoisson, 5000 / math.Sqrt(2010000*0.25)},
		{"no change", "total_chats.chats", sideOf(Sum, count(500)), sideOf(Sum, count(500)), 7, 7, in,
			VerdictNoise, ReasonNoChange, TestPoisson, 0},
		{"nothing on either side", "total_chats.chats", sideOf(Sum, count(0)), sideOf(Sum, count(0)), 7, 7, noGuards,
			VerdictNoise, ReasonNoChange, TestPoisson, 0},
		{"from zero", "total_chats.chats", sideOf(Sum, count(50)), sideOf(Sum, count(0)), 7, 7, in,
			VerdictNeutral, "", TestPoisson, 25 / math.Sqrt(12.5)},
		// Rates per day: the same 100 a day in October (31 days) and
		// September (30) is no change, though the total rose 3.3%.
		{"a longer month at the same rate is no change", "total_chats.chats", sideOf(Sum, perDay(3100)), sideOf(Sum, perDay(3000)), 31, 30, in,
			VerdictNoise, ReasonNoChange, TestPoisson, 0},
		// February (28 days) with January's total is +10.7% a day.
		{"a shorter month with the same total is a rise", "total_chats.chats", sideOf(Sum, perDay(3100)), sideOf(Sum, perDay(3100)), 28, 31, in,
			VerdictNeutral, "", TestPoisson, (3100 - 6200*28.0/59) / math.Sqrt(6200*28.0/59*31/59)},
		{"a period without length is not tested", "total_chats.chats", sideOf(Sum, count(5)), sideOf(Sum, count(3)), 0, 1, noGuards,
			VerdictNoise, ReasonMinCount, TestPoisson, math.NaN()},

		// Rates: the pooled two-proportion test.
		{"satisfaction 90% to 80% on 10 ratings is noise", "chat_ratings.satisfaction", sideOf(Ratio, ratio(8, 10)), sideOf(Ratio, ratio(9, 10)), 7, 7, noGuards,
			VerdictNoise, ReasonNotSignificant, TestTwoProportions, -0.1 / math.Sqrt(0.85*0.15*0.2)},
		{"satisfaction 90% to 80% on 1,000 ratings is worse", "chat_ratings.satisfaction", sideOf(Ratio, ratio(800, 1000)), sideOf(Ratio, ratio(900, 1000)), 7, 7, in,
			VerdictWorse, "", TestTwoProportions, -0.1 / math.Sqrt(0.85*0.15*0.002)},
		{"satisfaction on 10 ratings is below min_count", "chat_ratings.satisfaction", sideOf(Ratio, ratio(8, 10)), sideOf(Ratio, ratio(9, 10)), 7, 7, in,
			VerdictNoise, ReasonMinCount, TestTwoProportions, math.NaN()},
		{"lower abandonment is better", "queued_visitors.abandonment_rate", sideOf(Ratio, ratio(50, 1000)), sideOf(Ratio, ratio(100, 1000)), 7, 7, in,
			VerdictBetter, "", TestTwoProportions, -0.05 / math.Sqrt(0.075*0.925*0.002)},
		{"all good on both sides", "chat_ratings.satisfaction", sideOf(Ratio, ratio(40, 40)), sideOf(Ratio, ratio(50, 50)), 7, 7, in,
			VerdictNoise, ReasonNoChange, TestTwoProportions, 0},
		// Ratios of different lengths compare the ratios, never per day.
		{"a ratio is not per day", "chat_ratings.satisfaction", sideOf(Ratio, ratio(450, 500)), sideOf(Ratio, ratio(450, 500)), 31, 28, in,
			VerdictNoise, ReasonNoChange, TestTwoProportions, 0},

		// Count-weighted means: times with an assumed or measured spread.
		{"a weighted mean on 3 responses is noise by the test", "chats_first_response_time.seconds", sideOf(WeightedMean, mean(ptr(90), 3)), sideOf(WeightedMean, mean(ptr(60), 3)), 7, 7, noGuards,
			VerdictNoise, ReasonNotSignificant, TestMeans, 30 / math.Sqrt(8100.0/3+3600.0/3)},
		{"a weighted mean on 3 responses is below min_count", "chats_first_response_time.seconds", sideOf(WeightedMean, mean(ptr(90), 3)), sideOf(WeightedMean, mean(ptr(60), 3)), 7, 7, in,
			VerdictNoise, ReasonMinCount, TestMeans, math.NaN()},
		{"60 s to 90 s on 1,000 responses is worse", "chats_first_response_time.seconds", sideOf(WeightedMean, mean(ptr(90), 1000)), sideOf(WeightedMean, mean(ptr(60), 1000)), 7, 7, in,
			VerdictWorse, "", TestMeans, 30 / math.Sqrt(8.1+3.6)},
		// Days of 10 s and 100 s spread far more than a CV of 1 says: the
		// spread between buckets is used, and the change is noise.
		{"a spread between days widens the error", "chats_first_response_time.seconds",
			sideOf(WeightedMean, mean(ptr(10), 100), mean(ptr(100), 100)), sideOf(WeightedMean, mean(ptr(50), 200)), 7, 7, in,
			VerdictNoise, ReasonNotSignificant, TestMeans, 5 / math.Sqrt(405000.0/200+2500.0/200)},
		{"faster answers are better", "queue_waiting_times.queued_avg_seconds", sideOf(WeightedMean, mean(ptr(40), 500)), sideOf(WeightedMean, mean(ptr(60), 500)), 7, 7, in,
			VerdictBetter, "", TestMeans, -20 / math.Sqrt(1600.0/500+3600.0/500)},
		{"no answers on both sides", "chats_first_response_time.seconds", sideOf(WeightedMean, mean(ptr(0), 100)), sideOf(WeightedMean, mean(ptr(0), 100)), 7, 7, in,
			VerdictNoise, ReasonNoChange, TestMeans, 0},

		// No count behind them: the size guard only.
		{"availability down 20% is worse", "availability.hours", sideOf(Sum, amount(80)), sideOf(Sum, amount(100)), 7, 7, in,
			VerdictWorse, "", TestRelative, math.NaN()},
		{"availability up 4% is noise", "availability.hours", sideOf(Sum, amount(104)), sideOf(Sum, amount(100)), 7, 7, in,
			VerdictNoise, ReasonMinChange, TestRelative, math.NaN()},
		{"hours are per day over different lengths", "availability.hours", sideOf(Sum, amount(310)), sideOf(Sum, amount(300)), 31, 30, in,
			VerdictNoise, ReasonNoChange, TestRelative, math.NaN()},
		{"a longer wait is worse", "queue_waiting_times.queued_max_seconds", sideOf(Max, largest(ptr(120))), sideOf(Max, largest(ptr(60))), 7, 7, in,
			VerdictWorse, "", TestRelative, math.NaN()},
		{"a higher peak is neutral", "agents_occupancy.peak", sideOf(Max, largest(ptr(12))), sideOf(Max, largest(ptr(6))), 7, 7, in,
			VerdictNeutral, "", TestRelative, math.NaN()},
		{"a maximum is not per day", "agents_occupancy.peak", sideOf(Max, largest(ptr(6))), sideOf(Max, largest(ptr(6))), 31, 28, in,
			VerdictNoise, ReasonNoChange, TestRelative, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := compared(t, tt.key, tt.c, tt.p)
			d.judge(tt.in, tt.t1, tt.t0)
			got := d.Metrics[tt.key]
			assert.Equal(t, tt.want, got.Verdict)
			assert.Equal(t, tt.reason, got.Reason)
			assert.Equal(t, tt.test, got.Test)
			if math.IsNaN(tt.z) {
				assert.Nil(t, got.Z)
				assert.Nil(t, got.P)
				assert.Nil(t, got.Q)
				return
			}
			require.NotNil(t, got.Z)
			assert.InDelta(t, tt.z, *got.Z, 1e-9)
			assert.InDelta(t, math.Erfc(math.Abs(tt.z)/math.Sqrt2), *got.P, 1e-12)
			assert.InDelta(t, *got.P, *got.Q, 1e-12, "one test alone is not adjusted")
		})
	}
}

// TestVerdictBoundaries: a q-value equal to the false discovery rate is a
// discovery (q ≤ α), and a change equal to min_change is big enough.
func TestVerdictBoundaries(t *testing.T) {
	t.Parallel()
	c, p := sideOf(Sum, count(1250)), sideOf(Sum, count(1000)) // +25% exactly
	z := 125 / math.Sqrt(2250*0.25)
	d := compared(t, "total_chats.chats", c, p)
	d.judge(Insight{FDR: pValue(z), MeanCV: 1}, 7, 7)
	assert.Equal(t, VerdictNeutral, d.Metrics["total_chats.chats"].Verdict, "q = fdr")
	d = compared(t, "total_chats.chats", c, p)
	d.judge(Insight{FDR: pValue(z) * 0.999, MeanCV: 1}, 7, 7)
	assert.Equal(t, ReasonNotSignificant, d.Metrics["total_chats.chats"].Reason, "q just over fdr")

	d = compared(t, "total_chats.chats", c, p)
	d.judge(Insight{MinChange: 25, FDR: 0.05, MeanCV: 1}, 7, 7)
	assert.Equal(t, VerdictNeutral, d.Metrics["total_chats.chats"].Verdict, "change = min_change")
	d = compared(t, "total_chats.chats", c, p)
	d.judge(Insight{MinChange: 25.001, FDR: 0.05, MeanCV: 1}, 7, 7)
	assert.Equal(t, ReasonMinChange, d.Metrics["total_chats.chats"].Reason, "change just under min_change")

	// Volume equal to min_count is enough.
	d = compared(t, "total_chats.chats", c, p)
	d.judge(Insight{MinCount: 2250, FDR: 0.05, MeanCV: 1}, 7, 7)
	assert.Equal(t, VerdictNeutral, d.Metrics["total_chats.chats"].Verdict, "volume = min_count")
	d = compared(t, "total_chats.chats", c, p)
	d.judge(Insight{MinCount: 2251, FDR: 0.05, MeanCV: 1}, 7, 7)
	assert.Equal(t, ReasonMinCount, d.Metrics["total_chats.chats"].Reason, "volume under min_count")
}

// TestVerdictRatePerDay checks the per-day figures of sums over periods of
// different lengths.
func TestVerdictRatePerDay(t *testing.T) {
	t.Parallel()
	d := compared(t, "total_chats.chats", sideOf(Sum, count(3100)), sideOf(Sum, count(3100)))
	d.judge(DefaultInsight(), 28, 31)
	v := d.Metrics["total_chats.chats"]
	require.NotNil(t, v.RateChangePct)
	assert.InDelta(t, 100*(31.0/28-1), *v.RateChangePct, 1e-9)
	assert.InDelta(t, 0, *v.ChangePct, 0, "the totals are equal")

	d = compared(t, "total_chats.chats", sideOf(Sum, count(3100)), sideOf(Sum, count(3000)))
	d.judge(DefaultInsight(), 7, 7)
	assert.Nil(t, d.Metrics["total_chats.chats"].RateChangePct, "equal lengths need no rate")

	d = compared(t, "total_chats.chats", sideOf(Sum, count(5)), sideOf(Sum, count(0)))
	d.judge(DefaultInsight(), 28, 31)
	assert.Nil(t, d.Metrics["total_chats.chats"].RateChangePct, "no rate change from zero")
}

// TestVerdictNothingToCompare: no verdict without both values, without
// sides, or for a key the digest does not have.
func TestVerdictNothingToCompare(t *testing.T) {
	t.Parallel()
	d := compared(t, "chats_first_response_time.seconds", sideOf(WeightedMean, mean(nil, 0)), sideOf(WeightedMean, mean(ptr(12), 40)))
	d.Metrics["total_chats.chats"] = compare(ptr(100), ptr(50)) // no sides
	d.sides["chat_ratings.good"] = []accum{sideOf(Sum, count(1)), sideOf(Sum, count(2))}
	d.sides["chat_ratings.bad"] = []accum{sideOf(Sum, count(1))}
	d.Metrics["chat_ratings.bad"] = compare(ptr(1), nil)
	d.judge(DefaultInsight(), 7, 7)
	assert.Equal(t, Value{Previous: ptr(12)}, d.Metrics["chats_first_response_time.seconds"])
	assert.Equal(t, compare(ptr(100), ptr(50)), d.Metrics["total_chats.chats"])
	assert.Equal(t, compare(ptr(1), nil), d.Metrics["chat_ratings.bad"])
	assert.NotContains(t, d.Metrics, "chat_ratings.good")
}

// TestVerdictCorrection checks that the metrics of one digest are
// corrected together: a change significant alone is noise among many
// quiet ones, and several changes that move together stay significant.
func TestVerdictCorrection(t *testing.T) {
	t.Parallel()
	quiet := []string{
		"engagement.auto_invite", "engagement.manual_invite", "engagement.immediate_start",
		"chat_ratings.good", "chat_ratings.bad", "chat_ratings.chats",
		"queued_visitors.queued", "queued_visitors.left_queue", "queued_visitors.entered_chat",
		"goals.goals", "greetings.displayed", "greetings.accepted", "greetings.goals",
		"tickets_new.tickets", "tickets_solved.tickets",
	}
	build := func(moving ...string) *Digest {
		d := &Digest{Metrics: map[string]Value{}, sides: map[string][]accum{}}
		for _, k := range quiet {
			d.sides[k] = []accum{sideOf(Sum, count(1005)), sideOf(Sum, count(1000))}
		}
		for _, k := range moving {
			d.sides[k] = []accum{sideOf(Sum, count(1120)), sideOf(Sum, count(1000))}
		}
		for k, s := range d.sides {
			d.Metrics[k] = compare(s[0].value(), s[1].value())
		}
		return d
	}
	// Alone: p = 0.009 > 0.05/16.
	d := build("total_chats.chats")
	d.judge(DefaultInsight(), 7, 7)
	v := d.Metrics["total_chats.chats"]
	assert.Equal(t, VerdictNoise, v.Verdict)
	assert.Equal(t, ReasonNotSignificant, v.Reason)
	assert.InDelta(t, *v.P*16, *v.Q, 1e-12)

	// Five of the 16 moving together: q = 0.009 × 16/5 = 0.029.
	d = build("total_chats.chats", "engagement.auto_invite", "engagement.manual_invite", "engagement.immediate_start", "chat_ratings.good")
	d.judge(DefaultInsight(), 7, 7)
	for _, k := range []string{"total_chats.chats", "chat_ratings.good"} {
		v := d.Metrics[k]
		assert.True(t, v.Verdict.Significant(), k)
		assert.InDelta(t, *v.P*16/5, *v.Q, 1e-12, k)
	}
	assert.Equal(t, VerdictNoise, d.Metrics["goals.goals"].Verdict)
}

func TestBHAdjust(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ps   []float64
		want []float64 // R: p.adjust(ps, "BH")
	}{
		{"none", nil, []float64{}},
		{"one is not adjusted", []float64{0.03}, []float64{0.03}},
		{"sorted", []float64{0.01, 0.04, 0.9}, []float64{0.03, 0.06, 0.9}},
		{"unsorted", []float64{0.9, 0.01, 0.04}, []float64{0.9, 0.03, 0.06}},
		{"monotone from the top", []float64{0.01, 0.02, 0.03, 0.04}, []float64{0.04, 0.04, 0.04, 0.04}},
		{"capped at 1", []float64{0.6, 0.7}, []float64{0.7, 0.7}},
		{"ties", []float64{0.02, 0.02, 0.5}, []float64{0.03, 0.03, 0.5}},
		{"R example", []float64{0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205}, []float64{0.008, 0.032, 0.0672, 0.0672, 0.0672, 0.08, 0.08457142857142857, 0.205}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := bhAdjust(tt.ps)
			require.Len(t, got, len(tt.want))
			for i := range got {
				assert.InDelta(t, tt.want[i], got[i], 1e-12, i)
			}
		})
	}
}

func TestTests(t *testing.T) {
	t.Parallel()
	z, ok := poissonZ(2, 7, 1, 7)
	assert.True(t, ok)
	assert.InDelta(t, 0.5/math.Sqrt(0.75), z, 1e-12)
	_, ok = poissonZ(2, 7, 1, 0)
	assert.False(t, ok)
	z, ok = poissonZ(0, 1, 0, 1)
	assert.True(t, ok)
	assert.Zero(t, z)
	// Unequal lengths: 30 in 3 days against 10 in 1 is the same rate.
	z, _ = poissonZ(30, 3, 10, 1)
	assert.InDelta(t, 0, z, 1e-12)

	z, ok = twoProportionZ(8, 10, 9, 10)
	assert.True(t, ok)
	assert.InDelta(t, -0.1/math.Sqrt(0.85*0.15*0.2), z, 1e-12)
	_, ok = twoProportionZ(1, 0, 1, 2)
	assert.False(t, ok)
	_, ok = twoProportionZ(1, 2, 1, 0)
	assert.False(t, ok)
	z, ok = twoProportionZ(0, 5, 0, 9)
	assert.True(t, ok)
	assert.Zero(t, z)

	z, ok = meanZ(90, 8100, 3, 60, 3600, 3)
	assert.True(t, ok)
	assert.InDelta(t, 30/math.Sqrt(3900), z, 1e-12)
	_, ok = meanZ(1, 1, 0, 1, 1, 1)
	assert.False(t, ok)
	_, ok = meanZ(1, 1, 1, 1, 1, 0)
	assert.False(t, ok)

	assert.InDelta(t, 0.05, pValue(1.959963984540054), 1e-12)
	assert.InDelta(t, 0.05, pValue(-1.959963984540054), 1e-12)
	assert.InDelta(t, 1, pValue(0), 0)
}

func TestMeanVariance(t *testing.T) {
	t.Parallel()
	// One bucket: only the assumed CV: (1 × 40)² and (0.5 × 40)².
	one := sideOf(WeightedMean, mean(ptr(40), 10))
	assert.InDelta(t, 1600, meanVariance(one, 1), 1e-9)
	assert.InDelta(t, 400, meanVariance(one, 0.5), 1e-9)
	// 100 answers at 10 s and 100 at 100 s: mean 55, Σn(x−55)²/(2−1) =
	// 100·45² + 100·45² = 405,000, far above 55².
	spread := sideOf(WeightedMean, mean(ptr(10), 100), mean(ptr(100), 100))
	assert.InDelta(t, 405000, meanVariance(spread, 1), 1e-6)
	// Days alike: the CV floor wins.
	alike := sideOf(WeightedMean, mean(ptr(40), 100), mean(ptr(41), 100), mean(ptr(39), 100))
	assert.InDelta(t, 1600, meanVariance(alike, 1), 1e-9)
	// Three buckets: the divisor is k−1 = 2: Σn(x−50)² = 2·(1·400) = 800 → 400, over (0.1·50)² = 25.
	three := sideOf(WeightedMean, mean(ptr(30), 1), mean(ptr(50), 1), mean(ptr(70), 1))
	assert.InDelta(t, 400, meanVariance(three, 0.1), 1e-9)
}

func TestRelChangeAndDirection(t *testing.T) {
	t.Parallel()
	assert.InDelta(t, 0.25, relChange(125, 100), 1e-12)
	assert.InDelta(t, -0.25, relChange(-125, -100), 1e-12, "against the size of a negative previous")
	assert.Zero(t, relChange(0, 0))
	assert.Zero(t, relChange(7, 7))
	assert.True(t, math.IsInf(relChange(3, 0), 1))
	assert.True(t, math.IsInf(relChange(-3, 0), -1))

	frt, _ := LookupMetric("chats_first_response_time.seconds")
	good, _ := LookupMetric("chat_ratings.good")
	chats, _ := LookupMetric("total_chats.chats")
	assert.Equal(t, VerdictWorse, direction(frt, 0.1))
	assert.Equal(t, VerdictBetter, direction(frt, -0.1))
	assert.Equal(t, VerdictBetter, direction(good, 0.1))
	assert.Equal(t, VerdictWorse, direction(good, -0.1))
	assert.Equal(t, VerdictNeutral, direction(chats, 0.1))
	assert.Equal(t, VerdictNeutral, direction(chats, -0.1))

	for v, want := range map[Verdict]bool{VerdictBetter: true, VerdictWorse: true, VerdictNeutral: true, VerdictNoise: false, "": false} {
		assert.Equal(t, want, v.Significant(), v)
	}
}

func TestInsightDefaults(t *testing.T) {
	t.Parallel()
	assert.Equal(t, Insight{Headline: 3, MinChange: 5, MinCount: 30, FDR: 0.05, MeanCV: 1}, DefaultInsight())
	assert.Equal(t, Insight{FDR: 0.05, MeanCV: 1}, Insight{}.withDefaults())
	assert.Equal(t, Insight{FDR: 0.1, MeanCV: 2}, Insight{FDR: 0.1, MeanCV: 2}.withDefaults())
}

// TestVerdictWithoutAStatistic: numbers a test cannot read (more visitors
// left the queue than were queued, as an upstream that counts them on
// different days may say; means so large their spread overflows) give no z,
// and a change without a z passes for nothing: it was "worse" by the size
// guard alone, with a null z, p and q.
func TestVerdictWithoutAStatistic(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		key  string
		c, p accum
	}{
		{"left more than queued", "queued_visitors.abandonment_rate", sideOf(Ratio, ratio(60, 30)), sideOf(Ratio, ratio(40, 30))},
		{"a spread that overflows", "chats_first_response_time.seconds",
			sideOf(WeightedMean, mean(ptr(2e160), 50), mean(ptr(1e160), 50)), sideOf(WeightedMean, mean(ptr(1e160), 100))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := compared(t, tt.key, tt.c, tt.p)
			require.NotNil(t, d.Metrics[tt.key].Current)
			d.judge(DefaultInsight(), 7, 7)
			v := d.Metrics[tt.key]
			assert.Equal(t, VerdictNoise, v.Verdict)
			assert.Equal(t, ReasonNotSignificant, v.Reason)
			assert.Nil(t, v.Z)
			assert.Nil(t, v.Q)
		})
	}
}
