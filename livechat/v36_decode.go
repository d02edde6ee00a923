package livechat

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// greetingsCap is the most greetings chats/greetings_conversion answers per
// day (reference §3.5); a day that reaches it may be missing some.
const greetingsCap = 100

// decodeV36 reads body as the v3.6 answer of method m for query q and
// returns the same typed value the v2 decoder gives for the report, so a
// digest reads both versions alike (the contract's v3.6 table).
//
// The traps of the reference (§4, §5) are handled here: the envelope's
// total is never read (it is not the sum of the records on several
// reports); a day with no data is {} and a zero field is left out, so a
// missing field is 0 and an average is nil only where its count is 0;
// records of rankings and agents/performance are keyed by agent, not by
// day; days outside the queried range are refused.
func decodeV36(m Method, q Query, body []byte) (any, error) {
	name := m.Name()
	env, err := members(name, body)
	if err != nil {
		return nil, err
	}
	d := v36Decoder{name: name, body: body, q: q}
	for _, mb := range env {
		switch mb.key {
		case "records":
			d.records = &mb
		case "summary":
			d.summary = &mb
		}
	}
	switch m.Report {
	case TotalChats, NotReplied:
		return days(d, func(o *obj) ChatCount {
			return ChatCount{Chats: o.optCount("total"), Continuous: o.optCount("continuous")}
		})
	case Engagement:
		return days(d, func(o *obj) EngagementCount {
			return EngagementCount{
				AutoInvite:     o.optCount("started_by_customer_from_greeting"),
				ImmediateStart: o.optCount("started_by_customer_without_greeting"),
				ManualInvite:   o.optCount("started_by_agent"),
			}
		})
	case ChatRatings:
		return days(d, func(o *obj) ChatRatingCount {
			return ChatRatingCount{Good: o.optCount("good"), Bad: o.optCount("bad"), Chats: o.optCount("chats")}
		})
	case QueuedVisitors:
		return days(d, func(o *obj) QueueCount {
			// v3.6 queued = waited and then chatted (v2's entered_chat);
			// v2's queued is both groups together (contract's v3.6 table).
			in, left := o.optSub("queued").optCount("count"), o.optSub("left_queue").optCount("count")
			return QueueCount{Queued: in + left, LeftQueue: left, EnteredChat: in}
		})
	case QueueWaitingTimes:
		return days(d, func(o *obj) WaitTimes {
			in, left := o.optSub("queued").v36Wait(), o.optSub("left_queue").v36Wait()
			return WaitTimes{Queued: combineWaits(in, left), LeftQueue: left, EnteredChat: in}
		})
	case Availability:
		return days(d, func(o *obj) Duration { return Duration{Hours: o.optAmount("hours")} })
	case ChatsFirstResponseTime:
		return days(d, func(o *obj) ResponseTime { return o.v36Mean("count", "first_response_time") })
	case ChatsResponseTime:
		return days(d, func(o *obj) ResponseTime { return o.v36Mean("count", "response_time") })
	case ChatDuration:
		return days(d, func(o *obj) ResponseTime { return o.v36Mean("count", "duration") })
	case Greetings:
		return d.greetings()
	case ChatRanking:
		return d.ranking()
	case ChattingTime:
		return d.performance()
	case UniqueVisitors:
		return d.visitors()
	}
	return nil, fmt.Errorf("livechat: %s: no v3.6 decoder for %s", name, m.Report)
}

// v36Decoder holds one answer being decoded.
type v36Decoder struct {
	name             string
	body             []byte
	q                Query
	records, summary *member
}

func (d v36Decoder) errAt(off int64, format string, args ...any) error {
	return &DecodeError{Endpoint: d.name, Offset: off, Excerpt: excerpt(d.body, off), Reason: fmt.Sprintf(format, args...)}
}

// object returns the members of the top-level field mb (records or
// summary), which must be an object; offsets are made absolute.
func (d v36Decoder) object(mb *member, field string) ([]member, error) {
	if mb == nil {
		return nil, d.errAt(0, "%q: missing", field)
	}
	if !isObject(mb.raw) {
		return nil, d.errAt(mb.offset, "%q: want an object", field)
	}
	ms, err := members(d.name, mb.raw)
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			de.Offset += mb.offset
			return nil, de
		}
		return nil, err
	}
	for i := range ms {
		ms[i].offset += mb.offset
	}
	return ms, nil
}

