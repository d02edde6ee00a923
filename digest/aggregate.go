package digest

import (
	"errors"
	"fmt"

	"livechat-digest/livechat"
)

// obs is what one bucket says about one metric, in the form its Agg needs:
//   - Sum: x is the bucket's value
//   - WeightedMean: x is the bucket's average and w its count; ok is false
//     where the API sent a null average
//   - Ratio: x is the numerator and w the denominator
//   - Max: x is the bucket's value; ok is false where it is null
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
	x, w   float64 // Sum: Σx; WeightedMean: Σ(avg·count), Σcount; Ratio: Σnum, Σden
	max    float64
	hasMax bool
}

func (a *accum) add(o obs) {
	if !o.ok {
		return
	}
	switch a.agg {
	case Sum:
		a.x += o.x
	case WeightedMean:
		// Days without answers carry no weight; a mean of daily means would
		// let a quiet day count as much as a busy one.
		if o.w > 0 {
			a.x += o.x * o.w
			a.w += o.w
		}
	case Ratio:
		a.x += o.x
		a.w += o.w
	case Max:
		if !a.hasMax || o.x > a.max {
			a.max, a.hasMax = o.x, true
		}
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
	}
	return nil
}

func ptr(v float64) *float64 { return &v }

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

// row is one bucket of an answer: the days it covers and one observation per
// metric of its report, in catalogue order.
type row struct {
	start, end livechat.Date
	obs        []obs
}

// extractors turn a bucket value of each bucketed report into observations,
// one per metric of that report in the order of the Catalogue (a test checks
// the lengths; the fixture test checks every key's value).
var extractors = map[livechat.Report]func(any) ([]row, error){
	livechat.TotalChats: rows(func(v livechat.ChatCount) []obs { return []obs{count(v.Chats)} }),
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
		return []obs{count(v.Displayed), count(v.Accepted), count(v.Goals), ratio(v.Accepted, v.Displayed)}
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
			out = append(out, row{start: b.Start, end: b.End, obs: f(b.Value)})
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
}

// aggregate splits the buckets of one answer into the current and the
// compare range by the days they cover and folds each side per the
// catalogue. An hour bucket covers its queried day, so hours add up into
// that day. A bucket that straddles a range boundary (a month bucket; never
// asked for) cannot be split honestly and fails the report.
func aggregate(r livechat.Report, rs []row, cur DateRange, prev *DateRange) (aggregated, error) {
	ms := metricsOf(r)
	curAcc := newAccums(ms)
	prevAcc := newAccums(ms)
	// Per-day accumulators for the chart series, keyed by day.
	days := map[livechat.Date][]accum{}
	for _, b := range rs {
		if len(b.obs) != len(ms) {
			return aggregated{}, fmt.Errorf("digest: %s: %d values per bucket, catalogue has %d", r, len(b.obs), len(ms))
		}
		inCur, err := side(b, cur)
		if err != nil {
			return aggregated{}, fmt.Errorf("digest: %s: %w", r, err)
		}
		inPrev := false
		if prev != nil {
			if inPrev, err = side(b, *prev); err != nil {
				return aggregated{}, fmt.Errorf("digest: %s: %w", r, err)
			}
		}
		if !inCur && !inPrev {
			continue
		}
		var day []accum
		if b.start == b.end {
			if day = days[b.start]; day == nil {
				day = newAccums(ms)
				days[b.start] = day
			}
		}
		for i, o := range b.obs {
			if inCur {
				curAcc[i].add(o)
			}
			if inPrev {
				prevAcc[i].add(o)
			}
			if day != nil {
				day[i].add(o)
			}
		}
	}
	out := aggregated{values: make(map[string]Value, len(ms)), daily: make(map[string]DailySeries, len(ms))}
	for i, m := range ms {
		var p *float64
		if prev != nil {
			p = prevAcc[i].value()
		}
		out.values[m.Key] = compare(curAcc[i].value(), p)
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

// side reports whether bucket b lies inside r, and fails if it lies partly
// inside.
func side(b row, r DateRange) (bool, error) {
	in := r.Contains(b.start) && r.Contains(b.end)
	out := b.end.Before(r.From) || b.start.After(r.To)
	if !in && !out {
		return false, fmt.Errorf("bucket %s..%s straddles %s", b.start, b.end, r)
	}
	return in, nil
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
