package sim

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// v36Prefix is where the Reports API v3.6 is served.
const v36Prefix = "/v3.6/reports/"

// v36Kind is the answer shape of a v3.6 method.
type v36Kind uint8

const (
	v36Days     v36Kind = iota // records by day
	v36Ranking                 // records by agent: total, good, bad, score
	v36Perf                    // records by agent: performance, plus a summary
	v36Visitors                // a summary only
)

// v36Method describes one v3.6 method below /v3.6/reports/.
type v36Method struct {
	kind v36Kind
	fam  family
	// filters the method takes (reference §3.3, §3.4): pGroup, pAgent,
	// pTag; a request with another is a validation error.
	filters param
	// agents marks the Agents reports: distribution is hour or day only.
	agents bool
	// day renders one day's record, leaving zero fields out; nil for
	// methods not keyed by day.
	day func(st *stats) []field
	// total is the envelope's total, deliberately not the sum of the
	// records where the reference warns it is not (§5.1); nil for none.
	total func(sum *stats) any
}

const v36ChatFilters = pGroup | pAgent | pTag

// v36Methods maps the path below /v3.6/reports/ to its method. Read-only.
var v36Methods = map[string]*v36Method{
	"chats/total_chats": {fam: famChat, filters: v36ChatFilters,
		day:   func(st *stats) []field { return fields("total", st.chats, "continuous", st.continuous) },
		total: func(s *stats) any { return s.chats }},
	"chats/engagement": {fam: famChat, filters: v36ChatFilters,
		day: func(st *stats) []field {
			return fields("started_by_customer_from_greeting", st.auto, "started_by_customer_without_greeting", st.immediate, "started_by_agent", st.manual)
		},
		// Not the sum of the three (the reference's sample is not either).
		total: func(s *stats) any { return s.chats + s.rated }},
	"chats/ratings": {fam: famChat, filters: v36ChatFilters,
		day:   func(st *stats) []field { return fields("bad", st.bad, "chats", st.chats, "good", st.good) },
		total: func(s *stats) any { return s.chats }},
	"chats/ranking": {kind: v36Ranking, fam: famChat, filters: v36ChatFilters},
	"chats/queued_visitors": {fam: famChat, filters: v36ChatFilters,
		day: func(st *stats) []field {
			// queued = waited, then chatted (v2's entered_chat).
			return fields("left_queue", waitFields(st.left), "queued", waitFields(st.entered))
		},
		total: func(s *stats) any { return s.entered.count }},
	"agents/availability": {fam: famAvail, filters: pGroup | pAgent, agents: true,
		day:   func(st *stats) []field { return fields("hours", float64(st.availMinutes)/60) },
		total: func(s *stats) any { return float64(s.availMinutes) / 60 }},
	"agents/performance": {kind: v36Perf, fam: famChat | famAvail, filters: pGroup | pAgent, agents: true},
	"chats/first_response_time": {fam: famChat, filters: v36ChatFilters,
		day: func(st *stats) []field {
			return fields("count", st.frtCount, "first_response_time", avgOrZero(st.frtSum, st.frtCount))
		},
		// Counts chats nobody replied to as well: not Σcount.
		total: func(s *stats) any { return s.frtCount + s.unreplied }},
	"chats/response_time": {fam: famChat, filters: v36ChatFilters,
		day: func(st *stats) []field {
			return fields("count", st.rtCount, "response_time", avgOrZero(st.rtSum, st.rtCount))
		},
		// Chats, where count is responses: not Σcount.
		total: func(s *stats) any { return s.chats }},
	"chats/duration": {fam: famChat, filters: v36ChatFilters,
		day: func(st *stats) []field {
			return fields("agents_chatting_duration", avgOrZero(st.agentDurSum, st.chats), "count", st.chats, "duration", avgOrZero(st.durSum, st.chats))
		},
		total: func(s *stats) any { return s.chats }},
	"chats/greetings_conversion": {fam: famChat, filters: v36ChatFilters,
		day: func(st *stats) []field {
			var fs []field
			for i, g := range st.greet {
				if f := fields("accepted", g.accepted, "canceled", g.canceled, "displayed", g.displayed, "goals", g.goals); len(f) > 0 {
					fs = append(fs, field{greetingIDs[i], f})
				}
			}
			return fs
		},
		total: func(s *stats) any { return s.accepted }},
	// filters.from/to only (reference §3.4).
	"customers/unique_visitors": {kind: v36Visitors, fam: famChat},
}

