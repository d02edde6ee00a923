package templates

import (
	"time"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// samples are the data New executes each template against: one with every
// optional part present and one with none, so that a replacement template
// that names a missing field fails in New.
func samples(name string) []any {
	switch name {
	case alertText, alertHTML:
		v := 75.2
		e := AlertEvent{
			Job: "sample", Metric: "chats_first_response_time.seconds", Rule: "above 60", Value: &v,
			Threshold: 60, Period: digest.DateRange{From: sampleDay, To: sampleDay.AddDays(6)},
			Timezone: "UTC", State: StateFiring, Since: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
			Previous: &v, RunbookURL: "https://wiki.example.com/runbook", DashboardURL: "https://grafana.example.com/d/frt",
		}
		resolved := AlertEvent{Job: e.Job, Metric: e.Metric, Rule: e.Rule, Threshold: e.Threshold, Period: e.Period,
			State: StateResolved, Duration: time.Hour}
		return []any{newAlertView(e), newAlertView(resolved)}
	case alertGroupHTML:
		v := 75.2
		e := AlertEvent{
			Job: "sample", Metric: "chats_first_response_time.seconds", Rule: "above 60", Value: &v, Previous: &v,
			Threshold: 60, Period: digest.DateRange{From: sampleDay, To: sampleDay.AddDays(6)}, Timezone: "UTC",
			State: StateFiring, Since: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Duration: time.Hour,
			RunbookURL: "https://wiki.example.com/runbook", DashboardURL: "https://grafana.example.com/d/frt",
		}
		resolved := e
		resolved.State = StateResolved
		full := AlertGroup{Job: "sample", Firing: []AlertEvent{e}, Reminders: []AlertEvent{e}, Resolved: []AlertEvent{resolved}}
		return []any{newGroupView(full), newGroupView(AlertGroup{Job: "sample"})}
	}
	return []any{newDigestView(sampleDigest()), newDigestView(&digest.Digest{})}
}

var sampleDay = livechat.Date{Year: 2026, Month: time.November, Day: 16}

func sampleDigest() *digest.Digest {
	f := func(x float64) *float64 { return &x }
	week := digest.DateRange{From: sampleDay, To: sampleDay.AddDays(6)}
	prev := digest.DateRange{From: sampleDay.AddDays(-7), To: sampleDay.AddDays(-1)}
	return &digest.Digest{
		Job: "sample", Timezone: "UTC", Period: week, Compare: &prev,
		Metrics: map[string]digest.Value{
			"total_chats.chats":                 {Current: f(700), Previous: f(560), Change: f(140), ChangePct: f(25)},
			"chats_first_response_time.seconds": {Current: f(75.2)},
		},
		Rankings: digest.Rankings{Chats: []digest.RankEntry{{Agent: "a@example.com", Good: 2, Bad: 1, Total: 3, Score: 0.667}}},
		Breaches: []digest.Breach{{Metric: "chats_first_response_time.seconds", Rule: "above 60", Value: 75.2, Threshold: 60}},
		Errors:   []digest.ReportError{{Report: "greetings", Error: "upstream 503"}},
		Daily: map[string]digest.DailySeries{dailyChats: {
			Days: []livechat.Date{sampleDay}, Current: []*float64{f(100)}, Previous: []*float64{f(80)},
		}},
		Filters: digest.Filters{Group: "2", Tags: []string{"sales"}},
	}
}
