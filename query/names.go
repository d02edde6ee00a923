package query

import (
	"strings"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// aliases are the short report names people type. Kept small: each one is
// documented in doc.go and in HelpText. Read-only.
var aliases = map[string]livechat.Report{
	"chats":          livechat.TotalChats,
	"ratings":        livechat.ChatRatings,
	"ranking":        livechat.ChatRanking,
	"queue":          livechat.QueuedVisitors,
	"waiting_times":  livechat.QueueWaitingTimes,
	"chatting":       livechat.ChattingTime,
	"frt":            livechat.ChatsFirstResponseTime,
	"first_response": livechat.ChatsFirstResponseTime,
	"response_time":  livechat.ChatsResponseTime,
	"occupancy":      livechat.AgentsOccupancy,
	"tickets":        livechat.TicketsNew,
	"ticket_frt":     livechat.TicketsFirstResponseTime,
	"solved":         livechat.TicketsSolved,
	"resolution":     livechat.TicketsResolutionTime,
	"sources":        livechat.TicketSources,
	"duration":       livechat.ChatDuration,
	"visitors":       livechat.UniqueVisitors,
	"unreplied":      livechat.NotReplied,
}

// allReports is the keyword for every report.
const allReports = "all"

// lookupReport resolves one report name or alias, case-insensitively and
// with "-" read as "_".
func lookupReport(s string) (livechat.Report, bool) {
	s = strings.ReplaceAll(strings.ToLower(s), "-", "_")
	if r, ok := aliases[s]; ok {
		return r, true
	}
	if _, ok := livechat.Lookup(livechat.Report(s)); ok {
		return livechat.Report(s), true
	}
	return "", false
}

// periodPhrases are the spellings of each period kind, as lowercase word
// sequences. Read-only.
var periodPhrases = []struct {
	words []string
	kind  digest.PeriodKind
}{
	{[]string{"today"}, digest.Today},
	{[]string{"yesterday"}, digest.Yesterday},
	{[]string{"last", "7", "days"}, digest.Last7Days},
	{[]string{"past", "7", "days"}, digest.Last7Days},
	{[]string{"last", "7d"}, digest.Last7Days},
	{[]string{"last_7_days"}, digest.Last7Days},
	{[]string{"last", "week"}, digest.LastWeek},
	{[]string{"previous", "week"}, digest.LastWeek},
	{[]string{"last_week"}, digest.LastWeek},
	{[]string{"this", "month"}, digest.MonthToDate},
	{[]string{"month", "to", "date"}, digest.MonthToDate},
	{[]string{"month_to_date"}, digest.MonthToDate},
	{[]string{"mtd"}, digest.MonthToDate},
	{[]string{"last", "month"}, digest.LastMonth},
	{[]string{"previous", "month"}, digest.LastMonth},
	{[]string{"last_month"}, digest.LastMonth},
}

// periodStarts are words that begin a period phrase, so a phrase that goes
// wrong after them is reported as a bad period, not as an unknown word.
var periodStarts = map[string]bool{"last": true, "past": true, "previous": true, "this": true, "month": true}

const periodWant = "today, yesterday, last 7 days, last week, this month, last month or YYYY-MM-DD..YYYY-MM-DD"

// matchPeriod returns the longest period phrase at the start of toks and
// the number of tokens it spans (0 when none matches).
func matchPeriod(toks []string) (digest.PeriodKind, int) {
	var (
		best digest.PeriodKind
		n    int
	)
	for _, p := range periodPhrases {
		if len(p.words) <= n || len(p.words) > len(toks) {
			continue
		}
		ok := true
		for i, w := range p.words {
			if strings.ToLower(toks[i]) != w {
				ok = false
				break
			}
		}
		if ok {
			best, n = p.kind, len(p.words)
		}
	}
	return best, n
}

// parseRange reads "YYYY-MM-DD..YYYY-MM-DD" or a single "YYYY-MM-DD", within
// digest's limits: plausible years and at most digest.MaxPeriodDays days.
// The limits are checked here too, not only by digest, so that the person
// typing gets words meant for them instead of digest's config wording.
func parseRange(s string) (digest.Period, error) {
	from, to, isRange := strings.Cut(s, "..")
	if !isRange {
		to = from
	}
	f, err1 := livechat.ParseDate(from)
	t, err2 := livechat.ParseDate(to)
	switch {
	case err1 != nil:
		return digest.Period{}, errorf("bad date %q in period %q (want YYYY-MM-DD..YYYY-MM-DD)", from, s)
	case err2 != nil:
		return digest.Period{}, errorf("bad date %q in period %q (want YYYY-MM-DD..YYYY-MM-DD)", to, s)
	case !digest.PlausibleDate(f):
		return digest.Period{}, errorf("%s is not a plausible date (want a year from %d to %d)", f, digest.MinYear, digest.MaxYear)
	case !digest.PlausibleDate(t):
		return digest.Period{}, errorf("%s is not a plausible date (want a year from %d to %d)", t, digest.MinYear, digest.MaxYear)
	case t.Before(f):
		return digest.Period{}, errorf("period %q ends before it starts", s)
	case f.DaysUntil(t)+1 > digest.MaxPeriodDays:
		return digest.Period{}, errorf("period %q is %d days long; a range can span at most %d days", s, f.DaysUntil(t)+1, digest.MaxPeriodDays)
	}
	p := digest.Period{Kind: digest.Explicit, From: f, To: t}
	if err := p.Validate(); err != nil {
		// Only a digest limit this grammar does not know about gets here.
		return digest.Period{}, errorf("period %q cannot be reported on", s)
	}
	return p, nil
}

// reportWords are the names a report position accepts, for suggestions.
func reportWords() []string {
	w := []string{allReports}
	for _, i := range livechat.Reports {
		w = append(w, string(i.Report))
	}
	for a := range aliases {
		w = append(w, a)
	}
	return w
}

// otherWords are the single words valid after a report list, besides
// report names, for suggestions.
var otherWords = []string{
	"today", "yesterday", "last_7_days", "last_week", "month_to_date", "last_month",
	"last", "week", "month", "this", "days", "group=", "agent=", "tag=", "tags=",
}

var commandWords = []string{"report", "digest", "alerts", "silence", "silences", "help"}

// suggest returns the word of vocab closest to s, if it is close enough to
// be a typo, as ` (did you mean "x"?)`, or "".
func suggest(s string, vocab ...[]string) string {
	s = strings.ToLower(s)
	if len(s) > 64 {
		return ""
	}
	best, bestD := "", -1
	for _, words := range vocab {
		for _, w := range words {
			d := distance(s, w)
			// Ties go to the shorter word, then alphabetical order, so the
			// answer does not depend on map order.
			if bestD < 0 || d < bestD || d == bestD && (len(w) < len(best) || len(w) == len(best) && w < best) {
				best, bestD = w, d
			}
		}
	}
	n := len([]rune(s))
	if bestD < 0 || bestD == 0 || bestD > max(1, n/3) {
		return ""
	}
	return ` (did you mean "` + best + `"?)`
}

// distance is the Levenshtein edit distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
