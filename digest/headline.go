package digest

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// HeadlineItem is one sentence at the top of a digest: a change that passed
// the significance tests.
type HeadlineItem struct {
	Metric string `json:"metric"`
	// Sentence says it for people: "First response time rose 36% to 75 s,
	// worse; most in Sales, +80%".
	Sentence string  `json:"sentence"`
	Verdict  Verdict `json:"verdict"`
	// ChangePct is the change the sentence gives: the change of the rate
	// per day for sums over periods of different lengths, else change_pct
	// (null from a previous 0).
	ChangePct *float64 `json:"change_pct"`
	// Z is the test statistic the ranking reads.
	Z float64 `json:"z"`
	// Most is the breakdown entry that moved most the same way, when the
	// job breaks this metric down and one of its entries moved for real.
	Most *BreakdownEntry `json:"most,omitempty"`
}

// candidates returns the metrics a headline may name, most significant
// first: those whose verdict says the change is real and that a test
// stands behind (sums of hours and maxima have none, so nothing says they
// are more than noise), only the most significant of each report (chats,
// rated chats and first responses of one week mostly move together; one
// sentence each would crowd out the rest), ranked by |z| and then by the
// size of the change.
func candidates(d *Digest) []Metric {
	best := map[string]Metric{} // by report
	var order []string
	for _, m := range Catalogue {
		v, ok := d.Metrics[m.Key]
		if !ok || !v.Verdict.Significant() || v.Z == nil {
			continue
		}
		r := string(m.Report)
		prev, seen := best[r]
		if !seen {
			order = append(order, r)
		}
		if !seen || math.Abs(*v.Z) > math.Abs(*d.Metrics[prev.Key].Z) {
			best[r] = m
		}
	}
	out := make([]Metric, 0, len(order))
	for _, r := range order {
		out = append(out, best[r])
	}
	slices.SortStableFunc(out, func(a, b Metric) int {
		va, vb := d.Metrics[a.Key], d.Metrics[b.Key]
		if c := cmp.Compare(math.Abs(*vb.Z), math.Abs(*va.Z)); c != 0 {
			return c
		}
		return cmp.Compare(math.Abs(size(vb)), math.Abs(size(va)))
	})
	return out
}

// size is the change a sentence gives, in percent (+Inf from 0).
func size(v Value) float64 {
	switch {
	case v.RateChangePct != nil:
		return *v.RateChangePct
	case v.ChangePct != nil:
		return *v.ChangePct
	}
	return math.Inf(1)
}

// HasChanges reports whether any metric of d has a real change that could
// make its headline, whatever the headline's length: what `send: changes`
// asks.
func (d *Digest) HasChanges() bool { return len(candidates(d)) > 0 }

// headline returns the n most significant changes of d as sentences.
func headline(d *Digest, n int) []HeadlineItem {
	out := []HeadlineItem{}
	for _, m := range candidates(d) {
		if len(out) == n {
			break
		}
		v := d.Metrics[m.Key]
		it := HeadlineItem{Metric: m.Key, Verdict: v.Verdict, Z: *v.Z, ChangePct: v.ChangePct}
		if v.RateChangePct != nil {
			it.ChangePct = v.RateChangePct
		}
		it.Sentence = sentence(m, v)
		out = append(out, it)
	}
	return out
}

// sentence says a change in words: "First response time rose 36% to 75 s,
// worse". Rates move in percentage points; sums over periods of different
// lengths by their rate per day; a change from 0 names both values.
func sentence(m Metric, v Value) string {
	verb := "rose"
	if judgedChange(v) < 0 {
		verb = "fell"
	}
	s := m.Label + " " + verb + " "
	switch {
	case m.Unit == Rate:
		s += number(math.Abs(*v.Current-*v.Previous)*100) + " pp"
	case v.RateChangePct != nil:
		s += percent(*v.RateChangePct) + " a day"
	case v.ChangePct != nil:
		s += percent(*v.ChangePct)
	default:
		s += "from " + FormatValue(m, v.Previous)
	}
	s += " to " + FormatValue(m, v.Current)
	if v.Verdict == VerdictBetter || v.Verdict == VerdictWorse {
		s += ", " + string(v.Verdict)
	}
	if len(v.NotFilteredBy) > 0 {
		// As its row is marked: an account-wide number must not read as
		// the filtered one.
		s += " (not filtered by " + strings.Join(v.NotFilteredBy, ", ") + ")"
	}
	return s
}

// judgedChange is the change a verdict was given on, by its sign: the
// change of the rate per day for sums over periods of different lengths
// (a 31-day March to date against February can hold more chats in all and
// fewer a day), else the change of the value.
func judgedChange(v Value) float64 {
	switch {
	case v.RateChangePct != nil:
		return *v.RateChangePct
	case v.Change != nil:
		return *v.Change
	case v.Current != nil && v.Previous != nil:
		return *v.Current - *v.Previous
	}
	return 0
}

// percent formats the size of a change: whole percents from 10% on, one
// decimal below ("36%", "7.5%").
func percent(x float64) string {
	x = math.Abs(x)
	if x >= 10 {
		x = math.Round(x)
	}
	return number(x) + "%"
}