// days reads records keyed by day ("YYYY-MM-DD", the day distribution).
func days[T any](d v36Decoder, value func(o *obj) T) (Series[T], error) {
	ms, err := d.object(d.records, "records")
	if err != nil {
		return Series[T]{}, err
	}
	s := Series[T]{Endpoint: d.name, Granularity: ByDay, Buckets: make([]Bucket[T], 0, len(ms))}
	for _, mb := range ms {
		day, o, err := d.day(mb)
		if err != nil {
			return Series[T]{}, err
		}
		v := value(o)
		if o.err != nil {
			return Series[T]{}, d.errAt(mb.offset, "day %s: %v", day, o.err)
		}
		s.Buckets = append(s.Buckets, Bucket[T]{Key: mb.key, Start: day, End: day, Hour: -1, Value: v})
	}
	slices.SortStableFunc(s.Buckets, func(a, b Bucket[T]) int { return a.Start.Compare(b.Start) })
	return s, nil
}

// day reads one day record: its key, which must be a day of the queried
// range, and its object.
func (d v36Decoder) day(mb member) (Date, *obj, error) {
	day, err := ParseDate(mb.key)
	if err != nil || len(mb.key) != len("2006-01-02") {
		return Date{}, nil, d.errAt(mb.offset, "records key %q: want YYYY-MM-DD", clip(mb.key))
	}
	if (!d.q.From.IsZero() && day.Before(d.q.From)) || (!d.q.To.IsZero() && day.After(d.q.To)) {
		return Date{}, nil, d.errAt(mb.offset, "day %s is outside the range asked for (%s..%s)", day, d.q.From, d.q.To)
	}
	o, err := newObj(mb.raw)
	if err != nil {
		return Date{}, nil, d.errAt(mb.offset, "day %s: %v", day, err)
	}
	return day, o, nil
}

// greetings sums each day's greetings (records.<day>.<greeting id>) and
// notes the days that reached the API's 100-greetings cap.
func (d v36Decoder) greetings() (Series[GreetingCount], error) {
	ms, err := d.object(d.records, "records")
	if err != nil {
		return Series[GreetingCount]{}, err
	}
	s := Series[GreetingCount]{Endpoint: d.name, Granularity: ByDay, Buckets: make([]Bucket[GreetingCount], 0, len(ms))}
	for _, mb := range ms {
		day, o, err := d.day(mb)
		if err != nil {
			return Series[GreetingCount]{}, err
		}
		ids := make([]string, 0, len(o.fields))
		for id := range o.fields {
			ids = append(ids, id)
		}
		slices.Sort(ids) // the first problem found does not depend on map order
		var g GreetingCount
		for _, id := range ids {
			gr, err := newObj(o.fields[id])
			if err != nil {
				return Series[GreetingCount]{}, d.errAt(mb.offset, "day %s greeting %q: %v", day, clip(id), err)
			}
			g.Displayed += gr.optCount("displayed")
			g.Accepted += gr.optCount("accepted")
			g.Goals += gr.optCount("goals")
			g.Canceled += gr.optCount("canceled")
			if gr.err != nil {
				return Series[GreetingCount]{}, d.errAt(mb.offset, "day %s greeting %q: %v", day, clip(id), gr.err)
			}
			// Checked after every greeting, so the sums never overflow.
			if g.Displayed > maxCount || g.Accepted > maxCount || g.Goals > maxCount || g.Canceled > maxCount {
				return Series[GreetingCount]{}, d.errAt(mb.offset, "day %s: counts out of range", day)
			}
		}
		if len(ids) >= greetingsCap {
			s.Capped = append(s.Capped, day)
		}
		s.Buckets = append(s.Buckets, Bucket[GreetingCount]{Key: mb.key, Start: day, End: day, Hour: -1, Value: g})
	}
	slices.SortStableFunc(s.Buckets, func(a, b Bucket[GreetingCount]) int { return a.Start.Compare(b.Start) })
	slices.SortFunc(s.Capped, Date.Compare)
	return s, nil
}

// agents reads records keyed by agent, calling line for each in key order.
func (d v36Decoder) agents(line func(agent string, o *obj)) error {
	ms, err := d.object(d.records, "records")
	if err != nil {
		return err
	}
	for _, mb := range ms {
		if mb.key == "" {
			return d.errAt(mb.offset, "records: empty agent")
		}
		o, err := newObj(mb.raw)
		if err != nil {
			return d.errAt(mb.offset, "agent %q: %v", clip(mb.key), err)
		}
		line(mb.key, o)
		if o.err != nil {
			return d.errAt(mb.offset, "agent %q: %v", clip(mb.key), o.err)
		}
	}
	return nil
}

