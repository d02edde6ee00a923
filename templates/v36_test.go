package templates

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/digest"
	"livechat-digest/internal/golden"
)

// v36Fixture is a digest read through Reports API v3.6 with filters group 2
// and tag sales: the metrics only v3.6 has, reports that could not take a
// filter (availability: no tags; unique visitors: none), a ranking not
// filtered by tags, and a greetings day at the API's cap.
func v36Fixture() *digest.Digest {
	d := fixture()
	d.Metrics = map[string]digest.Value{
		"total_chats.chats":        {Current: f(50), Previous: f(40), Change: f(10), ChangePct: f(25)},
		"total_chats.continuous":   {Current: f(15), Previous: f(4), Change: f(11), ChangePct: f(275)},
		"availability.hours":       {Current: f(16), Previous: f(16), Change: f(0), ChangePct: f(0), NotFilteredBy: []string{"tags"}},
		"chat_duration.seconds":    {Current: f(500), Previous: f(600), Change: f(-100), ChangePct: f(-16.6667)},
		"unique_visitors.visitors": {Current: f(40), Previous: f(30), Change: f(10), ChangePct: f(33.3333), NotFilteredBy: []string{"group", "tags"}},
		"not_replied.chats":        {Current: f(3), Previous: f(1), Change: f(2), ChangePct: f(200)},
		"greetings.canceled":       {Current: f(6), Previous: f(1), Change: f(5), ChangePct: f(500)},
	}
	d.Rankings.NotFilteredBy = map[string][]string{"chats": {"tags"}}
	d.Breaches = nil
	d.Errors = []digest.ReportError{}
	d.Warnings = []digest.ReportWarning{{Report: "greetings", Warning: "the API answered its maximum of 100 greetings on 2026-11-17; greetings beyond them are not counted"}}
	d.Filters = digest.Filters{Group: "2", Tags: []string{"sales"}}
	return d
}

// TestRenderV36 renders the v3.6 digest in every format: a metric whose
// report could not take a filter is marked "not filtered by" it, the
// ranking too, and the cap warning shows.
func TestRenderV36(t *testing.T) {
	t.Parallel()
	r := newRenderer(t)
	for _, ext := range []struct {
		f   Format
		ext string
	}{{FormatJSON, "json"}, {FormatText, "txt"}, {FormatHTML, "html"}, {FormatSlack, "slack.json"}} {
		t.Run(string(ext.f), func(t *testing.T) {
			got, err := r.Render(v36Fixture(), ext.f)
			require.NoError(t, err)
			if ext.f == FormatHTML {
				e, err := r.Email(v36Fixture(), "")
				require.NoError(t, err)
				got = []byte(e.HTML)
			}
			golden.Assert(t, "digest-v36."+ext.ext, got)
			s := string(got)
			if ext.f == FormatJSON {
				assert.True(t, json.Valid(got))
				assert.Contains(t, s, `"not_filtered_by"`)
				assert.Contains(t, s, `"warnings"`)
				return
			}
			assert.Contains(t, s, "not filtered by tags", "availability and the ranking")
			assert.Contains(t, s, "not filtered by group, tags", "unique visitors")
			assert.Equal(t, 3, strings.Count(s, "not filtered by"), "two sections and the ranking, nothing else")
			assert.Contains(t, s, "maximum of 100 greetings")
			if ext.f == FormatSlack {
				checkSlackLimits(t, got)
			}
		})
	}
}

// TestNotFilteredKeepsKnownWords: the marker is made of the filter words
// only, whatever a stored digest holds.
func TestNotFilteredKeepsKnownWords(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "", notFiltered(nil))
	assert.Equal(t, "not filtered by group, agent", notFiltered([]string{"group", "agent", "group"}))
	assert.Equal(t, "not filtered by tags", notFiltered([]string{"<script>", "tags", "*x*"}))
	assert.Equal(t, "", notFiltered([]string{"<!channel>"}))
}
