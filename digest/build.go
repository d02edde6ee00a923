package digest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"livechat-digest/livechat"
)

// Fetcher fetches one report answer. *livechat.Client satisfies it. The
// answer is a livechat.Series[T] for bucketed reports, a livechat.Ranking for
// the two rankings and a livechat.Occupancy for agents_occupancy (by value or
// by pointer).
type Fetcher interface {
	Fetch(ctx context.Context, r livechat.Report, q livechat.Query) (any, error)
}

// fetchConcurrency caps the requests one Build has in flight; the client
// has its own client-wide cap and rate limit on top, which is what protects
// the API. It is above the 26 requests of a full digest, so a digest's wall
// time is about one round trip when the client's limits allow, rather than
// seven round trips at the earlier cap of 4 (see docs/performance.md).
const fetchConcurrency = 32

// Spec says what digest to build.
type Spec struct {
	Job string
	// Location is the time zone periods are resolved in and the API is asked
	// to bucket by. Required.
	Location *time.Location
	Period   Period
	// Compare is the period to compare with; the zero value compares with
	// nothing, like NoCompare.
	Compare CompareMode
	// At is the instant the digest is built for (the schedule's firing time,
	// or --at); periods are resolved from it, never from the clock.
	At      time.Time
	Filters Filters
	// Reports to fetch, by name; nil or empty means all the API version has
	// (20 on v2, 14 on v3.6). A report the version lacks becomes an entry of
	// Digest.Errors.
	Reports    []livechat.Report
	Thresholds []Threshold
	// API is the Reports API version the Fetcher reads. Empty means the
	// Fetcher's own when it says (Versioned), else v2. It decides what "all
	// reports" means, how requests are planned and which metric keys exist.
	API livechat.API
	// Insight holds the constants of the verdicts; see Insight for its zeros.
	Insight Insight
	// Breakdown, when set, breaks the digest's changes down by group and
	// agent.
	Breakdown *Breakdown
}

