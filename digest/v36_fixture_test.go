package digest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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

// The hand-made v3.6 upstream, written from the reference
// (reference/livechat-reports-api-v3.6.md §4, §5), not from the simulator:
// the shapes of its samples, with their traps on purpose: an envelope
// total that is not the sum of the records, days with no data as {}, zero
// fields left out, rankings and agents/performance keyed by agent,
// unique_visitors as a summary only. Days and periods are those of the v2
// fixture (current 2026-11-04..06, previous 2026-11-01..03, Europe/Warsaw,
// +01:00 throughout); TestBuildV36Fixture works every value out by hand.
var v36FixtureSpan = map[string]string{
	// total-chats-report; the total 999 is deliberately not Σ.
	"chats/total_chats": `{"name":"total-chats-report","total":999,"records":{
		"2026-11-01":{"total":10,"continuous":4},"2026-11-02":{},"2026-11-03":{"total":30},
		"2026-11-04":{"total":25,"continuous":5},"2026-11-05":{"total":20,"continuous":10},"2026-11-06":{"total":5}}}`,
	// The same method with filters.properties.routing.unreplied: not_replied.
	"chats/total_chats unreplied": `{"name":"total-chats-report","total":4,"records":{
		"2026-11-01":{"total":1},"2026-11-02":{},"2026-11-03":{},
		"2026-11-04":{"total":2},"2026-11-05":{},"2026-11-06":{"total":1}}}`,
	"chats/engagement": `{"name":"engagement-report","total":7411,"records":{
		"2026-11-01":{"started_by_customer_from_greeting":1,"started_by_customer_without_greeting":2,"started_by_agent":3},
		"2026-11-02":{},"2026-11-03":{"started_by_customer_without_greeting":5},
		"2026-11-04":{"started_by_customer_from_greeting":2,"started_by_customer_without_greeting":2},
		"2026-11-05":{"started_by_customer_from_greeting":3,"started_by_customer_without_greeting":3,"started_by_agent":3},
		"2026-11-06":{}}}`,
	"chats/ratings": `{"name":"ratings-report","total":40,"records":{
		"2026-11-01":{"bad":1,"chats":5,"good":3},"2026-11-02":{"chats":5},"2026-11-03":{},
		"2026-11-04":{"bad":1,"chats":20,"good":9},"2026-11-05":{"bad":1,"chats":10,"good":1},"2026-11-06":{"chats":5}}}`,
	"chats/queued_visitors": `{"name":"queued-visitors-report","total":15,"records":{
		"2026-11-01":{"queued":{"count":2,"min":10,"max":30,"avg":20},"left_queue":{"count":1,"min":50,"max":50,"avg":50}},
		"2026-11-02":{},"2026-11-03":{},
		"2026-11-04":{"queued":{"count":9,"min":5,"max":40,"avg":10},"left_queue":{"count":1,"min":112,"max":112,"avg":112}},
		"2026-11-05":{"queued":{"count":1,"min":20,"max":20,"avg":20},"left_queue":{"count":3,"min":10,"max":60,"avg":30}},
		"2026-11-06":{}}}`,
	"agents/availability": `{"name":"availability-report","total":19.59,"records":{
		"2026-11-01":{"hours":8},"2026-11-02":{"hours":8},"2026-11-03":{},
		"2026-11-04":{"hours":7.5},"2026-11-05":{"hours":8},"2026-11-06":{"hours":0.5}}}`,
	"chats/first_response_time": `{"name":"first-response-time-report","total":39,"records":{
		"2026-11-01":{"count":2,"first_response_time":30},"2026-11-02":{"count":2,"first_response_time":20},"2026-11-03":{},
		"2026-11-04":{"count":4,"first_response_time":10},"2026-11-05":{"count":1,"first_response_time":60},"2026-11-06":{"count":1}}}`,
	"chats/response_time": `{"name":"response-time-report","total":39,"records":{
		"2026-11-01":{"count":1,"response_time":12},"2026-11-02":{},"2026-11-03":{},
		"2026-11-04":{"count":3,"response_time":10},"2026-11-05":{"count":1,"response_time":50},"2026-11-06":{}}}`,
	"chats/duration": `{"name":"duration-report","total":369,"records":{
		"2026-11-01":{"agents_chatting_duration":500,"count":2,"duration":600},"2026-11-02":{},"2026-11-03":{},
		"2026-11-04":{"agents_chatting_duration":300,"count":4,"duration":400},"2026-11-05":{"count":1,"duration":900},"2026-11-06":{}}}`,
	"chats/greetings_conversion": `{"name":"greetings-conversion-report","total":3,"records":{
		"2026-11-01":{"1":{"accepted":2,"canceled":1,"displayed":10,"goals":1},"18":{"displayed":10,"accepted":2,"goals":1}},
		"2026-11-02":{},"2026-11-03":{},
		"2026-11-04":{"1":{"accepted":5,"displayed":10,"goals":1}},
		"2026-11-05":{"1":{"displayed":20,"accepted":1,"canceled":4},"18":{"displayed":10,"accepted":2,"canceled":2},"19":{"displayed":1}},
		"2026-11-06":{}}}`,
}

