package query_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"livechat-digest/digest"
	"livechat-digest/livechat"
	"livechat-digest/query"
)

func rep(p digest.PeriodKind, rs ...livechat.Report) query.Command {
	return query.Command{Kind: query.Report, Reports: rs, Period: digest.Period{Kind: p}}
}

func allReports() []livechat.Report {
	var rs []livechat.Report
	for _, i := range livechat.Reports {
		rs = append(rs, i.Report)
	}
	return rs
}

func explicit(from, to string) digest.Period {
	f, _ := livechat.ParseDate(from)
	t, _ := livechat.ParseDate(to)
	return digest.Period{Kind: digest.Explicit, From: f, To: t}
}

func TestParsePeriods(t *testing.T) {
	t.Parallel()
	tests := map[string]digest.Period{
		"":                       {Kind: digest.Last7Days}, // the default
		"today":                  {Kind: digest.Today},
		"TODAY":                  {Kind: digest.Today},
		"yesterday":              {Kind: digest.Yesterday},
		"last 7 days":            {Kind: digest.Last7Days},
		"Last   7   Days":        {Kind: digest.Last7Days},
		"last_7_days":            {Kind: digest.Last7Days},
		"last 7d":                {Kind: digest.Last7Days},
		"past 7 days":            {Kind: digest.Last7Days},
		"last week":              {Kind: digest.LastWeek},
		"last_week":              {Kind: digest.LastWeek},
		"previous week":          {Kind: digest.LastWeek},
		"this month":             {Kind: digest.MonthToDate},
		"month_to_date":          {Kind: digest.MonthToDate},
		"month to date":          {Kind: digest.MonthToDate},
		"MTD":                    {Kind: digest.MonthToDate},
		"last month":             {Kind: digest.LastMonth},
		"last_month":             {Kind: digest.LastMonth},
		"previous month":         {Kind: digest.LastMonth},
		"2026-11-01..2026-11-07": explicit("2026-11-01", "2026-11-07"),
		"2026-11-01..2026-11-01": explicit("2026-11-01", "2026-11-01"),
		"2026-11-05":             explicit("2026-11-05", "2026-11-05"),
		"2024-02-29..2024-03-01": explicit("2024-02-29", "2024-03-01"),
		"2024-11-25..2026-11-25": explicit("2024-11-25", "2026-11-25"), // 731 days, the most
		"2000-01-01":             explicit("2000-01-01", "2000-01-01"),
		"2100-12-31":             explicit("2100-12-31", "2100-12-31"),
	}
	for text, want := range tests {
		t.Run(text, func(t *testing.T) {
			t.Parallel()
			got, err := query.Parse("report ratings " + text)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(want, got.Period); diff != "" {
				t.Errorf("period (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	withFilters := func(c query.Command, f digest.Filters) query.Command {
		c.Filters = f
		return c
	}
	withPeriod := func(c query.Command, p digest.Period) query.Command {
		c.Period = p
		return c
	}
	tests := []struct {
		name, text string
		want       query.Command
	}{
		{"empty is help", "", query.Command{Kind: query.Help}},
		{"blank is help", " \t\n ", query.Command{Kind: query.Help}},
		{"help", "help", query.Command{Kind: query.Help}},
		{"help with words", "HELP me", query.Command{Kind: query.Help}},
		{"alerts", "alerts", query.Command{Kind: query.Alerts}},
		{"alerts upper", "  Alerts ", query.Command{Kind: query.Alerts}},
		{"digest", "digest weekly-support", query.Command{Kind: query.Digest, Job: "weekly-support"}},
		{"digest keeps job case", "DIGEST Weekly_2.b", query.Command{Kind: query.Digest, Job: "Weekly_2.b"}},

		{"metric prefix", "report chat_ratings", rep(digest.Last7Days, livechat.ChatRatings)},
		{"no report keyword", "ratings last week", rep(digest.LastWeek, livechat.ChatRatings)},
		{"reports keyword", "reports ratings", rep(digest.Last7Days, livechat.ChatRatings)},
		{"upper case and dashes", "REPORT Chat-Ratings", rep(digest.Last7Days, livechat.ChatRatings)},
		{"list in catalogue order", "report frt,chats,ratings",
			rep(digest.Last7Days, livechat.TotalChats, livechat.ChatRatings, livechat.ChatsFirstResponseTime)},
		{"duplicates once", "report ratings,chat_ratings,ratings chats ratings",
			rep(digest.Last7Days, livechat.TotalChats, livechat.ChatRatings)},
		{"comma with spaces", "report chats, ratings", rep(digest.Last7Days, livechat.TotalChats, livechat.ChatRatings)},
		{"all", "report all", query.Command{Kind: query.Report, All: true, Period: digest.Period{Kind: digest.Last7Days}}},
		{"all with others", "report ratings,ALL yesterday", query.Command{Kind: query.Report, All: true, Period: digest.Period{Kind: digest.Yesterday}}},
		{"period before report", "report last week ratings", rep(digest.LastWeek, livechat.ChatRatings)},

		{"group", "report chats group=2", withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Group: "2"})},
		{"group colon and zeros", "report chats Group:002", withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Group: "2"})},
		{"agent", "report chats agent=john@example.com",
			withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Agent: "john@example.com"})},
		{"agent slack mailto", "report chats agent=<mailto:john@example.com|john@example.com>",
			withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Agent: "john@example.com"})},
		{"agent slack mailto no label", "report chats agent=<mailto:john@example.com>",
			withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Agent: "john@example.com"})},
		{"agent quoted", `report chats agent="john@example.com"`,
			withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Agent: "john@example.com"})},
		{"tags repeated", "report chats tag=vip tag=sales tag=vip",
			withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Tags: []string{"vip", "sales"}})},
		{"tags list", "report chats tags=vip,sales,,",
			withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Tags: []string{"vip", "sales"}})},
		{"tag quoted with spaces", `report chats tag="  vip   customers " tag=x`,
			withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Tags: []string{"vip customers", "x"}})},
		{"tag curly quotes", "report chats tag=“vip customers”",
			withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Tags: []string{"vip customers"}})},
		{"tag slack entities", "report chats tag=R&amp;D tag=a&lt;b",
			withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Tags: []string{"R&D", "a<b"}})},
		{"tag keeps case", "report chats TAG=VIP",
			withFilters(rep(digest.Last7Days, livechat.TotalChats), digest.Filters{Tags: []string{"VIP"}})},
		{"everything", `report ratings,frt last month group=7 agent=<mailto:a.b@c.io|a.b@c.io> tag="vip customers" tags=x,y`,
			query.Command{Kind: query.Report, Reports: []livechat.Report{livechat.ChatRatings, livechat.ChatsFirstResponseTime},
				Period:  digest.Period{Kind: digest.LastMonth},
				Filters: digest.Filters{Group: "7", Agent: "a.b@c.io", Tags: []string{"vip customers", "x", "y"}}}},
		{"filters before period", "report chats tag=x 2026-01-01..2026-01-31",
			withPeriod(withFilters(rep("", livechat.TotalChats), digest.Filters{Tags: []string{"x"}}), explicit("2026-01-01", "2026-01-31"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := query.Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestAliases(t *testing.T) {
	t.Parallel()
	tests := map[string]livechat.Report{
		"chats":          livechat.TotalChats,
		"ratings":        livechat.ChatRatings,
		"ranking":        livechat.ChatRanking,
		"queue":          livechat.QueuedVisitors,
		"waiting_times":  livechat.QueueWaitingTimes,
		"chatting":       livechat.ChattingTime,
		"frt":            livechat.ChatsFirstResponseTime,
		"first_response": livechat.ChatsFirstResponseTime,
		"first-response": livechat.ChatsFirstResponseTime,
		"response_time":  livechat.ChatsResponseTime,
		"occupancy":      livechat.AgentsOccupancy,
		"tickets":        livechat.TicketsNew,
		"ticket_frt":     livechat.TicketsFirstResponseTime,
		"solved":         livechat.TicketsSolved,
		"resolution":     livechat.TicketsResolutionTime,
		"sources":        livechat.TicketSources,
	}
	// Every metric prefix is its own name.
	for _, i := range livechat.Reports {
		tests[string(i.Report)] = i.Report
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := query.Parse("report " + name)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff([]livechat.Report{want}, got.Reports); diff != "" {
				t.Errorf("reports (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		{"unknown report with suggestion", "report ratngs", `unknown report "ratngs" (did you mean "ratings"?)`},
		{"unknown report in list", "report chats,tikets", `unknown report "tikets" (did you mean "tickets"?)`},
		{"unknown report no suggestion", "report xyzzy", `unknown report "xyzzy"`},
		{"no report", "report", `which report?`},
		{"only period", "report last week", `which report?`},
		{"unknown word", "report ratings yesterdy", `unknown word "yesterdy" (did you mean "yesterday"?)`},
		{"unknown word no suggestion", "report ratings banana", `unknown word "banana"`},
		{"unknown command", "reprot ratings", `unknown command "reprot" (did you mean "report"?)`},
		{"unknown command plain", "hello", `unknown command "hello"`},
		{"unknown period", "report ratings this week", `unknown period "this week"`},
		{"unknown period last", "report ratings last year", `unknown period "last year"`},
		{"bad date", "report ratings 2026-13-01..2026-13-05", `bad date "2026-13-01"`},
		{"bad end date", "report ratings 2026-02-01..2026-02-30", `bad date "2026-02-30"`},
		{"bad date shape", "report ratings 2026-1-1", `bad date "2026-1-1"`},
		{"lone number", "report ratings 7 days", `bad date "7"`},
		{"reversed range", "report ratings 2026-11-07..2026-11-01", `period "2026-11-07..2026-11-01" ends before it starts`},
		{"two periods", "report ratings today last week", `two periods: "today" and "last week"`},
		{"range too long", "report ratings 2024-11-25..2026-11-26", `period "2024-11-25..2026-11-26" is 732 days long; a range can span at most 731 days`},
		{"whole four-digit range", "report all 0001-01-01..9999-12-31", `0001-01-01 is not a plausible date (want a year from 2000 to 2100)`},
		{"year 1999", "report ratings 1999-12-31..2000-01-02", `1999-12-31 is not a plausible date`},
		{"year 2101", "report ratings 2101-01-01", `2101-01-01 is not a plausible date`},
		{"implausible end", "report ratings 2026-01-01..9999-12-31", `9999-12-31 is not a plausible date`},
		{"duplicate agent", "report ratings agent=a@x.io agent=b@x.io", `agent is given twice`},
		{"duplicate agent same", "report ratings agent=a@x.io agent=a@x.io", `agent is given twice`},
		{"duplicate group", "report ratings group=1 group=2", `group is given twice (1 and 2)`},
		{"group not number", "report ratings group=sales", `group="sales": a group is a number`},
		{"group negative", "report ratings group=-1", `a group is a number`},
		{"group empty", "report ratings group=", `group= needs a group number`},
		{"agent not login", "report ratings agent=john", `agent="john": an agent is a login`},
		{"agent empty quoted", `report ratings agent=""`, `agent= needs a login`},
		{"tag empty", "report ratings tag=", `tag= needs a tag`},
		{"tags only commas", "report ratings tags=,,", `tags= needs a tag`},
		{"unknown filter", "report ratings grop=2", `unknown filter "grop=" (did you mean "group"?)`},
		{"slack mention", "report ratings agent=<@U123>", `Slack mentions and links are not understood`},
		{"control char", "report ratings tag=a\x00b", `not allowed`},
		{"unclosed quote", `report ratings tag="vip`, `a double quote is not closed`},
		{"digest no job", "digest", `which job?`},
		{"digest two jobs", "digest a b", `"digest" takes one job name`},
		{"digest bad job", "digest we/ekly", `is not a job name`},
		{"alerts extra", "alerts now", `"alerts" takes nothing after it, got "now"`},
		{"too long", "report ratings tag=" + strings.Repeat("x", 1000), `too long`},
		{"bad utf8", "report ratings tag=\xff", `not valid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := query.Parse(tt.text)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error containing %q", tt.text, got, tt.want)
			}
			var qe *query.Error
			if !errors.As(err, &qe) {
				t.Fatalf("error %v (%T) is not *query.Error", err, err)
			}
			if !strings.Contains(qe.Msg, tt.want) {
				t.Errorf("Msg = %q, want it to contain %q", qe.Msg, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "query: ") {
				t.Errorf("Error() = %q, want the package prefix", err.Error())
			}
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct{ text, want string }{
		{"", "help"},
		{"alerts", "alerts"},
		{"digest weekly-support", "digest weekly-support"},
		{"report ratings last week group=2", "report chat_ratings last_week group=2"},
		{"ratings", "report chat_ratings last_7_days"},
		{"report ALL this month", "report all month_to_date"},
		{"report frt,chats 2026-11-05", "report total_chats,chats_first_response_time 2026-11-05..2026-11-05"},
		{`report chats tags=a,b agent=<mailto:j@x.io|j@x.io> tag="vip  customers" group=02`,
			`report total_chats last_7_days group=2 agent=j@x.io tag=a tag=b tag="vip customers"`},
		{"report chats tag=R&amp;D tag=&amp;amp; tag=&lt;x&gt;",
			"report total_chats last_7_days tag=R&D tag=&amp;amp; tag=&lt;x&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			c, err := query.Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if got := c.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			again, err := query.Parse(c.String())
			if err != nil {
				t.Fatalf("Parse(%q) again: %v", c.String(), err)
			}
			if diff := cmp.Diff(c, again); diff != "" {
				t.Errorf("round trip (-first +second):\n%s", diff)
			}
		})
	}
}

func TestRoundTripAllReports(t *testing.T) {
	t.Parallel()
	// Listing every report one by one is a list, of every version's
	// reports, not "all" (which is what one version has): it reads back the
	// same.
	c, err := query.Parse("report " + strings.Join(reportNames(), ","))
	if err != nil {
		t.Fatal(err)
	}
	if c.All || len(c.Reports) != len(livechat.Reports) {
		t.Errorf("parsed %+v", c)
	}
	back, err := query.Parse(c.String())
	if err != nil || !cmp.Equal(back, c) {
		t.Errorf("String() = %q reads back as %+v, %v", c.String(), back, err)
	}
	if c, err = query.Parse("report all"); err != nil || c.String() != "report all last_7_days" {
		t.Errorf("report all: %q, %v", c.String(), err)
	}
}

func reportNames() []string {
	var names []string
	for _, i := range livechat.Reports {
		names = append(names, string(i.Report))
	}
	return names
}

func TestParseArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want query.Command
	}{
		{"none", nil, query.Command{Kind: query.Help}},
		{"split words", []string{"ratings", "last week"},
			rep(digest.LastWeek, livechat.ChatRatings)},
		{"value with space", []string{"report", "chats", "tag=vip customers", "agent=j@x.io"},
			query.Command{Kind: query.Report, Reports: []livechat.Report{livechat.TotalChats}, Period: digest.Period{Kind: digest.Last7Days},
				Filters: digest.Filters{Agent: "j@x.io", Tags: []string{"vip customers"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := query.ParseArgs(tt.args)
			if err != nil {
				t.Fatalf("ParseArgs(%q): %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := query.ParseArgs([]string{"report", "chats", "tag=" + strings.Repeat("x", 1000)}); err == nil {
		t.Error("ParseArgs accepted an overlong line")
	}
	if _, err := query.ParseArgs([]string{"report", "chats", `tag="x"`}); err == nil {
		t.Error("ParseArgs accepted a quote inside a value")
	}
}

func TestHelpText(t *testing.T) {
	t.Parallel()
	// Every example in the help text must parse.
	_, examples, ok := strings.Cut(query.HelpText, "Examples:\n")
	if !ok {
		t.Fatal("help text has no examples")
	}
	for line := range strings.SplitSeq(strings.TrimSpace(examples), "\n") {
		ex, ok := strings.CutPrefix(strings.TrimSpace(line), "/livechat ")
		if !ok {
			t.Errorf("example %q does not start with /livechat", line)
			continue
		}
		if _, err := query.Parse(ex); err != nil {
			t.Errorf("help example %q: %v", ex, err)
		}
	}
	if len(query.HelpText) > 1500 {
		t.Errorf("help text is %d bytes; keep it short", len(query.HelpText))
	}
}
