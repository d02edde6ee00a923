package templates

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"livechat-digest/digest"
)

// AlertGroup is everything one run of one job (or the release of held
// firings) tells one target: new firings, reminders of firings still going
// on, and resolves. It is rendered as one message, not one per threshold.
type AlertGroup struct {
	Job       string
	Firing    []AlertEvent
	Reminders []AlertEvent // State "firing"; Duration is how long so far
	Resolved  []AlertEvent
}

// Len is the number of lines of g.
func (g AlertGroup) Len() int { return len(g.Firing) + len(g.Reminders) + len(g.Resolved) }

// Silence button actions of a Slack alert post; the interactions endpoint
// reads them back.
const (
	ActionSilenceHour     = "silence_1h"
	ActionSilenceTomorrow = "silence_tomorrow"
)

// groupState is the subject prefix of a group: FIRING while anything in it
// fires, else RESOLVED.
func (g AlertGroup) groupState() string {
	if len(g.Firing)+len(g.Reminders) > 0 {
		return "FIRING"
	}
	return "RESOLVED"
}

// counts says what g holds: "2 firing, 1 still firing, 1 resolved".
func (g AlertGroup) counts() string {
	var parts []string
	if n := len(g.Firing); n > 0 {
		parts = append(parts, fmt.Sprintf("%d firing", n))
	}
	if n := len(g.Reminders); n > 0 {
		parts = append(parts, fmt.Sprintf("%d still firing", n))
	}
	if n := len(g.Resolved); n > 0 {
		parts = append(parts, fmt.Sprintf("%d resolved", n))
	}
	return strings.Join(parts, ", ")
}

// AlertGroupSubject is the email subject of g: one alert reads as
// AlertSubject does; several as "[FIRING] job: 2 firing, 1 resolved".
func (r *Renderer) AlertGroupSubject(g AlertGroup) string {
	if g.Len() == 1 && len(g.Reminders) == 0 {
		return r.AlertSubject(g.only())
	}
	if g.Len() == 1 {
		v := newAlertView(g.Reminders[0])
		return "[FIRING] " + v.Job + ": still " + strings.TrimPrefix(v.Summary, v.Job+": ")
	}
	return "[" + g.groupState() + "] " + oneLine(g.Job) + ": " + g.counts()
}

// AlertGroupTitle is the part of a subject after the state, for a job's
// own alerts.email.subject: "2 firing, 1 resolved".
func (g AlertGroup) AlertGroupTitle() string { return g.counts() }

// GroupState is "[FIRING] " or "[RESOLVED] ", how every alert subject starts.
func (g AlertGroup) GroupState() string { return "[" + g.groupState() + "] " }

// single reports whether g reads as the single-alert templates: one new
// firing or one resolve, from a run (a release has no period to show).
func (g AlertGroup) single() bool {
	return g.Len() == 1 && len(g.Reminders) == 0 && g.only().Period != (digest.DateRange{})
}

func (g AlertGroup) only() AlertEvent {
	switch {
	case len(g.Firing) == 1:
		return g.Firing[0]
	case len(g.Resolved) == 1:
		return g.Resolved[0]
	}
	return g.Reminders[0]
}

