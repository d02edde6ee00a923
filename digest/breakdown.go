package digest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"livechat-digest/livechat"
)

// Dimension is a filter a breakdown adds to a job's own to say where a
// change came from.
type Dimension string

// The dimensions of a breakdown.
const (
	ByGroup Dimension = "group"
	ByAgent Dimension = "agent"
)

// Named is a group (or agent) of a breakdown: its filter value and the name
// shown for it.
type Named struct {
	Key, Name string
}

// Breakdown asks where a digest's changes came from: each metric again for
// every group and agent, each entry computed exactly as the same job with
// that one extra filter computes it.
type Breakdown struct {
	By     []Dimension
	Groups []Named // for ByGroup, in the order shown when they tie
	// Agents are logins for ByAgent; with AgentsFromRanking they are the
	// Top agents of the period's chat ranking by chats instead.
	Agents            []string
	AgentsFromRanking bool
	Top               int
	// Metrics are the metric keys to break down; empty means the
	// headline's.
	Metrics []string
}

// DefaultBreakdownTop is how many agents a ranking gives a breakdown when
// top is not set.
const DefaultBreakdownTop = 5

// BreakdownEntry is one group's or agent's numbers for one metric: what the
// job with that one extra filter gives, and its verdict among the entries
// of the metric.
type BreakdownEntry struct {
	By        Dimension `json:"by"`
	Key       string    `json:"key"`
	Name      string    `json:"name"`
	Current   *float64  `json:"current"`
	Previous  *float64  `json:"previous"`
	ChangePct *float64  `json:"change_pct"`
	// Verdict, Z and Q are as for a metric; the correction runs over the
	// entries of one metric (which groups and agents moved is one family).
	Verdict Verdict  `json:"verdict,omitempty"`
	Z       *float64 `json:"z,omitempty"`
	Q       *float64 `json:"q,omitempty"`
	// RateChangePct is as for a metric: the change of the rate per day of a
	// sum over periods of different lengths, which the verdict reads.
	RateChangePct *float64 `json:"rate_change_pct,omitempty"`

	change *float64 // the absolute change, for the order
}

// Filterable reports whether report r narrows its answer by dimension dim
// on Reports API api (livechat.MethodOf's table: on v2 the queue reports
// take no agent, occupancy neither filter). A report that ignores the
// filter would give the job's total as every group's or agent's number, so
// such a pair is refused, never shown.
func Filterable(api livechat.API, r livechat.Report, dim Dimension) bool {
	m, ok := livechat.MethodOf(api, r)
	if !ok {
		return false
	}
	switch dim {
	case ByGroup:
		return m.Filters&livechat.FilterGroup != 0
	case ByAgent:
		return m.Filters&livechat.FilterAgent != 0
	}
	return false
}

// validate reports what makes b unusable with filters f on api.
func (b *Breakdown) validate(f Filters, api livechat.API) error {
	if len(b.By) == 0 {
		return errors.New("digest: breakdown: by names no dimension")
	}
	for _, dim := range b.By {
		switch {
		case dim == ByGroup && f.Group != "":
			return fmt.Errorf("digest: breakdown by group: the job already filters group %s", f.Group)
		case dim == ByAgent && f.Agent != "":
			return fmt.Errorf("digest: breakdown by agent: the job already filters agent %s", f.Agent)
		case dim != ByGroup && dim != ByAgent:
			return fmt.Errorf("digest: breakdown: unknown dimension %q (want group or agent)", dim)
		}
		for _, k := range b.Metrics {
			m, ok := LookupMetric(k)
			if !ok {
				return fmt.Errorf("digest: breakdown: unknown metric %q", k)
			}
			if !Filterable(api, m.Report, dim) {
				return fmt.Errorf("digest: breakdown: %s cannot be broken down by %s: report %s ignores the %s filter", k, dim, m.Report, dim)
			}
		}
	}
	return nil
}

// breakdownConcurrency caps the filtered digests built at once; each has
// its own cap, and the client's cap and rate limit are what protect the API.
const breakdownConcurrency = 8

// part is one filtered digest of a breakdown.
type part struct {
	dim  Dimension
	key  Named
	spec Spec
	d    *Digest
	err  error
}

