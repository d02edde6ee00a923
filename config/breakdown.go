package config

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"livechat-digest/digest"
	"livechat-digest/livechat"
)

// DefaultMaxRequests caps the requests a job's breakdown may make in one
// run: 2 groups and the top 5 agents over the 3 reports of a headline, for
// a month to date (3 requests a report), is 7 × 3 × 3 + 1 = 64.
const DefaultMaxRequests = 100

// Breakdown is a job's breakdown section: the digest's, and the cap on its
// requests.
type Breakdown struct {
	digest.Breakdown
	// MaxRequests caps digest.BreakdownRequests; over it the config is
	// refused.
	MaxRequests int
	Line        int
}

// breakdownLines keeps the lines of a breakdown section for the checks
// that need the job as a whole.
type breakdownLines struct {
	by          int
	metrics     []int
	maxRequests int
}

// breakdown decodes a job's breakdown section:
//
//	breakdown: {by: [group, agent], groups: {1: General, 2: Sales}, agents: ranking,
//	            top: 5, metrics: [total_chats.chats], max_requests: 100}
func (d *decoder) breakdown(k, v *yaml.Node, path string, api livechat.API) (*Breakdown, breakdownLines) {
	b := &Breakdown{Line: k.Line, MaxRequests: DefaultMaxRequests}
	b.Top = digest.DefaultBreakdownTop
	var ls breakdownLines
	byGiven, groupsGiven, agentsGiven := false, false, false
	ok := d.mapping(v, "jobs[].breakdown", path,
		field{"by", func(k, v *yaml.Node) {
			byGiven, ls.by = true, k.Line
			vals, n, ok := d.strings(v, path+".by", "dimensions (group, agent)")
			if ok && n == 0 {
				d.errorf(k.Line, "%s.by: empty; give group, agent or both", path)
			}
			for _, s := range vals {
				dim := digest.Dimension(s.val)
				switch {
				case dim != digest.ByGroup && dim != digest.ByAgent:
					d.errorf(s.line, "%s.by: unknown dimension %s (want group or agent)", path, s.quoted())
				case slices.Contains(b.By, dim):
					d.errorf(s.line, "%s.by: %s listed twice", path, dim)
				default:
					b.By = append(b.By, dim)
				}
			}
		}},
		field{"groups", func(_, v *yaml.Node) { groupsGiven = true; b.Groups = d.groupNames(v, path+".groups") }},
		field{"agents", func(_, v *yaml.Node) { agentsGiven = true; d.breakdownAgents(v, path+".agents", b) }},
		field{"top", func(_, v *yaml.Node) { d.intField(v, path+".top", 1, 50, &b.Top) }},
		field{"metrics", func(k, v *yaml.Node) {
			vals, n, ok := d.strings(v, path+".metrics", "metric keys")
			if ok && n == 0 {
				d.errorf(k.Line, "%s.metrics: empty; leave the key out for the headline's metrics", path)
			}
			for _, s := range vals {
				switch {
				case !isMetric(s.val):
					d.errorf(s.line, "%s.metrics: %s", path, unknownMetric(s, api))
				case slices.Contains(b.Metrics, s.val):
					d.errorf(s.line, "%s.metrics: %s listed twice", path, s.val)
				default:
					b.Metrics = append(b.Metrics, s.val)
					ls.metrics = append(ls.metrics, s.line)
				}
			}
		}},
		field{"max_requests", func(k, v *yaml.Node) {
			ls.maxRequests = k.Line
			d.intField(v, path+".max_requests", 1, 10000, &b.MaxRequests)
		}},
	)
	if !ok {
		return nil, ls
	}
	if ls.by == 0 {
		ls.by = b.Line
	}
	if ls.maxRequests == 0 {
		ls.maxRequests = b.Line
	}
	hasGroup, hasAgent := slices.Contains(b.By, digest.ByGroup), slices.Contains(b.By, digest.ByAgent)
	switch {
	case !byGiven:
		d.errorf(b.Line, "%s: by is required (group, agent or both)", path)
	case hasGroup && len(b.Groups) == 0:
		d.errorf(ls.by, "%s: by group needs groups, e.g. groups: {1: General, 2: Sales}", path)
	case !hasGroup && groupsGiven:
		d.errorf(ls.by, "%s: groups are given but by does not list group", path)
	case !hasAgent && agentsGiven:
		d.errorf(ls.by, "%s: agents are given but by does not list agent", path)
	}
	if hasAgent && !agentsGiven {
		b.AgentsFromRanking = true
	}
	return b, ls
}

