package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"livechat-digest/alerting"
	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/notify"
	"livechat-digest/store"
	"livechat-digest/templates"
)

// Results told to RunnerOptions.ObserveAlert.
const (
	AlertHeld     = "held"     // a firing or a due reminder held back when queued
	AlertSilenced = "silenced" // an alert line dropped at send time (Gate)
	AlertReleased = "released" // a held firing announced when its hold ended
)

// Kinds of alert message, in their Meta.
const (
	metaEmail  = "email"  // one email per run: firing, still firing and resolved sections
	metaPost   = "post"   // the Slack post announcing new firings, with the buttons
	metaThread = "thread" // reminders, a reply in the announcing post's thread
	metaUpdate = "update" // resolves: chat.update of the announcing post plus a reply
)

// Kinds of line in a message.
const (
	lineFiring   = "firing"
	lineReminder = "reminder"
	lineResolved = "resolved"
)

// alertMeta is the Meta of an alert message: what the Gate needs to check
// it and render it again just before it is sent.
type alertMeta struct {
	Job    string `json:"job"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
	// Ref is the delivery that announced the firings a thread reply or an
	// update follows.
	Ref   string     `json:"ref,omitempty"`
	Lines []metaLine `json:"lines"`
	// Post is, for an update, every line of the announcing post as it now
	// stands.
	Post []metaPostLine `json:"post,omitempty"`
	// Subject is an email's own alerts.email.subject, rendered, without
	// its state prefix.
	Subject string `json:"subject,omitempty"`
	// Buttons is the value of a post's silence buttons.
	Buttons string `json:"buttons,omitempty"`
	// Silenced is set by the Gate on an update of a post someone silenced
	// with its buttons (never queued: the Gate reads it from the receipt).
	Silenced *templates.SilenceNote `json:"silenced,omitempty"`
}

type metaLine struct {
	Kind   string               `json:"kind"`
	Key    string               `json:"key"`
	Metric string               `json:"metric"`
	Ref    string               `json:"ref,omitempty"` // a resolve: the delivery that announced the firing
	Event  templates.AlertEvent `json:"event"`
}

type metaPostLine struct {
	Key      string               `json:"key,omitempty"` // the alert; empty in messages queued before it was kept
	Event    templates.AlertEvent `json:"event"`
	Resolved bool                 `json:"resolved"`
}

// ButtonValue is what a Slack post's silence buttons carry back: the job
// and the metrics of the post's alerts.
type ButtonValue struct {
	Job     string   `json:"job"`
	Metrics []string `json:"metrics"`
}

// alertStep is one threshold of a job at one run.
type alertStep struct {
	t         digest.Threshold
	cfg       config.Threshold
	key       string
	prev      store.AlertState
	next      store.AlertState
	tr        Transition
	evaluated bool // stepped by this run (else next is prev)
	// anomaly is the score of an anomaly threshold evaluated by this run.
	anomaly *digest.AnomalyScore
}

// stepAlerts evaluates every threshold of job on d against its stored state.
// A threshold is left as it is when its number is missing (its report failed
// upstream) or null (no chats answered yet today): an unknown value neither
// fires nor resolves an alert. A firing older than the last one evaluated
// (a catch-up or a takeover that ran late) is not allowed to move the state
// back either.
func (r *Runner) stepAlerts(ctx context.Context, job *config.Job, firing time.Time, d *digest.Digest, res *Result) ([]alertStep, []store.AlertChange, error) {
	var steps []alertStep
	var changes []store.AlertChange
	for i, t := range Thresholds(job) {
		key := AlertKey(job, t)
		prev, err := r.store.Alert(ctx, job.Name, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			prev = store.AlertState{Job: job.Name, Key: key}
		case err != nil:
			return nil, nil, fmt.Errorf("jobs: %s: alert state: %w", job.Name, err)
		}
		s := alertStep{t: t, cfg: job.Thresholds[i], key: key, prev: prev, next: prev}
		steps = append(steps, s)
		if _, ok := d.Metrics[t.Metric]; !ok {
			continue
		}
		if !prev.Updated.IsZero() && !firing.After(prev.Updated) {
			continue
		}
		breached, value := digest.EvaluateOne(d, t)
		if value == nil {
			continue
		}
		next, tr := Step(prev, breached, value, firing, job.Thresholds[i].For)
		next.Anomaly = nil
		if a, ok := d.AnomalyOf(t); ok {
			steps[len(steps)-1].anomaly = &a
			next.Anomaly = &store.AnomalyNote{Baseline: a.Baseline, Z: a.Z, Usual: a.Usual}
		}
		changes = append(changes, store.AlertChange{State: next, Read: prev.Updated})
		steps[len(steps)-1].next, steps[len(steps)-1].tr, steps[len(steps)-1].evaluated = next, tr, true
		switch tr {
		case Resolve:
			res.Resolved = append(res.Resolved, key)
		case Fire:
			res.Fired = append(res.Fired, key)
		}
	}
	return steps, changes, nil
}

// event is how the messages tell threshold s's state st. An anomaly not
// scored by this run (a release, another alert's post) is told from the
// score stored with st.
func event(job *config.Job, s alertStep, st store.AlertState, period digest.DateRange) templates.AlertEvent {
	a := s.anomaly
	if n := st.Anomaly; a == nil && n != nil && st.Value != nil {
		a = &digest.AnomalyScore{Value: *st.Value, Baseline: n.Baseline, Z: n.Z, Usual: n.Usual}
	}
	return templates.AlertEvent{
		Job: job.Name, Metric: s.t.Metric, Rule: s.t.Rule(), Value: st.Value, Threshold: s.t.Value,
		Period: period, Timezone: job.Location.String(), State: templates.StateFiring, Since: st.Since,
		Previous: st.Previous, RunbookURL: s.cfg.RunbookURL, DashboardURL: s.cfg.DashboardURL,
		Anomaly: a,
	}
}

// targets are a job's alert targets, as notices name them.
func targets(job *config.Job) []string {
	var out []string
	if a := job.Alerts; a != nil {
		if a.Slack != nil && a.Slack.Channel != "" {
			out = append(out, "slack:"+a.Slack.Channel)
		}
		if a.Email != nil {
			for _, to := range a.Email.To {
				out = append(out, "email:"+to)
			}
		}
	}
	return out
}

// news is what one run decided for one target.
type news struct {
	target   string
	lines    []metaLine
	changes  []store.NoticeChange
	announce []int // indexes in changes of notices this message announces
}

// alertDeliveries steps the job's alert states on d, decides per (alert,
// target) what to say (alerting.Decide) and renders one message per target
// for the run (plus, in Slack, thread replies and updates of earlier
// posts). The state and notice changes are saved with the deliveries.
func (r *Runner) alertDeliveries(ctx context.Context, job *config.Job, firing time.Time, d *digest.Digest, res *Result) ([]store.Delivery, []store.AlertChange, []store.NoticeChange, error) {
	steps, changes, err := r.stepAlerts(ctx, job, firing, d, res)
	if err != nil || job.Alerts == nil {
		return nil, changes, nil, err
	}
	now := r.o.Clock.Now()
	stored, silences, err := r.holds(ctx, job, now)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := r.unannounced(ctx, job, stored); err != nil {
		return nil, nil, nil, err
	}
	b := &batch{job: job.Name, firing: firing, now: now}
	var notices []store.NoticeChange
	for _, target := range targets(job) {
		nw := news{target: target}
		for _, s := range steps {
			if !s.evaluated {
				continue
			}
			n, ok := stored[noticeID(s.key, target)]
			if !ok {
				n = store.Notice{Job: job.Name, Key: s.key, Target: target}
			}
			held := r.held(job, s.t.Metric, silences, now)
			dec := alerting.Decide(alerting.Input{State: s.next, Resolved: s.tr == Resolve, ResolvedSince: s.prev.Since,
				Notice: n, Held: held, Now: now, RepeatEvery: time.Duration(job.Alerts.RepeatEvery)})
			ev := event(job, s, s.next, d.Period)
			switch dec.Action {
			case alerting.Hold:
				r.observeAlert(job.Name, AlertHeld)
			case alerting.Announce:
				nw.announce = append(nw.announce, len(nw.changes))
				nw.lines = append(nw.lines, metaLine{Kind: lineFiring, Key: s.key, Metric: s.t.Metric, Event: ev})
			case alerting.Remind:
				ev.Duration = now.Sub(s.next.Since)
				nw.lines = append(nw.lines, metaLine{Kind: lineReminder, Key: s.key, Metric: s.t.Metric, Ref: n.Delivery, Event: ev})
			case alerting.Resolve:
				ev = event(job, s, s.next, d.Period)
				ev.State, ev.Since, ev.Duration = templates.StateResolved, s.prev.Since, firing.Sub(s.prev.Since)
				nw.lines = append(nw.lines, metaLine{Kind: lineResolved, Key: s.key, Metric: s.t.Metric, Ref: n.Delivery, Event: ev})
			}
			if dec.Save || dec.Delete {
				nw.changes = append(nw.changes, store.NoticeChange{Notice: dec.Notice, Delete: dec.Delete})
			}
		}
		if err := r.queueNews(job, d, b, &nw, steps, stored); err != nil {
			return nil, nil, nil, err
		}
		notices = append(notices, nw.changes...)
	}
	return b.out, changes, notices, nil
}

// holds reads the job's notices, by (alert, target), and its silences.
func (r *Runner) holds(ctx context.Context, job *config.Job, now time.Time) (map[string]store.Notice, []store.Silence, error) {
	ns, err := r.store.Notices(ctx, store.NoticeFilter{Job: job.Name})
	if err != nil {
		return nil, nil, fmt.Errorf("jobs: %s: notices: %w", job.Name, err)
	}
	silences, err := r.store.Silences(ctx, store.SilenceFilter{Job: job.Name, EndsAfter: now})
	if err != nil {
		return nil, nil, fmt.Errorf("jobs: %s: silences: %w", job.Name, err)
	}
	byID := make(map[string]store.Notice, len(ns))
	for _, n := range ns {
		byID[noticeID(n.Key, n.Target)] = n
	}
	return byID, silences, nil
}

func noticeID(key, target string) string { return key + "\x00" + target }

// unannounced reads a notice queued on a delivery that failed for good
// (the target down for the whole retry window, or refusing it) as held:
// nothing announced that firing, so this run announces it again, once it
// is not held, instead of leaving it "queued" with its reminders and
// resolve dropped for want of a post. Runs only, not the release: a
// target that refuses every message is then tried once per run, not every
// few seconds. Saved compare-and-set like any notice.
func (r *Runner) unannounced(ctx context.Context, job *config.Job, stored map[string]store.Notice) error {
	var queued []string
	for _, n := range stored {
		if n.Status == store.NoticeQueued {
			queued = append(queued, n.Delivery)
		}
	}
	if len(queued) == 0 {
		return nil
	}
	rs, err := r.store.Receipts(ctx, queued)
	if err != nil {
		return fmt.Errorf("jobs: %s: notices: %w", job.Name, err)
	}
	for id, n := range stored {
		if rc, ok := rs[n.Delivery]; ok && n.Status == store.NoticeQueued && rc.Status == store.DeliveryFailed {
			n.Status, n.Delivery, n.NotifiedAt, n.Reminders = store.NoticeHeld, "", time.Time{}, 0
			stored[id] = n
		}
	}
	return nil
}

// held reports whether a silence or the active hours hold news of metric's
// alerts of job at now.
func (r *Runner) held(job *config.Job, metric string, silences []store.Silence, now time.Time) bool {
	if _, ok := alerting.Silenced(silences, job.Name, metric, now); ok {
		return true
	}
	return !job.Alerts.ActiveHours.Contains(now, job.Location)
}

func (r *Runner) observeAlert(job, result string) {
	if r.o.ObserveAlert != nil {
		r.o.ObserveAlert(job, result)
	}
}

// queueNews renders nw as the messages for its target and adds them to b;
// the notices it announces get the delivery's key.
func (r *Runner) queueNews(job *config.Job, d *digest.Digest, b *batch, nw *news, steps []alertStep, stored map[string]store.Notice) error {
	if len(nw.lines) == 0 {
		return nil
	}
	if to, ok := strings.CutPrefix(nw.target, "email:"); ok {
		id := "news|" + nw.target
		key := deliveryKey(b.job, b.firing, kindAlert, id)
		m := alertMeta{Job: job.Name, Kind: metaEmail, Target: nw.target, Lines: nw.lines}
		if job.Alerts.Email.Subject != "" && d != nil {
			s, err := templates.Subject(d, job.Alerts.Email.Subject)
			if err != nil {
				return fmt.Errorf("jobs: %s: alert subject: %w", job.Name, err)
			}
			m.Subject = s
		}
		msg, err := r.emailNews(job, b.firing, id, to, m)
		if err != nil {
			return err
		}
		nw.setDelivery(key)
		return b.add(kindAlert, id, nw.target, msg)
	}
	channel := strings.TrimPrefix(nw.target, "slack:")
	// New firings: one post for all of them.
	if fl := linesOf(nw.lines, lineFiring); len(fl) > 0 {
		id := "post|" + nw.target
		key := deliveryKey(b.job, b.firing, kindAlert, id)
		m := alertMeta{Job: job.Name, Kind: metaPost, Target: nw.target, Lines: fl, Buttons: buttonValue(job.Name, fl)}
		msg, err := r.slackNews(channel, m)
		if err != nil {
			return fmt.Errorf("jobs: %s: render alert: %w", job.Name, err)
		}
		nw.setDelivery(key)
		if err := b.add(kindAlert, id, nw.target, msg); err != nil {
			return err
		}
	}
	// Reminders and resolves: one message per announcing post.
	for _, kind := range []string{lineReminder, lineResolved} {
		byRef := map[string][]metaLine{}
		var refs []string
		for _, l := range linesOf(nw.lines, kind) {
			if _, ok := byRef[l.Ref]; !ok {
				refs = append(refs, l.Ref)
			}
			byRef[l.Ref] = append(byRef[l.Ref], l)
		}
		for _, ref := range refs {
			m := alertMeta{Job: job.Name, Kind: metaThread, Target: nw.target, Ref: ref, Lines: byRef[ref]}
			id := "thread|" + ref + "|" + nw.target
			if kind == lineResolved {
				m.Kind, id = metaUpdate, "update|"+ref+"|"+nw.target
				m.Post = postLines(job, d, ref, nw, steps, stored)
			}
			msg, err := r.slackNews(channel, m)
			if err != nil {
				return fmt.Errorf("jobs: %s: render alert: %w", job.Name, err)
			}
			if err := b.add(kindAlert, id, nw.target, msg); err != nil {
				return err
			}
		}
	}
	return nil
}

// setDelivery names key as the delivery of every notice nw announces.
func (nw *news) setDelivery(key string) {
	for _, i := range nw.announce {
		nw.changes[i].Notice.Delivery = key
	}
}

func linesOf(ls []metaLine, kind string) []metaLine {
	var out []metaLine
	for _, l := range ls {
		if l.Kind == kind {
			out = append(out, l)
		}
	}
	return out
}

func buttonValue(job string, ls []metaLine) string {
	v := ButtonValue{Job: job}
	for _, l := range ls {
		if !slices.Contains(v.Metrics, l.Metric) {
			v.Metrics = append(v.Metrics, l.Metric)
		}
	}
	b, _ := json.Marshal(v) // strings only: cannot fail
	return string(b)
}

// postLines is every line of the post ref as it stands after this run:
// the alerts whose notices for the target name ref, resolved or firing.
func postLines(job *config.Job, d *digest.Digest, ref string, nw *news, steps []alertStep, stored map[string]store.Notice) []metaPostLine {
	var out []metaPostLine
	for _, s := range steps {
		n, ok := stored[noticeID(s.key, nw.target)]
		if !ok || n.Delivery != ref {
			continue
		}
		for _, c := range nw.changes {
			if c.Notice.Key == s.key && !c.Delete {
				n = c.Notice
			}
		}
		var period digest.DateRange
		if d != nil {
			period = d.Period
		}
		ev := event(job, s, s.next, period)
		ev.Since = n.Since
		l := metaPostLine{Key: s.key, Event: ev}
		if n.Status == store.NoticeResolved || !s.next.Firing || !s.next.Since.Equal(n.Since) {
			l.Resolved = true
			l.Event.State = templates.StateResolved
			end := n.ResolvedAt
			if end.IsZero() {
				end = s.next.Updated
			}
			l.Event.Duration = end.Sub(n.Since)
		}
		out = append(out, l)
	}
	return out
}

// group turns lines into the templates' group.
func group(job string, ls []metaLine) templates.AlertGroup {
	g := templates.AlertGroup{Job: job}
	for _, l := range ls {
		switch l.Kind {
		case lineFiring:
			g.Firing = append(g.Firing, l.Event)
		case lineReminder:
			g.Reminders = append(g.Reminders, l.Event)
		case lineResolved:
			g.Resolved = append(g.Resolved, l.Event)
		}
	}
	return g
}

// emailNews renders an alert email from its meta: subject, text, HTML.
func (r *Runner) emailNews(job *config.Job, firing time.Time, id, to string, m alertMeta) (notify.Message, error) {
	msg, err := renderEmail(r.render, r.o.From, job.Name, firing, id, to, m)
	if err != nil {
		return notify.Message{}, fmt.Errorf("jobs: %s: render alert: %w", job.Name, err)
	}
	return msg, nil
}

func renderEmail(render *templates.Renderer, from, job string, firing time.Time, id, to string, m alertMeta) (notify.Message, error) {
	g := group(job, m.Lines)
	subject := render.AlertGroupSubject(g)
	if m.Subject != "" {
		// The job's own subject, after the state mail filters sort on,
		// then the alert (or what the group holds).
		subject = g.GroupState() + m.Subject + ": " + g.AlertGroupTitle()
		if len(m.Lines) == 1 {
			e := m.Lines[0].Event
			subject = g.GroupState() + m.Subject + ": " + e.Metric + " " + e.Rule
		}
	}
	html, err := render.AlertGroupHTML(g)
	if err != nil {
		return notify.Message{}, err
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return notify.Message{}, err
	}
	return notify.Message{Channel: notify.ChannelEmail, Meta: meta, Email: &notify.EmailMessage{
		From: from, To: []string{to}, Subject: subject, Text: render.AlertGroupText(g), HTML: html,
		MessageID: notify.MessageID(job, firing, id, from), Date: firing,
	}}, nil
}

// slackNews renders a Slack alert message from its meta.
func (r *Runner) slackNews(channel string, m alertMeta) (notify.Message, error) {
	return renderSlack(r.render, channel, m)
}

func renderSlack(render *templates.Renderer, channel string, m alertMeta) (notify.Message, error) {
	meta, err := json.Marshal(m)
	if err != nil {
		return notify.Message{}, err
	}
	g := group(m.Job, m.Lines)
	var buttons *templates.SlackButtons
	if m.Buttons != "" {
		buttons = &templates.SlackButtons{Value: m.Buttons}
	}
	out := notify.Message{Channel: notify.ChannelSlack, Meta: meta}
	switch m.Kind {
	case metaPost:
		s, err := render.AlertPostSlack(g, buttons)
		if err != nil {
			return notify.Message{}, err
		}
		out.Slack = &notify.SlackMessage{Channel: channel, Text: s.Text, Blocks: s.Blocks}
	case metaThread:
		s, err := render.AlertThreadSlack(g)
		if err != nil {
			return notify.Message{}, err
		}
		out.Slack = &notify.SlackMessage{Channel: channel, Text: s.Text, Blocks: s.Blocks}
	case metaUpdate:
		lines := make([]templates.AlertLine, 0, len(m.Post))
		var firing []metaLine
		for _, l := range m.Post {
			lines = append(lines, templates.AlertLine{Event: l.Event, Resolved: l.Resolved})
			if !l.Resolved {
				firing = append(firing, metaLine{Metric: l.Event.Metric})
			}
		}
		// The buttons of the rewritten post silence what still fires in
		// it, not what just resolved (none once nothing fires).
		buttons = &templates.SlackButtons{Value: buttonValue(m.Job, firing)}
		post, err := render.AlertUpdateSlack(m.Job, lines, buttons, m.Silenced)
		if err != nil {
			return notify.Message{}, err
		}
		reply, err := render.AlertThreadSlack(g)
		if err != nil {
			return notify.Message{}, err
		}
		fallback, err := render.AlertResolvedSlack(g)
		if err != nil {
			return notify.Message{}, err
		}
		out.SlackUpdate = &notify.SlackUpdateMessage{Channel: channel, Text: post.Text, Blocks: post.Blocks,
			Reply:    &notify.SlackMessage{Channel: channel, Text: reply.Text, Blocks: reply.Blocks},
			Fallback: &notify.SlackMessage{Channel: channel, Text: fallback.Text, Blocks: fallback.Blocks}}
	default:
		return notify.Message{}, fmt.Errorf("jobs: unknown alert message kind %q", m.Kind)
	}
	return out, nil
}

// Release announces, once, each held firing of job whose hold (silences,
// active hours) has ended and that still fires, in one message per target,
// and returns when the next firing still held will be free (zero when none
// is held). Replicas may call it at the same instant: the notices are saved
// compare-and-set with the messages, so one wins and the others queue
// nothing.
func (r *Runner) Release(ctx context.Context, job *config.Job) (time.Time, error) {
	if job.Alerts == nil {
		return time.Time{}, nil
	}
	now := r.o.Clock.Now()
	stored, silences, err := r.holds(ctx, job, now)
	if err != nil {
		return time.Time{}, err
	}
	// In the config's order, so a message lists its alerts as a run's does.
	var thresholds []alertStep
	for i, t := range Thresholds(job) {
		thresholds = append(thresholds, alertStep{t: t, cfg: job.Thresholds[i], key: AlertKey(job, t)})
	}
	var next time.Time
	byTarget := map[string]*news{}
	states := map[string]store.AlertState{}
	released := 0
	for _, target := range targets(job) {
		for _, s := range thresholds {
			n, ok := stored[noticeID(s.key, target)]
			if !ok || n.Status != store.NoticeHeld {
				continue
			}
			st, ok := states[n.Key]
			if !ok {
				if st, err = r.store.Alert(ctx, job.Name, n.Key); err != nil {
					return time.Time{}, fmt.Errorf("jobs: %s: alert state: %w", job.Name, err)
				}
				states[n.Key] = st
			}
			if !st.Firing || !st.Since.Equal(n.Since) {
				continue // resolved or fired anew since: a run deals with it
			}
			if r.held(job, s.t.Metric, silences, now) {
				if at, ok := alerting.Unmuted(silences, job.Name, s.t.Metric, job.Alerts.ActiveHours, job.Location, now); ok && (next.IsZero() || at.Before(next)) {
					next = at
				}
				continue
			}
			dec := alerting.Decide(alerting.Input{State: st, Notice: n, Now: now})
			if dec.Action != alerting.Announce {
				continue
			}
			nw := byTarget[target]
			if nw == nil {
				nw = &news{target: target}
				byTarget[target] = nw
			}
			nw.announce = append(nw.announce, len(nw.changes))
			nw.changes = append(nw.changes, store.NoticeChange{Notice: dec.Notice})
			nw.lines = append(nw.lines, metaLine{Kind: lineFiring, Key: n.Key, Metric: s.t.Metric, Event: event(job, s, st, digest.DateRange{})})
			released++
		}
	}
	if len(byTarget) == 0 {
		return next, nil
	}
	// The release instant, to the millisecond, names its messages: two
	// releases in one minute must not share a key.
	b := &batch{job: job.Name, firing: now.Truncate(time.Millisecond), now: now}
	var changes []store.NoticeChange
	for _, target := range targets(job) {
		nw := byTarget[target]
		if nw == nil {
			continue
		}
		if err := r.queueNews(job, nil, b, nw, nil, nil); err != nil {
			return next, err
		}
		changes = append(changes, nw.changes...)
	}
	for i := range b.out {
		b.out[i].Key += "|release@" + now.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	fixReleaseKeys(changes, now)
	if _, err := r.store.Record(ctx, b.out, nil, changes...); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return next, nil // another replica released them
		}
		return next, fmt.Errorf("jobs: %s: release: %w", job.Name, err)
	}
	for range released {
		r.observeAlert(job.Name, AlertReleased)
	}
	r.o.Wake()
	return next, nil
}

// fixReleaseKeys gives notices the keys their release deliveries got.
func fixReleaseKeys(cs []store.NoticeChange, now time.Time) {
	for i := range cs {
		if cs[i].Notice.Delivery != "" {
			cs[i].Notice.Delivery += "|release@" + now.UTC().Format("2006-01-02T15:04:05.000Z")
		}
	}
}
