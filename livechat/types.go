package livechat

import "time"

// Granularity is the size of the buckets of an answer (the group_by argument).
type Granularity string

// The bucket sizes of the Reports API. The empty Granularity lets the API
// choose: hours for a single day, days otherwise.
const (
	ByHour  Granularity = "hour"
	ByDay   Granularity = "day"
	ByMonth Granularity = "month"
	// ByPeriod is one bucket for the whole range: the v3.6 reports that
	// have no daily records (see Method.PerPeriod). It is never asked for.
	ByPeriod Granularity = "period"
)

// Query holds the arguments of one report request. Zero fields are not sent,
// and arguments the report does not accept (see ReportInfo.Params) are
// dropped, so one Query can be used for every report.
type Query struct {
	From, To Date
	// Timezone is an IANA zone name such as "Europe/Warsaw".
	Timezone string
	GroupBy  Granularity
	Group    string // group id
	Agent    string // agent login
	Tags     []string
	Goal     string // goal id
	Greeting string // greeting id
	// Weekday is "mon".."sun", only for agents_occupancy.
	Weekday string
	// Until, when not zero, ends the range at this wall-clock time of day
	// on To instead of at the day's end: what has passed of a partial day.
	// Only v3.6 can ask for it (its range is two instants); a v2 request
	// with it is refused.
	Until time.Duration
}

// Bucket is one time bucket of a report answer.
type Bucket[T any] struct {
	// Key is the bucket's key exactly as the API sent it: "HH:MM",
	// "YYYY-MM-DD" or "YYYY-MM"; "FROM..TO" for a ByPeriod bucket.
	Key string
	// Start and End are the first and last calendar day the bucket covers.
	// For an hour bucket both are the queried day; for a day bucket both are
	// that day; for a month bucket they are its begin and end.
	Start, End Date
	// Hour is 0..23 for an hour bucket and -1 otherwise.
	Hour  int
	Value T
}

// Series is a decoded bucketed answer, its buckets in time order.
type Series[T any] struct {
	Endpoint    string
	Granularity Granularity
	Buckets     []Bucket[T]
	// Capped lists the days on which the answer reached a cap the API puts
	// on values per day (v3.6 chats/greetings_conversion: 100 greetings),
	// so that day's sums may be short.
	Capped []Date
}

// ChatCount is a bucket of chats/total_chats (and of not_replied, its v3.6
// form for chats nobody replied to). Continuous counts messaging-mode chats
// and is only sent by v3.6; it is 0 on v2.
type ChatCount struct{ Chats, Continuous int64 }

// EngagementCount is a bucket of chats/engagement.
type EngagementCount struct{ AutoInvite, ManualInvite, ImmediateStart int64 }

// ChatRatingCount is a bucket of chats/ratings.
type ChatRatingCount struct{ Good, Bad, Chats int64 }

// QueueCount is a bucket of chats/queued_visitors.
type QueueCount struct{ Queued, LeftQueue, EnteredChat int64 }

// WaitStat is one line of chats/queued_visitors/waiting_times. Min, Max and
// Average are nil where the API sends null (nobody waited).
type WaitStat struct {
	Count                       int64
	MinSeconds, MaxSeconds, Avg *float64
}

// WaitTimes is a bucket of chats/queued_visitors/waiting_times.
type WaitTimes struct{ Queued, LeftQueue, EnteredChat WaitStat }

// Duration is a bucket of availability or chats/chatting_time, always in
// hours: answers for a single day come in minutes per hour and are divided by
// 60 when decoded.
type Duration struct{ Hours float64 }

// ResponseTime is a bucket of chats/first_response_time,
// chats/response_time or (v3.6) chats/duration: Count responses or chats
// averaging Seconds (nil when Count is 0).
type ResponseTime struct {
	Count   int64
	Seconds *float64
}

// GoalCount is a bucket of chats/goals.
type GoalCount struct{ Goals int64 }

// GreetingCount is a bucket of chats/greetings (v2) or
// chats/greetings_conversion summed over greetings (v3.6). Canceled,
// greetings the visitor dismissed, is only sent by v3.6; it is 0 on v2.
type GreetingCount struct{ Displayed, Accepted, Goals, Canceled int64 }

// VisitorCount is the one bucket of v3.6 customers/unique_visitors: the
// distinct visitors of the whole range, which do not add up across ranges.
type VisitorCount struct{ Visitors int64 }

// TicketCount is a bucket of tickets/new_tickets or tickets/solved_tickets.
type TicketCount struct{ Tickets int64 }

// TicketTime is a bucket of tickets/first_response_time or
// tickets/resolution_time: Count tickets averaging Hours (nil when Count is 0).
type TicketTime struct {
	Count int64
	Hours *float64
}

// TicketSourceCount is a bucket of tickets/ticket_sources.
type TicketSourceCount struct{ ChatWindow, Mail, Chat int64 }

// TicketRatingCount is a bucket of tickets/ratings.
type TicketRatingCount struct{ Good, Bad int64 }

// RankEntry is one agent of chats/ratings/ranking or tickets/ratings/ranking.
type RankEntry struct {
	Agent            string
	Good, Bad, Total int64
	Score            float64
}

// Ranking is a decoded ranking answer, in the order the API sent it.
type Ranking struct {
	Endpoint string
	Entries  []RankEntry
}

// OccupancyPoint is one hour of chats/agents_occupancy: the most chats that
// ran at the same time in that hour.
type OccupancyPoint struct {
	Day  Date
	Hour int
	Max  int64
}

// Occupancy is a decoded chats/agents_occupancy answer, in time order.
type Occupancy struct {
	Endpoint string
	Points   []OccupancyPoint
}
