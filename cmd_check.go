package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"livechat-digest/config"
	"livechat-digest/livechat"
	"livechat-digest/notify"
	"livechat-digest/store"
)

// The words of a check line's first column. Only fail makes check exit 1.
const (
	checkOK   = "ok"
	checkWarn = "warn"
	checkFail = "FAIL"
)

// checkLine is one line of `check`: a status, the connection and what was
// found, with what to fix when it failed.
type checkLine struct {
	status, what, detail string
}

func (a *app) checkCmd() *cobra.Command {
	var quick bool
	cmd := &cobra.Command{
		Use:   "check [--quick]",
		Short: "Try every outside connection the config names (LiveChat, SMTP, Slack, store); sends and posts nothing",
		Long: "Try every outside connection the config names and print one line each, with what to fix:\n" +
			"LiveChat (one small request per report the jobs use), SMTP (connect, TLS, AUTH; no message),\n" +
			"Slack (auth.test, and each channel with conversations.info), the store (reachable, migrations current).\n" +
			"Exit 0 when all are ok, 1 otherwise. --quick makes one LiveChat request in all (a readiness probe).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig()
			if err != nil {
				return err
			}
			lines := a.check(cmd.Context(), cfg, quick)
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			failedAny := false
			for _, l := range lines {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", l.status, l.what, l.detail)
				failedAny = failedAny || l.status == checkFail
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if failedAny {
				return &exitError{code: exitFailed, err: errors.New("livechat-digest: check: some connections failed")}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&quick, "quick", false, "one LiveChat request in all, so a readiness probe does not spend the account's rate limit")
	return cmd
}

// check tries every connection of cfg, in the order LiveChat, email, Slack,
// store.
func (a *app) check(ctx context.Context, cfg *config.Config, quick bool) []checkLine {
	var lines []checkLine
	lines = append(lines, a.checkLiveChat(ctx, cfg, quick)...)
	lines = append(lines, checkEmail(ctx, cfg)...)
	lines = append(lines, checkSlack(ctx, cfg)...)
	return append(lines, checkStore(ctx, cfg))
}

// checkTimeout bounds each check; a connection slower than this is a
// problem worth a line of its own.
const checkTimeout = 30 * time.Second

// checkLiveChat asks for yesterday (one day, no filters) once per report the
// jobs use, one request per distinct v3.6 request (queued_visitors and
// queue_waiting_times share one), or one request in all with quick. It
// makes no retries: a check reports, it does not persist.
func (a *app) checkLiveChat(ctx context.Context, cfg *config.Config, quick bool) []checkLine {
	what := "livechat"
	var mu sync.Mutex
	seen := map[livechat.Lifecycle]bool{}
	observe := func(_ context.Context, l livechat.Lifecycle) {
		mu.Lock()
		seen[l] = true
		mu.Unlock()
	}
	client, stop, err := upstream(cfg, slog.New(slog.DiscardHandler), nil, observe,
		livechat.WithRetry(1, time.Millisecond, time.Millisecond))
	if err != nil {
		return []checkLine{{checkFail, what, err.Error()}}
	}
	defer stop()

	api := cfg.LiveChat.API
	type group struct {
		key     string
		reports []livechat.Report
	}
	var groups []group
	for _, r := range reportsUsed(cfg) {
		m, _ := livechat.MethodOf(api, r)
		key := m.Name()
		if r == livechat.NotReplied {
			key += " (unreplied)"
		}
		if i := slices.IndexFunc(groups, func(g group) bool { return g.key == key }); i >= 0 {
			groups[i].reports = append(groups[i].reports, r)
			continue
		}
		groups = append(groups, group{key: key, reports: []livechat.Report{r}})
	}
	if quick {
		groups = groups[:1]
	}
	day := livechat.DateOf(time.Now().In(cfg.Location).AddDate(0, 0, -1))
	q := livechat.Query{From: day, To: day, Timezone: cfg.Location.String(), GroupBy: livechat.ByDay,
		Weekday: [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}[day.Weekday()]}
	var lines []checkLine
	for i, g := range groups {
		info, _ := livechat.Lookup(g.reports[0])
		qq := q
		if info.Shape != livechat.ShapeBuckets {
			qq.GroupBy = "" // rankings and occupancy take no group_by
		}
		names := make([]string, len(g.reports))
		for i, r := range g.reports {
			names[i] = string(r)
		}
		label := fmt.Sprintf("Reports API %s %s (%s)", api, g.key, strings.Join(names, ", "))
		rctx, cancel := context.WithTimeout(ctx, checkTimeout)
		_, err := client.Fetch(rctx, g.reports[0], qq)
		cancel()
		if err != nil {
			detail := label + ": " + err.Error() + " — " + liveChatAdvice(api, err)
			if rest := len(groups) - i - 1; rest > 0 && errors.Is(err, livechat.ErrUnauthorized) {
				// Credentials refused for one report are refused for all:
				// one line to fix, and no more requests spent on them.
				lines = append(lines, checkLine{checkFail, what, fmt.Sprintf("%s; the other %d LiveChat requests were not tried", detail, rest)})
				break
			}
			lines = append(lines, checkLine{checkFail, what, detail})
			continue
		}
		lines = append(lines, checkLine{checkOK, what, label})
	}
	var notes []livechat.Lifecycle
	for l := range seen {
		notes = append(notes, l)
	}
	slices.SortFunc(notes, func(x, y livechat.Lifecycle) int { return strings.Compare(x.String(), y.String()) })
	for _, l := range notes {
		lines = append(lines, checkLine{checkWarn, what, fmt.Sprintf(
			"answers carry %s: %s — Reports API %s is going away on that date: move to LiveChat's stable version before it (README, \"Reports API v3.6\")",
			l.Header, l.Value, l.API)})
	}
	return lines
}

// reportsUsed is every report some job fetches, in registry order, or
// total_chats for a config with no jobs.
func reportsUsed(cfg *config.Config) []livechat.Report {
	var out []livechat.Report
	for _, i := range livechat.Reports {
		for _, j := range cfg.Jobs {
			if slices.Contains(j.Reports, i.Report) && !slices.Contains(out, i.Report) {
				out = append(out, i.Report)
			}
		}
	}
	if len(out) == 0 {
		out = []livechat.Report{livechat.TotalChats}
	}
	return out
}

// liveChatAdvice says what to fix for a failed LiveChat request. On v3.6 it
// follows the error's type (reference §6), since statuses are not
// documented there.
func liveChatAdvice(api livechat.API, err error) string {
	var ae *livechat.APIError
	var de *livechat.DecodeError
	switch {
	case errors.As(err, &de):
		return "the answer is not a Reports API answer: is livechat.base_url the API (https://api.livechatinc.com)?"
	case !errors.As(err, &ae):
		return "check livechat.base_url"
	case ae.Type == "authentication" || (ae.Type == "" && ae.Status == http.StatusUnauthorized):
		if api == livechat.V36 {
			return "the token is wrong or expired, or a personal access token was sent as Bearer: " +
				"a PAT goes in livechat.token with livechat.account_id (basic auth), only an OAuth token in oauth_token"
		}
		return "livechat.login or livechat.api_key is wrong"
	case ae.Type == "authorization" || (ae.Type == "" && ae.Status == http.StatusForbidden):
		if api == livechat.V2 {
			return "the login may not read reports: give it access to reports in LiveChat, or log in as one that has it"
		}
		return "the token lacks the reports_read scope (or the account may not read reports): create a personal access token with reports_read"
	case ae.Type == "misdirected_request":
		return "LiveChat says the account lives in another region, also when asked in the region it named: " +
			"report it with this line (region handling is among the points still to verify, README)"
	case ae.Status == http.StatusNotFound:
		return "no such method here: check livechat.base_url (requests go to {base_url}" + map[livechat.API]string{livechat.V2: "/reports/...", livechat.V36: "/v3.6/reports/..."}[api] +
			"); the path of customers/unique_visitors is among the points still to verify (README)"
	case ae.Type == "license_expired":
		return "the LiveChat license has expired"
	case ae.Type == "unsupported_version":
		return "LiveChat no longer serves this Reports API version: set livechat.api to a current one"
	case ae.Type == "validation" || (ae.Type == "" && ae.Status == http.StatusBadRequest):
		return "LiveChat refused the request as malformed: please report it with this line"
	case ae.Type == "too_many_requests" || ae.Status == http.StatusTooManyRequests:
		return "rate limited: try again later; use check --quick for readiness probes"
	case ae.Status == 0:
		return "LiveChat could not be reached: check livechat.base_url, DNS, proxy and firewall"
	case ae.Status >= 500:
		return "LiveChat answered with a server error: try again later"
	}
	return "unexpected answer"
}

// checkEmail tries the SMTP session digests are sent in (or the outbox
// folder that replaces it).
func checkEmail(ctx context.Context, cfg *config.Config) []checkLine {
	const what = "email"
	e := cfg.Email
	switch {
	case e.OutboxDir != "":
		if err := os.MkdirAll(e.OutboxDir, 0o750); err != nil {
			return []checkLine{{checkFail, what, fmt.Sprintf("outbox_dir %s cannot be created: %v", e.OutboxDir, err)}}
		}
		f, err := os.CreateTemp(e.OutboxDir, ".check-*")
		if err != nil {
			return []checkLine{{checkFail, what, fmt.Sprintf("outbox_dir %s is not writable: %v", e.OutboxDir, err)}}
		}
		_ = f.Close()
		_ = os.Remove(f.Name())
		return []checkLine{{checkOK, what, fmt.Sprintf("outbox_dir %s is writable (no SMTP: messages are written there)", e.OutboxDir)}}
	case e.SMTP == nil:
		return nil
	}
	s := e.SMTP
	smtp, err := notify.NewSMTP(notify.SMTPConfig{Host: s.Host, Port: s.Port, Username: s.Username,
		Password: s.Password.Reveal(), TLS: s.TLS, Timeout: min(time.Duration(s.Timeout), checkTimeout)})
	if err != nil {
		return []checkLine{{checkFail, what, err.Error()}}
	}
	label := fmt.Sprintf("smtp %s:%d (tls: %s)", s.Host, s.Port, s.TLS)
	if err := smtp.Probe(ctx); err != nil {
		return []checkLine{{checkFail, what, label + ": " + err.Error() + " — " + smtpAdvice(err)}}
	}
	done := "connected"
	if s.TLS != config.TLSNone {
		done += ", TLS"
	}
	if s.Username != "" {
		done += ", authenticated as " + s.Username
	}
	return []checkLine{{checkOK, what, label + ": " + done + "; nothing sent"}}
}

func smtpAdvice(err error) string {
	var pe *notify.ProbeError
	if !errors.As(err, &pe) {
		return "check email.smtp"
	}
	switch pe.Step {
	case notify.ProbeConnect:
		return "check email.smtp.host and port (and, for tls: tls, that the port speaks TLS and its certificate is trusted)"
	case notify.ProbeGreet:
		return "the server did not greet like an SMTP server: check email.smtp.port"
	case notify.ProbeTLS:
		return "STARTTLS failed: the server must offer it for tls: starttls, with a certificate trusted for email.smtp.host (tls: none only for a local relay)"
	case notify.ProbeAuth:
		return "the server refused the login: check email.smtp.username and password"
	}
	return "check email.smtp"
}

// checkSlack checks the bot token and every channel the jobs post to.
func checkSlack(ctx context.Context, cfg *config.Config) []checkLine {
	const what = "slack"
	tok := cfg.Slack.BotToken.Reveal()
	if tok == "" {
		return nil
	}
	s, err := notify.NewSlack(tok, cfg.Slack.APIURL, &http.Client{Timeout: checkTimeout})
	if err != nil {
		return []checkLine{{checkFail, what, err.Error()}}
	}
	id, err := s.ProbeAuth(ctx)
	if err != nil {
		return []checkLine{{checkFail, what, "auth.test: " + err.Error() + " — slack.bot_token is wrong, revoked or not a bot token (xoxb-)"}}
	}
	lines := []checkLine{{checkOK, what, fmt.Sprintf("auth.test: bot %s in %s", id.User, id.Team)}}
	for _, ch := range slackChannels(cfg) {
		p := s.ProbeChannel(ctx, ch)
		switch {
		case p.Err != nil:
			lines = append(lines, checkLine{checkFail, what, p.Err.Error() + " — check the channel name or ID in the job"})
		case p.Unverifiable != "":
			lines = append(lines, checkLine{checkWarn, what, ch + ": could not be verified: " + p.Unverifiable + " (not a failure)"})
		case !p.Member:
			lines = append(lines, checkLine{checkWarn, what, ch + ": exists, but the bot is not a member: /invite it, unless it has chat:write.public"})
		default:
			lines = append(lines, checkLine{checkOK, what, ch + ": exists, the bot is a member"})
		}
	}
	return lines
}

// slackChannels is every channel a job posts a digest or alerts to.
func slackChannels(cfg *config.Config) []string {
	var out []string
	add := func(s *config.JobSlack) {
		if s != nil && s.Channel != "" && !slices.Contains(out, s.Channel) {
			out = append(out, s.Channel)
		}
	}
	for _, j := range cfg.Jobs {
		add(j.Slack)
		if j.Alerts != nil {
			add(j.Alerts.Slack)
		}
	}
	return out
}

// checkStore checks the store answers and has this binary's migrations,
// without creating or migrating anything.
func checkStore(ctx context.Context, cfg *config.Config) checkLine {
	const what = "store"
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	p, err := store.ProbeURL(ctx, cfg.Store.URL.Reveal())
	switch {
	case err != nil:
		return checkLine{checkFail, what, err.Error() + " — check store.url and that the database is up"}
	case p.NotCreated:
		return checkLine{checkOK, what, "sqlite: the file does not exist yet; the first serve or run creates it"}
	case p.Newer:
		return checkLine{checkFail, what, p.Dialect + ": migrated by a newer livechat-digest, which this one will not write to: run that version"}
	case len(p.Missing) > 0:
		return checkLine{checkFail, what, fmt.Sprintf("%s: migrations %v not applied: start serve (or run a job) once with this version; it migrates", p.Dialect, p.Missing)}
	}
	return checkLine{checkOK, what, fmt.Sprintf("%s: reachable, migrations current (%d)", p.Dialect, len(p.Applied))}
}
