package digest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/livechat"
)

// TestExtractorsMatchCatalogue checks that every bucketed report has an
// extractor giving one observation per catalogue metric.
// catalogueOn is the part of the catalogue api answers.
func catalogueOn(api livechat.API) []Metric {
	var out []Metric
	for _, m := range Catalogue {
		if MetricOn(m, api) {
			out = append(out, m)
		}
	}
	return out
}

func TestExtractorsMatchCatalogue(t *testing.T) {
	t.Parallel()
	for _, info := range livechat.Reports {
		if info.Shape != livechat.ShapeBuckets {
			continue
		}
		f, ok := extractors[info.Report]
		require.True(t, ok, "no extractor for %s", info.Report)
		_, err := f(nil)
		assert.Error(t, err, "%s accepts a nil answer", info.Report)
	}
	assert.Len(t, extractors, 20)
	for r, f := range extractors {
		rs, err := f(zeroSeries(r))
		require.NoError(t, err, "%s", r)
		require.Len(t, rs, 1)
		assert.Len(t, rs[0].obs, len(metricsOf(r)), "%s", r)
	}
}

// zeroSeries is a one-bucket answer of r's type with zero values.
func zeroSeries(r livechat.Report) any {
	b := func() (livechat.Date, livechat.Date) { d := livechat.Date{Year: 2026, Month: 1, Day: 1}; return d, d }
	s, e := b()
	switch r {
	case livechat.TotalChats, livechat.NotReplied:
		return livechat.Series[livechat.ChatCount]{Buckets: []livechat.Bucket[livechat.ChatCount]{{Start: s, End: e}}}
	case livechat.Engagement:
		return livechat.Series[livechat.EngagementCount]{Buckets: []livechat.Bucket[livechat.EngagementCount]{{Start: s, End: e}}}
	case livechat.ChatRatings:
		return &livechat.Series[livechat.ChatRatingCount]{Buckets: []livechat.Bucket[livechat.ChatRatingCount]{{Start: s, End: e}}}
	case livechat.QueuedVisitors:
		return livechat.Series[livechat.QueueCount]{Buckets: []livechat.Bucket[livechat.QueueCount]{{Start: s, End: e}}}
	case livechat.QueueWaitingTimes:
		return livechat.Series[livechat.WaitTimes]{Buckets: []livechat.Bucket[livechat.WaitTimes]{{Start: s, End: e}}}
	case livechat.Availability, livechat.ChattingTime:
		return livechat.Series[livechat.Duration]{Buckets: []livechat.Bucket[livechat.Duration]{{Start: s, End: e}}}
	case livechat.ChatsFirstResponseTime, livechat.ChatsResponseTime, livechat.ChatDuration:
		return livechat.Series[livechat.ResponseTime]{Buckets: []livechat.Bucket[livechat.ResponseTime]{{Start: s, End: e}}}
	case livechat.Goals:
		return livechat.Series[livechat.GoalCount]{Buckets: []livechat.Bucket[livechat.GoalCount]{{Start: s, End: e}}}
	case livechat.Greetings:
		return livechat.Series[livechat.GreetingCount]{Buckets: []livechat.Bucket[livechat.GreetingCount]{{Start: s, End: e}}}
	case livechat.TicketsNew, livechat.TicketsSolved:
		return livechat.Series[livechat.TicketCount]{Buckets: []livechat.Bucket[livechat.TicketCount]{{Start: s, End: e}}}
	case livechat.TicketsFirstResponseTime, livechat.TicketsResolutionTime:
		return livechat.Series[livechat.TicketTime]{Buckets: []livechat.Bucket[livechat.TicketTime]{{Start: s, End: e}}}
	case livechat.TicketSources:
		return livechat.Series[livechat.TicketSourceCount]{Buckets: []livechat.Bucket[livechat.TicketSourceCount]{{Start: s, End: e}}}
	case livechat.TicketRatings:
		return livechat.Series[livechat.TicketRatingCount]{Buckets: []livechat.Bucket[livechat.TicketRatingCount]{{Start: s, End: e}}}
	case livechat.UniqueVisitors:
		return livechat.Series[livechat.VisitorCount]{Buckets: []livechat.Bucket[livechat.VisitorCount]{{Start: s, End: e}}}
	}
	return nil
}

