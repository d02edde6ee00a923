package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"livechat-digest/livechat"
)

// v36Head is a valid start of a v3.6 config with a personal access token; a
// job appended from line 10 on is checked on its own.
const v36Head = `livechat:
  api: "3.6"
  base_url: https://api.livechatinc.com
  account_id: ${LC_ACCOUNT}
  token: ${LC_PAT}
email:
  from: reports@example.com
  outbox_dir: ./outbox
jobs:
`

var v36Env = []string{"LC_ACCOUNT", "acc-1", "LC_PAT", "pat-Zq81", "LC_OAUTH", "dal:oauth-Zq81"}

func TestLoadV36(t *testing.T) {
	t.Parallel()
	c, err := Parse("c.yaml", []byte(v36Head+job), env(v36Env...))
	if err != nil {
		t.Fatal(err)
	}
	if c.LiveChat.API != livechat.V36 || c.LiveChat.AccountID != "acc-1" || c.LiveChat.Token.Reveal() != "pat-Zq81" || c.LiveChat.OAuthToken != "" {
		t.Errorf("livechat %+v", c.LiveChat)
	}
	j := c.Jobs[0]
	if j.API != livechat.V36 || !slices.Equal(j.Reports, livechat.ReportsOn(livechat.V36)) {
		t.Errorf("job API %q reports %v", j.API, j.Reports)
	}
	for _, r := range j.Reports {
		if r == livechat.TicketsNew || r == livechat.Goals || r == livechat.AgentsOccupancy {
			t.Errorf("v3.6 default reports include %s", r)
		}
	}

	oauth := "livechat:\n  api: 3.6\n  base_url: https://api.livechatinc.com\n  oauth_token: ${LC_OAUTH}\n" + head[len("livechat:\n  base_url: builtin\n"):]
	c, err = Parse("c.yaml", []byte(oauth+job+"    reports: [unique_visitors, not_replied, chat_duration]\n    thresholds: [{metric: not_replied.chats, above: 3}]\n"), env(v36Env...))
	if err != nil {
		t.Fatal(err)
	}
	if c.LiveChat.OAuthToken.Reveal() != "dal:oauth-Zq81" || c.LiveChat.API != livechat.V36 {
		t.Errorf("livechat %+v", c.LiveChat)
	}

	// builtin needs no credentials on either version.
	if _, err := Parse("c.yaml", []byte("livechat:\n  api: \"3.6\"\n  base_url: builtin\n"+head[len("livechat:\n  base_url: builtin\n"):]+job), nil); err != nil {
		t.Errorf("builtin v3.6: %v", err)
	}
}

