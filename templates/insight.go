package templates

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"livechat-digest/digest"
)

// mark is the word text output puts after a change that passed the
// significance tests; noise (and a change without a verdict) stays
// unmarked.
func mark(v digest.Verdict) string {
	switch v {
	case digest.VerdictBetter, digest.VerdictWorse:
		return string(v)
	case digest.VerdictNeutral:
		return "changed"
	}
	return ""
}

// hasVerdicts reports whether any metric of d has a verdict, so the legend
// can explain grey as noise.
func hasVerdicts(d *digest.Digest) bool {
	for _, v := range d.Metrics {
		if v.Verdict != "" {
			return true
		}
	}
	return false
}

// headlineLines are the headline's sentences, made single-line, with the
// breakdown name in one ("most in …": a group's from the config, an
// agent's login from LiveChat) clipped like every upstream name.
func headlineLines(d *digest.Digest) []string {
	var out []string
	for _, h := range d.Headline {
		s := h.Sentence
		if h.Most != nil {
			s = strings.Replace(s, "; most in "+h.Most.Name+", ", "; most in "+clip(h.Most.Name, maxNameRunes)+", ", 1)
		}
		out = append(out, oneLine(s))
	}
	return out
}

// headlineBlock is the headline in Slack: rich text, since a breakdown name
// in a sentence comes from the config.
func headlineBlock(lines []string) block {
	items := make([][]richInline, len(lines))
	for i, l := range lines {
		items[i] = []richInline{txt(l)}
	}
	return richList("mag", "What changed", items)
}

// maxBreakdownRows is how many groups and agents a breakdown table shows per
// metric before "…and N more"; the JSON keeps them all.
const maxBreakdownRows = 5

// breakdownView is the breakdown of one metric: its largest movers.
type breakdownView struct {
	Label string // "First response time"
	Rows  []breakdownRow
	More  int // entries not shown
	// W holds column widths (in runes) for the text table.
	W struct{ Name, Values, Change int }
}

type breakdownRow struct {
	Name    string // "group Sales", "agent john@example.com"
	Values  string // "42.5 s → 76.5 s"
	Change  string // "+34 s (+80%)"
	Verdict string
	Mark    string
	Dir     int
}

// String is the one-line form of a row, for Slack.
func (r breakdownRow) String() string {
	s := fmt.Sprintf("%s: %s, %s", r.Name, r.Values, r.Change)
	if r.Mark != "" {
		s += " — " + r.Mark
	}
	return s
}

// breakdownViews lays out d's breakdown: the headline's metrics first, in
// its order, then the others in catalogue order.
func breakdownViews(d *digest.Digest) []breakdownView {
	var keys []string
	for _, h := range d.Headline {
		if _, ok := d.Breakdown[h.Metric]; ok && !slices.Contains(keys, h.Metric) {
			keys = append(keys, h.Metric)
		}
	}
	var rest []string
	for k := range d.Breakdown {
		if !slices.Contains(keys, k) {
			rest = append(rest, k)
		}
	}
	slices.SortFunc(rest, func(a, b string) int {
		return cmp.Or(cmp.Compare(catalogueIndex(a), catalogueIndex(b)), strings.Compare(a, b))
	})
	keys = append(keys, rest...)

	var out []breakdownView
	for _, k := range keys {
		es := d.Breakdown[k]
		if len(es) == 0 {
			continue
		}
		m := metricOf(k)
		bv := breakdownView{Label: oneLine(m.Label)}
		for i, e := range es {
			if i == maxBreakdownRows {
				bv.More = len(es) - i
				break
			}
			val := digest.Value{Current: e.Current, Previous: e.Previous, ChangePct: e.ChangePct, RateChangePct: e.RateChangePct, Verdict: e.Verdict}
			if e.Current != nil && e.Previous != nil {
				c := *e.Current - *e.Previous
				val.Change = &c
			}
			r := breakdownRow{
				Name:    string(e.By) + " " + clip(e.Name, maxNameRunes),
				Values:  formatValue(m, e.Previous) + " → " + formatValue(m, e.Current),
				Change:  formatChange(m, val),
				Verdict: string(e.Verdict),
				Mark:    mark(e.Verdict),
				Dir:     direction(m, val),
			}
			bv.Rows = append(bv.Rows, r)
			bv.W.Name = max(bv.W.Name, runes(r.Name))
			bv.W.Values = max(bv.W.Values, runes(r.Values))
			bv.W.Change = max(bv.W.Change, runes(r.Change))
		}
		out = append(out, bv)
	}
	return out
}

// catalogueIndex orders metric keys as the catalogue does; unknown keys
// last.
func catalogueIndex(key string) int {
	for i, m := range digest.Catalogue {
		if m.Key == key {
			return i
		}
	}
	return len(digest.Catalogue)
}

// breakdownBlocks are the breakdown in Slack: one rich-text list per
// metric, since group names come from the config and logins from LiveChat.
func breakdownBlocks(bs []breakdownView) []block {
	var out []block
	for _, b := range bs {
		lines := make([][]richInline, 0, len(b.Rows)+1)
		for _, r := range b.Rows {
			lines = append(lines, []richInline{txt(r.String())})
		}
		if b.More > 0 {
			lines = append(lines, []richInline{italic(fmt.Sprintf("…and %d more", b.More))})
		}
		out = append(out, richList("round_pushpin", "Where: "+b.Label, lines))
	}
	return out
}

// breachViewOf explains a breach of the digest; an anomaly says how far
// from the usual it is.
func breachViewOf(b digest.Breach) breachView {
	if b.Rule == string(digest.Anomaly) && b.Baseline != nil && b.Z != nil {
		return anomalyView(b.Metric, digest.AnomalyScore{Value: b.Value, Baseline: *b.Baseline, Z: *b.Z, Usual: b.Usual}, b.Threshold)
	}
	return newBreachView(b.Metric, b.Rule, &b.Value, b.Threshold)
}

// anomalyView explains an anomaly: "Chats 412 — 3.4× the usual Monday (z
// 5.2, limit 3)".
func anomalyView(metric string, a digest.AnomalyScore, threshold float64) breachView {
	m := metricOf(oneLine(metric))
	a.Usual = oneLine(a.Usual)
	z := strconv.FormatFloat(a.Z, 'f', 1, 64)
	return breachView{
		Metric: m.Key, Label: m.Label,
		Value:     formatValue(m, &a.Value),
		Rule:      a.Times(m),
		Threshold: "(z " + z + ", limit " + strconv.FormatFloat(threshold, 'g', -1, 64) + ")",
	}
}

// until says where a partial period's range r stops: " until 10:00" for the
// period, and for its compare range when that is as long (it then has a
// counterpart of the partial day; a compare period clipped at a shorter
// month's end counts whole). "" for a complete period.
func until(d *digest.Digest, r digest.DateRange) string {
	u := oneLine(d.Until)
	if u == "" || r.Days() != d.Period.Days() {
		return ""
	}
	return " until " + u
}
