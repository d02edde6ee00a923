package templates

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/internal/golden"
	"livechat-digest/livechat"
)

func f(x float64) *float64 { return &x }

func day(s string) livechat.Date {
	d, err := livechat.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// fixture is a hand-made weekly digest: a few metrics of several units,
// nulls (no previous value, no change_pct), a ranking, a breach, a failed
// report, filters and daily chats with a missing day.
func fixture() *digest.Digest {
	return &digest.Digest{
		Job:      "weekly-support",
		Timezone: "America/New_York",
		Period:   digest.DateRange{From: day("2026-11-16"), To: day("2026-11-22")},
		Compare:  &digest.DateRange{From: day("2026-11-09"), To: day("2026-11-15")},
		Metrics: map[string]digest.Value{
			"total_chats.chats":                      {Current: f(1700), Previous: f(1360), Change: f(340), ChangePct: f(25)},
			"chat_ratings.good":                      {Current: f(120), Previous: f(130), Change: f(-10), ChangePct: f(-7.6923)},
			"chat_ratings.bad":                       {Current: f(14), Previous: f(9), Change: f(5), ChangePct: f(55.5556)},
			"chat_ratings.satisfaction":              {Current: f(0.8955), Previous: f(0.9353), Change: f(-0.0398), ChangePct: f(-4.2553)},
			"chats_first_response_time.seconds":      {Current: f(75.2), Previous: f(42.5), Change: f(32.7), ChangePct: f(76.9412)},
			"chats_first_response_time.count":        {Current: f(1650), Previous: f(1300), Change: f(350), ChangePct: f(26.9231)},
			"availability.hours":                     {Current: f(312.5), Previous: f(300), Change: f(12.5), ChangePct: f(4.1667)},
			"goals.goals":                            {Current: f(12), Previous: f(0), Change: f(12), ChangePct: nil},
			"queue_waiting_times.queued_avg_seconds": {Current: nil, Previous: f(12.3), Change: nil, ChangePct: nil},
			"tickets_new.tickets":                    {Current: f(40), Previous: f(40), Change: f(0), ChangePct: f(0)},
		},
		Rankings: digest.Rankings{
			Chats: []digest.RankEntry{
				{Agent: "john@example.com", Good: 25, Bad: 4, Total: 29, Score: 0.862},
				{Agent: "anna.kowalska@example.com", Good: 1204, Bad: 3, Total: 1207, Score: 0.99751},
			},
		},
		Breaches: []digest.Breach{
			{Metric: "chats_first_response_time.seconds", Rule: "above 60", Value: 75.2, Threshold: 60},
			{Metric: "chat_ratings.satisfaction", Rule: "below 0.9", Value: 0.8955, Threshold: 0.9},
		},
		Errors: []digest.ReportError{{Report: "greetings", Error: "upstream 503 after 4 tries"}},
		Daily: map[string]digest.DailySeries{dailyChats: {
			Days: []livechat.Date{day("2026-11-16"), day("2026-11-17"), day("2026-11-18"), day("2026-11-19"),
				day("2026-11-20"), day("2026-11-21"), day("2026-11-22")},
			Current:  []*float64{f(310), f(290), f(305), nil, f(330), f(140), f(40)},
			Previous: []*float64{f(250), f(240), f(260), f(255), f(230), f(90), f(35)},
		}},
		Filters: digest.Filters{Group: "2", Tags: []string{"sales", "vip"}},
	}
}

// hostile carries markup and mentions in every upstream string.
func hostile() *digest.Digest {
	d := fixture()
	d.Job = "weekly <i>support</i>"
	d.Rankings.Chats = []digest.RankEntry{
		{Agent: `<b>Eve & "Co"</b>`, Good: 1, Bad: 0, Total: 1, Score: 1},
		{Agent: "*bold* <!channel>", Good: 1, Bad: 1, Total: 2, Score: 0.5},
	}
	d.Filters = digest.Filters{Agent: "<!here>", Tags: []string{"<script>"}}
	d.Errors = []digest.ReportError{{Report: "greetings", Error: `<img src=x onerror=alert(1)> _it_ ~s~ ` + "`code`"}}
	return d
}

func newRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := New("")
	require.NoError(t, err)
	return r
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	for _, tc := range []struct {
		name string
		d    func() *digest.Digest
	}{
		{"weekly", fixture},
		{"insight", insightFixture},
		{"no-compare", func() *digest.Digest {
			d := fixture()
			d.Compare = nil
			for k, v := range d.Metrics {
				d.Metrics[k] = digest.Value{Current: v.Current}
			}
			d.Daily = nil
			d.Breaches, d.Errors, d.Rankings = nil, nil, digest.Rankings{}
			d.Filters = digest.Filters{}
			return d
		}},
		{"empty", func() *digest.Digest { return &digest.Digest{Job: "empty", Period: fixture().Period} }},
	} {
		for _, ext := range []struct {
			f   Format
			ext string
		}{{FormatJSON, "json"}, {FormatText, "txt"}, {FormatHTML, "html"}, {FormatSlack, "slack.json"}} {
			t.Run(tc.name+"/"+string(ext.f), func(t *testing.T) {
				got, err := r.Render(tc.d(), ext.f)
				require.NoError(t, err)
				if ext.f == FormatHTML {
					// The email body: the same HTML, with the chart as
					// cid:chart.png instead of a long data: URI.
					e, err := r.Email(tc.d(), "")
					require.NoError(t, err)
					got = []byte(e.HTML)
				}
				golden.Assert(t, "digest-"+tc.name+"."+ext.ext, got)
				if ext.f == FormatJSON || ext.f == FormatSlack {
					assert.True(t, json.Valid(got), "invalid JSON")
				}
				if ext.f == FormatSlack {
					checkSlackLimits(t, got)
				}
			})
		}
	}
}

