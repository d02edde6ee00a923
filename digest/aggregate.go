package digest

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"livechat-digest/livechat"
)

// obs is what one bucket says about one metric, in the form its Agg needs:
//   - Sum: x is the bucket's value
//   - WeightedMean: x is the bucket's average and w its count; ok is false
//     where the API sent a null average
//   - Ratio: x is the numerator and w the denominator
//   - Max: x is the bucket's value; ok is false where it is null
//   - Whole: x is the value for the whole period
type obs struct {
	x, w float64
	ok   bool
}

func count(n int64) obs        { return obs{x: float64(n), ok: true} }
func amount(v float64) obs     { return obs{x: v, ok: true} }
func ratio(num, den int64) obs { return obs{x: float64(num), w: float64(den), ok: true} }

func mean(avg *float64, n int64) obs {
	if avg == nil {
		return obs{}
	}
	return obs{x: *avg, w: float64(n), ok: true}
}

func largest(v *float64) obs {
	if v == nil {
		return obs{}
	}
	return obs{x: *v, ok: true}
}

// accum folds the observations of one metric over a set of buckets.
type accum struct {
	agg    Agg
	x, w   float64 // Sum: Σx; WeightedMean: Σ(avg·count), Σcount; Ratio: Σnum, Σden; Whole: x
	max    float64
	hasMax bool
	n      int // Whole: observations seen
	// For WeightedMean only: Σ(count·avg²) and the number of buckets with a
	// count, from which the significance test estimates how much the mean
	// varies between buckets (see meanVariance).
	xx float64
	k  int
}

// add folds o in with weight f: 1 for a whole bucket, less for the part of
// an hour in progress that a partial period's comparison counts (a count,
// a mean's weight and both sides of a ratio are scaled; a maximum cannot be,
// so it counts once f > 0).
func (a *accum) add(o obs, f float64) {
	if !o.ok || f <= 0 {
		return
	}
	switch a.agg {
	case Sum:
		a.x += o.x * f
	case WeightedMean:
		// Days without answers carry no weight; a mean of daily means would
		// let a quiet day count as much as a busy one.
		if w := o.w * f; w > 0 {
			a.x += o.x * w
			a.xx += o.x * o.x * w
			a.w += w
			a.k++
		}
	case Ratio:
		a.x += o.x * f
		a.w += o.w * f
	case Max:
		if !a.hasMax || o.x > a.max {
			a.max, a.hasMax = o.x, true
		}
	case Whole:
		// As returned: a value for a whole period cannot be scaled or
		// split, so it counts once f > 0, like a maximum.
		a.x = o.x
		a.n++
	}
}

// value is the aggregate, or nil where it does not exist: a mean over no
// counts, a ratio over a zero denominator, a maximum of nothing. A sum of no
// buckets is 0.
func (a *accum) value() *float64 {
	switch a.agg {
	case Sum:
		return ptr(a.x)
	case WeightedMean, Ratio:
		if a.w == 0 {
			return nil
		}
		return ptr(a.x / a.w)
	case Max:
		if !a.hasMax {
			return nil
		}
		return ptr(a.max)
	case Whole:
		// Two values for one period would have to be combined, and
		// distinct counts cannot be: no value rather than a wrong one.
		if a.n != 1 {
			return nil
		}
		return ptr(a.x)
	}
	return nil
}