// AlertGroupText renders g as plain text: a section per kind, each alert as
// AlertText writes it. One new firing or one resolve alone is AlertText.
func (r *Renderer) AlertGroupText(g AlertGroup) string {
	if g.single() {
		return r.AlertText(g.only()) + extraText(g.only())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s: %s\n", g.groupState(), oneLine(g.Job), g.counts())
	section := func(title string, es []AlertEvent) {
		if len(es) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n== %s ==\n", title)
		for _, e := range es {
			text := strings.TrimRight(r.AlertText(e), "\n")
			if e.Period == (digest.DateRange{}) {
				// A released firing has no period of its own.
				var keep []string
				for _, l := range strings.Split(text, "\n") {
					if !strings.HasPrefix(l, "Period ") {
						keep = append(keep, l)
					}
				}
				text = strings.Join(keep, "\n")
			}
			b.WriteString("\n" + text + "\n" + extraText(e))
		}
	}
	section("Firing", g.Firing)
	section("Still firing", g.Reminders)
	section("Resolved", g.Resolved)
	return b.String()
}

// extraText is what a firing adds below its AlertText: the previous run's
// value, how long a reminded one has been firing, and the links.
func extraText(e AlertEvent) string {
	var b strings.Builder
	v := newAlertView(e)
	if v.Firing {
		if e.Duration > 0 {
			fmt.Fprintf(&b, "Firing    for %s\n", humanDuration(e.Duration))
		}
		if e.Previous != nil {
			fmt.Fprintf(&b, "Previous  %s\n", newBreachView(e.Metric, e.Rule, e.Previous, e.Threshold).Value)
		}
	}
	if e.RunbookURL != "" {
		fmt.Fprintf(&b, "Runbook   %s\n", oneLine(e.RunbookURL))
	}
	if e.DashboardURL != "" {
		fmt.Fprintf(&b, "Dashboard %s\n", oneLine(e.DashboardURL))
	}
	return b.String()
}

// groupView is what alert-group.html.tmpl sees.
type groupView struct {
	Title    string // "FIRING: weekly-support — 2 firing, 1 resolved"
	Sections []groupSection
}

// groupSection is one kind of line: "Firing", "Still firing", "Resolved".
type groupSection struct {
	Name, Color string
	Lines       []groupLine
}

// groupLine is one alert of a group in words (lineNews).
type groupLine struct {
	Label, News, Detail string
	Runbook, Dashboard  string
}

func newGroupView(g AlertGroup) groupView {
	v := groupView{Title: g.groupState() + ": " + oneLine(g.Job) + " — " + g.counts()}
	add := func(name, color string, es []AlertEvent) {
		if len(es) == 0 {
			return
		}
		s := groupSection{Name: name, Color: color}
		for _, e := range es {
			s.Lines = append(s.Lines, lineNews(e))
		}
		v.Sections = append(v.Sections, s)
	}
	add("Firing", "#cf222e", g.Firing)
	add("Still firing", "#9a6700", g.Reminders)
	add("Resolved", "#1a7f37", g.Resolved)
	return v
}

// lineNews is one line of a group in words: "is 75.2 s — above 60.0 s" and
// the details that go under it.
func lineNews(e AlertEvent) groupLine {
	v := newAlertView(e)
	l := groupLine{Label: v.Label, Runbook: e.RunbookURL, Dashboard: e.DashboardURL}
	var detail []string
	if v.Firing {
		l.News = "is " + v.Value + " — " + v.Rule + " " + v.Threshold
		if v.Since != "" {
			detail = append(detail, "since "+v.Since)
		}
		if e.Duration > 0 {
			detail = append(detail, "firing for "+humanDuration(e.Duration))
		}
		if e.Previous != nil {
			detail = append(detail, "was "+newBreachView(e.Metric, e.Rule, e.Previous, e.Threshold).Value+" at the previous run")
		}
	} else {
		l.News = "is back to " + v.Value + " — no longer " + v.Rule + " " + v.Threshold
		if v.Duration != "" {
			detail = append(detail, "lasted "+v.Duration)
		}
	}
	if e.Period != (digest.DateRange{}) {
		detail = append(detail, "period "+v.Period)
	}
	l.Detail = strings.Join(detail, " · ")
	return l
}

// AlertGroupHTML renders g as an HTML email body with alert-group.html.tmpl.
// One new firing or one resolve of a run alone is AlertHTML
// (alert.html.tmpl), like the text.
func (r *Renderer) AlertGroupHTML(g AlertGroup) (string, error) {
	if g.single() {
		return r.AlertHTML(g.only())
	}
	b, err := r.execute(alertGroupHTML, newGroupView(g))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// slackLine is one alert as a rich text section: the label and the news,
// then details and links on the next line.
func slackLine(icon string, e AlertEvent) richPart {
	l := lineNews(e)
	inl := []richInline{emoji(icon), txt(" "), bold(truncate(l.Label, maxListLine)), txt(" " + truncate(l.News, maxListLine) + "\n" + truncate(l.Detail, maxListLine))}
	if l.Runbook != "" {
		inl = append(inl, txt(" · "), link(l.Runbook, "Runbook"))
	}
	if l.Dashboard != "" {
		inl = append(inl, txt(" · "), link(l.Dashboard, "Dashboard"))
	}
	return richSection(inl...)
}

// SlackButtons are the silence buttons of an alert post: Value goes back
// to the interactions endpoint as it is.
type SlackButtons struct {
	Value string
}

func buttons(b *SlackButtons) block {
	btn := func(action, text string) any {
		return map[string]any{"type": "button", "action_id": action, "value": b.Value, "text": plain(text)}
	}
	return block{Type: "actions", Elements: []any{
		btn(ActionSilenceHour, "Silence 1h"),
		btn(ActionSilenceTomorrow, "Silence until 09:00 tomorrow"),
	}}
}

// AlertPostSlack renders the Slack post that announces g's firings (it
// carries only firings: reminders and resolves go to its thread), with the
// silence buttons when b is set.
func (r *Renderer) AlertPostSlack(g AlertGroup, b *SlackButtons) (Slack, error) {
	parts := []richPart{richSection(emoji("rotating_light"), txt(" "), bold("Firing"), txt(" · "+truncate(oneLine(g.Job), maxListLine)))}
	for _, e := range g.Firing {
		parts = append(parts, slackLine("small_red_triangle", e))
	}
	blocks := []block{richBlock(parts...)}
	if len(g.Firing) > 0 && g.Firing[0].Period != (digest.DateRange{}) {
		v := newAlertView(g.Firing[0])
		ctx := "Period " + v.Period
		if v.Timezone != "" {
			ctx += " · " + v.Timezone
		}
		blocks = append(blocks, context(plainData(truncate(ctx, maxSectionText))))
	}
	if b != nil {
		blocks = append(blocks, buttons(b))
	}
	return newSlack(plainFallback("[FIRING] "+oneLine(g.Job)+": "+g.slackSummary(g.Firing, true)), blocks)
}

// slackSummary lists labels for the fallback text.
func (g AlertGroup) slackSummary(es []AlertEvent, firing bool) string {
	var parts []string
	for _, e := range es {
		v := newAlertView(e)
		if firing {
			parts = append(parts, v.Label+" "+v.Value)
		} else {
			parts = append(parts, v.Label+" back to "+v.Value)
		}
	}
	return strings.Join(parts, "; ")
}

// AlertLine is one line of a Slack post as it stands later: still firing,
// or resolved after Duration.
type AlertLine struct {
	Event    AlertEvent
	Resolved bool
}

// SilenceNote says who silenced a post's alerts with its buttons, and
// until when, so that a rewrite of the post keeps saying it.
type SilenceNote struct {
	// By is who pressed: "<@U123>" as a button press records it (shown as
	// a mention), or a name (shown as typed).
	By       string
	Until    time.Time
	Timezone string // the job's zone, for Until
}

// mentionRe is a Slack user mention as the interactions endpoint writes
// it; anything else in SilenceNote.By is shown as plain text.
var mentionRe = regexp.MustCompile(`^<@([UW][A-Z0-9]{2,20})>$`)

// block is the note as the interactions endpoint words it, in rich text:
// the user is a mention element, the rest plain text.
func (n SilenceNote) block() block {
	who := txt(n.By)
	if m := mentionRe.FindStringSubmatch(n.By); m != nil {
		who = user(m[1])
	}
	until := n.Until
	if loc, err := time.LoadLocation(n.Timezone); err == nil && n.Timezone != "" {
		until = until.In(loc)
	}
	return richBlock(richSection(emoji("no_bell"), txt(" Silenced by "), who, txt(" until "+until.Format("2006-01-02 15:04 MST"))))
}

// AlertUpdateSlack renders the announcing post again with each line's
// state: a resolved line says how long it lasted. The buttons stay while
// anything fires, unless the post was silenced (note set): then it says by
// whom until when, as the press left it.
func (r *Renderer) AlertUpdateSlack(job string, lines []AlertLine, b *SlackButtons, note *SilenceNote) (Slack, error) {
	firing := 0
	for _, l := range lines {
		if !l.Resolved {
			firing++
		}
	}
	head := richSection(emoji("white_check_mark"), txt(" "), bold("Resolved"), txt(" · "+truncate(oneLine(job), maxListLine)))
	if firing > 0 {
		head = richSection(emoji("rotating_light"), txt(" "), bold(fmt.Sprintf("Firing (%d of %d)", firing, len(lines))), txt(" · "+truncate(oneLine(job), maxListLine)))
	}
	parts := []richPart{head}
	var fallback []string
	for _, l := range lines {
		e := l.Event
		if l.Resolved {
			e.State = StateResolved
			parts = append(parts, slackLine("white_check_mark", e))
		} else {
			parts = append(parts, slackLine("small_red_triangle", e))
		}
		fallback = append(fallback, newAlertView(e).Summary)
	}
	blocks := []block{richBlock(parts...)}
	switch {
	case note != nil:
		blocks = append(blocks, note.block())
	case firing > 0 && b != nil:
		blocks = append(blocks, buttons(b))
	}
	state := "[RESOLVED] "
	if firing > 0 {
		state = "[FIRING] "
	}
	return newSlack(plainFallback(state+strings.Join(fallback, "; ")), blocks)
}

// AlertThreadSlack renders a reply in an announcing post's thread: what
// resolved, or what is still firing (reminders).
func (r *Renderer) AlertThreadSlack(g AlertGroup) (Slack, error) {
	var parts []richPart
	if len(g.Resolved) > 0 {
		parts = append(parts, richSection(emoji("white_check_mark"), txt(" "), bold(fmt.Sprintf("Resolved (%d)", len(g.Resolved)))))
		for _, e := range g.Resolved {
			parts = append(parts, slackLine("white_check_mark", e))
		}
	}
	if len(g.Reminders) > 0 {
		parts = append(parts, richSection(emoji("alarm_clock"), txt(" "), bold(fmt.Sprintf("Still firing (%d)", len(g.Reminders)))))
		for _, e := range g.Reminders {
			parts = append(parts, slackLine("small_red_triangle", e))
		}
	}
	text := "[" + g.groupState() + "] " + oneLine(g.Job) + ": " + g.counts()
	return newSlack(plainFallback(text), []block{richBlock(parts...)})
}

// AlertResolvedSlack renders resolves as a post of their own: the fallback
// when the announcing post cannot be updated.
func (r *Renderer) AlertResolvedSlack(g AlertGroup) (Slack, error) {
	parts := []richPart{richSection(emoji("white_check_mark"), txt(" "), bold("Resolved"), txt(" · "+truncate(oneLine(g.Job), maxListLine)))}
	for _, e := range g.Resolved {
		parts = append(parts, slackLine("white_check_mark", e))
	}
	return newSlack(plainFallback("[RESOLVED] "+oneLine(g.Job)+": "+g.slackSummary(g.Resolved, false)), []block{richBlock(parts...)})
}