// v36FixturePeriod answers the methods asked once per period (and the
// ranking, for the current one only), by "method from".
var v36FixturePeriod = map[string]string{
	"agents/performance 2026-11-04T00:00:00+01:00": `{"name":"performance-report","records":{
		"a@example.com":{"accepting_chats_time":35296,"chats_count":3,"chatting_time":5400,"logged_in_time":45304},
		"b@example.com":{"chatting_time":1800},"c@example.com":{}},"summary":{"chats_count":3}}`,
	"agents/performance 2026-11-01T00:00:00+01:00": `{"name":"performance-report","records":{
		"a@example.com":{"chatting_time":3600}},"summary":{}}`,
	"customers/unique_visitors 2026-11-04T00:00:00+01:00": `{"name":"visitors-report","summary":{"unique_visitors":40,"page_views":120}}`,
	"customers/unique_visitors 2026-11-01T00:00:00+01:00": `{"name":"visitors-report","summary":{"unique_visitors":30}}`,
	"chats/ranking 2026-11-04T00:00:00+01:00": `{"name":"ranking-report","records":{
		"smith@example.com":{"total":2,"bad":2,"score":0.1147},
		"agent@example.com":{"total":19,"good":13,"bad":6,"score":0.4232},
		"x@example.com":{"total":5,"good":4,"bad":1,"score":0.4232}}}`,
}

// v36Fixture serves the tables above. It checks every request against
// what the contract says the client sends, and answers 400 otherwise.
type v36Fixture struct {
	mu       sync.Mutex
	requests []string
	problems []string
}

