package jobs

import (
	"context"
	"fmt"
	"time"

	"livechat-digest/config"
	"livechat-digest/digest"
	"livechat-digest/notify"
	"livechat-digest/store"
	"livechat-digest/templates"
	"livechat-digest/unsubscribe"
)

// Delivery kinds.
const (
	kindDigest = "digest"
	kindAlert  = "alert"
)

// batch collects the deliveries of one firing of one job.
type batch struct {
	job    string
	firing time.Time
	now    time.Time
	out    []store.Delivery
}

// add queues m for target; id tells the deliveries of one firing to one
// target apart (for a digest it is the target; for an alert it also names
// the threshold and the transition), while Target is the plain destination,
// so the store and the worker keep one order per destination.
func (b *batch) add(kind, id, target string, m notify.Message) error {
	p, err := notify.Encode(m)
	if err != nil {
		return fmt.Errorf("jobs: %s: %s: %w", b.job, target, err)
	}
	b.out = append(b.out, store.Delivery{
		Key:       deliveryKey(b.job, b.firing, kind, id),
		Job:       b.job,
		FiringAt:  b.firing,
		Kind:      kind,
		Channel:   m.Channel,
		Target:    target,
		Payload:   p,
		Status:    store.DeliveryQueued,
		CreatedAt: b.now,
	})
	return nil
}

// digestDeliveries renders the digest's messages, one delivery per target.
// The chart is drawn once, for the email and for Slack.
func (r *Runner) digestDeliveries(ctx context.Context, job *config.Job, firing time.Time, d *digest.Digest) ([]store.Delivery, error) {
	b := &batch{job: job.Name, firing: firing, now: r.o.Clock.Now()}
	var chart []byte
	if job.Email != nil && len(job.Email.To) > 0 {
		e, err := r.render.Email(d, job.Email.Subject)
		if err != nil {
			return nil, fmt.Errorf("jobs: %s: render email: %w", job.Name, err)
		}
		chart = e.Chart
		gone, err := r.unsubscribed(ctx, job.Name)
		if err != nil {
			return nil, err
		}
		for _, to := range job.Email.To {
			if gone[unsubscribe.Normalize(to)] {
				continue
			}
			target := "email:" + to
			link := ""
			if r.o.UnsubscribeURL != nil {
				link = r.o.UnsubscribeURL(job.Name, to)
			}
			m := r.emailMessage(job.Name, firing, target, to, e.WithUnsubscribe(link))
			m.Email.ListID = notify.ListID(job.Name, r.o.From)
			m.Email.Unsubscribe = link
			if err := b.add(kindDigest, target, target, m); err != nil {
				return nil, err
			}
		}
	}
	if job.Slack != nil && job.Slack.Channel != "" {
		s, err := r.render.Slack(d)
		if err != nil {
			return nil, fmt.Errorf("jobs: %s: render slack: %w", job.Name, err)
		}
		target := "slack:" + job.Slack.Channel
		if err := b.add(kindDigest, target, target, notify.Message{Channel: notify.ChannelSlack, Slack: &notify.SlackMessage{Channel: job.Slack.Channel, Text: s.Text, Blocks: s.Blocks}}); err != nil {
			return nil, err
		}
		if job.Slack.Chart {
			if chart == nil {
				if chart, err = templates.Chart(d); err != nil {
					return nil, fmt.Errorf("jobs: %s: render chart: %w", job.Name, err)
				}
			}
			if err := r.slackChart(job, d, target, chart, b); err != nil {
				return nil, err
			}
		}
	}
	return b.out, nil
}

// slackChart queues the digest's chart as a file upload right after its
// post. Its id differs from the post's, so it has a delivery of its own,
// while its Target is the post's, so the worker sends it after the post and
// never before. A digest without daily chats has no chart, and then nothing
// is queued.
func (r *Runner) slackChart(job *config.Job, d *digest.Digest, target string, png []byte, b *batch) error {
	if len(png) == 0 {
		return nil
	}
	title, err := templates.Subject(d, "")
	if err != nil {
		return fmt.Errorf("jobs: %s: chart title: %w", job.Name, err)
	}
	m := notify.Message{Channel: notify.ChannelSlack, SlackFile: &notify.SlackFileMessage{
		Channel:  job.Slack.Channel,
		Filename: "daily-chats.png",
		Title:    "Daily chats: " + title,
		Data:     png,
	}}
	return b.add(kindDigest, "slack-chart:"+job.Slack.Channel, target, m)
}

func (r *Runner) emailMessage(job string, firing time.Time, target, to string, e templates.Email) notify.Message {
	m := &notify.EmailMessage{
		From:      r.o.From,
		To:        []string{to},
		Subject:   e.Subject,
		Text:      e.Text,
		HTML:      e.HTML,
		MessageID: notify.MessageID(job, firing, target, r.o.From),
		Date:      firing,
	}
	if len(e.Chart) > 0 {
		m.Inline = []notify.Inline{{Name: e.ChartCID, ContentType: "image/png", Data: e.Chart}}
	}
	return notify.Message{Channel: notify.ChannelEmail, Email: m}
}

// AlertKey names one threshold of one job with its filter, the unit whose
// state is kept between runs.
func AlertKey(job *config.Job, t digest.Threshold) string {
	k := t.Key()
	if f := job.Filters; f.Group != "" || f.Agent != "" || len(f.Tags) > 0 {
		k += fmt.Sprintf("|group=%s agent=%s tags=%v", f.Group, f.Agent, f.Tags)
	}
	return k
}

func deliveryKey(job string, firing time.Time, kind, target string) string {
	return job + "|" + firing.UTC().Format(time.RFC3339) + "|" + kind + "|" + target
}