// ptr is v as a value that exists, or nil when v is not a finite number:
// a sum or mean of hostile upstream numbers (1e308 a day) overflows to
// ±Inf, and Inf − Inf is NaN. Neither is a number a digest can show or JSON
// can carry, so such a value does not exist (null), like a division by zero.
func ptr(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

// compare fills the change fields of a current and a previous value.
func compare(cur, prev *float64) Value {
	v := Value{Current: cur, Previous: prev}
	if cur == nil || prev == nil {
		return v
	}
	v.Change = ptr(*cur - *prev)
	if *prev != 0 {
		v.ChangePct = ptr(100 * (*cur - *prev) / *prev)
	}
	return v
}

// row is one bucket of an answer: the days it covers, its hour (-1 for a
// bucket of a day or more) and one observation per metric of its report, in
// catalogue order.
type row struct {
	start, end livechat.Date
	hour       int
	obs        []obs
	// precut marks a bucket that holds exactly the elapsed part of a cut
	// day: v3.6 is asked for the day up to that instant, not by the hour.
	precut bool
}

// extractors turn a bucket value of each bucketed report into observations,
// one per metric of that report in the order of the Catalogue (a test checks
// the lengths; the fixture test checks every key's value).
var extractors = map[livechat.Report]func(any) ([]row, error){
	livechat.TotalChats: rows(func(v livechat.ChatCount) []obs { return []obs{count(v.Chats), count(v.Continuous)} }),
	livechat.Engagement: rows(func(v livechat.EngagementCount) []obs {
		return []obs{count(v.AutoInvite), count(v.ManualInvite), count(v.ImmediateStart)}
	}),
	livechat.ChatRatings: rows(func(v livechat.ChatRatingCount) []obs {
		return []obs{count(v.Good), count(v.Bad), count(v.Chats), ratio(v.Good, v.Good+v.Bad)}
	}),
	livechat.QueuedVisitors: rows(func(v livechat.QueueCount) []obs {
		return []obs{count(v.Queued), count(v.LeftQueue), count(v.EnteredChat), ratio(v.LeftQueue, v.Queued)}
	}),
	livechat.QueueWaitingTimes: rows(func(v livechat.WaitTimes) []obs {
		return []obs{
			mean(v.Queued.Avg, v.Queued.Count),
			mean(v.LeftQueue.Avg, v.LeftQueue.Count),
			mean(v.EnteredChat.Avg, v.EnteredChat.Count),
			largest(v.Queued.MaxSeconds),
		}
	}),
	livechat.Availability: rows(func(v livechat.Duration) []obs { return []obs{amount(v.Hours)} }),
	livechat.ChattingTime: rows(func(v livechat.Duration) []obs { return []obs{amount(v.Hours)} }),
	livechat.ChatsFirstResponseTime: rows(func(v livechat.ResponseTime) []obs {
		return []obs{mean(v.Seconds, v.Count), count(v.Count)}
	}),
	livechat.ChatsResponseTime: rows(func(v livechat.ResponseTime) []obs {
		return []obs{mean(v.Seconds, v.Count), count(v.Count)}
	}),
	livechat.Goals: rows(func(v livechat.GoalCount) []obs { return []obs{count(v.Goals)} }),
	livechat.Greetings: rows(func(v livechat.GreetingCount) []obs {
		return []obs{count(v.Displayed), count(v.Accepted), count(v.Goals), ratio(v.Accepted, v.Displayed), count(v.Canceled)}
	}),
	livechat.TicketsNew: rows(func(v livechat.TicketCount) []obs { return []obs{count(v.Tickets)} }),
	livechat.TicketsFirstResponseTime: rows(func(v livechat.TicketTime) []obs {
		return []obs{mean(v.Hours, v.Count), count(v.Count)}
	}),
	livechat.TicketsSolved: rows(func(v livechat.TicketCount) []obs { return []obs{count(v.Tickets)} }),
	livechat.TicketsResolutionTime: rows(func(v livechat.TicketTime) []obs {
		return []obs{mean(v.Hours, v.Count), count(v.Count)}
	}),
	livechat.TicketSources: rows(func(v livechat.TicketSourceCount) []obs {
		return []obs{count(v.ChatWindow), count(v.Mail), count(v.Chat)}
	}),
	livechat.TicketRatings: rows(func(v livechat.TicketRatingCount) []obs {
		return []obs{count(v.Good), count(v.Bad), ratio(v.Good, v.Good+v.Bad)}
	}),
	livechat.ChatDuration: rows(func(v livechat.ResponseTime) []obs {
		return []obs{mean(v.Seconds, v.Count), count(v.Count)}
	}),
	livechat.UniqueVisitors: rows(func(v livechat.VisitorCount) []obs { return []obs{amount(float64(v.Visitors))} }),
	livechat.NotReplied:     rows(func(v livechat.ChatCount) []obs { return []obs{count(v.Chats)} }),
}

// rows adapts a typed extractor to an answer of unknown type, accepting the
// Series by value or by pointer.
func rows[T any](f func(T) []obs) func(any) ([]row, error) {
	return func(a any) ([]row, error) {
		var s livechat.Series[T]
		switch v := a.(type) {
		case livechat.Series[T]:
			s = v
		case *livechat.Series[T]:
			if v == nil {
				return nil, errors.New("nil answer")
			}
			s = *v
		default:
			var want livechat.Series[T]
			return nil, fmt.Errorf("answer is %T, want %T", a, want)
		}
		out := make([]row, 0, len(s.Buckets))
		for _, b := range s.Buckets {
			out = append(out, row{start: b.Start, end: b.End, hour: b.Hour, obs: f(b.Value)})
		}
		return out, nil
	}
}

// metricsOf returns the catalogue entries of report r, in catalogue order.
func metricsOf(r livechat.Report) []Metric {
	var ms []Metric
	for _, m := range Catalogue {
		if m.Report == r {
			ms = append(ms, m)
		}
	}
	return ms
}

// aggregated is what one bucketed report contributes to a digest.
type aggregated struct {
	values map[string]Value
	daily  map[string]DailySeries
	// sides holds, per metric key, the folded buckets of every side of the
	// window (current, compare, then any history), for the significance
	// tests and anomaly thresholds.
	sides map[string][]accum
}

// span is one side of a window: a range of days, and whether its last day
// stops at the window's elapsed time.
type span struct {
	r   DateRange
	cut bool
	// prorate counts the hour in progress on a cut day by the fraction that
	// has passed. The current side never does: the API's own bucket for that
	// hour holds only what has happened so far.
	prorate bool
}

// window says which buckets a digest counts on each side: sides[0] is the
// current period, sides[1] the compare period when there is one, and any
// further sides are history (anomaly thresholds). A side's cut day counts
// only its hours before elapsed, plus the hour in progress (see weight).
type window struct {
	sides   []span
	hasPrev bool
	elapsed Elapsed
}

// newWindow lays out the sides of a digest of period p resolved to cur and
// compared with prev, built at the instant whose time of day is elapsed. A
// partial period's last day is cut; so is the compare period's last day
// when the compare period is as long as cur (it has a counterpart of the
// partial day: yesterday for today, Oct 29 for Nov 1–29). A compare period
// clipped at a shorter month's end has none and counts whole; the tests
// compare rates per day then.
func newWindow(p Period, cur DateRange, prev *DateRange, elapsed Elapsed) window {
	partial := p.Partial()
	w := window{sides: []span{{r: cur, cut: partial}}, elapsed: elapsed}
	if prev != nil {
		w.hasPrev = true
		w.sides = append(w.sides, span{r: *prev, cut: partial && prev.Days() == cur.Days(), prorate: true})
	}
	return w
}

// days is how long side i is in days: its calendar days, the cut day
// counting only the elapsed part of it.
func (w window) days(i int) float64 {
	s := w.sides[i]
	n := float64(s.r.Days())
	if s.cut {
		n += w.elapsed.Days() - 1
	}
	return n
}

// cutDays returns the days that are counted by the hour, each once.
func (w window) cutDays() []livechat.Date {
	var out []livechat.Date
	for _, s := range w.sides {
		if s.cut && !slices.Contains(out, s.r.To) {
			out = append(out, s.r.To)
		}
	}
	return out
}

// whole returns the days of each side counted by the day: the side without
// its cut day. ok is false for a side that is only its cut day.
func (s span) whole() (DateRange, bool) {
	r := s.r
	if s.cut {
		r.To = r.To.AddDays(-1)
	}
	return r, !r.To.Before(r.From)
}

// weight says how much of bucket b side s counts: 0 or 1, or for the hour in
// progress on a prorated cut day the part of it that has passed. A bucket
// that straddles the side's range cannot be split honestly and fails, as
// does a day bucket on a cut day, where only hours can say what has passed.
func (w window) weight(b row, s span) (float64, error) {
	in := s.r.Contains(b.start) && s.r.Contains(b.end)
	out := b.end.Before(s.r.From) || b.start.After(s.r.To)
	switch {
	case !in && !out:
		return 0, fmt.Errorf("bucket %s..%s straddles %s", b.start, b.end, s.r)
	case out:
		return 0, nil
	case !s.cut || b.start != s.r.To, b.precut:
		return 1, nil
	case b.hour < 0:
		return 0, fmt.Errorf("day bucket %s where hours were asked: a partial day cannot be cut", b.start)
	case b.hour < w.elapsed.Hour:
		return 1, nil
	case b.hour > w.elapsed.Hour || w.elapsed.Frac == 0:
		return 0, nil
	case s.prorate:
		return w.elapsed.Frac, nil
	}
	return 1, nil
}

// aggregate splits the buckets of one report's answers among the sides of
// w by the days (and on a cut day, the hours) they cover and folds each side
// per the catalogue, keeping the metrics api answers. An hour bucket covers
// its queried day, so hours add up into that day.
func aggregate(r livechat.Report, rs []row, w window, api livechat.API) (aggregated, error) {
	ms := metricsOf(r)
	acc := make([][]accum, len(w.sides))
	for i := range acc {
		acc[i] = newAccums(ms)
	}
	// Per-day accumulators for the chart series, keyed by day.
	days := map[livechat.Date][]accum{}
	for _, b := range rs {
		if len(b.obs) != len(ms) {
			return aggregated{}, fmt.Errorf("digest: %s: %d values per bucket, catalogue has %d", r, len(b.obs), len(ms))
		}
		dayWeight := -1.0 // the weight of the first of current and compare that holds b
		for i, s := range w.sides {
			f, err := w.weight(b, s)
			if err != nil {
				return aggregated{}, fmt.Errorf("digest: %s: %w", r, err)
			}
			if f == 0 {
				continue
			}
			if i < 2 && dayWeight < 0 {
				dayWeight = f
			}
			for j, o := range b.obs {
				acc[i][j].add(o, f)
			}
		}
		if dayWeight < 0 || b.start != b.end {
			continue
		}
		day := days[b.start]
		if day == nil {
			day = newAccums(ms)
			days[b.start] = day
		}
		for j, o := range b.obs {
			day[j].add(o, dayWeight)
		}
	}
	cur := w.sides[0].r
	var prev *DateRange
	if w.hasPrev {
		prev = &w.sides[1].r
	}
	out := aggregated{
		values: make(map[string]Value, len(ms)),
		daily:  make(map[string]DailySeries, len(ms)),
		sides:  make(map[string][]accum, len(ms)),
	}
	for i, m := range ms {
		if !MetricOn(m, api) {
			continue // a field this version does not send is not 0: it is absent
		}
		var p *float64
		if prev != nil {
			p = acc[1][i].value()
		}
		out.values[m.Key] = compare(acc[0][i].value(), p)
		sides := make([]accum, len(acc))
		for s := range acc {
			sides[s] = acc[s][i]
		}
		out.sides[m.Key] = sides
		if cur.Days() > maxChartDays {
			continue
		}
		out.daily[m.Key] = series(cur, prev, func(d livechat.Date) *float64 {
			if acc := days[d]; acc != nil {
				return acc[i].value()
			}
			return nil
		})
	}
	return out, nil
}

func newAccums(ms []Metric) []accum {
	a := make([]accum, len(ms))
	for i, m := range ms {
		a[i].agg = m.Agg
	}
	return a
}

// maxChartDays bounds the per-day series: a chart of more days is no use,
// and an explicit range of centuries must not allocate millions of entries.
const maxChartDays = 366

// series lays out per-day values for a chart: one entry per day of cur, and
// the compare period aligned by position (entry i of Previous is day i of
// prev; nil where prev is shorter).
func series(cur DateRange, prev *DateRange, at func(livechat.Date) *float64) DailySeries {
	n := cur.Days()
	s := DailySeries{Days: make([]livechat.Date, n), Current: make([]*float64, n)}
	if prev != nil {
		s.Previous = make([]*float64, n)
	}
	for i := range n {
		s.Days[i] = cur.From.AddDays(i)
		s.Current[i] = at(s.Days[i])
		if prev != nil {
			if d := prev.From.AddDays(i); !d.After(prev.To) {
				s.Previous[i] = at(d)
			}
		}
	}
	return s
}
