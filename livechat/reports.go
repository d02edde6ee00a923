package livechat

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotOnAPI reports a report the client's API version does not have
// (tickets on v3.6, unique_visitors on v2); errors.Is finds it.
var ErrNotOnAPI = errors.New("not available on this Reports API version")

// Fetch fetches report r for q and returns its decoded answer: a Series[T]
// of the report's bucket type, a Ranking or an Occupancy, the same values
// the typed methods return, whichever API version the client reads. It lets
// callers pick reports by name.
func (c *Client) Fetch(ctx context.Context, r Report, q Query) (any, error) {
	return c.fetchReport(ctx, nil, r, q)
}

// fetchReport is Fetch in share sh (nil: none).
func (c *Client) fetchReport(ctx context.Context, sh *Share, r Report, q Query) (any, error) {
	info, ok := Lookup(r)
	if !ok {
		return nil, fmt.Errorf("livechat: unknown report %q", clip(string(r)))
	}
	m, ok := MethodOf(c.api, r)
	if !ok {
		return nil, fmt.Errorf("livechat: %s: Reports API %s: %w", r, c.api, ErrNotOnAPI)
	}
	decodeFn := func(body []byte) (any, error) {
		var v any
		var err error
		if m.API == V36 {
			v, err = decodeV36(m, q, body)
		} else {
			v, err = decode(info, q, body)
		}
		if de, ok := err.(*DecodeError); ok {
			// The excerpt is the upstream's text, and the reason may quote a
			// piece of it; make sure neither can echo the key.
			de.Excerpt = c.redact(de.Excerpt)
			de.Reason = c.redact(de.Reason)
		}
		return v, err
	}
	body, key, err := c.get(ctx, sh, m, q)
	if err != nil {
		return nil, err
	}
	if sh == nil {
		return decodeFn(body)
	}
	// The query decides both the request and how its answer is read.
	return sh.decode(key, string(r)+"\x00"+fmt.Sprint(q), body, decodeFn)
}

// fetchAs is Fetch with the answer's type known to the caller.
func fetchAs[T any](ctx context.Context, c *Client, r Report, q Query) (T, error) {
	var zero T
	v, err := c.Fetch(ctx, r, q)
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		// Only a mismatch between decode and the methods below gets here.
		return zero, fmt.Errorf("livechat: %s: decoded %T, want %T", r, v, zero)
	}
	return t, nil
}

// TotalChats counts the chats in each bucket.
//
// meta: GET /reports/chats/total_chats
func (c *Client) TotalChats(ctx context.Context, q Query) (Series[ChatCount], error) {
	return fetchAs[Series[ChatCount]](ctx, c, TotalChats, q)
}

// Engagement splits chats by how they started: auto invite, manual invite or the visitor.
//
// meta: GET /reports/chats/engagement
func (c *Client) Engagement(ctx context.Context, q Query) (Series[EngagementCount], error) {
	return fetchAs[Series[EngagementCount]](ctx, c, Engagement, q)
}

// ChatRatings counts good and bad chat ratings and all chats.
//
// meta: GET /reports/chats/ratings
func (c *Client) ChatRatings(ctx context.Context, q Query) (Series[ChatRatingCount], error) {
	return fetchAs[Series[ChatRatingCount]](ctx, c, ChatRatings, q)
}

// ChatRanking ranks agents by their chat ratings over the whole range.
//
// meta: GET /reports/chats/ratings/ranking
func (c *Client) ChatRanking(ctx context.Context, q Query) (Ranking, error) {
	return fetchAs[Ranking](ctx, c, ChatRanking, q)
}

// QueuedVisitors counts visitors who queued, left the queue or entered a chat.
//
// meta: GET /reports/chats/queued_visitors
func (c *Client) QueuedVisitors(ctx context.Context, q Query) (Series[QueueCount], error) {
	return fetchAs[Series[QueueCount]](ctx, c, QueuedVisitors, q)
}

// QueueWaitingTimes gives the minimum, maximum and average wait in the queue.
//
// meta: GET /reports/chats/queued_visitors/waiting_times
func (c *Client) QueueWaitingTimes(ctx context.Context, q Query) (Series[WaitTimes], error) {
	return fetchAs[Series[WaitTimes]](ctx, c, QueueWaitingTimes, q)
}

// Availability gives the hours agents were available. Single-day answers come in minutes per hour and are converted to hours.
//
// meta: GET /reports/availability
func (c *Client) Availability(ctx context.Context, q Query) (Series[Duration], error) {
	return fetchAs[Series[Duration]](ctx, c, Availability, q)
}

// ChattingTime gives the hours agents spent chatting. Single-day answers come in minutes per hour and are converted to hours.
//
// meta: GET /reports/chats/chatting_time
func (c *Client) ChattingTime(ctx context.Context, q Query) (Series[Duration], error) {
	return fetchAs[Series[Duration]](ctx, c, ChattingTime, q)
}

