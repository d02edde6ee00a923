package query

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// Parse reads the text of a slash command (what follows "/livechat") or a
// CLI line. Empty text is Help. Errors are *Error.
func Parse(text string) (Command, error) {
	if err := checkText(text, len(text)); err != nil {
		return Command{}, err
	}
	toks, err := tokenize(unwrapLinks(text))
	if err != nil {
		return Command{}, err
	}
	return parseTokens(toks)
}

// ParseArgs reads a command given as command-line arguments, where the shell
// has already removed quotes: an argument holding "=" or ":" is one token
// (`tag=vip customers`), any other is split on whitespace (`last week`).
func ParseArgs(args []string) (Command, error) {
	n := 0
	for _, a := range args {
		n += len(a) + 1
	}
	var toks []string
	for _, a := range args {
		if err := checkText(a, n-1); err != nil {
			return Command{}, err
		}
		a = unwrapLinks(a)
		if strings.ContainsAny(a, "=:") {
			toks = append(toks, a)
		} else {
			toks = append(toks, strings.Fields(a)...)
		}
	}
	return parseTokens(toks)
}

func checkText(s string, total int) error {
	if total > MaxLen {
		return errorf("the text is too long (%d bytes, at most %d)", total, MaxLen)
	}
	if !utf8.ValidString(s) {
		return errorf("the text is not valid UTF-8")
	}
	return nil
}

func parseTokens(toks []string) (Command, error) {
	if len(toks) == 0 {
		return Command{Kind: Help}, nil
	}
	switch strings.ToLower(toks[0]) {
	case "help":
		return Command{Kind: Help}, nil
	case "alerts":
		if len(toks) > 1 {
			return Command{}, errorf(`"alerts" takes nothing after it, got %q`, toks[1])
		}
		return Command{Kind: Alerts}, nil
	case "digest":
		return parseDigest(toks[1:])
	case "silences":
		if len(toks) > 1 {
			return Command{}, errorf(`"silences" takes nothing after it, got %q`, toks[1])
		}
		return Command{Kind: Silences}, nil
	case "silence":
		return parseSilence(toks[1:])
	case "report", "reports":
		return parseReport(toks[1:])
	}
	// "/livechat ratings last week": the report keyword left out.
	if rs, all, bad := reportList(toks[0]); strings.Contains(toks[0], ",") || bad == "" && (len(rs) > 0 || all) {
		return parseReport(toks)
	}
	return Command{}, errorf(`unknown command %q%s; try "help"`, toks[0], suggest(toks[0], commandWords, reportWords()))
}

func parseDigest(args []string) (Command, error) {
	if len(args) == 0 {
		return Command{}, errorf(`which job? e.g. "digest weekly-support"`)
	}
	if len(args) > 1 {
		return Command{}, errorf(`"digest" takes one job name, got %q after %q`, args[1], args[0])
	}
	job := args[0]
	if !validJob(job) {
		return Command{}, errorf("%q is not a job name (letters, digits, '-', '_' and '.', at most 100)", job)
	}
	return Command{Kind: Digest, Job: job}, nil
}

func validJob(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 100 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-_.", r) {
			return false
		}
	}
	return true
}

// parseReport reads the words after "report": report lists, one period and
// filters, in any order.
func parseReport(args []string) (Command, error) {
	var (
		want       = map[livechat.Report]bool{}
		all        bool
		period     digest.Period
		periodText string
		f          digest.Filters
	)
	setPeriod := func(p digest.Period, text string) error {
		if periodText != "" {
			return errorf("two periods: %q and %q", periodText, text)
		}
		period, periodText = p, text
		return nil
	}
	for i := 0; i < len(args); i++ {
		tok := args[i]
		if key, val, ok := cutFilter(tok); ok {
			if err := addFilter(&f, key, val); err != nil {
				return Command{}, err
			}
			continue
		}
		if kind, n := matchPeriod(args[i:]); n > 0 {
			if err := setPeriod(digest.Period{Kind: kind}, strings.Join(args[i:i+n], " ")); err != nil {
				return Command{}, err
			}
			i += n - 1
			continue
		}
		if r, _ := utf8.DecodeRuneInString(tok); r >= '0' && r <= '9' {
			p, err := parseRange(tok)
			if err != nil {
				return Command{}, err
			}
			if err := setPeriod(p, tok); err != nil {
				return Command{}, err
			}
			continue
		}
		rs, isAll, bad := reportList(tok)
		if bad == "" {
			for _, r := range rs {
				want[r] = true
			}
			all = all || isAll
			continue
		}
		switch {
		case strings.Contains(tok, ",") || len(want) == 0 && !periodStarts[strings.ToLower(tok)]:
			return Command{}, errorf("unknown report %q%s", bad, suggest(bad, reportWords()))
		case periodStarts[strings.ToLower(tok)]:
			phrase := tok
			if i+1 < len(args) {
				phrase += " " + args[i+1]
			}
			return Command{}, errorf("unknown period %q (want %s)", phrase, periodWant)
		}
		return Command{}, errorf("unknown word %q%s", tok, suggest(tok, reportWords(), otherWords))
	}
	if len(want) == 0 && !all {
		return Command{}, errorf(`which report? e.g. "report ratings last week" or "report all"`)
	}
	c := Command{Kind: Report, Period: period, Filters: f, All: all}
	if periodText == "" {
		c.Period = digest.Period{Kind: DefaultPeriod}
	}
	if all {
		return c, nil // every report, whatever else was named
	}
	for _, i := range livechat.Reports {
		if want[i.Report] {
			c.Reports = append(c.Reports, i.Report)
		}
	}
	return c, nil
}

