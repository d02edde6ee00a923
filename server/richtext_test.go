package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"livechat-digest/query"
)

// TestHelpBlocksShowTheUsersWordsLiterally: what the user typed comes back
// in a rich text element, exactly and without zero-width spaces.
func TestHelpBlocksShowTheUsersWordsLiterally(t *testing.T) {
	t.Parallel()
	_, err := query.Parse("*x*_y_~z~`c`<!here>")
	require.Error(t, err)
	b, err := json.Marshal(helpBlocks(err))
	require.NoError(t, err)
	var v []struct {
		Elements []struct {
			Type     string `json:"type"`
			Elements []struct {
				Type, Text string
			} `json:"elements"`
		} `json:"elements"`
	}
	require.NoError(t, json.Unmarshal(b, &v))
	require.Len(t, v, 1)
	var texts []string
	for _, e := range v[0].Elements {
		for _, x := range e.Elements {
			texts = append(texts, x.Text)
		}
	}
	all := strings.Join(texts, "\n")
	assert.Contains(t, all, "*x*_y_~z~`c`<!here>")
	assert.NotContains(t, all, "\u200b")
	assert.NotContains(t, string(b), `"mrkdwn"`)
	assert.Contains(t, all, "Usage:")
}
