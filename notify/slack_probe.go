package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// SlackIdentity is who the bot token speaks as (auth.test).
type SlackIdentity struct {
	Team, User string
}

// ProbeAuth checks the bot token with auth.test; it posts nothing. Errors
// name the method and never the token.
func (s *Slack) ProbeAuth(ctx context.Context) (SlackIdentity, error) {
	r, err := s.api.AuthTestContext(ctx)
	if err != nil {
		return SlackIdentity{}, s.classify(ctx, "auth", "auth.test", err)
	}
	return SlackIdentity{Team: r.Team, User: r.User}, nil
}

// ChannelProbe is what a probe learned of one configured channel.
type ChannelProbe struct {
	Channel string
	// Verified is set when conversations.info answered for it.
	Verified bool
	// Member reports whether the bot is in the channel (when Verified):
	// without chat:write.public it can post only where it is a member.
	Member bool
	// Unverifiable says why the channel could not be checked when the
	// token may not look channels up (no channels:read): not a failure.
	Unverifiable string
	// Err is set when Slack says the channel is wrong (not found,
	// archived) or the call failed.
	Err error
}

// ProbeChannel checks channel ch ("#name" or an ID) with conversations.info,
// a name first looked up with conversations.list, both of which need
// channels:read (groups:read for private channels). A token without it
// gets an Unverifiable result, not an error; nothing is posted.
func (s *Slack) ProbeChannel(ctx context.Context, ch string) ChannelProbe {
	p := ChannelProbe{Channel: ch}
	id := ch
	if !channelIDPattern.MatchString(ch) {
		ids, err := s.listChannels(ctx)
		if missingScope(err) {
			p.Unverifiable = "the bot token lacks channels:read, so the channel could not be looked up"
			return p
		}
		if err != nil {
			p.Err = s.classify(ctx, ch, "conversations.list", err)
			return p
		}
		name := strings.TrimPrefix(ch, "#")
		var ok bool
		if id, ok = ids[name]; !ok {
			p.Err = fmt.Errorf("notify: slack %s: channel not found among the channels the bot can see", ch)
			return p
		}
	}
	c, err := s.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	switch {
	case missingScope(err):
		p.Unverifiable = "the bot token lacks channels:read, so the channel could not be checked"
	case err != nil:
		p.Err = s.classify(ctx, ch, "conversations.info", err)
	case c.IsArchived:
		p.Err = fmt.Errorf("notify: slack %s: the channel is archived", ch)
	default:
		p.Verified, p.Member = true, c.IsMember
	}
	return p
}

// missingScope reports an ok:false answer that names a scope the token
// lacks.
func missingScope(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && (se.Err == "missing_scope" || se.Err == "no_permission")
}