// field is one member of a JSON object, in order.
type field struct {
	name  string
	value any // int64, float64, string, []field (an object)
}

// fields builds the members of a record from name, value pairs, leaving
// out zeros and empty objects, as v3.6 does (reference §4).
func fields(kv ...any) []field {
	var out []field
	for i := 0; i+1 < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case int64:
			if v == 0 {
				continue
			}
		case float64:
			if v == 0 {
				continue
			}
		case []field:
			if len(v) == 0 {
				continue
			}
		}
		out = append(out, field{kv[i].(string), kv[i+1]})
	}
	return out
}

func waitFields(w wait) []field {
	if w.count == 0 {
		return nil
	}
	return fields("count", w.count, "min", float64(w.min), "max", float64(w.max), "avg", float64(w.sum)/float64(w.count))
}

// avgOrZero is sum/count unrounded, or 0 (left out) over nothing.
func avgOrZero(sum, count int64) float64 {
	if count == 0 {
		return 0
	}
	return float64(sum) / float64(count)
}

// writeObject writes fs as a JSON object.
func writeObject(b *bytes.Buffer, fs []field) {
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(f.name))
		b.WriteByte(':')
		writeValue(b, f.value)
	}
	b.WriteByte('}')
}

func writeValue(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case []field:
		writeObject(b, v)
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case string:
		b.WriteString(strconv.Quote(v))
	}
}

// v36Request is the JSON body the simulator understands: what the
// reference documents for these methods, and nothing else.
type v36Request struct {
	Distribution string      `json:"distribution"`
	Timezone     string      `json:"timezone"`
	Filters      *v36Filters `json:"filters"`
}

type v36Filters struct {
	From       string                               `json:"from"`
	To         string                               `json:"to"`
	Groups     *valuesOf[int]                       `json:"groups"`
	Agents     *valuesOf[string]                    `json:"agents"`
	Tags       *valuesOf[string]                    `json:"tags"`
	Properties map[string]map[string]valuesOf[bool] `json:"properties"`
}

type valuesOf[T any] struct {
	Values []T `json:"values"`
}

// v36Query is a validated v3.6 request.
type v36Query struct {
	from, to  int64 // instants, Unix seconds, inclusive
	loc       *time.Location
	cells     uint64
	agents    uint8
	unreplied bool // properties.routing.unreplied.values [true]
}

// maxV36Body bounds a request body; a real one is a few hundred bytes.
const maxV36Body = 64 << 10

