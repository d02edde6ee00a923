package templates

import (
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
)

// insightFixture is the weekly fixture with significance verdicts, as Build
// gives them: real changes, noise for each reason, and a metric with none.
func insightFixture() *digest.Digest {
	d := fixture()
	set := func(key string, v digest.Verdict, test, reason string, z float64) {
		val := d.Metrics[key]
		val.Verdict, val.Test, val.Reason = v, test, reason
		if test != digest.TestRelative && reason != digest.ReasonMinCount {
			val.Z, val.P, val.Q = f(z), f(0.01), f(0.02)
		}
		d.Metrics[key] = val
	}
	set("total_chats.chats", digest.VerdictNeutral, digest.TestPoisson, "", 6.1)
	set("chat_ratings.good", digest.VerdictNoise, digest.TestPoisson, digest.ReasonNotSignificant, -0.6)
	set("chat_ratings.bad", digest.VerdictNoise, digest.TestPoisson, digest.ReasonMinCount, 0)
	set("chat_ratings.satisfaction", digest.VerdictNoise, digest.TestTwoProportions, digest.ReasonNotSignificant, -1.1)
	set("chats_first_response_time.seconds", digest.VerdictWorse, digest.TestMeans, "", 9.4)
	set("chats_first_response_time.count", digest.VerdictNeutral, digest.TestPoisson, "", 5.8)
	set("availability.hours", digest.VerdictNoise, digest.TestRelative, digest.ReasonMinChange, 0)
	set("goals.goals", digest.VerdictBetter, digest.TestPoisson, "", 3.5)
	set("tickets_new.tickets", digest.VerdictNoise, digest.TestPoisson, digest.ReasonNoChange, 0)
	entry := func(by digest.Dimension, key, name string, cur, prev float64, v digest.Verdict) digest.BreakdownEntry {
		return digest.BreakdownEntry{By: by, Key: key, Name: name, Current: f(cur), Previous: f(prev), ChangePct: f(100 * (cur - prev) / prev), Verdict: v}
	}
	sales := entry(digest.ByGroup, "2", "Sales", 81, 45, digest.VerdictWorse)
	d.Filters = digest.Filters{Tags: []string{"sales", "vip"}}
	d.Breakdown = map[string][]digest.BreakdownEntry{
		"chats_first_response_time.seconds": {
			sales,
			entry(digest.ByAgent, "john@example.com", "john@example.com", 90, 50, digest.VerdictWorse),
			entry(digest.ByAgent, "anna.kowalska@example.com", "anna.kowalska@example.com", 30, 25, digest.VerdictNoise),
			entry(digest.ByGroup, "1", "General", 70, 41, digest.VerdictNoise),
			entry(digest.ByAgent, "maria@example.com", "maria@example.com", 60, 58, digest.VerdictNoise),
			entry(digest.ByAgent, "piotr@example.com", "piotr@example.com", 41, 40, digest.VerdictNoise),
		},
		"total_chats.chats": {
			entry(digest.ByGroup, "2", "Sales", 1100, 800, digest.VerdictNeutral),
			entry(digest.ByGroup, "1", "General", 600, 560, digest.VerdictNoise),
		},
	}
	d.Headline = []digest.HeadlineItem{
		{Metric: "chats_first_response_time.seconds", Sentence: "First response time rose 77% to 75.2 s, worse; most in Sales, +80%", Verdict: digest.VerdictWorse, ChangePct: f(76.9412), Z: 9.4, Most: &sales},
		{Metric: "total_chats.chats", Sentence: "Chats rose 25% to 1,700", Verdict: digest.VerdictNeutral, ChangePct: f(25), Z: 6.1},
		{Metric: "goals.goals", Sentence: "Goals reached rose from 0 to 12, better", Verdict: digest.VerdictBetter, Z: 3.5},
	}
	return d
}

// rowRe finds the rows of the HTML tables that carry a verdict, cellRe the
// cells of one and tagRe the markup inside a cell.
var (
	rowRe  = regexp.MustCompile(`(?s)<tr data-verdict="(\w+)">(.*?)</tr>`)
	cellRe = regexp.MustCompile(`(?s)<td[^>]*style="([^"]*)"[^>]*>(.*?)</td>`)
	tagRe  = regexp.MustCompile(`<[^>]*>`)
)

