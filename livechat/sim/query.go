package sim

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// param is a query argument an endpoint accepts; the others are ignored,
// as the real API ignores them.
type param uint16

const (
	pDates param = 1 << iota
	pTimezone
	pGroup
	pAgent
	pTag
	pGroupBy
	pWeekday

	pFull = pDates | pTimezone | pGroup | pAgent | pTag | pGroupBy
)

// shape is how an endpoint lays out its answer.
type shape uint8

const (
	shapeBuckets shape = iota
	shapeMinutes       // buckets; a single day in minutes per hour
	shapeChatRanking
	shapeTicketRanking
	shapeOccupancy
)

// endpoint describes one report path below /reports/.
type endpoint struct {
	accepts param
	shape   shape
	fam     family
	// value renders one bucket's fields.
	value func(st *stats, minutes bool) any
}

// Bounds of the arguments.
const (
	maxDays         = 731 // about two years
	defaultBackDays = 30  // date_from when not given: the real API means "beginning of time"
	occupancyWeeks  = 4   // weekdays answered by agents_occupancy without dates
)

// granularity is the size of a bucket (group_by).
type granularity uint8

const (
	byHour granularity = iota
	byDay
	byMonth
)

// query is a validated request.
type query struct {
	from, to int64 // day numbers (days since 1970-01-01), inclusive
	loc      *time.Location
	gran     granularity
	cells    uint64 // selected cells
	agents   uint8  // selected agents, for availability
	weekday  time.Weekday
	defDates bool // neither date_from nor date_to was given
}

// errArg marks an argument the client got wrong (400).
var errArg = errors.New("bad argument")

func argErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errArg}, a...)...)
}

// parseQuery validates the arguments ep accepts, ignoring the others.
func (s *Server) parseQuery(ep *endpoint, v url.Values, now time.Time) (query, error) {
	q := query{loc: time.UTC, cells: 1<<nCells - 1, agents: 1<<nAgents - 1, gran: byDay}
	if ep.accepts&pTimezone != 0 {
		if tz := v.Get("timezone"); tz != "" {
			loc, err := s.location(tz)
			if err != nil {
				return q, argErr("timezone: unknown zone %q", clip(tz))
			}
			q.loc = loc
		}
	}
	today := dayOf(now.In(q.loc))
	fromS, toS := v.Get("date_from"), v.Get("date_to")
	q.defDates = fromS == "" && toS == ""
	q.to = today
	if toS != "" {
		d, err := parseDay(toS)
		if err != nil {
			return q, argErr("date_to: want YYYY-MM-DD, got %q", clip(toS))
		}
		q.to = d
	}
	q.from = q.to - defaultBackDays
	if fromS != "" {
		d, err := parseDay(fromS)
		if err != nil {
			return q, argErr("date_from: want YYYY-MM-DD, got %q", clip(fromS))
		}
		q.from = d
	}
	if q.from > q.to {
		return q, argErr("date_from %s is after date_to %s", dayString(q.from), dayString(q.to))
	}
	if q.to-q.from+1 > maxDays {
		return q, argErr("date range longer than %d days", maxDays)
	}
	if q.from == q.to {
		q.gran = byHour
	}
	if ep.accepts&pGroupBy != 0 {
		switch g := v.Get("group_by"); g {
		case "":
		case "hour":
			if q.from != q.to {
				return q, argErr("group_by=hour needs date_from equal to date_to")
			}
			q.gran = byHour
		case "day":
			q.gran = byDay
		case "month":
			q.gran = byMonth
		default:
			return q, argErr("group_by: want hour, day or month, got %q", clip(g))
		}
	}
	if ep.accepts&pGroup != 0 {
		if g := v.Get("group"); g != "" {
			id, err := strconv.Atoi(g)
			if err != nil {
				return q, argErr("group: want a group id, got %q", clip(g))
			}
			q.cells &= groupCells(id)
			q.agents &= groupAgents(id)
		}
	}
	if ep.accepts&pAgent != 0 {
		if a := v.Get("agent"); a != "" {
			q.cells &= agentCells(a)
			q.agents &= agentMask(a)
		}
	}
	if ep.accepts&pTag != 0 {
		if tags, ok := v["tag[]"]; ok && len(tags) > 0 {
			q.cells &= tagCells(tags)
		}
	}
	if ep.accepts&pWeekday != 0 {
		wd := v.Get("weekday")
		i := indexOf(weekdayAbbrevs[:], wd)
		if i < 0 {
			return q, argErr("weekday: want mon, tue, wed, thu, fri, sat or sun, got %q", clip(wd))
		}
		q.weekday = time.Weekday(i)
	}
	return q, nil
}

func groupCells(id int) uint64 {
	var m uint64
	for c := range nCells {
		if memberships[c/nTags].group == id {
			m |= 1 << c
		}
	}
	return m
}

func groupAgents(id int) uint8 {
	var m uint8
	for _, ms := range memberships {
		if ms.group == id {
			m |= 1 << ms.agent
		}
	}
	return m
}

func agentMask(login string) uint8 {
	if i := indexOf(agentLogins[:], login); i >= 0 {
		return 1 << i
	}
	return 0
}

func agentCells(login string) uint64 {
	a := indexOf(agentLogins[:], login)
	var m uint64
	for c := range nCells {
		if memberships[c/nTags].agent == a {
			m |= 1 << c
		}
	}
	return m
}

// tagCells selects the cells of any of the tags; unknown tags select none.
func tagCells(tags []string) uint64 {
	var m uint64
	for _, t := range tags {
		i := indexOf(tagNames[:], t)
		if i < 0 {
			continue
		}
		for c := i; c < nCells; c += nTags {
			m |= 1 << c
		}
	}
	return m
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// location loads a zone once and keeps it: LoadLocation reads the zone
// database on every call.
func (s *Server) location(name string) (*time.Location, error) {
	if name == "Local" || strings.ContainsAny(name, "\x00\\") {
		return nil, errArg
	}
	if l, ok := s.zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	s.zones.Store(name, l)
	return l, nil
}

// clip shortens client input quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Day numbers count days since 1970-01-01, so ranges are plain integers.

func parseDay(s string) (int64, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, err
	}
	return floorDiv(t.Unix(), 86400), nil
}

func dayOf(t time.Time) int64 {
	y, m, d := t.Date()
	return civilDay(y, m, d)
}

// civilDay is the day number of a proleptic Gregorian date (Howard
// Hinnant's days_from_civil), cheaper than going through time.Date.
func civilDay(y int, m time.Month, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := (int64(m) + 9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func dayDate(d int64) (int, time.Month, int) {
	return time.Unix(d*86400, 0).UTC().Date()
}

func dayString(d int64) string {
	return time.Unix(d*86400, 0).UTC().Format(time.DateOnly)
}

// dayStart is the first instant of day d in loc: its midnight, or where a
// DST change skips midnight, the instant the clock jumps to, and where it
// repeats midnight, the first. time.Date alone may put a skipped midnight
// at 23:00 the day before (America/Santiago, Atlantic/Azores) and pick the
// second of two.
func dayStart(d int64, loc *time.Location) time.Time {
	y, m, dd := dayDate(d)
	t := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	if dayOf(t) < d {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end
		}
	}
	if start, _ := t.ZoneBounds(); !start.IsZero() {
		if before := start.Add(-time.Nanosecond); dayOf(before) == d {
			_, off := before.Zone()
			if first := time.Date(y, m, dd, 0, 0, 0, 0, time.FixedZone("", off)).In(loc); dayOf(first) == d && first.Before(t) {
				t = first
			}
		}
	}
	return t
}
