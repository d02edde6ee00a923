package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// alertJob is a job with thresholds and alerts; the test appends to its
// alerts mapping from line 11 on.
const alertJob = `  - name: a
    schedule: "0 9 * * *"
    thresholds: [{metric: goals.goals, below: 1}]
    alerts:
      email: {to: [a@example.com]}
`

func TestAlertsActiveHoursAndLinks(t *testing.T) {
	t.Parallel()
	c, err := Parse("c.yaml", []byte(head+alertJob+`      active_hours:
        - {weekdays: [mon-fri], times: ["08:00-12:00", "13:00-17:00"]}
        - {weekdays: [sat], times: ["22:00-06:00"]}
        - {times: ["10:00-11:00"]}
      repeat_every: 90m
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Jobs[0].Alerts
	if len(a.ActiveHours) != 3 || a.RepeatEvery.String() != "1h30m0s" {
		t.Fatalf("active hours %v, repeat %v", a.ActiveHours, a.RepeatEvery)
	}
	if got := a.ActiveHours[1].Times[0].String(); got != "22:00-06:00" {
		t.Errorf("past midnight: %s", got)
	}
	if !a.ActiveHours[2].Days[0] || !a.ActiveHours[2].Days[6] {
		t.Errorf("no weekdays is every day: %v", a.ActiveHours[2].Days)
	}
}

func TestAlertsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      []string
	}{
		{"bad weekday and time", alertJob + "      active_hours: [{weekdays: [mon-fry, sun], times: [\"8-9\"]}]\n", []string{
			`c.yaml:12: jobs[0].alerts.active_hours[0].weekdays: weekday "mon-fry": want mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri`,
			`c.yaml:12: jobs[0].alerts.active_hours[0].times: times "8-9": start "8" is not a time of day (00:00 to 23:59)`,
		}},
		{"not a mapping", alertJob + "      active_hours: [mon-fri]\n", []string{
			`c.yaml:12: jobs[0].alerts.active_hours[0]: expected a mapping such as {weekdays: [mon-fri], times: ["08:00-18:00"]}, got a string`,
		}},
		{"unknown key", alertJob + "      active_hours: [{days: [mon]}]\n", nil},
		{"short repeat", alertJob + "      repeat_every: 30s\n", []string{
			`c.yaml:12: jobs[0].alerts.repeat_every: must be at least 1m0s`,
		}},
		{"bad link", "  - name: a\n    schedule: \"0 9 * * *\"\n    thresholds: [{metric: goals.goals, below: 1, runbook_url: \"javascript:alert(1)\"}]\n    alerts: {email: {to: [a@example.com]}}\n", []string{
			`c.yaml:9: jobs[0].thresholds[0].runbook_url: expected an http(s) URL, got "javascript:alert(1)"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := problems(t, head+tt.src, nil)
			if tt.want == nil {
				if len(got) != 1 || !strings.Contains(got[0], "days") {
					t.Errorf("want one unknown-key problem, got %q", got)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