// TestNoiseRowsAreGrey reads the email HTML without a browser: every row
// whose change is noise is marked so and has its change in grey, and the
// changes that passed keep green, red or the text colour.
func TestNoiseRowsAreGrey(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	e, err := r.Email(insightFixture(), "")
	require.NoError(t, err)
	rows := rowRe.FindAllStringSubmatch(e.HTML, -1)
	// In document order: the breakdown under the headline, then the table.
	want := []string{
		"group Sales=worse", "agent john@example.com=worse", "agent anna.kowalska@example.com=noise",
		"group General=noise", "agent maria@example.com=noise",
		"group Sales=neutral", "group General=noise",
		"Chats=neutral", "Good chat ratings=noise", "Bad chat ratings=noise", "Chat satisfaction=noise",
		"Agent availability=noise", "First response time=worse", "First responses=neutral",
		"Goals reached=better", "New tickets=noise",
	}
	colour := map[string]string{"noise": "color:#8c959f", "worse": "color:#cf222e", "better": "color:#1a7f37", "neutral": "color:#1f2328"}
	var got []string
	for _, row := range rows {
		verdict := row[1]
		cells := cellRe.FindAllStringSubmatch(row[2], -1)
		require.GreaterOrEqual(t, len(cells), 3, row[0])
		label := tagRe.ReplaceAllString(cells[0][2], "")
		change := cells[len(cells)-1][1] // the change is the last cell
		got = append(got, label+"="+verdict)
		assert.Contains(t, change, colour[verdict], label)
	}
	assert.Equal(t, want, got)
	assert.Contains(t, e.HTML, "grey changes are within the noise")
	// The metric without a verdict has no mark.
	assert.Equal(t, 1, strings.Count(e.HTML, "<tr>\n<td class=\"ld-cell\" style=\"padding:6px 6px 6px 12px;"), "one unmarked metric row")
}

// TestNoiseIsUnmarked checks the text and Slack forms: significant changes
// carry a word or a coloured dot, noise neither.
func TestNoiseIsUnmarked(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	text, err := r.Render(insightFixture(), FormatText)
	require.NoError(t, err)
	lines := map[string]string{}
	for _, l := range strings.Split(string(text), "\n") {
		if f := strings.Fields(l); len(f) > 2 {
			lines[strings.Join(f[:2], " ")] = l
		}
	}
	assert.True(t, strings.HasSuffix(lines["First response"], "  worse"), lines["First response"])
	assert.True(t, strings.HasSuffix(lines["Goals reached"], "  better"), lines["Goals reached"])
	assert.True(t, strings.HasSuffix(lines["Chats 1,700"], "  changed"), lines["Chats 1,700"])
	for _, k := range []string{"Good chat", "Bad chat", "Chat satisfaction", "Agent availability", "New tickets"} {
		l := lines[k]
		require.NotEmpty(t, l, k)
		assert.False(t, strings.HasSuffix(l, " "), "no trailing space: %q", l)
		for _, w := range []string{"better", "worse", "changed"} {
			assert.NotContains(t, l, w, k)
		}
	}

	s, err := r.Slack(insightFixture())
	require.NoError(t, err)
	blocks := string(s.Blocks)
	for _, label := range []string{"Good chat ratings", "Bad chat ratings", "Chat satisfaction", "Agent availability"} {
		field := blocks[strings.Index(blocks, "*"+label+"*"):]
		field = field[:strings.Index(field, `"}`)]
		assert.NotContains(t, field, "circle", label)
	}
	assert.Contains(t, blocks, `*First response time*\n75.2 s  ▲ +32.7 s (+76.9%) :red_circle:`)
	assert.Contains(t, blocks, `*Goals reached*\n12  ▲ +12 :large_green_circle:`)
}

// TestPerDayChangeShown: a digest over periods of different lengths (March
// to date against February) shows, next to a sum's total change, the change
// per day its verdict and colour follow, in the table and the breakdown.
func TestPerDayChangeShown(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	d := insightFixture()
	v := d.Metrics["goals.goals"]
	v.Current, v.Previous, v.Change, v.ChangePct, v.RateChangePct = f(2850), f(2800), f(50), f(1.8), f(-6.3)
	v.Verdict = digest.VerdictWorse
	d.Metrics["goals.goals"] = v
	d.Breakdown["goals.goals"] = []digest.BreakdownEntry{{By: digest.ByGroup, Key: "2", Name: "Sales", Current: f(1450), Previous: f(1400),
		ChangePct: f(3.6), RateChangePct: f(-4.9), Verdict: digest.VerdictWorse}}
	for _, format := range []Format{FormatText, FormatHTML, FormatSlack} {
		out, err := r.Render(d, format)
		require.NoError(t, err)
		s := html.UnescapeString(string(out))
		assert.Contains(t, s, "+1.8%, -6.3% a day", format)
		assert.Contains(t, s, "+3.6%, -4.9% a day", format)
	}
}

func TestMark(t *testing.T) {
	t.Parallel()
	for v, want := range map[digest.Verdict]string{
		digest.VerdictBetter: "better", digest.VerdictWorse: "worse", digest.VerdictNeutral: "changed",
		digest.VerdictNoise: "", "": "",
	} {
		assert.Equal(t, want, mark(v), v)
	}
	assert.False(t, hasVerdicts(fixture()))
	assert.True(t, hasVerdicts(insightFixture()))
}

