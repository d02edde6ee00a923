package livechat

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr(f float64) *float64 { return &f }

func mustInfo(t testing.TB, r Report) ReportInfo {
	t.Helper()
	info, ok := Lookup(r)
	if !ok {
		t.Fatalf("no report %q", r)
	}
	return info
}

func date(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestDecode(t *testing.T) {
	t.Parallel()
	day := Query{From: date("2026-03-02"), To: date("2026-03-02")}
	week := Query{From: date("2026-03-02"), To: date("2026-03-08")}
	months := Query{From: date("2026-01-15"), To: date("2026-02-10"), GroupBy: ByMonth}
	tests := []struct {
		name   string
		report Report
		q      Query
		body   string
		want   any
	}{
		{
			name: "hours sorted, start is the queried day", report: TotalChats, q: day,
			body: `{"02:00":{"chats":6},"00:00":{"chats":18},"01:00":{"chats":19.0}}`,
			want: Series[ChatCount]{Endpoint: "chats/total_chats", Granularity: ByHour, Buckets: []Bucket[ChatCount]{
				{Key: "00:00", Start: day.From, End: day.From, Hour: 0, Value: ChatCount{Chats: 18}},
				{Key: "01:00", Start: day.From, End: day.From, Hour: 1, Value: ChatCount{Chats: 19}},
				{Key: "02:00", Start: day.From, End: day.From, Hour: 2, Value: ChatCount{Chats: 6}},
			}},
		},
		{
			name: "days", report: Engagement, q: week,
			body: `{"2026-03-03":{"chats_from_auto_invite":0,"chats_from_immediate_start":2,"chats_from_manual_invite":0},
			        "2026-03-02":{"chats_from_auto_invite":1,"chats_from_immediate_start":0,"chats_from_manual_invite":3}}`,
			want: Series[EngagementCount]{Endpoint: "chats/engagement", Granularity: ByDay, Buckets: []Bucket[EngagementCount]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: EngagementCount{1, 3, 0}},
				{Key: "2026-03-03", Start: date("2026-03-03"), End: date("2026-03-03"), Hour: -1, Value: EngagementCount{0, 0, 2}},
			}},
		},
		{
			name: "months with begin and end", report: ChatRatings, q: months,
			body: `{"2026-02":{"begin":"2026-02-01","end":"2026-02-10","bad":4,"good":38,"chats":320},
			        "2026-01":{"begin":"2026-01-15","end":"2026-01-31","bad":0,"good":6,"chats":37}}`,
			want: Series[ChatRatingCount]{Endpoint: "chats/ratings", Granularity: ByMonth, Buckets: []Bucket[ChatRatingCount]{
				{Key: "2026-01", Start: date("2026-01-15"), End: date("2026-01-31"), Hour: -1, Value: ChatRatingCount{6, 0, 37}},
				{Key: "2026-02", Start: date("2026-02-01"), End: date("2026-02-10"), Hour: -1, Value: ChatRatingCount{38, 4, 320}},
			}},
		},
		{
			name: "months without begin and end are clipped to the query", report: Goals, q: months,
			body: `{"2026-01":{"goals":4},"2026-02":{"goals":null}}`,
			want: Series[GoalCount]{Endpoint: "chats/goals", Granularity: ByMonth, Buckets: []Bucket[GoalCount]{
				{Key: "2026-01", Start: date("2026-01-15"), End: date("2026-01-31"), Hour: -1, Value: GoalCount{4}},
				{Key: "2026-02", Start: date("2026-02-01"), End: date("2026-02-10"), Hour: -1, Value: GoalCount{0}},
			}},
		},
		{
			name: "nested counts", report: QueuedVisitors, q: week,
			body: `{"2026-03-02":{"queued":{"count":6},"left_queue":{"count":3},"entered_chat":{"count":3}}}`,
			want: Series[QueueCount]{Endpoint: "chats/queued_visitors", Granularity: ByDay, Buckets: []Bucket[QueueCount]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: QueueCount{6, 3, 3}},
			}},
		},
		{
			name: "waiting times, null when nobody waited", report: QueueWaitingTimes, q: week,
			body: `{"2026-03-02":{"queued":{"count":1,"min":{"seconds":0},"max":{"seconds":112},"average":{"seconds":24.5}},
			        "left_queue":{"count":0,"min":{"seconds":null},"max":{"seconds":null},"average":{"seconds":null}},
			        "entered_chat":{"count":null,"min":{"seconds":10},"max":{"seconds":112},"average":{"seconds":23}}}}`,
			want: Series[WaitTimes]{Endpoint: "chats/queued_visitors/waiting_times", Granularity: ByDay, Buckets: []Bucket[WaitTimes]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: WaitTimes{
					Queued:      WaitStat{Count: 1, MinSeconds: ptr(0), MaxSeconds: ptr(112), Avg: ptr(24.5)},
					LeftQueue:   WaitStat{},
					EnteredChat: WaitStat{Count: 0, MinSeconds: ptr(10), MaxSeconds: ptr(112), Avg: ptr(23)},
				}},
			}},
		},
		{
			name: "availability for a day is minutes per hour", report: Availability, q: day,
			body: `{"00:00":{"minutes":30},"01:00":{"hours":90}}`,
			want: Series[Duration]{Endpoint: "availability", Granularity: ByHour, Buckets: []Bucket[Duration]{
				{Key: "00:00", Start: day.From, End: day.From, Hour: 0, Value: Duration{0.5}},
				{Key: "01:00", Start: day.From, End: day.From, Hour: 1, Value: Duration{1.5}},
			}},
		},
		{
			name: "chatting time for days is hours", report: ChattingTime, q: week,
			body: `{"2026-03-02":{"hours":8.25}}`,
			want: Series[Duration]{Endpoint: "chats/chatting_time", Granularity: ByDay, Buckets: []Bucket[Duration]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: Duration{8.25}},
			}},
		},
		{
			name: "first response time, null seconds", report: ChatsFirstResponseTime, q: week,
			body: `{"2026-03-02":{"first_response_time":{"count":5,"seconds":0.83}},"2026-03-03":{"first_response_time":{"count":0,"seconds":null}}}`,
			want: Series[ResponseTime]{Endpoint: "chats/first_response_time", Granularity: ByDay, Buckets: []Bucket[ResponseTime]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: ResponseTime{5, ptr(0.83)}},
				{Key: "2026-03-03", Start: date("2026-03-03"), End: date("2026-03-03"), Hour: -1, Value: ResponseTime{0, nil}},
			}},
		},
		{
			name: "response time", report: ChatsResponseTime, q: week,
			body: `{"2026-03-02":{"avg_response_time":{"count":1,"seconds":1.3}}}`,
			want: Series[ResponseTime]{Endpoint: "chats/response_time", Granularity: ByDay, Buckets: []Bucket[ResponseTime]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: ResponseTime{1, ptr(1.3)}},
			}},
		},
		{
			name: "greetings", report: Greetings, q: week,
			body: `{"2026-03-02":{"displayed":274,"accepted":190,"goals":40}}`,
			want: Series[GreetingCount]{Endpoint: "chats/greetings", Granularity: ByDay, Buckets: []Bucket[GreetingCount]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: GreetingCount{Displayed: 274, Accepted: 190, Goals: 40}},
			}},
		},
		{
			name: "new and solved tickets", report: TicketsSolved, q: week,
			body: `{"2026-03-02":{"solved_tickets":4}}`,
			want: Series[TicketCount]{Endpoint: "tickets/solved_tickets", Granularity: ByDay, Buckets: []Bucket[TicketCount]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: TicketCount{4}},
			}},
		},
		{
			name: "ticket times", report: TicketsResolutionTime, q: week,
			body: `{"2026-03-02":{"count":3.0,"hours":16.27},"2026-03-03":{"count":0,"hours":null}}`,
			want: Series[TicketTime]{Endpoint: "tickets/resolution_time", Granularity: ByDay, Buckets: []Bucket[TicketTime]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: TicketTime{3, ptr(16.27)}},
				{Key: "2026-03-03", Start: date("2026-03-03"), End: date("2026-03-03"), Hour: -1, Value: TicketTime{0, nil}},
			}},
		},
		{
			name: "ticket sources", report: TicketSources, q: week,
			body: `{"2026-03-02":{"tickets_from_chat_window":4,"tickets_from_mail":12,"tickets_from_chat":2}}`,
			want: Series[TicketSourceCount]{Endpoint: "tickets/ticket_sources", Granularity: ByDay, Buckets: []Bucket[TicketSourceCount]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: TicketSourceCount{4, 12, 2}},
			}},
		},
		{
			name: "ticket ratings", report: TicketRatings, q: week,
			body: `{"2026-03-02":{"good":51,"bad":18}}`,
			want: Series[TicketRatingCount]{Endpoint: "tickets/ratings", Granularity: ByDay, Buckets: []Bucket[TicketRatingCount]{
				{Key: "2026-03-02", Start: date("2026-03-02"), End: date("2026-03-02"), Hour: -1, Value: TicketRatingCount{51, 18}},
			}},
		},
		{
			name: "empty answer takes the granularity of the query", report: TicketsNew, q: week,
			body: `{}`,
			want: Series[TicketCount]{Endpoint: "tickets/new_tickets", Granularity: ByDay, Buckets: []Bucket[TicketCount]{}},
		},
		{
			name: "ranking in API order", report: ChatRanking, q: week,
			body: `{"ranking":[{"good":2502,"bad":426,"total":2928,"score":0.836,"name":"john@example.com"},
			                   {"good":2,"bad":4,"total":6.0,"score":0.3,"name":"jane@example.com"}]}`,
			want: Ranking{Endpoint: "chats/ratings/ranking", Entries: []RankEntry{
				{Agent: "john@example.com", Good: 2502, Bad: 426, Total: 2928, Score: 0.836},
				{Agent: "jane@example.com", Good: 2, Bad: 4, Total: 6, Score: 0.3},
			}},
		},
		{
			name: "empty ranking", report: TicketRanking, q: week,
			body: `{"ranking":[]}`,
			want: Ranking{Endpoint: "tickets/ratings/ranking", Entries: []RankEntry{}},
		},
		{
			name: "occupancy sorted", report: AgentsOccupancy, q: Query{Weekday: "mon"},
			body: `{"2015-03-23 00:00":1,"2015-03-16 10:00":17.0,"2015-03-16 09:00":13}`,
			want: Occupancy{Endpoint: "chats/agents_occupancy", Points: []OccupancyPoint{
				{Day: date("2015-03-16"), Hour: 9, Max: 13},
				{Day: date("2015-03-16"), Hour: 10, Max: 17},
				{Day: date("2015-03-23"), Hour: 0, Max: 1},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decode(mustInfo(t, tt.report), tt.q, []byte(tt.body))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	week := Query{From: date("2026-03-02"), To: date("2026-03-08")}
	tests := []struct {
		name   string
		report Report
		body   string
		reason string // a piece of DecodeError.Reason
	}{
		{"not JSON", TotalChats, `<html>503</html>`, "malformed JSON"},
		{"truncated", TotalChats, `{"2026-03-02":{"chats":1`, "truncated"},
		{"empty body", TotalChats, ``, "truncated"},
		{"array", TotalChats, `[1,2]`, "want a JSON object"},
		{"trailing data", TotalChats, `{} {}`, "data after"},
		{"string count", TotalChats, `{"2026-03-02":{"chats":"18"}}`, "want a number"},
		{"bool count", ChatRatings, `{"2026-03-02":{"good":true,"bad":0,"chats":0}}`, "want a number"},
		{"fractional count", TotalChats, `{"2026-03-02":{"chats":18.5}}`, "whole number"},
		{"negative count", TotalChats, `{"2026-03-02":{"chats":-1}}`, "negative"},
		{"huge count", TotalChats, `{"2026-03-02":{"chats":1e300}}`, "whole number"},
		{"overflowing number", TotalChats, `{"2026-03-02":{"chats":1e999}}`, "out of range"},
		{"missing field", TotalChats, `{"2026-03-02":{"chat":1}}`, `"chats": missing`},
		{"nested field not an object", QueuedVisitors, `{"2026-03-02":{"queued":5,"left_queue":{"count":0},"entered_chat":{"count":0}}}`, `"queued": want an object`},
		{"bucket not an object", TotalChats, `{"2026-03-02":7}`, "want an object"},
		{"bad day key", TotalChats, `{"2026-02-30":{"chats":1}}`, "want YYYY-MM-DD"},
		{"bad hour key", TotalChats, `{"24:00":{"chats":1}}`, "HH:00"},
		{"half hour key", TotalChats, `{"10:30":{"chats":1}}`, "HH:00"},
		{"bad key", TotalChats, `{"yesterday":{"chats":1}}`, "want"},
		{"mixed keys", TotalChats, `{"10:00":{"chats":1},"2026-03-02":{"chats":1}}`, "different kinds"},
		{"duplicate keys", TotalChats, `{"2026-03-02":{"chats":1},"2026-03-02":{"chats":2}}`, "duplicate key"},
		{"begin outside month", ChatRatings, `{"2026-03":{"begin":"2026-04-01","end":"2026-03-31","good":1,"bad":0,"chats":1}}`, "outside the month"},
		{"begin after end", ChatRatings, `{"2026-03":{"begin":"2026-03-20","end":"2026-03-10","good":1,"bad":0,"chats":1}}`, "before"},
		{"ranking missing", ChatRanking, `{"agents":[]}`, `"ranking": missing`},
		{"ranking not an array", ChatRanking, `{"ranking":{}}`, "want an array"},
		{"ranking without name", ChatRanking, `{"ranking":[{"good":1,"bad":0,"total":1,"score":1}]}`, `"name": missing`},
		{"occupancy bad key", AgentsOccupancy, `{"...":"..."}`, "YYYY-MM-DD HH:00"},
		{"occupancy not a number", AgentsOccupancy, `{"2015-03-16 00:00":"x"}`, "want a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			info := mustInfo(t, tt.report)
			_, err := decode(info, week, []byte(tt.body))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("decode(%s) = %v, want a *DecodeError", tt.body, err)
			}
			if de.Endpoint != info.Endpoint {
				t.Errorf("Endpoint = %q, want %q", de.Endpoint, info.Endpoint)
			}
			if !strings.Contains(de.Reason, tt.reason) {
				t.Errorf("Reason = %q, want it to contain %q", de.Reason, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "livechat: "+info.Endpoint+": ") {
				t.Errorf("message %q does not start with the endpoint", err)
			}
			if de.Offset < 0 || de.Offset > int64(len(tt.body)) {
				t.Errorf("Offset %d outside the body", de.Offset)
			}
		})
	}
}
