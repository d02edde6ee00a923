package digest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"livechat-digest/internal/golden"
	"livechat-digest/livechat"
)

// The hand-made upstream. The current period is 2026-11-04..06 (Wed–Fri) and
// previous_period compares it with 2026-11-01..03 (Sun–Tue). Each endpoint
// has a fixed JSON body per day; the expected digest in TestBuildFixture is
// worked out by hand from these tables.
var fixtureDays = map[string]map[string]string{
	"chats/total_chats": {
		"2026-11-01": `{"chats": 10}`, "2026-11-02": `{"chats": 20}`, "2026-11-03": `{"chats": 30}`,
		"2026-11-04": `{"chats": 25}`, "2026-11-05": `{"chats": 25}`, "2026-11-06": `{"chats": 25}`,
	},
	"chats/engagement": {
		"2026-11-01": eng(1, 2, 3), "2026-11-02": eng(0, 0, 0), "2026-11-03": eng(4, 5, 6),
		"2026-11-04": eng(2, 2, 2), "2026-11-05": eng(3, 3, 3), "2026-11-06": eng(0, 0, 0),
	},
	"chats/ratings": {
		"2026-11-01": `{"good": 3, "bad": 1, "chats": 5}`, "2026-11-02": `{"good": 3, "bad": 1, "chats": 5}`,
		"2026-11-03": `{"good": 0, "bad": 0, "chats": 10}`,
		"2026-11-04": `{"good": 9, "bad": 1, "chats": 20}`, "2026-11-05": `{"good": 1, "bad": 1, "chats": 10}`,
		"2026-11-06": `{"good": 0, "bad": 0, "chats": 5}`,
	},
	"chats/queued_visitors": {
		"2026-11-01": queue(0, 0, 0), "2026-11-02": queue(0, 0, 0), "2026-11-03": queue(0, 0, 0),
		"2026-11-04": queue(10, 1, 9), "2026-11-05": queue(2, 2, 0), "2026-11-06": queue(0, 0, 0),
	},
	"chats/queued_visitors/waiting_times": {
		"2026-11-01": waits(wait(2, "50", "80"), wait(1, "10", "10"), wait(0, "null", "null")),
		"2026-11-02": waits(wait(0, "null", "null"), wait(0, "null", "null"), wait(0, "null", "null")),
		"2026-11-03": waits(wait(0, "null", "null"), wait(0, "null", "null"), wait(0, "null", "null")),
		"2026-11-04": waits(wait(1, "100", "112"), wait(0, "null", "null"), wait(2, "30", "40")),
		"2026-11-05": waits(wait(3, "20", "50"), wait(0, "null", "null"), wait(2, "10", "15")),
		"2026-11-06": waits(wait(0, "null", "null"), wait(0, "null", "null"), wait(0, "null", "null")),
	},
	"availability": {
		"2026-11-01": `{"hours": 8}`, "2026-11-02": `{"hours": 8}`, "2026-11-03": `{"hours": 8}`,
		"2026-11-04": `{"hours": 7.5}`, "2026-11-05": `{"hours": 8}`, "2026-11-06": `{"hours": 0.5}`,
	},
	"chats/chatting_time": {
		"2026-11-01": `{"hours": 1}`, "2026-11-02": `{"hours": 1}`, "2026-11-03": `{"hours": 2}`,
		"2026-11-04": `{"hours": 2.25}`, "2026-11-05": `{"hours": 1.5}`, "2026-11-06": `{"hours": 0.25}`,
	},
	"chats/first_response_time": {
		"2026-11-01": frt(2, "30"), "2026-11-02": frt(2, "20"), "2026-11-03": frt(0, "null"),
		"2026-11-04": frt(4, "10"), "2026-11-05": frt(1, "60"), "2026-11-06": frt(0, "null"),
	},
	"chats/response_time": {
		"2026-11-01": rt(1, "12"), "2026-11-02": rt(0, "null"), "2026-11-03": rt(0, "null"),
		"2026-11-04": rt(0, "null"), "2026-11-05": rt(0, "null"), "2026-11-06": rt(0, "null"),
	},
	"chats/goals": {
		"2026-11-01": `{"goals": 0}`, "2026-11-02": `{"goals": 0}`, "2026-11-03": `{"goals": 0}`,
		"2026-11-04": `{"goals": 1}`, "2026-11-05": `{"goals": 2}`, "2026-11-06": `{"goals": 3}`,
	},
	"chats/greetings": {
		"2026-11-01": greet(20, 4, 2), "2026-11-02": greet(0, 0, 0), "2026-11-03": greet(0, 0, 0),
		"2026-11-04": greet(10, 5, 1), "2026-11-05": greet(30, 3, 0), "2026-11-06": greet(0, 0, 0),
	},
	"tickets/new_tickets": {
		"2026-11-01": `{"new_tickets": 2}`, "2026-11-02": `{"new_tickets": 2}`, "2026-11-03": `{"new_tickets": 0}`,
		"2026-11-04": `{"new_tickets": 3}`, "2026-11-05": `{"new_tickets": 0}`, "2026-11-06": `{"new_tickets": 1}`,
	},
	"tickets/first_response_time": {
		"2026-11-01": hours(2, "1"), "2026-11-02": hours(0, "null"), "2026-11-03": hours(0, "null"),
		"2026-11-04": hours(1, "10"), "2026-11-05": hours(3, "2"), "2026-11-06": hours(0, "null"),
	},
	"tickets/solved_tickets": {
		"2026-11-01": `{"solved_tickets": 5}`, "2026-11-02": `{"solved_tickets": 5}`, "2026-11-03": `{"solved_tickets": 0}`,
		"2026-11-04": `{"solved_tickets": 2}`, "2026-11-05": `{"solved_tickets": 2}`, "2026-11-06": `{"solved_tickets": 1}`,
	},
	"tickets/resolution_time": {
		"2026-11-01": hours(0, "null"), "2026-11-02": hours(0, "null"), "2026-11-03": hours(0, "null"),
		"2026-11-04": hours(1, "30"), "2026-11-05": hours(0, "null"), "2026-11-06": hours(2, "3"),
	},
	"tickets/ticket_sources": {
		"2026-11-01": src(0, 4, 0), "2026-11-02": src(0, 0, 0), "2026-11-03": src(0, 0, 0),
		"2026-11-04": src(1, 2, 3), "2026-11-05": src(1, 0, 0), "2026-11-06": src(0, 0, 0),
	},
	"tickets/ratings": {
		"2026-11-01": `{"good": 4, "bad": 0}`, "2026-11-02": `{"good": 0, "bad": 0}`, "2026-11-03": `{"good": 0, "bad": 0}`,
		"2026-11-04": `{"good": 3, "bad": 1}`, "2026-11-05": `{"good": 0, "bad": 1}`, "2026-11-06": `{"good": 0, "bad": 0}`,
	},
}

