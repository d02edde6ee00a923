package livechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"
)

// maxCount bounds counts: beyond 2^53 a float64 wire value is no longer an
// exact integer, and no account has that many chats.
const maxCount = 1 << 53

// decode reads body as the answer of the report info describes, for query q,
// and returns the typed value Fetch promises.
func decode(info ReportInfo, q Query, body []byte) (any, error) {
	switch info.Report {
	case TotalChats:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) ChatCount {
			return ChatCount{Chats: o.count("chats")}
		})
	case Engagement:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) EngagementCount {
			return EngagementCount{
				AutoInvite:     o.count("chats_from_auto_invite"),
				ManualInvite:   o.count("chats_from_manual_invite"),
				ImmediateStart: o.count("chats_from_immediate_start"),
			}
		})
	case ChatRatings:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) ChatRatingCount {
			return ChatRatingCount{Good: o.count("good"), Bad: o.count("bad"), Chats: o.count("chats")}
		})
	case QueuedVisitors:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) QueueCount {
			return QueueCount{
				Queued:      o.count("queued", "count"),
				LeftQueue:   o.count("left_queue", "count"),
				EnteredChat: o.count("entered_chat", "count"),
			}
		})
	case QueueWaitingTimes:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) WaitTimes {
			return WaitTimes{Queued: o.wait("queued"), LeftQueue: o.wait("left_queue"), EnteredChat: o.wait("entered_chat")}
		})
	case Availability, ChattingTime:
		return decodeSeries(info, q, body, decodeDuration)
	case ChatsFirstResponseTime:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) ResponseTime {
			return ResponseTime{Count: o.count("first_response_time", "count"), Seconds: o.number("first_response_time", "seconds")}
		})
	case ChatsResponseTime:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) ResponseTime {
			return ResponseTime{Count: o.count("avg_response_time", "count"), Seconds: o.number("avg_response_time", "seconds")}
		})
	case Goals:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) GoalCount {
			return GoalCount{Goals: o.count("goals")}
		})
	case Greetings:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) GreetingCount {
			return GreetingCount{Displayed: o.count("displayed"), Accepted: o.count("accepted"), Goals: o.count("goals")}
		})
	case TicketsNew:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) TicketCount {
			return TicketCount{Tickets: o.count("new_tickets")}
		})
	case TicketsSolved:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) TicketCount {
			return TicketCount{Tickets: o.count("solved_tickets")}
		})
	case TicketsFirstResponseTime, TicketsResolutionTime:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) TicketTime {
			return TicketTime{Count: o.count("count"), Hours: o.number("hours")}
		})
	case TicketSources:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) TicketSourceCount {
			return TicketSourceCount{
				ChatWindow: o.count("tickets_from_chat_window"),
				Mail:       o.count("tickets_from_mail"),
				Chat:       o.count("tickets_from_chat"),
			}
		})
	case TicketRatings:
		return decodeSeries(info, q, body, func(o *obj, _ keyKind) TicketRatingCount {
			return TicketRatingCount{Good: o.count("good"), Bad: o.count("bad")}
		})
	case ChatRanking, TicketRanking:
		return decodeRanking(info, body)
	case AgentsOccupancy:
		return decodeOccupancy(info, body)
	}
	return nil, fmt.Errorf("livechat: unknown report %q", info.Report)
}

// decodeDuration reads availability and chatting_time buckets. For a single
// day the API counts minutes in each hour (under "minutes" or, confusingly,
// "hours"); everything else is hours. Both end up as hours.
func decodeDuration(o *obj, k keyKind) Duration {
	if k == keyHour {
		name := "minutes"
		if !o.has(name) {
			name = "hours"
		}
		return Duration{Hours: o.amount(name) / 60}
	}
	if !o.has("hours") && o.has("minutes") {
		return Duration{Hours: o.amount("minutes") / 60}
	}
	return Duration{Hours: o.amount("hours")}
}

// keyKind is the kind of a bucket key.
type keyKind int

const (
	keyHour  keyKind = iota + 1 // "HH:MM"
	keyDay                      // "YYYY-MM-DD"
	keyMonth                    // "YYYY-MM"
)

func (k keyKind) granularity() Granularity {
	switch k {
	case keyHour:
		return ByHour
	case keyMonth:
		return ByMonth
	}
	return ByDay
}