// TestV36Mismatches: every mismatch between the version and what the file
// gives is named at its own line.
func TestV36Mismatches(t *testing.T) {
	t.Parallel()
	v2Head := "livechat:\n  base_url: https://api.livechatinc.com\n  login: me\n  api_key: k\n" + head[len("livechat:\n  base_url: builtin\n"):]
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "unknown version",
			src:  "livechat:\n  api: \"3\"\n  base_url: builtin\n" + head[len("livechat:\n  base_url: builtin\n"):] + job,
			want: []string{`c.yaml:2: livechat.api: "3" is not a Reports API version: give "2" or "3.6"`},
		},
		{
			name: "v2 credentials with 3.6",
			src:  "livechat:\n  api: \"3.6\"\n  base_url: https://api.livechatinc.com\n  login: me\n  api_key: k\n  account_id: a\n  token: t\n" + head[len("livechat:\n  base_url: builtin\n"):] + job,
			want: []string{
				`c.yaml:4: livechat.login is a v2 credential, but livechat.api is "3.6": use account_id and token (a personal access token), or oauth_token`,
				`c.yaml:5: livechat.api_key is a v2 credential, but livechat.api is "3.6": use account_id and token (a personal access token), or oauth_token`,
			},
		},
		{
			name: "v3.6 credentials with v2",
			src:  "livechat:\n  base_url: https://api.livechatinc.com\n  login: me\n  api_key: k\n  token: t\n  oauth_token: o\n" + head[len("livechat:\n  base_url: builtin\n"):] + job,
			want: []string{
				`c.yaml:5: livechat.token is a Reports API v3.6 credential, but livechat.api is "2" (the default): set api: "3.6", or use login and api_key`,
				`c.yaml:6: livechat.oauth_token is a Reports API v3.6 credential, but livechat.api is "2" (the default): set api: "3.6", or use login and api_key`,
			},
		},
		{
			name: "both a personal access token and an OAuth token",
			src:  v36Head[:len(v36Head)-len("email:\n  from: reports@example.com\n  outbox_dir: ./outbox\njobs:\n")] + "  oauth_token: ${LC_OAUTH}\n" + head[len("livechat:\n  base_url: builtin\n"):] + job,
			want: []string{`c.yaml:6: livechat.oauth_token: give either oauth_token (Bearer) or account_id with token (a personal access token), not both`},
		},
		{
			name: "token without account_id",
			src:  "livechat:\n  api: \"3.6\"\n  base_url: https://api.livechatinc.com\n  token: t\n" + head[len("livechat:\n  base_url: builtin\n"):] + job,
			want: []string{`c.yaml:4: livechat.token: a personal access token needs livechat.account_id (basic auth is account_id:token)`},
		},
		{
			name: "account_id without token",
			src:  "livechat:\n  api: \"3.6\"\n  base_url: https://api.livechatinc.com\n  account_id: a\n" + head[len("livechat:\n  base_url: builtin\n"):] + job,
			want: []string{`c.yaml:4: livechat.account_id needs livechat.token, the personal access token`},
		},
		{
			name: "no credentials",
			src:  "livechat:\n  api: \"3.6\"\n  base_url: https://api.livechatinc.com\n" + head[len("livechat:\n  base_url: builtin\n"):] + job,
			want: []string{`c.yaml:2: livechat: Reports API v3.6 needs account_id and token (a personal access token with reports_read), or oauth_token, with a real base_url (or use base_url: builtin)`},
		},
		{
			name: "v3.6 job naming reports v3.6 lacks",
			src:  v36Head + job + "    reports:\n      - total_chats\n      - tickets_new\n      - agents_occupancy\n",
			want: []string{
				`c.yaml:15: jobs[0].reports: report tickets_new is not available on Reports API v3.6 (livechat.api at line 2 is "3.6"), which has no tickets, goals or agents_occupancy reports`,
				`c.yaml:16: jobs[0].reports: report agents_occupancy is not available on Reports API v3.6 (livechat.api at line 2 is "3.6"), which has no tickets, goals or agents_occupancy reports`,
			},
		},
		{
			name: "v3.6 threshold on a v2-only metric",
			src:  v36Head + job + "    thresholds: [{metric: goals.goals, above: 1}]\n",
			want: []string{`c.yaml:13: job "daily": threshold metric goals.goals is not available on Reports API v3.6 (livechat.api at line 2 is "3.6"), which has no tickets, goals or agents_occupancy reports`},
		},
		{
			name: "v2 job naming a v3.6-only report",
			src:  v2Head + job + "    reports: [total_chats, unique_visitors]\n",
			want: []string{`c.yaml:12: jobs[0].reports: report unique_visitors is only available on Reports API v3.6 (livechat.api is "2" (the default)): set livechat.api: "3.6"`},
		},
		{
			name: "v2 threshold on a v3.6-only field",
			src:  v2Head + job + "    thresholds:\n      - {metric: total_chats.continuous, above: 1}\n      - {metric: greetings.canceled, above: 1}\n",
			want: []string{
				`c.yaml:13: job "daily": threshold metric total_chats.continuous is only available on Reports API v3.6 (livechat.api is "2" (the default)): set livechat.api: "3.6"`,
				`c.yaml:14: job "daily": threshold metric greetings.canceled is only available on Reports API v3.6 (livechat.api is "2" (the default)): set livechat.api: "3.6"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := problems(t, tt.src, env(v36Env...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nconfig:\n%s", diff, tt.src)
			}
			for _, p := range got {
				for _, secret := range []string{"pat-Zq81", "oauth-Zq81"} {
					if strings.Contains(p, secret) {
						t.Errorf("problem shows a secret: %s", p)
					}
				}
			}
		})
	}
}