// serveV36 answers a request below /v3.6/reports/: latency, auth, path,
// method, faults, body, then the report, with v3.6 error bodies.
func (s *Server) serveV36(w http.ResponseWriter, r *http.Request, name string) {
	m := v36Methods[name]
	if m != nil {
		s.counts["v3.6/"+name].Add(1)
	}
	ctx := r.Context()
	if !sleep(ctx, s.opts.Latency) {
		return
	}
	if !s.authV36(r) {
		writeErrorV36(w, http.StatusUnauthorized, "authentication", "Invalid access token")
		return
	}
	if m == nil {
		writeErrorV36(w, http.StatusNotFound, "not_found", "no such report")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeErrorV36(w, http.StatusMethodNotAllowed, "validation", "the simulator takes POST with a JSON body")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxV36Body+1))
	if err != nil {
		return
	}
	if len(body) > maxV36Body {
		writeErrorV36(w, http.StatusRequestEntityTooLarge, "validation", "request body too large")
		return
	}
	malformed := false
	if f := s.fault("v3.6/"+name, r.URL.Path+"\n"+string(body)); f != nil {
		switch f.Kind {
		case Fault5xx:
			writeErrorV36(w, http.StatusServiceUnavailable, "service_unavailable", "Service unavailable (simulated)")
			return
		case Fault429:
			if ra := f.retryAfterSeconds(); ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			writeErrorV36(w, http.StatusTooManyRequests, "too_many_requests", "Too many requests (simulated)")
			return
		case FaultTimeout:
			if !sleep(ctx, cmp.Or(f.Delay, defaultTimeoutDelay)) {
				return
			}
		case FaultMalformed:
			malformed = true
		}
	}
	now := s.opts.Now()
	q, err := s.parseV36(m, name, body, now)
	if err != nil {
		writeErrorV36(w, http.StatusBadRequest, "validation", err.Error())
		return
	}
	out := s.answerV36(m, name, &q)
	if malformed {
		out = out[:len(out)/2]
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// authV36 accepts a personal access token as basic auth with the account
// ID (Login and APIKey), or Options.BearerToken as Bearer. A personal access
// token sent as Bearer is refused, as LiveChat refuses it.
func (s *Server) authV36(r *http.Request) bool {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return s.opts.BearerToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.BearerToken)) == 1
	}
	login, key, ok := r.BasicAuth()
	return ok && equal(login, s.opts.Login) && equal(key, s.opts.APIKey)
}