// ChatsFirstResponseTime gives the average time to the first agent response and how many chats it covers.
//
// meta: GET /reports/chats/first_response_time
func (c *Client) ChatsFirstResponseTime(ctx context.Context, q Query) (Series[ResponseTime], error) {
	return fetchAs[Series[ResponseTime]](ctx, c, ChatsFirstResponseTime, q)
}

// ChatsResponseTime gives the average agent response time and how many responses it covers.
//
// meta: GET /reports/chats/response_time
func (c *Client) ChatsResponseTime(ctx context.Context, q Query) (Series[ResponseTime], error) {
	return fetchAs[Series[ResponseTime]](ctx, c, ChatsResponseTime, q)
}

// AgentsOccupancy gives the most concurrent chats in each hour of the weekday q.Weekday.
//
// meta: GET /reports/chats/agents_occupancy
func (c *Client) AgentsOccupancy(ctx context.Context, q Query) (Occupancy, error) {
	return fetchAs[Occupancy](ctx, c, AgentsOccupancy, q)
}

// Goals counts reached goals.
//
// meta: GET /reports/chats/goals
func (c *Client) Goals(ctx context.Context, q Query) (Series[GoalCount], error) {
	return fetchAs[Series[GoalCount]](ctx, c, Goals, q)
}

// Greetings counts greetings displayed and accepted, and goals reached from them.
//
// meta: GET /reports/chats/greetings
func (c *Client) Greetings(ctx context.Context, q Query) (Series[GreetingCount], error) {
	return fetchAs[Series[GreetingCount]](ctx, c, Greetings, q)
}

// TicketsNew counts tickets created.
//
// meta: GET /reports/tickets/new_tickets
func (c *Client) TicketsNew(ctx context.Context, q Query) (Series[TicketCount], error) {
	return fetchAs[Series[TicketCount]](ctx, c, TicketsNew, q)
}

// TicketsFirstResponseTime gives the average hours to the first response to tickets.
//
// meta: GET /reports/tickets/first_response_time
func (c *Client) TicketsFirstResponseTime(ctx context.Context, q Query) (Series[TicketTime], error) {
	return fetchAs[Series[TicketTime]](ctx, c, TicketsFirstResponseTime, q)
}

// TicketsSolved counts tickets solved.
//
// meta: GET /reports/tickets/solved_tickets
func (c *Client) TicketsSolved(ctx context.Context, q Query) (Series[TicketCount], error) {
	return fetchAs[Series[TicketCount]](ctx, c, TicketsSolved, q)
}

// TicketsResolutionTime gives the average hours to solve tickets.
//
// meta: GET /reports/tickets/resolution_time
func (c *Client) TicketsResolutionTime(ctx context.Context, q Query) (Series[TicketTime], error) {
	return fetchAs[Series[TicketTime]](ctx, c, TicketsResolutionTime, q)
}

// TicketSources counts tickets by the channel they came from.
//
// meta: GET /reports/tickets/ticket_sources
func (c *Client) TicketSources(ctx context.Context, q Query) (Series[TicketSourceCount], error) {
	return fetchAs[Series[TicketSourceCount]](ctx, c, TicketSources, q)
}

// TicketRatings counts good and bad ticket ratings.
//
// meta: GET /reports/tickets/ratings
func (c *Client) TicketRatings(ctx context.Context, q Query) (Series[TicketRatingCount], error) {
	return fetchAs[Series[TicketRatingCount]](ctx, c, TicketRatings, q)
}

// TicketRanking ranks agents by their ticket ratings over the whole range.
//
// meta: GET /reports/tickets/ratings/ranking
func (c *Client) TicketRanking(ctx context.Context, q Query) (Ranking, error) {
	return fetchAs[Ranking](ctx, c, TicketRanking, q)
}

// ChatDuration gives the average chat duration and the chats it covers (v3.6 only).
//
// meta: POST /v3.6/reports/chats/duration
func (c *Client) ChatDuration(ctx context.Context, q Query) (Series[ResponseTime], error) {
	return fetchAs[Series[ResponseTime]](ctx, c, ChatDuration, q)
}

// UniqueVisitors counts the distinct visitors of the whole range, in one bucket (v3.6 only).
//
// meta: POST /v3.6/reports/customers/unique_visitors
func (c *Client) UniqueVisitors(ctx context.Context, q Query) (Series[VisitorCount], error) {
	return fetchAs[Series[VisitorCount]](ctx, c, UniqueVisitors, q)
}

// NotReplied counts the chats no agent or bot replied to (v3.6 only).
//
// meta: POST /v3.6/reports/chats/total_chats
func (c *Client) NotReplied(ctx context.Context, q Query) (Series[ChatCount], error) {
	return fetchAs[Series[ChatCount]](ctx, c, NotReplied, q)
}
