package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"livechat-digest/digest"
	"livechat-digest/query"
)

const (
	maxAlertLines = 40   // alert lines shown before "…and N more"
	maxErrorRunes = 1000 // of an error text shown to the user
)

// answer computes the answer to c, asked by the signed request named by
// key, and posts it once to responseURL.
func (s *Server) answer(ctx context.Context, c query.Command, responseURL, key string, log *slog.Logger) {
	started := time.Now() // for the log only; answers use Options.Now
	result := ResultOK
	msg, err := s.compute(ctx, c, key)
	if errors.Is(err, ErrReplayed) {
		// Another replica got the same request and answers it.
		log.Debug("slash command replayed to another replica; ignored")
		s.o.Metrics.SlashCommand(ResultReplayed)
		return
	}
	if err != nil {
		if ctx.Err() != nil {
			// Shutdown cancelled the answer; ctx cannot carry a post either.
			log.Debug("slash command answer cut short by shutdown", "err", err)
			s.o.Metrics.SlashCommand(ResultError)
			return
		}
		log.Warn("slash command answer failed", "err", err)
		msg = errorMessage(c, err)
		result = ResultError
	}
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, s.o.HTTPClient, msg); err != nil {
		level := slog.LevelWarn
		if ctx.Err() != nil {
			level = slog.LevelDebug
		}
		log.Log(ctx, level, "slash command answer not posted", "err", postError(err))
		result = ResultError
	}
	log.Info("slash command answered", "result", result, "elapsed", time.Since(started).Round(time.Millisecond))
	s.o.Metrics.SlashCommand(result)
}

// compute asks the Answerer and renders its answer. Reports and the alert
// list go in_channel: the user asked for them in that channel, and they are
// worth sharing. A job's digest goes to the asker only: it is the job's own
// message, which its schedule already posts where it belongs.
func (s *Server) compute(ctx context.Context, c query.Command, key string) (*slack.WebhookMessage, error) {
	actx, cancel := context.WithTimeout(ctx, s.o.AnswerTimeout)
	defer cancel()
	at := s.o.Now()
	var (
		d   *digest.Digest
		err error
	)
	switch c.Kind {
	case query.Report:
		d, err = s.o.Answerer.Report(actx, c, at)
	case query.Digest:
		d, err = s.o.Answerer.Digest(actx, c.Job, at)
	case query.Alerts:
		alerts, err := s.o.Answerer.Alerts(actx)
		if err != nil {
			return nil, s.answerError(actx, c, err)
		}
		return alertsMessage(alerts, at), nil
	case query.Silence, query.Silences:
		return s.silenceAnswer(actx, c, key)
	default:
		return nil, fmt.Errorf("server: no answer for %s", c.Kind)
	}
	if err != nil {
		return nil, s.answerError(actx, c, err)
	}
	if d == nil {
		return nil, fmt.Errorf("server: %s: no digest", c.Kind)
	}
	msg, err := s.digestMessage(d)
	if err == nil && c.Kind == query.Digest {
		msg.ResponseType = slack.ResponseTypeEphemeral
	}
	return msg, err
}

// answerError says "it took too long" rather than "context deadline
// exceeded" when the answer's own timeout ran out.
func (s *Server) answerError(actx context.Context, c query.Command, err error) error {
	if errors.Is(actx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("server: %s: no answer within %s: %w", c.Kind, s.o.AnswerTimeout, err)
	}
	return err
}

// digestMessage renders d as Block Kit. templates produces the blocks as
// JSON; slack-go's Blocks decodes every block type templates writes.
func (s *Server) digestMessage(d *digest.Digest) (*slack.WebhookMessage, error) {
	sl, err := s.o.Renderer.Slack(d)
	if err != nil {
		return nil, err
	}
	var blocks slack.Blocks
	if err := json.Unmarshal(sl.Blocks, &blocks); err != nil {
		return nil, fmt.Errorf("server: slack blocks: %w", err)
	}
	return &slack.WebhookMessage{ResponseType: slack.ResponseTypeInChannel, Text: sl.Text, Blocks: &blocks}, nil
}