// TestAnomalyMessages: an anomaly says how far from the usual it is, in the
// digest's breaches and in the alert messages.
func TestAnomalyMessages(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	a := digest.AnomalyScore{Value: 412, Baseline: 121, Z: 5.24, Usual: "Monday"}
	d := fixture()
	d.Breaches = []digest.Breach{{Metric: "total_chats.chats", Rule: "anomaly", Value: 412, Threshold: 3, Baseline: f(121), Z: f(5.24), Usual: "Monday"}}
	text, err := r.Render(d, FormatText)
	require.NoError(t, err)
	assert.Contains(t, string(text), "! Chats 412 — 3.4× the usual Monday (z 5.2, limit 3)")
	html, err := r.Render(d, FormatHTML)
	require.NoError(t, err)
	assert.Contains(t, string(html), "<b>Chats</b> 412 — 3.4× the usual Monday (z 5.2, limit 3)")

	e := AlertEvent{Job: "chat-anomaly", Metric: "total_chats.chats", Rule: "anomaly", Value: f(412), Threshold: 3,
		Period: d.Period, Timezone: "UTC", State: StateFiring, Anomaly: &a}
	assert.Equal(t, "[FIRING] chat-anomaly: Chats 412 — 3.4× the usual Monday (z 5.2, limit 3)", r.AlertSubject(e))
	assert.Contains(t, r.AlertText(e), "3.4× the usual Monday")
	s, err := r.AlertSlack(e)
	require.NoError(t, err)
	assert.Contains(t, string(s.Blocks), "3.4× the usual Monday")
	// Without the score (a message about a state from another run) the rule is named.
	e.Anomaly = nil
	assert.Equal(t, "[FIRING] chat-anomaly: Chats 412 — anomaly 3", r.AlertSubject(e))
}

func TestPartialPeriodHeading(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	d := &digest.Digest{Job: "today", Period: digest.DateRange{From: day("2026-11-24"), To: day("2026-11-24")},
		Compare: &digest.DateRange{From: day("2026-11-23"), To: day("2026-11-23")}, Until: "10:00"}
	text, err := r.Render(d, FormatText)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(text), "today: 2026-11-24 until 10:00\nCompare   2026-11-23 until 10:00\n"), string(text))

	// Mar 1–30 meets all of February: the compare period counts whole.
	d = &digest.Digest{Job: "mtd", Period: digest.DateRange{From: day("2026-03-01"), To: day("2026-03-30")},
		Compare: &digest.DateRange{From: day("2026-02-01"), To: day("2026-02-28")}, Until: "09:15"}
	text, err = r.Render(d, FormatText)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(text), "mtd: 2026-03-01 – 2026-03-30 until 09:15\nCompare   2026-02-01 – 2026-02-28\n"), string(text))
}

// TestHostileBreakdownNames: an agent login from LiveChat's ranking names a
// breakdown row and the headline's "most in"; like every upstream string it
// is clipped to 64 characters in messages and has its control characters
// and bidi overrides removed everywhere, the JSON included (which keeps it
// whole otherwise, as it keeps ranking names).
func TestHostileBreakdownNames(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	d := insightFixture()
	login := "\u202eevil\x07\x1b[31m" + strings.Repeat("é", 10_000) + "@example.com"
	john := d.Breakdown["chats_first_response_time.seconds"][1]
	john.Key, john.Name = login, login
	d.Breakdown["chats_first_response_time.seconds"][1] = john
	h := &d.Headline[0]
	h.Most = &john
	h.Sentence = "First response time rose 77% to 75.2 s, worse; most in " + login + ", +80%"

	for _, format := range []Format{FormatText, FormatHTML, FormatSlack} {
		out, err := r.Render(d, format)
		require.NoError(t, err)
		s := html.UnescapeString(string(out))
		assert.Less(t, len(s), 64<<10, format) // the fixture alone is 50 KB of HTML (its chart)
		assert.Contains(t, s, "most in evil[31méé", format)
		assert.Contains(t, s, "agent evil[31méé", format)
		assert.Contains(t, s, "éé…", "%s: clipped with …", format)
		for _, bad := range []string{"\u202e", "\x07", "\x1b"} {
			assert.NotContains(t, s, bad, format)
		}
	}
	j, err := r.Render(d, FormatJSON)
	require.NoError(t, err)
	var back digest.Digest
	require.NoError(t, json.Unmarshal(j, &back))
	clean := "evil[31m" + strings.Repeat("é", 10_000) + "@example.com"
	assert.Equal(t, "First response time rose 77% to 75.2 s, worse; most in "+clean+", +80%", back.Headline[0].Sentence)
	assert.Equal(t, clean, back.Headline[0].Most.Name)
	assert.Equal(t, clean, back.Breakdown["chats_first_response_time.seconds"][1].Name)
	assert.Equal(t, clean, back.Breakdown["chats_first_response_time.seconds"][1].Key)
}