func TestRenderJSONIsContract(t *testing.T) {
	t.Parallel()
	got, err := newRenderer(t).Render(fixture(), FormatJSON)
	require.NoError(t, err)
	want, err := json.MarshalIndent(withEmptyLists(fixture()), "", "  ")
	require.NoError(t, err)
	assert.Equal(t, string(want)+"\n", string(got))
	assert.Contains(t, string(got), `"tickets": []`, "empty lists are [], not null")

	var back digest.Digest
	require.NoError(t, json.Unmarshal(got, &back))
	assert.Equal(t, fixture().Period, back.Period)
}

// checkSlackLimits asserts the Block Kit limits Slack enforces.
func checkSlackLimits(t *testing.T, msg []byte) {
	t.Helper()
	var m struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type     string            `json:"type"`
			Text     *textObj          `json:"text"`
			Fields   []textObj         `json:"fields"`
			Elements []json.RawMessage `json:"elements"`
		} `json:"blocks"`
	}
	require.NoError(t, json.Unmarshal(msg, &m))
	assert.NotEmpty(t, m.Text, "no text fallback")
	assert.LessOrEqual(t, len(m.Blocks), maxBlocks)
	for i, b := range m.Blocks {
		switch b.Type {
		case "header":
			require.NotNil(t, b.Text)
			assert.Equal(t, "plain_text", b.Text.Type)
			assert.LessOrEqual(t, utf8.RuneCountInString(b.Text.Text), maxHeaderText, "block %d", i)
		case "section":
			assert.True(t, b.Text != nil || len(b.Fields) > 0, "empty section %d", i)
			if b.Text != nil {
				assert.LessOrEqual(t, utf8.RuneCountInString(b.Text.Text), maxSectionText, "block %d", i)
			}
			assert.LessOrEqual(t, len(b.Fields), maxFields, "block %d", i)
			for _, fl := range b.Fields {
				assert.LessOrEqual(t, utf8.RuneCountInString(fl.Text), maxFieldText, "block %d", i)
			}
		case "context":
			assert.NotEmpty(t, b.Elements)
			assert.LessOrEqual(t, len(b.Elements), maxContextElts)
		case "divider", "rich_text":
		case "actions": // alert posts' silence buttons: at most 25 elements
			assert.NotEmpty(t, b.Elements)
			assert.LessOrEqual(t, len(b.Elements), 25)
		default:
			t.Errorf("block %d: unexpected type %q", i, b.Type)
		}
	}
}

