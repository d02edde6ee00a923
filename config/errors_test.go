package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"livechat-digest/livechat"
)

// head is a valid start of a config: a job appended from line 7 on is
// checked on its own.
const head = `livechat:
  base_url: builtin
email:
  from: reports@example.com
  outbox_dir: ./outbox
jobs:
`

// job is a valid job, lines 7-9 after head.
const job = `  - name: daily
    schedule: "0 9 * * *"
    email: {to: [a@example.com]}
`

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// problems parses src as c.yaml and returns its problems, one per line.
func problems(t *testing.T, src string, getenv func(string) (string, bool)) []string {
	t.Helper()
	_, err := Parse("c.yaml", []byte(src), getenv)
	if err == nil {
		return nil
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse returned %T, want Errors: %v", err, err)
	}
	return strings.Split(err.Error(), "\n")
}

func TestValidConfigs(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{
		"head and job":       head + job,
		"quoted channel":     "slack: {bot_token: x}\n" + head + "  - {name: a, schedule: \"0 * * * *\", slack: {channel: \"#support\"}}\n",
		"channel id":         "slack: {bot_token: x}\n" + head + "  - {name: a, schedule: \"@daily\", slack: {channel: C024BE91L}}\n",
		"slack chart":        "slack: {bot_token: x}\n" + head + "  - {name: a, schedule: \"@daily\", slack: {channel: C024BE91L, chart: true}}\n",
		"slack chart off":    "slack: {bot_token: x}\n" + head + "  - {name: a, schedule: \"@daily\", slack: {channel: \"#s\", chart: false}}\n",
		"slack chart in env": "slack: {bot_token: x}\n" + head + "  - {name: a, schedule: \"@daily\", slack: {channel: \"#s\", chart: \"${CHART:-true}\"}}\n",
		"explicit period":    head + job + "    period: 2026-01-01..2026-01-31\n",
		"dollar escape":      "email: {from: reports@example.com, outbox_dir: \"./out$$box\"}\nlivechat: {base_url: builtin}\njobs: []\n",
		"default in env":     "livechat: {base_url: \"${URL:-builtin}\"}\n",
		"alias":              head + "  - {name: a, schedule: \"0 9 * * *\", email: &e {to: [a@example.com]}}\n  - {name: b, schedule: \"0 9 * * *\", email: *e}\n",
		"alerts + threshold": head + "  - {name: a, schedule: \"0 9 * * *\", thresholds: [{metric: goals.goals, below: 1, for: 3}], alerts: {email: {to: [a@example.com]}}}\n",
		"postgres store":     head + job + "store: {url: \"postgres://u:${PGPASS}@db:5432/x\"}\n",
		"null period":        head + job + "    period:\n    compare: ~\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := problems(t, src, env("PGPASS", "pw")); got != nil {
				t.Errorf("want no problems, got:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// TestErrorKinds has one case per kind of problem, with the exact output.
func TestErrorKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		env  []string
		want []string
	}{
		{
			name: "empty file",
			src:  "",
			want: []string{"c.yaml:1: config is empty: it needs at least livechat and jobs"},
		},
		{
			name: "negative cache ttl",
			src:  "livechat:\n  base_url: builtin\n  cache_ttl: -1s\nemail:\n  from: r@example.com\n  outbox_dir: ./o\njobs:\n" + job,
			want: []string{"c.yaml:3: livechat.cache_ttl: must not be negative"},
		},
		{
			name: "comments only",
			src:  "# nothing\n",
			want: []string{"c.yaml:1: config is empty: it needs at least livechat and jobs"},
		},
		{
			name: "top level not a mapping",
			src:  "- a\n- b\n",
			want: []string{"c.yaml:1: top level: expected a mapping of keys, got a list"},
		},
		{
			name: "syntax error with line",
			src:  head + "  - {name: a, schedule: \"0 9 * * *\"\n",
			want: []string{"c.yaml:7: YAML syntax: did not find expected ',' or '}'"},
		},
		{
			name: "unquoted cron",
			src:  head + "  - name: a\n    schedule: */15 * * * *\n",
			want: []string{`c.yaml:8: YAML syntax: did not find expected alphabetic or numeric character; a value starting with * is a YAML alias: quote it, e.g. schedule: "*/15 * * * *"`},
		},
		{
			name: "unquoted star secret is not echoed",
			src:  "livechat:\n  base_url: builtin\n  api_key: *hunter2\n",
			want: []string{"c.yaml:3: a value starting with * is read as a YAML alias, and no such anchor exists: quote values that start with * (cron expressions, passwords)"},
		},
		{
			name: "unquoted at sign",
			src:  head + "  - name: a\n    schedule: @daily\n",
			want: []string{"c.yaml:8: YAML syntax: found character that cannot start any token; values starting with @ or ` must be quoted"},
		},
		{
			name: "syntax error on the first line",
			src:  "a: b: c\n",
			want: []string{"c.yaml:1: YAML syntax: mapping values are not allowed in this context"},
		},
		{
			name: "tab indentation",
			src:  "livechat:\n  base_url: builtin\n\tseed: 1\n",
			want: []string{"c.yaml:3: YAML syntax: found a tab character that violates indentation; indent with spaces"},
		},
		{
			name: "unquoted channel in a flow mapping",
			src:  "slack: {bot_token: x}\n" + head + "  - {name: a, schedule: \"0 9 * * *\", slack: {channel: #support}}\n",
			want: []string{`c.yaml:8: YAML syntax: did not find expected node content (an unquoted # starts a comment: quote channel names, e.g. "#support")`},
		},
		{
			name: "second document",
			src:  head + job + "---\nx: 1\n",
			want: []string{"c.yaml:10: only one YAML document is allowed: remove this --- and what follows"},
		},
		{
			name: "unknown top-level key",
			src:  head + job + "timezon: UTC\n",
			want: []string{"c.yaml:10: unknown key \"timezon\" at the top level (allowed: timezone, livechat, email, slack, server, store, delivery, scheduler, templates_dir, jobs)"},
		},
		{
			name: "misplaced key says where it belongs",
			src:  head + job + "outbox_dir: ./x\n",
			want: []string{"c.yaml:10: unknown key \"outbox_dir\" at the top level (allowed: timezone, livechat, email, slack, server, store, delivery, scheduler, templates_dir, jobs); outbox_dir belongs in email"},
		},
		{
			name: "unknown nested key",
			src:  head + job + "    filters: {groups: 2}\n",
			want: []string{"c.yaml:10: unknown key \"groups\" in jobs[0].filters (allowed: group, agent, tags); groups belongs in jobs[N].breakdown"},
		},
		{
			name: "unknown job key",
			src:  head + job + "    sched: x\n",
			want: []string{"c.yaml:10: unknown key \"sched\" in jobs[0] (allowed: name, schedule, timezone, period, compare, filters, reports, thresholds, insight, breakdown, send, email, slack, alerts)"},
		},
		{
			name: "repeated key",
			src:  head + job + "    period: today\n    period: yesterday\n",
			want: []string{"c.yaml:11: jobs[0]: key \"period\" repeated (first at line 10)"},
		},
		{
			name: "wrong type int",
			src:  "email: {from: r@example.com, smtp: {host: h, port: x587}}\nlivechat: {base_url: builtin}\n",
			want: []string{"c.yaml:1: email.smtp.port: expected an integer, got \"x587\""},
		},
		{
			name: "repeated top-level key",
			src:  head + job + "email: {from: r@example.com}\n",
			want: []string{"c.yaml:10: top level: key \"email\" repeated (first at line 3)"},
		},
		{
			name: "wrong type mapping for list",
			src:  head + "  - {name: a, schedule: \"0 9 * * *\", email: {to: a@example.com}}\n",
			want: []string{"c.yaml:7: jobs[0].email.to: expected a list of email addresses, got a string"},
		},
		{
			name: "wrong type list for mapping",
			src:  "server: [a]\n" + head + job,
			want: []string{"c.yaml:1: server: expected a mapping of keys, got a list"},
		},
		{
			name: "port out of range",
			src:  "email: {from: r@example.com, smtp: {host: h, port: 70000}}\nlivechat: {base_url: builtin}\n",
			want: []string{"c.yaml:1: email.smtp.port: 70000 is out of range (1 to 65535)"},
		},
		{
			name: "bad duration",
			src:  head + job + "delivery: {retry_for: soon}\n",
			want: []string{"c.yaml:10: delivery.retry_for: expected a duration such as 30s or 6h, got \"soon\""},
		},
		{
			name: "bad cron",
			src:  head + "  - {name: a, schedule: \"0 9 * * MON *\", email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:7: job \"a\": bad cron expression \"0 9 * * MON *\": expected exactly 5 fields, found 6"},
		},
		{
			name: "cron out of range",
			src:  head + "  - {name: a, schedule: \"61 * * * *\", email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:7: job \"a\": bad cron expression \"61 * * * *\": end of range (61) above maximum (59): 61"},
		},
		{
			name: "cron never fires",
			src:  head + "  - {name: a, schedule: \"0 0 30 2 *\", email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:7: job \"a\": bad cron expression \"0 0 30 2 *\": it never fires"},
		},
		{
			name: "cron with zone",
			src:  head + "  - {name: a, schedule: \"CRON_TZ=UTC 0 9 * * *\", email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:7: job \"a\": schedule: do not put a zone in the cron expression; set the job's timezone"},
		},
		{
			name: "missing schedule",
			src:  head + "  - {name: a, email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:7: job \"a\": schedule is required (a 5-field cron expression, quoted)"},
		},
		{
			name: "unknown top-level timezone",
			src:  "timezone: Mars/Base\n" + head + job,
			want: []string{"c.yaml:1: timezone: unknown time zone \"Mars/Base\" (use an IANA name such as Europe/Warsaw)"},
		},
		{
			name: "local timezone refused",
			src:  "timezone: Local\n" + head + job,
			want: []string{"c.yaml:1: timezone: name a zone such as Europe/Warsaw or UTC (the machine's local zone is not allowed)"},
		},
		{
			name: "unknown job timezone",
			src:  head + job + "    timezone: Europe/Warsw\n",
			want: []string{"c.yaml:10: jobs[0].timezone: unknown time zone \"Europe/Warsw\" (use an IANA name such as Europe/Warsaw)"},
		},
		{
			name: "unknown period",
			src:  head + job + "    period: last_fortnight\n",
			want: []string{"c.yaml:10: jobs[0].period: unknown period \"last_fortnight\" (want today, yesterday, last_7_days, last_week, month_to_date, last_month or YYYY-MM-DD..YYYY-MM-DD)"},
		},
		{
			name: "unknown compare",
			src:  head + job + "    compare: last_year\n",
			want: []string{"c.yaml:10: jobs[0].compare: unknown compare \"last_year\" (want previous_period, same_weekday_last_week or none)"},
		},
		{
			name: "unknown report",
			src:  head + job + "    reports: [total_chats, chat_rating]\n",
			want: []string{"c.yaml:10: jobs[0].reports: unknown report \"chat_rating\" (known: " + reportNames(livechat.V2) + ")"},
		},
		{
			name: "report twice",
			src:  head + job + "    reports: [goals, goals]\n",
			want: []string{"c.yaml:10: jobs[0].reports: report goals listed twice"},
		},
		{
			name: "empty reports",
			src:  head + job + "    reports: []\n",
			want: []string{"c.yaml:10: jobs[0].reports: empty; leave the key out for all reports"},
		},
		{
			name: "unknown metric of a known report",
			src:  head + job + "    thresholds: [{metric: total_chats.count, above: 1}]\n",
			want: []string{"c.yaml:10: jobs[0].thresholds[0].metric: unknown metric \"total_chats.count\" (total_chats has: total_chats.chats)"},
		},
		{
			name: "unknown metric",
			src:  head + job + "    thresholds: [{metric: frt, above: 1}]\n",
			want: []string{"c.yaml:10: jobs[0].thresholds[0].metric: unknown metric \"frt\": metric keys are REPORT.FIELD from the metric catalogue, e.g. total_chats.chats"},
		},
		{
			name: "metric of an unlisted report",
			src:  head + job + "    reports: [total_chats]\n    thresholds:\n      - metric: goals.goals\n        below: 1\n",
			want: []string{"c.yaml:12: job \"daily\": threshold metric goals.goals needs report goals, which the job's reports do not list"},
		},
		{
			name: "threshold without bound",
			src:  head + job + "    thresholds: [{metric: goals.goals}]\n",
			want: []string{"c.yaml:10: jobs[0].thresholds[0]: give one bound: above, below, change_pct_above, change_pct_below or anomaly"},
		},
		{
			name: "threshold with two bounds",
			src:  head + job + "    thresholds:\n      - metric: goals.goals\n        above: 10\n        below: 1\n",
			want: []string{"c.yaml:13: jobs[0].thresholds[0]: has 2 bounds (above, below); give one, and a second threshold for a range"},
		},
		{
			name: "threshold for below 1",
			src:  head + job + "    thresholds: [{metric: goals.goals, above: 1, for: 0}]\n",
			want: []string{"c.yaml:10: jobs[0].thresholds[0].for: 0 is out of range (1 to 1000)"},
		},
		{
			name: "threshold bound not a number",
			src:  head + job + "    thresholds: [{metric: goals.goals, above: lots}]\n",
			want: []string{"c.yaml:10: jobs[0].thresholds[0].above: expected a number, got \"lots\""},
		},
		{
			name: "duplicate job names",
			src:  head + job + job,
			want: []string{"c.yaml:10: jobs[1]: duplicate job name \"daily\" (first at line 7)"},
		},
		{
			name: "empty job name",
			src:  head + "  - {name: \"\", schedule: \"0 9 * * *\", email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:7: jobs[0].name: empty"},
		},
		{
			name: "missing job name",
			src:  head + "  - {schedule: \"0 9 * * *\", email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:7: jobs[0]: name is required"},
		},
		{
			name: "bad job name",
			src:  head + "  - {name: weekly support, schedule: \"0 9 * * *\", email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:7: jobs[0].name: \"weekly support\" may hold only letters, digits, '-', '_' and '.'"},
		},
		{
			name: "job does nothing",
			src:  head + "  - {name: idle, schedule: \"0 9 * * *\"}\n",
			want: []string{"c.yaml:7: job \"idle\" does nothing: give it email or slack (a digest), or alerts with thresholds"},
		},
		{
			name: "alerts without thresholds",
			src:  head + "  - name: idle\n    schedule: \"0 9 * * *\"\n    alerts: {email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:9: job \"idle\" has alerts but no thresholds to alert on"},
		},
		{
			name: "alerts without targets",
			src:  head + job + "    alerts: {}\n",
			want: []string{"c.yaml:10: jobs[0].alerts: give slack, email or both"},
		},
		{
			name: "email job without from",
			src:  "livechat: {base_url: builtin}\nemail: {outbox_dir: ./o}\njobs:\n  - {name: a, schedule: \"0 9 * * *\", email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:4: jobs[0].email: sending email needs email.from"},
		},
		{
			name: "email job without smtp or outbox",
			src:  "livechat: {base_url: builtin}\nemail: {from: r@example.com}\njobs:\n  - {name: a, schedule: \"0 9 * * *\", email: {to: [a@example.com]}}\n",
			want: []string{"c.yaml:4: jobs[0].email: sending email needs email.smtp or email.outbox_dir"},
		},
		{
			name: "alert email without email section",
			src:  "livechat: {base_url: builtin}\njobs:\n  - name: a\n    schedule: \"0 9 * * *\"\n    thresholds: [{metric: goals.goals, below: 1}]\n    alerts:\n      email: {to: [a@example.com]}\n",
			want: []string{
				"c.yaml:7: jobs[0].alerts.email: sending email needs email.from",
				"c.yaml:7: jobs[0].alerts.email: sending email needs email.smtp or email.outbox_dir",
			},
		},
		{
			name: "bad from address",
			src:  "email: {from: reports-at-example.com, outbox_dir: ./o}\nlivechat: {base_url: builtin}\n",
			want: []string{"c.yaml:1: email.from: \"reports-at-example.com\" is not an email address (missing '@' or angle-addr)"},
		},
		{
			name: "bad to address",
			src:  head + "  - name: a\n    schedule: \"0 9 * * *\"\n    email:\n      to: [a@example.com, \"Bob <bob@>\"]\n",
			want: []string{"c.yaml:10: jobs[0].email.to: \"Bob <bob@>\" is not an email address (invalid string)"},
		},
		{
			name: "empty to list",
			src:  head + "  - name: a\n    schedule: \"0 9 * * *\"\n    email:\n      to: []\n",
			want: []string{"c.yaml:10: jobs[0].email.to: empty; list at least one address"},
		},
		{
			name: "bad subject template",
			src:  head + "  - {name: a, schedule: \"0 9 * * *\", email: {to: [a@example.com], subject: \"{{.Period\"}}\n",
			want: []string{"c.yaml:7: jobs[0].email.subject: not a valid template: subject:1: unclosed action"},
		},
		{
			name: "slack job without bot token",
			src:  head + "  - {name: a, schedule: \"0 9 * * *\", slack: {channel: \"#support\"}}\n",
			want: []string{"c.yaml:7: jobs[0].slack: posting to Slack needs slack.bot_token"},
		},
		{
			name: "unquoted channel",
			src:  "slack: {bot_token: t}\n" + head + "  - name: a\n    schedule: \"0 9 * * *\"\n    slack:\n      channel: #support\n",
			want: []string{`c.yaml:11: jobs[0].slack.channel: empty; an unquoted # starts a YAML comment: write channel: "#support"`},
		},
		{
			name: "slack chart not a boolean",
			src:  "slack: {bot_token: t}\n" + head + "  - {name: a, schedule: \"0 9 * * *\", slack: {channel: \"#s\", chart: yes}}\n",
			want: []string{`c.yaml:8: jobs[0].slack.chart: expected true or false, got "yes"`},
		},
		{
			name: "slack chart empty",
			src:  "slack: {bot_token: t}\n" + head + "  - name: a\n    schedule: \"0 9 * * *\"\n    slack:\n      channel: \"#s\"\n      chart:\n",
			want: []string{"c.yaml:12: jobs[0].slack.chart: expected true or false, got nothing"},
		},
		{
			name: "slack chart on an alert",
			src:  "slack: {bot_token: t}\n" + head + "  - {name: a, schedule: \"0 9 * * *\", thresholds: [{metric: goals.goals, below: 1}], alerts: {slack: {channel: \"#s\", chart: true}}}\n",
			want: []string{`c.yaml:8: unknown key "chart" in jobs[0].alerts.slack (allowed: channel); chart belongs in jobs[N].slack`},
		},
		{
			name: "empty channel",
			src:  "slack: {bot_token: t}\n" + head + "  - {name: a, schedule: \"0 9 * * *\", slack: {channel: \"\"}}\n",
			want: []string{"c.yaml:8: jobs[0].slack.channel: empty"},
		},
		{
			name: "smtp tls",
			src:  "email: {from: r@example.com, smtp: {host: h, tls: ssl}}\nlivechat: {base_url: builtin}\n",
			want: []string{"c.yaml:1: email.smtp.tls: \"ssl\" is not one of starttls, tls, none"},
		},
		{
			name: "smtp without host",
			src:  "email:\n  from: r@example.com\n  smtp:\n    port: 25\nlivechat: {base_url: builtin}\n",
			want: []string{"c.yaml:4: email.smtp.host is required"},
		},
		{
			name: "store url",
			src:  "store: {url: \"mysql://u:pw@h/db\"}\n" + head + job,
			want: []string{"c.yaml:1: store.url: must be sqlite:PATH or postgres://USER@HOST/DB (the value is not shown: it may hold a password)"},
		},
		{
			name: "base url",
			src:  "livechat: {base_url: api.livechatinc.com}\n",
			want: []string{"c.yaml:1: livechat.base_url: \"api.livechatinc.com\" is neither builtin nor an http(s) URL"},
		},
		{
			name: "base url missing",
			src:  "timezone: UTC\n",
			want: []string{"c.yaml:1: livechat.base_url is required: the Reports API URL (https://api.livechatinc.com) or builtin for the simulator"},
		},
		{
			name: "real base url without credentials",
			src:  "livechat:\n  base_url: https://api.livechatinc.com\n  login: \"\"\n",
			want: []string{
				"c.yaml:2: livechat.api_key is required with a real base_url (or use base_url: builtin)",
				"c.yaml:3: livechat.login: empty (required with a real base_url)",
			},
		},
		{
			name: "server addr",
			src:  "server: {addr: \"8080\"}\n" + head + job,
			want: []string{"c.yaml:1: server.addr: \"8080\" is not HOST:PORT (e.g. \":8080\" or \"127.0.0.1:8080\")"},
		},
		{
			name: "pprof addr public",
			src:  "server: {addr: \":8080\", pprof_addr: \":6060\"}\n" + head + job,
			want: []string{"c.yaml:1: server.pprof_addr: \":6060\" is not a loopback address (127.0.0.1, ::1 or localhost): profiles are never served beyond this machine"},
		},
		{
			name: "pprof addr on all interfaces",
			src:  "server:\n  pprof_addr: 0.0.0.0:6060\n" + head + job,
			want: []string{"c.yaml:2: server.pprof_addr: \"0.0.0.0:6060\" is not a loopback address (127.0.0.1, ::1 or localhost): profiles are never served beyond this machine"},
		},
		{
			name: "pprof addr without a port",
			src:  "server: {pprof_addr: \"127.0.0.1\"}\n" + head + job,
			want: []string{"c.yaml:1: server.pprof_addr: \"127.0.0.1\" is not HOST:PORT with a port (e.g. \"127.0.0.1:6060\")"},
		},
		{
			name: "unset variable",
			src:  "livechat:\n  base_url: https://api.livechatinc.com\n  login: me\n  api_key: ${LC_KEY}\n",
			want: []string{"c.yaml:4: livechat.api_key: environment variable LC_KEY is not set (set it, or give a default: ${LC_KEY:-value})"},
		},
		{
			name: "unterminated variable",
			src:  "livechat: {base_url: \"${URL\"}\n",
			want: []string{"c.yaml:1: livechat.base_url: unterminated ${ (write $$ for a literal $)"},
		},
		{
			name: "expanded value is shown as written",
			src:  "email: {from: r@example.com, smtp: {host: h, port: \"${PORT}\"}}\nlivechat: {base_url: builtin}\n",
			env:  []string{"PORT", "x25"},
			want: []string{"c.yaml:1: email.smtp.port: expected an integer, got \"${PORT}\" (after expansion)"},
		},
		{
			name: "group not a number",
			src:  head + job + "    filters: {group: sales}\n",
			want: []string{"c.yaml:10: jobs[0].filters.group: expected a group id (a whole number), got \"sales\""},
		},
		{
			name: "merge keys",
			src:  head + job + "    <<: {period: today}\n",
			want: []string{"c.yaml:10: jobs[0]: merge keys (<<) are not supported"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := problems(t, tt.src, env(tt.env...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s\nconfig:\n%s", diff, tt.src)
			}
		})
	}
}
