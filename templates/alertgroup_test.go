package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/internal/golden"
)

// groupFixture: two new firings (one with links and a hostile runbook
// URL), one still firing, one resolved.
func groupFixture() AlertGroup {
	a := alertFixture(StateFiring)
	a.Previous = f(58.5)
	a.RunbookURL = "https://wiki.example.com/rb?x=1&y=<b>"
	a.DashboardURL = "https://grafana.example.com/d/frt"
	b := alertFixture(StateFiring)
	b.Metric, b.Rule, b.Value, b.Threshold = "chat_ratings.satisfaction", "below 0.8", f(0.75), 0.8
	c := alertFixture(StateFiring)
	c.Metric, c.Rule, c.Value, c.Threshold, c.Duration = "total_chats.chats", "below 100", f(80), 100, 4*time.Hour
	d := alertFixture(StateResolved)
	d.Value = f(48)
	return AlertGroup{Job: "weekly-support", Firing: []AlertEvent{a, b}, Reminders: []AlertEvent{c}, Resolved: []AlertEvent{d}}
}

func TestAlertGroup(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	g := groupFixture()
	assert.Equal(t, "[FIRING] weekly-support: 2 firing, 1 still firing, 1 resolved", r.AlertGroupSubject(g))
	golden.Assert(t, "alert-group.txt", []byte(r.AlertGroupText(g)))
	html, err := r.AlertGroupHTML(g)
	require.NoError(t, err)
	assert.Contains(t, html, `href="https://wiki.example.com/rb?x=1&amp;y=%3cb%3e"`)
	golden.Assert(t, "alert-group.html", []byte(html))
	for name, render := range map[string]func() (Slack, error){
		"post":   func() (Slack, error) { return r.AlertPostSlack(g, &SlackButtons{Value: `{"job":"weekly-support"}`}) },
		"thread": func() (Slack, error) { return r.AlertThreadSlack(g) },
		"update": func() (Slack, error) {
			return r.AlertUpdateSlack(g.Job, []AlertLine{{Event: g.Firing[0]}, {Event: g.Resolved[0], Resolved: true}}, &SlackButtons{Value: "v"}, nil)
		},
		"resolved": func() (Slack, error) { return r.AlertResolvedSlack(g) },
	} {
		s, err := render()
		require.NoError(t, err, name)
		msg, err := marshalSlack(s)
		require.NoError(t, err)
		checkSlackLimits(t, msg)
		golden.Assert(t, "alert-group-"+name+".slack.json", msg)
	}

	// One new firing or one resolve alone reads as the single-alert
	// templates do; one reminder says "still".
	one := AlertGroup{Job: g.Job, Firing: g.Firing[1:2]}
	assert.Equal(t, r.AlertSubject(g.Firing[1]), r.AlertGroupSubject(one))
	rem := AlertGroup{Job: g.Job, Reminders: g.Reminders}
	assert.True(t, strings.HasPrefix(r.AlertGroupSubject(rem), "[FIRING] weekly-support: still Chats 80"), r.AlertGroupSubject(rem))
	res := AlertGroup{Job: g.Job, Resolved: g.Resolved}
	assert.Equal(t, "[RESOLVED] ", res.GroupState())
	all, err := r.AlertUpdateSlack(g.Job, []AlertLine{{Event: g.Resolved[0], Resolved: true}}, &SlackButtons{Value: "v"}, nil)
	require.NoError(t, err)
	assert.NotContains(t, string(all.Blocks), "silence_1h", "no buttons once everything resolved")
	assert.Contains(t, all.Text, "[RESOLVED]")
}

// A released firing has no period: nothing shows a zero date.
func TestAlertGroupWithoutPeriod(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	e := alertFixture(StateFiring)
	e.Period = digest.DateRange{}
	g := AlertGroup{Job: e.Job, Firing: []AlertEvent{e}}
	text := r.AlertGroupText(g)
	assert.NotContains(t, text, "Period")
	assert.NotContains(t, text, "0001")
	html, err := r.AlertGroupHTML(g)
	require.NoError(t, err)
	assert.NotContains(t, html, "period")
	s, err := r.AlertPostSlack(g, nil)
	require.NoError(t, err)
	assert.NotContains(t, string(s.Blocks), "Period")
	assert.Equal(t, r.AlertSubject(e), r.AlertGroupSubject(g), "the subject names no period anyway")
}

// TestAlertGroupHTMLOverride: alert-group.html.tmpl in templates_dir
// replaces the grouped alert email's HTML and is checked at start-up like
// the others; one firing of a run, with its previous value and links, is
// alert.html.tmpl (the operator's, when replaced), not the group's.
func TestAlertGroupHTMLOverride(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alert-group.html.tmpl"),
		[]byte("<p>{{.Title}}{{range .Sections}} [{{.Name}}{{range .Lines}} {{.Label}}{{end}}]{{end}}</p>\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alert.html.tmpl"),
		[]byte("<p>one: {{.Label}} was {{.Previous}} {{.RunbookURL}}</p>\n"), 0o644))
	r, err := New(dir)
	require.NoError(t, err)
	g := groupFixture()
	html, err := r.AlertGroupHTML(g)
	require.NoError(t, err)
	assert.Equal(t, "<p>FIRING: weekly-support — 2 firing, 1 still firing, 1 resolved [Firing First response time Chat satisfaction] [Still firing Chats] [Resolved First response time]</p>\n", html)
	html, err = r.AlertGroupHTML(AlertGroup{Job: g.Job, Firing: g.Firing[:1]})
	require.NoError(t, err)
	assert.Equal(t, "<p>one: First response time was 58.5 s https://wiki.example.com/rb?x=1&amp;y=&lt;b&gt;</p>\n", html)

	bad := t.TempDir()
	path := filepath.Join(bad, "alert-group.html.tmpl")
	require.NoError(t, os.WriteFile(path, []byte("<p>\n{{range .Sections}}{{.Nope}}{{end}}</p>\n"), 0o644))
	_, err = New(bad)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), path+":2: "), "got %q", err)
}

// TestAlertHTMLShowsPreviousAndLinks: the built-in single-alert HTML shows
// what the group HTML shows of one firing: the previous run's value and
// the threshold's links, escaped.
func TestAlertHTMLShowsPreviousAndLinks(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	g := groupFixture()
	html, err := r.AlertGroupHTML(AlertGroup{Job: g.Job, Firing: g.Firing[:1]})
	require.NoError(t, err)
	assert.Contains(t, html, "Previous run</td><td style=\"color:#1f2328;\">58.5 s")
	assert.Contains(t, html, `<a href="https://wiki.example.com/rb?x=1&amp;y=%3cb%3e">Runbook</a> · <a href="https://grafana.example.com/d/frt">Dashboard</a>`)
	assert.Contains(t, html, "Firing: weekly-support", "the single-alert layout")
}
