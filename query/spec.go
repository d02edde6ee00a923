package query

import (
	"time"

	"livechat-digest/digest"
)

// Spec is the digest a report command asks for, at the instant at in loc. A
// slash-command answer is always compared with the period just before, as
// digest.CompareRange reads it (this month: the same days of last month).
func Spec(c Command, loc *time.Location, at time.Time) digest.Spec {
	return digest.Spec{
		Job:      "LiveChat report",
		Location: loc,
		Period:   c.Period,
		Compare:  digest.PreviousPeriod,
		At:       at,
		Filters:  c.Filters,
		Reports:  c.Reports, // empty for "all": every report of the client's version
		Insight:  digest.DefaultInsight(),
	}
}
