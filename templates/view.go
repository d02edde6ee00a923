package templates

import (
	"fmt"
	htmltemplate "html/template"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// digestView is what the digest templates see: every number already
// formatted and every upstream string already made single-line, so a
// replacement template only decides layout. Its field names are what a
// replacement digest.txt.tmpl or digest.html.tmpl may use (see doc.go).
type digestView struct {
	Title    string // "JOB: PERIOD", for subjects and headings
	Job      string
	Timezone string
	Period   string // "2026-11-16 – 2026-11-22"
	Compare  string // "" when the job compares with nothing
	Filters  string // "group 2, agent a@b, tags x, y" or "" for none

	Sections []sectionView
	Rankings []rankingView // only rankings with entries
	Breaches []breachView
	Errors   []errorView
	// Warnings are reports that answered with numbers that may be short
	// (a v3.6 cap reached), as Report and Error.
	Warnings []errorView
	Chart    *chartView // nil when there is no daily data to draw
	// Verdicts is set when the metrics carry significance verdicts.
	Verdicts bool
	// Headline is the digest's headline sentences, most significant first.
	Headline []string
	// Unsubscribe is the recipient's one-click unsubscribe link, "" when
	// the email has none (or outside email).
	Unsubscribe string
	// Breakdown is where the changes came from, per metric.
	Breakdown []breakdownView

	// W holds column widths (in runes) for the text table.
	W widths
}

type widths struct{ Label, Current, Previous, Change int }

type sectionView struct {
	Report string // "chat_ratings"
	Title  string // "Chat ratings"
	// NotFiltered is "not filtered by agent, tags" when the report could
	// not take some of the digest's filters (its numbers cover what they
	// would have excluded), else "".
	NotFiltered string
	Rows        []rowView
}

type rowView struct {
	Key      string
	Label    string
	Current  string
	Previous string
	Change   string // "+140 (+25.0%)" or "—"
	Arrow    string // "▲", "▼" or ""
	// Delta is Arrow and Change together, "▲ +140 (+25.0%)".
	Delta string
	// Amount is Arrow and the change in the metric's unit ("▲ +140", "—")
	// and Pct the change in percent ("+25.0%", "" when there is none): the
	// two halves of Delta, which the HTML may show on two lines.
	Amount, Pct string
	Dir         int // +1 good news, -1 bad news, 0 neutral
	// Verdict is the change's verdict ("better", "worse", "neutral",
	// "noise"; "" when it has none) and Mark the word text output puts after
	// a change that passed the tests ("better", "worse", "changed"; "" for
	// noise, which stays unmarked).
	Verdict, Mark string
}

type rankingView struct {
	Title string
	// NotFiltered is as sectionView's.
	NotFiltered string
	Rows        []rankRow // at most maxRankRows
	More        int       // rows left out after those ("…and N more")
	W           struct{ Agent, Good, Bad, Score int }
}

type rankRow struct {
	Rank                    int
	Agent, Good, Bad, Score string
	Total                   string
}

type breachView struct {
	Metric    string
	Label     string // "First response time" or "Chats change"
	Value     string
	Rule      string // "above", "below", "change below", ...
	Threshold string
}

type errorView struct{ Report, Error string }

type chartView struct {
	CID   string
	Alt   string
	Width int
	// Src is the image's address: "cid:chart.png" in an email (the chart
	// is attached), a data: URI of the PNG when the HTML stands alone
	// (run --dry-run --format html, the web page's preview).
	Src htmltemplate.URL
}

// chartCID is the Content-ID the HTML body refers to the chart by.
const chartCID = "chart.png"

// RangeString formats a range as people read it everywhere: "2026-11-16 –
// 2026-11-22" (one day: the day).
func RangeString(r digest.DateRange) string {
	if r.From == r.To {
		return r.From.String()
	}
	return r.From.String() + " – " + r.To.String()
}

func filtersString(f digest.Filters) string {
	var parts []string
	if f.Group != "" {
		parts = append(parts, "group "+clip(f.Group, maxNameRunes))
	}
	if f.Agent != "" {
		parts = append(parts, "agent "+clip(f.Agent, maxNameRunes))
	}
	if len(f.Tags) > 0 {
		tags := make([]string, 0, min(len(f.Tags), maxRankRows))
		for _, t := range f.Tags[:min(len(f.Tags), maxRankRows)] {
			tags = append(tags, clip(t, maxNameRunes))
		}
		if n := len(f.Tags) - len(tags); n > 0 {
			tags = append(tags, fmt.Sprintf("and %d more", n))
		}
		name := "tag "
		if len(tags) > 1 {
			name = "tags "
		}
		parts = append(parts, name+strings.Join(tags, ", "))
	}
	return strings.Join(parts, ", ")
}

// metricOf returns the catalogue entry for key, or a plain count entry for a
// key the catalogue does not know, so a newer digest still renders.
func metricOf(key string) digest.Metric {
	if m, ok := digest.LookupMetric(key); ok {
		return m
	}
	report, _, _ := strings.Cut(key, ".")
	return digest.Metric{Key: key, Report: livechat.Report(report), Label: key, Unit: digest.Count}
}

func newDigestView(d *digest.Digest) *digestView {
	v := &digestView{
		Job:      oneLine(d.Job),
		Timezone: oneLine(d.Timezone),
		Period:   RangeString(d.Period),
		Filters:  filtersString(d.Filters),
	}
	v.Period += until(d, d.Period)
	v.Title = v.Job + ": " + v.Period
	v.Verdicts = hasVerdicts(d)
	v.Headline = headlineLines(d)
	v.Breakdown = breakdownViews(d)
	if d.Compare != nil {
		v.Compare = RangeString(*d.Compare) + until(d, *d.Compare)
	}

	// Metrics in catalogue order, then any unknown keys sorted.
	seen := make(map[string]bool, len(d.Metrics))
	index := map[livechat.Report]int{}
	add := func(m digest.Metric, val digest.Value) {
		i, ok := index[m.Report]
		if !ok {
			i = len(v.Sections)
			index[m.Report] = i
			v.Sections = append(v.Sections, sectionView{Report: string(m.Report), Title: reportTitle(m.Report)})
		}
		if v.Sections[i].NotFiltered == "" {
			v.Sections[i].NotFiltered = notFiltered(val.NotFilteredBy)
		}
		amount, pct := formatChangeParts(m, val)
		v.Sections[i].Rows = append(v.Sections[i].Rows, rowView{
			Key:      oneLine(m.Key),
			Label:    oneLine(m.Label),
			Current:  formatValue(m, val.Current),
			Previous: formatValue(m, val.Previous),
			Change:   formatChange(m, val),
			Arrow:    arrow(val),
			Delta:    strings.TrimSpace(arrow(val) + " " + formatChange(m, val)),
			Amount:   strings.TrimSpace(arrow(val) + " " + amount),
			Pct:      pct,
			Dir:      direction(m, val),
			Verdict:  string(val.Verdict),
			Mark:     mark(val.Verdict),
		})
	}
	for _, m := range digest.Catalogue {
		if val, ok := d.Metrics[m.Key]; ok {
			seen[m.Key] = true
			add(m, val)
		}
	}
	var rest []string
	for k := range d.Metrics {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(metricOf(k), d.Metrics[k])
	}

	v.W = widths{Label: runes("Metric"), Current: runes("Current"), Previous: runes("Previous"), Change: runes("Change")}
	for _, s := range v.Sections {
		for _, r := range s.Rows {
			v.W.Label = max(v.W.Label, runes(r.Label)+2) // rows are indented under their section
			v.W.Current = max(v.W.Current, runes(r.Current))
			v.W.Previous = max(v.W.Previous, runes(r.Previous))
			v.W.Change = max(v.W.Change, runes(r.Delta))
		}
	}

	for _, rk := range []struct {
		title, key string
		entries    []digest.RankEntry
	}{{"Chat ranking", "chats", d.Rankings.Chats}, {"Ticket ranking", "tickets", d.Rankings.Tickets}} {
		if len(rk.entries) == 0 {
			continue
		}
		// Upstream decides how many agents and how long their names are:
		// the message shows the first maxRankRows, names clipped, so the
		// widest name cannot pad every row (the JSON keeps them all).
		rv := rankingView{Title: rk.title, More: max(0, len(rk.entries)-maxRankRows),
			NotFiltered: notFiltered(d.Rankings.NotFilteredBy[rk.key])}
		rv.W.Agent, rv.W.Good, rv.W.Bad, rv.W.Score = runes("Agent"), runes("Good"), runes("Bad"), runes("Score")
		for i, e := range rk.entries[:len(rk.entries)-rv.More] {
			r := rankRow{
				Rank:  i + 1,
				Agent: clip(e.Agent, maxNameRunes),
				Good:  formatCount(float64(e.Good)),
				Bad:   formatCount(float64(e.Bad)),
				Total: formatCount(float64(e.Total)),
				Score: formatScore(e.Score),
			}
			rv.Rows = append(rv.Rows, r)
			rv.W.Agent = max(rv.W.Agent, runes(r.Agent))
			rv.W.Good = max(rv.W.Good, runes(r.Good))
			rv.W.Bad = max(rv.W.Bad, runes(r.Bad))
			rv.W.Score = max(rv.W.Score, runes(r.Score))
		}
		v.Rankings = append(v.Rankings, rv)
	}

	for _, b := range d.Breaches {
		v.Breaches = append(v.Breaches, breachViewOf(b))
	}
	for _, e := range d.Errors {
		v.Errors = append(v.Errors, errorView{Report: clip(e.Report, maxNameRunes), Error: clip(e.Error, maxErrorRunes)})
	}
	for _, w := range d.Warnings {
		v.Warnings = append(v.Warnings, errorView{Report: clip(w.Report, maxNameRunes), Error: clip(w.Warning, maxErrorRunes)})
	}
	if hasChart(d) {
		alt := "Chats per day, " + v.Period
		if v.Compare != "" {
			alt += " compared with " + v.Compare
		}
		v.Chart = &chartView{CID: chartCID, Alt: alt, Width: 600, Src: "cid:" + chartCID}
	}
	return v
}

// notFiltered says which filters a report's numbers are not narrowed by,
// "not filtered by agent, tags", or "" when none. Only the known filter
// words pass: the list comes from a digest that may be stored or hostile.
func notFiltered(by []string) string {
	var ok []string
	for _, f := range by {
		switch f {
		case "group", "agent", "tags":
			if !slices.Contains(ok, f) {
				ok = append(ok, f)
			}
		}
	}
	if len(ok) == 0 {
		return ""
	}
	return "not filtered by " + strings.Join(ok, ", ")
}

func formatScore(x float64) string {
	if !finite(x) {
		return null
	}
	return strconv.FormatFloat(x, 'f', 3, 64)
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// newBreachView explains a threshold rule ("above 60", "change_pct_below
// -20") in words, with the value and threshold in the metric's unit, or in
// percent for rules on the relative change.
func newBreachView(metric, rule string, value *float64, threshold float64) breachView {
	m := metricOf(oneLine(metric))
	op, _, _ := strings.Cut(strings.TrimSpace(oneLine(rule)), " ")
	bv := breachView{Metric: m.Key, Label: m.Label}
	pct := digest.FormatChangePct
	switch op {
	case "above", "below":
		bv.Rule = op
		bv.Value = formatValue(m, value)
		bv.Threshold = formatValue(m, &threshold)
	case "change_pct_above", "change_pct_below":
		bv.Label += " change"
		bv.Rule = strings.TrimPrefix(op, "change_pct_")
		bv.Value = pct(value)
		bv.Threshold = pct(&threshold)
	default:
		bv.Rule = oneLine(rule)
		bv.Value = formatValue(m, value)
		if finite(threshold) {
			bv.Threshold = strconv.FormatFloat(threshold, 'g', -1, 64)
		}
	}
	return bv
}

// String is the one-line form of a breach, shared by text and Slack.
func (b breachView) String() string {
	return fmt.Sprintf("%s %s — %s %s", b.Label, b.Value, b.Rule, b.Threshold)
}

// hasChart reports whether d has daily chats to draw.
func hasChart(d *digest.Digest) bool {
	s, ok := d.Daily[dailyChats]
	if !ok {
		return false
	}
	for _, series := range [][]*float64{s.Current, s.Previous} {
		for _, x := range series {
			if x != nil && finite(*x) && !math.IsNaN(*x) {
				return true
			}
		}
	}
	return false
}