// reportList reads "ratings,chats" or "all". bad is the first part that
// names no report; empty parts are skipped.
func reportList(tok string) (rs []livechat.Report, all bool, bad string) {
	for p := range strings.SplitSeq(tok, ",") {
		switch {
		case p == "":
		case strings.EqualFold(p, allReports):
			all = true
		default:
			r, ok := lookupReport(p)
			if !ok {
				return nil, false, p
			}
			rs = append(rs, r)
		}
	}
	return rs, all, ""
}

// cutFilter splits "key=value" or "key:value" where key is a word.
func cutFilter(tok string) (key, val string, ok bool) {
	i := strings.IndexAny(tok, "=:")
	if i <= 0 {
		return "", "", false
	}
	for _, r := range tok[:i] {
		if !unicode.IsLetter(r) && r != '_' {
			return "", "", false
		}
	}
	return strings.ToLower(tok[:i]), tok[i+1:], true
}

var filterKeys = []string{"group", "agent", "tag", "tags"}

func addFilter(f *digest.Filters, key, raw string) error {
	switch key {
	case "group":
		v, err := cleanValue(key, raw)
		if err != nil {
			return err
		}
		if v == "" {
			return errorf("group= needs a group number, e.g. group=2")
		}
		n, err := strconv.ParseUint(v, 10, 63)
		if err != nil || strings.ContainsAny(v, "+-") {
			return errorf("group=%q: a group is a number, e.g. group=2", v)
		}
		if f.Group != "" {
			return errorf("group is given twice (%s and %s)", f.Group, v)
		}
		f.Group = strconv.FormatUint(n, 10)
	case "agent":
		v, err := cleanValue(key, raw)
		if err != nil {
			return err
		}
		if v == "" {
			return errorf("agent= needs a login, e.g. agent=john@example.com")
		}
		if !validLogin(v) {
			return errorf("agent=%q: an agent is a login such as john@example.com", v)
		}
		if f.Agent != "" {
			return errorf("agent is given twice (%s and %s)", f.Agent, v)
		}
		f.Agent = v
	case "tag", "tags":
		n := 0
		for part := range strings.SplitSeq(raw, ",") {
			v, err := cleanValue(key, part)
			if err != nil {
				return err
			}
			if v == "" {
				continue
			}
			n++
			if !slices.Contains(f.Tags, v) {
				f.Tags = append(f.Tags, v)
			}
		}
		if n == 0 {
			return errorf("%s= needs a tag, e.g. tag=vip", key)
		}
	default:
		return errorf("unknown filter %q%s (want group=, agent= or tag=)", key+"=", suggest(key, filterKeys))
	}
	return nil
}

// validLogin accepts an email-like login: one "@" with text on both sides
// and none of the characters that would end a value or mark Slack markup.
func validLogin(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" &&
		!strings.ContainsAny(domain, "@") && !strings.ContainsAny(s, " ,;&<>")
}

// parseSilence reads "JOB[/METRIC] DURATION [REASON...]".
func parseSilence(args []string) (Command, error) {
	if len(args) < 2 {
		return Command{}, errorf(`silence what, and for how long? e.g. "silence frt-watch 2h incident 42"`)
	}
	job, metric, err := ParseMatcher(args[0])
	if err != nil || !validJob(job) {
		return Command{}, errorf("%q: want JOB or JOB/METRIC, e.g. frt-watch/chats_first_response_time.seconds", args[0])
	}
	d, err := ParseFor(args[1])
	if err != nil {
		return Command{}, errorf("%s", strings.TrimPrefix(err.Error(), "query: "))
	}
	return Command{Kind: Silence, Job: job, Metric: metric, For: d, Reason: strings.Join(args[2:], " ")}, nil
}
