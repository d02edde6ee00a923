package digest

import "livechat-digest/livechat"

// Better says which direction of change is good news for a metric.
type Better int

// Directions of improvement, from the catalogue's "better" column.
const (
	Neutral Better = iota // neither direction is good or bad
	Up                    // higher is better
	Down                  // lower is better
)

// Agg is how a metric is aggregated over the buckets of a period.
type Agg int

// Aggregations of the metric catalogue.
const (
	Sum          Agg = iota // values add
	WeightedMean            // mean weighted by the bucket's count, never a mean of means
	Ratio                   // a ratio of two sums
	Max                     // the largest bucket value
	// Whole is a value the API gives for the whole period only (v3.6
	// unique visitors): taken as it is, never added to another, since
	// distinct counts of two ranges do not add up.
	Whole
)

// Unit is what a metric's number measures, for formatting.
type Unit int

// Units of the metric catalogue.
const (
	Count   Unit = iota // a whole number of things
	Seconds             // a duration in seconds
	Hours               // a duration in hours
	Rate                // a ratio in [0, 1], shown as a percentage
)

// Metric describes one metric key of the catalogue.
type Metric struct {
	Key    string          // e.g. "chat_ratings.satisfaction"
	Report livechat.Report // the report that answers it
	Label  string          // a short human name, e.g. "Satisfaction"
	Agg    Agg
	Unit   Unit
	Better Better
}

// Catalogue lists every metric key, grouped by report in the order digests
// show them. It is the only place metric keys are spelled. Read-only.
var Catalogue = []Metric{
	{"total_chats.chats", livechat.TotalChats, "Chats", Sum, Count, Neutral},
	{"total_chats.continuous", livechat.TotalChats, "Continuous chats", Sum, Count, Neutral},

	{"engagement.auto_invite", livechat.Engagement, "Chats from auto invites", Sum, Count, Neutral},
	{"engagement.manual_invite", livechat.Engagement, "Chats from manual invites", Sum, Count, Neutral},
	{"engagement.immediate_start", livechat.Engagement, "Chats started by visitors", Sum, Count, Neutral},

	{"chat_ratings.good", livechat.ChatRatings, "Good chat ratings", Sum, Count, Up},
	{"chat_ratings.bad", livechat.ChatRatings, "Bad chat ratings", Sum, Count, Down},
	{"chat_ratings.chats", livechat.ChatRatings, "Chats (ratings report)", Sum, Count, Neutral},
	{"chat_ratings.satisfaction", livechat.ChatRatings, "Chat satisfaction", Ratio, Rate, Up},

	{"queued_visitors.queued", livechat.QueuedVisitors, "Visitors queued", Sum, Count, Neutral},
	{"queued_visitors.left_queue", livechat.QueuedVisitors, "Visitors who left the queue", Sum, Count, Neutral},
	{"queued_visitors.entered_chat", livechat.QueuedVisitors, "Visitors who entered a chat", Sum, Count, Neutral},
	{"queued_visitors.abandonment_rate", livechat.QueuedVisitors, "Queue abandonment", Ratio, Rate, Down},

	{"queue_waiting_times.queued_avg_seconds", livechat.QueueWaitingTimes, "Avg wait in queue", WeightedMean, Seconds, Down},
	{"queue_waiting_times.left_queue_avg_seconds", livechat.QueueWaitingTimes, "Avg wait before leaving", WeightedMean, Seconds, Down},
	{"queue_waiting_times.entered_chat_avg_seconds", livechat.QueueWaitingTimes, "Avg wait before chat", WeightedMean, Seconds, Down},
	{"queue_waiting_times.queued_max_seconds", livechat.QueueWaitingTimes, "Longest wait in queue", Max, Seconds, Down},

	{"availability.hours", livechat.Availability, "Agent availability", Sum, Hours, Up},
	{"chatting_time.hours", livechat.ChattingTime, "Chatting time", Sum, Hours, Neutral},

	{"chats_first_response_time.seconds", livechat.ChatsFirstResponseTime, "First response time", WeightedMean, Seconds, Down},
	{"chats_first_response_time.count", livechat.ChatsFirstResponseTime, "First responses", Sum, Count, Neutral},
	{"chats_response_time.seconds", livechat.ChatsResponseTime, "Response time", WeightedMean, Seconds, Down},
	{"chats_response_time.count", livechat.ChatsResponseTime, "Responses", Sum, Count, Neutral},

	{"agents_occupancy.peak", livechat.AgentsOccupancy, "Peak concurrent chats", Max, Count, Neutral},

	{"goals.goals", livechat.Goals, "Goals reached", Sum, Count, Up},

	{"greetings.displayed", livechat.Greetings, "Greetings displayed", Sum, Count, Up},
	{"greetings.accepted", livechat.Greetings, "Greetings accepted", Sum, Count, Up},
	{"greetings.goals", livechat.Greetings, "Goals from greetings", Sum, Count, Up},
	{"greetings.acceptance_rate", livechat.Greetings, "Greeting acceptance", Ratio, Rate, Up},
	{"greetings.canceled", livechat.Greetings, "Greetings canceled", Sum, Count, Down},

	{"tickets_new.tickets", livechat.TicketsNew, "New tickets", Sum, Count, Neutral},
	{"tickets_first_response_time.hours", livechat.TicketsFirstResponseTime, "Ticket first response", WeightedMean, Hours, Down},
	{"tickets_first_response_time.count", livechat.TicketsFirstResponseTime, "Tickets first answered", Sum, Count, Neutral},
	{"tickets_solved.tickets", livechat.TicketsSolved, "Tickets solved", Sum, Count, Up},
	{"tickets_resolution_time.hours", livechat.TicketsResolutionTime, "Ticket resolution time", WeightedMean, Hours, Down},
	{"tickets_resolution_time.count", livechat.TicketsResolutionTime, "Tickets resolved", Sum, Count, Neutral},

	{"ticket_sources.chat_window", livechat.TicketSources, "Tickets from the chat window", Sum, Count, Neutral},
	{"ticket_sources.mail", livechat.TicketSources, "Tickets from mail", Sum, Count, Neutral},
	{"ticket_sources.chat", livechat.TicketSources, "Tickets from chats", Sum, Count, Neutral},

	{"ticket_ratings.good", livechat.TicketRatings, "Good ticket ratings", Sum, Count, Up},
	{"ticket_ratings.bad", livechat.TicketRatings, "Bad ticket ratings", Sum, Count, Down},
	{"ticket_ratings.satisfaction", livechat.TicketRatings, "Ticket satisfaction", Ratio, Rate, Up},

	// Reports only v3.6 has (see MetricOn).
	{"chat_duration.seconds", livechat.ChatDuration, "Chat duration", WeightedMean, Seconds, Neutral},
	{"chat_duration.count", livechat.ChatDuration, "Chats timed", Sum, Count, Neutral},
	{"unique_visitors.visitors", livechat.UniqueVisitors, "Unique visitors", Whole, Count, Neutral},
	{"not_replied.chats", livechat.NotReplied, "Chats not replied to", Sum, Count, Down},
}

// LookupMetric returns the catalogue entry for key.
func LookupMetric(key string) (Metric, bool) {
	for _, m := range Catalogue {
		if m.Key == key {
			return m, true
		}
	}
	return Metric{}, false
}
