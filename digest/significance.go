package digest

// Significance: whether a compared metric's change is real or noise.
//
// Every metric that has a current and a previous value gets a Verdict. A
// change is noise unless all three of these hold:
//
//  1. Volume: the numbers behind it reach Insight.MinCount (default 30):
//     for a count, both periods' counts together; for a rate, the smaller
//     denominator (ratings, queued visitors, greetings shown); for a mean,
//     the smaller number of answers it averages. Below that no test is run:
//     1 → 2 bad ratings is noise whatever the test would say.
//  2. Evidence: the test for its kind of aggregation (below) rejects "no
//     change" after the false discovery rate correction over every metric
//     tested in the digest (Benjamini–Hochberg at Insight.FDR, default 5%).
//     About 40 metrics are tested at once; uncorrected, two of them would
//     be called real by chance in a quiet week. BH keeps the expected share
//     of false discoveries among the changes called real at FDR, and stays
//     valid when the tests are positively dependent (Benjamini & Yekutieli
//     2001), as chats, ratings and responses are. A lone change among 40 needs
//     p ≤ FDR/40; several changes that move together pass more easily.
//  3. Size: the relative change reaches Insight.MinChange percent (default
//     5): with thousands of chats +1% is "significant" and still not news.
//
// The tests, their assumptions and the statistic each gives (z; the
// two-sided p-value is erfc(|z|/√2) from the standard normal):
//
//   - counts (a Sum of whole things: chats, ratings, tickets): the
//     conditional test of two Poisson rates (Przyborowski & Wilenski 1940;
//     Lehmann & Romano, Testing Statistical Hypotheses, 3rd ed., §4.5).
//     Given n = c₁ + c₀, c₁ is Binomial(n, t₁/(t₁+t₀)) when both periods have
//     the same rate per day, t being each period's length in days, so
//     periods of different lengths (a 31-day month against a 30-day one, a
//     clipped month to date) are compared as rates per day. z is the normal
//     approximation of that binomial. Assumes independent arrivals at a
//     steady rate within each period; real traffic is overdispersed (a busy
//     Monday), which makes the test too eager, one more reason for the
//     minimum effect.
//   - rates (a Ratio: satisfaction, abandonment, greeting acceptance): the
//     pooled two-proportion z-test (z² is Pearson's χ² of the 2×2 table;
//     Agresti, Categorical Data Analysis) from the good/bad, left/queued or
//     accepted/displayed counts. Assumes every rating (visitor, greeting) is an independent
//     trial with the period's probability.
//   - count-weighted means (response, waiting and resolution times):
//     the large-sample z-test of two means with unequal variances (Welch
//     1947's statistic, read against the normal at the volumes MinCount
//     asks for).
//     The API gives only each bucket's mean and count, never the single
//     times, so the variance of one time is estimated per period as the
//     larger of two figures: the spread of the bucket means around the
//     period's mean, Σnᵢ(x̄ᵢ−x̄)²/(k−1), which estimates it when times vary
//     alike on every day (and overstates it when days differ, erring
//     towards noise); and (Insight.MeanCV·x̄)², a coefficient of variation
//     assumed for the times themselves (default 1, an exponential
//     distribution's, a common model of waiting and response times).
//     With one bucket only the second figure exists.
//   - sums of hours (availability, chatting time) and maxima (longest wait,
//     peak concurrency) have no count of independent events behind them,
//     so no test applies: they get the size guard only ("relative_change")
//     and never count as significant for the headline.
//
// Sums (counts and hours) over periods of different lengths use the change
// of the rate per day for the size guard and the direction too.

import (
	"cmp"
	"math"
	"slices"
)

// Verdict says whether a compared metric's change matters and which way.
type Verdict string

// The verdicts. Neutral is a change that passed every test on a metric with
// no better direction (chats, tickets).
const (
	VerdictBetter  Verdict = "better"
	VerdictWorse   Verdict = "worse"
	VerdictNeutral Verdict = "neutral"
	VerdictNoise   Verdict = "noise"
)

// Significant reports whether v is a change that passed the tests.
func (v Verdict) Significant() bool {
	return v == VerdictBetter || v == VerdictWorse || v == VerdictNeutral
}

// The tests, as Value.Test names them.
const (
	TestPoisson        = "poisson"
	TestTwoProportions = "two_proportions"
	TestMeans          = "means"
	TestRelative       = "relative_change"
)

// The reasons a change is noise, as Value.Reason gives them.
const (
	ReasonNoChange       = "no_change"
	ReasonMinCount       = "min_count"
	ReasonNotSignificant = "not_significant"
	ReasonMinChange      = "min_change"
)