func TestSlackLimitsWithHugeDigest(t *testing.T) {
	t.Parallel()
	d := fixture()
	// 300 metrics the catalogue does not know, in 60 reports of 5, and a
	// ranking of 500 agents with long names.
	for i := range 300 {
		d.Metrics["zz_report_"+string(rune('a'+i/5%26))+string(rune('a'+i/130))+".m"+strings.Repeat("x", i%5+1)] = digest.Value{Current: f(float64(i))}
	}
	for i := range 500 {
		d.Rankings.Tickets = append(d.Rankings.Tickets, digest.RankEntry{Agent: strings.Repeat("agent", 100) + string(rune('a'+i%26)), Good: int64(i)})
	}
	d.Job = strings.Repeat("very long job name ", 20)
	s, err := newRenderer(t).Slack(d)
	require.NoError(t, err)
	msg, err := marshalSlack(s)
	require.NoError(t, err)
	checkSlackLimits(t, msg)
	assert.Contains(t, string(msg), "more")
}

func TestHostileData(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	d := hostile()

	e, err := r.Email(d, "")
	require.NoError(t, err)
	html := []byte(e.HTML)
	h := string(html)
	assert.Contains(t, h, "&lt;b&gt;Eve &amp; &#34;Co&#34;&lt;/b&gt;")
	assert.NotContains(t, h, "<b>Eve")
	assert.NotContains(t, h, "<script>")
	assert.NotContains(t, h, "<img src=x")
	assert.NotContains(t, h, "<i>support")
	assert.NotContains(t, h, "<!channel>")

	s, err := r.Slack(d)
	require.NoError(t, err)
	mrk, literal := slackTexts(t, s.Blocks)
	all := strings.Join(mrk, "\n")
	for _, data := range []string{"<!channel>", "<!here>", "<b>", "<script>", "*bold*", "_it_", "~s~", "`code`", "Eve"} {
		assert.NotContains(t, all, data, "data in mrkdwn")
	}
	lit := strings.Join(literal, "\n")
	assert.Contains(t, lit, `<b>Eve & "Co"</b>`, "shown as typed")
	assert.Contains(t, lit, "*bold* <!channel>")
	assert.Contains(t, lit, "_it_ ~s~ `code`")
	assert.NotContains(t, string(s.Blocks)+s.Text, zwsp, "no zero-width spaces")
	assert.NotContains(t, s.Text, "<i>")

	text, err := r.Render(d, FormatText)
	require.NoError(t, err)
	assert.Contains(t, string(text), `<b>Eve & "Co"</b>`)
	assert.Contains(t, string(text), "*bold* <!channel>")
	assert.Contains(t, string(text), "tag <script>")
	golden.Assert(t, "digest-hostile.txt", text)
	golden.Assert(t, "digest-hostile.html", html)
}

func TestEscapeMrkdwn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a & b", "a &amp; b"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"<@U123|bob>", "&lt;@U123|bob&gt;"},
		{"<https://evil.example|click>", "&lt;https://evil.example|click&gt;"},
		{"*bold*", zwsp + "*" + zwsp + "bold" + zwsp + "*" + zwsp},
		{"_it_", zwsp + "_" + zwsp + "it" + zwsp + "_" + zwsp},
		{"~s~", zwsp + "~" + zwsp + "s" + zwsp + "~" + zwsp},
		{"`c`", zwsp + "`" + zwsp + "c" + zwsp + "`" + zwsp},
		{"ping @channel and @Here", "ping @" + zwsp + "channel and @" + zwsp + "Here"},
		{"john@example.com", "john@example.com"},
		{"line\nbreak\x1b[2J", "line break[2J"},
		{"&amp;", "&amp;amp;"},
		{"Zoë 😀", "Zoë 😀"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, EscapeMrkdwn(tc.in))
		})
	}
}