// breakdown builds the filtered digests of s.Breakdown for the metrics keys
// (the headline's when the breakdown names none) and fills d.Breakdown.
//
// Each group or agent is a digest of its own: s with that one filter added,
// only the reports of the metrics (those that take the filter), no
// thresholds. Its requests are therefore exactly those the same job with
// that filter makes for those reports, so the client's coalescing and cache
// share them with such a job: per group or agent, one request per report for
// a complete period (two for today, three for month to date; see plan),
// plus one chat ranking request for agents from the ranking. BreakdownRequests
// counts them before a run.
func (d *Digest) breakdown(ctx context.Context, f Fetcher, s Spec, api livechat.API, cur DateRange) {
	b := s.Breakdown
	keys := b.Metrics
	if len(keys) == 0 {
		for _, h := range d.Headline {
			keys = append(keys, h.Metric)
		}
	}
	if len(keys) == 0 {
		return
	}
	var parts []*part
	for _, dim := range b.By {
		reports := breakdownReports(keys, dim, api)
		if len(reports) == 0 {
			continue
		}
		for _, k := range d.breakdownKeys(ctx, f, s, api, cur, dim) {
			sub := s
			sub.Job = fmt.Sprintf("%s (%s %s)", s.Job, dim, k.Key)
			sub.Filters.Tags = slices.Clone(s.Filters.Tags)
			if dim == ByGroup {
				sub.Filters.Group = k.Key
			} else {
				sub.Filters.Agent = k.Key
			}
			sub.Reports, sub.Thresholds, sub.Breakdown = reports, nil, nil
			sub.Insight.Headline = 0
			parts = append(parts, &part{dim: dim, key: k, spec: sub})
		}
	}
	g := errgroup.Group{}
	g.SetLimit(breakdownConcurrency)
	for _, p := range parts {
		g.Go(func() error {
			p.d, p.err = Build(ctx, f, p.spec)
			return nil
		})
	}
	_ = g.Wait() // the goroutines never return an error

	d.Breakdown = map[string][]BreakdownEntry{}
	in := s.Insight.withDefaults()
	for _, key := range keys {
		m, _ := LookupMetric(key)
		var entries []BreakdownEntry
		var as []assessment
		var tested []int
		for _, p := range parts {
			if !Filterable(api, m.Report, p.dim) {
				continue
			}
			if p.err != nil {
				continue
			}
			v, ok := p.d.Metrics[key]
			if !ok {
				continue // its report failed; the error is listed once below
			}
			e := BreakdownEntry{By: p.dim, Key: p.key.Key, Name: p.key.Name, Current: v.Current, Previous: v.Previous, ChangePct: v.ChangePct, change: v.Change}
			if sides := p.d.sides[key]; len(sides) == 2 {
				if a, ok := assess(m, sides[0], sides[1], p.d.days[0], p.d.days[1], in.MeanCV); ok {
					as = append(as, a)
					tested = append(tested, len(entries))
				}
			}
			entries = append(entries, e)
		}
		for i, j := range decide(as, in) {
			e := &entries[tested[i]]
			e.Verdict, e.Z, e.Q, e.RateChangePct = j.Verdict, j.Z, j.Q, j.RateChangePct
		}
		sortEntries(m, entries)
		d.Breakdown[key] = entries
	}
	for _, p := range parts {
		switch {
		case p.err != nil:
			d.Errors = append(d.Errors, ReportError{Report: fmt.Sprintf("breakdown %s %s", p.dim, p.key.Key), Error: p.err.Error()})
		default:
			for _, e := range p.d.Errors {
				d.Errors = append(d.Errors, ReportError{Report: fmt.Sprintf("breakdown %s %s: %s", p.dim, p.key.Key, e.Report), Error: e.Error})
			}
		}
	}
	d.mostIn()
}

// breakdownReports returns the reports of keys that take the filter dim,
// once each, in the registry's order.
func breakdownReports(keys []string, dim Dimension, api livechat.API) []livechat.Report {
	var out []livechat.Report
	for _, info := range livechat.Reports {
		for _, k := range keys {
			if m, ok := LookupMetric(k); ok && m.Report == info.Report && Filterable(api, m.Report, dim) {
				out = append(out, m.Report)
				break
			}
		}
	}
	return out
}

// breakdownKeys returns the groups or agents of dim. Agents from the
// ranking are the Top of the period's chat ranking by chats, for the job's
// filters: the digest's own ranking when the job has one, else one request
// (the same one such a job makes). A ranking that fails gives no agents,
// and says so in d.Errors.
func (d *Digest) breakdownKeys(ctx context.Context, f Fetcher, s Spec, api livechat.API, cur DateRange, dim Dimension) []Named {
	b := s.Breakdown
	if dim == ByGroup {
		return b.Groups
	}
	if !b.AgentsFromRanking {
		out := make([]Named, len(b.Agents))
		for i, a := range b.Agents {
			out[i] = Named{Key: a, Name: a}
		}
		return out
	}
	ranking := d.Rankings.Chats
	if !slices.Contains(s.reports(api), livechat.ChatRanking) {
		q := s.query()
		q.From, q.To = cur.From, cur.To
		a, err := f.Fetch(ctx, livechat.ChatRanking, q)
		if err == nil {
			ranking, err = rankEntries(a)
		}
		if err != nil {
			d.Errors = append(d.Errors, ReportError{Report: "breakdown agent ranking", Error: err.Error()})
			return nil
		}
	}
	ranking = slices.Clone(ranking)
	slices.SortStableFunc(ranking, func(a, b RankEntry) int { return cmp.Compare(b.Total, a.Total) })
	top := b.Top
	if top <= 0 {
		top = DefaultBreakdownTop
	}
	var out []Named
	for _, e := range ranking {
		if len(out) == top {
			break
		}
		if e.Agent != "" {
			out = append(out, Named{Key: e.Agent, Name: e.Agent})
		}
	}
	return out
}

