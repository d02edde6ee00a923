package notify

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOutboxWritesEML(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "outbox")
	o, err := NewOutbox(dir)
	require.NoError(t, err)
	m := sampleEmail()
	require.NoError(t, o.Send(t.Context(), m))
	// A retry of the same message rewrites the same file.
	require.NoError(t, o.Send(t.Context(), m))

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "one file, no temp files left")
	name := entries[0].Name()
	assert.Regexp(t, `^2026-11-23T1400Z_weekly-support_[0-9a-f]{10}\.eml$`, name)
	assert.Equal(t, FileName(m.Email), name)

	raw, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	assertSampleEmail(t, raw)
}

func TestOutboxFileNames(t *testing.T) {
	t.Parallel()
	a := sampleEmail().Email
	b := sampleEmail().Email
	b.MessageID = MessageID("weekly-support", firing, "other@example.com", "reports@example.com")
	assert.NotEqual(t, FileName(a), FileName(b), "different targets, different files")

	noID := *a
	noID.MessageID = ""
	noID.Subject = "Support weekly: 16–22 Nov"
	assert.Regexp(t, `^2026-11-23T1400Z_support-weekly-16-22-nov_[0-9a-f]{10}\.eml$`, FileName(&noID))
	assert.Equal(t, FileName(&noID), FileName(&noID), "derived Message-ID is stable")

	var zero EmailMessage
	zero.To = []string{"x@example.com"}
	assert.Regexp(t, `^undated_message_[0-9a-f]{10}\.eml$`, FileName(&zero))
}

func TestOutboxRefuses(t *testing.T) {
	t.Parallel()
	o, err := NewOutbox(t.TempDir())
	require.NoError(t, err)
	err = o.Send(t.Context(), sampleSlack())
	require.Error(t, err)
	assert.False(t, IsRetryable(err))

	bad := sampleEmail()
	bad.Email.From = "not an address"
	err = o.Send(t.Context(), bad)
	require.Error(t, err)
	assert.False(t, IsRetryable(err))

	_, err = NewOutbox("")
	require.Error(t, err)
}
