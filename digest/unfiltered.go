package digest

import (
	"fmt"
	"slices"
	"strings"

	"livechat-digest/livechat"
)

// markUnfiltered marks every value report method m contributed with the
// filters of q that m could not take: a digest never shows account-wide
// numbers as if they were filtered.
func (d *Digest) markUnfiltered(m livechat.Method, q livechat.Query) {
	missing := livechat.QueryFilters(q) &^ m.Filters
	if missing == 0 {
		return
	}
	names := missing.Names()
	switch m.Report {
	case livechat.ChatRanking, livechat.TicketRanking:
		if d.Rankings.NotFilteredBy == nil {
			d.Rankings.NotFilteredBy = map[string][]string{}
		}
		key := "chats"
		if m.Report == livechat.TicketRanking {
			key = "tickets"
		}
		d.Rankings.NotFilteredBy[key] = names
		return
	}
	for _, mt := range metricsOf(m.Report) {
		if v, ok := d.Metrics[mt.Key]; ok {
			v.NotFilteredBy = slices.Clone(names)
			d.Metrics[mt.Key] = v
		}
	}
}

// warnCapped notes the days of the current and compare periods on which
// answer a reached a cap the API puts on its values (v3.6
// greetings_conversion: 100 greetings a day), so the report's sums for them
// may be short.
func (d *Digest) warnCapped(r livechat.Report, a any, w window) {
	var capped []livechat.Date
	switch v := a.(type) {
	case livechat.Series[livechat.GreetingCount]:
		capped = v.Capped
	case *livechat.Series[livechat.GreetingCount]:
		if v != nil {
			capped = v.Capped
		}
	}
	var days []string
	for _, day := range capped {
		for i, s := range w.sides {
			if i < 2 && s.r.Contains(day) && !slices.Contains(days, day.String()) {
				days = append(days, day.String())
			}
		}
	}
	if len(days) == 0 {
		return
	}
	d.Warnings = append(d.Warnings, ReportWarning{Report: string(r), Warning: fmt.Sprintf(
		"the API answered its maximum of 100 greetings on %s; greetings beyond them are not counted", strings.Join(days, ", "))})
}