// fixturePeak is the busiest hour of each day for chats/agents_occupancy;
// every other hour of a day in the table answers 1.
var fixturePeak = map[string]int{
	"2026-11-01": 2, "2026-11-02": 9, "2026-11-03": 1,
	"2026-11-04": 5, "2026-11-05": 7, "2026-11-06": 3,
}

func eng(a, m, i int) string {
	return fmt.Sprintf(`{"chats_from_auto_invite": %d, "chats_from_manual_invite": %d, "chats_from_immediate_start": %d}`, a, m, i)
}
func queue(q, l, e int) string {
	return fmt.Sprintf(`{"queued": {"count": %d}, "left_queue": {"count": %d}, "entered_chat": {"count": %d}}`, q, l, e)
}
func wait(n int, avg, max string) string {
	minimum := "0"
	if n == 0 {
		minimum = "null"
	}
	return fmt.Sprintf(`{"count": %d, "min": {"seconds": %s}, "max": {"seconds": %s}, "average": {"seconds": %s}}`, n, minimum, max, avg)
}
func waits(q, l, e string) string {
	return fmt.Sprintf(`{"queued": %s, "left_queue": %s, "entered_chat": %s}`, q, l, e)
}
func frt(n int, s string) string {
	return fmt.Sprintf(`{"first_response_time": {"count": %d, "seconds": %s}}`, n, s)
}
func rt(n int, s string) string {
	return fmt.Sprintf(`{"avg_response_time": {"count": %d, "seconds": %s}}`, n, s)
}
func greet(d, a, g int) string {
	return fmt.Sprintf(`{"displayed": %d, "accepted": %d, "goals": %d}`, d, a, g)
}
func hours(n int, h string) string { return fmt.Sprintf(`{"count": %d, "hours": %s}`, n, h) }
func src(cw, m, c int) string {
	return fmt.Sprintf(`{"tickets_from_chat_window": %d, "tickets_from_mail": %d, "tickets_from_chat": %d}`, cw, m, c)
}

