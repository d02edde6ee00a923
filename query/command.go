package query

import (
	"fmt"
	"strings"
	"time"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// Kind says which command a text asks for.
type Kind int

// The commands of the grammar. Help is the zero value, so an empty Command
// answers with the help text.
const (
	Help     Kind = iota // "help", or empty text
	Report               // "report REPORTS [PERIOD] [FILTER...]"
	Digest               // "digest JOB"
	Alerts               // "alerts"
	Silence              // "silence JOB[/METRIC] DURATION [REASON...]"
	Silences             // "silences"
)

// String returns the command keyword.
func (k Kind) String() string {
	switch k {
	case Help:
		return "help"
	case Report:
		return "report"
	case Digest:
		return "digest"
	case Alerts:
		return "alerts"
	case Silence:
		return "silence"
	case Silences:
		return "silences"
	}
	return "unknown"
}

// Command is a parsed slash command or CLI report request.
type Command struct {
	Kind Kind
	// Reports, All, Period and Filters are set only for Report. Reports are
	// distinct and in livechat.Reports order; Period is never zero.
	Reports []livechat.Report
	// All is "report all": every report of the Reports API version read
	// (which one is not the grammar's to know); Reports is then empty.
	All     bool
	Period  digest.Period
	Filters digest.Filters
	// Job is set for Digest and Silence; Metric, For and Reason only for
	// Silence (Metric empty: every metric of the job).
	Job    string
	Metric string
	For    time.Duration
	Reason string
	// By is who asked, set by the caller (the Slack user); not part of
	// the grammar.
	By string
}

// DefaultPeriod is the period of a report command that names none.
const DefaultPeriod = digest.Last7Days

// String returns the canonical form of c, e.g.
// `report chat_ratings last_week group=2 tag="vip customers"`.
// Parse(c.String()) returns c for every Command that Parse returned.
func (c Command) String() string {
	switch c.Kind {
	case Digest:
		return "digest " + c.Job
	case Alerts:
		return "alerts"
	case Silences:
		return "silences"
	case Silence:
		out := "silence " + c.Job
		if c.Metric != "" {
			out += "/" + c.Metric
		}
		out += " " + c.For.String()
		if c.Reason != "" {
			out += " " + c.Reason
		}
		return out
	case Report:
	default:
		return "help"
	}
	var b strings.Builder
	b.WriteString("report ")
	if c.All {
		b.WriteString("all")
	} else {
		for i, r := range c.Reports {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(string(r))
		}
	}
	if c.Period.Kind != "" {
		b.WriteByte(' ')
		b.WriteString(c.Period.String())
	}
	if c.Filters.Group != "" {
		b.WriteString(" group=" + quote(c.Filters.Group))
	}
	if c.Filters.Agent != "" {
		b.WriteString(" agent=" + quote(c.Filters.Agent))
	}
	for _, t := range c.Filters.Tags {
		b.WriteString(" tag=" + quote(t))
	}
	return b.String()
}

// quote writes a filter value so that Parse reads it back unchanged: Slack
// entities are escaped only when the value would otherwise be unescaped into
// something else, and values with spaces are double-quoted.
func quote(v string) string {
	if unescape(v) != v || strings.ContainsAny(v, "<>") {
		v = escaper.Replace(v)
	}
	if strings.ContainsRune(v, ' ') {
		return `"` + v + `"`
	}
	return v
}

// Error is a text the grammar cannot read. Msg is written for the person who
// typed it and can be shown to them as is.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return "query: " + e.Msg }

func errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}