func TestAccum(t *testing.T) {
	t.Parallel()
	fold := func(agg Agg, os ...obs) *float64 {
		a := accum{agg: agg}
		for _, o := range os {
			a.add(o, 1)
		}
		return a.value()
	}
	tests := []struct {
		name string
		got  *float64
		want *float64
	}{
		{"sum", fold(Sum, count(1), count(2), amount(0.5)), ptr(3.5)},
		{"empty sum is zero", fold(Sum), ptr(0)},
		// 1 answer at 100 s and 3 at 20 s: (100 + 60) / 4 = 40, not (100+20)/2 = 60.
		{"weighted mean", fold(WeightedMean, mean(ptr(100), 1), mean(ptr(20), 3)), ptr(40)},
		{"weighted mean skips null days", fold(WeightedMean, mean(ptr(100), 1), mean(nil, 0), mean(ptr(20), 3)), ptr(40)},
		{"weighted mean ignores an average without count", fold(WeightedMean, mean(ptr(999), 0), mean(ptr(20), 3)), ptr(20)},
		{"weighted mean of nothing is null", fold(WeightedMean, mean(nil, 0), mean(nil, 0)), nil},
		// 9/10 and 1/2: (9+1)/(10+2) = 0.8333…, not (0.9+0.5)/2 = 0.7.
		{"ratio of sums", fold(Ratio, ratio(9, 10), ratio(1, 2)), ptr(10.0 / 12)},
		{"ratio over zero is null", fold(Ratio, ratio(0, 0)), nil},
		{"max", fold(Max, largest(ptr(3)), largest(nil), largest(ptr(7)), largest(ptr(5))), ptr(7)},
		{"max of nulls is null", fold(Max, largest(nil)), nil},
		{"max of negatives", fold(Max, largest(ptr(-3)), largest(ptr(-1))), ptr(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.want == nil {
				assert.Nil(t, tt.got)
				return
			}
			require.NotNil(t, tt.got)
			assert.InDelta(t, *tt.want, *tt.got, 1e-12)
		})
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cur, prev *float64
		want      Value
	}{
		{"rise", ptr(700), ptr(560), Value{Current: ptr(700), Previous: ptr(560), Change: ptr(140), ChangePct: ptr(25)}},
		{"fall", ptr(40), ptr(50), Value{Current: ptr(40), Previous: ptr(50), Change: ptr(-10), ChangePct: ptr(-20)}},
		{"previous zero has no pct", ptr(6), ptr(0), Value{Current: ptr(6), Previous: ptr(0), Change: ptr(6), ChangePct: nil}},
		{"both zero", ptr(0), ptr(0), Value{Current: ptr(0), Previous: ptr(0), Change: ptr(0), ChangePct: nil}},
		{"current null", nil, ptr(10), Value{Current: nil, Previous: ptr(10), Change: nil, ChangePct: nil}},
		{"previous null", ptr(10), nil, Value{Current: ptr(10), Previous: nil, Change: nil, ChangePct: nil}},
		{"no compare", ptr(10), nil, Value{Current: ptr(10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, compare(tt.cur, tt.prev))
		})
	}
}

// TestAggregateHourBuckets checks that hour buckets of a single-day answer
// add up into their day and that a month bucket straddling the period fails.
func TestAggregateHourBuckets(t *testing.T) {
	t.Parallel()
	day := livechat.Date{Year: 2026, Month: 3, Day: 8}
	s := livechat.Series[livechat.ChatCount]{Granularity: livechat.ByHour}
	for h := range 23 { // the US spring-forward day has 23 hours
		s.Buckets = append(s.Buckets, livechat.Bucket[livechat.ChatCount]{
			Key: "", Start: day, End: day, Hour: h, Value: livechat.ChatCount{Chats: int64(h)},
		})
	}
	rs, err := extractors[livechat.TotalChats](s)
	require.NoError(t, err)
	cur := DateRange{From: day, To: day}
	a, err := aggregate(livechat.TotalChats, rs, win(cur, nil), livechat.V2)
	require.NoError(t, err)
	// 0+1+…+22 = 253
	assert.Equal(t, Value{Current: ptr(253)}, a.values["total_chats.chats"])
	assert.Equal(t, DailySeries{Days: []livechat.Date{day}, Current: []*float64{ptr(253)}}, a.daily["total_chats.chats"])

	month := livechat.Series[livechat.ChatCount]{Buckets: []livechat.Bucket[livechat.ChatCount]{{
		Key: "2026-03", Start: livechat.Date{Year: 2026, Month: 3, Day: 1}, End: livechat.Date{Year: 2026, Month: 3, Day: 31}, Hour: -1,
	}}}
	rs, err = extractors[livechat.TotalChats](month)
	require.NoError(t, err)
	_, err = aggregate(livechat.TotalChats, rs, win(cur, nil), livechat.V2)
	assert.ErrorContains(t, err, "digest: total_chats: bucket 2026-03-01..2026-03-31 straddles 2026-03-08")
}

func TestAggregateLongRangeHasNoDailySeries(t *testing.T) {
	t.Parallel()
	cur := DateRange{From: livechat.Date{Year: 1, Month: 1, Day: 1}, To: livechat.Date{Year: 9999, Month: 12, Day: 31}}
	a, err := aggregate(livechat.TotalChats, nil, win(cur, CompareRange(PreviousPeriod, Period{Kind: Explicit}, cur)), livechat.V2)
	require.NoError(t, err)
	assert.Equal(t, Value{Current: ptr(0), Previous: ptr(0), Change: ptr(0)}, a.values["total_chats.chats"])
	assert.Empty(t, a.daily)
}

// win is the window of a complete period cur compared with prev.
func win(cur DateRange, prev *DateRange) window {
	return newWindow(Period{Kind: Explicit, From: cur.From, To: cur.To}, cur, prev, Elapsed{})
}