// Insight holds the constants of the significance tests and the headline.
// A zero FDR or MeanCV means its default; the other zeros mean zero.
type Insight struct {
	// Headline is how many changes the headline names; 0 turns it off.
	Headline int
	// MinChange is the smallest relative change, in percent, that can be
	// more than noise.
	MinChange float64
	// MinCount is the smallest volume behind a tested change (see above).
	MinCount float64
	// FDR is the false discovery rate of the Benjamini–Hochberg correction.
	FDR float64
	// MeanCV is the coefficient of variation assumed for single response,
	// waiting and resolution times.
	MeanCV float64
}

// The defaults of Insight, as config documents them.
const (
	DefaultHeadline  = 3
	DefaultMinChange = 5.0
	DefaultMinCount  = 30.0
	DefaultFDR       = 0.05
	DefaultMeanCV    = 1.0
)

// DefaultInsight returns the defaults.
func DefaultInsight() Insight {
	return Insight{Headline: DefaultHeadline, MinChange: DefaultMinChange, MinCount: DefaultMinCount, FDR: DefaultFDR, MeanCV: DefaultMeanCV}
}

func (in Insight) withDefaults() Insight {
	if in.FDR <= 0 {
		in.FDR = DefaultFDR
	}
	if in.MeanCV <= 0 {
		in.MeanCV = DefaultMeanCV
	}
	return in
}

// poissonZ compares c1 things in t1 days with c0 in t0 days: the conditional
// test of two Poisson rates, normal approximation (see above). ok is false
// when a period has no length.
func poissonZ(c1, t1, c0, t0 float64) (z float64, ok bool) {
	if t1 <= 0 || t0 <= 0 {
		return 0, false
	}
	n := c1 + c0
	if n == 0 {
		return 0, true
	}
	pi := t1 / (t1 + t0)
	return (c1 - n*pi) / math.Sqrt(n*pi*(1-pi)), true
}

// twoProportionZ compares x1 of n1 with x0 of n0: the pooled two-proportion
// z-test. ok is false when a side has no trials.
func twoProportionZ(x1, n1, x0, n0 float64) (z float64, ok bool) {
	if n1 <= 0 || n0 <= 0 {
		return 0, false
	}
	p := (x1 + x0) / (n1 + n0)
	se := math.Sqrt(p * (1 - p) * (1/n1 + 1/n0))
	if se == 0 {
		return 0, true // all good (or all bad) on both sides: no difference
	}
	return (x1/n1 - x0/n0) / se, true
}

// meanZ compares a mean m1 of n1 times whose single times have variance v1
// with m0, v0, n0: the z statistic of two means with unequal variances.
func meanZ(m1, v1, n1, m0, v0, n0 float64) (z float64, ok bool) {
	if n1 <= 0 || n0 <= 0 {
		return 0, false
	}
	se := math.Sqrt(v1/n1 + v0/n0)
	if se == 0 {
		return 0, true // only possible for a mean of 0 s on both sides
	}
	return (m1 - m0) / se, true
}

// meanVariance estimates the variance of one time behind the weighted mean
// a folded: the larger of the spread between its buckets and (cv·mean)².
func meanVariance(a accum, cv float64) float64 {
	m := a.x / a.w
	floor := cv * m * cv * m
	if a.k < 2 {
		return floor
	}
	between := (a.xx - a.x*m) / float64(a.k-1)
	return max(between, floor)
}

// pValue is the two-sided p-value of a standard normal z.
func pValue(z float64) float64 { return math.Erfc(math.Abs(z) / math.Sqrt2) }

// bhAdjust returns the Benjamini–Hochberg adjusted p-values of ps
// (Benjamini & Hochberg 1995): q₍ᵢ₎ = min over j ≥ i of m·p₍ⱼ₎/j, at most 1,
// where p₍ᵢ₎ is the i-th smallest of the m p-values. A p-value is a
// discovery at false discovery rate α exactly when its q ≤ α.
func bhAdjust(ps []float64) []float64 {
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	q := make([]float64, m)
	least := 1.0
	for r := m - 1; r >= 0; r-- {
		i := order[r]
		least = min(least, ps[i]*float64(m)/float64(r+1))
		q[i] = least
	}
	return q
}

// relChange is the relative change from prev to cur (1 = +100%): ±Inf from
// a previous 0, 0 when both are 0.
func relChange(cur, prev float64) float64 {
	switch {
	case cur == prev:
		return 0
	case prev == 0:
		return math.Inf(int(math.Copysign(1, cur)))
	}
	return (cur - prev) / math.Abs(prev)
}

