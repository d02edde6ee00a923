package digest

// Anomaly thresholds: is this period unusual for this time of the week?
//
// A threshold {metric: total_chats.chats, anomaly: {weeks: 8, z: 3}}
// compares the period's value x with the same period in each of the
// previous `weeks` weeks (yesterday with the same weekday of the 8 weeks
// before; last week with the 8 weeks before it), so weekly seasonality is
// the baseline rather than an alarm. The score is a robust z (Iglewicz &
// Hoaglin, How to Detect and Handle Outliers, 1993, the "modified z-score";
// Leys et al., J. Exp. Soc. Psych. 49, 2013, on the MAD):
//
//	z = (x − median) / s,   s = max(1.4826 · MAD, floor)
//
// The median and the median absolute deviation (MAD) ignore a past spike or
// outage in the history the way a mean and a standard deviation cannot;
// 1.4826 makes the MAD estimate the standard deviation of normal data. The
// floor keeps a flat history (MAD 0: 100 chats every Monday) from dividing
// by zero and from calling 101 an anomaly: s is at least 5% of the median
// and at least one unit of the metric (1 chat or second, 0.1 h, 1
// percentage point), and at least the sampling noise of the value itself
// when it is usual, for the volume behind it now:
//   - a count: √median, the Poisson noise of a count of that size;
//   - a rate of n trials (ratings, queued visitors, greetings shown):
//     √(p(1−p)/n), the binomial noise, p being the median moved one trial
//     towards ½ ((median·n + 1)/(n + 2)), since a history that never saw a
//     bad rating or a visitor leave does not make one impossible: 1 of 3
//     visitors leaving after eight Mondays of none is z 1.4, not 33;
//   - a mean of n times: mean_cv·median/√n, the standard error the
//     significance test assumes (significance.go): 3 slow answers are
//     noise, 300 are not.
//
// The threshold breaches when |z| > the z asked, in
// either direction (a spike, or an outage's collapse). Fewer than 3 earlier
// periods with a value give no score, and an unknown value neither fires nor
// resolves an alert.
//
// A partial period (today until 10:00) is compared with the same elapsed
// hours of the same weekday in earlier weeks (the hour in progress prorated,
// as for the compare period), so a morning is not an anomaly for being a
// morning. History is fetched with the digest's own request by day, widened
// to cover the weeks (one request per report); a partial period's earlier
// days by the hour, one request each. Month periods have no weekly rhythm to
// compare with and metrics without a daily series (agents_occupancy, and on
// v3.6 chatting_time and unique_visitors) have no history: both are refused.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"livechat-digest/livechat"
)

// AnomalyScore is how a period's value compares with the same period in the
// weeks before.
type AnomalyScore struct {
	Value    float64
	Baseline float64 // the median of the earlier periods
	Scale    float64 // the robust standard deviation, floored
	Z        float64
	// Usual names what the baseline is for people: "Monday", "Monday until
	// 10:00", "week", "7 days".
	Usual string
	// History holds the earlier periods' values that have one, most recent
	// first.
	History []float64
}

// The constants of the robust z.
const (
	// madToSD scales the MAD to a standard deviation for normal data.
	madToSD = 1.4826
	// minHistory is how many earlier periods with a value a score needs.
	minHistory = 3
	// relFloor is the smallest scale as a share of the median.
	relFloor = 0.05
	// MaxAnomalyWeeks bounds weeks, so the history request stays within one
	// request (52 weeks plus a week's period is under MaxPeriodDays).
	MaxAnomalyWeeks = 52
)

// unitFloor is one unit of a metric's measure, the smallest scale.
func unitFloor(u Unit) float64 {
	switch u {
	case Hours:
		return 0.1
	case Rate:
		return 0.01
	}
	return 1 // a chat, a second
}

// median returns the median of xs (not empty); xs is sorted in place.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// robustZ scores x, a value of metric m over a volume n (the trials of a
// rate, the answers of a mean; unused for other metrics), against its
// history: see the file comment. cv is the coefficient of variation assumed
// for single times.
func robustZ(m Metric, x, n float64, history []float64, cv float64) (baseline, scale, z float64) {
	hs := slices.Clone(history)
	baseline = median(hs)
	dev := make([]float64, len(hs))
	for i, h := range hs {
		dev[i] = math.Abs(h - baseline)
	}
	scale = max(madToSD*median(dev), relFloor*math.Abs(baseline), unitFloor(m.Unit), noise(m, baseline, n, cv))
	return baseline, scale, (x - baseline) / scale
}

