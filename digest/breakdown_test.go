package digest

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"livechat-digest/livechat"
	"livechat-digest/livechat/sim"
)

// countedSim serves the simulator under a prefix and counts the requests
// that reach it; the builds share the answers of one firing, as a
// deployment's runs of a firing do.
func countedSim(t *testing.T, at time.Time, api livechat.API) (*livechat.Share, *atomic.Int64) {
	t.Helper()
	s, err := sim.New(sim.Options{Seed: 7, Login: "login", APIKey: "key", Now: func() time.Time { return at }})
	require.NoError(t, err)
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("/sim/", http.StripPrefix("/sim", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		s.ServeHTTP(w, r)
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := livechat.New(srv.URL+"/sim", "login", "key",
		livechat.WithRetry(1, time.Millisecond, time.Millisecond), livechat.WithRateLimit(rate.Inf, 1),
		livechat.WithAPI(api))
	require.NoError(t, err)
	sh := c.Firing(at)
	t.Cleanup(sh.Close)
	return sh, &n
}

// TestBreakdownEqualsFilteredDigests builds a job with a breakdown over the
// simulator and checks every entry against a separate digest of the same
// job with that one filter added: the numbers are equal, the requests are
// the ones BreakdownRequests counts, and the separate digests cost no
// request at all (they are the very same requests, answered from the
// firing's shared answers).
func TestBreakdownEqualsFilteredDigests(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	loc := mustLoc(t, "Europe/Warsaw")
	metrics := []string{"total_chats.chats", "chats_first_response_time.seconds", "chat_ratings.satisfaction"}
	for _, tt := range []struct {
		name   string
		period PeriodKind
		at     time.Time
		api    livechat.API
	}{
		{"last week", LastWeek, at, livechat.V2},
		{"today until 14:00", Today, at, livechat.V2},
		{"month to date", MonthToDate, at, livechat.V2},
		{"v3.6 last week", LastWeek, at, livechat.V36},
		{"v3.6 today until 14:00", Today, at, livechat.V36},
		{"v3.6 month to date", MonthToDate, at, livechat.V36},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, requests := countedSim(t, tt.at, tt.api)
			spec := Spec{
				Job: "support", Location: loc, Period: Period{Kind: tt.period}, Compare: PreviousPeriod, At: tt.at, API: tt.api,
				// The job's own filter stays under every entry.
				Filters: Filters{Tags: []string{"sales", "billing"}},
				Reports: []livechat.Report{livechat.TotalChats, livechat.ChatRatings, livechat.ChatsFirstResponseTime},
				Insight: DefaultInsight(),
				Breakdown: &Breakdown{
					By:     []Dimension{ByGroup, ByAgent},
					Groups: []Named{{"0", "General"}, {"1", "Sales"}, {"2", "Billing"}},
					// No chat_ranking in the job's reports: one ranking request.
					AgentsFromRanking: true, Top: 3,
					Metrics: metrics,
				},
			}
			d, err := Build(t.Context(), c, spec)
			require.NoError(t, err)
			require.Empty(t, d.Errors)

			// The main digest's requests, then the breakdown's.
			main := len(plan(spec.reports(tt.api), newWindow(spec.Period, d.Period, d.Compare, ElapsedAt(tt.at, loc)), spec.query(), tt.api))
			assert.Equal(t, int64(main+BreakdownRequests(spec)), requests.Load(), "requests")
			assert.Equal(t, (3+3)*3*requestsPerReport(spec.Period, PreviousPeriod, tt.api, livechat.TotalChats)+1, BreakdownRequests(spec))

			require.Len(t, d.Breakdown, len(metrics))
			for _, key := range metrics {
				entries := d.Breakdown[key]
				require.Len(t, entries, 6, key)
				for _, e := range entries {
					f := spec.Filters
					if e.By == ByGroup {
						f.Group = e.Key
					} else {
						f.Agent = e.Key
					}
					m, _ := LookupMetric(key)
					alone, err := Build(t.Context(), c, Spec{
						Job: "alone", Location: loc, Period: spec.Period, Compare: PreviousPeriod, At: tt.at, API: tt.api,
						Filters: f, Reports: []livechat.Report{m.Report},
					})
					require.NoError(t, err)
					want := alone.Metrics[key]
					assert.Equal(t, want.Current, e.Current, "%s %s %s current", key, e.By, e.Key)
					assert.Equal(t, want.Previous, e.Previous, "%s %s %s previous", key, e.By, e.Key)
					assert.Equal(t, want.ChangePct, e.ChangePct, "%s %s %s change_pct", key, e.By, e.Key)
					if e.Current != nil && e.Previous != nil {
						assert.NotEmpty(t, e.Verdict, "%s %s %s verdict", key, e.By, e.Key)
					}
				}
			}
			// And against the job itself: the simulator puts every chat in
			// one of its three groups, so the groups' chats add up to the
			// job's (a filter dropped on the way would give each group the
			// total).
			var cur, prev float64
			for _, e := range d.Breakdown["total_chats.chats"] {
				if e.By == ByGroup {
					cur, prev = cur+*e.Current, prev+*e.Previous
				}
			}
			total := d.Metrics["total_chats.chats"]
			assert.InDelta(t, *total.Current, cur, 1e-6, "groups add up to the total")
			assert.InDelta(t, *total.Previous, prev, 1e-6, "groups add up to the previous total")
			assert.Positive(t, *total.Current)

			// The separate digests were all answered from the firing's answers.
			assert.Equal(t, int64(main+BreakdownRequests(spec)), requests.Load(), "requests after the separate digests")

			// The agents are the top 3 of the chat ranking by chats.
			answer, err := c.Fetch(t.Context(), livechat.ChatRanking, livechat.Query{From: d.Period.From, To: d.Period.To, Tags: spec.Filters.Tags})
			require.NoError(t, err)
			entries, _ := rankEntries(answer.(livechat.Ranking))
			var agents []string
			for _, e := range d.Breakdown["total_chats.chats"] {
				if e.By == ByAgent {
					agents = append(agents, e.Key)
				}
			}
			var totals []int64
			for _, a := range agents {
				for _, r := range entries {
					if r.Agent == a {
						totals = append(totals, r.Total)
					}
				}
			}
			require.Len(t, totals, 3)
			for _, r := range entries {
				if !contains(agents, r.Agent) {
					assert.LessOrEqual(t, r.Total, min(totals[0], totals[1], totals[2]), "agent %s left out", r.Agent)
				}
			}
		})
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// TestBreakdownDefaultsToTheHeadline: without metrics, the headline's
// metrics are broken down, and each sentence says where most of it
// happened.
func TestBreakdownDefaultsToTheHeadline(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	c, _ := countedSim(t, at, livechat.V2)
	in := DefaultInsight()
	in.MinCount, in.MinChange, in.FDR = 0, 0, 0.5 // the simulator's small week needs a lenient test
	d, err := Build(t.Context(), c, Spec{
		Job: "support", Location: mustLoc(t, "Europe/Warsaw"), Period: Period{Kind: LastWeek}, Compare: PreviousPeriod, At: at,
		Insight:   in,
		Breakdown: &Breakdown{By: []Dimension{ByGroup}, Groups: []Named{{"0", "General"}, {"1", "Sales"}, {"2", "Billing"}}},
	})
	require.NoError(t, err)
	require.NotEmpty(t, d.Headline)
	var keys []string
	for _, h := range d.Headline {
		m, _ := LookupMetric(h.Metric)
		if Filterable(livechat.V2, m.Report, ByGroup) {
			keys = append(keys, h.Metric)
		}
	}
	assert.Len(t, d.Breakdown, len(keys))
	for _, k := range keys {
		assert.Len(t, d.Breakdown[k], 3, k)
	}
	for _, h := range d.Headline {
		if h.Most != nil {
			assert.Contains(t, h.Sentence, "; most in "+h.Most.Name+", ")
			assert.True(t, h.Most.Verdict.Significant())
		}
	}
}

func TestSortEntriesAndMostIn(t *testing.T) {
	t.Parallel()
	entry := func(name string, cur, prev float64, v Verdict) BreakdownEntry {
		val := compare(ptr(cur), ptr(prev))
		return BreakdownEntry{By: ByGroup, Key: name, Name: name, Current: val.Current, Previous: val.Previous, ChangePct: val.ChangePct, change: val.Change, Verdict: v}
	}
	chats, _ := LookupMetric("total_chats.chats")
	es := []BreakdownEntry{
		entry("Tiny", 10, 2, VerdictNeutral),     // +400%, +8 chats
		entry("Noise", 900, 500, VerdictNoise),   // a big move that did not pass
		entry("Sales", 900, 500, VerdictNeutral), // +80%, +400 chats
		entry("Down", 100, 200, VerdictNeutral),  // -50%, -100 chats
		entry("Zero", 0, 0, VerdictNoise),
	}
	sortEntries(chats, es)
	var names []string
	for _, e := range es {
		names = append(names, e.Name)
	}
	// Sums: real movers first, by the absolute change.
	assert.Equal(t, []string{"Sales", "Down", "Tiny", "Noise", "Zero"}, names)

	sat, _ := LookupMetric("chat_ratings.satisfaction")
	es = []BreakdownEntry{entry("A", 0.8, 0.9, VerdictWorse), entry("B", 0.5, 0.9, VerdictWorse), entry("C", 0.95, 0.9, VerdictBetter)}
	sortEntries(sat, es)
	assert.Equal(t, "B", es[0].Name, "rates by the relative change")

	d := &Digest{
		Metrics: map[string]Value{
			"total_chats.chats": compare(ptr(1500), ptr(1000)), "chat_ratings.satisfaction": compare(ptr(0.8), ptr(0.9)),
			"goals.goals": compare(ptr(12), ptr(0)), "greetings.goals": compare(ptr(12), ptr(10)),
		},
		Headline: []HeadlineItem{
			{Metric: "total_chats.chats", Sentence: "Chats rose 50% to 1,500"},
			{Metric: "chat_ratings.satisfaction", Sentence: "Chat satisfaction fell 10 pp to 80%, worse"},
			{Metric: "goals.goals", Sentence: "Goals reached rose from 0 to 12, better"},
			{Metric: "greetings.goals", Sentence: "Goals from greetings"},
			{Metric: "tickets_new.tickets", Sentence: "New tickets"},
		},
		Breakdown: map[string][]BreakdownEntry{
			"total_chats.chats":         {entry("Down", 100, 200, VerdictNeutral), entry("Sales", 900, 500, VerdictNeutral)},
			"chat_ratings.satisfaction": {entry("Up", 0.95, 0.9, VerdictBetter), entry("B", 0.5, 0.9, VerdictWorse)},
			"goals.goals":               {entry("G", 12, 0, VerdictBetter)},
			"greetings.goals":           {entry("Noise", 12, 6, VerdictNoise)},
		},
	}
	d.mostIn()
	assert.Equal(t, "Chats rose 50% to 1,500; most in Sales, +80%", d.Headline[0].Sentence, "the first real mover the same way")
	assert.Equal(t, "Sales", d.Headline[0].Most.Name)
	assert.Equal(t, "Chat satisfaction fell 10 pp to 80%, worse; most in B, -40 pp", d.Headline[1].Sentence, "rates in points, as the sentence")
	assert.Equal(t, "Goals reached rose from 0 to 12, better; most in G, from 0", d.Headline[2].Sentence, "from 0 without a percent")
	for _, h := range d.Headline[3:] {
		assert.NotContains(t, h.Sentence, "most in", "noise, or no breakdown")
		assert.Nil(t, h.Most)
	}
}

// TestMostInPerDay: over periods of different lengths the headline and its
// breakdown are judged on the rate per day, so "most in" picks the entry
// whose rate per day moved the headline's way (not its total) and says it
// per day: March to date (30.4 days) against February (28).
func TestMostInPerDay(t *testing.T) {
	t.Parallel()
	t1, t0 := 30+10.0/24, 28.0
	in := DefaultInsight()
	d := compared(t, "goals.goals", sideOf(Sum, count(28500)), sideOf(Sum, count(28000)))
	d.judge(in, t1, t0)
	d.Headline = headline(d, 3)
	require.Len(t, d.Headline, 1)
	entry := func(name string, cur, prev int64) BreakdownEntry {
		val := compare(ptr(float64(cur)), ptr(float64(prev)))
		a, ok := assess(metricOrCount("goals.goals"), sideOf(Sum, count(cur)), sideOf(Sum, count(prev)), t1, t0, in.MeanCV)
		require.True(t, ok)
		j := decide([]assessment{a}, in)[0]
		return BreakdownEntry{By: ByGroup, Key: name, Name: name, Current: val.Current, Previous: val.Previous, ChangePct: val.ChangePct,
			change: val.Change, Verdict: j.Verdict, Z: j.Z, Q: j.Q, RateChangePct: j.RateChangePct}
	}
	// Sales: more goals in all (+2.1%), fewer a day (-6.0%); Billing: more
	// in all and a day (+10.5% a day).
	sales, billing := entry("Sales", 14300, 14000), entry("Billing", 14200, 12000)
	require.Equal(t, VerdictWorse, sales.Verdict)
	require.Equal(t, VerdictBetter, billing.Verdict)
	d.Breakdown = map[string][]BreakdownEntry{"goals.goals": {billing, sales}}
	d.mostIn()
	assert.Equal(t, "Goals reached fell 6.3% a day to 28,500, worse; most in Sales, -6% a day", d.Headline[0].Sentence)
}

func TestBreakdownValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		b       Breakdown
		f       Filters
		wantErr string
	}{
		{"fine", Breakdown{By: []Dimension{ByGroup, ByAgent}, Metrics: []string{"total_chats.chats"}}, Filters{Tags: []string{"x"}}, ""},
		{"no dimension", Breakdown{}, Filters{}, "by names no dimension"},
		{"group over a group filter", Breakdown{By: []Dimension{ByGroup}}, Filters{Group: "2"}, "the job already filters group 2"},
		{"agent over an agent filter", Breakdown{By: []Dimension{ByAgent}}, Filters{Agent: "a@b"}, "the job already filters agent a@b"},
		{"unknown dimension", Breakdown{By: []Dimension{"tag"}}, Filters{}, `unknown dimension "tag"`},
		{"unknown metric", Breakdown{By: []Dimension{ByGroup}, Metrics: []string{"nope"}}, Filters{}, `unknown metric "nope"`},
		{"queue reports ignore agents", Breakdown{By: []Dimension{ByAgent}, Metrics: []string{"queued_visitors.abandonment_rate"}}, Filters{},
			"queued_visitors.abandonment_rate cannot be broken down by agent: report queued_visitors ignores the agent filter"},
		{"occupancy ignores groups", Breakdown{By: []Dimension{ByGroup}, Metrics: []string{"agents_occupancy.peak"}}, Filters{},
			"agents_occupancy.peak cannot be broken down by group"},
		{"queue reports take groups", Breakdown{By: []Dimension{ByGroup}, Metrics: []string{"queued_visitors.abandonment_rate"}}, Filters{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.b.validate(tt.f, livechat.V2)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
	// Build refuses a bad breakdown before any request.
	_, err := Build(t.Context(), nil, Spec{Job: "j", Location: time.UTC, Period: Period{Kind: LastWeek}, Breakdown: &Breakdown{}})
	assert.ErrorContains(t, err, "by names no dimension")
}

func TestFilterable(t *testing.T) {
	t.Parallel()
	assert.True(t, Filterable(livechat.V2, livechat.TotalChats, ByGroup))
	assert.True(t, Filterable(livechat.V2, livechat.TotalChats, ByAgent))
	assert.True(t, Filterable(livechat.V2, livechat.QueuedVisitors, ByGroup))
	assert.False(t, Filterable(livechat.V2, livechat.QueuedVisitors, ByAgent))
	assert.False(t, Filterable(livechat.V2, livechat.AgentsOccupancy, ByGroup))
	assert.False(t, Filterable(livechat.V2, livechat.TotalChats, "tag"))
	assert.False(t, Filterable(livechat.V2, "nope", ByGroup))
	// v3.6 reads the queue reports by agent too; unique visitors takes no filter.
	assert.True(t, Filterable(livechat.V36, livechat.QueuedVisitors, ByAgent))
	assert.False(t, Filterable(livechat.V36, livechat.UniqueVisitors, ByGroup))
	assert.False(t, Filterable(livechat.V36, livechat.AgentsOccupancy, ByGroup), "not on v3.6 at all")
}

func TestBreakdownRequests(t *testing.T) {
	t.Parallel()
	spec := func(p PeriodKind, b Breakdown) Spec {
		return Spec{Period: Period{Kind: p}, Compare: PreviousPeriod, Insight: DefaultInsight(), Breakdown: &b}
	}
	groups := []Named{{"1", "a"}, {"2", "b"}}
	two := []string{"total_chats.chats", "chat_ratings.good", "chat_ratings.bad"} // two reports
	tests := []struct {
		name string
		s    Spec
		want int
	}{
		{"none", Spec{}, 0},
		{"groups over a week", spec(LastWeek, Breakdown{By: []Dimension{ByGroup}, Groups: groups, Metrics: two}), 2 * 2},
		{"groups today", spec(Today, Breakdown{By: []Dimension{ByGroup}, Groups: groups, Metrics: two}), 2 * 2 * 2},
		{"groups month to date", spec(MonthToDate, Breakdown{By: []Dimension{ByGroup}, Groups: groups, Metrics: two}), 2 * 2 * 3},
		{"listed agents", spec(LastWeek, Breakdown{By: []Dimension{ByAgent}, Agents: []string{"a", "b", "c"}, Metrics: two}), 3 * 2},
		{"ranked agents", spec(LastWeek, Breakdown{By: []Dimension{ByAgent}, AgentsFromRanking: true, Top: 4, Metrics: two}), 4*2 + 1},
		{"ranked agents, default top", spec(LastWeek, Breakdown{By: []Dimension{ByAgent}, AgentsFromRanking: true, Metrics: two}), 5*2 + 1},
		{"only the reports that take the filter", spec(LastWeek, Breakdown{By: []Dimension{ByAgent}, Agents: []string{"a"}, Metrics: []string{"total_chats.chats", "queued_visitors.queued"}}), 1},
		// The headline's metrics: up to 3 reports of the 17 bucketed ones.
		{"headline metrics", spec(LastWeek, Breakdown{By: []Dimension{ByGroup}, Groups: groups}), 2 * 3},
		{"both", spec(LastWeek, Breakdown{By: []Dimension{ByGroup, ByAgent}, Groups: groups, AgentsFromRanking: true, Top: 2, Metrics: two}), 2*2 + 2*2 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, BreakdownRequests(tt.s))
		})
	}
	s := spec(LastWeek, Breakdown{By: []Dimension{ByAgent}, Agents: []string{"a"}})
	s.Reports = []livechat.Report{livechat.QueuedVisitors, livechat.TotalChats}
	s.Insight.Headline = 5
	assert.Equal(t, 1, BreakdownRequests(s), "the job's reports that take the filter, fewer than the headline")

	// v3.6 reads chatting time once per period: two requests for a week
	// compared with the week before, where total chats takes one.
	s = spec(LastWeek, Breakdown{By: []Dimension{ByGroup}, Groups: groups, Metrics: []string{"total_chats.chats", "chatting_time.hours"}})
	s.API = livechat.V36
	assert.Equal(t, 2*(1+2), BreakdownRequests(s))
	s.Breakdown.Metrics = nil
	s.Reports = []livechat.Report{livechat.TotalChats, livechat.ChattingTime, livechat.ChatRatings}
	s.Insight.Headline = 1
	assert.Equal(t, 2*2, BreakdownRequests(s), "the costliest report when the headline's are not known yet")
}