func FuzzEscapeMrkdwn(f *testing.F) {
	for _, s := range []string{"*bold* <!channel>", "a&b", "_x_ ~y~ `z`", "@everyone", "\xff\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := EscapeMrkdwn(s)
		if strings.ContainsAny(got, "<>\n") {
			t.Fatalf("EscapeMrkdwn(%q) = %q has < > or a newline", s, got)
		}
		for _, c := range []string{"*", "_", "~", "`"} {
			if strings.Count(got, c) != strings.Count(got, zwsp+c+zwsp) {
				t.Fatalf("EscapeMrkdwn(%q) = %q has an unfenced %s", s, got, c)
			}
		}
		if !utf8.ValidString(got) {
			t.Fatalf("EscapeMrkdwn(%q) is not UTF-8", s)
		}
	})
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"json", FormatJSON, false}, {"text", FormatText, false}, {"HTML", FormatHTML, false},
		{" slack ", FormatSlack, false}, {"", "", true}, {"pdf", "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFormat(tc.in)
			if tc.wantErr {
				assert.ErrorContains(t, err, "templates: unknown format")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	m := func(key string) digest.Metric { return metricOf(key) }
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"count", formatValue(m("total_chats.chats"), f(1234567)), "1,234,567"},
		{"count small", formatValue(m("total_chats.chats"), f(7)), "7"},
		{"negative count", formatCount(-1234), "-1,234"},
		{"seconds", formatValue(m("chats_first_response_time.seconds"), f(42.46)), "42.5 s"},
		{"hours", formatValue(m("availability.hours"), f(1312.5)), "1,312.5 h"},
		{"rate", formatValue(m("chat_ratings.satisfaction"), f(0.8621)), "86.2%"},
		{"null", formatValue(m("total_chats.chats"), nil), "—"},
		{"change", formatChange(m("total_chats.chats"), digest.Value{Change: f(12), ChangePct: f(25)}), "+12 (+25%)"},
		{"fall", formatChange(m("total_chats.chats"), digest.Value{Change: f(-3), ChangePct: f(-5)}), "-3 (-5%)"},
		{"no pct", formatChange(m("goals.goals"), digest.Value{Change: f(12)}), "+12"},
		{"zero", formatChange(m("goals.goals"), digest.Value{Change: f(0), ChangePct: f(0)}), "0 (0%)"},
		{"rounds to zero", formatChange(m("chats_response_time.seconds"), digest.Value{Change: f(-0.01)}), "0 s"},
		{"rate change", formatChange(m("chat_ratings.satisfaction"), digest.Value{Change: f(-0.0398), ChangePct: f(-4.26)}), "-4 pp (-4.3%)"},
		{"seconds change", formatChange(m("chats_response_time.seconds"), digest.Value{Change: f(3.24)}), "+3.2 s"},
		{"null change", formatChange(m("goals.goals"), digest.Value{}), "—"},
		// A sum over periods of different lengths: its verdict is on the rate
		// per day, which may move the other way; both are shown.
		{"per day", formatChange(m("goals.goals"), digest.Value{Change: f(50), ChangePct: f(1.8), RateChangePct: f(-6.3)}), "+50 (+1.8%, -6.3% a day)"},
		{"unknown metric", formatValue(m("new_report.thing"), f(2.5)), "2.5"},
		{"duration", humanDuration(2*time.Hour + 15*time.Minute + 20*time.Second), "2h 15m"},
		{"duration days", humanDuration(50 * time.Hour), "2d 2h"},
		{"duration secs", humanDuration(45 * time.Second), "45s"},
		{"short range", shortRange(digest.DateRange{From: day("2026-10-27"), To: day("2026-11-02")}), "Oct 27 – Nov 2"},
		{"short range month", shortRange(digest.DateRange{From: day("2026-11-16"), To: day("2026-11-22")}), "Nov 16–22"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.got)
		})
	}
}

func TestDirection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key    string
		change *float64
		want   int
	}{
		{"chat_ratings.satisfaction", f(0.1), 1},
		{"chat_ratings.satisfaction", f(-0.1), -1},
		{"chats_first_response_time.seconds", f(5), -1},
		{"chats_first_response_time.seconds", f(-5), 1},
		{"total_chats.chats", f(5), 0},
		{"chat_ratings.bad", f(0), 0},
		{"chat_ratings.bad", nil, 0},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, direction(metricOf(tc.key), digest.Value{Change: tc.change}))
		})
	}
}

