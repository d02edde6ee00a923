package livechat

import (
	"fmt"
	"strings"
)

// API is a version of the LiveChat Reports API a Client reads.
type API string

// The Reports API versions the client speaks. V2 is LiveChat's deprecated
// REST API (GET, query arguments, basic auth with login and API key); V36 is
// its current stable Reports API (POST with a JSON body, a personal access
// token as basic auth with the account ID, or an OAuth token as Bearer).
const (
	V2  API = "2"
	V36 API = "3.6"
)

// APIs lists the versions, oldest first. Read-only.
var APIs = []API{V2, V36}

// ParseAPI reads a version as written in the config ("2" or "3.6").
func ParseAPI(s string) (API, error) {
	for _, a := range APIs {
		if s == string(a) {
			return a, nil
		}
	}
	return "", fmt.Errorf("livechat: unknown Reports API version %q (want 2 or 3.6)", clip(s))
}

// Filter is a set of the narrowings a report request can carry: the job's
// group, agent and tags.
type Filter uint8

// The filters of a job or slash command.
const (
	FilterGroup Filter = 1 << iota
	FilterAgent
	FilterTags

	allFilters = FilterGroup | FilterAgent | FilterTags
)

// Names returns the filters in f as the words the config uses, in the order
// group, agent, tags.
func (f Filter) Names() []string {
	var out []string
	for _, n := range []struct {
		f    Filter
		name string
	}{{FilterGroup, "group"}, {FilterAgent, "agent"}, {FilterTags, "tags"}} {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String is Names joined by ", ", or "none".
func (f Filter) String() string {
	if f == 0 {
		return "none"
	}
	return strings.Join(f.Names(), ", ")
}

// QueryFilters returns the filters q sets.
func QueryFilters(q Query) Filter {
	var f Filter
	if q.Group != "" {
		f |= FilterGroup
	}
	if q.Agent != "" {
		f |= FilterAgent
	}
	for _, t := range q.Tags {
		if t != "" {
			f |= FilterTags
			break
		}
	}
	return f
}

// Method is how one report is asked for on one API version: what a digest
// needs to know to plan its requests and to say what its numbers mean.
type Method struct {
	API    API
	Report Report
	// Endpoint is the path below "reports/" (v2) or "v3.6/reports/" (v3.6),
	// e.g. "chats/ratings".
	Endpoint string
	// Filters are the filters the method takes; the others are not sent,
	// and the answer covers what they would have excluded.
	Filters Filter
	// Timezone says whether the answer's days are the requested zone's. On
	// v2 it is whether the endpoint takes timezone (those that do not count
	// in the account's zone); on v3.6 whether timezone is sent with the
	// request (every v3.6 range is in the job's zone through the offsets of
	// filters.from and filters.to).
	Timezone bool
	// PerPeriod is set for answers with one value for the whole range and
	// no daily records (v3.6 agents/performance and
	// customers/unique_visitors): a digest asks for each period separately
	// and draws no daily series from them; unique counts do not add up.
	PerPeriod bool
}

// Name is how errors, logs and metrics name the method: the v2 endpoint as
// it always was ("chats/ratings"), the v3.6 one with its version
// ("v3.6/chats/ratings"), so the two never share a label.
func (m Method) Name() string {
	if m.API == V36 {
		return "v3.6/" + m.Endpoint
	}
	return m.Endpoint
}

// v36Chats are the filters every v3.6 Chats report takes.
const v36Chats = allFilters

// v36Agents are the filters of the v3.6 Agents reports: agents and groups,
// no tags (reference §3.4).
const v36Agents = FilterGroup | FilterAgent

// v36Methods is how each report is read on v3.6 (reference §8 and the
// contract's v3.6 table). Reports not listed do not exist on v3.6. Read-only.
var v36Methods = map[Report]Method{
	TotalChats:             {Endpoint: "chats/total_chats", Filters: v36Chats, Timezone: true},
	NotReplied:             {Endpoint: "chats/total_chats", Filters: v36Chats, Timezone: true},
	Engagement:             {Endpoint: "chats/engagement", Filters: v36Chats, Timezone: true},
	ChatRatings:            {Endpoint: "chats/ratings", Filters: v36Chats, Timezone: true},
	ChatRanking:            {Endpoint: "chats/ranking", Filters: v36Chats, Timezone: true},
	QueuedVisitors:         {Endpoint: "chats/queued_visitors", Filters: v36Chats, Timezone: true},
	QueueWaitingTimes:      {Endpoint: "chats/queued_visitors", Filters: v36Chats, Timezone: true},
	Availability:           {Endpoint: "agents/availability", Filters: v36Agents, Timezone: true},
	ChattingTime:           {Endpoint: "agents/performance", Filters: v36Agents, Timezone: true, PerPeriod: true},
	ChatsFirstResponseTime: {Endpoint: "chats/first_response_time", Filters: v36Chats, Timezone: true},
	ChatsResponseTime:      {Endpoint: "chats/response_time", Filters: v36Chats, Timezone: true},
	ChatDuration:           {Endpoint: "chats/duration", Filters: v36Chats, Timezone: true},
	Greetings:              {Endpoint: "chats/greetings_conversion", Filters: v36Chats, Timezone: true},
	// customers/unique_visitors documents only filters.from/to: no
	// timezone, no filters (reference §3.4; the path, not stats/, §10.2).
	UniqueVisitors: {Endpoint: "customers/unique_visitors", PerPeriod: true},
}

// MethodOf returns how report r is asked for on api, and false when api
// does not have it (tickets, goals and occupancy on v3.6; the v3.6-only
// reports on v2).
func MethodOf(api API, r Report) (Method, bool) {
	switch api {
	case V2:
		info, ok := Lookup(r)
		if !ok || info.Endpoint == "" {
			return Method{}, false
		}
		m := Method{API: V2, Report: r, Endpoint: info.Endpoint, Timezone: info.Accepts(ParamTimezone)}
		if info.Accepts(ParamGroup) {
			m.Filters |= FilterGroup
		}
		if info.Accepts(ParamAgent) {
			m.Filters |= FilterAgent
		}
		if info.Accepts(ParamTag) {
			m.Filters |= FilterTags
		}
		return m, true
	case V36:
		m, ok := v36Methods[r]
		if !ok {
			return Method{}, false
		}
		m.API, m.Report = V36, r
		return m, true
	}
	return Method{}, false
}

// ReportsOn lists the reports api has, in the order digests show them: what
// "all reports" means on that version.
func ReportsOn(api API) []Report {
	var out []Report
	for _, i := range Reports {
		if _, ok := MethodOf(api, i.Report); ok {
			out = append(out, i.Report)
		}
	}
	return out
}
