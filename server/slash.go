package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"livechat-digest/query"
	"livechat-digest/templates"
)

// Results counted by Metrics.SlashCommand.
const (
	ResultOK           = "ok"           // an answer was posted
	ResultHelp         = "help"         // help, empty or unreadable text
	ResultUnauthorized = "unauthorized" // missing headers, bad or stale signature
	ResultError        = "error"        // the answer failed, or could not be posted, or was refused
	ResultReplayed     = "replayed"     // a signed request seen before within its window: no work
	ResultBusy         = "busy"         // refused: Options.AnswerQueue answers were already waiting
)

// slashCommand is POST /slack/commands. See the package doc for the order
// of its steps; the signature check comes before anything that looks at the
// body's content.
func (s *Server) slashCommand(w http.ResponseWriter, r *http.Request) {
	body, ok := s.authentic(w, r, "slash command", s.o.Metrics.SlashCommand)
	if !ok {
		return
	}

	r.Body = io.NopCloser(bytes.NewReader(body))
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		// Signed but not a form: nothing Slack would send.
		http.Error(w, "request body is not a form", http.StatusBadRequest)
		return
	}
	c, err := query.Parse(cmd.Text)
	if err != nil || c.Kind == query.Help {
		s.o.Metrics.SlashCommand(ResultHelp)
		respondBlocks(w, helpText(err), helpBlocks(err)...)
		return
	}
	// The logger with the command's fields is made where a line is
	// written, mostly by the answer's worker: the ack path of a burst
	// writes none.
	logger := func() *slog.Logger {
		return s.log.With("user_id", cmd.UserID, "team_id", cmd.TeamID, "channel_id", cmd.ChannelID, "command", c.Kind.String())
	}
	if !s.allowedResponseURL(cmd.ResponseURL) {
		logger().Warn("slash command refused: response_url not allowed")
		s.o.Metrics.SlashCommand(ResultError)
		respond(w, ":warning: This request's response_url is not a Slack URL, so it cannot be answered.")
		return
	}
	c.By = "<@" + cmd.UserID + ">"
	responseURL, key := cmd.ResponseURL, requestKey(r.Header)
	err = s.enqueue(r.Context(), func(ctx context.Context) {
		s.answer(ctx, c, responseURL, key, logger())
	})
	switch {
	case errors.Is(err, errBusy):
		logger().Warn("slash command refused: too many answers waiting", "waiting", s.o.AnswerQueue)
		s.o.Metrics.SlashCommand(ResultBusy)
		respond(w, ":hourglass: Too many commands are waiting for their answers right now; please try again in a minute.")
		return
	case err != nil:
		respond(w, "The service is restarting; please try again in a minute.")
		return
	}
	// The ack goes out when this handler returns; the answer follows.
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(ackJSON(c.String()))
}

// ackJSON is the acknowledgement of a queued command: the command as typed
// goes in a rich text element styled as code, which Slack shows exactly,
// where a mrkdwn code span would need its backticks replaced. It is what
// respondBlocks writes for those blocks, byte for byte (TestAckJSON), put
// together around the two strings that vary.
// Every command of a burst writes one, and marshalling the Block Kit
// structs by reflection took more CPU than the rest of the handler and
// grew each connection's stack (a CPU profile of go run ./bench -only d).
func ackJSON(command string) []byte {
	text, _ := json.Marshal("Working on it: " + codeSpan(command) + "…") // a string always marshals
	cmd, _ := json.Marshal(command)
	b := make([]byte, 0, len(ackJSONHead)+len(text)+len(ackJSONMid)+len(cmd)+len(ackJSONTail))
	b = append(append(b, ackJSONHead...), text...)
	b = append(append(b, ackJSONMid...), cmd...)
	return append(b, ackJSONTail...)
}

// The fixed parts of ackJSON.
const (
	ackJSONHead = `{"response_type":"ephemeral","text":`
	ackJSONMid  = `,"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"Working on it: "},{"type":"text","text":`
	ackJSONTail = `,"style":{"code":true}},{"type":"text","text":"…"}]}]}]}`
)

// authentic reads a Slack request's body and lets it through only when
// its v0 signature is good and this process has not seen it before: the
// one gate of /slack/commands and /slack/interactions. Otherwise it answers
// the request itself (401, or an empty 200 for a replay), counts it with
// count, and returns false; nothing else is done.
func (s *Server) authentic(w http.ResponseWriter, r *http.Request, kind string, count func(result string)) ([]byte, bool) {
	if s.o.SigningSecret == "" {
		http.Error(w, kind+"s not configured", http.StatusServiceUnavailable)
		return nil, false
	}
	// A client that trickles its body is cut off at the deadline, whatever
	// the server's own ReadTimeout (httptest servers have none).
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout(r, s.o.BodyTimeout)))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return nil, false
	}
	if err := s.verify(r.Header, body); err != nil {
		// Anyone can send these, so one log line each would let them fill
		// the log: they are counted, and logged at debug only. slack-go's
		// errors name the failed check, never the secret or the expected
		// signature.
		s.log.Debug(kind+" refused", "reason", err.Error())
		count(ResultUnauthorized)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return nil, false
	}
	if !s.replays.first(requestKey(r.Header), stamp(r.Header), time.Now()) {
		// The same signed request again: acknowledged with an empty 200
		// (Slack shows nothing; a duplicate from a proxy retry stays
		// invisible) and nothing else is done.
		s.log.Debug(kind + " replayed; ignored")
		count(ResultReplayed)
		w.WriteHeader(http.StatusOK)
		return nil, false
	}
	return body, true
}