func TestOverride(t *testing.T) {
	t.Parallel()
	t.Run("replaces", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "digest.txt.tmpl"),
			[]byte("custom {{.Job}} {{range .Sections}}[{{.Title}}]{{end}}\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "unrelated.txt"), []byte("{{"), 0o644))
		r, err := New(dir)
		require.NoError(t, err)
		got, err := r.Render(fixture(), FormatText)
		require.NoError(t, err)
		assert.Equal(t, "custom weekly-support [Total chats][Chat ratings][Queue waiting times][Agent availability][Chat first response time][Goals][New tickets]\n", string(got))
		// The others stay embedded.
		html, err := r.Render(fixture(), FormatHTML)
		require.NoError(t, err)
		assert.Contains(t, string(html), "<!DOCTYPE html>")
	})
	t.Run("syntax error names file and line", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "digest.txt.tmpl")
		require.NoError(t, os.WriteFile(path, []byte("line one\nline two\n{{if}}broken{{end}}\nline four\n"), 0o644))
		_, err := New(dir)
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), path+":3: "), "got %q", err)
		var te *TemplateError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, path, te.File)
		assert.Equal(t, 3, te.Line)
	})
	t.Run("unknown field names file and line", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "alert.html.tmpl")
		require.NoError(t, os.WriteFile(path, []byte("<p>\n{{.Nope}}</p>\n"), 0o644))
		_, err := New(dir)
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), path+":2: "), "got %q", err)
	})
	t.Run("every broken file is reported", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		for _, name := range []string{"digest.txt.tmpl", "digest.html.tmpl"} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("{{end}}"), 0o644))
		}
		_, err := New(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), filepath.Join(dir, "digest.txt.tmpl")+":1: ")
		assert.Contains(t, err.Error(), filepath.Join(dir, "digest.html.tmpl")+":1: ")
	})
	t.Run("absent dir falls back to embedded", func(t *testing.T) {
		t.Parallel()
		r, err := New(filepath.Join(t.TempDir(), "absent"))
		require.NoError(t, err)
		got, err := r.Render(fixture(), FormatText)
		require.NoError(t, err)
		golden.Assert(t, "digest-weekly.txt", got)
	})
}

func TestEmail(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	e, err := r.Email(fixture(), "")
	require.NoError(t, err)
	assert.Equal(t, "weekly-support: 2026-11-16 – 2026-11-22", e.Subject)
	assert.Equal(t, "chart.png", e.ChartCID)
	assert.True(t, strings.HasPrefix(string(e.Chart), "\x89PNG\r\n\x1a\n"), "chart is not a PNG")
	assert.Contains(t, e.HTML, `src="cid:chart.png"`)
	assert.True(t, strings.HasPrefix(e.Text, "weekly-support: 2026-11-16 – 2026-11-22\n"), "text body: %q", e.Text)

	e, err = r.Email(fixture(), "Support weekly: {{.Period}} ({{.From}}..{{.To}})\r\nBcc: x@evil")
	require.NoError(t, err)
	assert.Equal(t, "Support weekly: 2026-11-16 – 2026-11-22 (2026-11-16..2026-11-22) Bcc: x@evil", e.Subject)

	_, err = r.Email(fixture(), "{{.Nope}}")
	assert.ErrorContains(t, err, "templates: subject")

	d := fixture()
	d.Daily = nil
	e, err = r.Email(d, "")
	require.NoError(t, err)
	assert.Nil(t, e.Chart)
	assert.Empty(t, e.ChartCID)
	assert.NotContains(t, e.HTML, "cid:")
}

func alertFixture(state string) AlertEvent {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		loc = time.UTC
	}
	return AlertEvent{
		Job: "weekly-support", Metric: "chats_first_response_time.seconds", Rule: "above 60",
		Value: f(75.2), Threshold: 60, Period: fixture().Period, Timezone: "America/New_York",
		State: state, Since: time.Date(2026, 11, 23, 9, 0, 0, 0, loc), Duration: 2*time.Hour + 15*time.Minute,
	}
}

func TestAlerts(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	for _, state := range []string{StateFiring, StateResolved} {
		t.Run(state, func(t *testing.T) {
			t.Parallel()
			e := alertFixture(state)
			if state == StateResolved {
				e.Value = f(48)
			}
			golden.Assert(t, "alert-"+state+".txt", []byte(r.AlertText(e)))
			html, err := r.AlertHTML(e)
			require.NoError(t, err)
			golden.Assert(t, "alert-"+state+".html", []byte(html))
			s, err := r.AlertSlack(e)
			require.NoError(t, err)
			msg, err := marshalSlack(s)
			require.NoError(t, err)
			checkSlackLimits(t, msg)
			golden.Assert(t, "alert-"+state+".slack.json", msg)
		})
	}
	t.Run("change rule", func(t *testing.T) {
		t.Parallel()
		e := alertFixture(StateFiring)
		e.Metric, e.Rule, e.Value, e.Threshold = "total_chats.chats", "change_pct_below -20", f(-25), -20
		assert.Equal(t, "[FIRING] weekly-support: Chats change -25% — below -20%", r.AlertSubject(e))
	})
	t.Run("hostile", func(t *testing.T) {
		t.Parallel()
		e := alertFixture(StateFiring)
		e.Job = "<!channel> *x*"
		html, err := r.AlertHTML(e)
		require.NoError(t, err)
		assert.NotContains(t, html, "<!channel>")
		s, err := r.AlertSlack(e)
		require.NoError(t, err)
		mrk, literal := slackTexts(t, s.Blocks)
		assert.Empty(t, mrk, "no mrkdwn to format the job name")
		assert.Contains(t, strings.Join(literal, ""), "<!channel> *x*", "shown as typed, in rich text")
		assert.NotContains(t, s.Text, "<!channel>")
	})
}