// member is one key of a top-level answer object with its raw value.
type member struct {
	key    string
	offset int64 // where the value starts in the body
	raw    json.RawMessage
}

// members reads the top-level object of body, keeping key order and the
// offset of each value, and rejects duplicate keys (encoding/json would keep
// the last silently) and trailing data.
func members(endpoint string, body []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	derr := func(off int64, format string, args ...any) error {
		return &DecodeError{Endpoint: endpoint, Offset: off, Excerpt: excerpt(body, off), Reason: fmt.Sprintf(format, args...)}
	}
	syntax := func(err error) error {
		off := dec.InputOffset()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return derr(off, "truncated JSON")
		}
		return derr(off, "malformed JSON: %v", err)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, derr(0, "want a JSON object")
	}
	var out []member
	seen := make(map[string]bool)
	for dec.More() {
		koff := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, derr(koff, "want an object key")
		}
		if seen[key] {
			return nil, derr(koff, "duplicate key %q", clip(key))
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntax(err)
		}
		// InputOffset is now past the value; its start is len(raw) before,
		// give or take whitespace, which is near enough for an excerpt.
		out = append(out, member{key: key, offset: dec.InputOffset() - int64(len(raw)), raw: raw})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, syntax(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, derr(dec.InputOffset(), "data after the JSON object")
	}
	return out, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 32 {
		return printable([]byte(s[:32])) + "…"
	}
	return printable([]byte(s))
}

// decodeSeries reads a bucketed answer. value reads one bucket; it records
// the first problem in o rather than returning it, so field readers stay
// one-liners.
func decodeSeries[T any](info ReportInfo, q Query, body []byte, value func(o *obj, k keyKind) T) (Series[T], error) {
	ms, err := members(info.Endpoint, body)
	if err != nil {
		return Series[T]{}, err
	}
	s := Series[T]{Endpoint: info.Endpoint, Buckets: make([]Bucket[T], 0, len(ms))}
	var kind keyKind
	for _, m := range ms {
		derr := func(format string, args ...any) error {
			return &DecodeError{Endpoint: info.Endpoint, Offset: m.offset, Excerpt: excerpt(body, m.offset), Reason: fmt.Sprintf(format, args...)}
		}
		k, b, err := parseKey(m.key, q)
		if err != nil {
			return Series[T]{}, derr("bucket %q: %v", clip(m.key), err)
		}
		if kind != 0 && k != kind {
			return Series[T]{}, derr("bucket %q: keys of different kinds in one answer", clip(m.key))
		}
		kind = k
		o, err := newObj(m.raw)
		if err != nil {
			return Series[T]{}, derr("bucket %q: %v", clip(m.key), err)
		}
		if k == keyMonth {
			b.Start, b.End = o.monthRange(b.Start, q)
		}
		v := value(o, k)
		if o.err != nil {
			return Series[T]{}, derr("bucket %q: %v", clip(m.key), o.err)
		}
		s.Buckets = append(s.Buckets, Bucket[T]{Key: m.key, Start: b.Start, End: b.End, Hour: b.Hour, Value: v})
	}
	switch {
	case kind != 0:
		s.Granularity = kind.granularity()
	case q.GroupBy != "":
		s.Granularity = q.GroupBy
	case !q.From.IsZero() && q.From == q.To:
		s.Granularity = ByHour
	default:
		s.Granularity = ByDay
	}
	slices.SortStableFunc(s.Buckets, func(a, b Bucket[T]) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.Hour - b.Hour
	})
	return s, nil
}

// keyBucket is what a key says about its bucket.
type keyBucket struct {
	Start, End Date
	Hour       int
}

