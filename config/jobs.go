package config

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/go-co-op/gocron/v2"
	"go.yaml.in/yaml/v3"

	"livechat-digest/digest"
	"livechat-digest/hours"
	"livechat-digest/livechat"
)

func (d *decoder) jobs(v *yaml.Node, c *Config, p *present) []Job {
	items, ok := d.list(v, "jobs", "jobs")
	if !ok {
		return nil
	}
	jobs := make([]Job, 0, len(items))
	firstLine := map[string]int{}
	for i, n := range items {
		j, ok := d.job(n, i, c, p)
		if !ok {
			continue
		}
		if j.Name != "" {
			if at, dup := firstLine[j.Name]; dup {
				d.errorf(j.nameLine, "jobs[%d]: duplicate job name %q (first at line %d)", i, j.Name, at)
			} else {
				firstLine[j.Name] = j.nameLine
			}
		}
		jobs = append(jobs, j.Job)
	}
	return jobs
}

// jobLines is a Job with the lines cross-checks need.
type jobLines struct {
	Job
	nameLine int
}

func (d *decoder) job(n *yaml.Node, i int, c *Config, p *present) (jobLines, bool) {
	path := fmt.Sprintf("jobs[%d]", i)
	var j jobLines
	j.Line = line(n)
	r := resolve(n)
	if r == nil || r.Kind != yaml.MappingNode {
		d.errorf(j.Line, "%s: expected a mapping of job keys (name, schedule, ...), got %s", path, kindName(r))
		return j, false
	}
	var name, sched, tz scalar
	var alertsLine int
	var metricLines []int
	reportsGiven := false
	insightGiven := false
	var bdLines breakdownLines
	sendLine := 0
	d.mapping(n, "jobs[]", path,
		field{"name", func(_, v *yaml.Node) { name, _ = d.str(v, path+".name", &j.Name) }},
		field{"schedule", func(_, v *yaml.Node) { sched, _ = d.str(v, path+".schedule", &j.Schedule) }},
		field{"timezone", func(_, v *yaml.Node) {
			if tz, _ = d.str(v, path+".timezone", &j.Timezone); tz.ok && !tz.null {
				j.Location = d.location(tz, path+".timezone")
			}
		}},
		field{"period", func(_, v *yaml.Node) {
			var s string
			if sc, ok := d.str(v, path+".period", &s); ok && !sc.null {
				per, err := digest.ParsePeriod(sc.val)
				if err != nil {
					d.errorf(sc.line, "%s.period: %s", path, digestMsg(err, sc))
				}
				j.Period = per
			}
		}},
		field{"compare", func(_, v *yaml.Node) {
			var s string
			if sc, ok := d.str(v, path+".compare", &s); ok && !sc.null {
				m, err := digest.ParseCompare(sc.val)
				if err != nil {
					d.errorf(sc.line, "%s.compare: %s", path, digestMsg(err, sc))
				}
				j.Compare = m
			}
		}},
		field{"filters", func(_, v *yaml.Node) { d.filters(v, path+".filters", &j.Filters) }},
		field{"reports", func(k, v *yaml.Node) {
			if isNull(resolve(v)) {
				return // "reports:" with nothing: all of them, as when left out
			}
			reportsGiven = true
			j.Reports = d.reports(k, v, path+".reports", c.LiveChat.API, p)
		}},
		field{"thresholds", func(_, v *yaml.Node) {
			j.Thresholds, metricLines = d.thresholds(v, path+".thresholds", c.LiveChat.API)
		}},
		field{"insight", func(_, v *yaml.Node) { j.Insight = d.insight(v, path+".insight"); insightGiven = true }},
		field{"breakdown", func(k, v *yaml.Node) { j.Breakdown, bdLines = d.breakdown(k, v, path+".breakdown", c.LiveChat.API) }},
		field{"send", func(_, v *yaml.Node) { sendLine = d.send(v, path+".send", &j.Send) }},
		field{"email", func(k, v *yaml.Node) { j.Email = d.jobEmail(k, v, path+".email", "jobs[].email", p) }},
		field{"slack", func(k, v *yaml.Node) { j.Slack = d.jobSlack(k, v, path+".slack", "jobs[].slack", p) }},
		field{"alerts", func(k, v *yaml.Node) {
			alertsLine = k.Line
			j.Alerts = d.alerts(k, v, path+".alerts", p)
		}},
	)

	j.nameLine = j.Line
	switch {
	case !name.given:
		d.errorf(j.Line, "%s: name is required", path)
	case name.empty():
		d.errorf(name.line, "%s.name: empty", path)
	case name.ok:
		j.nameLine = name.line
		if !validJobName(j.Name) {
			d.errorf(name.line, "%s.name: %s may hold only letters, digits, '-', '_' and '.'", path, name.quoted())
		}
	}
	if j.Name != "" {
		path = fmt.Sprintf("job %q", j.Name)
	}

	if !tz.given || tz.null {
		j.Timezone, j.Location = c.Timezone, c.Location
	}
	cronLoc := j.Location
	if cronLoc == nil {
		cronLoc = time.UTC // the zone is in error; still check the schedule
	}
	switch {
	case !sched.given:
		d.errorf(j.Line, "%s: schedule is required (a 5-field cron expression, quoted)", path)
	case sched.null || sched.empty():
		d.errorf(sched.line, "%s: schedule is empty (a 5-field cron expression, quoted)", path)
	case sched.ok:
		d.checkCron(sched, path, cronLoc)
	}

	if j.Period.Kind == "" {
		j.Period = digest.Period{Kind: defaultPeriod}
	}
	if j.Compare == "" {
		j.Compare = defaultCompare
	}
	if !insightGiven {
		j.Insight = digest.DefaultInsight()
	}
	if j.Compare == digest.NoCompare {
		for _, t := range j.Thresholds {
			if t.ChangePctAbove != nil || t.ChangePctBelow != nil {
				d.errorf(t.Line, "%s: a change_pct threshold needs a comparison, but compare is none", path)
			}
		}
	}
	j.API = c.LiveChat.API
	if !reportsGiven {
		j.Reports = livechat.ReportsOn(j.API)
	}
	for i, t := range j.Thresholds {
		if t.Metric == "" {
			continue
		}
		m, ok := digest.LookupMetric(t.Metric)
		switch {
		case !ok:
		case !digest.MetricOn(m, j.API):
			d.errorf(metricLines[i], "%s: threshold metric %s %s", path, t.Metric, notOnAPI(j.API, m.Report, p))
		case reportsGiven && !slices.Contains(j.Reports, m.Report):
			d.errorf(metricLines[i], "%s: threshold metric %s needs report %s, which the job's reports do not list", path, t.Metric, m.Report)
		}
	}

	if j.Breakdown != nil {
		d.checkBreakdown(&j.Job, path, bdLines, reportsGiven)
	}
	if j.Send == "" {
		j.Send = SendAlways
	}
	if sendLine != 0 {
		d.checkSend(&j.Job, path, sendLine)
	}
	for i, t := range j.Thresholds {
		if t.Anomaly != nil && t.Metric != "" {
			d.checkAnomaly(&j.Job, t, path, metricLines[i])
		}
	}

	switch {
	case j.Email == nil && j.Slack == nil && j.Alerts == nil:
		d.errorf(j.Line, "%s does nothing: give it email or slack (a digest), or alerts with thresholds", path)
	case j.Email == nil && j.Slack == nil && len(j.Thresholds) == 0 && (j.Alerts.Slack != nil || j.Alerts.Email != nil):
		d.errorf(alertsLine, "%s has alerts but no thresholds to alert on", path)
	}
	return j, true
}

