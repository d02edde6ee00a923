package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"livechat-digest/query"
	"livechat-digest/templates"
)

// Results counted by Metrics.Interaction, besides ResultUnauthorized and
// ResultReplayed.
const (
	ResultSilenced = "silenced" // a button press made a silence
	ResultIgnored  = "ignored"  // an interaction that is not ours
)

// silenceAnswer answers the silence and silences commands; key names the
// signed request (see SilenceRequest.Key).
func (s *Server) silenceAnswer(ctx context.Context, c query.Command, key string) (*slack.WebhookMessage, error) {
	if s.o.Silencer == nil {
		return nil, errors.New("silences are not available on this server")
	}
	if c.Kind == query.Silences {
		lines, err := s.o.Silencer.Silences(ctx)
		if err != nil {
			return nil, err
		}
		msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeInChannel, Text: "No silences in force."}
		if len(lines) > 0 {
			var b strings.Builder
			fmt.Fprintf(&b, ":no_bell: *%d %s in force*", len(lines), plural(len(lines), "silence", "silences"))
			for i, l := range lines {
				if i == maxAlertLines {
					fmt.Fprintf(&b, "\n…and %d more", len(lines)-i)
					break
				}
				b.WriteString("\n• " + templates.EscapeMrkdwn(l))
			}
			msg.Text = b.String()
		}
		return msg, nil
	}
	r := SilenceRequest{Job: c.Job, For: c.For, By: c.By, Reason: c.Reason, Key: key}
	if c.Metric != "" {
		r.Metrics = []string{c.Metric}
	}
	until, err := s.o.Silencer.Silence(ctx, r)
	if err != nil {
		return nil, err
	}
	what := c.Job
	if c.Metric != "" {
		what += "/" + c.Metric
	}
	text := fmt.Sprintf(":no_bell: %s silenced *%s* until %s", c.By, templates.EscapeMrkdwn(what), templates.EscapeMrkdwn(until))
	if c.Reason != "" {
		text += ": " + templates.EscapeMrkdwn(c.Reason)
	}
	return &slack.WebhookMessage{ResponseType: slack.ResponseTypeInChannel, Text: text}, nil
}

// buttonValue is what an alert post's silence buttons carry (see
// jobs.ButtonValue).
type buttonValue struct {
	Job     string   `json:"job"`
	Metrics []string `json:"metrics"`
}

// interaction is POST /slack/interactions: a press of an alert message's
// "Silence 1h" or "Silence until 09:00 tomorrow" button. It passes the same
// gate as slash commands (authentic: signature, then replay), creates the
// silence as the user who pressed, answers 200 at once, and then rewrites
// the message through its response_url to say who silenced it and until
// when. Anyone who can see the message can press: Slack shows it only to
// the channel's members.
func (s *Server) interaction(w http.ResponseWriter, r *http.Request) {
	body, ok := s.authentic(w, r, "interaction", s.o.Metrics.Interaction)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	var cb slack.InteractionCallback
	if err != nil || json.Unmarshal([]byte(form.Get("payload")), &cb) != nil {
		http.Error(w, "request body is not an interaction payload", http.StatusBadRequest)
		return
	}
	if s.o.Silencer == nil || cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) == 0 {
		s.o.Metrics.Interaction(ResultIgnored)
		w.WriteHeader(http.StatusOK)
		return
	}
	act := cb.ActionCallback.BlockActions[0]
	var v buttonValue
	if (act.ActionID != templates.ActionSilenceHour && act.ActionID != templates.ActionSilenceTomorrow) ||
		json.Unmarshal([]byte(act.Value), &v) != nil || v.Job == "" {
		s.o.Metrics.Interaction(ResultIgnored)
		w.WriteHeader(http.StatusOK)
		return
	}
	log := s.log.With("user_id", cb.User.ID, "team_id", cb.Team.ID, "channel_id", cb.Channel.ID, "job", v.Job)
	req := SilenceRequest{Job: v.Job, Metrics: v.Metrics, By: "<@" + cb.User.ID + ">", Reason: "silenced from Slack",
		Channel: cb.Channel.ID, TS: cmp.Or(cb.Container.MessageTs, cb.Message.Timestamp),
		Key: requestKey(r.Header)}
	if act.ActionID == templates.ActionSilenceHour {
		req.For = time.Hour
	} else {
		req.UntilNineTomorrow = true
	}
	// Slack reads nothing from the answer to a block action: what the
	// presser sees comes through response_url, the silence's note on the
	// message or, when it failed, a message only they see.
	until, err := s.o.Silencer.Silence(r.Context(), req)
	if errors.Is(err, ErrReplayed) {
		// Another replica got the same press and rewrites the message.
		log.Debug("interaction replayed to another replica; ignored")
		s.o.Metrics.Interaction(ResultReplayed)
		w.WriteHeader(http.StatusOK)
		return
	}
	var msg *slack.WebhookMessage
	if err != nil {
		log.Warn("silence from a button failed", "err", err)
		s.o.Metrics.Interaction(ResultError)
		msg = &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, ReplaceOriginal: false,
			Text: ":warning: Could not silence: " + codeSpan(err.Error())}
	} else {
		s.o.Metrics.Interaction(ResultSilenced)
		log.Info("silenced from a button", "until", until)
		msg = silencedMessage(cb.Message.Blocks, req.By, until)
	}
	if s.allowedResponseURL(cb.ResponseURL) {
		responseURL := cb.ResponseURL
		s.start(r.Context(), func(ctx context.Context) {
			if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, s.o.HTTPClient, msg); err != nil {
				log.Warn("interaction answer not posted", "err", postError(err))
			}
		})
	}
	w.WriteHeader(http.StatusOK)
}

// silencedMessage is the alert message again, without its buttons, saying
// who silenced it and until when.
func silencedMessage(orig slack.Blocks, by, until string) *slack.WebhookMessage {
	var blocks []slack.Block
	for _, b := range orig.BlockSet {
		if b.BlockType() != slack.MBTAction {
			blocks = append(blocks, b)
		}
	}
	note := ":no_bell: Silenced by " + by + " until " + templates.EscapeMrkdwn(until)
	blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, note, false, false)))
	return &slack.WebhookMessage{ReplaceOriginal: true, Text: note, Blocks: &slack.Blocks{BlockSet: blocks}}
}