// ranking reads chats/ranking: records.<agent> = {total, good, bad, score},
// ordered by score, then total (the map has no order; v2 sent a ranked
// list), then agent so equal lines always come out alike.
func (d v36Decoder) ranking() (Ranking, error) {
	r := Ranking{Endpoint: d.name, Entries: []RankEntry{}}
	err := d.agents(func(agent string, o *obj) {
		r.Entries = append(r.Entries, RankEntry{
			Agent: agent, Good: o.optCount("good"), Bad: o.optCount("bad"),
			Total: o.optCount("total"), Score: o.optAmount("score"),
		})
	})
	if err != nil {
		return Ranking{}, err
	}
	slices.SortStableFunc(r.Entries, func(a, b RankEntry) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Total, a.Total); c != 0 {
			return c
		}
		return cmp.Compare(a.Agent, b.Agent)
	})
	return r, nil
}

// whole is the one bucket of an answer for the whole range.
func whole[T any](d v36Decoder, v T) Series[T] {
	key := d.q.From.String() + ".." + d.q.To.String()
	return Series[T]{Endpoint: d.name, Granularity: ByPeriod,
		Buckets: []Bucket[T]{{Key: key, Start: d.q.From, End: d.q.To, Hour: -1, Value: v}}}
}

// performance reads agents/performance as chatting time: the sum over
// agents of chatting_time (seconds), in hours, for the whole range.
func (d v36Decoder) performance() (Series[Duration], error) {
	var seconds float64
	err := d.agents(func(_ string, o *obj) { seconds += o.optAmount("chatting_time") })
	if err != nil {
		return Series[Duration]{}, err
	}
	if seconds > maxCount {
		return Series[Duration]{}, d.errAt(d.records.offset, "chatting_time out of range")
	}
	return whole(d, Duration{Hours: seconds / 3600}), nil
}

// visitors reads customers/unique_visitors: summary.unique_visitors for the
// whole range, with no records.
func (d v36Decoder) visitors() (Series[VisitorCount], error) {
	if d.summary == nil {
		return Series[VisitorCount]{}, d.errAt(0, `"summary": missing`)
	}
	o, err := newObj(d.summary.raw)
	if err != nil {
		return Series[VisitorCount]{}, d.errAt(d.summary.offset, `"summary": %v`, err)
	}
	n := o.optCount("unique_visitors")
	if o.err != nil {
		return Series[VisitorCount]{}, d.errAt(d.summary.offset, `"summary": %v`, o.err)
	}
	return whole(d, VisitorCount{Visitors: n}), nil
}

// optSub returns the object field name, or an empty one when it is left
// out (a zero group is omitted like a zero number).
func (o *obj) optSub(name string) *obj {
	raw, ok := o.fields[name]
	if !ok || o.err != nil {
		return &obj{fields: map[string]json.RawMessage{}, err: o.err}
	}
	sub, err := newObj(raw)
	if err != nil {
		o.fail("%s: %v", dotted([]string{name}), err)
		return &obj{fields: map[string]json.RawMessage{}, err: o.err}
	}
	return sub
}

// optCount is count where a left-out field is 0.
func (o *obj) optCount(name string) int64 {
	if !o.has(name) {
		return 0
	}
	return o.count(name)
}

// optAmount is amount where a left-out field is 0.
func (o *obj) optAmount(name string) float64 {
	if !o.has(name) {
		return 0
	}
	return o.amount(name)
}

// v36Mean reads a count and the average over it. A left-out average of a
// non-zero count is 0 (zero fields are omitted); over no count there is no
// average.
func (o *obj) v36Mean(countField, avgField string) ResponseTime {
	n := o.optCount(countField)
	if n == 0 {
		return ResponseTime{}
	}
	avg := o.optAmount(avgField)
	return ResponseTime{Count: n, Seconds: &avg}
}

// v36Wait reads one group of chats/queued_visitors: {count, min, max, avg}
// in seconds.
func (o *obj) v36Wait() WaitStat {
	n := o.optCount("count")
	if n == 0 {
		return WaitStat{}
	}
	lo, hi, avg := o.optAmount("min"), o.optAmount("max"), o.optAmount("avg")
	return WaitStat{Count: n, MinSeconds: &lo, MaxSeconds: &hi, Avg: &avg}
}

// combineWaits is the two queue groups together: counts add, the average
// is weighted by them, the extremes are the extremes of both.
func combineWaits(a, b WaitStat) WaitStat {
	switch {
	case a.Count == 0:
		return b
	case b.Count == 0:
		return a
	}
	n := a.Count + b.Count
	avg := (*a.Avg*float64(a.Count) + *b.Avg*float64(b.Count)) / float64(n)
	lo, hi := min(*a.MinSeconds, *b.MinSeconds), max(*a.MaxSeconds, *b.MaxSeconds)
	return WaitStat{Count: n, MinSeconds: &lo, MaxSeconds: &hi, Avg: &avg}
}