func validJobName(s string) bool {
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// digestMsg turns a digest parse error into a config message, quoting the
// value the way the rest of the package does.
func digestMsg(err error, s scalar) string {
	msg := strings.TrimPrefix(err.Error(), "digest: ")
	if s.expanded {
		msg = strings.Replace(msg, fmt.Sprintf("%q", s.val), s.quoted(), 1)
	}
	return msg
}

// checkCron checks a schedule the way the scheduler will read it.
func (d *decoder) checkCron(s scalar, path string, loc *time.Location) {
	v := strings.TrimSpace(s.val)
	switch {
	case strings.HasPrefix(v, "TZ=") || strings.HasPrefix(v, "CRON_TZ="):
		d.errorf(s.line, "%s: schedule: do not put a zone in the cron expression; set the job's timezone", path)
		return
	case strings.HasPrefix(v, "@every"):
		d.errorf(s.line, "%s: schedule: @every is not supported; use a 5-field cron expression", path)
		return
	}
	err := gocron.NewDefaultCron(false).IsValid(v, loc, cronCheckTime)
	if err == nil {
		return
	}
	msg := err.Error()
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:] // the parser's reason, after gocron's generic sentinel
	}
	if i := strings.Index(msg, ": ["); i >= 0 {
		msg = msg[:i] // the fields again
	}
	if msg == gocron.ErrCronJobInvalid.Error() {
		msg = "it never fires"
	}
	d.errorf(s.line, "%s: bad cron expression %s: %s", path, s.quoted(), msg)
}