// parseKey reads a bucket key. Hour buckets belong to the queried day; month
// buckets get their range from the month, refined later by begin/end.
func parseKey(key string, q Query) (keyKind, keyBucket, error) {
	switch len(key) {
	case len("15:04"):
		t, err := time.Parse("15:04", key)
		if err != nil || t.Minute() != 0 {
			return 0, keyBucket{}, errors.New(`want "HH:00"`)
		}
		return keyHour, keyBucket{Start: q.From, End: q.From, Hour: t.Hour()}, nil
	case len(time.DateOnly):
		d, err := ParseDate(key)
		if err != nil {
			return 0, keyBucket{}, errors.New("want YYYY-MM-DD")
		}
		return keyDay, keyBucket{Start: d, End: d, Hour: -1}, nil
	case len("2006-01"):
		t, err := time.Parse("2006-01", key)
		if err != nil {
			return 0, keyBucket{}, errors.New("want YYYY-MM")
		}
		first := DateOf(t)
		last := DateOf(t.AddDate(0, 1, -1))
		return keyMonth, keyBucket{Start: first, End: last, Hour: -1}, nil
	}
	return 0, keyBucket{}, errors.New(`want "HH:MM", "YYYY-MM-DD" or "YYYY-MM"`)
}

// obj reads the fields of one bucket or ranking line. The first problem is
// kept in err; later reads return zero values.
type obj struct {
	fields map[string]json.RawMessage
	err    error
}

func newObj(raw json.RawMessage) (*obj, error) {
	if !isObject(raw) {
		return nil, errors.New("want an object")
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("want an object: %v", err)
	}
	return &obj{fields: f}, nil
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

func (o *obj) fail(format string, args ...any) {
	if o.err == nil {
		o.err = fmt.Errorf(format, args...)
	}
}

func (o *obj) has(name string) bool {
	_, ok := o.fields[name]
	return ok
}

// lookup follows path through nested objects. A missing field is an error:
// a field the API always sends but we cannot find means we misread the shape.
func (o *obj) lookup(path ...string) (json.RawMessage, bool) {
	if o.err != nil {
		return nil, false
	}
	fields := o.fields
	for i, name := range path {
		raw, ok := fields[name]
		if !ok {
			o.fail("%s: missing", dotted(path[:i+1]))
			return nil, false
		}
		if i == len(path)-1 {
			return raw, true
		}
		if !isObject(raw) {
			o.fail("%s: want an object", dotted(path[:i+1]))
			return nil, false
		}
		fields = nil
		if err := json.Unmarshal(raw, &fields); err != nil {
			o.fail("%s: %v", dotted(path[:i+1]), err)
			return nil, false
		}
	}
	return nil, false
}

func dotted(path []string) string {
	var b bytes.Buffer
	for i, p := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return strconv.Quote(b.String())
}

// number reads a non-negative finite number; null gives nil.
func (o *obj) number(path ...string) *float64 {
	raw, ok := o.lookup(path...)
	if !ok {
		return nil
	}
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil
	}
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		o.fail("%s: want a number, got %s", dotted(path), clip(string(raw)))
		return nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		o.fail("%s: number %s out of range", dotted(path), clip(string(raw)))
		return nil
	}
	if f < 0 {
		o.fail("%s: negative number %s", dotted(path), clip(string(raw)))
		return nil
	}
	return &f
}

// amount reads a number where null means none at all.
func (o *obj) amount(path ...string) float64 {
	if f := o.number(path...); f != nil {
		return *f
	}
	return 0
}

// count reads a whole number, sent as 18 or 18.0; null counts as 0.
func (o *obj) count(path ...string) int64 {
	f := o.number(path...)
	if f == nil {
		return 0
	}
	if *f != math.Trunc(*f) || *f > maxCount {
		o.fail("%s: want a whole number, got %v", dotted(path), *f)
		return 0
	}
	return int64(*f)
}

// wait reads one line of queued_visitors/waiting_times.
func (o *obj) wait(name string) WaitStat {
	return WaitStat{
		Count:      o.count(name, "count"),
		MinSeconds: o.number(name, "min", "seconds"),
		MaxSeconds: o.number(name, "max", "seconds"),
		Avg:        o.number(name, "average", "seconds"),
	}
}

// text reads an optional string field.
func (o *obj) text(name string) (string, bool) {
	raw, ok := o.fields[name]
	if !ok || o.err != nil {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		o.fail("%s: want a string", dotted([]string{name}))
		return "", false
	}
	return s, true
}