// noise is the sampling noise of a value of m over volume n when baseline
// is its usual value: see the file comment. 0 where there is none to say.
func noise(m Metric, baseline, n, cv float64) float64 {
	switch {
	case m.Agg == Sum && m.Unit == Count:
		return math.Sqrt(math.Abs(baseline))
	case m.Agg == Ratio && n > 0:
		p := (baseline*n + 1) / (n + 2)
		return math.Sqrt(p * (1 - p) / n)
	case m.Agg == WeightedMean && n > 0:
		return cv * math.Abs(baseline) / math.Sqrt(n)
	}
	return 0
}

// historySides returns the sides of the earlier weeks of cur: cur moved back
// 7, 14, … days, each cut like cur and prorated like a compare period.
func historySides(cur span, weeks int) []span {
	out := make([]span, weeks)
	for k := range out {
		back := -7 * (k + 1)
		out[k] = span{r: DateRange{From: cur.r.From.AddDays(back), To: cur.r.To.AddDays(back)}, cut: cur.cut, prorate: true}
	}
	return out
}

// anomalyWeeks returns, per report, the most weeks of history an anomaly
// threshold on one of its metrics asks for.
func anomalyWeeks(ths []Threshold) map[livechat.Report]int {
	out := map[livechat.Report]int{}
	for _, t := range ths {
		if t.Op != Anomaly {
			continue
		}
		if m, ok := LookupMetric(t.Metric); ok {
			out[m.Report] = max(out[m.Report], t.Weeks)
		}
	}
	return out
}

// usual names a period of the days of r for "3.4× the usual Monday".
func usual(r DateRange, until string) string {
	var s string
	switch n := r.Days(); n {
	case 1:
		s = r.From.Weekday().String()
	case 7:
		s = "week"
		if r.From.Weekday() != time.Monday {
			s = "7 days"
		}
	default:
		s = strconv.Itoa(n) + " days"
	}
	if until != "" {
		s += " until " + until
	}
	return s
}

// score computes the anomaly of threshold t from the folded sides of its
// metric, whose history starts at side first; cv is Insight.MeanCV.
func (d *Digest) score(t Threshold, first int, cv float64) {
	m, _ := LookupMetric(t.Metric)
	sides := d.sides[t.Metric]
	if len(sides) < first+t.Weeks {
		return // its report failed
	}
	cur := sides[0].value()
	if cur == nil {
		return
	}
	var hist []float64
	for _, s := range sides[first : first+t.Weeks] {
		if v := s.value(); v != nil {
			hist = append(hist, *v)
		}
	}
	if len(hist) < minHistory {
		return
	}
	b, s, z := robustZ(m, *cur, sides[0].w, hist, cv)
	if d.anomalies == nil {
		d.anomalies = map[string]AnomalyScore{}
	}
	d.anomalies[t.Key()] = AnomalyScore{Value: *cur, Baseline: b, Scale: s, Z: z, Usual: usual(d.Period, d.Until), History: hist}
}

// AnomalyOf returns the anomaly score of threshold t in d, if it has one.
func (d *Digest) AnomalyOf(t Threshold) (AnomalyScore, bool) {
	if d == nil {
		return AnomalyScore{}, false
	}
	a, ok := d.anomalies[t.Key()]
	return a, ok
}

// Times says the value against its baseline for people: "3.4× the usual
// Monday", "0.2× the usual week", "12 against a usual 0".
func (a AnomalyScore) Times(m Metric) string {
	if a.Baseline == 0 {
		return FormatValue(m, &a.Value) + " against a usual 0"
	}
	r := a.Value / a.Baseline
	return strconv.FormatFloat(r, 'f', 1, 64) + "× the usual " + a.Usual
}

// checkAnomaly says why threshold t cannot be an anomaly threshold of a
// digest of period p on api, if it cannot.
func checkAnomaly(t Threshold, p Period, api livechat.API) error {
	m, _ := LookupMetric(t.Metric)
	switch {
	case p.Kind == MonthToDate || p.Kind == LastMonth:
		return fmt.Errorf("digest: threshold %q: anomaly thresholds compare with the same period in earlier weeks; period %s has no weekly rhythm (use yesterday, today, last_week or last_7_days)", t.Key(), p)
	case !HasDailySeries(m, api):
		return fmt.Errorf("digest: threshold %q: %s has no daily series to build a history from", t.Key(), t.Metric)
	}
	return nil
}

// HasDailySeries reports whether metric m is read day by day on api: not
// agents_occupancy (one weekday per request), nor the per-period v3.6
// reports.
func HasDailySeries(m Metric, api livechat.API) bool {
	info, ok := livechat.Lookup(m.Report)
	if !ok || info.Shape != livechat.ShapeBuckets {
		return false
	}
	meth, ok := livechat.MethodOf(api, m.Report)
	return ok && !meth.PerPeriod
}