func reportNames(api livechat.API) string {
	var names []string
	for _, r := range livechat.ReportsOn(api) {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// notOnAPI says that report r (or a metric of it) does not exist on api,
// and what to do about it.
func notOnAPI(api livechat.API, r livechat.Report, p *present) string {
	where := `livechat.api is "2" (the default)`
	if p.apiLine > 0 {
		where = fmt.Sprintf("livechat.api at line %d is %q", p.apiLine, string(api))
	}
	if _, ok := livechat.MethodOf(api, r); !ok && api == livechat.V36 {
		return fmt.Sprintf("is not available on Reports API v3.6 (%s), which has no tickets, goals or agents_occupancy reports", where)
	}
	return fmt.Sprintf(`is only available on Reports API v3.6 (%s): set livechat.api: "3.6"`, where)
}

func (d *decoder) reports(k, v *yaml.Node, path string, api livechat.API, p *present) []livechat.Report {
	names, n, ok := d.strings(v, path, "report names")
	if ok && n == 0 {
		d.errorf(k.Line, "%s: empty; leave the key out for all reports", path)
	}
	var out []livechat.Report
	for _, s := range names {
		r := livechat.Report(s.val)
		if _, ok := livechat.Lookup(r); !ok {
			d.errorf(s.line, "%s: unknown report %s (known: %s)", path, s.quoted(), reportNames(api))
			continue
		}
		if _, ok := livechat.MethodOf(api, r); !ok {
			d.errorf(s.line, "%s: report %s %s", path, r, notOnAPI(api, r, p))
			continue
		}
		if slices.Contains(out, r) {
			d.errorf(s.line, "%s: report %s listed twice", path, r)
			continue
		}
		out = append(out, r)
	}
	return out
}

func (d *decoder) filters(v *yaml.Node, path string, f *Filters) {
	d.mapping(v, "jobs[].filters", path,
		field{"group", func(_, v *yaml.Node) {
			s, ok := d.str(v, path+".group", &f.Group)
			if ok && !s.null && !allDigits(s.val) {
				d.errorf(s.line, "%s.group: expected a group id (a whole number), got %s", path, s.quoted())
				f.Group = ""
			}
		}},
		field{"agent", func(_, v *yaml.Node) {
			if s, _ := d.str(v, path+".agent", &f.Agent); s.empty() && !s.null {
				d.errorf(s.line, "%s.agent: empty", path)
			}
		}},
		field{"tags", func(_, v *yaml.Node) {
			tags, _, _ := d.strings(v, path+".tags", "tags")
			for _, t := range tags {
				f.Tags = append(f.Tags, t.val)
			}
		}},
	)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// thresholds also returns the line of each threshold's metric.
func (d *decoder) thresholds(v *yaml.Node, path string, api livechat.API) ([]Threshold, []int) {
	items, ok := d.list(v, path, "thresholds")
	if !ok {
		return nil, nil
	}
	var out []Threshold
	var lines []int
	for i, n := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		t := Threshold{Line: line(n)}
		r := resolve(n)
		if r == nil || r.Kind != yaml.MappingNode {
			d.errorf(t.Line, "%s: expected a mapping such as {metric: total_chats.chats, above: 100}, got %s", p, kindName(r))
			continue
		}
		var metric scalar
		var bounds []string
		var boundLines []int
		bound := func(key string, dst **float64) field {
			return field{key, func(k, v *yaml.Node) {
				bounds, boundLines = append(bounds, key), append(boundLines, k.Line)
				d.number(v, p+"."+key, dst)
			}}
		}
		forSet := false
		d.mapping(n, "jobs[].thresholds[]", p,
			field{"metric", func(_, v *yaml.Node) { metric, _ = d.str(v, p+".metric", &t.Metric) }},
			bound("above", &t.Above),
			bound("below", &t.Below),
			bound("change_pct_above", &t.ChangePctAbove),
			bound("change_pct_below", &t.ChangePctBelow),
			field{"for", func(_, v *yaml.Node) { forSet = true; d.intField(v, p+".for", 1, 1000, &t.For) }},
			field{"anomaly", func(k, v *yaml.Node) {
				bounds, boundLines = append(bounds, "anomaly"), append(boundLines, k.Line)
				t.Anomaly = d.anomaly(v, p+".anomaly")
			}},
			field{"runbook_url", func(_, v *yaml.Node) { d.link(v, p+".runbook_url", &t.RunbookURL) }},
			field{"dashboard_url", func(_, v *yaml.Node) { d.link(v, p+".dashboard_url", &t.DashboardURL) }},
		)
		switch {
		case !metric.given:
			d.errorf(t.Line, "%s: metric is required", p)
		case metric.null || metric.empty():
			d.errorf(metric.line, "%s.metric: empty", p)
		case metric.ok:
			if _, ok := digest.LookupMetric(t.Metric); !ok {
				d.errorf(metric.line, "%s.metric: %s", p, unknownMetric(metric, api))
				t.Metric = ""
			}
		}
		switch len(bounds) {
		case 0:
			d.errorf(t.Line, "%s: give one bound: above, below, change_pct_above, change_pct_below or anomaly", p)
		case 1:
		default:
			d.errorf(boundLines[1], "%s: has %d bounds (%s); give one, and a second threshold for a range", p, len(bounds), strings.Join(bounds, ", "))
		}
		if !forSet {
			t.For = 1
		}
		ml := metric.line
		if ml == 0 {
			ml = t.Line
		}
		out, lines = append(out, t), append(lines, ml)
	}
	return out, lines
}

// unknownMetric explains a metric key that is not in the catalogue, listing
// the keys of its report on api when the report part is right.
func unknownMetric(s scalar, api livechat.API) string {
	report, _, _ := strings.Cut(s.val, ".")
	var keys []string
	for _, m := range digest.Catalogue {
		if string(m.Report) == report && digest.MetricOn(m, api) {
			keys = append(keys, m.Key)
		}
	}
	if len(keys) > 0 {
		return fmt.Sprintf("unknown metric %s (%s has: %s)", s.quoted(), report, strings.Join(keys, ", "))
	}
	if _, ok := livechat.Lookup(livechat.Report(report)); ok {
		return fmt.Sprintf("unknown metric %s: report %s has rankings, no metrics to set thresholds on", s.quoted(), report)
	}
	return fmt.Sprintf("unknown metric %s: metric keys are REPORT.FIELD from the metric catalogue, e.g. total_chats.chats", s.quoted())
}

func (d *decoder) jobEmail(k, v *yaml.Node, path, section string, p *present) *JobEmail {
	e := &JobEmail{}
	toGiven := false
	d.mapping(v, section, path,
		field{"to", func(tk, v *yaml.Node) {
			toGiven = true
			addrs, n, ok := d.strings(v, path+".to", "email addresses")
			if ok && n == 0 {
				d.errorf(tk.Line, "%s.to: empty; list at least one address", path)
			}
			for _, a := range addrs {
				d.checkAddress(a, path+".to")
				e.To = append(e.To, a.val)
			}
		}},
		field{"subject", func(_, v *yaml.Node) {
			s, ok := d.str(v, path+".subject", &e.Subject)
			e.SubjectLine = s.line
			if ok && s.val != "" {
				if _, err := template.New("subject").Parse(s.val); err != nil {
					d.errorf(s.line, "%s.subject: not a valid template: %s", path, strings.TrimPrefix(err.Error(), "template: "))
				}
			}
		}},
	)
	if !toGiven {
		d.errorf(k.Line, "%s: to is required (a list of addresses)", path)
	}
	if !p.emailFrom {
		d.errorf(k.Line, "%s: sending email needs email.from", path)
	}
	if !p.emailSender {
		d.errorf(k.Line, "%s: sending email needs email.smtp or email.outbox_dir", path)
	}
	return e
}

func (d *decoder) jobSlack(k, v *yaml.Node, path, section string, p *present) *JobSlack {
	s := &JobSlack{}
	var ch scalar
	fs := []field{{"channel", func(_, v *yaml.Node) { ch, _ = d.str(v, path+".channel", &s.Channel) }}}
	if section == "jobs[].slack" { // an alert has no chart to upload
		fs = append(fs, field{"chart", func(_, v *yaml.Node) { d.boolean(v, path+".chart", &s.Chart) }})
	}
	d.mapping(v, section, path, fs...)
	switch {
	case !ch.given:
		d.errorf(k.Line, "%s: channel is required", path)
	case ch.null:
		d.errorf(ch.line, `%s.channel: empty; an unquoted # starts a YAML comment: write channel: "#support"`, path)
	case ch.empty():
		d.errorf(ch.line, "%s.channel: empty", path)
	case ch.ok && strings.ContainsAny(s.Channel, " \t"):
		d.errorf(ch.line, "%s.channel: %s is not a channel name or ID", path, ch.quoted())
	}
	if !p.slackToken {
		d.errorf(k.Line, "%s: posting to Slack needs slack.bot_token", path)
	}
	return s
}

func (d *decoder) alerts(k, v *yaml.Node, path string, p *present) *Alerts {
	a := &Alerts{}
	d.mapping(v, "jobs[].alerts", path,
		field{"slack", func(k, v *yaml.Node) { a.Slack = d.jobSlack(k, v, path+".slack", "jobs[].alerts.slack", p) }},
		field{"email", func(k, v *yaml.Node) { a.Email = d.jobEmail(k, v, path+".email", "jobs[].alerts.email", p) }},
		field{"active_hours", func(_, v *yaml.Node) { a.ActiveHours = d.activeHours(v, path+".active_hours") }},
		field{"repeat_every", func(_, v *yaml.Node) { d.duration(v, path+".repeat_every", time.Minute, &a.RepeatEvery) }},
	)
	if a.Slack == nil && a.Email == nil {
		d.errorf(k.Line, "%s: give slack, email or both", path)
	}
	return a
}

// activeHours decodes alerts.active_hours: a list of {weekdays, times}.
func (d *decoder) activeHours(v *yaml.Node, path string) hours.Schedule {
	items, ok := d.list(v, path, "windows")
	if !ok {
		return nil
	}
	var out hours.Schedule
	for i, n := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		r := resolve(n)
		if r == nil || r.Kind != yaml.MappingNode {
			d.errorf(line(n), `%s: expected a mapping such as {weekdays: [mon-fri], times: ["08:00-18:00"]}, got %s`, p, kindName(r))
			continue
		}
		var days, times []scalar
		d.mapping(n, "jobs[].alerts.active_hours[]", p,
			field{"weekdays", func(_, v *yaml.Node) { days, _, _ = d.strings(v, p+".weekdays", "weekdays") }},
			field{"times", func(_, v *yaml.Node) { times, _, _ = d.strings(v, p+".times", "times") }},
		)
		good := true
		var ds, ts []string
		for _, s := range days {
			if _, err := hours.ParseWindow([]string{s.val}, nil); err != nil {
				d.errorf(s.line, "%s.weekdays: %v", p, err)
				good = false
			}
			ds = append(ds, s.val)
		}
		for _, s := range times {
			if _, err := hours.ParseRange(s.val); err != nil {
				d.errorf(s.line, "%s.times: %v", p, err)
				good = false
			}
			ts = append(ts, s.val)
		}
		if !good {
			continue
		}
		w, err := hours.ParseWindow(ds, ts)
		if err != nil { // each part parsed above; kept for safety
			d.errorf(line(n), "%s: %v", p, err)
			continue
		}
		out = append(out, w)
	}
	return out
}

// link decodes an http(s) URL shown in messages.
func (d *decoder) link(v *yaml.Node, path string, dst *string) {
	s, ok := d.str(v, path, dst)
	if !ok || s.null || s.val == "" {
		return
	}
	if !httpURL(s.val) {
		d.errorf(s.line, "%s: expected an http(s) URL, got %s", path, s.quoted())
		*dst = ""
	}
}