// verify checks Slack's v0 signature of body. slack-go compares with
// hmac.Equal and rejects stamps more than five minutes from time.Now.
func (s *Server) verify(h http.Header, body []byte) error {
	sv, err := slack.NewSecretsVerifier(h, s.o.SigningSecret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

// bodyTimeout is d, or the serving http.Server's ReadTimeout when that is
// shorter: a handler's read deadline replaces the server's.
func bodyTimeout(r *http.Request, d time.Duration) time.Duration {
	if hs, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && hs.ReadTimeout > 0 {
		return min(d, hs.ReadTimeout)
	}
	return d
}

// requestKey names a signed request by its signature, which a replay
// repeats: the replay set and the Silencer know a request by it. It is
// lower-cased because the check decodes the hex in either case, so
// "v0=ABC…" passes as well as "v0=abc…", and a copy with its letters'
// case changed must still be the same request.
func requestKey(h http.Header) string {
	return strings.ToLower(h.Get("X-Slack-Signature"))
}

// stamp is the request's X-Slack-Request-Timestamp, which verify has
// checked.
func stamp(h http.Header) time.Time {
	n, _ := strconv.ParseInt(h.Get("X-Slack-Request-Timestamp"), 10, 64)
	return time.Unix(n, 0)
}

// allowedResponseURL reports whether raw lies under the configured prefix.
// Scheme and host are compared parsed, not as strings, so user info
// ("https://hooks.slack.com@evil/") or a look-alike host cannot pass.
func (s *Server) allowedResponseURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" || u.Fragment != "" {
		return false
	}
	return u.Scheme == s.prefix.Scheme &&
		strings.EqualFold(u.Host, s.prefix.Host) &&
		strings.HasPrefix(u.Path, s.prefix.Path) &&
		// Dot segments would let the receiving server resolve the path
		// to somewhere outside the prefix.
		strings.HasPrefix(path.Clean(u.Path)+"/", s.prefix.Path)
}

// ephemeral is the immediate JSON answer to a slash command.
type ephemeral struct {
	ResponseType string        `json:"response_type"`
	Text         string        `json:"text"`
	Blocks       *slack.Blocks `json:"blocks,omitempty"`
}

// respondBlocks is respond with Block Kit blocks; text is then only the
// notification fallback.
func respondBlocks(w http.ResponseWriter, text string, blocks ...slack.Block) {
	e := ephemeral{ResponseType: slack.ResponseTypeEphemeral, Text: text}
	if len(blocks) > 0 {
		e.Blocks = &slack.Blocks{BlockSet: blocks}
	}
	b, err := json.Marshal(e)
	if err != nil {
		http.Error(w, "cannot encode answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// respond writes an ephemeral message as the HTTP answer (status 200: Slack
// shows the text only to the user who typed the command).
func respond(w http.ResponseWriter, text string) {
	b, err := json.Marshal(ephemeral{ResponseType: slack.ResponseTypeEphemeral, Text: text})
	if err != nil { // a struct of two strings always marshals
		http.Error(w, "cannot encode answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// codeSpan shows a command as `code`, where Slack applies no formatting,
// so "chat_ratings" needs no zero-width fences and copies back as typed.
// Only &, < and > are still read as markup there; a backtick would end the
// span, so it becomes a look-alike.
func codeSpan(s string) string {
	// The user's own text comes back to them: Clean it like upstream text.
	return "`" + codeEscaper.Replace(templates.Clean(s)) + "`"
}

var codeEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "`", "ˋ", "\n", " ", "\r", " ")

// plainEscaper escapes the three characters Slack reads as markup in any
// text; the fallback shows the rest as it is.
var plainEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// helpBlocks is the help as blocks: what was wrong with the text (it
// quotes the user's words) in a rich text element, which Slack shows as
// typed, then the help, preformatted.
func helpBlocks(err error) []slack.Block {
	var parts []slack.RichTextElement
	if err != nil {
		var qe *query.Error
		msg := "the command could not be read"
		if errors.As(err, &qe) {
			msg = qe.Msg
		}
		parts = append(parts, slack.NewRichTextSection(slack.NewRichTextSectionEmojiElement("warning", 0, nil),
			slack.NewRichTextSectionTextElement(" "+msg, nil)))
	}
	parts = append(parts, &slack.RichTextPreformatted{Type: slack.RTEPreformatted,
		Elements: []slack.RichTextSectionElement{slack.NewRichTextSectionTextElement(query.HelpText, nil)}})
	return []slack.Block{slack.NewRichTextBlock("", parts...)}
}

// helpText is the help, after what was wrong with the text when err is set.
func helpText(err error) string {
	var b strings.Builder
	if err != nil {
		var qe *query.Error
		msg := "the command could not be read"
		if errors.As(err, &qe) {
			msg = qe.Msg
		}
		b.WriteString(":warning: " + plainEscaper.Replace(msg) + "\n")
	}
	b.WriteString("```\n")
	// HelpText has no mrkdwn markers that matter inside a code block, but
	// its < and > would still be read as Slack markup.
	b.WriteString(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(query.HelpText))
	b.WriteString("```")
	return b.String()
}
