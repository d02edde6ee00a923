package livechat

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The JSON body of a v3.6 request (reference §3). Only the parts this
// client sends are modelled; every optional part is left out when unset.
type (
	v36Body struct {
		Distribution string     `json:"distribution,omitempty"`
		Timezone     string     `json:"timezone,omitempty"`
		Filters      v36Filters `json:"filters"`
	}
	v36Filters struct {
		From       string                                `json:"from"`
		To         string                                `json:"to"`
		Groups     *v36Values[int]                       `json:"groups,omitempty"`
		Agents     *v36Values[string]                    `json:"agents,omitempty"`
		Tags       *v36Values[string]                    `json:"tags,omitempty"`
		Properties map[string]map[string]v36Values[bool] `json:"properties,omitempty"`
	}
	v36Values[T any] struct {
		Values []T `json:"values"`
	}
)

// v36Stamp is how filters.from and filters.to are written: RFC 3339 with
// the offset of that instant in the job's zone ("Z" in UTC, which the
// official guide sends too).
const v36Stamp = time.RFC3339

// buildV36 returns the POST request for method m and query q: from is the
// first day's 00:00:00 and to the last day's 23:59:59, each with its own
// offset in the zone (the two differ across a DST change), so the range is
// exactly the days asked for; never the next day's midnight, which may add
// a day (reference §3.2). Where a DST change moves a day's first or last
// instant (a midnight that does not exist), from and to are those instants.
func (c *Client) buildV36(m Method, q Query) (request, error) {
	bad := func(format string, args ...any) (request, error) {
		return request{}, fmt.Errorf("livechat: %s: %s", m.Name(), fmt.Sprintf(format, args...))
	}
	if q.From.IsZero() || q.To.IsZero() {
		// Without filters.from/to v3.6 answers the last seven days, which
		// is never what a digest asked for.
		return bad("a date range is required")
	}
	if q.To.Before(q.From) {
		return bad("to %s is before from %s", q.To, q.From)
	}
	loc, err := c.location(q.Timezone)
	if err != nil {
		return bad("timezone %q: unknown zone", clip(q.Timezone))
	}
	// The last second of the day: the next day's first instant less one,
	// so a day the clock falls back at its end (Santiago's 23:00 comes
	// twice) keeps its last hour, which time.Date's 23:59:59 may not.
	to := q.To.AddDays(1).In(loc).Add(-time.Second)
	switch {
	case q.Until < 0 || q.Until >= 24*time.Hour:
		return bad("until %s is not a time of day", q.Until)
	case q.Until > 0:
		// The wall-clock time on To, less a second: to is inclusive.
		sec := int(q.Until / time.Second)
		to = time.Date(q.To.Year, q.To.Month, q.To.Day, sec/3600, sec/60%60, sec%60-1, 0, loc)
		if to.Before(q.From.In(loc)) {
			return bad("until %s ends the range before it starts", q.Until)
		}
	}
	body := v36Body{Filters: v36Filters{
		From: q.From.In(loc).Format(v36Stamp),
		To:   to.Format(v36Stamp),
	}}
	if m.Timezone && q.Timezone != "" {
		body.Timezone = q.Timezone
	}
	switch m.Report {
	case ChatRanking, ChattingTime, UniqueVisitors:
		// Keyed by agent or one summary: no buckets to distribute.
		if q.GroupBy != "" && q.GroupBy != ByDay {
			return bad("group_by %q: this report has no buckets", clip(string(q.GroupBy)))
		}
	default:
		switch q.GroupBy {
		case "", ByDay:
			body.Distribution = "day"
		default:
			// Only day keys are documented ("YYYY-MM-DD"); the others are
			// among the points to verify live (reference §11.1).
			return bad("group_by %q: only day buckets are supported on v3.6", clip(string(q.GroupBy)))
		}
	}
	if m.Filters&FilterGroup != 0 && q.Group != "" {
		id, err := strconv.Atoi(q.Group)
		if err != nil || id < 0 {
			return bad("group %q: want a group id", clip(q.Group))
		}
		body.Filters.Groups = &v36Values[int]{Values: []int{id}}
	}
	if m.Filters&FilterAgent != 0 && q.Agent != "" {
		body.Filters.Agents = &v36Values[string]{Values: []string{q.Agent}}
	}
	if m.Filters&FilterTags != 0 {
		var tags []string
		for _, t := range q.Tags {
			if t != "" {
				tags = append(tags, t)
			}
		}
		if len(tags) > 0 {
			// values without require_every_value: chats with any of the
			// tags, as v2's repeated tag[] does.
			body.Filters.Tags = &v36Values[string]{Values: tags}
		}
	}
	if m.Report == NotReplied {
		// routing.unreplied: no agent or bot replied (reference §3.3, §8 +1).
		body.Filters.Properties = map[string]map[string]v36Values[bool]{
			"routing": {"unreplied": {Values: []bool{true}}},
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return request{}, fmt.Errorf("livechat: %s: %w", m.Name(), err)
	}
	u := *c.base
	u.Path += "v3.6/reports/" + m.Endpoint
	return request{name: m.Name(), method: http.MethodPost, url: u.String(), body: b}, nil
}

// location loads a zone once per client; "" is UTC.
func (c *Client) location(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if l, ok := c.zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "Local" {
		return nil, errors.New("the local zone is not a zone name")
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	c.zones.Store(name, l)
	return l, nil
}