// fixture is the hand-made upstream: it answers every endpoint from the
// tables above, counts requests and records their queries.
type fixture struct {
	fail map[string]bool // endpoints that answer 500

	mu       sync.Mutex
	requests []*http.Request
}

const prefix = "/lc-api"

func (f *fixture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r)
	f.mu.Unlock()
	if login, key, ok := r.BasicAuth(); !ok || login != "login" || key != "key" || r.Header.Get("X-API-Version") != "2" {
		http.Error(w, `{"error": "unauthorized"}`, http.StatusUnauthorized)
		return
	}
	endpoint, ok := strings.CutPrefix(r.URL.Path, prefix+"/reports/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if f.fail[endpoint] {
		http.Error(w, `{"error": "boom"}`, http.StatusInternalServerError)
		return
	}
	from, err1 := livechat.ParseDate(r.URL.Query().Get("date_from"))
	to, err2 := livechat.ParseDate(r.URL.Query().Get("date_to"))
	if err1 != nil || err2 != nil {
		http.Error(w, `{"error": "dates"}`, http.StatusBadRequest)
		return
	}
	var parts []string
	switch endpoint {
	case "chats/ratings/ranking":
		if from.String() == "2026-11-04" && to.String() == "2026-11-06" {
			parts = append(parts,
				`{"good": 25, "bad": 4, "total": 29, "score": 0.862, "name": "john@example.com"}`,
				`{"good": 3, "bad": 1, "total": 4, "score": 0.75, "name": "jane@example.com"}`)
		}
		fmt.Fprintf(w, `{"ranking": [%s]}`, strings.Join(parts, ","))
		return
	case "tickets/ratings/ranking":
		fmt.Fprint(w, `{"ranking": []}`)
		return
	case "chats/agents_occupancy":
		wd := r.URL.Query().Get("weekday")
		// One more week past date_to answers too, with a peak the digest
		// must ignore: it lies outside both ranges.
		for d := from; !d.After(to.AddDays(7)); d = d.AddDays(1) {
			if weekdayNames[d.Weekday()] != wd {
				continue
			}
			peak, ok := fixturePeak[d.String()]
			if d.After(to) {
				peak, ok = 99, true
			}
			if !ok {
				continue
			}
			for h := range 24 {
				n := 1
				if h == 14 {
					n = peak
				}
				parts = append(parts, fmt.Sprintf(`"%s %02d:00": %d`, d, h, n))
			}
		}
		fmt.Fprintf(w, "{%s}", strings.Join(parts, ","))
		return
	}
	days, ok := fixtureDays[endpoint]
	if !ok {
		http.NotFound(w, r)
		return
	}
	for d := from; !d.After(to); d = d.AddDays(1) {
		if body, ok := days[d.String()]; ok {
			parts = append(parts, fmt.Sprintf("%q: %s", d.String(), body))
		}
	}
	fmt.Fprintf(w, "{%s}", strings.Join(parts, ","))
}

// queries returns the recorded queries per endpoint.
func (f *fixture) queries() map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]string{}
	for _, r := range f.requests {
		e := strings.TrimPrefix(r.URL.Path, prefix+"/reports/")
		out[e] = append(out[e], r.URL.RawQuery)
	}
	for _, qs := range out {
		slices.Sort(qs)
	}
	return out
}