// direction turns a change's sign into a verdict for metric m.
func direction(m Metric, change float64) Verdict {
	switch {
	case m.Better == Neutral:
		return VerdictNeutral
	case (change > 0) == (m.Better == Up):
		return VerdictBetter
	}
	return VerdictWorse
}

// assessment is one metric's comparison on its way to a verdict.
type assessment struct {
	key    string
	m      Metric
	test   string
	z      float64
	volume float64
	rel    float64 // the relative change the size guard reads
	perDay bool    // rel is the change of the rate per day
	family bool    // tested and enough volume: joins the BH correction
	unread bool    // the test gave no statistic: not significant
}

// assess runs the test of metric m on the current side c and previous side
// p, folded over t1 and t0 days. ok is false when there is nothing to
// compare.
func assess(m Metric, c, p accum, t1, t0, cv float64) (a assessment, ok bool) {
	cur, prev := c.value(), p.value()
	if cur == nil || prev == nil {
		return a, false
	}
	a = assessment{key: m.Key, m: m, test: TestRelative, rel: relChange(*cur, *prev)}
	switch {
	case m.Agg == Sum && m.Unit == Count:
		a.test, a.volume = TestPoisson, c.x+p.x
		a.z, a.family = poissonZ(c.x, t1, p.x, t0)
	case m.Agg == Ratio:
		a.test, a.volume = TestTwoProportions, min(c.w, p.w)
		a.z, a.family = twoProportionZ(c.x, c.w, p.x, p.w)
	case m.Agg == WeightedMean:
		a.test, a.volume = TestMeans, min(c.w, p.w)
		a.z, a.family = meanZ(*cur, meanVariance(c, cv), c.w, *prev, meanVariance(p, cv), p.w)
	}
	if math.IsNaN(a.z) {
		// Numbers the test cannot read (a rate whose numerator outgrew its
		// denominator, a spread that overflowed): no statistic, so no
		// evidence either.
		a.z, a.family, a.unread = 0, false, true
	}
	if m.Agg == Sum && t1 != t0 && t1 > 0 && t0 > 0 {
		a.rel, a.perDay = relChange(*cur/t1, *prev/t0), true
	}
	return a, true
}

// judge gives every compared metric of d its verdict and the figures behind
// it, from the folded sides and the lengths t1 and t0 of the two periods in
// days. The metrics of one digest are one family of tests.
func (d *Digest) judge(in Insight, t1, t0 float64) {
	in = in.withDefaults()
	var as []assessment
	for _, m := range Catalogue {
		sides, ok := d.sides[m.Key]
		if _, has := d.Metrics[m.Key]; !has || !ok || len(sides) < 2 {
			continue
		}
		if a, ok := assess(m, sides[0], sides[1], t1, t0, in.MeanCV); ok {
			as = append(as, a)
		}
	}
	for i, j := range decide(as, in) {
		v := d.Metrics[as[i].key]
		v.Verdict, v.Test, v.Z, v.P, v.Q, v.RateChangePct, v.Reason = j.Verdict, j.Test, j.Z, j.P, j.Q, j.RateChangePct, j.Reason
		d.Metrics[as[i].key] = v
	}
}

// decide turns one family of assessments into verdicts: the
// Benjamini–Hochberg correction runs over those with a test and enough
// volume. It returns, per assessment, a Value holding only the verdict and
// the figures behind it.
func decide(as []assessment, in Insight) []Value {
	var ps []float64
	for i := range as {
		as[i].family = as[i].family && as[i].volume >= in.MinCount
		if as[i].family {
			ps = append(ps, pValue(as[i].z))
		}
	}
	qs := bhAdjust(ps)
	out := make([]Value, len(as))
	for i, a := range as {
		v := Value{Test: a.test, Verdict: VerdictNoise}
		if a.perDay && !math.IsInf(a.rel, 0) {
			v.RateChangePct = ptr(100 * a.rel)
		}
		var q float64
		if a.family {
			q, qs = qs[0], qs[1:]
			v.Z, v.P, v.Q = ptr(a.z), ptr(pValue(a.z)), ptr(q)
		}
		switch {
		case a.rel == 0:
			v.Reason = ReasonNoChange
		case a.unread:
			v.Reason = ReasonNotSignificant
		case a.test != TestRelative && !a.family:
			v.Reason = ReasonMinCount
		case a.test != TestRelative && q > in.FDR:
			v.Reason = ReasonNotSignificant
		case math.Abs(a.rel)*100 < in.MinChange:
			v.Reason = ReasonMinChange
		default:
			v.Verdict = direction(a.m, a.rel)
		}
		out[i] = v
	}
	return out
}