func writeErrorV36(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(map[string]map[string]string{"error": {"type": typ, "message": msg}})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// parseV36 validates a request body for method m. Without a filters object
// the range is the last seven days, as the reference says v3.6 answers;
// with one, filters.from and filters.to are required (the server's own
// words, reference §3.2).
func (s *Server) parseV36(m *v36Method, name string, body []byte, now time.Time) (v36Query, error) {
	q := v36Query{loc: time.UTC, cells: 1<<nCells - 1, agents: 1<<nAgents - 1}
	var req v36Request
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if len(bytes.TrimSpace(body)) > 0 {
		if err := dec.Decode(&req); err != nil {
			return q, fmt.Errorf("request body: %s", clip(err.Error()))
		}
		if dec.More() {
			return q, errors.New("request body: data after the JSON object")
		}
	}
	if req.Timezone != "" {
		if m.kind == v36Visitors {
			return q, errors.New("timezone: customers/unique_visitors takes filters.from/to only")
		}
		loc, err := s.location(req.Timezone)
		if err != nil {
			return q, fmt.Errorf("timezone: unknown zone %q", clip(req.Timezone))
		}
		q.loc = loc
	}
	switch req.Distribution {
	case "", "day":
	case "hour", "day-hours", "month", "year":
		if m.agents && req.Distribution != "hour" {
			return q, fmt.Errorf("distribution: agents reports take hour or day, got %q", req.Distribution)
		}
		return q, fmt.Errorf("distribution %q is not simulated: only day", req.Distribution)
	default:
		return q, fmt.Errorf("distribution: unknown %q", clip(req.Distribution))
	}
	if req.Distribution != "" && m.kind == v36Visitors {
		return q, errors.New("distribution: customers/unique_visitors takes filters.from/to only")
	}
	f := req.Filters
	if f == nil {
		today := dayOf(now.In(q.loc))
		q.from = dayStart(today-6, q.loc).Unix()
		q.to = dayStart(today+1, q.loc).Unix() - 1
		return q, nil
	}
	if f.From == "" || f.To == "" {
		return q, errors.New("`filters` must contain `filters.from/to` or `filters.greetings.from/to` or `filters.surveys.from/to`")
	}
	from, err1 := time.Parse(time.RFC3339Nano, f.From)
	to, err2 := time.Parse(time.RFC3339Nano, f.To)
	if err1 != nil || err2 != nil {
		return q, errors.New("RFC3339 date format required for filters.from and filters.to")
	}
	if req.Timezone == "" {
		// The reference's last fallback: the offset of filters.from.
		_, off := from.Zone()
		q.loc = time.FixedZone("", off)
	}
	if to.Before(from) {
		return q, errors.New("filters.to is before filters.from")
	}
	q.from, q.to = from.Unix(), to.Unix()
	if dayOf(to.In(q.loc))-dayOf(from.In(q.loc))+1 > maxDays {
		return q, fmt.Errorf("date range longer than %d days", maxDays)
	}
	need := param(0)
	if f.Groups != nil {
		need |= pGroup
		q.narrow(union(f.Groups.Values, groupCells, groupAgents))
	}
	if f.Agents != nil {
		need |= pAgent
		q.narrow(union(f.Agents.Values, agentCells, agentMask))
	}
	if f.Tags != nil {
		need |= pTag
		q.cells &= tagCells(f.Tags.Values)
	}
	if bad := need &^ m.filters; bad != 0 {
		return q, fmt.Errorf("%s does not take filters.%s", name, filterName(bad))
	}
	for ns, props := range f.Properties {
		for prop, v := range props {
			if ns != "routing" || prop != "unreplied" || name != "chats/total_chats" || len(v.Values) != 1 || !v.Values[0] {
				return q, fmt.Errorf("filters.properties.%s.%s is not simulated (only routing.unreplied [true] on chats/total_chats)", clip(ns), clip(prop))
			}
			q.unreplied = true
		}
	}
	return q, nil
}

// union is what any of vals selects: several values of one filter are an
// "or", as the reference's values lists are.
func union[T any](vals []T, cellsOf func(T) uint64, agentsOf func(T) uint8) (uint64, uint8) {
	var cells uint64
	var agents uint8
	for _, v := range vals {
		cells |= cellsOf(v)
		agents |= agentsOf(v)
	}
	return cells, agents
}

// narrow keeps only the cells and agents also selected by one more filter.
func (q *v36Query) narrow(cells uint64, agents uint8) {
	q.cells &= cells
	q.agents &= agents
}

func filterName(p param) string {
	switch {
	case p&pTag != 0:
		return "tags"
	case p&pAgent != 0:
		return "agents"
	}
	return "groups"
}

// hours calls f for every UTC hour whose start lies in q's range, with the
// day number it falls on in q's zone.
func (q *v36Query) hours(f func(h, day int64)) {
	for h := floorDiv(q.from+3599, 3600); h*3600 <= q.to; h++ {
		f(h, dayOf(time.Unix(h*3600, 0).In(q.loc)))
	}
}

// answerV36 renders the JSON answer of method m for q.
func (s *Server) answerV36(m *v36Method, name string, q *v36Query) []byte {
	var b bytes.Buffer
	switch m.kind {
	case v36Ranking:
		writeObject(&b, []field{{"name", "ranking-report"}, {"records", s.rankingV36(q)}})
	case v36Perf:
		recs, sum := s.performanceV36(q)
		writeObject(&b, []field{{"name", "performance-report"}, {"records", recs}, {"summary", sum}})
	case v36Visitors:
		st := stats{visitors: map[uint64]bool{}}
		q.hours(func(h, _ int64) { s.m.addHour(&st, h, famChat, 1<<nCells-1, 0) })
		writeObject(&b, []field{{"name", "visitors-report"}, {"summary", []field{
			{"unique_visitors", int64(len(st.visitors))}, {"page_views", st.pageViews}}}})
	default:
		first := dayOf(time.Unix(q.from, 0).In(q.loc))
		last := dayOf(time.Unix(q.to, 0).In(q.loc))
		days := make([]stats, last-first+1)
		q.hours(func(h, day int64) {
			if i := day - first; i >= 0 && i < int64(len(days)) {
				s.m.addHour(&days[i], h, m.fam, q.cells, q.agents)
			}
		})
		var sum stats
		recs := make([]field, len(days))
		for i := range days {
			st := &days[i]
			if q.unreplied {
				// Only chats nobody replied to: their count is all
				// total_chats reports of them.
				*st = stats{chats: st.unreplied}
			}
			sum.merge(st)
			recs[i] = field{dayString(first + int64(i)), m.day(st)}
			if recs[i].value.([]field) == nil {
				recs[i].value = []field{} // an empty day is {}, never left out
			}
		}
		env := []field{{"name", strings.ReplaceAll(name[strings.LastIndexByte(name, '/')+1:], "_", "-") + "-report"}}
		if m.total != nil {
			env = append(env, field{"total", m.total(&sum)})
		}
		env = append(env, field{"records", recs})
		writeObject(&b, env)
	}
	return b.Bytes()
}

// merge adds the counts of o that totals need.
func (st *stats) merge(o *stats) {
	st.chats += o.chats
	st.rated += o.rated
	st.accepted += o.accepted
	st.frtCount += o.frtCount
	st.unreplied += o.unreplied
	st.availMinutes += o.availMinutes
	st.entered.merge(o.entered)
}

// rankingV36 is chats/ranking: per agent over the range, keyed by agent
// (an object: no order), with the simulator's score, good/total, as v2's.
func (s *Server) rankingV36(q *v36Query) []field {
	var per [nAgents]struct{ good, bad int64 }
	q.hours(func(h, _ int64) {
		info := s.m.hour(h)
		for c := range nCells {
			if q.cells&(1<<c) == 0 {
				continue
			}
			var st stats
			s.m.chatCell(&st, h, c, info)
			a := memberships[c/nTags].agent
			per[a].good += st.good
			per[a].bad += st.bad
		}
	})
	var recs []field
	for a, p := range per {
		if t := p.good + p.bad; t > 0 {
			recs = append(recs, field{agentLogins[a], fields("total", t, "good", p.good, "bad", p.bad, "score", float64(p.good)/float64(t))})
		}
	}
	// Map order is no order: the simulator sends agents by name, so a
	// client that keeps the order it got does not come out ranked.
	slices.SortFunc(recs, func(x, y field) int { return cmp.Compare(x.name, y.name) })
	return append([]field{}, recs...)
}

// performanceV36 is agents/performance: records keyed by agent for the
// whole range (chatting_time in seconds), and a summary.
func (s *Server) performanceV36(q *v36Query) ([]field, []field) {
	var per [nAgents]stats
	var avail [nAgents]int64
	q.hours(func(h, _ int64) {
		info := s.m.hour(h)
		for c := range nCells {
			if q.cells&(1<<c) != 0 {
				s.m.chatCell(&per[memberships[c/nTags].agent], h, c, info)
			}
		}
		for a := range nAgents {
			if q.agents&(1<<a) != 0 {
				avail[a] += s.m.availMinutes(h, a, info)
			}
		}
	})
	recs := []field{}
	var sum stats
	for a := range nAgents {
		if q.agents&(1<<a) == 0 {
			continue
		}
		st := &per[a]
		sum.chats += st.chats
		sum.good += st.good
		sum.bad += st.bad
		sum.frtCount += st.frtCount
		sum.frtSum += st.frtSum
		recs = append(recs, field{agentLogins[a], fields(
			"accepting_chats_time", avail[a]*60,
			"chats_count", st.chats,
			"chats_rated_bad", st.bad,
			"chats_rated_good", st.good,
			"chatting_time", st.chatMinutes*60,
			"first_response_chats_count", st.frtCount,
			"first_response_time", avgOrZero(st.frtSum, st.frtCount),
			"logged_in_time", avail[a]*60,
		)})
	}
	summary := fields("chats_count", sum.chats, "chats_rated_bad", sum.bad, "chats_rated_good", sum.good,
		"first_response_chats_count", sum.frtCount, "first_response_time", avgOrZero(sum.frtSum, sum.frtCount))
	if summary == nil {
		summary = []field{}
	}
	return recs, summary
}
