package notify

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, m := range []Message{sampleEmail(), sampleSlack(), sampleSlackFile("#support")} {
		b, err := Encode(m)
		require.NoError(t, err)
		got, err := Decode(b)
		require.NoError(t, err)
		if diff := cmp.Diff(m, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, payload, want string
	}{
		{"not json", `{`, "notify: decode"},
		{"unknown channel", `{"channel":"fax"}`, `unknown channel "fax"`},
		{"email without part", `{"channel":"email"}`, "without email part"},
		{"email without recipients", `{"channel":"email","email":{"from":"a@b.c"}}`, "without recipients"},
		{"slack without channel", `{"channel":"slack","slack":{"text":"x"}}`, "without channel"},
		{"file without channel", `{"channel":"slack","slack_file":{"filename":"a.png","data":"AQ=="}}`, "slack file without channel"},
		{"file without name", `{"channel":"slack","slack_file":{"channel":"#x","data":"AQ=="}}`, "without file name"},
		{"file without data", `{"channel":"slack","slack_file":{"channel":"#x","filename":"a.png"}}`, "slack file is empty"},
		{"post and file", `{"channel":"slack","slack":{"channel":"#x"},"slack_file":{"channel":"#x","filename":"a.png","data":"AQ=="}}`, "more than one of a post, a file and an update"},
		{"file by email", `{"channel":"email","slack_file":{"channel":"#x","filename":"a.png","data":"AQ=="}}`, "without email part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tt.payload))
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := Encode(Message{Channel: "fax"})
	require.Error(t, err)
}

func FuzzDecode(f *testing.F) {
	for _, m := range []Message{sampleEmail(), sampleSlack(), sampleSlackFile("C0123ABCD")} {
		b, err := Encode(m)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"channel":"slack","slack":{"channel":"#x","blocks":[{"type":"bogus"}]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever decodes encodes again, and reads back the same.
		b2, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		m2, err := Decode(b2)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		_ = m2.Target()
		if m.Email != nil {
			_ = FileName(m.Email)
			_, _ = buildMail(m.Email) // must not panic
		}
	})
}

func TestSlackFileTarget(t *testing.T) {
	t.Parallel()
	// A chart and the digest post to one channel share a destination, so
	// the worker sends them in enqueue order.
	assert.Equal(t, sampleSlack().Target(), sampleSlackFile("#support").Target())
}

func TestMessageID(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 15, 0, 0, 0, time.FixedZone("CET", 3600))
	const from = `"Support Reports" <reports@Example.COM>`
	tests := []struct {
		name   string
		job    string
		firing time.Time
		target string
		from   string
		want   string
	}{
		{"utc minute", "weekly-support", at, "#support", from, "weekly-support.20261123T1400Z." + shortHash("#support") + "@example.com"},
		{"seconds kept", "frt", at.Add(30 * time.Second), "#a", "reports@example.com", "frt.20261123T140030Z." + shortHash("#a") + "@example.com"},
		{"odd job name", "Weekly Support <x>", at, "a@b.c", from, "weekly-support-x.20261123T1400Z." + shortHash("a@b.c") + "@example.com"},
		{"empty job", "", at, "t", from, "message.20261123T1400Z." + shortHash("t") + "@example.com"},
		{"no from", "j", at, "t", "", "j.20261123T1400Z." + shortHash("t") + "@livechat-digest.invalid"},
		{"from without domain", "j", at, "t", "reports", "j.20261123T1400Z." + shortHash("t") + "@livechat-digest.invalid"},
		{"hostile domain", "j", at, "t", "a@b>\r\nBcc: x", "j.20261123T1400Z." + shortHash("t") + "@livechat-digest.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, MessageID(tt.job, tt.firing, tt.target, tt.from))
		})
	}
	assert.NotEqual(t, MessageID("j", at, "a", from), MessageID("j", at, "b", from))
	assert.NotEqual(t, MessageID("j", at, "a", from), MessageID("j", at.Add(time.Minute), "a", from))
}

func TestListID(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "weekly-support.digest.example.com", ListID("weekly-support", `"Reports" <reports@example.com>`))
	assert.Equal(t, "weekly_support-eu.digest.example.com", ListID("Weekly_Support.EU", "r@example.com"))
	assert.Equal(t, "j.digest.livechat-digest.invalid", ListID("j", "not an address"))
}

func TestMessageIDOfSanitizes(t *testing.T) {
	t.Parallel()
	e := &EmailMessage{MessageID: "<a.b\r\nBcc: evil@x>"}
	assert.Equal(t, "a.bBcc:evil@x", messageIDOf(e))
}

func TestSlug(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Weekly Support", "weekly-support"},
		{"  --x--  ", "x"},
		{"żółw", "w"},
		{"żółć", "message"},
		{"a/b\\c..d", "a-b-c-d"},
		{"", "message"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, slug(tt.in, 40), tt.in)
	}
	assert.LessOrEqual(t, len(slug("abcdefghij-abcdefghij-abcdefghij", 10)), 10)
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	lo := func(int64) int64 { return 0 }
	hi := func(n int64) int64 { return n - 1 }
	tests := []struct {
		attempts int
		rnd      func(int64) int64
		want     time.Duration
	}{
		{1, hi, 10 * time.Second},
		{1, lo, 5 * time.Second},
		{2, hi, 20 * time.Second},
		{3, hi, 40 * time.Second},
		{5, hi, 160 * time.Second},
		{6, hi, 5 * time.Minute}, // capped
		{60, hi, 5 * time.Minute},
		{60, lo, 150 * time.Second},
		{0, hi, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attempts), func(t *testing.T) {
			assert.Equal(t, tt.want, backoff(tt.attempts, 10*time.Second, 5*time.Minute, tt.rnd))
		})
	}
}

func TestErrorVerdicts(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	assert.False(t, IsRetryable(nil))
	assert.True(t, IsRetryable(base), "unknown errors are retried")
	assert.False(t, IsRetryable(Permanent(base)))
	assert.True(t, IsRetryable(Retryable(base, time.Second)))
	assert.Equal(t, time.Second, RetryAfter(fmt.Errorf("wrapped: %w", Retryable(base, time.Second))))
	assert.ErrorIs(t, Permanent(base), base)
	assert.NoError(t, Permanent(nil))

	r := redact(fmt.Errorf("auth pw=%s: %w", "topsecret", base), "topsecret")
	assert.Equal(t, "auth pw=<secret>: boom", r.Error())
	assert.ErrorIs(t, r, base)
}