// Build fetches the reports of s and computes its digest.
//
// Requests are economical: one request per bucketed report, grouped by day,
// spanning the current and the compare range together and split locally by
// each bucket's day (a span longer than MaxPeriodDays, which the API
// refuses, goes out in two pieces); one request per ranking for the current range; and one
// agents_occupancy request per distinct weekday of the current and compare
// days (the endpoint answers one weekday at a time). A full digest of a week
// compared with the week before therefore makes 17 + 2 + 7 = 26 requests.
// A partial period (today, month_to_date) also asks for its last day, and
// the compare period's counterpart of it, by the hour (see plan): today
// compared with yesterday is 17 × 2 + 2 + 2 = 38 requests.
//
// On v3.6 the same holds for its bucketed reports; agents/performance
// (chatting time) and customers/unique_visitors have no daily records, so
// they are asked once per period (current and compare) and give no daily
// series. queued_visitors and queue_waiting_times read the same v3.6
// request, which the client's sharing key makes one. A full v3.6 digest of
// a week compared with the week before makes 10 + 1 + 2·2 = 15 requests.
// v3.6 takes instants, so a partial period's cut day is asked for by day,
// up to the elapsed wall-clock time, instead of by the hour (whose bucket
// keys are not documented): today compared with yesterday is 10 × 2 + 1 +
// 2·2 = 25 requests.
//
// Each metric of a report that could not take one of the Spec's filters is
// marked with it (Value.NotFilteredBy, Rankings.NotFilteredBy): its number
// covers what the filter would have excluded.
//
// Digest.Daily gets a per-day series for every metric of the reports that
// answered (each day aggregated like the period: a day's weighted mean, a
// day's ratio), the compare days aligned by position; periods longer than
// 366 days get none.
//
// Reports are fetched concurrently and independently: a report that fails
// becomes an entry of Digest.Errors and the rest of the digest still stands.
// Build fails for a bad Spec, when no report at all answered, and when ctx
// is done by the time the fetches finish: a digest missing the reports the
// cancellation stopped would otherwise be sent as if it were complete.
func Build(ctx context.Context, f Fetcher, s Spec) (*Digest, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	api, err := s.api(f)
	if err != nil {
		return nil, err
	}
	if s.Breakdown != nil {
		if err := s.Breakdown.validate(s.Filters, api); err != nil {
			return nil, err
		}
	}
	for _, t := range s.Thresholds {
		if t.Op == Anomaly {
			if err := checkAnomaly(t, s.Period, api); err != nil {
				return nil, err
			}
		}
	}
	reports := s.reports(api)
	cur := s.Period.Range(s.At, s.Location)
	prev := CompareRange(s.Compare, s.Period, cur)
	w := newWindow(s.Period, cur, prev, ElapsedAt(s.At, s.Location))
	// A report with anomaly thresholds also counts the same period in the
	// weeks before, as further sides of its own window.
	weeks := anomalyWeeks(s.Thresholds)
	windowOf := func(r livechat.Report) window {
		if n := weeks[r]; n > 0 {
			wr := w
			wr.sides = append(slices.Clone(w.sides), historySides(w.sides[0], n)...)
			return wr
		}
		return w
	}

	base := s.query()
	var tasks []task
	for _, r := range reports {
		tasks = append(tasks, plan([]livechat.Report{r}, windowOf(r), base, api)...)
	}
	g := errgroup.Group{}
	g.SetLimit(fetchConcurrency)
	for i := range tasks {
		t := &tasks[i]
		g.Go(func() error {
			// Each answer or error goes into its own slot and never cancels
			// the others: one failing report must not sink the digest.
			t.answer, t.err = f.Fetch(ctx, t.report, t.query)
			return nil
		})
	}
	_ = g.Wait() // the goroutines never return an error
	if err := ctx.Err(); err != nil {
		// Reports stopped by the cancellation would show up as failed
		// reports of a digest that looks final. A run cut short produces
		// nothing; its firing is the caller's to retry or drop.
		return nil, fmt.Errorf("digest: job %q: %w", s.Job, err)
	}

	d := &Digest{
		Job:      s.Job,
		Timezone: s.Location.String(),
		Period:   cur,
		Compare:  prev,
		Metrics:  map[string]Value{},
		Rankings: Rankings{Chats: []RankEntry{}, Tickets: []RankEntry{}},
		Errors:   []ReportError{},
		Daily:    map[string]DailySeries{},
		Filters:  Filters{Group: s.Filters.Group, Agent: s.Filters.Agent, Tags: slices.Clone(s.Filters.Tags)},
	}
	if w.sides[0].cut {
		d.Until = w.elapsed.String()
	}
	var failures []error
	for _, r := range reports {
		m, ok := livechat.MethodOf(api, r)
		if !ok {
			err := fmt.Errorf("digest: %s: not available on Reports API %s", r, api)
			d.Errors = append(d.Errors, ReportError{Report: string(r), Error: err.Error()})
			failures = append(failures, err)
			continue
		}
		if err := d.add(m, tasks, windowOf(r)); err != nil {
			d.Errors = append(d.Errors, ReportError{Report: string(r), Error: err.Error()})
			failures = append(failures, err)
			continue
		}
		d.markUnfiltered(m, base)
	}
	if len(failures) == len(reports) {
		return nil, fmt.Errorf("digest: job %q: no report answered: %w", s.Job, errors.Join(failures...))
	}
	if prev != nil {
		d.days = [2]float64{w.days(0), w.days(1)}
		d.judge(s.Insight, d.days[0], d.days[1])
	}
	d.Headline = headline(d, s.Insight.Headline)
	if s.Breakdown != nil && prev != nil {
		d.breakdown(ctx, f, s, api, cur)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("digest: job %q: %w", s.Job, err)
		}
	}
	first := len(w.sides) // the first side of the history
	for _, t := range s.Thresholds {
		if t.Op == Anomaly {
			d.score(t, first, s.Insight.withDefaults().MeanCV)
		}
	}
	d.Breaches = Evaluate(d, s.Thresholds)
	return d, nil
}

