package templates

import (
	"fmt"
	"strings"
	"time"

	"livechat-digest/digest"
)

// AlertEvent is one change of a threshold's state, as the alert messages
// tell it: a threshold started breaching ("firing") or stopped ("resolved").
type AlertEvent struct {
	Job       string
	Metric    string // a catalogue key, e.g. "chats_first_response_time.seconds"
	Rule      string // "above 60", "change_pct_below -20"
	Value     *float64
	Threshold float64
	Period    digest.DateRange
	Timezone  string
	State     string    // "firing" or "resolved"
	Since     time.Time // when the threshold started breaching
	// Duration is how long a resolved alert lasted, or how long a
	// reminded one has been firing.
	Duration time.Duration
	// Previous is the value at the run before this one, shown with a
	// firing; nil when unknown.
	Previous *float64
	// RunbookURL and DashboardURL are the threshold's links (config).
	RunbookURL, DashboardURL string
	// Anomaly is set for an anomaly threshold evaluated by this run: the
	// messages say "3.4× the usual Monday".
	Anomaly *digest.AnomalyScore
}

// Alert states.
const (
	StateFiring   = "firing"
	StateResolved = "resolved"
)

// alertView is what the alert templates see.
type alertView struct {
	Job       string
	Metric    string
	Label     string
	Firing    bool
	State     string // "FIRING" or "RESOLVED"
	Value     string
	Rule      string
	Threshold string
	Period    string
	Timezone  string
	Since     string // "2026-11-24 09:00 EST", "" when unknown
	Duration  string // "2h 15m", resolved alerts only
	Summary   string // "weekly-support: First response time 75.2 s — above 60.0 s"
	// Previous is the value at the run before, for a firing ("" when
	// unknown); RunbookURL and DashboardURL are the threshold's links.
	Previous                 string
	RunbookURL, DashboardURL string
}

func newAlertView(e AlertEvent) *alertView {
	b := newBreachView(e.Metric, e.Rule, e.Value, e.Threshold)
	if e.Anomaly != nil {
		b = anomalyView(e.Metric, *e.Anomaly, e.Threshold)
	}
	v := &alertView{
		Job:       oneLine(e.Job),
		Metric:    b.Metric,
		Label:     b.Label,
		Firing:    e.State != StateResolved,
		Value:     b.Value,
		Rule:      b.Rule,
		Threshold: b.Threshold,
		Period:    RangeString(e.Period),
		Timezone:  oneLine(e.Timezone),
		// URLs: html/template escapes and filters them in attributes.
		RunbookURL:   oneLine(e.RunbookURL),
		DashboardURL: oneLine(e.DashboardURL),
	}
	if v.Firing && e.Previous != nil {
		v.Previous = newBreachView(e.Metric, e.Rule, e.Previous, e.Threshold).Value
	}
	v.State = "FIRING"
	if !v.Firing {
		v.State = "RESOLVED"
		v.Duration = humanDuration(e.Duration)
	}
	if !e.Since.IsZero() {
		t := e.Since
		// LoadLocation reads the zone database; a name that does not load
		// leaves the instant in the zone it came with.
		if loc, err := time.LoadLocation(e.Timezone); err == nil && e.Timezone != "" {
			t = t.In(loc)
		}
		v.Since = t.Format("2006-01-02 15:04 MST")
	}
	if v.Firing {
		v.Summary = fmt.Sprintf("%s: %s %s — %s %s", v.Job, v.Label, v.Value, v.Rule, v.Threshold)
	} else {
		v.Summary = fmt.Sprintf("%s: %s %s — no longer %s %s", v.Job, v.Label, v.Value, v.Rule, v.Threshold)
	}
	return v
}

// humanDuration shows a duration the way people say it: "45s", "2h 15m",
// "3d 4h".
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	}
	d = d.Round(time.Minute)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, mins := d/time.Hour, (d%time.Hour)/time.Minute
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%dd", days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%dh", hours))
	}
	if mins > 0 && days == 0 {
		parts = append(parts, fmt.Sprintf("%dm", mins))
	}
	if len(parts) == 0 {
		return "0m"
	}
	return strings.Join(parts, " ")
}

// AlertSubject is a one-line subject for an alert email:
// "[FIRING] weekly-support: First response time 75.2 s — above 60.0 s".
func (r *Renderer) AlertSubject(e AlertEvent) string {
	v := newAlertView(e)
	return "[" + v.State + "] " + v.Summary
}

// AlertText renders e as plain text, for email bodies and logs. It cannot
// fail: should a replacement template fail on this event, the built-in
// one-line summary is returned instead.
func (r *Renderer) AlertText(e AlertEvent) string {
	v := newAlertView(e)
	b, err := r.execute(alertText, v)
	if err != nil {
		return "[" + v.State + "] " + v.Summary + "\n"
	}
	return string(b)
}

// AlertHTML renders e as an HTML email body.
func (r *Renderer) AlertHTML(e AlertEvent) (string, error) {
	b, err := r.execute(alertHTML, newAlertView(e))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// AlertSlack renders e as a Slack message: a rich_text block with the news
// (the job name, the threshold's label and rule are data, so they are text
// elements Slack never formats) and a plain_text context line with the
// period and times.
func (r *Renderer) AlertSlack(e AlertEvent) (Slack, error) {
	v := newAlertView(e)
	icon, verb := "rotating_light", "Firing"
	if !v.Firing {
		icon, verb = "white_check_mark", "Resolved"
	}
	head := []richInline{emoji(icon), txt(" "), bold(verb), txt(" · " + truncate(v.Job, maxListLine))}
	var news []richInline
	if v.Firing {
		news = []richInline{txt(truncate(v.Label, maxListLine) + " is "), bold(v.Value), txt(" — " + truncate(v.Rule, maxListLine) + " " + v.Threshold)}
	} else {
		news = []richInline{txt(truncate(v.Label, maxListLine) + " is back to "), bold(v.Value), txt(" — no longer " + truncate(v.Rule, maxListLine) + " " + v.Threshold)}
	}
	ctx := []string{"Period " + v.Period}
	if v.Timezone != "" {
		ctx = append(ctx, v.Timezone)
	}
	if v.Since != "" {
		ctx = append(ctx, "since "+v.Since)
	}
	if v.Duration != "" {
		ctx = append(ctx, "lasted "+v.Duration)
	}
	ctx = append(ctx, v.Metric)
	blocks := []block{
		richBlock(richSection(append(append(head, txt("\n")), news...)...)),
		context(plainData(truncate(strings.Join(ctx, " · "), maxSectionText))),
	}
	return newSlack(plainFallback("["+v.State+"] "+v.Summary), blocks)
}