func (f *fixture) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// newFixture serves a fixture under a path prefix and returns a real client
// for it, with one try per request so counts are exact.
func newFixture(t *testing.T, fail ...string) (*fixture, *livechat.Client) {
	t.Helper()
	f := &fixture{fail: map[string]bool{}}
	for _, e := range fail {
		f.fail[e] = true
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := livechat.New(srv.URL+prefix, "login", "key",
		livechat.WithRetry(1, time.Millisecond, time.Millisecond),
		livechat.WithRateLimit(rate.Inf, 1),
		livechat.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	return f, c
}

func fixtureSpec(t *testing.T) Spec {
	p, err := ParsePeriod("2026-11-04..2026-11-06")
	require.NoError(t, err)
	return Spec{
		Job:      "fixture",
		Location: mustLoc(t, "Europe/Warsaw"),
		Period:   p,
		Compare:  PreviousPeriod,
		At:       time.Date(2026, 11, 7, 8, 0, 0, 0, time.UTC),
		Filters:  Filters{Group: "2", Tags: []string{"sales"}},
		Thresholds: []Threshold{
			{Metric: "total_chats.chats", Op: ChangePctAbove, Value: 20},               // 25 > 20: breach
			{Metric: "chats_first_response_time.seconds", Op: Above, Value: 15},        // 20 > 15: breach
			{Metric: "queued_visitors.abandonment_rate", Op: ChangePctAbove, Value: 0}, // null: never
			{Metric: "chat_ratings.satisfaction", Op: Below, Value: 0.8},               // 0.833: no
		},
	}
}

// v builds an expected Value; nan stands for null.
func v(cur, prev, change, pct float64) Value {
	p := func(x float64) *float64 {
		if x != x {
			return nil
		}
		return ptr(x)
	}
	return Value{Current: p(cur), Previous: p(prev), Change: p(change), ChangePct: p(pct)}
}

var null = nan()

func nan() float64 { z := 0.0; return z / z }

// TestBuildFixture checks every metric key against values worked out by hand
// from the fixture tables (current = Nov 4..6, previous = Nov 1..3).
func TestBuildFixture(t *testing.T) {
	t.Parallel()
	f, c := newFixture(t)
	d, err := Build(t.Context(), c, fixtureSpec(t))
	require.NoError(t, err)

	want := map[string]Value{
		// 25+25+25 = 75 vs 10+20+30 = 60: +15, +25%.
		"total_chats.chats": v(75, 60, 15, 25),
		// auto 2+3+0 = 5 vs 1+0+4 = 5; manual 5 vs 2+0+5 = 7; immediate 5 vs 3+0+6 = 9.
		"engagement.auto_invite":     v(5, 5, 0, 0),
		"engagement.manual_invite":   v(5, 7, -2, -200.0/7),
		"engagement.immediate_start": v(5, 9, -4, -400.0/9),
		// good 9+1+0 = 10 vs 3+3+0 = 6; bad 1+1 = 2 vs 1+1 = 2; chats 35 vs 20.
		"chat_ratings.good":  v(10, 6, 4, 200.0/3),
		"chat_ratings.bad":   v(2, 2, 0, 0),
		"chat_ratings.chats": v(35, 20, 15, 75),
		// 10/(10+2) = 0.8333, not the mean of daily ratios (0.9+0.5)/2 = 0.7;
		// previous 6/8 = 0.75; change_pct = (0.8333-0.75)/0.75 = +11.1%.
		"chat_ratings.satisfaction": v(10.0/12, 0.75, 10.0/12-0.75, 100.0/9),
		// Nobody queued in the previous period: changes exist, change_pct is null.
		"queued_visitors.queued":       v(12, 0, 12, null),
		"queued_visitors.left_queue":   v(3, 0, 3, null),
		"queued_visitors.entered_chat": v(9, 0, 9, null),
		// 3/12 = 0.25, not (1/10 + 2/2)/2 = 0.55; previous 0/0 is null.
		"queued_visitors.abandonment_rate": v(0.25, null, null, null),
		// (1·100 + 3·20)/4 = 40 s, not (100+20)/2 = 60; previous 2·50/2 = 50.
		"queue_waiting_times.queued_avg_seconds": v(40, 50, -10, -20),
		// No one left the queue in the current period: null average.
		"queue_waiting_times.left_queue_avg_seconds": v(null, 10, null, null),
		// (2·30 + 2·10)/4 = 20; nobody entered a chat from the queue before.
		"queue_waiting_times.entered_chat_avg_seconds": v(20, null, null, null),
		// max(112, 50) vs 80.
		"queue_waiting_times.queued_max_seconds": v(112, 80, 32, 40),
		// 7.5+8+0.5 = 16 vs 24: -8, -33.3%.
		"availability.hours": v(16, 24, -8, -100.0/3),
		// 2.25+1.5+0.25 = 4 vs 1+1+2 = 4.
		"chatting_time.hours": v(4, 4, 0, 0),
		// (4·10 + 1·60)/5 = 20, not (10+60)/2 = 35; previous (2·30+2·20)/4 = 25.
		"chats_first_response_time.seconds": v(20, 25, -5, -20),
		"chats_first_response_time.count":   v(5, 4, 1, 25),
		// No responses at all in the current period: null average.
		"chats_response_time.seconds": v(null, 12, null, null),
		"chats_response_time.count":   v(0, 1, -1, -100),
		// 1+2+3 = 6 vs 0: change +6, change_pct null.
		"goals.goals": v(6, 0, 6, null),
		// displayed 10+30 = 40 vs 20; accepted 5+3 = 8 vs 4; goals 1 vs 2.
		"greetings.displayed": v(40, 20, 20, 100),
		"greetings.accepted":  v(8, 4, 4, 100),
		"greetings.goals":     v(1, 2, -1, -50),
		// 8/40 = 0.2, not (5/10 + 3/30)/2 = 0.3; previous 4/20 = 0.2.
		"greetings.acceptance_rate": v(0.2, 0.2, 0, 0),
		"tickets_new.tickets":       v(4, 4, 0, 0),
		// (1·10 + 3·2)/4 = 4 h, not (10+2)/2 = 6; previous 2·1/2 = 1.
		"tickets_first_response_time.hours": v(4, 1, 3, 300),
		"tickets_first_response_time.count": v(4, 2, 2, 100),
		"tickets_solved.tickets":            v(5, 10, -5, -50),
		// (1·30 + 2·3)/3 = 12 h; no tickets resolved before: null.
		"tickets_resolution_time.hours": v(12, null, null, null),
		"tickets_resolution_time.count": v(3, 0, 3, null),
		"ticket_sources.chat_window":    v(2, 0, 2, null),
		"ticket_sources.mail":           v(2, 4, -2, -50),
		"ticket_sources.chat":           v(3, 0, 3, null),
		"ticket_ratings.good":           v(3, 4, -1, -25),
		"ticket_ratings.bad":            v(2, 0, 2, null),
		// 3/5 = 0.6, not (3/4 + 0/1)/2 = 0.375; previous 4/4 = 1.
		"ticket_ratings.satisfaction": v(0.6, 1, -0.4, -40),
		// Busiest hour Nov 4..6 is 7 (Thu), Nov 1..3 is 9 (Mon); the 99s a
		// week later are outside both ranges.
		"agents_occupancy.peak": v(7, 9, -2, -200.0/9),
	}
	require.Len(t, catalogueOn(livechat.V2), len(want), "every v2 catalogue key is checked")
	assert.Len(t, d.Metrics, len(want))
	for _, m := range catalogueOn(livechat.V2) {
		t.Run(m.Key, func(t *testing.T) {
			got, ok := d.Metrics[m.Key]
			require.True(t, ok, "missing")
			w := want[m.Key]
			for _, field := range []struct {
				name      string
				want, got *float64
			}{
				{"current", w.Current, got.Current},
				{"previous", w.Previous, got.Previous},
				{"change", w.Change, got.Change},
				{"change_pct", w.ChangePct, got.ChangePct},
			} {
				if field.want == nil {
					assert.Nil(t, field.got, field.name)
					continue
				}
				if assert.NotNil(t, field.got, field.name) {
					assert.InDelta(t, *field.want, *field.got, 1e-9, field.name)
				}
			}
		})
	}

	assert.Equal(t, DateRange{From: date(t, "2026-11-04"), To: date(t, "2026-11-06")}, d.Period)
	assert.Equal(t, &DateRange{From: date(t, "2026-11-01"), To: date(t, "2026-11-03")}, d.Compare)
	assert.Equal(t, "Europe/Warsaw", d.Timezone)
	assert.Equal(t, []RankEntry{
		{Agent: "john@example.com", Good: 25, Bad: 4, Total: 29, Score: 0.862},
		{Agent: "jane@example.com", Good: 3, Bad: 1, Total: 4, Score: 0.75},
	}, d.Rankings.Chats)
	assert.Equal(t, []RankEntry{}, d.Rankings.Tickets)
	assert.Equal(t, []ReportError{}, d.Errors)
	assert.Equal(t, []Breach{
		{Metric: "total_chats.chats", Rule: "change_pct_above 20", Value: 25, Threshold: 20},
		{Metric: "chats_first_response_time.seconds", Rule: "above 15", Value: 20, Threshold: 15},
	}, d.Breaches)
	assert.Equal(t, Filters{Group: "2", Tags: []string{"sales"}}, d.Filters)
	assert.Equal(t, DailySeries{
		Days:     []livechat.Date{date(t, "2026-11-04"), date(t, "2026-11-05"), date(t, "2026-11-06")},
		Current:  []*float64{ptr(25), ptr(25), ptr(25)},
		Previous: []*float64{ptr(10), ptr(20), ptr(30)},
	}, d.Daily["total_chats.chats"])
	// A day's weighted mean is that day's average; a day without answers is nil.
	assert.Equal(t, []*float64{ptr(10), ptr(60), nil}, d.Daily["chats_first_response_time.seconds"].Current)

	// 17 bucketed + 2 rankings + 6 occupancy weekdays (Sun..Fri).
	assert.Equal(t, 25, f.count())
	qs := f.queries()
	assert.Equal(t, []string{"date_from=2026-11-01&date_to=2026-11-06&group=2&group_by=day&tag%5B%5D=sales&timezone=Europe%2FWarsaw"}, qs["chats/total_chats"])
	assert.Equal(t, []string{"date_from=2026-11-04&date_to=2026-11-06&group=2&tag%5B%5D=sales"}, qs["chats/ratings/ranking"])
	assert.Len(t, qs["chats/agents_occupancy"], 6)
	assert.Contains(t, qs["chats/agents_occupancy"], "date_from=2026-11-02&date_to=2026-11-02&weekday=mon")

	b, err := json.MarshalIndent(d, "", "  ")
	require.NoError(t, err)
	golden.Assert(t, "fixture_digest.json", append(b, '\n'))
}

// TestBuildRequestCount pins the request economy: one request per bucketed
// report for both ranges, one per ranking, one per distinct weekday for
// agents_occupancy; a partial period's cut days by the hour, one request each.
func TestBuildRequestCount(t *testing.T) {
	t.Parallel()
	// Monday 2026-11-23 09:00 in New York.
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	const tz = "&timezone=America%2FNew_York"
	tests := []struct {
		name    string
		period  PeriodKind
		compare CompareMode
		want    int
		queries []string // of every bucketed report
	}{
		// 17 + 2 + 7 weekdays = 26.
		{"last week vs previous week", LastWeek, PreviousPeriod, 26, []string{"date_from=2026-11-09&date_to=2026-11-22&group_by=day"}},
		{"last 7 days vs previous 7 days", Last7Days, PreviousPeriod, 26, []string{"date_from=2026-11-09&date_to=2026-11-22&group_by=day"}},
		// One day and the same weekday a week before: 17 + 2 + 1 = 20.
		{"yesterday vs same weekday", Yesterday, SameWeekdayLastWeek, 20, []string{"date_from=2026-11-15&date_to=2026-11-22&group_by=day"}},
		// Today is cut at 09:00, so it is asked for by the hour.
		{"today alone", Today, NoCompare, 20, []string{"date_from=2026-11-23&date_to=2026-11-23&group_by=hour"}},
		// Two cut days of different weekdays: 17 × 2 + 2 + 2 = 38.
		{"today vs yesterday", Today, PreviousPeriod, 38, []string{
			"date_from=2026-11-22&date_to=2026-11-22&group_by=hour", "date_from=2026-11-23&date_to=2026-11-23&group_by=hour",
		}},
		{"today vs same weekday", Today, SameWeekdayLastWeek, 37, []string{
			"date_from=2026-11-16&date_to=2026-11-16&group_by=hour", "date_from=2026-11-23&date_to=2026-11-23&group_by=hour",
		}},
		// Nov 1..22 and Oct 1..22 by day, Nov 23 and Oct 23 by the hour:
		// 17 × 3 + 2 + 7 = 60.
		{"month to date vs the same days of october", MonthToDate, PreviousPeriod, 60, []string{
			"date_from=2026-10-01&date_to=2026-11-22&group_by=day",
			"date_from=2026-10-23&date_to=2026-10-23&group_by=hour", "date_from=2026-11-23&date_to=2026-11-23&group_by=hour",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, c := newFixture(t)
			_, err := Build(t.Context(), c, Spec{
				Job: "count", Location: mustLoc(t, "America/New_York"),
				Period: Period{Kind: tt.period}, Compare: tt.compare, At: at,
			})
			require.NoError(t, err)
			assert.Equal(t, tt.want, f.count())
			qs := f.queries()
			for _, info := range livechat.Reports {
				if info.Shape == livechat.ShapeBuckets && info.Endpoint != "" {
					require.Len(t, qs[info.Endpoint], len(tt.queries), info.Endpoint)
				}
			}
			var want []string
			for _, q := range tt.queries {
				want = append(want, q+tz)
			}
			assert.Equal(t, want, qs["chats/total_chats"])
		})
	}
}

func TestBuildFailingReport(t *testing.T) {
	t.Parallel()
	_, c := newFixture(t, "chats/greetings")
	d, err := Build(t.Context(), c, fixtureSpec(t))
	require.NoError(t, err)
	require.Len(t, d.Errors, 1)
	assert.Equal(t, "greetings", d.Errors[0].Report)
	assert.Contains(t, d.Errors[0].Error, "chats/greetings")
	assert.Contains(t, d.Errors[0].Error, "500")
	assert.NotContains(t, d.Errors[0].Error, "key", "no secret in the error")
	for _, m := range catalogueOn(livechat.V2) {
		_, ok := d.Metrics[m.Key]
		assert.Equal(t, m.Report != livechat.Greetings, ok, m.Key)
	}
	assert.Equal(t, ptr(75), d.Metrics["total_chats.chats"].Current)
}

func TestBuildFailures(t *testing.T) {
	t.Parallel()
	all := make([]string, 0, len(livechat.Reports))
	for _, i := range livechat.Reports {
		all = append(all, i.Endpoint)
	}

	t.Run("every report fails", func(t *testing.T) {
		t.Parallel()
		_, c := newFixture(t, all...)
		d, err := Build(t.Context(), c, fixtureSpec(t))
		assert.Nil(t, d)
		assert.ErrorContains(t, err, `digest: job "fixture": no report answered`)
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		_, c := newFixture(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		d, err := Build(ctx, c, fixtureSpec(t))
		assert.Nil(t, d)
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("cancelled while some reports are in flight", func(t *testing.T) {
		t.Parallel()
		_, c := newFixture(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		answering := []livechat.Report{livechat.TotalChats, livechat.ChatRatings}
		var answered sync.WaitGroup
		answered.Add(len(answering))
		f := fetchFunc(func(ctx context.Context, r livechat.Report, q livechat.Query) (any, error) {
			if slices.Contains(answering, r) {
				defer answered.Done()
				return c.Fetch(ctx, r, q)
			}
			// This report is in flight: the others have answered, then the
			// run is cancelled (shutdown, a lost lease) before it answers.
			answered.Wait()
			cancel()
			<-ctx.Done()
			return nil, fmt.Errorf("livechat: %s: %w", r, ctx.Err())
		})
		s := fixtureSpec(t)
		s.Reports = append(slices.Clone(answering), livechat.Greetings)
		d, err := Build(ctx, f, s)
		assert.Nil(t, d, "a cut-short run must not produce a digest that looks final")
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorContains(t, err, `digest: job "fixture"`)
	})
	t.Run("only the asked reports", func(t *testing.T) {
		t.Parallel()
		f, c := newFixture(t)
		s := fixtureSpec(t)
		s.Reports = []livechat.Report{livechat.ChatRatings, livechat.TotalChats, livechat.ChatRatings}
		s.Compare = NoCompare
		d, err := Build(t.Context(), c, s)
		require.NoError(t, err)
		assert.Equal(t, 2, f.count())
		assert.Len(t, d.Metrics, 5)
		assert.Nil(t, d.Compare)
		assert.Equal(t, Value{Current: ptr(75)}, d.Metrics["total_chats.chats"])
		assert.Nil(t, d.Daily["total_chats.chats"].Previous)
	})
	for _, tt := range []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"no location", func(s *Spec) { s.Location = nil }, "no time zone"},
		{"bad period", func(s *Spec) { s.Period = Period{Kind: "fortnight"} }, "unknown period"},
		{"bad compare", func(s *Spec) { s.Compare = "yesteryear" }, "unknown compare"},
		{"bad report", func(s *Spec) { s.Reports = []livechat.Report{"sales"} }, `unknown report "sales"`},
		{"bad threshold", func(s *Spec) { s.Thresholds = []Threshold{{Metric: "x.y", Op: Above}} }, "unknown metric"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, c := newFixture(t)
			s := fixtureSpec(t)
			tt.edit(&s)
			_, err := Build(t.Context(), c, s)
			assert.ErrorContains(t, err, tt.want)
			assert.Zero(t, f.count(), "a bad spec fetches nothing")
		})
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    string
		n    int
		want []string
	}{
		{"one day", "2026-11-01..2026-11-01", 731, []string{"2026-11-01..2026-11-01"}},
		{"exactly n", "2024-11-25..2026-11-25", 731, []string{"2024-11-25..2026-11-25"}},
		{"one day over", "2024-11-25..2026-11-26", 731, []string{"2024-11-25..2026-11-25", "2026-11-26..2026-11-26"}},
		{"twice the limit", "2022-11-24..2026-11-24", 731, []string{"2022-11-24..2024-11-23", "2024-11-24..2026-11-24"}},
		{"small pieces", "2026-11-01..2026-11-07", 3, []string{"2026-11-01..2026-11-03", "2026-11-04..2026-11-06", "2026-11-07..2026-11-07"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			from, to, _ := strings.Cut(tt.r, "..")
			for _, p := range split(DateRange{From: date(t, from), To: date(t, to)}, tt.n) {
				require.LessOrEqual(t, p.Days(), tt.n)
				got = append(got, p.From.String()+".."+p.To.String())
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// fetchFunc adapts a function to Fetcher.
type fetchFunc func(ctx context.Context, r livechat.Report, q livechat.Query) (any, error)

func (f fetchFunc) Fetch(ctx context.Context, r livechat.Report, q livechat.Query) (any, error) {
	return f(ctx, r, q)
}

// TestDigestJSONShape checks the contract's shape where it is easy to get
// wrong: nulls, [] for empty lists, dates as strings, no compare as null.
func TestDigestJSONShape(t *testing.T) {
	t.Parallel()
	d := &Digest{
		Job: "j", Timezone: "UTC",
		Period:   DateRange{From: date(t, "2026-11-16"), To: date(t, "2026-11-22")},
		Metrics:  map[string]Value{"goals.goals": {Current: ptr(6)}},
		Rankings: Rankings{Chats: []RankEntry{}, Tickets: []RankEntry{}},
		Breaches: []Breach{}, Errors: []ReportError{}, Headline: []HeadlineItem{},
		Daily:   map[string]DailySeries{"goals.goals": {}},
		Filters: Filters{Group: "2"},
	}
	b, err := json.Marshal(d)
	require.NoError(t, err)
	assert.JSONEq(t, `{"job": "j", "timezone": "UTC",
		"period": {"from": "2026-11-16", "to": "2026-11-22"}, "compare": null, "headline": [],
		"metrics": {"goals.goals": {"current": 6, "previous": null, "change": null, "change_pct": null}},
		"rankings": {"chats": [], "tickets": []}, "breaches": [], "errors": []}`, string(b))
}

// The client is the Fetcher Build is written for.
var _ Fetcher = (*livechat.Client)(nil)