func TestChart(t *testing.T) {
	t.Parallel()
	png, err := Chart(fixture())
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(png), "\x89PNG\r\n\x1a\n"))
	if dir := os.Getenv("TEMPLATES_CHART_OUT"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "chart.png"), png, 0o644))
	}

	for name, d := range map[string]*digest.Digest{
		"no daily":  {Period: fixture().Period},
		"all nulls": {Period: fixture().Period, Daily: map[string]digest.DailySeries{dailyChats: {Days: fixture().Daily[dailyChats].Days, Current: make([]*float64, 7)}}},
		"nil":       nil,
	} {
		png, err := Chart(d)
		assert.NoError(t, err, name)
		assert.Nil(t, png, name)
	}

	// No compare period, a month of days, ragged series: still a chart.
	d := fixture()
	d.Compare = nil
	s := d.Daily[dailyChats]
	s.Previous = nil
	for len(s.Current) < 31 {
		s.Current = append(s.Current, f(float64(len(s.Current))))
	}
	d.Daily[dailyChats] = s
	png, err = Chart(d)
	require.NoError(t, err)
	assert.NotNil(t, png)
	if dir := os.Getenv("TEMPLATES_CHART_OUT"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "chart-month.png"), png, 0o644))
	}
}

func TestRenderRejects(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	_, err := r.Render(nil, FormatText)
	assert.ErrorContains(t, err, "templates: nil digest")
	_, err = r.Render(fixture(), Format("pdf"))
	assert.ErrorContains(t, err, "templates: unknown format")
	_, err = (&Renderer{}).Render(fixture(), FormatText)
	assert.ErrorContains(t, err, "templates: renderer not made by New")
}