func isMetric(key string) bool { _, ok := digest.LookupMetric(key); return ok }

// groupNames decodes {ID: name, ...}, keeping the file's order.
func (d *decoder) groupNames(v *yaml.Node, path string) []digest.Named {
	n := resolve(v)
	if n == nil || isNull(n) {
		return nil // reported by the caller, as for {}
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, "%s: expected a mapping of group ids to names such as {1: General, 2: Sales}, got %s", path, kindName(n))
		return nil
	}
	var out []digest.Named
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		id, ok := d.scalar(kn, path, "a group id")
		if !ok {
			continue
		}
		if !allDigits(id.val) {
			d.errorf(id.line, "%s: expected a group id (a whole number), got %s", path, id.quoted())
			continue
		}
		p := fmt.Sprintf("%s.%s", path, id.val)
		var name string
		s, ok := d.str(vn, p, &name)
		if !ok {
			continue
		}
		if s.null || name == "" {
			d.errorf(s.line, "%s: empty; give the group's name", p)
			continue
		}
		if slices.ContainsFunc(out, func(g digest.Named) bool { return g.Key == id.val }) {
			d.errorf(id.line, "%s: group %s listed twice", path, id.val)
			continue
		}
		out = append(out, digest.Named{Key: id.val, Name: name})
	}
	return out
}

// breakdownAgents decodes agents: "ranking" or a list of logins.
func (d *decoder) breakdownAgents(v *yaml.Node, path string, b *Breakdown) {
	if n := resolve(v); n != nil && n.Kind == yaml.ScalarNode {
		s, ok := d.scalar(v, path, "ranking or a list of logins")
		if ok && s.val != "ranking" {
			d.errorf(s.line, "%s: expected ranking or a list of logins, got %s", path, s.quoted())
		}
		b.AgentsFromRanking = true
		return
	}
	vals, n, ok := d.strings(v, path, "agent logins")
	if ok && n == 0 {
		d.errorf(line(v), "%s: empty; give logins, or ranking", path)
	}
	for _, s := range vals {
		if slices.Contains(b.Agents, s.val) {
			d.errorf(s.line, "%s: %s listed twice", path, s.quoted())
			continue
		}
		b.Agents = append(b.Agents, s.val)
	}
}

// checkBreakdown checks a job's breakdown against the rest of the job: it
// needs a comparison, must not split by a filter the job already has, each
// metric's report must be among the job's and take the filter (a report
// that ignores it would show the job's total as every group's number), and
// its requests must fit max_requests.
func (d *decoder) checkBreakdown(j *Job, path string, ls breakdownLines, reportsGiven bool) {
	b := j.Breakdown
	if j.Compare == digest.NoCompare {
		d.errorf(b.Line, "%s: a breakdown says where a change came from and needs a comparison, but compare is none", path)
	}
	for _, dim := range b.By {
		switch {
		case dim == digest.ByGroup && j.Filters.Group != "":
			d.errorf(ls.by, "%s: breakdown by group, but the job's filters already fix group %s", path, j.Filters.Group)
		case dim == digest.ByAgent && j.Filters.Agent != "":
			d.errorf(ls.by, "%s: breakdown by agent, but the job's filters already fix agent %s", path, j.Filters.Agent)
		}
	}
	for i, key := range b.Metrics {
		m, _ := digest.LookupMetric(key)
		if !digest.MetricOn(m, j.API) {
			d.errorf(ls.metrics[i], "%s: breakdown metric %s is not available on Reports API %s", path, key, j.API)
			continue
		}
		if reportsGiven && !slices.Contains(j.Reports, m.Report) {
			d.errorf(ls.metrics[i], "%s: breakdown metric %s needs report %s, which the job's reports do not list", path, key, m.Report)
		}
		for _, dim := range b.By {
			if !digest.Filterable(j.API, m.Report, dim) {
				d.errorf(ls.metrics[i], "%s: breakdown metric %s cannot be broken down by %s: report %s ignores the %s filter", path, key, dim, m.Report, dim)
			}
		}
	}
	n := digest.BreakdownRequests(digest.Spec{Period: j.Period, Compare: j.Compare, Reports: j.Reports, API: j.API, Insight: j.Insight, Breakdown: &b.Breakdown})
	if n > b.MaxRequests {
		d.errorf(ls.maxRequests, "%s: the breakdown makes up to %d requests a run, over max_requests %d: fewer groups, agents (top) or metrics, or raise max_requests", path, n, b.MaxRequests)
	}
}