func (s Spec) validate() error {
	if s.Location == nil {
		return fmt.Errorf("digest: job %q: no time zone", s.Job)
	}
	if err := s.Period.Validate(); err != nil {
		return err
	}
	if s.Compare != "" {
		if err := s.Compare.Validate(); err != nil {
			return err
		}
	}
	for _, r := range s.Reports {
		if _, ok := livechat.Lookup(r); !ok {
			return fmt.Errorf("digest: job %q: unknown report %q", s.Job, r)
		}
	}
	for _, t := range s.Thresholds {
		if err := t.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// api is the version the digest is built for: the Spec's, else the
// Fetcher's, else v2.
func (s Spec) api(f Fetcher) (livechat.API, error) {
	var own livechat.API
	if v, ok := f.(Versioned); ok {
		own = v.API()
	}
	switch {
	case s.API != "" && own != "" && s.API != own:
		return "", fmt.Errorf("digest: job %q: built for Reports API %s but the client reads %s", s.Job, s.API, own)
	case s.API != "":
		return s.API, nil
	case own != "":
		return own, nil
	}
	return livechat.V2, nil
}

// reports returns the reports to fetch, once each, in the registry's order:
// those named, or all that api has.
func (s Spec) reports(api livechat.API) []livechat.Report {
	if len(s.Reports) == 0 {
		return livechat.ReportsOn(api)
	}
	var out []livechat.Report
	for _, i := range livechat.Reports {
		if slices.Contains(s.Reports, i.Report) {
			out = append(out, i.Report)
		}
	}
	return out
}

// query is the part of every request that the filters and zone decide; the
// client drops the arguments an endpoint does not take.
func (s Spec) query() livechat.Query {
	return livechat.Query{
		Timezone: s.Location.String(),
		Group:    s.Filters.Group,
		Agent:    s.Filters.Agent,
		Tags:     slices.Clone(s.Filters.Tags),
	}
}

// task is one request and, after fetching, its outcome.
type task struct {
	report livechat.Report
	query  livechat.Query
	answer any
	err    error
}

// plan lists the requests for reports: see Build for the economy. A span
// longer than the API takes in one request (a long explicit period with its
// compare range) is asked for in consecutive pieces of at most
// MaxPeriodDays; the pieces do not overlap, so no day is counted twice.
//
// A partial period's cut days (see newWindow) are asked for by the hour, one
// request per day (the API's hour buckets cover one day), and left out of
// the request by day, which then spans only the days counted whole: today
// compared with yesterday is two hour requests per report, month_to_date on
// the 15th one request by day (Oct 1..Nov 14) and two by the hour (Nov 15,
// Oct 15).
//
// On v3.6 (see Build) a cut day is one request by day ending at the elapsed
// time (Query.Until), the per-period reports get one request per side
// (ending there on a cut side), and reports api lacks get no request.
func plan(reports []livechat.Report, w window, base livechat.Query, api livechat.API) []task {
	cur := w.sides[0].r
	var byDay []DateRange
	for _, s := range w.sides {
		if r, ok := s.whole(); ok {
			byDay = append(byDay, r)
		}
	}
	var pieces []DateRange
	if len(byDay) > 0 {
		pieces = split(hull(byDay...), MaxPeriodDays)
	}
	var occupancy []DateRange
	for _, s := range w.sides {
		occupancy = append(occupancy, s.r)
	}
	occPieces := split(hull(occupancy...), MaxPeriodDays)
	var tasks []task
	until := w.elapsed.clock()
	for _, r := range reports {
		info, _ := livechat.Lookup(r)
		m, ok := livechat.MethodOf(api, r)
		if !ok {
			continue
		}
		q := base
		switch {
		case m.PerPeriod:
			// One value per range: asked for each side on its own.
			for _, s := range w.sides {
				q.From, q.To, q.Until = s.r.From, s.r.To, 0
				if s.cut {
					if until == 0 {
						continue // nothing of the day has passed
					}
					q.Until = until
				}
				tasks = append(tasks, task{report: r, query: q})
			}
		case info.Shape == livechat.ShapeRanking:
			q.From, q.To = cur.From, cur.To
			if api == livechat.V36 && w.sides[0].cut && until > 0 {
				q.Until = until
			}
			tasks = append(tasks, task{report: r, query: q})
		case info.Shape == livechat.ShapeOccupancy:
			// Its points are hours of days, so cut days need nothing more.
			for _, piece := range occPieces {
				var in []DateRange
				for i := len(w.sides) - 1; i >= 0; i-- {
					if p, ok := intersect(w.sides[i].r, piece); ok {
						in = append(in, p)
					}
				}
				for _, wd := range weekdays(in...) {
					q.From, q.To, q.Weekday = wd.first, wd.last, wd.name
					tasks = append(tasks, task{report: r, query: q})
				}
			}
		default:
			// Always by day, even for one day: hour buckets would do too,
			// but days are what the split and the charts need.
			for _, piece := range pieces {
				q.From, q.To, q.GroupBy = piece.From, piece.To, livechat.ByDay
				tasks = append(tasks, task{report: r, query: q})
			}
			for _, d := range w.cutDays() {
				q.From, q.To, q.GroupBy = d, d, livechat.ByHour
				if api == livechat.V36 {
					if until == 0 {
						continue
					}
					q.GroupBy, q.Until = livechat.ByDay, until
				}
				tasks = append(tasks, task{report: r, query: q})
			}
		}
	}
	return tasks
}

// hull returns the smallest range holding every one of rs (at least one).
func hull(rs ...DateRange) DateRange {
	h := rs[0]
	for _, r := range rs[1:] {
		if r.From.Before(h.From) {
			h.From = r.From
		}
		if r.To.After(h.To) {
			h.To = r.To
		}
	}
	return h
}

// split cuts r into consecutive ranges of at most n days.
func split(r DateRange, n int) []DateRange {
	var out []DateRange
	for from := r.From; !from.After(r.To); from = from.AddDays(n) {
		to := from.AddDays(n - 1)
		if to.After(r.To) {
			to = r.To
		}
		out = append(out, DateRange{From: from, To: to})
	}
	return out
}

// intersect returns the days a and b share, and false when they share none.
func intersect(a, b DateRange) (DateRange, bool) {
	r := a
	if b.From.After(r.From) {
		r.From = b.From
	}
	if b.To.Before(r.To) {
		r.To = b.To
	}
	return r, !r.To.Before(r.From)
}

type weekdaySpan struct {
	name        string
	first, last livechat.Date
}

var weekdayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// weekdays returns, for each weekday that occurs among the days of ranges,
// the first and last such day, in order of first occurrence.
func weekdays(ranges ...DateRange) []weekdaySpan {
	var out []weekdaySpan
	idx := map[time.Weekday]int{}
	for _, r := range ranges {
		for d := r.From; !d.After(r.To); d = d.AddDays(1) {
			wd := d.Weekday()
			i, ok := idx[wd]
			if !ok {
				idx[wd] = len(out)
				out = append(out, weekdaySpan{name: weekdayNames[wd], first: d, last: d})
				continue
			}
			if d.Before(out[i].first) {
				out[i].first = d
			}
			if d.After(out[i].last) {
				out[i].last = d
			}
		}
	}
	return out
}

// add puts the answers of report method m into d, or returns why it
// cannot.
func (d *Digest) add(m livechat.Method, tasks []task, w window) error {
	r := m.Report
	var mine []*task
	for i := range tasks {
		if tasks[i].report == r {
			if tasks[i].err != nil {
				return tasks[i].err
			}
			mine = append(mine, &tasks[i])
		}
	}
	info, _ := livechat.Lookup(r)
	switch info.Shape {
	case livechat.ShapeRanking:
		entries, err := rankEntries(mine[0].answer)
		if err != nil {
			return fmt.Errorf("digest: %s: %w", r, err)
		}
		if r == livechat.TicketRanking {
			d.Rankings.Tickets = entries
		} else {
			d.Rankings.Chats = entries
		}
		return nil
	case livechat.ShapeOccupancy:
		var points []livechat.OccupancyPoint
		for _, t := range mine {
			p, err := occupancyPoints(t.answer)
			if err != nil {
				return fmt.Errorf("digest: %s: %w", r, err)
			}
			points = append(points, p...)
		}
		a, err := peak(points, w, m.API)
		if err != nil {
			return fmt.Errorf("digest: %s: %w", r, err)
		}
		d.merge(a)
		return nil
	}
	extract, ok := extractors[r]
	if !ok {
		return fmt.Errorf("digest: %s: no aggregation for this report", r)
	}
	// One answer per piece of the span; the pieces do not overlap. The
	// request by day may run across a cut day (Oct 29 between Oct 1..28 and
	// Nov 1..28); that day's hours come from its own request.
	cut := w.cutDays()
	var rs []row
	for _, t := range mine {
		part, err := extract(t.answer)
		if err != nil {
			return fmt.Errorf("digest: %s: %w", r, err)
		}
		switch {
		case t.query.Until > 0:
			// Asked up to the elapsed time: exactly what a cut day counts.
			for i := range part {
				part[i].precut = true
			}
		case t.query.GroupBy == livechat.ByDay:
			part = slices.DeleteFunc(part, func(b row) bool { return b.start == b.end && slices.Contains(cut, b.start) })
		}
		rs = append(rs, part...)
	}
	agg, err := aggregate(r, rs, w, m.API)
	if err != nil {
		return err
	}
	if m.PerPeriod {
		// A one-day period's single value is not a daily series either:
		// nothing that reads Daily may take it for one.
		agg.daily = nil
	}
	d.merge(agg)
	for _, t := range mine {
		d.warnCapped(r, t.answer, w)
	}
	return nil
}

func (d *Digest) merge(a aggregated) {
	for k, v := range a.values {
		d.Metrics[k] = v
	}
	for k, v := range a.daily {
		d.Daily[k] = v
	}
	if d.sides == nil {
		d.sides = map[string][]accum{}
	}
	for k, v := range a.sides {
		d.sides[k] = v
	}
}

// peak folds occupancy points into agents_occupancy.peak: the largest
// hourly maximum among the points whose day (and on a cut day, hour) each
// side counts. The API answers a whole weekday's dates, so points outside
// the sides are dropped.
func peak(points []livechat.OccupancyPoint, w window, api livechat.API) (aggregated, error) {
	var rs []row
	for _, p := range points {
		rs = append(rs, row{start: p.Day, end: p.Day, hour: p.Hour, obs: []obs{{x: float64(p.Max), ok: true}}})
	}
	// Points are hours of single days, so they never straddle a side.
	return aggregate(livechat.AgentsOccupancy, rs, w, api)
}

func rankEntries(a any) ([]RankEntry, error) {
	var r livechat.Ranking
	switch v := a.(type) {
	case livechat.Ranking:
		r = v
	case *livechat.Ranking:
		if v == nil {
			return nil, errors.New("nil answer")
		}
		r = *v
	default:
		return nil, fmt.Errorf("answer is %T, want livechat.Ranking", a)
	}
	out := make([]RankEntry, 0, len(r.Entries))
	for _, e := range r.Entries {
		out = append(out, RankEntry{Agent: e.Agent, Good: e.Good, Bad: e.Bad, Total: e.Total, Score: e.Score})
	}
	return out, nil
}

func occupancyPoints(a any) ([]livechat.OccupancyPoint, error) {
	switch v := a.(type) {
	case livechat.Occupancy:
		return v.Points, nil
	case *livechat.Occupancy:
		if v == nil {
			return nil, errors.New("nil answer")
		}
		return v.Points, nil
	}
	return nil, fmt.Errorf("answer is %T, want livechat.Occupancy", a)
}