// errorMessage tells the user, and only them, what failed. The text is the
// error's own: upstream errors are sanitized where they are made, and
// Answerer errors carry no stack.
func errorMessage(c query.Command, err error) *slack.WebhookMessage {
	text := err.Error()
	if utf8.RuneCountInString(text) > maxErrorRunes {
		text = string([]rune(text)[:maxErrorRunes]) + "…"
	}
	return &slack.WebhookMessage{
		ResponseType: slack.ResponseTypeEphemeral,
		Text:         ":warning: Could not answer " + codeSpan(c.String()) + ": " + codeSpan(text),
	}
}

// alertsMessage lists every alert: the firing ones first, oldest first,
// then those waiting for their `for`, then the rest by job. Job names and
// keys come from the config, silence authors from users: they go into rich
// text elements, which Slack shows as typed; Text is the plain fallback for
// notifications.
func alertsMessage(alerts []Alert, now time.Time) *slack.WebhookMessage {
	msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeInChannel}
	if len(alerts) == 0 {
		msg.Text = "No alerts firing; no threshold has been evaluated yet."
		return msg
	}
	alerts = slices.Clone(alerts)
	rank := func(a Alert) int {
		switch a.State {
		case "firing":
			return 0
		case "pending":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(alerts, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), a.Since.Compare(b.Since), cmp.Compare(a.Job, b.Job), cmp.Compare(a.Key, b.Key))
	})
	firing := 0
	for _, a := range alerts {
		if rank(a) == 0 {
			firing++
		}
	}
	title := fmt.Sprintf("%d %s firing (of %d)", firing, plural(firing, "alert", "alerts"), len(alerts))
	emoji := "rotating_light"
	if firing == 0 {
		title = fmt.Sprintf("No alerts firing (%d %s)", len(alerts), plural(len(alerts), "threshold", "thresholds"))
		emoji = "white_check_mark"
	}
	var items []slack.RichTextElement
	for i, a := range alerts {
		if i == maxAlertLines {
			break
		}
		rest := " — " + a.Key + ": " + alertValue(a) + " · " + a.State
		if !a.Since.IsZero() {
			rest += " for " + age(now.Sub(a.Since))
		}
		if a.Notice != "" {
			rest += " · " + a.Notice
		}
		if s := a.Silence; s != nil {
			rest += fmt.Sprintf(" · silenced for %s (#%d", age(s.Until.Sub(now)), s.ID)
			if s.By != "" {
				rest += " by " + s.By
			}
			rest += ")"
		}
		items = append(items, slack.NewRichTextSection(
			slack.NewRichTextSectionTextElement(a.Job, &slack.RichTextSectionTextStyle{Bold: true}),
			slack.NewRichTextSectionTextElement(rest, nil)))
	}
	parts := []slack.RichTextElement{
		slack.NewRichTextSection(slack.NewRichTextSectionEmojiElement(emoji, 0, nil),
			slack.NewRichTextSectionTextElement(" "+title, &slack.RichTextSectionTextStyle{Bold: true})),
		slack.NewRichTextList(slack.RTEListBullet, 0, items...),
	}
	if n := len(alerts) - len(items); n > 0 {
		parts = append(parts, slack.NewRichTextSection(slack.NewRichTextSectionTextElement(fmt.Sprintf("…and %d more", n), nil)))
	}
	msg.Text = title
	msg.Blocks = &slack.Blocks{BlockSet: []slack.Block{slack.NewRichTextBlock("", parts...)}}
	return msg
}

// alertValue formats the value in its metric's unit; the key starts with
// the metric ("chats_first_response_time.seconds above 60|group=2").
func alertValue(a Alert) string {
	key, _, _ := strings.Cut(a.Key, " ")
	if m, ok := digest.LookupMetric(key); ok {
		return digest.FormatValue(m, a.Value)
	}
	if a.Value == nil {
		return "—"
	}
	return strconv.FormatFloat(*a.Value, 'g', 6, 64)
}

// age says how long something has lasted: "45s", "2h15m", "3d4h".
func age(d time.Duration) string {
	switch {
	case d < time.Second:
		return "under a second"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