// monthRange reads a month bucket's begin and end, which must lie in the
// month that starts at first. Without them the month is clipped to the query.
func (o *obj) monthRange(first Date, q Query) (Date, Date) {
	last := first.AddDays(40)
	last = Date{Year: last.Year, Month: last.Month, Day: 1}.AddDays(-1)
	begin, end := first, last
	if !q.From.IsZero() && q.From.After(begin) && !q.From.After(end) {
		begin = q.From
	}
	if !q.To.IsZero() && q.To.Before(end) && !q.To.Before(begin) {
		end = q.To
	}
	for _, f := range []struct {
		name string
		d    *Date
	}{{"begin", &begin}, {"end", &end}} {
		s, ok := o.text(f.name)
		if !ok {
			continue
		}
		d, err := ParseDate(s)
		if err != nil {
			o.fail("%q: want YYYY-MM-DD", f.name)
			continue
		}
		if d.Before(first) || d.After(last) {
			o.fail("%q: %s is outside the month", f.name, d)
			continue
		}
		*f.d = d
	}
	if end.Before(begin) {
		o.fail(`"end" is before "begin"`)
	}
	return begin, end
}

// decodeRanking reads {"ranking": [{good, bad, total, score, name}, ...]}.
func decodeRanking(info ReportInfo, body []byte) (Ranking, error) {
	ms, err := members(info.Endpoint, body)
	if err != nil {
		return Ranking{}, err
	}
	r := Ranking{Endpoint: info.Endpoint, Entries: []RankEntry{}}
	found := false
	for _, m := range ms {
		if m.key != "ranking" {
			continue
		}
		found = true
		derr := func(off int64, format string, args ...any) error {
			return &DecodeError{Endpoint: info.Endpoint, Offset: off, Excerpt: excerpt(body, off), Reason: fmt.Sprintf(format, args...)}
		}
		raw := bytes.TrimSpace(m.raw)
		if string(raw) == "null" {
			continue
		}
		if len(raw) == 0 || raw[0] != '[' {
			return Ranking{}, derr(m.offset, `"ranking": want an array`)
		}
		var lines []json.RawMessage
		if err := json.Unmarshal(raw, &lines); err != nil {
			return Ranking{}, derr(m.offset, `"ranking": %v`, err)
		}
		for i, line := range lines {
			o, err := newObj(line)
			if err != nil {
				return Ranking{}, derr(m.offset, `"ranking"[%d]: %v`, i, err)
			}
			e := RankEntry{Good: o.count("good"), Bad: o.count("bad"), Total: o.count("total"), Score: o.amount("score")}
			name, ok := o.text("name")
			if o.err == nil && (!ok || name == "") {
				o.fail(`"name": missing`)
			}
			if o.err != nil {
				return Ranking{}, derr(m.offset, `"ranking"[%d]: %v`, i, o.err)
			}
			e.Agent = name
			r.Entries = append(r.Entries, e)
		}
	}
	if !found {
		return Ranking{}, &DecodeError{Endpoint: info.Endpoint, Excerpt: excerpt(body, 0), Reason: `"ranking": missing`}
	}
	return r, nil
}

// decodeOccupancy reads {"YYYY-MM-DD HH:MM": n, ...}.
func decodeOccupancy(info ReportInfo, body []byte) (Occupancy, error) {
	ms, err := members(info.Endpoint, body)
	if err != nil {
		return Occupancy{}, err
	}
	occ := Occupancy{Endpoint: info.Endpoint, Points: make([]OccupancyPoint, 0, len(ms))}
	for _, m := range ms {
		derr := func(format string, args ...any) error {
			return &DecodeError{Endpoint: info.Endpoint, Offset: m.offset, Excerpt: excerpt(body, m.offset), Reason: fmt.Sprintf(format, args...)}
		}
		t, err := time.Parse("2006-01-02 15:04", m.key)
		if err != nil || t.Minute() != 0 || len(m.key) != len("2006-01-02 15:04") {
			return Occupancy{}, derr(`key %q: want "YYYY-MM-DD HH:00"`, clip(m.key))
		}
		o := &obj{fields: map[string]json.RawMessage{"value": m.raw}}
		n := o.count("value")
		if o.err != nil {
			return Occupancy{}, derr("key %q: %v", clip(m.key), o.err)
		}
		occ.Points = append(occ.Points, OccupancyPoint{Day: DateOf(t), Hour: t.Hour(), Max: n})
	}
	slices.SortStableFunc(occ.Points, func(a, b OccupancyPoint) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return a.Hour - b.Hour
	})
	return occ, nil
}
