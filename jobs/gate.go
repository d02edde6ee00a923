package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jonboulle/clockwork"

	"livechat-digest/alerting"
	"livechat-digest/notify"
	"livechat-digest/store"
	"livechat-digest/templates"
)

// GateStore is what the Gate reads and writes.
type GateStore interface {
	Silences(ctx context.Context, f store.SilenceFilter) ([]store.Silence, error)
	Receipts(ctx context.Context, keys []string) (map[string]store.Receipt, error)
	HoldNotices(ctx context.Context, key string, alertKeys []string) error
	Notices(ctx context.Context, f store.NoticeFilter) ([]store.Notice, error)
}

// Gate is the notify.Gate of alert messages: the send-time half of the
// message model (see package alerting). Just before an alert message goes
// out it drops the firing and reminder lines a silence now holds (a
// firing's notice goes back to held, so the silence's end announces it),
// drops resolves of firings that were in the end never sent, gives thread
// replies and updates the channel and ts of the post they follow, and
// renders the message again when lines were dropped. A message left with
// no line is dropped whole.
type Gate struct {
	st      GateStore
	render  *templates.Renderer
	clock   clockwork.Clock
	observe func(job, result string)
}

// NewGate returns the Gate of alert messages rendered by r.
func NewGate(st GateStore, r *templates.Renderer, clock clockwork.Clock, observe func(job, result string)) *Gate {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if observe == nil {
		observe = func(string, string) {}
	}
	return &Gate{st: st, render: r, clock: clock, observe: observe}
}

// Check implements notify.Gate.
//
// A line about an alert that was dropped from a delivery is never sent by
// it or after it: not by the delivery itself when its send is retried (the
// silence may have ended meanwhile, and the release at its end announces
// the alert), and not by a reminder, resolve or update that follows it
// (people never saw that firing there).
func (g *Gate) Check(ctx context.Context, d store.Delivery, m notify.Message) (notify.Message, string, error) {
	var meta alertMeta
	err := json.Unmarshal(m.Meta, &meta)
	if err == nil && meta.Job == "" {
		err = errors.New("no job")
	}
	if err != nil {
		// Only alert messages carry Meta: one that does not read back
		// cannot be checked (silences, the post it follows), so it is not
		// sent unchecked but fails, listed by `deliveries list`.
		return m, "", notify.Permanent(fmt.Errorf("jobs: %s: gate %s: alert meta does not read back: %v", d.Job, d.Target, err))
	}
	now := g.clock.Now()
	silences, err := g.st.Silences(ctx, store.SilenceFilter{Job: meta.Job, EndsAfter: now})
	if err != nil {
		return m, "", fmt.Errorf("jobs: %s: gate %s: %w", meta.Job, meta.Target, err)
	}
	refs := []string{d.Key, meta.Ref}
	for _, l := range meta.Lines {
		refs = append(refs, l.Ref)
	}
	receipts, err := g.st.Receipts(ctx, refs)
	if err != nil {
		return m, "", fmt.Errorf("jobs: %s: gate %s: %w", meta.Job, meta.Target, err)
	}
	droppedFrom := func(ref, key string) bool { return slices.Contains(receipts[ref].Dropped, key) }
	// A firing line goes only with the delivery its notice names: one
	// queued again by hand (deliveries retry) after a run announced the
	// firing anew must not announce it twice.
	notices, err := g.st.Notices(ctx, store.NoticeFilter{Job: meta.Job})
	if err != nil {
		return m, "", fmt.Errorf("jobs: %s: gate %s: %w", meta.Job, meta.Target, err)
	}
	announcedBy := map[string]string{}
	for _, n := range notices {
		if n.Target == meta.Target {
			announcedBy[n.Key] = n.Delivery
		}
	}
	var (
		keep []metaLine
		held []string
	)
	for _, l := range meta.Lines {
		if droppedFrom(d.Key, l.Key) || l.Ref != "" && droppedFrom(l.Ref, l.Key) {
			continue // dropped before, here or from the post it follows
		}
		if l.Kind == lineFiring && announcedBy[l.Key] != d.Key {
			continue // another delivery announces it
		}
		switch l.Kind {
		case lineFiring, lineReminder:
			if _, ok := alerting.Silenced(silences, meta.Job, l.Metric, now); ok {
				g.observe(meta.Job, AlertSilenced)
				if l.Kind == lineFiring {
					held = append(held, l.Key)
				}
				continue
			}
		case lineResolved:
			if rc, ok := receipts[l.Ref]; !ok || rc.Status != store.DeliverySent {
				continue // its firing was never sent: nothing to close
			}
		}
		keep = append(keep, l)
	}
	if err := g.st.HoldNotices(ctx, d.Key, held); err != nil {
		return m, "", fmt.Errorf("jobs: %s: gate %s: %w", meta.Job, meta.Target, err)
	}
	if len(keep) == 0 {
		return m, "silenced, or the firing it follows was never sent", nil
	}
	var rc store.Receipt
	if meta.Kind == metaThread || meta.Kind == metaUpdate {
		var ok bool
		if rc, ok = receipts[meta.Ref]; !ok || rc.Status != store.DeliverySent {
			return m, "the post it follows was never sent", nil
		}
	}
	again := len(keep) < len(meta.Lines)
	if meta.Kind == metaUpdate {
		post := slices.DeleteFunc(slices.Clone(meta.Post), func(l metaPostLine) bool { return droppedFrom(meta.Ref, l.Key) })
		again = again || len(post) < len(meta.Post)
		meta.Post = post
		if rc.SilencedBy != "" {
			// Someone silenced the post with its buttons: the rewrite
			// keeps saying so instead of bringing the buttons back.
			meta.Silenced = &templates.SilenceNote{By: rc.SilencedBy, Until: rc.SilencedUntil, Timezone: keep[0].Event.Timezone}
			again = true
		}
	}
	if again {
		meta.Lines = keep
		if m, err = g.again(meta, m); err != nil {
			return m, "", err
		}
	}
	switch {
	case meta.Kind == metaThread && rc.SlackTS != "":
		m.Slack.ThreadTS = rc.SlackTS
		if rc.SlackChannel != "" {
			m.Slack.Channel = rc.SlackChannel
		}
	case meta.Kind == metaUpdate:
		m.SlackUpdate.UpdateChannel, m.SlackUpdate.TS = rc.SlackChannel, rc.SlackTS
	}
	return m, "", nil
}

// again renders m from meta, keeping what identifies the message.
func (g *Gate) again(meta alertMeta, m notify.Message) (notify.Message, error) {
	if m.Email != nil {
		out, err := renderEmail(g.render, m.Email.From, meta.Job, m.Email.Date, "", m.Email.To[0], meta)
		if err != nil {
			return m, fmt.Errorf("jobs: %s: gate %s: %w", meta.Job, meta.Target, err)
		}
		e := *m.Email
		e.Subject, e.Text, e.HTML = out.Email.Subject, out.Email.Text, out.Email.HTML
		out.Email = &e
		return out, nil
	}
	channel := m.Target()
	out, err := renderSlack(g.render, channel, meta)
	if err != nil {
		return m, fmt.Errorf("jobs: %s: gate %s: %w", meta.Job, meta.Target, err)
	}
	return out, nil
}

var _ notify.Gate = (*Gate)(nil)