func BenchmarkRender(b *testing.B) {
	r := newRenderer(b)
	d := fixture()
	for _, f := range Formats {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Render(d, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("chart", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Chart(d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func FuzzRender(f *testing.F) {
	f.Add("weekly-support", `<b>Eve & "Co"</b>`, "upstream 503", "chats_first_response_time.seconds", "above 60", 75.2)
	f.Add("", "*bold* <!channel>", "\x1b[2J\n", "no.such", "change_pct_below -20", math.NaN())
	r := newRenderer(f)
	f.Fuzz(func(t *testing.T, job, agent, errText, metric, rule string, value float64) {
		d := fixture()
		d.Job = job
		d.Rankings.Chats[0].Agent = "<zz" + agent
		d.Errors[0].Error = errText
		d.Metrics[metric] = digest.Value{Current: &value}
		d.Breaches[0] = digest.Breach{Metric: metric, Rule: rule, Value: value, Threshold: value}
		for _, format := range []Format{FormatText, FormatHTML, FormatSlack} {
			out, err := r.Render(d, format)
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if format == FormatSlack && !json.Valid(out) {
				t.Fatalf("slack: invalid JSON")
			}
			if format == FormatHTML && strings.Contains(string(out), "<zz") {
				t.Fatalf("%s: agent %q not escaped", format, agent)
			}
			if format == FormatSlack {
				var m struct{ Blocks json.RawMessage }
				if err := json.Unmarshal(out, &m); err != nil {
					t.Fatal(err)
				}
				mrk, _ := slackTexts(t, m.Blocks)
				if strings.Contains(strings.Join(mrk, ""), "<zz") {
					t.Fatalf("slack: agent %q in mrkdwn", agent)
				}
			}
		}
		if _, err := r.AlertSlack(AlertEvent{Job: job, Metric: metric, Rule: rule, Value: &value}); err != nil {
			t.Fatal(err)
		}
		_ = r.AlertText(AlertEvent{Job: job, Metric: metric, Rule: rule, Value: &value, Timezone: errText})
	})
}

// TestRenderHTMLInlinesChart: the HTML of --dry-run --format html and the
// web preview shows the chart as a data: URI of the same PNG the email
// attaches, not a cid: link that no browser can resolve.
func TestRenderHTMLInlinesChart(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	got, err := r.Render(fixture(), FormatHTML)
	require.NoError(t, err)
	h := string(got)
	assert.NotContains(t, h, "cid:")
	const prefix = `src="data:image/png;base64,`
	i := strings.Index(h, prefix)
	require.GreaterOrEqual(t, i, 0, "no data: URI")
	rest := h[i+len(prefix):]
	b64 := rest[:strings.IndexByte(rest, '"')]
	png, err := base64.StdEncoding.DecodeString(html.UnescapeString(b64)) // html/template writes + as &#43;
	require.NoError(t, err)
	want, err := Chart(fixture())
	require.NoError(t, err)
	assert.Equal(t, want, png)

	e, err := r.Email(fixture(), "")
	require.NoError(t, err)
	assert.Contains(t, e.HTML, `src="cid:chart.png"`, "the email keeps the attachment")

	noChart := fixture()
	noChart.Daily = nil
	got, err = r.Render(noChart, FormatHTML)
	require.NoError(t, err)
	assert.NotContains(t, string(got), "<img")
}

// slackTexts walks Block Kit JSON and returns the texts Slack formats
// (mrkdwn objects) and those it shows as they are (plain_text objects and
// rich_text text elements).
func slackTexts(t *testing.T, blocks []byte) (mrkdwn, literal []string) {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(blocks, &v))
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			text, _ := x["text"].(string)
			switch x["type"] {
			case "mrkdwn":
				mrkdwn = append(mrkdwn, text)
			case "plain_text", "text":
				literal = append(literal, text)
			}
			for k, e := range x {
				if k != "text" {
					walk(e)
				} else if _, ok := e.(string); !ok {
					walk(e)
				}
			}
		}
	}
	walk(v)
	return mrkdwn, literal
}

// TestSlackDataIsLiteral: an agent name full of mrkdwn and a broadcast
// mention reaches Slack as rich text, unchanged and with no mention, after
// the round trip through slack-go that the sender makes.
func TestSlackDataIsLiteral(t *testing.T) {
	t.Parallel()
	const name = "*x* _y_ ~z~ `c` <!here>"
	d := fixture()
	d.Rankings.Chats = []digest.RankEntry{{Agent: name, Good: 3, Bad: 1, Total: 4, Score: 0.75}}
	d.Timezone = "America/New_York"
	s, err := newRenderer(t).Slack(d)
	require.NoError(t, err)
	mrk, literal := slackTexts(t, s.Blocks)
	assert.Contains(t, literal, name, "the name is one text element, as typed")
	assert.Contains(t, strings.Join(literal, "\n"), "Timezone America/New_York", "zones copy back clean")
	for _, m := range mrk {
		assert.NotContains(t, m, "<!here>")
		assert.NotContains(t, m, "_y_")
	}
	assert.NotContains(t, string(s.Blocks), zwsp)

	var sent slack.Blocks
	require.NoError(t, json.Unmarshal(s.Blocks, &sent))
	again, err := json.Marshal(sent)
	require.NoError(t, err)
	_, literal = slackTexts(t, again)
	assert.Contains(t, literal, name, "slack-go keeps the rich text as it is")
	assert.NotContains(t, string(again), `"broadcast"`, "no mention element")

	a, err := newRenderer(t).AlertSlack(AlertEvent{Job: "weekly " + name, Metric: "total_chats.chats", Rule: "above 60",
		Value: f(75), Threshold: 60, State: StateFiring, Period: d.Period, Timezone: "America/New_York"})
	require.NoError(t, err)
	mrk, literal = slackTexts(t, a.Blocks)
	assert.Empty(t, mrk, "alerts use no mrkdwn")
	assert.Contains(t, strings.Join(literal, "\n"), "weekly "+name)
	assert.NotContains(t, string(a.Blocks), zwsp)
}
