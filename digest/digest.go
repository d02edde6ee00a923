package digest

import (
	"livechat-digest/livechat"
)

// Digest is the result of one job run: the numbers of a period, compared with
// another, the thresholds they breach and the reports that failed. Its JSON
// form is the contract's digest JSON.
type Digest struct {
	Job      string     `json:"job"`
	Timezone string     `json:"timezone"`
	Period   DateRange  `json:"period"`
	Compare  *DateRange `json:"compare"` // nil when the job compares with nothing
	// Until is set for a partial period (today, month_to_date): the
	// wall-clock time ("10:00") up to which its last day is counted, and the
	// compare period's last day too when it has one (see CompareRange).
	Until string `json:"until,omitempty"`
	// Headline is the most significant changes as sentences, most
	// significant first (see candidates): at most Insight.Headline of them,
	// [] when none passed or nothing was compared.
	Headline []HeadlineItem `json:"headline"`
	// Metrics maps a metric key of the catalogue to its values. Only keys of
	// the reports that were asked for and answered are present.
	Metrics  map[string]Value `json:"metrics"`
	Rankings Rankings         `json:"rankings"`
	Breaches []Breach         `json:"breaches"`
	Errors   []ReportError    `json:"errors"`
	// Warnings are reports that answered but whose numbers may be short (a
	// v3.6 cap reached); left out of the JSON when there are none.
	Warnings []ReportWarning `json:"warnings,omitempty"`
	// Breakdown maps a metric key to its groups' and agents' entries,
	// largest real movers first; only for a job with a breakdown.
	Breakdown map[string][]BreakdownEntry `json:"breakdown,omitempty"`

	// Daily holds per-day series for charts (daily chats in the period and
	// in the compare period, aligned by position). Not part of the JSON.
	Daily map[string]DailySeries `json:"-"`
	// Filters are the filters the digest was computed for, for headings.
	Filters Filters `json:"-"`

	// sides holds the folded buckets behind each metric, per side of the
	// window, for the significance tests.
	sides map[string][]accum
	// anomalies holds the anomaly score of each anomaly threshold, by key.
	anomalies map[string]AnomalyScore
	// days is the length of the current and the compare period in days (a
	// cut day counting its elapsed part), for the significance tests.
	days [2]float64
}

// DateRange is an inclusive range of calendar days in the digest's time zone.
type DateRange struct {
	From livechat.Date `json:"from"`
	To   livechat.Date `json:"to"`
}

// Value is one metric over the period and the compare period. A nil pointer
// is JSON null: the value does not exist (no chats answered, a division by
// zero, or a previous value of 0 for ChangePct).
type Value struct {
	Current   *float64 `json:"current"`
	Previous  *float64 `json:"previous"`
	Change    *float64 `json:"change"`
	ChangePct *float64 `json:"change_pct"`

	// Verdict says whether the change is real and which way (see
	// significance.go); the fields after it are the figures behind it. All
	// are absent when there is nothing to compare.
	Verdict Verdict `json:"verdict,omitempty"`
	// Test names the test: poisson, two_proportions, means or
	// relative_change (no test: the size guard only).
	Test string `json:"test,omitempty"`
	// Z is the test statistic, P its two-sided p-value and Q the p-value
	// adjusted for the digest's many tests (Benjamini–Hochberg); absent when
	// no test ran (relative_change, or too little volume).
	Z *float64 `json:"z,omitempty"`
	P *float64 `json:"p,omitempty"`
	Q *float64 `json:"q,omitempty"`
	// RateChangePct is the change of the rate per day, set for sums over
	// periods of different lengths; the size guard reads it then.
	RateChangePct *float64 `json:"rate_change_pct,omitempty"`
	// Reason says why a change is noise: no_change, min_count,
	// not_significant or min_change.
	Reason string `json:"reason,omitempty"`
	// NotFilteredBy names the filters of the digest ("group", "agent",
	// "tags") that the metric's report could not take on the API version
	// read: the number covers what they would have excluded. Left out of
	// the JSON when the metric is filtered as asked.
	NotFilteredBy []string `json:"not_filtered_by,omitempty"`
}

// Rankings are the per-agent rating rankings for chats and tickets, as the
// API returned them for the period.
type Rankings struct {
	Chats   []RankEntry `json:"chats"`
	Tickets []RankEntry `json:"tickets"`
	// NotFilteredBy maps "chats" or "tickets" to the filters that ranking
	// could not take, as Value.NotFilteredBy; left out when there are none.
	NotFilteredBy map[string][]string `json:"not_filtered_by,omitempty"`
}

// RankEntry is one agent's line in a ranking.
type RankEntry struct {
	Agent string  `json:"agent"`
	Good  int64   `json:"good"`
	Bad   int64   `json:"bad"`
	Total int64   `json:"total"`
	Score float64 `json:"score"`
}

// Breach is a threshold that the digest's numbers cross.
type Breach struct {
	Metric    string  `json:"metric"`
	Rule      string  `json:"rule"` // e.g. "above 60", "change_pct_below -20", "anomaly"
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"` // for an anomaly, the z asked

	// Baseline, Z and Usual are set for an anomaly: the median of the same
	// period in the earlier weeks, the robust z against it, and what that
	// period is ("Monday", "week"; see anomaly.go).
	Baseline *float64 `json:"baseline,omitempty"`
	Z        *float64 `json:"z,omitempty"`
	Usual    string   `json:"usual,omitempty"`
}

// ReportError is a report that could not be fetched or decoded; the rest of
// the digest is still valid.
type ReportError struct {
	Report string `json:"report"`
	Error  string `json:"error"`
}

// ReportWarning is a report whose numbers may be incomplete, and why.
type ReportWarning struct {
	Report  string `json:"report"`
	Warning string `json:"warning"`
}

// DailySeries is one value per calendar day of the period (Current) and of
// the compare period (Previous); nil entries are days without a value.
type DailySeries struct {
	Days     []livechat.Date
	Current  []*float64
	Previous []*float64
}

// Filters narrow a digest to a group, an agent or tags.
type Filters struct {
	Group string
	Agent string
	Tags  []string
}
