package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContractExampleValidates runs validate on the config example of the
// outside contract (../shared/CONTRACT.md, beside the clone, as CI has it):
// a key the contract promises must be one the program accepts, with the
// values the example gives. Skipped where the contract is not beside the
// repository.
func TestContractExampleValidates(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "shared", "CONTRACT.md"))
	if os.IsNotExist(err) {
		t.Skip("../shared/CONTRACT.md is not beside the repository")
	}
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)## Config \\(YAML\\).*?```yaml\n(.*?)```").FindSubmatch(b)
	require.NotNil(t, m, "the contract's config example")
	path := filepath.Join(t.TempDir(), "contract.yaml")
	require.NoError(t, os.WriteFile(path, m[1], 0o600))
	env := map[string]string{"LIVECHAT_LOGIN": "a", "LIVECHAT_API_KEY": "b", "SLACK_BOT_TOKEN": "c", "SLACK_SIGNING_SECRET": "d"}
	code, stdout, stderr := runCLI(t, env, "validate", "--config", path)
	assert.Equal(t, 0, code, "%s%s", stdout, stderr)
}
