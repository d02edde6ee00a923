package config

import (
	"strconv"

	"go.yaml.in/yaml/v3"

	"livechat-digest/digest"
)

// insight decodes a job's insight section: the constants of the verdicts
// and the headline (digest.Insight; defaults there). Zero is allowed for
// headline (no headline), min_change and min_count (no guard); fdr must lie
// strictly between 0 and 1 (1 would call every tested change real) and
// mean_cv be positive.
func (d *decoder) insight(v *yaml.Node, path string) digest.Insight {
	in := digest.DefaultInsight()
	d.mapping(v, "jobs[].insight", path,
		field{"headline", func(_, v *yaml.Node) { d.intField(v, path+".headline", 0, 20, &in.Headline) }},
		field{"min_change", func(_, v *yaml.Node) {
			d.numberIn(v, path+".min_change", interval{0, 1000, false, false}, &in.MinChange)
		}},
		field{"min_count", func(_, v *yaml.Node) { d.numberIn(v, path+".min_count", interval{0, 1e9, false, false}, &in.MinCount) }},
		field{"fdr", func(_, v *yaml.Node) { d.numberIn(v, path+".fdr", interval{0, 1, true, true}, &in.FDR) }},
		field{"mean_cv", func(_, v *yaml.Node) { d.numberIn(v, path+".mean_cv", interval{0, 100, true, false}, &in.MeanCV) }},
	)
	return in
}

// interval is a range of numbers; an open end excludes its bound.
type interval struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func (r interval) contains(f float64) bool {
	return (f > r.lo || !r.loOpen && f == r.lo) && (f < r.hi || !r.hiOpen && f == r.hi)
}

func (r interval) String() string {
	lo, hi := "from "+num(r.lo), "to "+num(r.hi)
	if r.loOpen {
		lo = "above " + num(r.lo)
	}
	if r.hiOpen {
		hi = "below " + num(r.hi)
	}
	return lo + " " + hi
}

// numberIn decodes a number that must lie in r.
func (d *decoder) numberIn(v *yaml.Node, path string, r interval, dst *float64) {
	var f *float64
	if !d.number(v, path, &f) {
		return
	}
	if !r.contains(*f) {
		d.errorf(line(v), "%s: %s is out of range (%s)", path, num(*f), r)
		return
	}
	*dst = *f
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Anomaly is an anomaly threshold's bound.
type Anomaly struct {
	Weeks int     // earlier weeks that make the baseline
	Z     float64 // the robust z beyond which it breaches
}

// The defaults of an anomaly bound.
const (
	DefaultAnomalyWeeks = 8
	DefaultAnomalyZ     = 3.0
)

// anomaly decodes {weeks: 8, z: 3}; {} takes both defaults.
func (d *decoder) anomaly(v *yaml.Node, path string) *Anomaly {
	a := &Anomaly{Weeks: DefaultAnomalyWeeks, Z: DefaultAnomalyZ}
	d.mapping(v, "jobs[].thresholds[].anomaly", path,
		field{"weeks", func(_, v *yaml.Node) { d.intField(v, path+".weeks", 3, digest.MaxAnomalyWeeks, &a.Weeks) }},
		field{"z", func(_, v *yaml.Node) { d.numberIn(v, path+".z", interval{0, 100, true, false}, &a.Z) }},
	)
	return a
}

// checkAnomaly refuses an anomaly threshold where there is no weekly
// history to compare with: month periods, and metrics read without days.
func (d *decoder) checkAnomaly(j *Job, t Threshold, path string, at int) {
	m, ok := digest.LookupMetric(t.Metric)
	switch {
	case !ok:
	case j.Period.Kind == digest.MonthToDate || j.Period.Kind == digest.LastMonth:
		d.errorf(at, "%s: an anomaly threshold compares with the same period in earlier weeks, which period %s does not have; use today, yesterday, last_7_days or last_week", path, j.Period)
	case !digest.HasDailySeries(m, j.API):
		d.errorf(at, "%s: an anomaly threshold on %s needs a daily series, which report %s does not give", path, t.Metric, m.Report)
	}
}

// The send rules of a job's digest.
const (
	SendAlways   = "always"   // every run (the default)
	SendChanges  = "changes"  // when a change is real or a threshold breaches
	SendBreaches = "breaches" // when a threshold breaches
)

// send decodes a job's send rule.
func (d *decoder) send(v *yaml.Node, path string, dst *string) int {
	var s string
	sc, ok := d.str(v, path, &s)
	if !ok {
		return sc.line
	}
	switch sc.val {
	case SendAlways, SendChanges, SendBreaches:
		*dst = sc.val
	default:
		d.errorf(sc.line, "%s: unknown send rule %s (want always, changes or breaches)", path, sc.quoted())
	}
	return sc.line
}

// checkSend refuses a send rule that cannot work: one on a job that sends no
// digest, and breaches on a job without thresholds (it would never send).
func (d *decoder) checkSend(j *Job, path string, at int) {
	switch {
	case j.Send == SendAlways:
	case j.Email == nil && j.Slack == nil:
		d.errorf(at, "%s: send: %s decides when the digest goes out, but the job sends no digest (no email or slack)", path, j.Send)
	case j.Send == SendBreaches && len(j.Thresholds) == 0:
		d.errorf(at, "%s: send: breaches sends the digest when a threshold breaches, but the job has no thresholds: it would never send", path)
	}
}
