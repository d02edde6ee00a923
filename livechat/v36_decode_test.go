package livechat

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func v36(t testing.TB, r Report) Method {
	t.Helper()
	m, ok := MethodOf(V36, r)
	if !ok {
		t.Fatalf("v3.6 has no %s", r)
	}
	return m
}

func dayBucket[T any](d string, v T) Bucket[T] {
	return Bucket[T]{Key: d, Start: date(d), End: date(d), Hour: -1, Value: v}
}

// TestDecodeV36 reads answers shaped like the reference's samples (§5),
// with its traps: a total that is not the sum, {} days, left-out zero
// fields, records keyed by agent.
func TestDecodeV36(t *testing.T) {
	t.Parallel()
	week := Query{From: date("2021-04-08"), To: date("2021-04-14")}
	tests := []struct {
		name   string
		report Report
		body   string
		want   any
	}{
		{
			name: "total chats: total ignored, {} day, continuous left out", report: TotalChats,
			body: `{"name":"total-chats-report","total":999,"records":{"2021-04-09":{"total":4},"2021-04-08":{"total":37,"continuous":15},"2021-04-14":{}}}`,
			want: Series[ChatCount]{Endpoint: "v3.6/chats/total_chats", Granularity: ByDay, Buckets: []Bucket[ChatCount]{
				dayBucket("2021-04-08", ChatCount{Chats: 37, Continuous: 15}),
				dayBucket("2021-04-09", ChatCount{Chats: 4}),
				dayBucket("2021-04-14", ChatCount{}),
			}},
		},
		{
			name: "engagement renamed fields, started_by_agent left out", report: Engagement,
			body: `{"total":7411,"records":{"2021-04-08":{"started_by_customer_from_greeting":187,"started_by_customer_without_greeting":689,"started_by_agent":3},"2021-04-09":{"started_by_customer_without_greeting":5}}}`,
			want: Series[EngagementCount]{Endpoint: "v3.6/chats/engagement", Granularity: ByDay, Buckets: []Bucket[EngagementCount]{
				dayBucket("2021-04-08", EngagementCount{AutoInvite: 187, ManualInvite: 3, ImmediateStart: 689}),
				dayBucket("2021-04-09", EngagementCount{ImmediateStart: 5}),
			}},
		},
		{
			name: "ratings with good+bad above chats, and a day of chats only", report: ChatRatings,
			body: `{"name":"ratings-report","total":12,"records":{"2021-04-08":{"bad":6,"chats":10,"good":5},"2021-04-13":{"chats":2}}}`,
			want: Series[ChatRatingCount]{Endpoint: "v3.6/chats/ratings", Granularity: ByDay, Buckets: []Bucket[ChatRatingCount]{
				dayBucket("2021-04-08", ChatRatingCount{Good: 5, Bad: 6, Chats: 10}),
				dayBucket("2021-04-13", ChatRatingCount{Chats: 2}),
			}},
		},
		{
			name: "first response: a left-out average of a counted day is 0, of an empty day none", report: ChatsFirstResponseTime,
			body: `{"total":39,"records":{"2021-04-08":{"count":3,"first_response_time":14.22},"2021-04-09":{"count":2},"2021-04-10":{}}}`,
			want: Series[ResponseTime]{Endpoint: "v3.6/chats/first_response_time", Granularity: ByDay, Buckets: []Bucket[ResponseTime]{
				dayBucket("2021-04-08", ResponseTime{Count: 3, Seconds: ptr(14.22)}),
				dayBucket("2021-04-09", ResponseTime{Count: 2, Seconds: ptr(0)}),
				dayBucket("2021-04-10", ResponseTime{}),
			}},
		},
		{
			name: "response time", report: ChatsResponseTime,
			body: `{"total":39,"records":{"2021-04-08":{"count":3,"response_time":14.22}}}`,
			want: Series[ResponseTime]{Endpoint: "v3.6/chats/response_time", Granularity: ByDay, Buckets: []Bucket[ResponseTime]{
				dayBucket("2021-04-08", ResponseTime{Count: 3, Seconds: ptr(14.22)}),
			}},
		},
		{
			name: "duration: agents_chatting_duration is not the chat's", report: ChatDuration,
			body: `{"name":"duration-report","total":369,"records":{"2021-04-08":{"agents_chatting_duration":10800,"count":37,"duration":12100},"2021-04-12":{}}}`,
			want: Series[ResponseTime]{Endpoint: "v3.6/chats/duration", Granularity: ByDay, Buckets: []Bucket[ResponseTime]{
				dayBucket("2021-04-08", ResponseTime{Count: 37, Seconds: ptr(12100)}),
				dayBucket("2021-04-12", ResponseTime{}),
			}},
		},
		{
			name: "queued visitors: v2's queued is both groups", report: QueuedVisitors,
			body: `{"total":15,"records":{"2021-04-08":{"left_queue":{"count":13,"min":0,"max":100,"avg":20.5},"queued":{"count":2,"max":20,"avg":2.5}},"2021-04-09":{}}}`,
			want: Series[QueueCount]{Endpoint: "v3.6/chats/queued_visitors", Granularity: ByDay, Buckets: []Bucket[QueueCount]{
				dayBucket("2021-04-08", QueueCount{Queued: 15, LeftQueue: 13, EnteredChat: 2}),
				dayBucket("2021-04-09", QueueCount{}),
			}},
		},
		{
			name: "waiting times: both groups weighted by their counts", report: QueueWaitingTimes,
			body: `{"records":{"2021-04-08":{"left_queue":{"count":13,"min":4,"max":100,"avg":20.5},"queued":{"count":2,"max":20,"avg":2.5}},"2021-04-09":{"queued":{"count":1,"min":7,"max":7,"avg":7}}}}`,
			want: Series[WaitTimes]{Endpoint: "v3.6/chats/queued_visitors", Granularity: ByDay, Buckets: []Bucket[WaitTimes]{
				dayBucket("2021-04-08", WaitTimes{
					// (13·20.5 + 2·2.5) / 15 = 271.5 / 15 = 18.1; min 0 is left out of queued.
					Queued:      WaitStat{Count: 15, MinSeconds: ptr(0), MaxSeconds: ptr(100), Avg: ptr(18.1)},
					LeftQueue:   WaitStat{Count: 13, MinSeconds: ptr(4), MaxSeconds: ptr(100), Avg: ptr(20.5)},
					EnteredChat: WaitStat{Count: 2, MinSeconds: ptr(0), MaxSeconds: ptr(20), Avg: ptr(2.5)},
				}),
				dayBucket("2021-04-09", WaitTimes{
					Queued:      WaitStat{Count: 1, MinSeconds: ptr(7), MaxSeconds: ptr(7), Avg: ptr(7)},
					EnteredChat: WaitStat{Count: 1, MinSeconds: ptr(7), MaxSeconds: ptr(7), Avg: ptr(7)},
				}),
			}},
		},
		{
			name: "availability hours", report: Availability,
			body: `{"name":"availability-report","total":19.59,"records":{"2021-04-10":{"hours":0.15},"2021-04-11":{"hours":7.85},"2021-04-12":{}}}`,
			want: Series[Duration]{Endpoint: "v3.6/agents/availability", Granularity: ByDay, Buckets: []Bucket[Duration]{
				dayBucket("2021-04-10", Duration{Hours: 0.15}),
				dayBucket("2021-04-11", Duration{Hours: 7.85}),
				dayBucket("2021-04-12", Duration{}),
			}},
		},
		{
			name: "greetings summed over ids, total is accepted", report: Greetings,
			body: `{"total":3,"records":{"2021-04-09":{"1":{"accepted":1,"canceled":0,"displayed":2,"goals":0},"18":{"accepted":2,"displayed":5,"goals":1,"canceled":3},"19":{"displayed":1}},"2021-04-10":{}}}`,
			want: Series[GreetingCount]{Endpoint: "v3.6/chats/greetings_conversion", Granularity: ByDay, Buckets: []Bucket[GreetingCount]{
				dayBucket("2021-04-09", GreetingCount{Displayed: 8, Accepted: 3, Goals: 1, Canceled: 3}),
				dayBucket("2021-04-10", GreetingCount{}),
			}},
		},
		{
			name: "ranking keyed by agent, ordered by score then total then name", report: ChatRanking,
			body: `{"name":"ranking-report","records":{"smith@example.com":{"total":2,"good":0,"bad":2,"score":0.1147},"agent@example.com":{"total":19,"good":13,"bad":6,"score":0.4232},"b@example.com":{"total":3,"good":3,"score":0.5},"a@example.com":{"total":3,"good":3,"score":0.5},"c@example.com":{"total":9,"good":8,"bad":1,"score":0.5}}}`,
			want: Ranking{Endpoint: "v3.6/chats/ranking", Entries: []RankEntry{
				{Agent: "c@example.com", Good: 8, Bad: 1, Total: 9, Score: 0.5},
				{Agent: "a@example.com", Good: 3, Total: 3, Score: 0.5},
				{Agent: "b@example.com", Good: 3, Total: 3, Score: 0.5},
				{Agent: "agent@example.com", Good: 13, Bad: 6, Total: 19, Score: 0.4232},
				{Agent: "smith@example.com", Bad: 2, Total: 2, Score: 0.1147},
			}},
		},
		{
			name: "performance: chatting time summed over agents, one bucket", report: ChattingTime,
			body: `{"name":"performance-report","records":{"smith@example.com":{"accepting_chats_time":35296,"chats_count":4,"chatting_time":5400,"logged_in_time":45304},"jane@example.com":{"chatting_time":1800},"idle@example.com":{}},"summary":{"chats_count":17}}`,
			want: Series[Duration]{Endpoint: "v3.6/agents/performance", Granularity: ByPeriod, Buckets: []Bucket[Duration]{
				{Key: "2021-04-08..2021-04-14", Start: week.From, End: week.To, Hour: -1, Value: Duration{Hours: 2}},
			}},
		},
		{
			name: "unique visitors from the summary", report: UniqueVisitors,
			body: `{"name":"visitors-report","summary":{"unique_visitors":4,"page_views":23}}`,
			want: Series[VisitorCount]{Endpoint: "v3.6/customers/unique_visitors", Granularity: ByPeriod, Buckets: []Bucket[VisitorCount]{
				{Key: "2021-04-08..2021-04-14", Start: week.From, End: week.To, Hour: -1, Value: VisitorCount{Visitors: 4}},
			}},
		},
		{
			name: "not replied is total chats", report: NotReplied,
			body: `{"total":1,"records":{"2021-04-08":{"total":1},"2021-04-09":{}}}`,
			want: Series[ChatCount]{Endpoint: "v3.6/chats/total_chats", Granularity: ByDay, Buckets: []Bucket[ChatCount]{
				dayBucket("2021-04-08", ChatCount{Chats: 1}),
				dayBucket("2021-04-09", ChatCount{}),
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeV36(v36(t, tt.report), week, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestDecodeV36GreetingsCap marks a day that reaches the API's 100
// greetings as capped, and one below it not.
func TestDecodeV36GreetingsCap(t *testing.T) {
	t.Parallel()
	day := func(n int) string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = `"` + strings.Repeat("9", i%3+1) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":{"displayed":1}`
		}
		return "{" + strings.Join(ids, ",") + "}"
	}
	body := `{"records":{"2021-04-08":` + day(100) + `,"2021-04-09":` + day(99) + `}}`
	got, err := decodeV36(v36(t, Greetings), Query{From: date("2021-04-08"), To: date("2021-04-09")}, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	s := got.(Series[GreetingCount])
	if diff := cmp.Diff([]Date{date("2021-04-08")}, s.Capped); diff != "" {
		t.Errorf("capped days (-want +got)\n%s", diff)
	}
	if s.Buckets[0].Value.Displayed != 100 || s.Buckets[1].Value.Displayed != 99 {
		t.Errorf("sums %+v", s.Buckets)
	}
}

func TestDecodeV36Errors(t *testing.T) {
	t.Parallel()
	week := Query{From: date("2021-04-08"), To: date("2021-04-14")}
	tests := []struct {
		name   string
		report Report
		body   string
		reason string
	}{
		{"not JSON", TotalChats, `{"records":`, "truncated"},
		{"records missing", TotalChats, `{"total":3}`, `"records": missing`},
		{"records an array", ChatRatings, `{"records":[1]}`, `"records": want an object`},
		{"duplicate day", TotalChats, `{"records":{"2021-04-08":{"total":1},"2021-04-08":{"total":2}}}`, "duplicate key"},
		{"hour key", TotalChats, `{"records":{"00:00":{"total":1}}}`, "want YYYY-MM-DD"},
		{"day outside the range", TotalChats, `{"records":{"2021-04-15":{"total":1}}}`, "outside the range"},
		{"day not an object", TotalChats, `{"records":{"2021-04-08":3}}`, "want an object"},
		{"negative", ChatRatings, `{"records":{"2021-04-08":{"good":-1}}}`, "negative"},
		{"fraction count", ChatRatings, `{"records":{"2021-04-08":{"good":1.5}}}`, "whole number"},
		{"string number", ChatsResponseTime, `{"records":{"2021-04-08":{"count":2,"response_time":"9"}}}`, "want a number"},
		{"queue group not an object", QueuedVisitors, `{"records":{"2021-04-08":{"queued":5}}}`, "want an object"},
		{"greeting not an object", Greetings, `{"records":{"2021-04-08":{"7":1}}}`, "want an object"},
		{"greetings overflow", Greetings, `{"records":{"2021-04-08":{"1":{"displayed":9007199254740992},"2":{"displayed":9007199254740992}}}}`, "out of range"},
		{"ranking line not an object", ChatRanking, `{"records":{"a@example.com":[]}}`, "want an object"},
		{"ranking empty agent", ChatRanking, `{"records":{"":{"total":1}}}`, "empty agent"},
		{"summary missing", UniqueVisitors, `{"name":"visitors-report"}`, `"summary": missing`},
		{"summary not an object", UniqueVisitors, `{"summary":4}`, "want an object"},
		{"data after the object", TotalChats, `{"records":{}} {}`, "data after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := v36(t, tt.report)
			_, err := decodeV36(m, week, []byte(tt.body))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if de.Endpoint != m.Name() || !strings.Contains(de.Reason, tt.reason) {
				t.Errorf("err = %v, want endpoint %s and reason containing %q", err, m.Name(), tt.reason)
			}
			if de.Offset < 0 || de.Offset > int64(len(tt.body)) {
				t.Errorf("offset %d outside the body", de.Offset)
			}
		})
	}
}

// TestErrorBodyText: only a short snake_case word passes as an error type
// or region, and a message is one printable line of at most 120 runes.
func TestErrorBodyText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"too_many_requests":     "too_many_requests",
		"a-z_09":                "a-z_09",
		strings.Repeat("a", 40): strings.Repeat("a", 40),
		strings.Repeat("a", 41): "",
		"":                      "",
		"Authentication":        "",
		"bad type":              "",
		"x/y":                   "",
		"x:y":                   "",
		"x`":                    "",
		"x{":                    "",
		"é":                     "",
	} {
		if got := clipType(in); got != want {
			t.Errorf("clipType(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Invalid access token":   "Invalid access token",
		"two\nlines\x00":         "two lines ",
		strings.Repeat("é", 120): strings.Repeat("é", 120),
		strings.Repeat("é", 121): strings.Repeat("é", 120) + "…",
	} {
		if got := clipMessage(in); got != want {
			t.Errorf("clipMessage(%q) = %q, want %q", in, got, want)
		}
	}
	typ, msg, region := errorBody([]byte(`{"error":{"type":"misdirected_request","message":"Wrong region","data":{"region":"fra"}}}`))
	if typ != "misdirected_request" || msg != "Wrong region" || region != "fra" {
		t.Errorf("errorBody = %q %q %q", typ, msg, region)
	}
	for _, body := range []string{`{"error":"unauthorized"}`, `not json`, `{"error":{"type":3}}`, `{}`} {
		if typ, msg, region := errorBody([]byte(body)); typ+msg+region != "" {
			t.Errorf("errorBody(%s) = %q %q %q, want nothing", body, typ, msg, region)
		}
	}
}

// TestCombineWaits: the two queue groups together: counts add, the average
// is weighted by them (not the mean of the two averages), the extremes are
// the extremes of both, and a group nobody was in changes nothing.
func TestCombineWaits(t *testing.T) {
	t.Parallel()
	f := func(x float64) *float64 { return &x }
	in := WaitStat{Count: 9, MinSeconds: f(5), MaxSeconds: f(40), Avg: f(10)}
	left := WaitStat{Count: 1, MinSeconds: f(112), MaxSeconds: f(112), Avg: f(112)}
	for _, tt := range []struct {
		name string
		a, b WaitStat
		want WaitStat
	}{
		{"both", in, left, WaitStat{Count: 10, MinSeconds: f(5), MaxSeconds: f(112), Avg: f(20.2)}},
		{"both, the other way", left, in, WaitStat{Count: 10, MinSeconds: f(5), MaxSeconds: f(112), Avg: f(20.2)}},
		{"nobody left", in, WaitStat{}, in},
		{"nobody chatted", WaitStat{}, left, left},
		{"nobody at all", WaitStat{}, WaitStat{}, WaitStat{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := combineWaits(tt.a, tt.b)
			if got.Count != tt.want.Count || !sameFloat(got.MinSeconds, tt.want.MinSeconds) ||
				!sameFloat(got.MaxSeconds, tt.want.MaxSeconds) || !sameFloat(got.Avg, tt.want.Avg) {
				t.Errorf("got %s, want %s", waitString(got), waitString(tt.want))
			}
		})
	}
}

func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) < 1e-9
}

func waitString(w WaitStat) string {
	s := func(p *float64) string {
		if p == nil {
			return "nil"
		}
		return strconv.FormatFloat(*p, 'g', -1, 64)
	}
	return fmt.Sprintf("{count %d min %s max %s avg %s}", w.Count, s(w.MinSeconds), s(w.MaxSeconds), s(w.Avg))
}

// TestDecodeV36CountsAtTheLimit: a greetings sum or a chatting time of
// exactly 2^53 (the largest count a float64 carries exactly) is a number;
// one past it is refused.
func TestDecodeV36CountsAtTheLimit(t *testing.T) {
	t.Parallel()
	q := Query{From: date("2026-03-02"), To: date("2026-03-02")}
	const limit = "9007199254740992" // 2^53
	for _, field := range []string{"displayed", "accepted", "goals", "canceled"} {
		body := `{"records":{"2026-03-02":{"1":{"` + field + `":` + limit + `}}}}`
		if _, err := decodeV36(v36(t, Greetings), q, []byte(body)); err != nil {
			t.Errorf("%s at 2^53: %v", field, err)
		}
		body = `{"records":{"2026-03-02":{"1":{"` + field + `":` + limit + `},"2":{"` + field + `":1}}}}`
		if _, err := decodeV36(v36(t, Greetings), q, []byte(body)); err == nil {
			t.Errorf("%s past 2^53 accepted", field)
		}
	}
	if _, err := decodeV36(v36(t, ChattingTime), q, []byte(`{"records":{"a@example.com":{"chatting_time":`+limit+`}}}`)); err != nil {
		t.Errorf("chatting_time at 2^53: %v", err)
	}
	if _, err := decodeV36(v36(t, ChattingTime), q, []byte(`{"records":{"a@example.com":{"chatting_time":`+limit+`},"b@example.com":{"chatting_time":2}}}`)); err == nil {
		t.Error("chatting_time past 2^53 accepted")
	}
}