func (f *v36Fixture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	method, _ := strings.CutPrefix(r.URL.Path, "/lc/v3.6/reports/")
	f.mu.Lock()
	f.requests = append(f.requests, method+" "+string(body))
	f.mu.Unlock()
	fail := func(format string, args ...any) {
		f.mu.Lock()
		f.problems = append(f.problems, method+": "+fmt.Sprintf(format, args...))
		f.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"type":"validation","message":"Wrong format of request"}}`)
	}
	if login, pat, ok := r.BasicAuth(); r.Method != http.MethodPost || !ok || login != "acc" || pat != "pat" {
		fail("not a POST with the personal access token")
		return
	}
	var req struct {
		Distribution string `json:"distribution"`
		Timezone     string `json:"timezone"`
		Filters      struct {
			From, To   string
			Groups     *struct{ Values []int }
			Tags       *struct{ Values []string }
			Agents     any
			Properties any
		}
	}
	if err := json.Unmarshal(body, &req); err != nil {
		fail("body %v", err)
		return
	}
	fl := req.Filters
	switch method {
	case "customers/unique_visitors":
		// filters.from/to only.
		if req.Timezone != "" || req.Distribution != "" || fl.Groups != nil || fl.Tags != nil {
			fail("takes filters.from/to only: %s", body)
			return
		}
	case "agents/performance", "agents/availability":
		if req.Timezone != "Europe/Warsaw" || fl.Groups == nil || fl.Groups.Values[0] != 2 || fl.Tags != nil {
			fail("agents reports: zone, groups, no tags: %s", body)
			return
		}
	default:
		if req.Timezone != "Europe/Warsaw" || fl.Groups == nil || fl.Groups.Values[0] != 2 || fl.Tags == nil || fl.Tags.Values[0] != "sales" {
			fail("chats reports: zone, groups and tags: %s", body)
			return
		}
	}
	if a, ok := v36FixturePeriod[method+" "+fl.From]; ok {
		wantTo := map[string]string{"2026-11-04T00:00:00+01:00": "2026-11-06T23:59:59+01:00", "2026-11-01T00:00:00+01:00": "2026-11-03T23:59:59+01:00"}[fl.From]
		if fl.To != wantTo || req.Distribution != "" {
			fail("per-period request: %s", body)
			return
		}
		fmt.Fprint(w, a)
		return
	}
	key := method
	if fl.Properties != nil {
		key += " unreplied"
		if p, _ := json.Marshal(fl.Properties); string(p) != `{"routing":{"unreplied":{"values":[true]}}}` {
			fail("properties %s", p)
			return
		}
	}
	a, ok := v36FixtureSpan[key]
	if !ok || fl.From != "2026-11-01T00:00:00+01:00" || fl.To != "2026-11-06T23:59:59+01:00" || req.Distribution != "day" {
		fail("unexpected request %s", body)
		return
	}
	fmt.Fprint(w, a)
}

func newV36Fixture(t *testing.T) (*v36Fixture, *livechat.Share) {
	t.Helper()
	f := &v36Fixture{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := livechat.New(srv.URL+"/lc", "acc", "pat", livechat.WithAPI(livechat.V36),
		livechat.WithRetry(1, time.Millisecond, time.Millisecond), livechat.WithRateLimit(rate.Inf, 1))
	require.NoError(t, err)
	// One request for queued_visitors and queue_waiting_times, whether
	// they overlap in flight or not: the builds share one firing's answers.
	sh := c.Firing(time.Date(2026, 11, 7, 9, 0, 0, 0, time.UTC))
	t.Cleanup(sh.Close)
	return f, sh
}

// TestBuildV36Fixture checks every metric key v3.6 has against values
// worked out by hand from the tables above, the markers of the filters a
// report could not take, and the request economy.
func TestBuildV36Fixture(t *testing.T) {
	t.Parallel()
	f, c := newV36Fixture(t)
	spec := fixtureSpec(t)
	spec.Thresholds = []Threshold{
		{Metric: "not_replied.chats", Op: Above, Value: 2},              // 3 > 2: breach
		{Metric: "unique_visitors.visitors", Op: Below, Value: 50},      // 40 < 50: breach
		{Metric: "chat_duration.seconds", Op: ChangePctAbove, Value: 0}, // -16.7%: no
	}
	d, err := Build(t.Context(), c, spec)
	require.NoError(t, err)
	require.Empty(t, f.problems)
	require.Empty(t, d.Errors)

	want := map[string]Value{
		// 25+20+5 = 50 vs 10+{}+30 = 40; the envelope's 999 is not read.
		"total_chats.chats": v(50, 40, 10, 25),
		// 5+10+0 (left out) = 15 vs 4+0+0 = 4.
		"total_chats.continuous": v(15, 4, 11, 275),
		// from_greeting 2+3 = 5 vs 1; agent 3 vs 3; without 2+3 = 5 vs 2+5 = 7.
		"engagement.auto_invite":     v(5, 1, 4, 400),
		"engagement.manual_invite":   v(3, 3, 0, 0),
		"engagement.immediate_start": v(5, 7, -2, -200.0/7),
		// good 9+1 = 10 vs 3; bad 1+1 = 2 vs 1; chats 20+10+5 = 35 vs 5+5 = 10.
		"chat_ratings.good":  v(10, 3, 7, 700.0/3),
		"chat_ratings.bad":   v(2, 1, 1, 100),
		"chat_ratings.chats": v(35, 10, 25, 250),
		// 10/12 = 0.8333, not the mean of daily ratios (0.9+0.5)/2 = 0.7; previous 3/4.
		"chat_ratings.satisfaction": v(10.0/12, 0.75, 10.0/12-0.75, 100.0/9),
		// queued (v2's) = both groups: (9+1)+(1+3) = 14 vs 2+1 = 3.
		"queued_visitors.queued":       v(14, 3, 11, 1100.0/3),
		"queued_visitors.left_queue":   v(4, 1, 3, 300),
		"queued_visitors.entered_chat": v(10, 2, 8, 400),
		// 4/14, not (1/10 + 3/4)/2; previous 1/3.
		"queued_visitors.abandonment_rate": v(4.0/14, 1.0/3, 4.0/14-1.0/3, (4.0/14-1.0/3)/(1.0/3)*100),
		// Both groups weighted: (9·10 + 1·20 + 1·112 + 3·30)/14 = 312/14; previous (2·20 + 1·50)/3 = 30.
		"queue_waiting_times.queued_avg_seconds": v(312.0/14, 30, 312.0/14-30, (312.0/14-30)/30*100),
		// (1·112 + 3·30)/4 = 50.5, not (112+30)/2 = 71; previous 50.
		"queue_waiting_times.left_queue_avg_seconds": v(50.5, 50, 0.5, 1),
		// (9·10 + 1·20)/10 = 11, not (10+20)/2 = 15; previous 20.
		"queue_waiting_times.entered_chat_avg_seconds": v(11, 20, -9, -45),
		// max of both groups' max: 112 vs 50.
		"queue_waiting_times.queued_max_seconds": v(112, 50, 62, 124),
		// 7.5+8+0.5 = 16 vs 8+8+{} = 16; the total 19.59 is not read.
		"availability.hours": v(16, 16, 0, 0),
		// agents/performance per period: (5400+1800)/3600 = 2 h vs 3600/3600 = 1 h.
		"chatting_time.hours": v(2, 1, 1, 100),
		// (4·10 + 1·60 + 1·0)/6 = 100/6: the last day's average is a left-out
		// zero of a counted day, not "no answer"; previous (2·30 + 2·20)/4 = 25.
		"chats_first_response_time.seconds": v(100.0/6, 25, 100.0/6-25, (100.0/6-25)/25*100),
		"chats_first_response_time.count":   v(6, 4, 2, 50),
		// (3·10 + 1·50)/4 = 20, not (10+50)/2 = 30; previous 12.
		"chats_response_time.seconds": v(20, 12, 8, 200.0/3),
		"chats_response_time.count":   v(4, 1, 3, 300),
		// displayed 10 + (20+10+1) = 41 vs 10+10 = 20; accepted 5+1+2 = 8 vs 4;
		// goals 1 vs 2; canceled 4+2 = 6 vs 1.
		"greetings.displayed":       v(41, 20, 21, 105),
		"greetings.accepted":        v(8, 4, 4, 100),
		"greetings.goals":           v(1, 2, -1, -50),
		"greetings.acceptance_rate": v(8.0/41, 0.2, 8.0/41-0.2, (8.0/41-0.2)/0.2*100),
		"greetings.canceled":        v(6, 1, 5, 500),
		// (4·400 + 1·900)/5 = 500, not (400+900)/2 = 650; previous 600.
		"chat_duration.seconds": v(500, 600, -100, -100.0/6),
		"chat_duration.count":   v(5, 2, 3, 150),
		// As returned for each period; never added up.
		"unique_visitors.visitors": v(40, 30, 10, 100.0/3),
		"not_replied.chats":        v(3, 1, 2, 200),
	}
	require.Len(t, catalogueOn(livechat.V36), len(want), "every v3.6 catalogue key is checked")
	assert.Len(t, d.Metrics, len(want))
	for _, m := range catalogueOn(livechat.V36) {
		t.Run(m.Key, func(t *testing.T) {
			got, ok := d.Metrics[m.Key]
			require.True(t, ok, "missing")
			w := want[m.Key]
			for _, field := range []struct {
				name      string
				got, want *float64
			}{{"current", got.Current, w.Current}, {"previous", got.Previous, w.Previous}, {"change", got.Change, w.Change}, {"change_pct", got.ChangePct, w.ChangePct}} {
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

	// Filters group 2 and tag sales: Agents reports take no tags, and
	// unique_visitors no filters at all.
	for key, val := range d.Metrics {
		var wantMark []string
		switch {
		case strings.HasPrefix(key, "unique_visitors."):
			wantMark = []string{"group", "tags"}
		case strings.HasPrefix(key, "availability."), strings.HasPrefix(key, "chatting_time."):
			wantMark = []string{"tags"}
		}
		assert.Equal(t, wantMark, val.NotFilteredBy, key)
	}
	assert.Empty(t, d.Rankings.NotFilteredBy)

	// Ordered by score, then total; the map's order is no order.
	assert.Equal(t, []RankEntry{
		{Agent: "agent@example.com", Good: 13, Bad: 6, Total: 19, Score: 0.4232},
		{Agent: "x@example.com", Good: 4, Bad: 1, Total: 5, Score: 0.4232},
		{Agent: "smith@example.com", Bad: 2, Total: 2, Score: 0.1147},
	}, d.Rankings.Chats)
	assert.Equal(t, []Breach{
		{Metric: "not_replied.chats", Rule: "above 2", Value: 3, Threshold: 2},
		{Metric: "unique_visitors.visitors", Rule: "below 50", Value: 40, Threshold: 50},
	}, d.Breaches)

	// Per-day series for the bucketed reports; none for the per-period ones.
	assert.Equal(t, []*float64{ptr(25), ptr(20), ptr(5)}, d.Daily["total_chats.chats"].Current)
	assert.Equal(t, []*float64{ptr(10), ptr(0), ptr(30)}, d.Daily["total_chats.chats"].Previous)
	assert.NotContains(t, d.Daily, "chatting_time.hours")
	assert.NotContains(t, d.Daily, "unique_visitors.visitors")

	// 10 bucketed (queued_visitors and queue_waiting_times share one), 1
	// ranking, 2 per-period reports × 2 periods = 15.
	assert.Len(t, f.requests, 15)

	b, err := json.MarshalIndent(d, "", "  ")
	require.NoError(t, err)
	golden.Assert(t, "v36_fixture_digest.json", append(b, '\n'))
}

// TestBuildV36GreetingsCap: a day at the 100-greetings cap is a warning of
// the digest, which still has its numbers.
func TestBuildV36GreetingsCap(t *testing.T) {
	t.Parallel()
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"%d":{"displayed":2,"accepted":1}`, 1000+i)
	}
	day := "{" + strings.Join(ids, ",") + "}"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"records":{"2026-11-03":%s,"2026-11-04":{"1":{"displayed":1}}}}`, day)
	}))
	t.Cleanup(srv.Close)
	c, err := livechat.New(srv.URL, "acc", "pat", livechat.WithAPI(livechat.V36), livechat.WithRetry(1, time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	p, err := ParsePeriod("2026-11-04..2026-11-04")
	require.NoError(t, err)
	d, err := Build(t.Context(), c, Spec{Job: "cap", Location: time.UTC, Period: p, Compare: PreviousPeriod,
		At: time.Date(2026, 11, 7, 8, 0, 0, 0, time.UTC), Reports: []livechat.Report{livechat.Greetings}})
	require.NoError(t, err)
	assert.Equal(t, []ReportWarning{{Report: "greetings", Warning: "the API answered its maximum of 100 greetings on 2026-11-03; greetings beyond them are not counted"}}, d.Warnings)
	assert.Equal(t, ptr(200), d.Metrics["greetings.displayed"].Previous)
	assert.Equal(t, ptr(1), d.Metrics["greetings.displayed"].Current)
}

// TestBuildV36Unavailable: on v3.6 "all" leaves out what v3.6 lacks, and a
// report named by hand that it lacks is an error of the digest, not of the
// build.
func TestBuildV36Unavailable(t *testing.T) {
	t.Parallel()
	_, c := newV36Fixture(t)
	spec := fixtureSpec(t)
	spec.Thresholds = nil
	spec.Reports = []livechat.Report{livechat.TotalChats, livechat.TicketsNew}
	d, err := Build(t.Context(), c, spec)
	require.NoError(t, err)
	require.Len(t, d.Errors, 1)
	assert.Equal(t, "tickets_new", d.Errors[0].Report)
	assert.Contains(t, d.Errors[0].Error, "not available on Reports API 3.6")
	assert.Contains(t, d.Metrics, "total_chats.chats")

	spec.Reports = nil
	d, err = Build(t.Context(), c, spec)
	require.NoError(t, err)
	assert.Empty(t, d.Errors)
	for key := range d.Metrics {
		m, _ := LookupMetric(key)
		assert.True(t, MetricOn(m, livechat.V36), key)
	}
	assert.NotContains(t, d.Metrics, "goals.goals")
	assert.NotContains(t, d.Metrics, "tickets_new.tickets")

	// A Spec for v2 given a v3.6 client is refused.
	spec.API = livechat.V2
	_, err = Build(t.Context(), c, spec)
	assert.ErrorContains(t, err, "built for Reports API 2 but the client reads 3.6")
}
