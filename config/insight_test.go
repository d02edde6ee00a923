package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"livechat-digest/digest"
)

func TestInsight(t *testing.T) {
	t.Parallel()
	c, err := Parse("c.yaml", []byte(head+job+"    insight: {headline: 5, min_change: 0, min_count: 0, fdr: 0.01, mean_cv: 0.5}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(digest.Insight{Headline: 5, FDR: 0.01, MeanCV: 0.5}, c.Jobs[0].Insight); diff != "" {
		t.Errorf("insight (-want +got):\n%s", diff)
	}
	c, err = Parse("c.yaml", []byte(head+job+"    insight: {headline: 0}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := digest.DefaultInsight()
	want.Headline = 0
	if diff := cmp.Diff(want, c.Jobs[0].Insight); diff != "" {
		t.Errorf("insight (-want +got):\n%s", diff)
	}
	for _, src := range []string{head + job, head + job + "    insight:\n"} {
		c, err = Parse("c.yaml", []byte(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(digest.DefaultInsight(), c.Jobs[0].Insight); diff != "" {
			t.Errorf("default insight (-want +got):\n%s", diff)
		}
	}
}

func TestInsightErrors(t *testing.T) {
	t.Parallel()
	tests := []problemCase{
		{"headline negative", "    insight: {headline: -1}\n", []string{"c.yaml:10: jobs[0].insight.headline: -1 is out of range (0 to 20)"}},
		{"headline too long", "    insight: {headline: 21}\n", []string{"c.yaml:10: jobs[0].insight.headline: 21 is out of range (0 to 20)"}},
		{"min_change negative", "    insight: {min_change: -5}\n", []string{"c.yaml:10: jobs[0].insight.min_change: -5 is out of range (from 0 to 1000)"}},
		{"min_change not a number", "    insight: {min_change: 5%}\n", []string{"c.yaml:10: jobs[0].insight.min_change: expected a number, got \"5%\""}},
		{"min_count negative", "    insight: {min_count: -1}\n", []string{"c.yaml:10: jobs[0].insight.min_count: -1 is out of range (from 0 to 1e+09)"}},
		{"fdr zero", "    insight: {fdr: 0}\n", []string{"c.yaml:10: jobs[0].insight.fdr: 0 is out of range (above 0 below 1)"}},
		{"fdr one", "    insight: {fdr: 1}\n", []string{"c.yaml:10: jobs[0].insight.fdr: 1 is out of range (above 0 below 1)"}},
		{"fdr as percent", "    insight: {fdr: 5}\n", []string{"c.yaml:10: jobs[0].insight.fdr: 5 is out of range (above 0 below 1)"}},
		{"mean_cv zero", "    insight: {mean_cv: 0}\n", []string{"c.yaml:10: jobs[0].insight.mean_cv: 0 is out of range (above 0 to 100)"}},
		{"unknown key", "    insight: {alpha: 3}\n", []string{"c.yaml:10: unknown key \"alpha\" in jobs[0].insight (allowed: headline, min_change, min_count, fdr, mean_cv)"}},
		{"several at once", "    insight:\n      fdr: 2\n      mean_cv: -1\n", []string{
			"c.yaml:11: jobs[0].insight.fdr: 2 is out of range (above 0 below 1)",
			"c.yaml:12: jobs[0].insight.mean_cv: -1 is out of range (above 0 to 100)",
		}},
	}
	checkProblems(t, tests)
}

func TestInterval(t *testing.T) {
	t.Parallel()
	closed := interval{0, 1, false, false}
	open := interval{0, 1, true, true}
	for _, f := range []float64{0, 0.5, 1} {
		if !closed.contains(f) {
			t.Errorf("%v not in %v", f, closed)
		}
	}
	for _, f := range []float64{-0.1, 1.1} {
		if closed.contains(f) {
			t.Errorf("%v in %v", f, closed)
		}
	}
	for _, f := range []float64{0, 1, -1, 2} {
		if open.contains(f) {
			t.Errorf("%v in %v", f, open)
		}
	}
	if !open.contains(0.5) {
		t.Errorf("0.5 not in %v", open)
	}
}

func TestBreakdownConfig(t *testing.T) {
	t.Parallel()
	src := head + job + `    breakdown:
      by: [group, agent]
      groups: {1: General, 2: Sales}
      agents: [a@example.com, b@example.com]
      metrics: [total_chats.chats, chats_first_response_time.seconds]
`
	c, err := Parse("c.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Breakdown{Breakdown: digest.Breakdown{
		By:      []digest.Dimension{digest.ByGroup, digest.ByAgent},
		Groups:  []digest.Named{{Key: "1", Name: "General"}, {Key: "2", Name: "Sales"}},
		Agents:  []string{"a@example.com", "b@example.com"},
		Top:     digest.DefaultBreakdownTop,
		Metrics: []string{"total_chats.chats", "chats_first_response_time.seconds"},
	}, MaxRequests: DefaultMaxRequests, Line: 10}
	if diff := cmp.Diff(want, c.Jobs[0].Breakdown); diff != "" {
		t.Errorf("breakdown (-want +got):\n%s", diff)
	}

	c, err = Parse("c.yaml", []byte(head+job+"    breakdown: {by: [agent], top: 3}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Jobs[0].Breakdown; !b.AgentsFromRanking || b.Top != 3 || b.Metrics != nil {
		t.Errorf("agents default to the ranking: %+v", b)
	}
}

func TestBreakdownConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []problemCase{
		{"by required", "    breakdown: {groups: {1: a}}\n", []string{"c.yaml:10: jobs[0].breakdown: by is required (group, agent or both)"}},
		{"by empty", "    breakdown: {by: []}\n", []string{"c.yaml:10: jobs[0].breakdown.by: empty; give group, agent or both"}},
		{"unknown dimension", "    breakdown: {by: [tag]}\n", []string{"c.yaml:10: jobs[0].breakdown.by: unknown dimension \"tag\" (want group or agent)"}},
		{"dimension twice", "    breakdown: {by: [agent, agent]}\n", []string{"c.yaml:10: jobs[0].breakdown.by: agent listed twice"}},
		{"group without groups", "    breakdown: {by: [group]}\n", []string{"c.yaml:10: jobs[0].breakdown: by group needs groups, e.g. groups: {1: General, 2: Sales}"}},
		{"groups empty", "    breakdown: {by: [group], groups: {}}\n", []string{"c.yaml:10: jobs[0].breakdown: by group needs groups, e.g. groups: {1: General, 2: Sales}"}},
		{"groups without group", "    breakdown: {by: [agent], groups: {1: a}}\n", []string{"c.yaml:10: jobs[0].breakdown: groups are given but by does not list group"}},
		{"agents without agent", "    breakdown: {by: [group], groups: {1: a}, agents: ranking}\n", []string{"c.yaml:10: jobs[0].breakdown: agents are given but by does not list agent"}},
		{"group id not a number", "    breakdown: {by: [group], groups: {sales: Sales}}\n", []string{
			"c.yaml:10: jobs[0].breakdown.groups: expected a group id (a whole number), got \"sales\"",
			"c.yaml:10: jobs[0].breakdown: by group needs groups, e.g. groups: {1: General, 2: Sales}",
		}},
		{"group name empty", "    breakdown: {by: [group], groups: {1: , 2: b}}\n", []string{"c.yaml:10: jobs[0].breakdown.groups.1: empty; give the group's name"}},
		{"group twice", "    breakdown:\n      by: [group]\n      groups: {1: a, 01: b, 1: c}\n", []string{"c.yaml:12: jobs[0].breakdown.groups: group 1 listed twice"}},
		{"agents not ranking", "    breakdown: {by: [agent], agents: top}\n", []string{"c.yaml:10: jobs[0].breakdown.agents: expected ranking or a list of logins, got \"top\""}},
		{"agents empty", "    breakdown: {by: [agent], agents: []}\n", []string{"c.yaml:10: jobs[0].breakdown.agents: empty; give logins, or ranking"}},
		{"top out of range", "    breakdown: {by: [agent], top: 0}\n", []string{"c.yaml:10: jobs[0].breakdown.top: 0 is out of range (1 to 50)"}},
		{"unknown metric", "    breakdown: {by: [agent], metrics: [total_chats.chat]}\n", []string{"c.yaml:10: jobs[0].breakdown.metrics: unknown metric \"total_chats.chat\" (total_chats has: total_chats.chats)"}},
		{"metrics empty", "    breakdown: {by: [agent], metrics: []}\n", []string{"c.yaml:10: jobs[0].breakdown.metrics: empty; leave the key out for the headline's metrics"}},
		// v2 queue reports take no agent: every agent's row would be the total.
		{"a report that ignores the filter", "    breakdown:\n      by: [group, agent]\n      groups: {1: a}\n      metrics: [queued_visitors.abandonment_rate, agents_occupancy.peak]\n", []string{
			"c.yaml:13: job \"daily\": breakdown metric queued_visitors.abandonment_rate cannot be broken down by agent: report queued_visitors ignores the agent filter",
			"c.yaml:13: job \"daily\": breakdown metric agents_occupancy.peak cannot be broken down by group: report agents_occupancy ignores the group filter",
			"c.yaml:13: job \"daily\": breakdown metric agents_occupancy.peak cannot be broken down by agent: report agents_occupancy ignores the agent filter",
		}},
		{"a report the job does not fetch", "    reports: [total_chats]\n    breakdown: {by: [agent], metrics: [chat_ratings.good]}\n", []string{
			"c.yaml:11: job \"daily\": breakdown metric chat_ratings.good needs report chat_ratings, which the job's reports do not list",
		}},
		{"needs a comparison", "    compare: none\n    breakdown: {by: [agent]}\n", []string{
			"c.yaml:11: job \"daily\": a breakdown says where a change came from and needs a comparison, but compare is none",
		}},
		{"group over the job's group", "    filters: {group: 2}\n    breakdown: {by: [group], groups: {1: a}}\n", []string{
			"c.yaml:11: job \"daily\": breakdown by group, but the job's filters already fix group 2",
		}},
		{"agent over the job's agent", "    filters: {agent: a@b}\n    breakdown:\n      by: [agent]\n", []string{
			"c.yaml:12: job \"daily\": breakdown by agent, but the job's filters already fix agent a@b",
		}},
		// 10 agents × 3 headline reports × 3 requests (month to date) + the ranking = 91.
		{"too many requests", "    period: month_to_date\n    breakdown: {by: [agent], top: 10, max_requests: 90}\n", []string{
			"c.yaml:11: job \"daily\": the breakdown makes up to 91 requests a run, over max_requests 90: fewer groups, agents (top) or metrics, or raise max_requests",
		}},
		{"max_requests out of range", "    breakdown: {by: [agent], max_requests: 0}\n", []string{"c.yaml:10: jobs[0].breakdown.max_requests: 0 is out of range (1 to 10000)"}},
	}
	checkProblems(t, tests)
	// On v3.6 the queue reports take the agent filter.
	v36 := strings.Replace(head, "  base_url: builtin\n", "  base_url: builtin\n  api: \"3.6\"\n", 1)
	if p := problems(t, v36+job+"    breakdown: {by: [agent], metrics: [queued_visitors.abandonment_rate]}\n", nil); p != nil {
		t.Errorf("v3.6 queue by agent: %v", p)
	}
	// Just fits: 91 requests under max_requests 91.
	if p := problems(t, head+job+"    period: month_to_date\n    breakdown: {by: [agent], top: 10, max_requests: 91}\n", nil); p != nil {
		t.Errorf("problems: %v", p)
	}
}

func TestAnomalyConfig(t *testing.T) {
	t.Parallel()
	c, err := Parse("c.yaml", []byte(head+job+"    period: yesterday\n    thresholds:\n      - {metric: total_chats.chats, anomaly: {weeks: 4, z: 2.5}}\n      - {metric: chats_first_response_time.seconds, anomaly: {}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []*Anomaly{c.Jobs[0].Thresholds[0].Anomaly, c.Jobs[0].Thresholds[1].Anomaly}
	if diff := cmp.Diff([]*Anomaly{{Weeks: 4, Z: 2.5}, {Weeks: 8, Z: 3}}, got); diff != "" {
		t.Errorf("anomaly (-want +got):\n%s", diff)
	}

	tests := []problemCase{
		{"weeks too few", "    thresholds: [{metric: total_chats.chats, anomaly: {weeks: 2}}]\n", []string{"c.yaml:10: jobs[0].thresholds[0].anomaly.weeks: 2 is out of range (3 to 52)"}},
		{"z not positive", "    thresholds: [{metric: total_chats.chats, anomaly: {z: 0}}]\n", []string{"c.yaml:10: jobs[0].thresholds[0].anomaly.z: 0 is out of range (above 0 to 100)"}},
		{"with another bound", "    thresholds:\n      - {metric: total_chats.chats, above: 3,\n         anomaly: {}}\n", []string{
			"c.yaml:12: jobs[0].thresholds[0]: has 2 bounds (above, anomaly); give one, and a second threshold for a range",
		}},
		{"month to date", "    period: month_to_date\n    thresholds: [{metric: total_chats.chats, anomaly: {}}]\n", []string{
			"c.yaml:11: job \"daily\": an anomaly threshold compares with the same period in earlier weeks, which period month_to_date does not have; use today, yesterday, last_7_days or last_week",
		}},
		{"last month", "    period: last_month\n    thresholds: [{metric: total_chats.chats, anomaly: {}}]\n", []string{
			"c.yaml:11: job \"daily\": an anomaly threshold compares with the same period in earlier weeks, which period last_month does not have; use today, yesterday, last_7_days or last_week",
		}},
		{"no daily series", "    thresholds: [{metric: agents_occupancy.peak, anomaly: {}}]\n", []string{
			"c.yaml:10: job \"daily\": an anomaly threshold on agents_occupancy.peak needs a daily series, which report agents_occupancy does not give",
		}},
		{"unknown key", "    thresholds: [{metric: total_chats.chats, anomaly: {days: 3}}]\n", []string{
			"c.yaml:10: unknown key \"days\" in jobs[0].thresholds[0].anomaly (allowed: weeks, z)",
		}},
	}
	checkProblems(t, tests)
	// v3.6 reads chatting time per period: no daily series there.
	v36 := strings.Replace(head, "  base_url: builtin\n", "  base_url: builtin\n  api: \"3.6\"\n", 1)
	want := []string{"c.yaml:11: job \"daily\": an anomaly threshold on chatting_time.hours needs a daily series, which report chatting_time does not give"}
	if diff := cmp.Diff(want, problems(t, v36+job+"    thresholds: [{metric: chatting_time.hours, anomaly: {}}]\n", nil)); diff != "" {
		t.Errorf("v3.6 problems (-want +got):\n%s", diff)
	}
}

// problemCase is a job's extra lines and the problems they give.
type problemCase struct {
	name string
	src  string // appended to head + job
	want []string
}

func checkProblems(t *testing.T, tests []problemCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, problems(t, head+job+tt.src, nil)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSendConfig(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"": SendAlways, "    send: always\n": SendAlways, "    send: changes\n": SendChanges,
		"    send: breaches\n    thresholds: [{metric: total_chats.chats, above: 1}]\n": SendBreaches,
	} {
		c, err := Parse("c.yaml", []byte(head+job+src), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Jobs[0].Send; got != want {
			t.Errorf("%q: send %q, want %q", src, got, want)
		}
	}
	checkProblems(t, []problemCase{
		{"unknown rule", "    send: weekly\n", []string{"c.yaml:10: jobs[0].send: unknown send rule \"weekly\" (want always, changes or breaches)"}},
		{"breaches without thresholds", "    send: breaches\n", []string{
			"c.yaml:10: job \"daily\": send: breaches sends the digest when a threshold breaches, but the job has no thresholds: it would never send",
		}},
	})
	// An alert-only job sends no digest to hold back.
	src := head + "  - name: watch\n    schedule: \"0 9 * * *\"\n    thresholds: [{metric: total_chats.chats, above: 1}]\n    alerts: {email: {to: [a@example.com]}}\n    send: changes\n"
	want := []string{"c.yaml:11: job \"watch\": send: changes decides when the digest goes out, but the job sends no digest (no email or slack)"}
	if diff := cmp.Diff(want, problems(t, src, nil)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
