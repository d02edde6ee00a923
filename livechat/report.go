package livechat

// Report names a report by its metric prefix, the name used in config files,
// metric keys and the slash command grammar. The 20 reports of v2 come
// first; three more exist only on v3.6. MethodOf says which version has
// which.
type Report string

// The 20 reports of the Reports API v2; v3.6 has 11 of them (see MethodOf).
const (
	TotalChats               Report = "total_chats"
	Engagement               Report = "engagement"
	ChatRatings              Report = "chat_ratings"
	ChatRanking              Report = "chat_ranking"
	QueuedVisitors           Report = "queued_visitors"
	QueueWaitingTimes        Report = "queue_waiting_times"
	Availability             Report = "availability"
	ChattingTime             Report = "chatting_time"
	ChatsFirstResponseTime   Report = "chats_first_response_time"
	ChatsResponseTime        Report = "chats_response_time"
	AgentsOccupancy          Report = "agents_occupancy"
	Goals                    Report = "goals"
	Greetings                Report = "greetings"
	TicketsNew               Report = "tickets_new"
	TicketsFirstResponseTime Report = "tickets_first_response_time"
	TicketsSolved            Report = "tickets_solved"
	TicketsResolutionTime    Report = "tickets_resolution_time"
	TicketSources            Report = "ticket_sources"
	TicketRatings            Report = "ticket_ratings"
	TicketRanking            Report = "ticket_ranking"
)

// The reports only v3.6 has.
const (
	ChatDuration   Report = "chat_duration"   // chats/duration
	UniqueVisitors Report = "unique_visitors" // customers/unique_visitors
	NotReplied     Report = "not_replied"     // chats/total_chats of chats no agent or bot replied to
)

// Param is a query argument a report endpoint accepts.
type Param uint16

// The query arguments of the Reports API. DateFrom and DateTo are accepted by
// every report except agents_occupancy.
const (
	ParamDateFrom Param = 1 << iota
	ParamDateTo
	ParamTimezone
	ParamGroup
	ParamAgent
	ParamTag
	ParamGroupBy
	ParamGoal
	ParamGreeting
	ParamWeekday
)

// Shape says how a report's answer is laid out.
type Shape int

// The answer shapes of the Reports API.
const (
	ShapeBuckets   Shape = iota // an object keyed by hour, day or month
	ShapeRanking                // {"ranking": [...]}
	ShapeOccupancy              // an object keyed "YYYY-MM-DD HH:MM" with plain numbers
)

// ReportInfo describes one report and its v2 endpoint (MethodOf describes
// it on every version).
type ReportInfo struct {
	Report Report
	// Title is the report's name for people, e.g. "New tickets".
	Title string
	// Endpoint is the v2 path below "reports/", the name used in errors,
	// metrics and logs, e.g. "chats/ratings"; "" for a report v2 lacks.
	Endpoint string
	// Params are the query arguments the endpoint accepts; others are not sent.
	Params Param
	Shape  Shape
	// MinutesPerHour is set for the reports that answer a single day in
	// minutes per hour instead of hours (availability, chatting_time).
	MinutesPerHour bool
}

// Accepts reports whether the endpoint takes the query argument p.
func (i ReportInfo) Accepts(p Param) bool { return i.Params&p != 0 }

const (
	dates = ParamDateFrom | ParamDateTo
	full  = dates | ParamTimezone | ParamGroup | ParamAgent | ParamGroupBy | ParamTag
)

// Reports lists every report of either version in the order digests show
// them; ReportsOn(api) is the part one version has. Read-only.
var Reports = []ReportInfo{
	{Report: TotalChats, Title: "Total chats", Endpoint: "chats/total_chats", Params: full},
	{Report: Engagement, Title: "Chat engagement", Endpoint: "chats/engagement", Params: full},
	{Report: ChatRatings, Title: "Chat ratings", Endpoint: "chats/ratings", Params: full},
	{Report: ChatRanking, Title: "Chat ranking", Endpoint: "chats/ratings/ranking", Params: dates | ParamGroup | ParamTag, Shape: ShapeRanking},
	{Report: QueuedVisitors, Title: "Queued visitors", Endpoint: "chats/queued_visitors", Params: dates | ParamTimezone | ParamGroup | ParamGroupBy},
	{Report: QueueWaitingTimes, Title: "Queue waiting times", Endpoint: "chats/queued_visitors/waiting_times", Params: dates | ParamTimezone | ParamGroup | ParamGroupBy},
	{Report: Availability, Title: "Agent availability", Endpoint: "availability", Params: dates | ParamTimezone | ParamGroup | ParamAgent, MinutesPerHour: true},
	{Report: ChattingTime, Title: "Chatting time", Endpoint: "chats/chatting_time", Params: dates | ParamGroup | ParamAgent | ParamTag, MinutesPerHour: true},
	{Report: ChatsFirstResponseTime, Title: "Chat first response time", Endpoint: "chats/first_response_time", Params: dates | ParamGroup | ParamAgent | ParamGroupBy | ParamTag},
	{Report: ChatsResponseTime, Title: "Chat response time", Endpoint: "chats/response_time", Params: dates | ParamGroup | ParamAgent | ParamGroupBy | ParamTag},
	{Report: AgentsOccupancy, Title: "Agent occupancy", Endpoint: "chats/agents_occupancy", Params: ParamWeekday | dates, Shape: ShapeOccupancy},
	{Report: Goals, Title: "Goals", Endpoint: "chats/goals", Params: full | ParamGoal},
	{Report: Greetings, Title: "Greetings", Endpoint: "chats/greetings", Params: dates | ParamTimezone | ParamGroup | ParamGoal | ParamGreeting | ParamGroupBy | ParamTag},
	{Report: TicketsNew, Title: "New tickets", Endpoint: "tickets/new_tickets", Params: dates | ParamTimezone | ParamGroup | ParamGroupBy | ParamTag},
	{Report: TicketsFirstResponseTime, Title: "Ticket first response time", Endpoint: "tickets/first_response_time", Params: full},
	{Report: TicketsSolved, Title: "Solved tickets", Endpoint: "tickets/solved_tickets", Params: full},
	{Report: TicketsResolutionTime, Title: "Ticket resolution time", Endpoint: "tickets/resolution_time", Params: full},
	{Report: TicketSources, Title: "Ticket sources", Endpoint: "tickets/ticket_sources", Params: dates | ParamTimezone | ParamGroup | ParamGroupBy | ParamTag},
	{Report: TicketRatings, Title: "Ticket ratings", Endpoint: "tickets/ratings", Params: full},
	{Report: TicketRanking, Title: "Ticket ranking", Endpoint: "tickets/ratings/ranking", Params: dates | ParamGroup | ParamTag, Shape: ShapeRanking},
	{Report: ChatDuration, Title: "Chat duration"},
	{Report: UniqueVisitors, Title: "Unique visitors"},
	{Report: NotReplied, Title: "Chats not replied to"},
}

// Path is the endpoint's path below the API base URL, e.g. "reports/chats/ratings".
func (i ReportInfo) Path() string { return "reports/" + i.Endpoint }

// Lookup returns the description of report r.
func Lookup(r Report) (ReportInfo, bool) {
	for _, i := range Reports {
		if i.Report == r {
			return i, true
		}
	}
	return ReportInfo{}, false
}