// sortEntries puts the largest real movers first: entries whose change
// passed the tests before the others, then by the size of the move (the
// absolute change for sums, which says who contributed most to the total;
// the relative change for rates, means and maxima), then by name.
func sortEntries(m Metric, es []BreakdownEntry) {
	move := func(e BreakdownEntry) float64 {
		x := e.ChangePct
		if m.Agg == Sum || x == nil {
			x = e.change
		}
		if x == nil {
			return -1
		}
		return math.Abs(*x)
	}
	slices.SortStableFunc(es, func(a, b BreakdownEntry) int {
		if sa, sb := a.Verdict.Significant(), b.Verdict.Significant(); sa != sb {
			if sa {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(move(b), move(a)); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// mostIn adds to each headline sentence where its change came from: the
// first real mover of its breakdown that moved the same way ("; most in
// Sales, +80%"), in the sentence's terms: the same way and by how much as
// the verdicts read it (the rate per day for sums over periods of different
// lengths), rates in percentage points.
func (d *Digest) mostIn() {
	for i := range d.Headline {
		h := &d.Headline[i]
		m := metricOrCount(h.Metric)
		way := judgedChange(d.Metrics[h.Metric])
		for _, e := range d.Breakdown[h.Metric] {
			if e.change == nil {
				continue
			}
			ev := Value{Current: e.Current, Previous: e.Previous, Change: e.change, ChangePct: e.ChangePct, RateChangePct: e.RateChangePct}
			if !e.Verdict.Significant() || way == 0 || (judgedChange(ev) > 0) != (way > 0) {
				continue
			}
			var by string
			switch {
			case m.Unit == Rate:
				by = signed(number(math.Abs(*e.change)*100)+" pp", *e.change)
			case e.RateChangePct != nil:
				by = signed(percent(*e.RateChangePct), *e.RateChangePct) + " a day"
			case e.ChangePct != nil:
				by = signed(percent(*e.ChangePct), *e.ChangePct)
			default:
				by = "from " + FormatValue(m, e.Previous)
			}
			h.Sentence += "; most in " + e.Name + ", " + by
			h.Most = &e
			break
		}
	}
}

func metricOrCount(key string) Metric {
	m, _ := LookupMetric(key)
	return m
}

// signed puts the sign of x before s.
func signed(s string, x float64) string {
	if x < 0 {
		return "-" + s
	}
	return "+" + s
}

// BreakdownRequests is how many requests the breakdown of s makes at most
// in one run: per group or agent, the requests of every report it breaks
// down (when it names no metrics, the headline's: the Insight.Headline
// costliest of the job's reports that take the filter), plus the chat
// ranking for agents from the ranking. A period's requests per report are
// counted at a mid-month afternoon, where a month to date needs the most (3
// on v2).
func BreakdownRequests(s Spec) int {
	b := s.Breakdown
	if b == nil {
		return 0
	}
	api := s.API
	if api == "" {
		api = livechat.V2
	}
	n := 0
	for _, dim := range b.By {
		keys := len(b.Groups)
		if dim == ByAgent {
			keys = len(b.Agents)
			if b.AgentsFromRanking {
				keys = b.Top
				if keys <= 0 {
					keys = DefaultBreakdownTop
				}
				n++ // the chat ranking
			}
		}
		var costs []int
		if len(b.Metrics) > 0 {
			for _, r := range breakdownReports(b.Metrics, dim, api) {
				costs = append(costs, requestsPerReport(s.Period, s.Compare, api, r))
			}
		} else {
			for _, r := range s.reports(api) {
				if info, _ := livechat.Lookup(r); info.Shape == livechat.ShapeBuckets && Filterable(api, r, dim) {
					costs = append(costs, requestsPerReport(s.Period, s.Compare, api, r))
				}
			}
			slices.SortFunc(costs, func(a, b int) int { return b - a })
			costs = costs[:min(len(costs), s.Insight.Headline)]
		}
		for _, c := range costs {
			n += keys * c
		}
	}
	return n
}

// requestsPerReport is how many requests plan makes for report r of period
// p compared by c on api, at a mid-month afternoon.
func requestsPerReport(p Period, c CompareMode, api livechat.API, r livechat.Report) int {
	at := time.Date(2026, 1, 14, 15, 30, 0, 0, time.UTC)
	cur := p.Range(at, time.UTC)
	w := newWindow(p, cur, CompareRange(c, p, cur), ElapsedAt(at, time.UTC))
	return len(plan([]livechat.Report{r}, w, livechat.Query{}, api))
}
